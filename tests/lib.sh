# SPDX-License-Identifier: MIT
# tests/lib.sh: shared helpers for the shell tests (sourced, not run).
# ctest sets AUTOMATOR (the binary), SOURCE_DIR and BUILD_DIR.
set -u
: "${AUTOMATOR:?AUTOMATOR must point at the automator binary}"
HELPER="$(dirname "$AUTOMATOR")/orchestrator-helper"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/automator-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# expect_exit CODE DESCRIPTION -- CMD...: runs CMD (stdout to $TMP/out,
# stderr to $TMP/err) and checks its exit status.
expect_exit() {
	local want=$1 what=$2 got
	shift 3
	timeout 20 "$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" != "$want" ]; then
		fail "$what: exit $got, want $want"
		sed 's/^/  stderr: /' "$TMP/err" >&2
	fi
}

# expect_grep FILE PATTERN DESCRIPTION
expect_grep() {
	grep -q -- "$2" "$1" || { fail "$3: '$2' not in $(basename "$1")"; sed 's/^/  /' "$1" >&2; }
}

finish() {
	if [ "$failures" -ne 0 ]; then
		echo "$failures failure(s)" >&2
		exit 1
	fi
	echo "ok"
}

# ---- integration helpers: a real tmux server on a private socket, a real
# git repository, the fake agent ----

# Every test gets its own tmux server, killed on exit.
export AUTOMATOR_TMUX_SOCKET="automator-test-$$"
export AUTOMATOR_FAKE_DELAY="${AUTOMATOR_FAKE_DELAY:-0.02}"
export AUTOMATOR_DATA_DIR="${SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export NO_COLOR=1
# the per-user registry of runs (runs --all, watch): the test's own
export XDG_STATE_HOME="$TMP/state"
trap 'tmux -L "$AUTOMATOR_TMUX_SOCKET" -f /dev/null kill-server 2>/dev/null; rm -rf "$TMP"' EXIT

need() {
	for p in "$@"; do
		command -v "$p" >/dev/null || { echo "SKIP: $p is not installed" >&2; exit 77; }
	done
}

# make_project DIR [TEMPLATE]: a fresh git repository holding a copy of the
# template (default examples/demo), with one initial commit.
make_project() {
	local dir=$1 tpl=${2:-$AUTOMATOR_DATA_DIR/examples/demo}
	mkdir -p "$dir"
	cp -R "$tpl"/. "$dir"/
	git -C "$dir" init -q -b main
	git -C "$dir" config user.name "Automator Test"
	git -C "$dir" config user.email "test@example.invalid"
	git -C "$dir" config commit.gpgsign false
	git -C "$dir" add -A
	git -C "$dir" commit -q -m "initial"
}

# au DIR ARGS...: runs automator in DIR (stdout+stderr to $TMP/au.out), with
# a timeout; sets $rc.
au() {
	local dir=$1
	shift
	(cd "$dir" && timeout "${AU_TIMEOUT:-120}" "$AUTOMATOR" "$@") >"$TMP/au.out" 2>&1
	rc=$?
}

# status_field DIR JQ-LIKE: prints `automator status --json` of DIR.
status_json() {
	(cd "$1" && "$AUTOMATOR" status --json)
}

# clock_advance FILE STEP_MS COMMAND...: moves the test clock in FILE
# ($AUTOMATOR_TEST_CLOCK) on from $CLOCK_MS by STEP_MS every 0.2 s until
# COMMAND succeeds (at most 200 steps; 1 when it never does). A run may read
# an agent's output only after a jump of the clock, so no single jump is
# assumed to land on one of its checks.
CLOCK_MS=0
clock_advance() {
	local file=$1 step=$2 i
	shift 2
	for ((i = 0; i < 200; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		CLOCK_MS=$((CLOCK_MS + step))
		echo "$CLOCK_MS" >"$file"
		sleep 0.2
	done
	return 1
}

# wait_for SECONDS COMMAND...: polls COMMAND until it succeeds.
wait_for() {
	local limit=$1 i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -ge $((limit * 10)) ] && return 1
		sleep 0.1
	done
}

# sql DIR QUERY: runs a read-only query on the project's state database.
sql() {
	sqlite3 -readonly "$1/.automator/state.db" "$2"
}

# ---- the real agent CLIs against the loopback mock API (tests/mockapi.py);
# tests/fixtures/agents/README.md tells what each needs ----

# need_agent_cli claude|codex...: puts the pinned CLIs that
# scripts/agent-clis.sh installed first on PATH, or skips the test.
need_agent_cli() {
	local bin c
	bin=$("$AUTOMATOR_DATA_DIR/scripts/agent-clis.sh" --print-bin)
	for c in "$@"; do
		if ! "$bin/$c" --version >/dev/null 2>&1; then
			echo "SKIP: $c is not installed (scripts/agent-clis.sh)" >&2
			exit 77
		fi
	done
	case ":$PATH:" in
	*":$bin:"*) ;;
	*) PATH="$bin:$PATH" ;;
	esac
	export PATH
}

# mockapi_start SCENARIO_JSON: starts tests/mockapi.py in the background
# with that scenario ($TMP/mock/scenario.json), waits up to 10 s for its
# port, exports MOCK_PORT, MOCK_URL (http://127.0.0.1:PORT) and MOCK_LOG
# (its request log, one JSON line per request), and has it killed on exit.
mockapi_start() {
	local d=$TMP/mock i=0
	mkdir -p "$d"
	rm -f "$d/port"
	printf '%s\n' "$1" >"$d/scenario.json"
	MOCK_LOG=$d/requests.jsonl
	: >"$MOCK_LOG"
	python3 "$AUTOMATOR_DATA_DIR/tests/mockapi.py" --scenario "$d/scenario.json" \
		--port-file "$d/port" --log "$MOCK_LOG" >/dev/null 2>"$d/stderr" &
	MOCK_PID=$!
	# shellcheck disable=SC2119
	_mockapi_trap
	while [ ! -s "$d/port" ]; do
		i=$((i + 1))
		if [ "$i" -ge 100 ] || ! kill -0 "$MOCK_PID" 2>/dev/null; then
			echo "mockapi did not start:" >&2
			sed 's/^/  /' "$d/stderr" >&2
			return 1
		fi
		sleep 0.1
	done
	MOCK_PORT=$(cat "$d/port")
	MOCK_URL=http://127.0.0.1:$MOCK_PORT
	export MOCK_PORT MOCK_URL MOCK_LOG MOCK_PID
}

# mockapi_set SCENARIO_JSON: the scenario for the next requests (read by
# the server on each request; a changed scenario restarts its counters).
mockapi_set() {
	printf '%s\n' "$1" >"$TMP/mock/scenario.json.tmp"
	mv "$TMP/mock/scenario.json.tmp" "$TMP/mock/scenario.json"
}

# mockapi_stop: kills the mock server, if one runs.
mockapi_stop() {
	if [ -n "${MOCK_PID:-}" ]; then
		kill "$MOCK_PID" 2>/dev/null
		wait "$MOCK_PID" 2>/dev/null
		MOCK_PID=
	fi
	return 0
}

# _mockapi_trap: adds mockapi_stop in front of the EXIT trap, once.
# shellcheck disable=SC2120 # set -- parses `trap -p`, takes no arguments
_mockapi_trap() {
	[ -n "${_MOCKAPI_TRAPPED:-}" ] && return 0
	_MOCKAPI_TRAPPED=1
	eval "set -- $(trap -p EXIT)"
	# shellcheck disable=SC2064 # the previous command is expanded now, on purpose
	trap "mockapi_stop; ${3:-}" EXIT
}

# mockapi_count [JQ-LIKE-SUBSTRING]: the number of requests logged (whose
# line contains the substring, e.g. '"cli":"claude"').
mockapi_count() {
	grep -c -- "${1:-}" "$MOCK_LOG" || true
}

# claude_env [oauth]: words for env(1) (`env $(claude_env) claude ...`)
# that point Claude Code at the mock with a fresh HOME under $TMP: the
# caller's own login and config variables unset (-u NAME), then
# ANTHROPIC_BASE_URL, an API key (or, with "oauth", CLAUDE_CODE_OAUTH_TOKEN:
# the CLI words usage limits as "You've hit your ... limit" only for a
# subscription login), CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 and
# CLAUDE_CODE_MAX_RETRIES=2 (429/5xx retried twice, not ten times over
# three minutes; $CLAUDE_MAX_RETRIES changes it).
claude_env() {
	local home v
	home=$(mktemp -d "$TMP/claude-home.XXXXXX")
	for v in ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN CLAUDE_CODE_OAUTH_TOKEN \
		CLAUDE_CONFIG_DIR CLAUDE_CODE_USE_BEDROCK CLAUDE_CODE_USE_VERTEX \
		CLAUDE_CODE_USE_FOUNDRY ANTHROPIC_MODEL; do
		printf -- '-u\n%s\n' "$v"
	done
	echo "HOME=$home"
	echo "ANTHROPIC_BASE_URL=$MOCK_URL"
	if [ "${1:-}" = oauth ]; then
		echo "CLAUDE_CODE_OAUTH_TOKEN=sk-ant-oat01-mock-test-token"
	else
		echo "ANTHROPIC_API_KEY=sk-ant-api03-mock-test-key"
	fi
	echo "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1"
	echo "CLAUDE_CODE_MAX_RETRIES=${CLAUDE_MAX_RETRIES:-2}"
}

# codex_env: words for env(1) for Codex: CODEX_HOME and the caller's
# OpenAI variables unset, a fresh HOME (its ~/.codex) under $TMP and the key
# the mock provider reads (MOCK_API_KEY).
codex_env() {
	local home v
	home=$(mktemp -d "$TMP/codex-home.XXXXXX")
	for v in CODEX_HOME OPENAI_API_KEY OPENAI_BASE_URL; do
		printf -- '-u\n%s\n' "$v"
	done
	echo "HOME=$home"
	echo "MOCK_API_KEY=mock-test-key"
}

# codex_args: the `-c` words that make `codex exec` use the mock as its
# model provider (Responses API over HTTP; Codex reads no OPENAI_BASE_URL),
# with one request retry and one stream retry at most.
codex_args() {
	local p=model_providers.mock
	printf '%s\n' -c model_provider=mock -c "$p.name=mock" -c "$p.base_url=$MOCK_URL/v1" \
		-c "$p.wire_api=responses" -c "$p.env_key=MOCK_API_KEY" \
		-c "$p.request_max_retries=${CODEX_REQUEST_RETRIES:-0}" \
		-c "$p.stream_max_retries=${CODEX_STREAM_RETRIES:-1}"
}
