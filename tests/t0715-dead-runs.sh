#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154 # rc is set by au() in lib.sh
# t0715-dead-runs: a run whose process is gone is seen as gone (issue 14).
# - SIGHUP (the terminal closed) is handled like SIGTERM: exit 3, the
#   session keeps running, the marker is removed; `status` says "not
#   running ... automator resume" and status --json run.alive is false;
#   the stop hook allows the stop;
# - while the run works: status says running with its pid and heartbeat,
#   run.alive true, and the stop hook blocks;
# - kill -9: the marker stays with a dead pid; status says not running and
#   the stop hook allows, saying to resume; resume makes the marker again;
# - a run that exits 3 on a PREFERENCE escalation (--no-input) leaves no
#   marker;
# - `automator abort` from another terminal: the run's own terminal says it
#   was aborted (not "continue with automator resume"), exit 1;
# - status --json signals, at the top (with their story) and per story,
#   each with a reason code and since when: idle (a session silent for 10
#   minutes, by the test clock), stuck_in_progress (the process gone),
#   session_dead (its tmux session gone), awaiting_decision;
# - a restarted session that works restart_reset_after gets its restart
#   budget back (PROGRESSED, journaled): a later stall is restarted again
#   instead of raising restart-loop, and the story completes.
. "$(dirname "$0")/lib.sh"
need tmux git jq sqlite3

P=$TMP/proj
make_project "$P"
cat >"$P/hang.yaml" <<'YAML'
project: dead
root: .
workflow: demo
agent: fake
stories:
  - id: "1.1"
    title: Hangs
    fake: { dev: hang }
YAML
git -C "$P" add hang.yaml && git -C "$P" commit -qm "hanging sprint"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
hook() { # the stop hook in P, as Claude Code calls it
	(cd "$P" && printf '{"stop_hook_active":false}' | "$HELPER" stop-hook) >"$TMP/hook.out" 2>"$TMP/hook.err"
}
started() { wait_for 30 grep -q "^1.1 dev " "$AUTOMATOR_FAKE_LOG_DIR/calls.log"; }

# ---- live, then SIGHUP ----
(cd "$P" && exec "$AUTOMATOR" run hang.yaml --no-input) >"$TMP/run.out" 2>&1 &
pid=$!
started || fail "the dev session never started"
wait_for 10 test -e "$P/.automator/active" || fail "no marker while the run works"
(cd "$P" && "$AUTOMATOR" status) >"$TMP/st.txt" 2>&1
expect_grep "$TMP/st.txt" "running: pid $pid, heartbeat [0-9]*s ago" "status: running, pid and heartbeat"
status_json "$P" >"$TMP/st.json"
jq -e ".run.alive == true and .run.pid == $pid and (.run.heartbeat_age_seconds | type) == \"number\"" \
	"$TMP/st.json" >/dev/null || fail "status --json while running: $(jq -c .run "$TMP/st.json")"
jq -e '.signals == [] and .stories[0].signals == []' "$TMP/st.json" >/dev/null ||
	fail "signals of a run that works: $(jq -c '.signals' "$TMP/st.json")"
# its session silent for 10 minutes (by the test clock): idle, since its last output
echo 700000 >"$TMP/clock"
(cd "$P" && AUTOMATOR_TEST_CLOCK=$TMP/clock "$AUTOMATOR" status --json) >"$TMP/st.json"
jq -e '[.signals[] | select(.code == "idle" and .story == "1.1" and (.since | test("^[0-9-]+T")))] | length == 1' \
	"$TMP/st.json" >/dev/null || fail "no idle signal: $(jq -c '.signals' "$TMP/st.json")"
jq -e '[.stories[0].signals[] | select(.code == "idle")] | length == 1' "$TMP/st.json" >/dev/null ||
	fail "no idle signal on the story: $(jq -c '.stories[0].signals' "$TMP/st.json")"
hook
jq -e '.decision == "block"' "$TMP/hook.out" >/dev/null || fail "the stop hook let a live run's agent stop"
kill -HUP "$pid"
wait "$pid"
[ "$?" = 3 ] || fail "SIGHUP: want exit 3"
expect_grep "$TMP/run.out" "interrupted: sessions keep running" "SIGHUP: said like SIGTERM"
[ -e "$P/.automator/active" ] && fail "SIGHUP: the marker stayed"
tmux -L "$AUTOMATOR_TMUX_SOCKET" list-sessions -F "#{session_name}" 2>/dev/null | grep -q -- "-1_1-dev-1$" ||
	fail "SIGHUP: the session did not keep running"
(cd "$P" && "$AUTOMATOR" status) >"$TMP/st.txt" 2>&1
expect_grep "$TMP/st.txt" "not running (pid $pid is gone): continue with \`automator resume\`" "status after SIGHUP"
status_json "$P" >"$TMP/st.json"
jq -e '.run.alive == false and .run.heartbeat_age_seconds == null' "$TMP/st.json" >/dev/null ||
	fail "status --json after SIGHUP: $(jq -c .run "$TMP/st.json")"
jq -e '[.signals[] | select(.code == "stuck_in_progress" and .story == null and .since != null)] | length == 1' \
	"$TMP/st.json" >/dev/null || fail "no stuck_in_progress signal: $(jq -c '.signals' "$TMP/st.json")"
hook
[ -s "$TMP/hook.out" ] && fail "the stop hook blocked after SIGHUP: $(cat "$TMP/hook.out")"

# ---- resume, then kill -9: the marker stays, but nothing is fooled ----
(cd "$P" && exec "$AUTOMATOR" resume --no-input) >"$TMP/resume.out" 2>&1 &
pid=$!
wait_for 10 sh -c "jq -e '.pid == $pid' '$P/.automator/active'" || fail "resume did not make the marker again"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
[ -e "$P/.automator/active" ] || fail "kill -9: no marker left (nothing could remove it)"
(cd "$P" && "$AUTOMATOR" status) >"$TMP/st.txt" 2>&1
expect_grep "$TMP/st.txt" "not running (pid $pid is gone)" "status after kill -9"
status_json "$P" | jq -e '.run.alive == false' >/dev/null || fail "status --json after kill -9: alive"
hook
[ -s "$TMP/hook.out" ] && fail "the stop hook blocked for a dead pid: $(cat "$TMP/hook.out")"
expect_grep "$TMP/hook.err" "pid $pid) is not running.*automator resume" "the hook says why it allows"
# its session gone too: session_dead
tmux -L "$AUTOMATOR_TMUX_SOCKET" kill-server 2>/dev/null
status_json "$P" >"$TMP/st.json"
jq -e '[.stories[0].signals[] | select(.code == "session_dead" and (.detail | test("1_1-dev")))] | length == 1' \
	"$TMP/st.json" >/dev/null || fail "no session_dead signal: $(jq -c '.signals' "$TMP/st.json")"
au "$P" abort
[ "$rc" = 0 ] || fail "abort: exit $rc"

# ---- exit 3 on a PREFERENCE escalation: no marker ----
Q=$TMP/pref
make_project "$Q"
cat >"$Q/ask.yaml" <<'YAML'
project: pref
root: .
workflow: demo
agent: fake
stories:
  - id: "1.1"
    title: Asks
    fake: { dev: "edit src/a.sh ; ask" }
YAML
git -C "$Q" add ask.yaml && git -C "$Q" commit -qm "asking sprint"
au "$Q" run ask.yaml --no-input
[ "$rc" = 3 ] || fail "preference: exit $rc, want 3"
expect_grep "$TMP/au.out" "Agent needs input" "preference: the escalation"
[ -e "$Q/.automator/active" ] && fail "preference: the marker outlived the run"
status_json "$Q" >"$TMP/st.json"
jq -e '[.signals[] | select(.code == "awaiting_decision" and .story == "1.1" and (.detail | test("agent-needs-input")) and .since != null)] | length == 1' \
	"$TMP/st.json" >/dev/null || fail "no awaiting_decision signal: $(jq -c '.signals' "$TMP/st.json")"
au "$Q" abort

# ---- the restart budget is whole again after the step made progress ----
B=$TMP/budget
make_project "$B"
cat >"$B/stall.yaml" <<'YAML'
project: budget
root: .
workflow: demo
agent: fake
limits: { crash_retries: 1, restart_reset_after: 30s }
stories:
  - id: "1.1"
    title: Stalls twice
    fake: { dev: "hang || hang || edit src/b.sh" }
YAML
git -C "$B" add stall.yaml && git -C "$B" commit -qm "stalling sprint"
echo 0 >"$TMP/bclock"
: >"$AUTOMATOR_FAKE_LOG_DIR/calls.log"
(cd "$B" && AUTOMATOR_TEST_CLOCK=$TMP/bclock exec "$AUTOMATOR" run stall.yaml --no-input) >"$TMP/brun.out" 2>&1 &
pid=$!
dev_log() { sh -c "grep -q Thinking '$B'/.automator/logs/*/1.1-dev-$1.log" 2>/dev/null; }
wait_for 30 dev_log 1 || fail "budget: attempt 1 printed nothing"
clock_advance "$TMP/bclock" 5000 dev_log 2 || fail "budget: attempt 2 never ran"
grep -q "printed nothing for 120s: looking again in 12s" "$TMP/brun.out" || fail "budget: no idle check said"
# attempt 2 works 30 s (it printed, it is not idle): forgiven
clock_advance "$TMP/bclock" 5000 grep -q "the restart budget is whole again" "$TMP/brun.out" || fail "budget: not reset"
# its stall then costs a restart, not restart-loop: attempt 3 ends the story
clock_advance "$TMP/bclock" 5000 grep -q "stories done" "$TMP/brun.out" || fail "budget: the run did not end"
wait "$pid"
brc=$?
[ "$brc" = 0 ] || { fail "budget: exit $brc, want 0"; tail -20 "$TMP/brun.out" >&2; }
grep -q "Restart loop" "$TMP/brun.out" && fail "budget: restart-loop raised although the budget was reset"
[ "$(sql "$B" "SELECT count(*) FROM transitions WHERE event = 'PROGRESSED' AND action = 'RESET_RESTARTS'")" = 1 ] ||
	fail "budget: the reset is not journaled"
[ "$(grep -c '^1.1 dev ' "$AUTOMATOR_FAKE_LOG_DIR/calls.log")" = 3 ] || fail "budget: want 3 dev sessions"

# ---- abort from another terminal: the run's terminal tells the truth ----
A=$TMP/abort
make_project "$A"
cp "$P/hang.yaml" "$A/hang.yaml"
git -C "$A" add hang.yaml && git -C "$A" commit -qm "hanging sprint"
: >"$AUTOMATOR_FAKE_LOG_DIR/calls.log"
(cd "$A" && exec "$AUTOMATOR" run hang.yaml --no-input) >"$TMP/arun.out" 2>&1 &
pid=$!
started || fail "abort: the dev session never started"
au "$A" abort
[ "$rc" = 0 ] || fail "abort: exit $rc"
wait "$pid"
arc=$?
[ "$arc" = 1 ] || fail "the aborted run exited $arc, want 1"
expect_grep "$TMP/arun.out" "aborted by \`automator abort\` (pid [0-9]*) from another terminal" \
	"the run's terminal says it was aborted"
grep -q "automator resume" "$TMP/arun.out" && fail "the aborted run's terminal says to resume"
[ -e "$A/.automator/aborting" ] && fail "abort left its note"
[ "$(sql "$A" "SELECT state FROM runs")" = ABORTED ] || fail "the run is not ABORTED"

finish
