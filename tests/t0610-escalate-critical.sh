#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0610-escalate-critical: a commit blocked by a failing pre-commit hook
# raises git-commit-failure (CRITICAL): in the journal the run moves to
# PAUSED and the marker is gone; with --no-input the process exits 3 and
# prints the exact `automator answer` command. After fixing the hook,
# `automator answer ID 1` (retry commit) is recorded, and `automator
# resume` applies it: the marker is back while the run goes on, and the run
# completes with the story committed once. Also: answering a closed or
# unknown escalation, or with an option it does not offer, is exit 65.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

P=$TMP/proj
make_project "$P"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
cat >"$P/crit-sprint.yaml" <<'YAML'
project: crit
root: .
workflow: demo
agent: fake
status_file: _bmad-output/implementation-artifacts/sprint-status.yaml
stories:
  - id: "1.1"
    title: Blocked by the hook
    fake: { dev: "edit src/hooked.sh" }
  - id: "1.2"
    title: Runs after the answer
    depends_on: ["1.1"]
    fake: { dev: "edit src/after.sh ; slow" }
YAML
git -C "$P" add crit-sprint.yaml && git -C "$P" commit -q -m "critical sprint"
printf '#!/bin/sh\necho "lint failed" >&2\nexit 1\n' >"$P/.git/hooks/pre-commit"
chmod +x "$P/.git/hooks/pre-commit"

au "$P" run crit-sprint.yaml --no-input
[ "$rc" = 3 ] || { fail "run: exit $rc, want 3"; sed 's/^/  /' "$TMP/au.out" >&2; }
id=$(sql "$P" "SELECT id FROM escalations WHERE trigger = 'git-commit-failure' AND status = 'open'")
[ -n "$id" ] || fail "no open git-commit-failure escalation"
expect_grep "$TMP/au.out" "DECISION NEEDED: Git commit failure" "the message"
expect_grep "$TMP/au.out" "1) Retry commit" "option 1"
expect_grep "$TMP/au.out" "automator answer $id <1-4>" "the exact answer command"
expect_grep "$TMP/au.out" "lint failed" "the hook's output"
[ ! -e "$P/.automator/active" ] || fail "marker present while PAUSED"
[ "$(sql "$P" "SELECT state FROM runs")" = PAUSED ] || fail "run not PAUSED"
[ "$(sql "$P" "SELECT state FROM stories WHERE story_id = '1.1'")" = BLOCKED ] || fail "1.1 not BLOCKED"
[ "$(sql "$P" "SELECT category || ' ' || severity FROM escalations WHERE id = $id")" = "CRITICAL HIGH" ] ||
	fail "category and severity"
# the journal holds the escalation and the pause, the pause after it
python3 - "$P/.automator/state.db" <<'PY' || fail "journal of the pause"
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
rows = db.execute("SELECT coalesce(story_id,'run'), event, coalesce(action,''), to_state FROM transitions ORDER BY seq").fetchall()
esc = [i for i, r in enumerate(rows) if r[1] == "ESCALATE" and r[2] == "git-commit-failure"]
pause = [i for i, r in enumerate(rows) if r[0] == "run" and r[3] == "PAUSED" and r[2] == "PAUSE"]
assert len(esc) == 1 and len(pause) == 1 and esc[0] < pause[0], rows
PY

# refusals: a choice it does not offer, an unknown escalation
au "$P" answer "$id" 7
[ "$rc" = 65 ] || fail "answer with option 7: exit $rc, want 65"
expect_grep "$TMP/au.out" "has no option '7'" "bad choice message"
au "$P" answer 999 1
[ "$rc" = 1 ] || fail "answer to an unknown escalation: exit $rc, want 1 (not found)"

# fix the hook, answer 1 (retry commit), resume
rm "$P/.git/hooks/pre-commit"
au "$P" answer "$id" 1
[ "$rc" = 0 ] || { fail "answer: exit $rc"; cat "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "'automator resume' acts on it" "no live run: resume applies it"
[ "$(sql "$P" "SELECT status || ' ' || chosen FROM escalations WHERE id = $id")" = "answered 1" ] ||
	fail "answer not recorded"
au "$P" answer "$id" 1
[ "$rc" = 65 ] || fail "answering an answered escalation: exit $rc, want 65"

(cd "$P" && exec timeout 60 "$AUTOMATOR" resume --no-input) >"$TMP/resume.out" 2>&1 &
pid=$!
wait_for 30 grep -q "^1.2 dev " "$AUTOMATOR_FAKE_LOG_DIR/calls.log" || fail "1.2 never started"
[ -e "$P/.automator/active" ] || fail "marker not back after the answer"
wait "$pid"
rc=$?
[ "$rc" = 0 ] || { fail "resume: exit $rc, want 0"; sed 's/^/  /' "$TMP/resume.out" >&2; }
[ "$(sql "$P" "SELECT state FROM runs")" = COMPLETE ] || fail "run not COMPLETE"
[ "$(sql "$P" "SELECT status FROM escalations WHERE id = $id")" = closed ] || fail "escalation not closed"
[ "$(git -C "$P" log --format=%s | grep -c '^1.1:')" = 1 ] || fail "1.1 not committed exactly once"
[ "$(sql "$P" "SELECT count(*) FROM transitions WHERE action = 'UNPAUSE'")" = 1 ] || fail "no UNPAUSE"
au "$P" answer "$id" 1
[ "$rc" = 65 ] || fail "answering a closed escalation: exit $rc, want 65"
expect_grep "$TMP/au.out" "is closed" "closed escalation message"

finish
