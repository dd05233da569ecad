#!/bin/bash
# SPDX-License-Identifier: MIT
# t0110-validate-shipped.sh: every shipped file (data/agents.yaml,
# data/triggers.yaml, workflows/*.yaml) and every tests/fixtures/good/*.yaml
# validates ok; validate's usage errors exit 64; several files with one bad
# among them exit 65 with an ok line for each good one.
# Env: AUTOMATOR (the binary), SOURCE_DIR.
set -u

: "${AUTOMATOR:?}" "${SOURCE_DIR:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export AUTOMATOR_DATA_DIR="$SOURCE_DIR"
bad=0

fail() {
	echo "t0110: $*" >&2
	bad=$((bad + 1))
}

# errors FILE: stderr without validate's preflight warnings about this
# machine (a missing agent CLI, no git identity) and their indented hints.
errors() {
	grep -v -e ': warning: ' -e '^  ' "$1"
}

# validate_ok DIR FILE: run in DIR, expect "ok FILE", no error on stderr, exit 0.
validate_ok() {
	local rc=0

	(cd "$1" && timeout 10 "$AUTOMATOR" validate "$2") >"$tmp/out" 2>"$tmp/err" || rc=$?
	if [ "$rc" -ne 0 ] || [ "$(cat "$tmp/out")" != "ok $2" ] || errors "$tmp/err" | grep -q .; then
		fail "validate $2 (in $1): exit $rc, expected 0 and 'ok $2'"
		sed 's/^/    /' "$tmp/out" "$tmp/err" | head -n 20 >&2
	fi
}

n=0
cd "$SOURCE_DIR" || exit 1
for f in data/agents.yaml data/triggers.yaml workflows/*.yaml; do
	[ -f "$SOURCE_DIR/$f" ] || {
		fail "missing shipped file $f"
		continue
	}
	validate_ok "$SOURCE_DIR" "$f"
	n=$((n + 1))
done
[ "$n" -ge 3 ] || fail "only $n shipped files found"

good="$SOURCE_DIR/tests/fixtures/good"
n=0
for f in "$good"/*.yaml; do
	[ -f "$f" ] || continue
	validate_ok "$good" "$(basename "$f")"
	n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "only $n good fixtures found"
# the same file by an absolute path from another directory
validate_ok "$tmp" "$good/sprint.yaml"

# usage errors: exit 64, the usage line on stderr, nothing on stdout
rc=0
"$AUTOMATOR" validate >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 64 ] || fail "validate with no file: exit $rc, expected 64"
grep -q '^usage: automator validate \[--json\] FILE\.\.\.$' "$tmp/err" || fail "validate with no file: no usage on stderr"
[ -s "$tmp/out" ] && fail "validate with no file: printed on stdout"
rc=0
"$AUTOMATOR" validate --bogus "$good/sprint.yaml" >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 64 ] || fail "validate --bogus: exit $rc, expected 64"
grep -q "unknown option '--bogus'" "$tmp/err" || fail "validate --bogus: no message naming the flag"
grep -q '^usage: automator validate' "$tmp/err" || fail "validate --bogus: no usage on stderr"
[ -s "$tmp/out" ] && fail "validate --bogus: printed on stdout"

# several files, one bad: exit 65, ok lines for the good ones, the error on stderr
cp "$SOURCE_DIR/tests/fixtures/bad/cycle-2.yaml" "$tmp/bad.yaml"
rc=0
(cd "$tmp" && timeout 10 "$AUTOMATOR" validate "$good/sprint.yaml" bad.yaml \
	"$SOURCE_DIR/data/triggers.yaml") >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 65 ] || fail "validate good bad good: exit $rc, expected 65"
printf 'ok %s\nok %s\n' "$good/sprint.yaml" "$SOURCE_DIR/data/triggers.yaml" >"$tmp/want"
diff -u "$tmp/want" "$tmp/out" >&2 || fail "validate good bad good: wrong ok lines"
[ "$(errors "$tmp/err" | head -n 1)" = "bad.yaml:6:18: dependency cycle '1.1 -> 1.2 -> 1.1'" ] ||
	fail "validate good bad good: unexpected stderr: $(errors "$tmp/err" | head -n 1)"

# a file that does not exist is a data error, not a crash
rc=0
(cd "$tmp" && timeout 10 "$AUTOMATOR" validate nosuch.yaml) >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 65 ] || fail "validate nosuch.yaml: exit $rc, expected 65"
[ "$(head -n 1 "$tmp/err")" = "nosuch.yaml: cannot read file: no such file" ] ||
	fail "validate nosuch.yaml: unexpected stderr: $(head -n 1 "$tmp/err")"

[ "$bad" -eq 0 ] || exit 1
echo "t0110: ok"
