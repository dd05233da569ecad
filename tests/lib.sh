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
