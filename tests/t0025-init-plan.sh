#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0025-init-plan: `automator init` (a starter sprint and workflow that run
# as written with the fake agent; in a BMAD project, a sprint taking its
# stories from the sprint-status with the agent BMAD is installed for;
# never overwriting), plain `run` finding a BMAD sprint-status, the plan of
# `run --dry-run` (dependency waves, steps, agents, preflight; --json), and
# `validate --json`.
. "$(dirname "$0")/lib.sh"
need tmux git jq
# BMAD skills in a real $HOME would count: none here
export HOME=$TMP/home CODEX_HOME=$TMP/home/.codex
mkdir -p "$HOME"

# ---- a project without BMAD: starter sprint + workflow ----
P=$TMP/plain
mkdir -p "$P" && git -C "$P" init -q -b main
git -C "$P" config user.name t && git -C "$P" config user.email t@example.invalid
git -C "$P" commit -q --allow-empty -m init
au "$P" run
[ "$rc" = 64 ] || fail "plain run with no sprint: exit $rc, want 64"
expect_grep "$TMP/au.out" "automator init" "plain run with no sprint names init"
au "$P" init
[ "$rc" = 0 ] || { fail "init: exit $rc"; cat "$TMP/au.out" >&2; }
[ -f "$P/sprint.yaml" ] && [ -f "$P/workflow.yaml" ] || fail "init wrote no sprint.yaml and workflow.yaml"
grep -q "^# " "$P/sprint.yaml" || fail "the sprint is not commented"
au "$P" validate sprint.yaml workflow.yaml
[ "$rc" = 0 ] || { fail "validate the starter: exit $rc"; cat "$TMP/au.out" >&2; }
sum=$(cat "$P/sprint.yaml" "$P/workflow.yaml" | md5sum)
au "$P" init
[ "$rc" = 1 ] || fail "init over an existing sprint: exit $rc, want 1"
expect_grep "$TMP/au.out" "exists: nothing written" "init never overwrites"
[ "$(cat "$P/sprint.yaml" "$P/workflow.yaml" | md5sum)" = "$sum" ] || fail "init changed a file"
rm "$P/sprint.yaml"
au "$P" init
[ "$rc" = 1 ] || fail "init with workflow.yaml there: exit $rc, want 1"
[ ! -e "$P/sprint.yaml" ] || fail "init wrote a sprint beside an existing workflow.yaml"
rm "$P/workflow.yaml"
au "$P" init
# the starter runs as written, the agent aside: with the fake agent, one story, one commit
sed -i -e 's/^agent: claude$/agent: fake/' \
	-e 's/^    title: Describe the first story here$/&\n    fake: { dev: "edit src\/hello.sh" }/' "$P/sprint.yaml"
git -C "$P" add -A && git -C "$P" commit -q -m "automator init"
au "$P" run --no-input
[ "$rc" = 0 ] || { fail "the starter sprint: exit $rc"; tail -20 "$TMP/au.out" >&2; }
git -C "$P" log --format=%s | grep -q "^1.1: Describe the first story here" ||
	fail "the starter story was not committed: $(git -C "$P" log --oneline)"

# ---- a BMAD project: the sprint-status's stories, the installed agent ----
B=$TMP/bmad
make_project "$B" "$SOURCE_DIR/tests/fixtures/bmad-install/skills"
au "$B" run -n
[ "$rc" = 0 ] || [ "$rc" = 69 ] || fail "plain run -n in a BMAD project: exit $rc"
expect_grep "$TMP/au.out" "running the BMAD sprint-status .*_bmad-output/implementation-artifacts/sprint-status.yaml" \
	"plain run finds the BMAD sprint-status"
expect_grep "$TMP/au.out" "^wave 1:" "plain run plans the sprint-status's stories"
au "$B" init
[ "$rc" = 0 ] || { fail "init (BMAD): exit $rc"; cat "$TMP/au.out" >&2; }
expect_grep "$B/sprint.yaml" "^status_file: _bmad-output/implementation-artifacts/sprint-status.yaml$" \
	"the BMAD sprint points at the sprint-status"
expect_grep "$B/sprint.yaml" "^workflow: bmad$" "the BMAD sprint's workflow"
expect_grep "$B/sprint.yaml" "^agent: claude$" "the agent BMAD is installed for"
expect_grep "$B/sprint.yaml" "Claude Code skills" "says why that agent"
grep -q "^stories:" "$B/sprint.yaml" && fail "the BMAD sprint copies the stories"
au "$B" validate sprint.yaml
[ "$rc" = 0 ] || { fail "validate the BMAD sprint: exit $rc"; cat "$TMP/au.out" >&2; }
(cd "$B" && "$AUTOMATOR" run -n -j) >"$TMP/bplan.json" 2>/dev/null
jq -e '.workflow == "bmad" and (.stories | length) == 1 and .stories[0].id == "1.1"
	and (.skipped | map(.reason) | index("epic")) != null' "$TMP/bplan.json" >/dev/null ||
	fail "the BMAD plan: $(cat "$TMP/bplan.json")"
# Codex installed instead: codex chosen
C=$TMP/bmad-codex
make_project "$C" "$SOURCE_DIR/tests/fixtures/bmad-install/codex-skills"
(cd "$C" && "$AUTOMATOR" init) >"$TMP/au.out" 2>&1 || fail "init (Codex): exit $?"
expect_grep "$C/sprint.yaml" "^agent: codex$" "the agent BMAD is installed for (Codex)"

# ---- the plan: dependency waves, steps, agents, preflight ----
D=$TMP/demo
make_project "$D"
au "$D" run --dry-run
[ "$rc" = 0 ] || fail "dry run: exit $rc"
expect_grep "$TMP/au.out" "^steps: dev(session) → review(review) → commit(commit) → verify(verify)$" \
	"the plan's steps"
tr -d '\n' <"$TMP/au.out" | grep -q "wave 1:  1.1 .*wave 2:  1.2 .*  1.3 .*wave 3:  1.4 .*wave 4:  1.5 " ||
	fail "the plan's waves: $(cat "$TMP/au.out")"
expect_grep "$TMP/au.out" "1.5 .*(after 1.3 1.4)" "a story's dependencies"
expect_grep "$TMP/au.out" "^preflight: nothing to fix" "what preflight found"
(cd "$D" && "$AUTOMATOR" run --dry-run --json) >"$TMP/plan.json" || fail "dry run --json: exit $?"
jq -e '.waves == [["1.1"],["1.2","1.3"],["1.4"],["1.5"]]
	and ([.steps[].name] == ["dev","review","commit","verify"])
	and (.stories | length) == 5
	and (.stories[] | select(.id == "1.5") | .depends_on == ["1.3","1.4"] and .wave == 4)
	and (.stories[0].steps[0] == {"name":"dev","agent":"fake"})
	and (.stories[0].steps[2].agent == null)
	and .preflight == [] and .max_parallel == 2 and .isolation == "worktree"' \
	"$TMP/plan.json" >/dev/null || fail "dry run --json: $(cat "$TMP/plan.json")"
[ ! -e "$D/.automator" ] || fail "the dry run wrote .automator"
au "$D" run --json
[ "$rc" = 64 ] || fail "run --json without --dry-run: exit $rc, want 64"

# ---- validate --json ----
printf 'stories:\n  - id: "1.1"\n    titel: x\n' >"$D/bad.yaml"
(cd "$D" && "$AUTOMATOR" validate --json sprint.yaml bad.yaml) >"$TMP/v.json" 2>"$TMP/v.err"
rc=$?
[ "$rc" = 65 ] || fail "validate --json with a bad file: exit $rc, want 65"
jq -e 'length == 2 and .[0].file == "sprint.yaml" and .[0].ok == true and .[0].errors == []
	and .[1].ok == false
	and .[1].errors[0] == {"file":"bad.yaml","line":3,"col":5,
		"message":"unknown key '"'titel'"' in a story (did you mean '"'title'"'?)"}' \
	"$TMP/v.json" >/dev/null || fail "validate --json: $(cat "$TMP/v.json")"
[ ! -s "$TMP/v.err" ] || fail "validate --json wrote to stderr: $(cat "$TMP/v.err")"
finish
