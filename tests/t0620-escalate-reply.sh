#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0620-escalate-reply: an agent waiting at a prompt (fake agent `ask`)
# raises agent-needs-input; `automator answer ID 1 --reply yes` from
# another terminal types the reply into the agent's pane while the live
# run waits; the agent reads it on its stdin and the step completes.
# Without --reply the answer is refused (exit 64).
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

P=$TMP/proj
make_project "$P"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
cat >"$P/ask-sprint.yaml" <<'YAML'
project: ask
root: .
workflow: demo
agent: fake
max_parallel: 2
status_file: _bmad-output/implementation-artifacts/sprint-status.yaml
stories:
  - id: "1.1"
    title: Asks before it overwrites
    fake: { dev: "edit src/asked.sh ; ask" }
  - id: "1.2"
    title: Keeps the run alive
    fake: { dev: "edit src/alive.sh ; slow" }
YAML
git -C "$P" add ask-sprint.yaml && git -C "$P" commit -q -m "ask sprint"

export AUTOMATOR_FAKE_DELAY=0.3
(cd "$P" && exec "$AUTOMATOR" run ask-sprint.yaml --no-input) >"$TMP/run.out" 2>&1 &
pid=$!
wait_for 30 grep -q "DECISION NEEDED: Agent needs input" "$TMP/run.out" || fail "no agent-needs-input"
id=$(sql "$P" "SELECT id FROM escalations WHERE trigger = 'agent-needs-input'")
[ -n "$id" ] || fail "no escalation row"
[ "$(sql "$P" "SELECT category FROM escalations WHERE id = $id")" = PREFERENCE ] || fail "not PREFERENCE"
au "$P" answer "$id" 1
[ "$rc" = 64 ] || fail "send_reply without --reply: exit $rc, want 64"
au "$P" answer "$id" 1 --reply yes
[ "$rc" = 0 ] || { fail "answer --reply: exit $rc"; cat "$TMP/au.out" >&2; }
wait "$pid"
rc=$?
[ "$rc" = 0 ] || { fail "run: exit $rc, want 0"; sed 's/^/  /' "$TMP/run.out" >&2; }
log=$(ls "$P"/.automator/logs/*/1.1-dev-1.log)
grep -q "\[y/n\] yes" "$log" || grep -q "^yes" "$log" || fail "the reply never reached the pane"
grep -q '"status":"done"' "$log" || fail "the agent did not finish after the reply"
grep -q "^1.1 dev 2 " "$AUTOMATOR_FAKE_LOG_DIR/calls.log" && fail "the step was restarted instead of answered"
[ "$(sql "$P" "SELECT status || ' ' || reply FROM escalations WHERE id = $id")" = "closed yes" ] ||
	fail "escalation not closed with the reply"
[ "$(sql "$P" "SELECT state FROM stories WHERE story_id = '1.1'")" = DONE ] || fail "1.1 not DONE"

finish
