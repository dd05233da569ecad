#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154 # rc is set by au() in lib.sh
# t0730-bmad-e2e: a BMAD project (tests/fixtures/bmad-project) runs end to
# end with its sprint-status.yaml as the sprint and the fake agent standing
# in for Claude Code: the stories not done are queued in file order, the
# bmad workflow is the default, create-story is skipped where the story
# file exists and writes exactly one where it does not, the optional
# automate step that fails is skipped, every story ends DONE with one
# commit, and sprint-status says done with its comments intact.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

P=$TMP/shelf
make_project "$P" "$AUTOMATOR_DATA_DIR/tests/fixtures/bmad-project"
art=_bmad-output/implementation-artifacts
st=$P/$art/sprint-status.yaml
cp "$st" "$TMP/status.before"
cp "$P/$art/1-2-lend-a-book.md" "$TMP/story-1-2.before"
# a validation report left from an earlier attempt at 1.3: a companion
# file, not 1.3's story file, so create-story still runs and its check
# still finds exactly one story file (a <prefix>-*.md glob counted two)
printf '# Validation Report: Story 1.3\n\nOutcome: FAIL (no acceptance criteria)\n' \
	>"$P/$art/1-3-return-a-book.validation-report.md"
git -C "$P" add -A && git -C "$P" commit -q --amend --no-edit || fail "cannot commit the report"

# The fake agent's behaviour per step when the sprint has no fake: map
# (docs/fake-agent.md): dev-story edits the code, automate fails (an
# optional step: skipped after its retry), the rest succeed.
export AUTOMATOR_FAKE_LOG_DIR=$TMP/calls
export AUTOMATOR_FAKE_DEFAULT_DEV_STORY="edit src/shelf.sh"
export AUTOMATOR_FAKE_DEFAULT_AUTOMATE="fail"

# the plan: stories not done, in file order, the bmad workflow by default
au "$P" run "$art/sprint-status.yaml" --agent fake --dry-run
[ "$rc" = 0 ] || { fail "dry run exited $rc"; sed 's/^/  /' "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "workflow bmad" "dry run: the bmad workflow is the default"
python3 - "$TMP/au.out" <<'PY' || fail "dry run: queued stories"
import re, sys
ids = [m.group(1) for m in re.finditer(r"^\s+(\S+)\s+fake\s", open(sys.argv[1]).read(), re.M)]
assert ids == ["1.2", "1.3", "1.4"], ids
PY

au "$P" run "$art/sprint-status.yaml" --agent fake --no-input
[ "$rc" = 0 ] || { fail "run exited $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }

# every queued story DONE, the run COMPLETE, nothing escalated
status_json "$P" >"$TMP/status.json" || fail "status --json failed"
python3 - "$TMP/status.json" <<'PY' || fail "status after the bmad run"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["run"]["state"] == "COMPLETE", s["run"]
ids = [x["id"] for x in s["stories"]]
assert ids == ["1.2", "1.3", "1.4"], ids
bad = [x for x in s["stories"] if x["state"] != "DONE"]
assert not bad, bad
assert s["escalation"]["required"] is False, s["escalation"]
PY

# create-story: skipped for 1.2 (its story file existed), run for 1.3 and
# 1.4; no other session of the workflow skipped
calls=$AUTOMATOR_FAKE_LOG_DIR/calls.log
ran() { grep -c "^$1 $2 " "$calls"; }
[ "$(ran 1.2 create-story)" = 0 ] || fail "create-story ran for 1.2 although its story file exists"
[ "$(ran 1.3 create-story)" = 1 ] || fail "create-story ran $(ran 1.3 create-story) times for 1.3, want 1"
[ "$(ran 1.4 create-story)" = 1 ] || fail "create-story ran $(ran 1.4 create-story) times for 1.4, want 1"
for s in 1.2 1.3 1.4; do
	[ "$(ran $s dev-story)" = 1 ] || fail "dev-story ran $(ran $s dev-story) times for $s, want 1"
	[ "$(ran $s code-review)" = 1 ] || fail "code-review ran $(ran $s code-review) times for $s, want 1"
	# automate fails, is retried once (retries: 1), then skipped as optional
	[ "$(ran $s automate)" = 2 ] || fail "automate ran $(ran $s automate) times for $s, want 2"
	grep -q "^$s *optional step automate skipped" "$TMP/au.out" ||
		grep -q " $s *optional step automate skipped" "$TMP/au.out" ||
		fail "no 'optional step automate skipped' for $s"
done
logs=$(find "$P/.automator/logs" -name '1.2-create-story-*' | wc -l)
[ "$logs" = 0 ] || fail "a create-story session log exists for 1.2"

# the prompts: BMAD slash commands with the story's key, the result contract
pr=$AUTOMATOR_FAKE_LOG_DIR
head -1 "$pr/1.3-create-story-1.prompt" | grep -qx '/bmad:bmm:workflows:create-story 1-3-return-a-book' ||
	fail "create-story prompt: $(head -1 "$pr/1.3-create-story-1.prompt")"
head -1 "$pr/1.2-dev-story-1.prompt" |
	grep -qx '/bmad:bmm:workflows:dev-story 1-2-lend-a-book' ||
	fail "dev-story prompt: $(head -1 "$pr/1.2-dev-story-1.prompt")"
grep -q "review cycle 1" "$pr/1.4-code-review-1.prompt" || fail "code-review prompt lacks its cycle"
for f in "$pr"/*.prompt; do
	grep -q '^AUTOMATOR_RESULT {"status": "done", "summary": "<one sentence>"}$' "$f" ||
		fail "$(basename "$f"): no AUTOMATOR_RESULT contract"
	! grep -q '{story\.\|{root}\|{cycle}\|{attempt}' "$f" || fail "$(basename "$f"): placeholder left"
done

# exactly one story file per story (the report beside it is not one); 1.2's untouched
for p in 1-1 1-2 1-3 1-4; do
	n=$(find "$P/$art" -maxdepth 1 -name "$p-*.md" ! -name '*.validation-report.md' | wc -l)
	[ "$n" = 1 ] || fail "$n story files for $p, want 1"
done
cmp -s "$TMP/story-1-2.before" "$P/$art/1-2-lend-a-book.md" || fail "the existing story file of 1.2 changed"
[ -f "$P/$art/1-3-return-a-book.md" ] || fail "no story file 1-3-return-a-book.md"
grep -qx '# Story 1.4: Overdue report' "$P/$art/1-4-overdue-report.md" ||
	fail "story file of 1.4 lacks its title from epics.md"

# sprint-status: each story done, every other byte (comments, quotes) intact
python3 - "$TMP/status.before" "$st" <<'PY' || fail "sprint-status after the run"
import re, sys
a = open(sys.argv[1]).read().splitlines()
b = open(sys.argv[2]).read().splitlines()
assert len(a) == len(b), (len(a), len(b))
changed = set()
for x, y in zip(a, b):
    if x == y:
        continue
    rx = r'^(\s+(1-\d)[-a-z0-9]*:\s*)("?)([-a-z]+)("?)(.*)$'
    mx, my = re.match(rx, x), re.match(rx, y)
    assert mx and my, (x, y)
    assert (mx.group(1), mx.group(3), mx.group(5)) == (my.group(1), my.group(3), my.group(5)), (x, y)
    assert my.group(6).lstrip() == mx.group(6).lstrip(), (x, y)
    assert my.group(4) == "done", y
    changed.add(my.group(2))
assert changed == {"1-2", "1-3", "1-4"}, changed
PY
grep -q '^  1-4-overdue-report: "done"  *# quoted on purpose$' "$st" || fail "quoted value of 1-4 not kept"

# exactly one commit per story, holding its story file and its changes
[ "$(git -C "$P" rev-list --count HEAD)" = 4 ] ||
	fail "want 4 commits (initial + 3), got $(git -C "$P" rev-list --count HEAD)"
python3 - "$P" <<'PY' || fail "story commits"
import subprocess, sys
p = sys.argv[1]
def git(*a):
    return subprocess.run(["git", "-C", p, *a], capture_output=True, text=True, check=True).stdout
art = "_bmad-output/implementation-artifacts/"
want = {
    "1.2": {"src/shelf.sh", art + "sprint-status.yaml"},
    "1.3": {"src/shelf.sh", art + "sprint-status.yaml", art + "1-3-return-a-book.md"},
    "1.4": {"src/shelf.sh", art + "sprint-status.yaml", art + "1-4-overdue-report.md"},
}
seen = []
for sha in reversed(git("rev-list", "HEAD").split()[:-1]):
    msg = git("log", "-1", "--format=%B", sha)
    story = msg.split(":", 1)[0]
    assert story in want, msg
    files = set(git("show", "--name-only", "--format=", sha).split())
    assert files == want[story], (story, files)
    assert "Automator-Story: " in msg, msg
    seen.append(story)
assert seen == ["1.2", "1.3", "1.4"], seen
PY
[ -z "$(git -C "$P" status --porcelain)" ] || fail "work tree not clean: $(git -C "$P" status --porcelain)"

# the helper agrees: every story's review is verified
for s in 1.2 1.3 1.4; do
	if [ -x "$HELPER" ]; then
		(cd "$P" && "$HELPER" verify-code-review "$s") >"$TMP/h.out" 2>&1 ||
			fail "verify-code-review $s: $(cat "$TMP/h.out")"
	fi
done
[ ! -e "$P/.automator/active" ] || fail "marker left behind after the run"

finish
