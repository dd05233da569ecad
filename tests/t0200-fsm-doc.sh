#!/bin/bash
# SPDX-License-Identifier: MIT
# t0200-fsm-doc.sh: docs/fsm.md is what scripts/gen-fsm-doc.sh makes of the
# current binary, and `automator fsm` renders and refuses what it should.
# Env: AUTOMATOR (the binary), SOURCE_DIR.
set -eu

: "${AUTOMATOR:?}" "${SOURCE_DIR:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "t0200: $*" >&2
	exit 1
}

# The committed document is up to date.
bash "$SOURCE_DIR/scripts/gen-fsm-doc.sh" "$AUTOMATOR" >"$tmp/fsm.md" ||
	fail "scripts/gen-fsm-doc.sh failed"
if ! diff -u "$SOURCE_DIR/docs/fsm.md" "$tmp/fsm.md"; then
	fail "docs/fsm.md is stale: run scripts/gen-fsm-doc.sh path/to/automator > docs/fsm.md"
fi

# --table is the default and prints both machines.
"$AUTOMATOR" fsm >"$tmp/both" || fail "fsm exited $?"
"$AUTOMATOR" fsm --table >"$tmp/both-table" || fail "fsm --table exited $?"
cmp -s "$tmp/both" "$tmp/both-table" || fail "fsm and fsm --table differ"
grep -q '^run machine: initial INITIALIZING' "$tmp/both" || fail "no run heading"
grep -q '^story machine: initial PENDING' "$tmp/both" || fail "no story heading"

# --dot: one machine, story by default, terminal states doubled.
"$AUTOMATOR" fsm --dot >"$tmp/dot" || fail "fsm --dot exited $?"
head -n 1 "$tmp/dot" | grep -qx 'digraph story {' || fail "--dot default is not story"
grep -q '"DONE" \[shape=doublecircle\]' "$tmp/dot" || fail "DONE is not a doublecircle"
grep -qF '"REVIEW" -> "REVIEW" [label="NOT_VERIFIED [CYCLES_LEFT] / NEW_CYCLE"];' "$tmp/dot" ||
	fail "--dot edge label"
"$AUTOMATOR" fsm --dot run | head -n 1 | grep -qx 'digraph run {' || fail "--dot run"

# Usage errors exit 64.
for args in "--bogus" "nosuch" "--dot --table" "run story"; do
	rc=0
	# shellcheck disable=SC2086
	"$AUTOMATOR" fsm $args >/dev/null 2>&1 || rc=$?
	[ "$rc" -eq 64 ] || fail "fsm $args exited $rc, expected 64"
done
echo "t0200: ok"
