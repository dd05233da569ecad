#!/bin/bash
# SPDX-License-Identifier: MIT
# t0760-bmad-layout.sh: story files where BMAD puts them
# (tests/fixtures/bmad-layout/CASE): a folder named in _bmad/bmm/config.yaml,
# stories/ and epic-N/ subfolders, companion files beside the story, a key
# without a slug, a code review's verdict that the story file must not
# overrule, BMAD v4's docs/sprint-status.yaml with docs/stories/2.1.x.md
# names, and BMAD 6 alpha's sprint_artifacts folder (preferred over a stale
# _bmad-output copy). Each row runs `verify-code-review` and `story-file-status` and
# checks the verdict, the exit status (0 or 1, never 65), source,
# reason/why/note and the file chosen; then create-story's check
# (`verify-step create-story`) on the same layouts.
# Env: AUTOMATOR, SOURCE_DIR.
. "$(dirname "$0")/lib.sh"
need python3

FIX=$SOURCE_DIR/tests/fixtures/bmad-layout
cp -R "$FIX" "$TMP/layout"
# v4-docs has neither _bmad-output/ nor .automator/: its .git marks the root
git -C "$TMP/layout/v4-docs" init -q

# check FILE WHAT KEY=VALUE...: the JSON in FILE has these values ("-": absent).
check() {
	python3 - "$@" <<'PY' || failures=$((failures + 1))
import json, sys
path, what, *want = sys.argv[1:]
text = open(path, encoding="utf-8").read()
try:
    o = json.loads(text)
except ValueError as e:
    print("FAIL: %s: not JSON: %s: %r" % (what, e, text), file=sys.stderr)
    sys.exit(1)
bad = []
for w in want:
    k, v = w.split("=", 1)
    got = o.get(k)
    if k == "file" and got is not None:
        got = got.rsplit("/layout/", 1)[-1]
    if v == "-":
        if k in o:
            bad.append("%s is %r, want none" % (k, got))
    if v != "-" and (str(got).lower() if isinstance(got, bool) else got) != v:
        bad.append("%s is %r, want %r" % (k, got, v))
if bad:
    print("FAIL: %s: %s\n  out: %s" % (what, "; ".join(bad), text.strip()), file=sys.stderr)
    sys.exit(1)
PY
}

A=_bmad-output/implementation-artifacts
# CASE KEY EXIT VERIFIED SOURCE REASON NOTE WHY FILE (relative to the case; "-": none)
while read -r c key want verified source reason note why file; do
	case $c in '' | '#'*) continue ;; esac
	P=$TMP/layout/$c
	why=${why//_/ }
	note=${note//_/ }
	expect_exit "$want" "$c: verify-code-review $key" -- env -C "$P" "$HELPER" verify-code-review "$key"
	check "$TMP/out" "$c: verify-code-review $key" verified="$verified" source="$source" \
		reason="$reason" why="$why" "$(if [ "$source" = story-file ]; then echo story_file_note="$note"; else echo note="$note"; fi)"
	if [ "$file" = - ]; then
		expect_exit 1 "$c: story-file-status $key" -- env -C "$P" "$HELPER" story-file-status "$key"
		check "$TMP/out" "$c: story-file-status $key" ok=false reason=story_file_not_found
	else
		expect_exit 0 "$c: story-file-status $key" -- env -C "$P" "$HELPER" story-file-status "$key"
		check "$TMP/out" "$c: story-file-status $key" ok=true file="$c/$file" note="$note"
	fi
	if grep -q ': warning: ' "$TMP/err" && [ "$c" != bad-config ]; then
		fail "$c: $key: unexpected warnings"
		sed 's/^/  /' "$TMP/err" >&2
	fi
done <<EOF_CASES
config-location 1.1 0 true sprint-status.yaml - - - work/stories/1-1-open-an-account.md
config-location 1-2-lend-a-book 0 true story-file - - - work/stories/1-2-lend-a-book.md
config-location 1.3 1 false - workflow_not_complete - - work/stories/1-3-return-a-book.md
subfolders 1.1 0 true sprint-status.yaml - - - $A/stories/1-1-scan-shelf.md
subfolders 1-2 0 true story-file - - - $A/stories/1-2-tag-books.md
subfolders 2.1 1 false - workflow_not_complete - - $A/epic-2/2-1-search.md
subfolders 2.2 1 false - workflow_not_complete - - $A/epic-2/stories/2-2-filters.md
companions 3.3 0 true story-file - - - $A/3-3-export-csv-and-json-reports.md
companions 3-3-export-reports 0 true story-file - - - $A/3-3-export-csv-and-json-reports.md
companions 3.4 0 true story-file - several_story_files;_chose_3-4-import-csv.md - $A/3-4-import-csv.md
key-only CORE-001 0 true story-file - - - $A/CORE-001.md
key-only CORE-002 1 false - workflow_not_complete - - -
review-wins 18.3 1 false - review_says_not_done - sprint-status_comment:_Updated_by_bmad-code-review_2026-03-29:_2_patches $A/18-3-csv-json-export.md
review-wins 18-4-xlsx-export 1 false - review_says_not_done - 3_unchecked_review_findings_in_the_story_file $A/18-4-xlsx-export.md
fallback-ok 5.1 0 true story-file - - - $A/5-1-pdf-export.md
fallback-ok 5.2 0 true story-file - - - $A/5-2-print-layout.md
bad-config 7.1 0 true story-file - - - $A/7-1-setup.md
v4-docs 2.1 0 true story-file - - - docs/stories/2.1.basic-ui-shell.md
v4-docs 2-2-category-spending-visualization 1 false - workflow_not_complete - - docs/stories/2.2-category-spending-visualization.md
v4-docs 2.3 0 true sprint-status.yaml - - - -
sprint-artifacts 4.1 0 true sprint-status.yaml - - - docs/sprint-artifacts/4-1-import-bank-csv.md
EOF_CASES

# create-story's check (the story_file verifier of the bmad workflow) uses
# the same lookup: exactly one story file, companions not counted
# CASE KEY EXIT VERIFIED FILES (comma-separated, relative to the case)
while read -r c key want verified files; do
	P=$TMP/layout/$c
	expect_exit "$want" "$c: verify-step create-story $key" -- env -C "$P" "$HELPER" verify-step create-story "$key"
	python3 - "$TMP/out" "$verified" "$files" <<'PY' || fail "$c: verify-step create-story $key"
import json, sys
o = json.load(open(sys.argv[1], encoding="utf-8"))
want = [] if sys.argv[3] == "-" else sys.argv[3].split(",")
assert o["source"] == "story_file", o
assert str(o["verified"]).lower() == sys.argv[2], o
assert o["story_files"] == want, (o["story_files"], want)
if len(want) > 1:
    assert o["reason"] == "%d story files for '%s', expected one: %s" % (
        len(want), o["story"], ", ".join(want)), o
elif not want:
    assert o["reason"] == "no story file for '%s'" % o["story"], o
else:
    assert "reason" not in o, o
PY
done <<EOF_STEP
config-location 1.1 0 true work/stories/1-1-open-an-account.md
subfolders 2.2 0 true $A/epic-2/stories/2-2-filters.md
companions 3.3 0 true $A/3-3-export-csv-and-json-reports.md
companions 3.4 1 false $A/3-4-import-csv.md,$A/3-4-import-json.md
key-only CORE-001 0 true $A/CORE-001.md
key-only CORE-002 1 false -
EOF_STEP

# verified via the story file: the stable note stays
P=$TMP/layout/companions
expect_exit 0 "companions 3.4: note" -- env -C "$P" "$HELPER" verify-code-review 3.4
check "$TMP/out" "companions 3.4: note" note=sprint_status_not_updated
P=$TMP/layout/review-wins
expect_exit 1 "review-wins: not verified, exit 1" -- env -C "$P" "$HELPER" verify-code-review 18-3-csv-json-export
check "$TMP/out" "review-wins: story" story=18-3-csv-json-export sprint_status=in-progress story_file_status=done

# without its config, config-location's stories are not found
rm -r "$TMP/layout/config-location/_bmad"
expect_exit 1 "config-location without config" -- env -C "$TMP/layout/config-location" "$HELPER" story-file-status 1.2
check "$TMP/out" "config-location without config" reason=story_file_not_found

# a config that does not parse: a warning, on stderr and in the JSON; the defaults apply
P=$TMP/layout/bad-config
expect_exit 0 "bad-config" -- env -C "$P" "$HELPER" story-file-status 7.1
expect_grep "$TMP/err" "config.yaml:5:1: warning: BMAD config not used" "bad-config warning"
grep -qF '"warnings":["' "$TMP/out" || fail "bad-config: no warnings in $(cat "$TMP/out")"

# the sprint-status's own story_location names a folder too
P=$TMP/layout/subfolders
mkdir -p "$P/elsewhere" && mv "$P/$A/stories/1-2-tag-books.md" "$P/elsewhere/"
sed -i 's|^story_location: .*|story_location: "{project-root}/elsewhere"|' "$P/$A/sprint-status.yaml"
expect_exit 0 "story_location metadata" -- env -C "$P" "$HELPER" story-file-status 1.2
check "$TMP/out" "story_location metadata" file=subfolders/elsewhere/1-2-tag-books.md

# reading wrote nothing
diff -r "$FIX/review-wins" "$TMP/layout/review-wins" >/dev/null || fail "review-wins: the fixture changed"

finish
