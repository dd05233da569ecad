#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0450-run-escalations: the other ways a step ends in an escalation, with
# timeouts driven by the test clock ($AUTOMATOR_TEST_CLOCK), not by sleeps:
# a silent session is restarted after idle_timeout, found silent on two
# checks in a row, then escalates restart-loop once the budget is spent,
# with each attempt's evidence; a failing pre-commit hook raises
# git-commit-failure (CRITICAL: the run pauses); output that cannot be
# judged raises cannot-parse-output; an agent waiting at a prompt raises
# agent-needs-input (PREFERENCE: other stories go on).
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

P=$TMP/proj
make_project "$P"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake AUTOMATOR_TEST_CLOCK=$TMP/clock
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
echo 0 >"$AUTOMATOR_TEST_CLOCK"
cat >"$P/esc-sprint.yaml" <<'YAML'
project: esc
root: .
workflow: demo
agent: fake
max_parallel: 4
status_file: _bmad-output/implementation-artifacts/sprint-status.yaml
limits: { review_cycles: 2, crash_retries: 1, idle_timeout: 1m, step_timeout: 1h }
stories:
  - id: "1.1"
    title: Goes silent
    fake: { dev: hang }
  - id: "1.2"
    title: Blocked by the pre-commit hook
    fake: { dev: "edit src/hooked.sh" }
  - id: "1.3"
    title: Prints nothing judgeable
    fake: { dev: garbage }
  - id: "1.4"
    title: Asks a question
    fake: { dev: ask }
YAML
git -C "$P" add esc-sprint.yaml && git -C "$P" commit -q -m "escalation sprint"
printf '#!/bin/sh\necho "lint failed: src/hooked.sh" >&2\nexit 1\n' >"$P/.git/hooks/pre-commit"
chmod +x "$P/.git/hooks/pre-commit"

(cd "$P" && exec "$AUTOMATOR" run esc-sprint.yaml --no-input) >"$TMP/run.out" 2>&1 &
runpid=$!
calls() { grep -c "^$1 $2 " "$AUTOMATOR_FAKE_LOG_DIR/calls.log" 2>/dev/null; }

wait_for 30 grep -q "^1.1 dev 1 " "$AUTOMATOR_FAKE_LOG_DIR/calls.log" || fail "1.1 never started"
wait_for 30 sh -c "grep -q Thinking '$P'/.automator/logs/*/1.1-dev-1.log" || fail "attempt 1 printed nothing"
# the others reach their escalations while 1.1 hangs
wait_for 30 grep -q "DECISION NEEDED: Git commit failure" "$TMP/run.out" || fail "no git-commit-failure"
wait_for 30 grep -q "DECISION NEEDED: Cannot parse session output" "$TMP/run.out" || fail "no cannot-parse-output"
wait_for 30 grep -q "DECISION NEEDED: Agent needs input" "$TMP/run.out" || fail "no agent-needs-input"
[ "$(calls 1.1 dev)" = 1 ] || fail "1.1 restarted before its idle timeout"

# one idle_timeout later (the dev step says 2m; by the clock, not by sleeping)
# 1.1 is restarted
# 1.1 is found silent, looked at again a tenth of the limit later (12 s), and
# only then restarted: two checks in a row corroborate it
echo 125000 >"$AUTOMATOR_TEST_CLOCK"
wait_for 30 grep -q "1.1 .*printed nothing for 120s: looking again in 12s" "$TMP/run.out" ||
	fail "1.1: the first idle check was not said"
sleep 0.5
[ "$(calls 1.1 dev)" = 1 ] || fail "1.1 restarted on one idle check"
# (the second check may need more than one step of the clock when the run
# read the agent's output only after the first jump)
CLOCK_MS=125000
clock_advance "$AUTOMATOR_TEST_CLOCK" 13000 grep -q "^1.1 dev 2 " "$AUTOMATOR_FAKE_LOG_DIR/calls.log" || fail "1.1 not restarted after idle_timeout"
# the budget (crash_retries: 1) is spent: the next idle timeout escalates
# (once the restarted agent has printed its line: output restarts the clock)
wait_for 30 sh -c "grep -q Thinking '$P'/.automator/logs/*/1.1-dev-2.log" || fail "attempt 2 printed nothing"
sleep 0.5
clock_advance "$AUTOMATOR_TEST_CLOCK" 13000 grep -q "DECISION NEEDED: Restart loop" "$TMP/run.out" || fail "no restart-loop escalation"
[ "$(grep -c 'looking again in 12s' "$TMP/run.out")" -ge 2 ] ||
	fail "1.1: the second attempt's first idle check was not said"
# with the evidence: each attempt, its end, what was done, its last lines
expect_grep "$TMP/run.out" "attempts of step dev:" "restart-loop: the attempts"
expect_grep "$TMP/run.out" "#1 au-.*-1_1-dev-1, started .*; then restarted" "restart-loop: attempt 1"
expect_grep "$TMP/run.out" "#2 au-.*-1_1-dev-2, started .*; then stopped" "restart-loop: attempt 2"
expect_grep "$TMP/run.out" "  | .*Thinking" "restart-loop: the log's last lines"
wait "$runpid"
rc=$?
[ "$rc" = 3 ] || { fail "run exited $rc, want 3"; sed 's/^/  /' "$TMP/run.out" >&2; }
[ "$(calls 1.1 dev)" = 2 ] || fail "1.1: want 2 dev sessions, got $(calls 1.1 dev)"

status_json "$P" >"$TMP/status.json"
python3 - "$TMP/status.json" <<'PY' || fail "status after the escalations"
import json, sys
s = json.load(open(sys.argv[1]))
by = {x["id"]: (x["state"], x["escalation_reasons"]) for x in s["stories"]}
assert by["1.1"] == ("BLOCKED", ["restart-loop"]), by
assert by["1.2"] == ("BLOCKED", ["git-commit-failure"]), by
assert by["1.3"] == ("AWAITING_DECISION", ["cannot-parse-output"]), by
assert by["1.4"] == ("AWAITING_DECISION", ["agent-needs-input"]), by
assert s["run"]["state"] == "PAUSED", s["run"]
PY
expect_grep "$TMP/run.out" "lint failed: src/hooked.sh" "the hook's message is shown"
# nothing was committed for the hooked story, and its change is still there
[ "$(git -C "$P" log --format=%s | grep -c '^1.2:')" = 0 ] || fail "1.2 committed despite the hook"
# (in the story's own worktree, where its agent made it)
[ -n "$(git -C "$P/.automator/worktrees/1.2" status --porcelain -- src/hooked.sh)" ] ||
	fail "1.2's change was lost"
[ -e "$P/src/hooked.sh" ] && fail "1.2's change reached the project's tree"
# the asking agent is still at its prompt, waiting for an answer
tmux -L "$AUTOMATOR_TMUX_SOCKET" list-sessions -F '#{session_name}' | grep -q -- '-1_4-dev-1$' ||
	fail "the asking agent's session is gone"

finish
