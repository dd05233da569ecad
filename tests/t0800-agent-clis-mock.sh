#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0800-agent-clis-mock: the real Claude Code and Codex CLIs (pinned by
# scripts/agent-clis.sh) run against the loopback mock API
# (tests/mockapi.py), directly, not through automator: a success prints the
# mock's AUTOMATOR_RESULT line through each CLI's own JSON output; a Claude
# usage limit comes out as the CLI's rate_limit_event and its own "You've
# hit your ... limit" message; a scenario changed mid-run is read on the
# next request. Skipped when the CLIs are not installed.
. "$(dirname "$0")/lib.sh"
need python3
need_agent_cli claude codex

W=$TMP/work
mkdir -p "$W"
mockapi_start '{"claude": "success", "codex": "success"}' || { fail "mockapi did not start"; finish; }

# claude: headless run as the shipped preset does it
claude_run() {
	# shellcheck disable=SC2046 # claude_env prints NAME=VALUE words
	(cd "$W" && env $(claude_env "$@") timeout 40 claude -p "say hello" \
		--output-format stream-json --verbose --permission-mode acceptEdits \
		</dev/null >"$TMP/out" 2>&1)
	rc=$?
}

# codex: exec with the mock provider
codex_run() {
	# shellcheck disable=SC2046 # codex_env and codex_args print words
	(cd "$W" && env $(codex_env) timeout 40 codex exec --json --skip-git-repo-check \
		--sandbox workspace-write $(codex_args) "say hello" </dev/null >"$TMP/out" 2>&1)
	rc=$?
}

claude_run
[ "$rc" = 0 ] || { fail "claude success: exit $rc"; sed 's/^/  /' "$TMP/out" >&2; }
expect_grep "$TMP/out" 'AUTOMATOR_RESULT {\\"status\\":\\"done\\",\\"summary\\":\\"mock\\"}' "claude success"
expect_grep "$TMP/out" '"type":"result"' "claude success: a result event"
expect_grep "$TMP/out" '"is_error":false' "claude success: not an error"
expect_grep "$TMP/out" '"total_cost_usd":0\.0' "claude success: the CLI priced the mock's usage"

codex_run
[ "$rc" = 0 ] || { fail "codex success: exit $rc"; sed 's/^/  /' "$TMP/out" >&2; }
expect_grep "$TMP/out" '"type":"agent_message","text":"Mock reply.\\n\\nAUTOMATOR_RESULT {\\"status\\":\\"done\\"' "codex success"
expect_grep "$TMP/out" '"type":"turn.completed","usage":{"input_tokens":1200' "codex success: usage"

# Claude's usage limit: only a subscription (OAuth) login gets the CLI's own
# wording; the limit resets 2 s after the first limited request, then the
# same scenario answers with success.
mockapi_set '{"claude": {"name": "usage-limit", "claim": "five_hour", "reset_in": 2}}'
claude_run oauth
[ "$rc" = 1 ] || fail "claude usage-limit: exit $rc, want 1"
expect_grep "$TMP/out" '{"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":[0-9]*,"rateLimitType":"five_hour"' "claude usage-limit: rate_limit_event"
expect_grep "$TMP/out" "You've hit your 5-hour limit · resets [0-9:]*[ap]m (UTC)" "claude usage-limit: the CLI's message"
expect_grep "$TMP/out" '"error":"rate_limit"' "claude usage-limit: the assistant message's error"
sleep 2.2
claude_run oauth
[ "$rc" = 0 ] || { fail "claude after the reset: exit $rc"; sed 's/^/  /' "$TMP/out" >&2; }
expect_grep "$TMP/out" 'AUTOMATOR_RESULT' "claude after the reset"

# every request the mock saw was logged: 1 + 1 + 1 + 1 model requests
n=$(mockapi_count '"path":"/v1/messages')
[ "$n" -ge 3 ] || fail "mock log: $n Claude requests, want 3 or more"
n=$(mockapi_count '"cli":"codex"')
[ "$n" = 1 ] || fail "mock log: $n Codex requests, want 1"

finish
