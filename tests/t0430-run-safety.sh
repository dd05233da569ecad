#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0430-run-safety: one live run per project (a second exits 75 naming the
# holder's pid); a story title holding $(touch pwned), quotes and a newline
# reaches the agent's prompt byte for byte and executes nothing; a missing
# tmux is exit 69; a bad sprint is exit 65 and writes nothing; a
# sprint-status symlinked out of the project is refused (exit 65) unless
# the sprint says allow_outside: true; a catastrophic pattern is named in a
# warning instead of silently never matching.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

P=$TMP/proj
make_project "$P"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
cat >"$P/evil.yaml" <<'YAML'
project: safety
root: .
workflow: demo
agent: fake
status_file: _bmad-output/implementation-artifacts/sprint-status.yaml
stories:
  - id: "1.1"
    title: "Greet $(touch pwned) `touch pwned2` \"quoted\" 'single' ; rm -rf x\nsecond line"
    fake: { dev: "edit src/evil.sh ; slow" }
YAML
git -C "$P" add evil.yaml && git -C "$P" commit -q -m "evil sprint"

# a bad sprint: exit 65, nothing written
printf 'stories:\n  - id: "a b"\n' >"$P/bad.yaml"
au "$P" run bad.yaml --no-input
[ "$rc" = 65 ] || fail "bad sprint: exit $rc, want 65"
expect_grep "$TMP/au.out" "bad.yaml:2:9: invalid story id 'a b'" "bad sprint message"
[ ! -e "$P/.automator" ] || fail "bad sprint: .automator/ was created"
rm "$P/bad.yaml"

# a missing tmux: exit 69 with a clear message
mkdir -p "$TMP/bin"
for t in git sh bash env; do ln -sf "$(command -v $t)" "$TMP/bin/$t"; done
(cd "$P" && timeout 20 env PATH="$TMP/bin" "$AUTOMATOR" run evil.yaml --no-input) >"$TMP/notmux.out" 2>&1
rc=$?
[ "$rc" = 69 ] || fail "no tmux: exit $rc, want 69"
expect_grep "$TMP/notmux.out" "tmux is not installed" "no tmux message"

# the slow dev session keeps the first run live while a second one starts
export AUTOMATOR_FAKE_DELAY=0.1
# (exec: $! is automator's own pid; ctest's timeout bounds it)
(cd "$P" && exec "$AUTOMATOR" run evil.yaml --no-input) >"$TMP/first.out" 2>&1 &
first=$!
wait_for 20 grep -q "^1.1 dev " "$AUTOMATOR_FAKE_LOG_DIR/calls.log" || fail "first run never spawned"
au "$P" run evil.yaml --no-input
[ "$rc" = 75 ] || fail "second run: exit $rc, want 75"
expect_grep "$TMP/au.out" "locked by another automator run (pid $first)" "second run names the holder"
wait "$first"
rc=$?
[ "$rc" = 0 ] || { fail "first run exited $rc"; sed 's/^/  /' "$TMP/first.out" >&2; }

# the title reached the prompt intact, and nothing ran it
prompt=$(ls "$AUTOMATOR_FAKE_LOG_DIR"/1.1-dev-1.prompt 2>/dev/null)
[ -n "$prompt" ] || fail "the fake agent logged no prompt"
python3 - "$prompt" <<'PY' || fail "prompt not intact"
import sys
p = open(sys.argv[1], "rb").read().decode()
want = "Greet $(touch pwned) `touch pwned2` \"quoted\" 'single' ; rm -rf x\nsecond line"
assert want in p, repr(p[:300])
PY
for f in pwned pwned2; do
	[ ! -e "$P/$f" ] && [ ! -e "$TMP/$f" ] && [ ! -e "$f" ] || fail "'$f' was created: a title was executed"
done

# a sprint-status that is a symlink to a file outside the project: never
# edited (exit 65, nothing written), unless the sprint says allow_outside
S=$TMP/symlinked
make_project "$S"
art=_bmad-output/implementation-artifacts
mkdir -p "$TMP/elsewhere"
mv "$S/$art/sprint-status.yaml" "$TMP/elsewhere/sprint-status.yaml"
ln -s "$TMP/elsewhere/sprint-status.yaml" "$S/$art/sprint-status.yaml"
cp "$TMP/elsewhere/sprint-status.yaml" "$TMP/status.before"
git -C "$S" add -A && git -C "$S" commit -qm "symlinked status"
au "$S" run sprint.yaml --no-input
[ "$rc" = 65 ] || { fail "symlinked sprint-status: exit $rc, want 65"; sed 's/^/  /' "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "sprint.yaml:10:14: the sprint-status is outside the project root, after symlinks" \
	"symlinked sprint-status: the message"
[ -e "$S/.automator" ] && fail "symlinked sprint-status: .automator was written"
cmp -s "$TMP/status.before" "$TMP/elsewhere/sprint-status.yaml" || fail "the outside sprint-status changed"
# the BMAD sprint-status itself as the sprint, symlinked out of the project
au "$S" run "$art/sprint-status.yaml" --agent fake --dry-run
[ "$rc" = 65 ] || fail "symlinked BMAD sprint: exit $rc, want 65"
expect_grep "$TMP/au.out" "the sprint-status is outside the project root" "symlinked BMAD sprint: the message"
sed -i "s/^max_parallel: 2$/max_parallel: 2\\nallow_outside: true/" "$S/sprint.yaml"
grep -q '^allow_outside: true$' "$S/sprint.yaml" || fail "allow_outside not set"
au "$S" run sprint.yaml --dry-run
[ "$rc" = 0 ] || { fail "allow_outside: dry run exit $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }

# a pattern that backtracks catastrophically stops at pcre2's match limit:
# the run goes on, and says which pattern could not be matched
C=$TMP/catastrophic
make_project "$C"
mkdir -p "$C/wf"
cat >"$C/wf/slowre.yaml" <<'YAML'
name: slowre
steps:
  - name: work
    kind: session
    prompt: "Implement story {story.id}"
    failure: ['^(.+)+[XYZ]$']
    verifier: session_exit
YAML
cat >"$C/re.yaml" <<'YAML'
project: re
root: .
workflow: wf/slowre.yaml
agent: fake
stories:
  - id: "1.1"
    title: One
YAML
git -C "$C" add -A && git -C "$C" commit -qm "catastrophic pattern"
au "$C" run re.yaml --no-input
[ "$rc" = 0 ] || { fail "catastrophic pattern: exit $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "warning: pattern '^(.+)+\[XYZ\]\$' could not be matched on" \
	"catastrophic pattern: the warning names it"

# a prompt file that is a FIFO: refused at once (it would block the load)
Q=$TMP/fifo
mkdir -p "$Q"
mkfifo "$Q/prompt.md"
printf 'name: fifo\nsteps:\n  - name: dev\n    kind: session\n    prompt_file: prompt.md\n' >"$Q/wf.yaml"
expect_exit 65 "a FIFO prompt file" -- "$AUTOMATOR" validate "$Q/wf.yaml"
expect_grep "$TMP/err" "cannot read prompt file 'prompt.md': not a regular file" "a FIFO prompt file: the message"

finish
