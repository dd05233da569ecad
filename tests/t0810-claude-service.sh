#!/bin/bash
# SPDX-License-Identifier: MIT
# t0810-claude-service.sh: the real Claude Code CLI (scripts/agent-clis.sh)
# against the loopback mock API (tests/mockapi.py), driven by automator with
# the shipped `claude` preset. What its service says is never blamed on the
# code: a usage limit is waited out until the reset the CLI reported
# (waiting_until in status --json, one notification) and the run completes;
# an expired login or a low credit balance asks a human after one session;
# a 529 is waited out; a permission denial is never a silent success; costs
# add up to what the CLI reported; a budget stops the second session; as
# the operator (auto) its stream-json answer is judged and applied.
. "$(dirname "$0")/lib.sh"
need tmux git python3 jq sqlite3
need_agent_cli claude

export AUTOMATOR_BACKOFF_MS=300
mockapi_start '{"claude": "success"}' || { fail "mockapi did not start"; finish; }

# A project with one story through the simple workflow (dev, review, commit)
# and the shipped claude preset; the CLI gets the mock through automator's
# environment, as a user's shell would give it.
setup() {
	P=$TMP/$1
	make_project "$P" >/dev/null
	cat >"$P/sprint.yaml" <<EOF
project: svc-$1
workflow: simple
agent: claude
limits: { review_cycles: 1, crash_retries: 0, idle_timeout: 2m, step_timeout: 3m${2:+, $2} }
stories:
  - id: "1.1"
    title: Plant registry
EOF
	git -C "$P" add sprint.yaml && git -C "$P" commit -qm sprint
}

# run_bg AUTH: automator run in the background (pid in RUN_PID).
run_bg() {
	# shellcheck disable=SC2046 # claude_env prints one word a line
	(cd "$P" && env $(claude_env "$1") timeout 100 "$AUTOMATOR" run sprint.yaml --no-input \
		>"$P/run.out" 2>&1; echo $? >"$P/run.rc") &
	RUN_PID=$!
}

run_fg() {
	run_bg "$1"
	wait "$RUN_PID"
	RC=$(cat "$P/run.rc")
}

status_json() {
	(cd "$P" && "$AUTOMATOR" status --json)
}

sessions() {
	find "$P/.automator/logs" -name '*.log' | wc -l
}

# --- a usage limit that resets in 5 s: waits, then completes ---
setup limit
mockapi_set '{"claude": {"name": "usage-limit", "claim": "five_hour", "reset_in": 5}}'
run_bg oauth
waiting=
for _ in $(seq 150); do
	status_json >"$TMP/st.json" 2>"$TMP/st.err" || true
	# (jq -e succeeds on empty input: look at the text first)
	if grep -q '"state":"WAITING"' "$TMP/st.json"; then
		waiting=$(jq -r '.stories[0].waiting_until' "$TMP/st.json")
		reason=$(jq -r '.stories[0].waiting_reason' "$TMP/st.json")
		break
	fi
	sleep 0.2
done
wait "$RUN_PID"
RC=$(cat "$P/run.rc")
[ "$RC" = 0 ] || { fail "usage limit: exit $RC, want 0"; sed 's/^/  /' "$P/run.out" >&2; }
[ -n "$waiting" ] || { fail "usage limit: status --json never showed WAITING"; cat "$TMP/st.json" "$TMP/st.err" >&2; sed 's/^/  /' "$P/run.out" >&2; }
[ "${reason:-}" = usage-limit ] || fail "usage limit: waiting_reason '${reason:-}'"
# waiting_until is the reset the CLI itself reported (resetsAt)
log1=$(ls "$P"/.automator/logs/*/1.1-dev-1.log)
resets=$(grep -ao '"resetsAt":[0-9]*' "$log1" | head -n 1 | cut -d: -f2)
want=$(date -u -d "@${resets:-0}" +%Y-%m-%dT%H:%M:%SZ)
[ "$waiting" = "$want" ] || fail "usage limit: waiting_until $waiting, the CLI's reset $want"
n=$(grep -c '"trigger":"wait:usage-limit"' "$P/.automator/escalations.jsonl" 2>/dev/null || true)
[ "$n" = 1 ] || fail "usage limit: $n wait notifications, want 1"
jq -e '.stories[0].state == "DONE"' <(status_json) >/dev/null || fail "usage limit: story not DONE"
(cd "$P" && "$AUTOMATOR" escalations list --jsonl) >"$TMP/esc"
[ ! -s "$TMP/esc" ] || [ "$(jq -s length "$TMP/esc")" = 0 ] ||
	fail "usage limit: escalations raised: $(cat "$TMP/esc")"

# costs: status --json equals the sum of the CLI's own total_cost_usd
status_json >"$TMP/st.json"
want=$(cat "$P"/.automator/logs/*/*.log | grep -ao '"total_cost_usd":[0-9.e-]*' |
	cut -d: -f2 | python3 -c 'import sys; print(round(sum(float(x) for x in sys.stdin), 9))')
got=$(jq -r '.usage.cost_usd' "$TMP/st.json" | python3 -c 'import sys; print(round(float(sys.stdin.read()), 9))')
[ "$got" = "$want" ] || fail "cost: status --json $got, the CLI reported $want"
[ "$(jq -r '.stories[0].usage.cost_usd' "$TMP/st.json" | python3 -c 'import sys; print(round(float(sys.stdin.read()), 9))')" = "$want" ] ||
	fail "cost: the story's cost is not the sum"
jq -e '.usage.output_tokens > 0 and .usage.turns > 0' "$TMP/st.json" >/dev/null ||
	fail "usage: no tokens or turns in status --json"

# --- an expired login: agent-unavailable after one session ---
for sc in auth-expired credit; do
	setup "$sc"
	mockapi_set "{\"claude\": \"$sc\"}"
	run_fg key
	[ "$RC" = 3 ] || { fail "$sc: exit $RC, want 3 (paused)"; sed 's/^/  /' "$P/run.out" >&2; }
	[ "$(sessions)" = 1 ] || fail "$sc: $(sessions) sessions, want 1"
	(cd "$P" && "$AUTOMATOR" escalations list --jsonl) >"$TMP/esc"
	grep -q '"agent-unavailable"' "$TMP/esc" || fail "$sc: no agent-unavailable: $(cat "$TMP/esc")"
	grep -q 'dev-implementation-failure' "$TMP/esc" && fail "$sc: blamed on the code"
	# the message quotes the CLI's words, never raw stream-json
	grep -q '\\"type\\":\\"system\\"' "$TMP/esc" && fail "$sc: raw stream-json in the message"
done

# --- 529: the CLI gives up on an overloaded service; automator waits ---
setup overloaded
mockapi_set '{"claude": {"name": "529", "times": 3, "then": "success"}}'
run_fg key
[ "$RC" = 0 ] || { fail "529: exit $RC, want 0"; sed 's/^/  /' "$P/run.out" >&2; }
grep -q 'waiting for claude until .*(overloaded)' "$P/run.out" || fail "529: no visible wait"

# --- 429: the CLI's own retries run out; automator waits, then completes ---
setup ratelimited
mockapi_set '{"claude": {"name": "429", "times": 3, "then": "success"}}'
run_fg key
[ "$RC" = 0 ] || { fail "429: exit $RC, want 0"; sed 's/^/  /' "$P/run.out" >&2; }
grep -q 'waiting for claude until .*(rate-limit)' "$P/run.out" || fail "429: no visible wait"
[ "$(sql "$P" "SELECT retries_used FROM stories")" = 0 ] || fail "429: a retry was spent"

# --- a Bash permission denial is never a silent success ---
setup denied
mockapi_set '{"claude": "permission-denied"}'
run_fg key
(cd "$P" && "$AUTOMATOR" escalations list --jsonl) >"$TMP/esc"
grep -q '"agent-permission-denied"' "$TMP/esc" || fail "denied: no agent-permission-denied"
grep -q 'Bash: ./tests/check.sh' "$TMP/esc" || fail "denied: the message does not name the command"
[ "$RC" = 3 ] || fail "denied: exit $RC, want 3"

# --- a budget lower than one session's cost stops the second session ---
setup budget "max_cost_usd: 0.000001"
mockapi_set '{"claude": "success"}'
run_fg key
(cd "$P" && "$AUTOMATOR" escalations list --jsonl) >"$TMP/esc"
grep -q '"budget-exceeded"' "$TMP/esc" || fail "budget: no budget-exceeded"
[ "$(sessions)" = 1 ] || fail "budget: $(sessions) sessions, want 1"

# --- the operator (auto) is the real CLI: its stream-json answer is judged, retry applied ---
P=$TMP/operator
make_project "$P" >/dev/null
printf '%s\n' "project: svc-operator" "workflow: demo" "agent: fake" \
	"limits: { crash_retries: 0 }" "operator: { mode: auto, agent: claude, timeout: 60s }" \
	"stories:" "  - id: \"1.1\"" "    title: Fails once" \
	"    fake: { dev: \"fail || edit src/o.sh\" }" >"$P/sprint.yaml"
git -C "$P" add sprint.yaml && git -C "$P" commit -qm sprint
mockapi_set '{"claude": {"name": "success", "result": {"option": "1", "rationale": "the mock says retry", "confidence": 0.6}}}'
run_fg key
[ "$RC" = 0 ] || { fail "operator: exit $RC, want 0"; sed 's/^/  /' "$P/run.out" >&2; }
grep -q 'operator recommends 1 (Retry dev), confidence 0.60: the mock says retry' "$P/run.out" ||
	fail "operator: the CLI's answer was not read: $(grep operator "$P/run.out")"
[ "$(sql "$P" "SELECT answered_by || '|' || chosen || '|' || reply FROM escalations")" = "operator|1|the mock says retry" ] ||
	fail "operator: $(sql "$P" "SELECT answered_by, chosen, reply FROM escalations")"

finish
