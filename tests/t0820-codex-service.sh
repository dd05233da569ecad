#!/bin/bash
# SPDX-License-Identifier: MIT
# t0820-codex-service.sh: the real Codex CLI (scripts/agent-clis.sh) against
# the loopback mock API, driven by automator with the shipped `codex` preset
# unchanged: the mock provider is configured the way a user configures one,
# in ~/.codex/config.toml. A usage limit is waited out (waiting_until in
# status --json, reason usage-limit) and the run completes; an exhausted
# quota asks a human after one session and blames no code.
. "$(dirname "$0")/lib.sh"
need tmux git python3 jq
need_agent_cli codex

export AUTOMATOR_BACKOFF_MS=300
mockapi_start '{"codex": "success"}' || { fail "mockapi did not start"; finish; }

setup() {
	P=$TMP/$1
	make_project "$P" >/dev/null
	cat >"$P/sprint.yaml" <<EOF
project: cx-$1
workflow: simple
agent: codex
limits: { review_cycles: 1, crash_retries: 0, idle_timeout: 2m, step_timeout: 3m }
stories:
  - id: "1.1"
    title: Plant registry
EOF
	git -C "$P" add sprint.yaml && git -C "$P" commit -qm sprint
	H=$TMP/$1-home
	mkdir -p "$H/.codex"
	cat >"$H/.codex/config.toml" <<EOF
model_provider = "mock"

[model_providers.mock]
name = "mock"
base_url = "$MOCK_URL/v1"
wire_api = "responses"
env_key = "MOCK_API_KEY"
request_max_retries = 0
stream_max_retries = 1
EOF
}

run_bg() {
	(cd "$P" && env -u CODEX_HOME -u OPENAI_API_KEY HOME="$H" MOCK_API_KEY=mock-test-key \
		timeout 100 "$AUTOMATOR" run sprint.yaml --no-input >"$P/run.out" 2>&1
	echo $? >"$P/run.rc") &
	RUN_PID=$!
}

# --- a usage limit: waits, then completes ---
setup limit
mockapi_set '{"codex": {"name": "usage-limit", "reset_in": 3}}'
run_bg
reason=
for _ in $(seq 150); do
	(cd "$P" && "$AUTOMATOR" status --json) >"$TMP/st.json" 2>/dev/null || true
	if grep -q '"state":"WAITING"' "$TMP/st.json"; then
		reason=$(jq -r '.stories[0].waiting_reason' "$TMP/st.json")
		until_=$(jq -r '.stories[0].waiting_until' "$TMP/st.json")
		break
	fi
	sleep 0.2
done
wait "$RUN_PID"
RC=$(cat "$P/run.rc")
[ "$RC" = 0 ] || { fail "usage limit: exit $RC, want 0"; sed 's/^/  /' "$P/run.out" >&2; }
[ "$reason" = usage-limit ] || fail "usage limit: waiting_reason '$reason'"
[[ ${until_:-} =~ ^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]{8}Z$ ]] ||
	fail "usage limit: waiting_until '${until_:-}'"
grep -q "hit your usage limit" "$P"/.automator/logs/*/1.1-dev-1.log ||
	fail "usage limit: the CLI did not print its own message"
n=$(grep -c '"trigger":"wait:usage-limit"' "$P/.automator/escalations.jsonl" 2>/dev/null || true)
[ "$n" = 1 ] || fail "usage limit: $n wait notifications, want 1"
(cd "$P" && "$AUTOMATOR" status --json) >"$TMP/st.json"
jq -e '.usage.input_tokens > 0 and .usage.cost_usd == null' "$TMP/st.json" >/dev/null ||
	fail "usage: Codex tokens not counted: $(jq -c .usage "$TMP/st.json")"

# --- an exhausted quota, a refused key: agent-unavailable after one session ---
for sc in quota:'Quota exceeded' 401:'401 Unauthorized'; do
	name=${sc%%:*} says=${sc#*:}
	setup "$name"
	mockapi_set "{\"codex\": \"$name\"}"
	run_bg
	wait "$RUN_PID"
	RC=$(cat "$P/run.rc")
	[ "$RC" = 3 ] || { fail "$name: exit $RC, want 3"; sed 's/^/  /' "$P/run.out" >&2; }
	[ "$(find "$P/.automator/logs" -name '*.log' | wc -l)" = 1 ] ||
		fail "$name: more than one session"
	(cd "$P" && "$AUTOMATOR" escalations list --jsonl) >"$TMP/esc"
	grep -q '"agent-unavailable"' "$TMP/esc" ||
		fail "$name: no agent-unavailable: $(cat "$TMP/esc")"
	grep -q "$says" "$TMP/esc" || fail "$name: the message does not quote the CLI"
	grep -q 'dev-implementation-failure' "$TMP/esc" && fail "$name: blamed on the code"
done

finish
