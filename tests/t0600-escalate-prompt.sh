#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0600-escalate-prompt: on a terminal (a tmux pane of the test's own
# server), output that cannot be judged raises the PREFERENCE trigger
# cannot-parse-output with its four numbered options and `Select option
# [1-4]:`; while it waits, another story runs to completion; `9` and `abc`
# are refused and asked again; `1` (mark as success) moves the story on and
# the run completes. A second escalation, answered from another terminal
# with `automator answer`, is picked up by the live run within a second.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

P=$TMP/proj
make_project "$P"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
cat >"$P/prompt-sprint.yaml" <<'YAML'
project: prompt
root: .
workflow: demo
agent: fake
max_parallel: 2
status_file: _bmad-output/implementation-artifacts/sprint-status.yaml
stories:
  - id: "1.1"
    title: Unjudgeable output
    fake: { dev: "garbage || edit src/one.sh" }
  - id: "1.2"
    title: Meanwhile this one finishes
    fake: { dev: "edit src/two.sh ; slow" }
  - id: "1.3"
    title: Answered from another terminal
    depends_on: ["1.2"]
    fake: { dev: "garbage || edit src/three.sh" }
YAML
git -C "$P" add prompt-sprint.yaml && git -C "$P" commit -q -m "prompt sprint"

T="tmux -L prompt-test-$$ -f /dev/null"
trap '$T kill-server 2>/dev/null; tmux -L "$AUTOMATOR_TMUX_SOCKET" kill-server 2>/dev/null; rm -rf "$TMP"' EXIT
$T new-session -d -s run -x 160 -y 50 \
	"cd '$P' && env AUTOMATOR_FAKE_DELAY=0.05 AUTOMATOR_FAKE_LOG_DIR=$AUTOMATOR_FAKE_LOG_DIR \
	AUTOMATOR_TMUX_SOCKET=$AUTOMATOR_TMUX_SOCKET AUTOMATOR_DATA_DIR=$AUTOMATOR_DATA_DIR NO_COLOR=1 \
	'$AUTOMATOR' run prompt-sprint.yaml; echo EXIT=\$?; sleep 60"
screen() { $T capture-pane -p -J -S - -t run; }
on_screen() { screen | grep -q -- "$1"; }

wait_for 30 on_screen "Select option \[1-4\]:" || { fail "no prompt"; screen | tail -20 >&2; }
screen >"$TMP/s1"
for l in "DECISION NEEDED: Cannot parse session output" "1) Mark as success and proceed" \
	"2) Mark as failure and retry" "3) View full session output" "4) Pause for manual inspection"; do
	grep -qF -- "$l" "$TMP/s1" || fail "prompt lacks '$l'"
done
# the other story goes on while the prompt waits
wait_for 30 sh -c "cd '$P' && '$AUTOMATOR' status --json | grep -q '\"id\":\"1.2\",[^}]*\"state\":\"DONE\"'" ||
	fail "1.2 did not finish while the prompt waited"
[ "$(sql "$P" "SELECT state FROM stories WHERE story_id = '1.1'")" = AWAITING_DECISION ] ||
	fail "1.1 not AWAITING_DECISION"
[ -e "$P/.automator/active" ] || fail "a PREFERENCE escalation removed the marker"

# bad answers are refused and asked again
$T send-keys -t run 9 Enter
wait_for 10 on_screen "'9' is not an option: answer with 1-4" || fail "9 was not refused"
$T send-keys -t run abc Enter
wait_for 10 on_screen "'abc' is not an option: answer with 1-4" || fail "abc was not refused"
[ "$(sql "$P" "SELECT state FROM stories WHERE story_id = '1.1'")" = AWAITING_DECISION ] ||
	fail "a refused answer moved 1.1"

# 3 (view full session output) shows the session's last lines and asks again
$T send-keys -t run 3 Enter
wait_for 10 on_screen "last lines of 1.1's session" || fail "3 showed no output"
screen | sed -n "/last lines of 1.1's session/,\$p" >"$TMP/s2"
grep -q "Working on: Implement story 1.1" "$TMP/s2" || fail "the output shown is not 1.1's session"
tail -3 "$TMP/s2" | grep -q "Select option \[1-4\]:" || fail "not asked again after viewing the output"
[ "$(sql "$P" "SELECT status FROM escalations WHERE story_id = '1.1'")" = open ] ||
	fail "viewing the output closed the escalation"

# 1.3 (after 1.2) now waits too; answer 1.1 at the prompt with 1, and
# 1.3 from "another terminal" (this shell) with automator answer
$T send-keys -t run 1 Enter
wait_for 20 sh -c "[ \"\$(sqlite3 -readonly '$P/.automator/state.db' \"SELECT count(*) FROM escalations WHERE trigger = 'cannot-parse-output'\")\" = 2 ]" ||
	fail "1.3 never escalated"
id=$(sql "$P" "SELECT id FROM escalations WHERE story_id = '1.3' AND status = 'open'")
[ -n "$id" ] || fail "no open escalation for 1.3"
au "$P" answer "$id" 2
[ "$rc" = 0 ] || { fail "answer from another terminal: exit $rc"; cat "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "recorded; the live run acts on it now" "answer sees the live run"
# mark as failure and retry: the retry (attempt 2) succeeds
wait_for 30 on_screen "EXIT=0" || { fail "the run did not complete"; screen | tail -30 >&2; }
grep -q "^1.3 dev 2 " "$AUTOMATOR_FAKE_LOG_DIR/calls.log" || fail "option 2 did not retry 1.3"
grep -q "^1.1 dev 2 " "$AUTOMATOR_FAKE_LOG_DIR/calls.log" && fail "option 1 retried 1.1 instead of accepting it"
python3 - "$P/.automator/state.db" <<'PY' || fail "escalations and decisions after the run"
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
rows = db.execute("SELECT story_id, status, chosen, category, severity FROM escalations ORDER BY id").fetchall()
assert rows == [("1.1", "closed", "1", "PREFERENCE", "MEDIUM"), ("1.3", "closed", "2", "PREFERENCE", "MEDIUM")], rows
dec = db.execute("SELECT choice, applied_at IS NOT NULL FROM decisions ORDER BY id").fetchall()
assert dec == [("3", 1), ("1", 1), ("2", 1)], dec
states = dict(db.execute("SELECT story_id, state FROM stories"))
assert states == {"1.1": "DONE", "1.2": "DONE", "1.3": "DONE"}, states
j = db.execute("SELECT count(*) FROM transitions WHERE event = 'CHOSE_MARK_SUCCESS' AND story_id = '1.1'").fetchone()[0]
assert j == 1, j
PY

finish
