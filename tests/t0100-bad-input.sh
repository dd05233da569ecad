#!/bin/bash
# SPDX-License-Identifier: MIT
# t0100-bad-input.sh: every tests/fixtures/bad/NAME.yaml is refused by
# `automator validate NAME.yaml` (run in the fixture directory) with exit
# status 65, and the first line on stderr is exactly NAME.err. Validating
# writes nothing. Files under bad/support/ are helpers, not fixtures.
# Env: AUTOMATOR (the binary), SOURCE_DIR.
set -u

: "${AUTOMATOR:?}" "${SOURCE_DIR:?}"
dir="$SOURCE_DIR/tests/fixtures/bad"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the shipped agents, workflows and triggers of this tree, whatever is installed
export AUTOMATOR_DATA_DIR="$SOURCE_DIR"

fail() {
	echo "t0100: $*" >&2
	exit 1
}

# Every entry under the fixture directory, and a checksum of every file.
snapshot() {
	(cd "$dir" && find . -printf '%y %p\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0 -r md5sum)
}

[ -d "$dir" ] || fail "no fixture directory $dir"
cd "$dir" || fail "cannot cd to $dir"
snapshot >"$tmp/before"

pairs=0
bad=0
for yaml in *.yaml; do
	[ -e "$yaml" ] || continue
	name=${yaml%.yaml}
	if [ ! -f "$name.err" ]; then
		echo "t0100: $yaml has no $name.err" >&2
		bad=$((bad + 1))
		continue
	fi
	pairs=$((pairs + 1))
	rc=0
	timeout 10 "$AUTOMATOR" validate "$yaml" >"$tmp/out" 2>"$tmp/err" || rc=$?
	expected=$(head -n 1 "$name.err")
	got=$(head -n 1 "$tmp/err")
	if [ "$rc" -ne 65 ]; then
		echo "t0100: $yaml: exit status $rc, expected 65" >&2
		sed 's/^/    stderr: /' "$tmp/err" | head -n 20 >&2
		bad=$((bad + 1))
		continue
	fi
	if [ "$got" != "$expected" ]; then
		echo "t0100: $yaml: first error line differs" >&2
		echo "--- $name.err" >&2
		echo "+++ automator validate $yaml" >&2
		echo "-$expected" >&2
		echo "+$got" >&2
		bad=$((bad + 1))
	fi
done

for err in *.err; do
	[ -e "$err" ] || continue
	[ -f "${err%.err}.yaml" ] || {
		echo "t0100: $err has no ${err%.err}.yaml" >&2
		bad=$((bad + 1))
	}
done

snapshot >"$tmp/after"
if ! diff -u "$tmp/before" "$tmp/after" >"$tmp/diff"; then
	echo "t0100: validate changed the fixture directory:" >&2
	cat "$tmp/diff" >&2
	bad=$((bad + 1))
fi

[ "$pairs" -ge 25 ] || fail "only $pairs fixture pairs, expected at least 25"
[ "$bad" -eq 0 ] && echo "t0100: ok ($pairs fixtures)" && exit 0
fail "$bad of $pairs fixtures failed"
