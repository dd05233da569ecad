#!/bin/bash
# SPDX-License-Identifier: MIT
# t0740-bmad-tolerant.sh: sprint-status files as BMAD's tools write them
# (tests/fixtures/bmad-tolerant/CASE): non-ASCII and long keys, sub-stories,
# duplicate keys, a line libyaml refuses, named epics, stories numbered
# alike, an epics: list instead of development_status. Every story answers in every key form with the verdict its files
# give (exit 0 or 1, never 65); the warnings go to stderr and into the
# JSON; `automator validate` says ok and prints them. Each CASE/cases line
# is `KEY EXIT [full]` (full: only the full key names it);
# CASE/expect-warnings lists text every warning output must hold.
# Env: AUTOMATOR, SOURCE_DIR.
. "$(dirname "$0")/lib.sh"
need python3

FIX=$SOURCE_DIR/tests/fixtures/bmad-tolerant
ART=_bmad-output/implementation-artifacts

# check_output WANT_EXIT KEY CASE: the JSON on $TMP/out agrees with the
# exit status, names KEY, and carries exactly the warnings of $TMP/err.
check_output() {
	python3 - "$1" "$2" "$TMP/out" "$TMP/err" "$3" <<'PY' || failures=$((failures + 1))
import json, sys
want, key, out, err, what = sys.argv[1:]
text = open(out, encoding="utf-8").read()
try:
    o = json.loads(text)
except ValueError as e:
    print("FAIL: %s: not JSON: %s: %r" % (what, e, text), file=sys.stderr)
    sys.exit(1)
warn = [l for l in open(err, encoding="utf-8").read().splitlines() if ": warning: " in l]
bad = []
if o.get("verified") != (want == "0"):
    bad.append("verified is %r" % o.get("verified"))
if o.get("story") != key:
    bad.append("story is %r, want %r" % (o.get("story"), key))
if o.get("warnings", []) != warn:
    bad.append("warnings %r, stderr %r" % (o.get("warnings"), warn))
if "warnings" in o and not o["warnings"]:
    bad.append("an empty warnings array")
if bad:
    print("FAIL: %s: %s\n  out: %s" % (what, "; ".join(bad), text.strip()), file=sys.stderr)
    sys.exit(1)
PY
}

# has_warnings CASE FILE: FILE holds every line of CASE/expect-warnings,
# or no warning at all when there is none.
has_warnings() {
	if [ -f "$FIX/$1/expect-warnings" ]; then
		while IFS= read -r w; do
			grep -qF -- "$w" "$2" || fail "$1: no warning '$w' in $(basename "$2")"
		done <"$FIX/$1/expect-warnings"
	elif grep -q ': warning: ' "$2"; then
		fail "$1: unexpected warnings"
		sed 's/^/  /' "$2" >&2
	fi
}

for dir in "$FIX"/*/; do
	case=$(basename "$dir")
	[ -f "$dir/cases" ] || continue
	P=$TMP/$case
	cp -R "$dir" "$P"
	VCR=(env -C "$P" "$HELPER" verify-code-review)

	# validate: ok, the warnings, exit 0
	expect_exit 0 "$case: validate" -- "$AUTOMATOR" validate "$P/$ART/sprint-status.yaml"
	grep -qx "ok $P/$ART/sprint-status.yaml" "$TMP/out" || fail "$case: validate says $(cat "$TMP/out")"
	has_warnings "$case" "$TMP/err"

	while read -r key want only; do
		case $key in '' | '#'*) continue ;; esac
		forms=("$key")
		if [ "$only" != full ]; then
			expect_exit 0 "$case: normalize-key $key" -- env -C "$P" "$HELPER" normalize-key "$key"
			mapfile -t more < <(python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["key"] == sys.argv[2], o
print(o["prefix"]); print(o["id"])' "$TMP/out" "$key") || fail "$case: normalize-key $key"
			forms+=("${more[@]}")
		fi
		for f in "${forms[@]}"; do
			expect_exit "$want" "$case: verify-code-review $f" -- "${VCR[@]}" -- "$f"
			check_output "$want" "$key" "$case: verify-code-review $f"
			has_warnings "$case" "$TMP/err"
		done
		expect_exit 0 "$case: sprint-status get $key" -- env -C "$P" "$HELPER" sprint-status get -- "$key"
		grep -qF "\"story\":\"$key\"" "$TMP/out" || fail "$case: get $key: $(cat "$TMP/out")"
	done <"$dir/cases"
	# reading wrote nothing
	diff -r "$dir" "$P" >/dev/null || fail "$case: the fixture changed"
done

# ---- sub-stories: their own short forms, distinct from the parent ----
P=$TMP/sub-stories
expect_exit 0 "6-1-a" -- env -C "$P" "$HELPER" normalize-key 6-1-a
grep -qF '{"ok":true,"id":"6.1.a","prefix":"6-1-a","key":"6-1-a-invoice-types-extraction"}' "$TMP/out" ||
	fail "6-1-a forms: $(cat "$TMP/out")"
expect_exit 0 "check-epic 0" -- env -C "$P" "$HELPER" sprint-status check-epic 0
python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["total"] == 4 and o["done"] == 2, o' "$TMP/out" || fail "check-epic 0 counts: $(cat "$TMP/out")"

# ---- stories numbered alike: agreeing candidates answer, others are ambiguous ----
P=$TMP/ambiguous
for f in 11.1 11-1; do
	expect_exit 1 "ambiguous $f" -- env -C "$P" "$HELPER" verify-code-review "$f"
	python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["verified"] is False and o["reason"] == "ambiguous_key", o
assert o["candidates"] == ["11-1-bug-fixes", "11-1-convert-html"], o
assert o["warnings"], o' "$TMP/out" || fail "ambiguous $f: $(cat "$TMP/out")"
	expect_exit 1 "get ambiguous $f" -- env -C "$P" "$HELPER" sprint-status get "$f"
	python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["found"] is False and o["reason"] == "ambiguous_key", o
assert o["candidates"] == ["11-1-bug-fixes", "11-1-convert-html"], o' "$TMP/out" ||
		fail "get ambiguous $f: $(cat "$TMP/out")"
	expect_exit 1 "story-file-status ambiguous $f" -- env -C "$P" "$HELPER" story-file-status "$f"
	grep -qF '"reason":"ambiguous_key"' "$TMP/out" || fail "story-file-status $f: $(cat "$TMP/out")"
	expect_exit 1 "normalize-key ambiguous $f" -- env -C "$P" "$HELPER" normalize-key "$f"
	grep -qF '"reason":"ambiguous_key"' "$TMP/out" || fail "normalize-key $f: $(cat "$TMP/out")"
done
expect_exit 0 "normalize-key 11.1 --to prefix" -- env -C "$P" "$HELPER" normalize-key --to prefix 11.1
grep -qx '11-1' "$TMP/out" || fail "--to prefix: $(cat "$TMP/out")"
for f in 12.3 12-3; do
	expect_exit 0 "agreeing $f" -- env -C "$P" "$HELPER" verify-code-review "$f"
	grep -qF '"candidates":["12-3-api-docs","12-3-api-reference"]' "$TMP/out" ||
		fail "agreeing $f: $(cat "$TMP/out")"
done
expect_exit 0 "story-file-status full key" -- env -C "$P" "$HELPER" story-file-status 11-1-convert-html
grep -qF '"status":"review"' "$TMP/out" || fail "story-file-status: $(cat "$TMP/out")"
grep -qF '"warnings":[' "$TMP/out" || fail "story-file-status warnings: $(cat "$TMP/out")"

# ---- named epics and retrospectives are not stories ----
P=$TMP/named-epics
for e in epic-auth epic-auth-retrospective supp-epic-1 supp-epic-1-retrospective \
	sprint-3-retrospective epic-12-retrospective; do
	expect_exit 0 "get $e" -- env -C "$P" "$HELPER" sprint-status get "$e"
	grep -qF "\"found\":true,\"story\":\"$e\"" "$TMP/out" || fail "get $e: $(cat "$TMP/out")"
	expect_exit 1 "verify-code-review $e" -- env -C "$P" "$HELPER" verify-code-review "$e"
done
expect_exit 0 "check-epic 12" -- env -C "$P" "$HELPER" sprint-status check-epic 12
grep -qF '"allStoriesDone":true,"total":1,"done":1' "$TMP/out" || fail "check-epic 12: $(cat "$TMP/out")"

# ---- duplicate keys: the last value wins ----
P=$TMP/duplicate-keys
expect_exit 0 "get the retrospective written twice" -- env -C "$P" "$HELPER" sprint-status get epic-32-retrospective
grep -qF '"status":"done"' "$TMP/out" || fail "last value: $(cat "$TMP/out")"
grep -qF '"warnings":[' "$TMP/out" || fail "get warnings: $(cat "$TMP/out")"

# ---- a line libyaml refuses: the rest is read line by line ----
P=$TMP/yaml-error
S=$P/$ART/sprint-status.yaml
printf 'development_status:\n\t1-1-tabbed: done\n  1-2-ok: done\n  1-3-x: value: other\n' >"$S"
expect_exit 0 "tab: 1.1" -- env -C "$P" "$HELPER" sprint-status get 1.1
expect_exit 0 "tab: 1.2" -- env -C "$P" "$HELPER" sprint-status get 1.2
expect_exit 1 "value: other is skipped" -- env -C "$P" "$HELPER" sprint-status get 1.3
expect_grep "$TMP/err" "warning: the value of '1-3-x' holds ': ' ('value: other'): skipped" "value: other warning"
expect_exit 0 "validate tab" -- "$AUTOMATOR" validate "$S"
expect_grep "$TMP/err" "sprint-status.yaml:2:1: warning: tab character in indentation" "tab warning"

# ---- the former bad/ fixtures that now only warn: NAME.warn is the first line ----
cd "$FIX/warn" || exit 1
for y in *.yaml; do
	expect_exit 0 "validate $y" -- "$AUTOMATOR" validate "$y"
	[ "$(head -n 1 "$TMP/err")" = "$(cat "${y%.yaml}.warn")" ] ||
		fail "$y: first warning '$(head -n 1 "$TMP/err")', want '$(cat "${y%.yaml}.warn")'"
done

finish
