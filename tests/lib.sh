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
