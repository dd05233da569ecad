#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0635-changelog: decisions written where the work lives (issue 14), the
# `changelog` notification route. Worktrees (the default):
# - an agent's output no one can parse (cannot-parse-output) answered
#   "mark as success" from another terminal with a reason: a dated entry
#   (the escalation, its evidence, the options, the choice, who answered,
#   why) in docs/decisions/1.1.md, committed with the story by its commit
#   step, on the target after the integration;
# - an integration conflict answered "let an agent resolve it": the story
#   is past its commit, so the entry is a commit of its own on the story's
#   branch, integrated with it;
# - without the route, nothing is written;
# - a changelog path out of the project is refused (exit 65, file:line:col).
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
ROUTES='notify: { routes: { MEDIUM: [log, changelog], HIGH: [log, changelog], CRITICAL: [log, changelog] } }'

# ---- answered during the story's work: in its commit ----
P=$TMP/proj
make_project "$P"
cat >"$P/garbage.yaml" <<YAML
project: changelog
root: .
workflow: demo
agent: fake
$ROUTES
stories:
  - id: "1.1"
    title: Garbage first
    fake: { dev: "garbage || edit src/g.sh" }
YAML
git -C "$P" add garbage.yaml && git -C "$P" commit -qm "garbage sprint"
start=$(git -C "$P" rev-parse HEAD)
au "$P" run garbage.yaml --no-input
[ "$rc" = 3 ] || { fail "garbage: exit $rc, want 3"; tail -20 "$TMP/au.out" >&2; }
id=$(sql "$P" "SELECT id FROM escalations WHERE \"trigger\" = 'cannot-parse-output' AND status = 'open'")
[ -n "$id" ] || fail "no cannot-parse-output escalation"
(cd "$P" && "$AUTOMATOR" answer "$id" 1 --reply "the output is fine; the parser is strict") >/dev/null 2>&1 ||
	fail "answer: exit $?"
au "$P" resume --no-input
[ "$rc" = 0 ] || { fail "resume: exit $rc"; tail -20 "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "decision written to docs/decisions/1.1.md" "the entry is said"
c=$(git -C "$P" log --format=%H --grep '^1.1:' "$start"..HEAD)
git -C "$P" show --name-only --format= "$c" | grep -qx docs/decisions/1.1.md ||
	fail "the decision is not in the story's commit: $(git -C "$P" show --stat --format= "$c")"
f=$P/docs/decisions/1.1.md
[ -f "$f" ] || fail "no decisions file on the target"
expect_grep "$f" "^# Decisions: story 1.1 (Garbage first)" "the file's title"
expect_grep "$f" "^## 20[0-9-]* [0-9:]* UTC: .*(cannot-parse-output, PREFERENCE)" "a dated entry naming the trigger"
expect_grep "$f" "^Story 1.1 (Garbage first), step dev, attempt 1; run [0-9a-f-]*, escalation $id" "the story, step, run and escalation"
expect_grep "$f" "^> " "the evidence, quoted"
expect_grep "$f" "^Options: 1. Mark as success and proceed; 2. " "the options"
expect_grep "$f" "^Decision: \*\*1. Mark as success and proceed\*\*, answered by " "the choice and who answered"
expect_grep "$f" "^Why: the output is fine; the parser is strict" "why"
[ -z "$(git -C "$P" status --porcelain -- docs)" ] || fail "the decisions file is left uncommitted"

# ---- answered past the story's commit (an integration conflict): a commit of its own ----
R=$TMP/resolve
make_project "$R"
cat >"$R/conflict.yaml" <<YAML
project: conflict
root: .
workflow: demo
agent: fake
max_parallel: 2
$ROUTES
stories:
  - id: "1.1"
    title: One side
    fake: { dev: "edit src/shared.sh" }
  - id: "1.2"
    title: The other side
    fake: { dev: "edit src/shared.sh ; slow" }
YAML
git -C "$R" add conflict.yaml && git -C "$R" commit -qm "conflict sprint"
rstart=$(git -C "$R" rev-parse HEAD)
au "$R" run conflict.yaml --no-input
[ "$rc" = 3 ] || { fail "conflict: exit $rc, want 3"; tail -20 "$TMP/au.out" >&2; }
id=$(sql "$R" "SELECT id FROM escalations WHERE \"trigger\" = 'integration-conflict' AND status = 'open'")
[ -n "$id" ] || fail "no integration-conflict escalation"
(cd "$R" && "$AUTOMATOR" answer "$id" 2) >/dev/null 2>&1 || fail "answer resolve: exit $?"
au "$R" resume --no-input
[ "$rc" = 0 ] || { fail "resume after resolve: exit $rc"; tail -20 "$TMP/au.out" >&2; }
git -C "$R" log --format=%s "$rstart"..HEAD | grep -qx "1.2: decision on integration-conflict" ||
	fail "no decision commit: $(git -C "$R" log --oneline "$rstart"..HEAD)"
expect_grep "$R/docs/decisions/1.2.md" "^Decision: \*\*2. Let an agent resolve it" "the resolve decision"
expect_grep "$R/docs/decisions/1.2.md" "^Why: no reason given" "no reason given"
[ -z "$(git -C "$R" status --porcelain -- docs)" ] || fail "resolve: the decisions file is left uncommitted"

# ---- no route, no file ----
N=$TMP/noroute
make_project "$N"
grep -v '^notify:' "$P/garbage.yaml" >"$N/garbage.yaml"
git -C "$N" add garbage.yaml && git -C "$N" commit -qm "garbage sprint"
au "$N" run garbage.yaml --no-input
id=$(sql "$N" "SELECT id FROM escalations WHERE status = 'open'")
(cd "$N" && "$AUTOMATOR" answer "$id" 1) >/dev/null 2>&1
au "$N" resume --no-input
[ "$rc" = 0 ] || fail "no route: exit $rc"
[ -e "$N/docs/decisions" ] && fail "no route, yet a decisions file"

# ---- a path out of the project ----
sed -e 's|^notify: {|notify: { changelog: "../outside/{story.id}.md",|' "$P/garbage.yaml" >"$TMP/bad.yaml"
(cd "$P" && "$AUTOMATOR" validate "$TMP/bad.yaml") >"$TMP/bad.out" 2>&1
rc=$?
[ "$rc" = 65 ] || fail "changelog outside the project: exit $rc, want 65"
expect_grep "$TMP/bad.out" "bad.yaml:[0-9]*:[0-9]*: .*changelog must be a file's path inside the project" "file:line:col"
finish
