#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0630-escalate-routes: notification routes and stale re-escalation. A
# `command` route receives AUTOMATOR_ESCALATION_* in its environment and
# its failure is logged, never fatal; the `log` route writes JSON lines. An
# open, unacknowledged escalation is sent again one severity higher once per
# stale_after (driven by the test clock), at most max_reescalations times;
# acknowledging stops it. escalations list/ack/close from the command line;
# close is refused while the run waits on the escalation, and for an answer
# not yet acted on.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

P=$TMP/proj
make_project "$P"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake AUTOMATOR_TEST_CLOCK=$TMP/clock
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
echo 0 >"$AUTOMATOR_TEST_CLOCK"
cat >"$TMP/hook.sh" <<'SH'
#!/bin/sh
env | grep '^AUTOMATOR_ESCALATION_' | sort >>"$HOOK_OUT"
echo "--" >>"$HOOK_OUT"
exit 1
SH
export HOOK_OUT=$TMP/hook.out
# the demo workflow, with timeouts long enough for the clock jumps below
sed -e 's/timeout: 10m/timeout: 1d/' -e 's/idle_timeout: 2m/idle_timeout: 1d/' \
	"$AUTOMATOR_DATA_DIR/workflows/demo.yaml" >"$P/slow-demo.yaml"
cat >"$P/routes-sprint.yaml" <<YAML
project: routes
root: .
workflow: ./slow-demo.yaml
limits: { idle_timeout: 1d, step_timeout: 1d }
agent: fake
max_parallel: 2
status_file: _bmad-output/implementation-artifacts/sprint-status.yaml
notify:
  routes: { MEDIUM: [log, command], HIGH: [log, command], CRITICAL: [log, command] }
  command: [sh, "$TMP/hook.sh"]
  stale_after: 10m
  max_reescalations: 2
stories:
  - id: "1.1"
    title: Garbage
    fake: { dev: garbage }
  - id: "1.2"
    title: Keeps the run alive
    fake: { dev: hang }
YAML
git -C "$P" add routes-sprint.yaml slow-demo.yaml && git -C "$P" commit -q -m "routes sprint"

(cd "$P" && exec "$AUTOMATOR" run routes-sprint.yaml --no-input) >"$TMP/run.out" 2>&1 &
pid=$!
wait_for 30 grep -q -- "--" "$HOOK_OUT" || { fail "the command route never ran"; cat "$TMP/run.out" >&2; }
id=$(sql "$P" "SELECT id FROM escalations WHERE trigger = 'cannot-parse-output'")
run=$(sql "$P" "SELECT id FROM runs")
python3 - "$HOOK_OUT" "$id" "$run" <<'PY' || fail "command route environment"
import sys
blocks = open(sys.argv[1]).read().split("--\n")
env = dict(l.split("=", 1) for l in blocks[0].splitlines() if "=" in l)
assert env["AUTOMATOR_ESCALATION_ID"] == sys.argv[2], env
assert env["AUTOMATOR_ESCALATION_SEVERITY"] == "MEDIUM", env
assert env["AUTOMATOR_ESCALATION_TRIGGER"] == "cannot-parse-output", env
assert env["AUTOMATOR_ESCALATION_STORY"] == "1.1", env
assert env["AUTOMATOR_ESCALATION_MESSAGE"].startswith("DECISION NEEDED: Cannot parse session output"), env
PY
# the hook failed (exit 1): logged, and the run goes on
wait_for 10 grep -q "notify: " "$TMP/run.out" || fail "the hook's failure was not logged"
kill -0 "$pid" 2>/dev/null || fail "a failing hook stopped the run"
python3 - "$P/.automator/escalations.jsonl" "$id" <<'PY' || fail "log route"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 1, lines
e = lines[0]
assert e["id"] == int(sys.argv[2]) and e["severity"] == "MEDIUM" and e["trigger"] == "cannot-parse-output", e
PY

sent() { grep -c '^AUTOMATOR_ESCALATION_SEVERITY=' "$HOOK_OUT"; }
# not stale yet: nothing more
echo 300000 >"$AUTOMATOR_TEST_CLOCK"
sleep 1.5
[ "$(sent)" = 1 ] || fail "re-sent before stale_after"
# each stale_after since the last notification: one severity higher
echo 610000 >"$AUTOMATOR_TEST_CLOCK"
wait_for 10 sh -c "[ \$(grep -c '^AUTOMATOR_ESCALATION_SEVERITY=' '$HOOK_OUT') = 2 ]" || fail "not re-sent after stale_after"
echo 1220000 >"$AUTOMATOR_TEST_CLOCK"
wait_for 10 sh -c "[ \$(grep -c '^AUTOMATOR_ESCALATION_SEVERITY=' '$HOOK_OUT') = 3 ]" || fail "not re-sent a second time"
# the cap (max_reescalations: 2) holds
echo 1830000 >"$AUTOMATOR_TEST_CLOCK"
sleep 1.5
[ "$(sent)" = 3 ] || fail "re-sent past max_reescalations"
[ "$(grep '^AUTOMATOR_ESCALATION_SEVERITY=' "$HOOK_OUT" | cut -d= -f2 | tr '\n' ' ')" = "MEDIUM HIGH CRITICAL " ] ||
	fail "severities: $(grep '^AUTOMATOR_ESCALATION_SEVERITY=' "$HOOK_OUT" | cut -d= -f2 | tr '\n' ' ')"
[ "$(sql "$P" "SELECT severity || ' ' || reescalations FROM escalations WHERE id = $id")" = "CRITICAL 2" ] ||
	fail "escalation row after re-escalation"

# escalations list/ack/close
au "$P" escalations list --open --json
[ "$rc" = 0 ] || fail "escalations list: exit $rc"
python3 - "$TMP/au.out" "$id" <<'PY' || fail "escalations list --json"
import json, sys
rows = json.load(open(sys.argv[1]))  # one array, the whole output
assert isinstance(rows, list) and len(rows) == 1, rows
e = rows[0]
assert e["id"] == int(sys.argv[2]) and e["status"] == "open" and e["story"] == "1.1", e
assert [o["key"] for o in e["options"]] == ["1", "2", "3", "4"], e["options"]
assert e["options"][0]["action"] == "mark_success", e["options"]
PY
au "$P" escalations ack "$id"
[ "$rc" = 0 ] || fail "ack: exit $rc"
[ "$(sql "$P" "SELECT status FROM escalations WHERE id = $id")" = acked ] || fail "not acked"
au "$P" escalations ack "$id"
[ "$rc" = 65 ] || fail "acking twice: exit $rc, want 65"
au "$P" escalations close 999 --reason x
[ "$rc" = 1 ] || fail "closing an unknown escalation: exit $rc, want 1 (not found)"
au "$P" escalations close "$id"
[ "$rc" = 64 ] || fail "close without --reason: exit $rc, want 64"
# the run waits on it: closing is refused (the story would wait for ever)
au "$P" escalations close "$id" --reason "handled by hand"
[ "$rc" = 65 ] || fail "close while the run waits on it: exit $rc, want 65"
expect_grep "$TMP/au.out" "waits on escalation $id (cannot-parse-output, story 1.1): answer it" \
	"close refused: says why and what to do"
[ "$(sql "$P" "SELECT status FROM escalations WHERE id = $id")" = acked ] || fail "a refused close changed it"
# an answer recorded but not yet acted on (the run frozen) is never withdrawn
kill -STOP "$pid"
au "$P" answer "$id" 1
[ "$rc" = 0 ] || fail "answer: exit $rc"
au "$P" escalations close "$id" --reason "changed my mind"
[ "$rc" = 65 ] || fail "closing an answered escalation: exit $rc, want 65"
expect_grep "$TMP/au.out" "an answer is not withdrawn" "close of an answer refused: says why"
kill -CONT "$pid"
wait_for 20 sh -c "[ \"\$(sqlite3 '$P/.automator/state.db' \"SELECT status FROM escalations WHERE id = $id\")\" = closed ]" ||
	fail "the answer was not applied after the refused close"
au "$P" abort
wait "$pid" 2>/dev/null

finish
