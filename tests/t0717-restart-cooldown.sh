#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154 # rc is set by au() in lib.sh
# t0717-restart-cooldown: restarts back off (issue 14). An agent that crashes
# three times, then works, with crash_retries 3, restart_cooldown 20s and
# restart_cooldown_max 30s, on the test clock:
# - the first restart is at once (RETRY_STEP); the second waits 20 s and the
#   third 30 s (40 s capped): each a COOLDOWN_RESTART into WAITING whose
#   journaled intent says until when (reason restart-cooldown), then
#   WAIT_OVER / RESUME_STEP; no attempt starts before its time;
# - status --json says restart_cooldown (not waiting_on_limit) meanwhile;
# - kill -9 during the second cooldown: resume waits until the same time
#   (journaled), and the story completes with its 4 sessions;
# - with restart_cooldown 0 every restart is at once.
. "$(dirname "$0")/lib.sh"
need tmux git jq sqlite3

export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
P=$TMP/proj
make_project "$P"
sprint() { # FILE COOLDOWN
	cat >"$P/$1" <<YAML
project: cooldown
root: .
workflow: demo
agent: fake
isolation: shared
limits: { crash_retries: 3, restart_cooldown: $2, restart_cooldown_max: 30s }
stories:
  - id: "1.1"
    title: Crashes thrice
    fake: { dev: "crash || crash || crash || edit src/c.sh" }
YAML
}
sprint crash.yaml 20s
sprint crash0.yaml 0
git -C "$P" add crash.yaml crash0.yaml && git -C "$P" commit -qm "crashing sprints"
sessions() { grep -c '^1.1 dev ' "$AUTOMATOR_FAKE_LOG_DIR/calls.log" 2>/dev/null || echo 0; }
cooldowns() { sql "$P" "SELECT count(*) FROM transitions WHERE action = 'COOLDOWN_RESTART'"; }
until_of() { # N: the until of the Nth cooldown, as unix seconds
	sql "$P" "SELECT json_extract(intent, '\$.until') FROM transitions WHERE action = 'COOLDOWN_RESTART' ORDER BY seq LIMIT 1 OFFSET $(($1 - 1))" |
		python3 -c 'import sys, datetime; print(int(datetime.datetime.fromisoformat(sys.stdin.read().strip().replace("Z", "+00:00")).timestamp()))'
}
at_of() { # N
	sql "$P" "SELECT at FROM transitions WHERE action = 'COOLDOWN_RESTART' ORDER BY seq LIMIT 1 OFFSET $(($1 - 1))" |
		python3 -c 'import sys, datetime; print(int(datetime.datetime.fromisoformat(sys.stdin.read().strip().replace("Z", "+00:00")).timestamp()))'
}

echo 0 >"$TMP/clock"
export AUTOMATOR_TEST_CLOCK=$TMP/clock
(cd "$P" && exec "$AUTOMATOR" run crash.yaml --no-input) >"$TMP/run.out" 2>&1 &
pid=$!
wait_for 30 sh -c "[ \"\$(sqlite3 '$P/.automator/state.db' \"SELECT count(*) FROM transitions WHERE action = 'COOLDOWN_RESTART'\" 2>/dev/null)\" = 1 ]" ||
	fail "no cooldown after the second crash: $(tail -5 "$TMP/run.out")"
[ "$(sessions)" = 2 ] || fail "want 2 sessions before the first cooldown, got $(sessions)"
[ "$(sql "$P" "SELECT count(*) FROM transitions WHERE action = 'RETRY_STEP'")" = 1 ] ||
	fail "the first restart is not at once"
[ "$(sql "$P" "SELECT json_extract(intent, '\$.reason') FROM transitions WHERE action = 'COOLDOWN_RESTART'")" = restart-cooldown ] ||
	fail "the cooldown's reason is not journaled"
# 20 s in the journal (the test clock has not moved yet; a second of slack)
d=$(($(until_of 1) - $(at_of 1)))
[ "$d" -ge 19 ] && [ "$d" -le 21 ] || fail "first cooldown: $d s, want 20"
status_json "$P" >"$TMP/st.json"
jq -e '.stories[0].state == "WAITING" and .stories[0].waiting_reason == "restart-cooldown" and
	(.signals | map(.code) | index("restart_cooldown") != null) and
	(.signals | map(.code) | index("waiting_on_limit") == null)' "$TMP/st.json" >/dev/null ||
	fail "status during a cooldown: $(jq -c '{s: .stories[0], g: .signals}' "$TMP/st.json")"
sleep 1.5
[ "$(sessions)" = 2 ] || fail "a session started before its cooldown ended"
clock_advance "$TMP/clock" 1000 sh -c "[ \"\$(sqlite3 '$P/.automator/state.db' \"SELECT count(*) FROM transitions WHERE action = 'COOLDOWN_RESTART'\")\" = 2 ]" ||
	fail "no second cooldown"
[ "$(sessions)" = 3 ] || fail "want 3 sessions before the second cooldown, got $(sessions)"
# the journal's times are the machine's; until is by the test clock, moved on since
d=$(($(until_of 2) - $(at_of 2) - $(cat "$TMP/clock") / 1000))
[ "$d" -ge 29 ] && [ "$d" -le 31 ] || fail "second cooldown: $d s, want 30 (40 capped)"
# kill -9 during it: resume keeps the journaled end
kill -KILL "$pid"
wait "$pid" 2>/dev/null
(cd "$P" && exec "$AUTOMATOR" resume --no-input) >"$TMP/resume.out" 2>&1 &
pid=$!
sleep 2
[ "$(sessions)" = 3 ] || fail "resume started a session before the cooldown ended"
clock_advance "$TMP/clock" 5000 grep -q "stories done" "$TMP/resume.out" || fail "the story never completed"
wait "$pid"
rc=$?
[ "$rc" = 0 ] || { fail "resume: exit $rc"; tail -20 "$TMP/resume.out" >&2; }
[ "$(sessions)" = 4 ] || fail "want 4 sessions, got $(sessions)"
[ "$(sql "$P" "SELECT count(*) FROM transitions WHERE action = 'RESUME_STEP'")" = 2 ] ||
	fail "want a RESUME_STEP after each cooldown"
[ "$(sql "$P" "SELECT state FROM stories")" = DONE ] || fail "the story is not done"

# ---- restart_cooldown 0: every restart at once ----
rm -f "$TMP/clock"
unset AUTOMATOR_TEST_CLOCK
Z=$TMP/zero
make_project "$Z"
cp "$P/crash0.yaml" "$Z/" && git -C "$Z" add crash0.yaml && git -C "$Z" commit -qm "crashing sprint"
au "$Z" run crash0.yaml --no-input
[ "$rc" = 0 ] || { fail "cooldown 0: exit $rc"; tail -20 "$TMP/au.out" >&2; }
[ "$(sql "$Z" "SELECT count(*) FROM transitions WHERE action = 'COOLDOWN_RESTART'")" = 0 ] ||
	fail "cooldown 0: a restart waited"
[ "$(sql "$Z" "SELECT count(*) FROM transitions WHERE action = 'RETRY_STEP'")" = 3 ] ||
	fail "cooldown 0: want 3 restarts at once"
finish
