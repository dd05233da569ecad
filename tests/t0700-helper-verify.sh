#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0700-helper-verify: orchestrator-helper verify-code-review, verify-step,
# sprint-status get|exists|check-epic, story-file-status and normalize-key
# on the fixture projects of tests/fixtures/helper/ (and a generated
# 500-story one): every answer compared field by field with the expected
# JSON, exit codes, project root discovery (--project-root, $PROJECT_ROOT,
# the upward search from a subdirectory), review contracts, bad input.
. "$(dirname "$0")/lib.sh"
need python3

unset PROJECT_ROOT
FIX=$SOURCE_DIR/tests/fixtures/helper
ROOT=$(cd "$TMP" && pwd -P)
cp -R "$FIX"/. "$ROOT"/
ART=_bmad-output/implementation-artifacts
B=$ROOT/basic

# expect_json RC JSON DESCRIPTION -- CMD...: CMD exits RC and prints one
# compact JSON value on one line whose fields are exactly those of JSON, in
# the same order, with the same values.
expect_json() {
	local rc=$1 want=$2 what=$3
	shift 4
	expect_exit "$rc" "$what" -- "$@"
	python3 - "$want" "$TMP/out" "$what" <<'PY' || failures=$((failures + 1))
import json, sys
want, path, what = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
text = open(path, encoding="utf-8", errors="replace").read()
def bad(msg):
    print("FAIL: %s: %s" % (what, msg), file=sys.stderr)
    print("  out: " + text.rstrip("\n"), file=sys.stderr)
    sys.exit(1)
lines = text.split("\n")
if len(lines) != 2 or lines[1] != "":
    bad("expected one line of output")
try:
    got = json.loads(lines[0])
except ValueError as e:
    bad("not JSON: %s" % e)
if lines[0] != json.dumps(got, separators=(",", ":"), ensure_ascii=False):
    bad("not compact")
if isinstance(want, dict):
    if not isinstance(got, dict):
        bad("not an object")
    for k in want:
        if k not in got:
            bad("field %r missing (want %r)" % (k, want[k]))
        if got[k] != want[k] or type(got[k]) != type(want[k]):
            bad("field %r is %r, want %r" % (k, got[k], want[k]))
    extra = [k for k in got if k not in want]
    if extra:
        bad("unexpected fields %r" % extra)
    if list(got) != list(want):
        bad("field order %r, want %r" % (list(got), list(want)))
elif got != want:
    bad("%r, want %r" % (got, want))
PY
}

# ---- verify-code-review: the basic project, one case per known mistake ----
VCR=(env -C "$B" "$HELPER" verify-code-review)
ok_sprint() {
	printf '{"verified":true,"story":"%s","sprint_status":"%s","story_file_status":"%s","source":"sprint-status.yaml"}' "$@"
}
ok_file() {
	printf '{"verified":true,"story":"%s","sprint_status":"%s","story_file_status":"%s","source":"story-file","note":"sprint_status_not_updated"}' "$@"
}
not_done() {
	printf '{"verified":false,"story":"%s","sprint_status":"%s","story_file_status":"%s","reason":"workflow_not_complete"}' "$@"
}

# `done  # comment`; the story file's status in YAML frontmatter
expect_json 0 "$(ok_sprint 1-1-user-login done done)" "done with a comment" -- "${VCR[@]}" 1.1
# sprint says review, the story file's body line says done: the note
for k in 1.2 1-2 1-2-password-reset 1-2-other-slug; do
	expect_json 0 "$(ok_file 1-2-password-reset review done)" "body line only ($k)" -- "${VCR[@]}" "$k"
done
# quoted "done" is done; '**Status:** review' is read from the story file
expect_json 0 "$(ok_sprint 1-3-profile-page done review)" "quoted done" -- "${VCR[@]}" 1.3
expect_json 0 "$(ok_sprint 1-7-export Done unknown)" "single-quoted Done, no story file" -- "${VCR[@]}" 1.7
# nested {status: done}, letter-suffixed id
for k in 1.4b 1-4b 1-4b-profile-photos; do
	expect_json 0 "$(ok_sprint 1-4b-profile-photos done Done.)" "nested, letter suffix ($k)" -- "${VCR[@]}" "$k"
done
# '**Status:** in-progress'; a 'Status: done' inside a code fence does not count
expect_json 1 "$(not_done 1-5-settings review in-progress)" "bold status, fenced done" -- "${VCR[@]}" 1.5
# story file missing
expect_json 1 "$(not_done 1-6-audit-log in-progress unknown)" "story file missing" -- "${VCR[@]}" 1.6
# the block form of the nested status
expect_json 1 "$(not_done 2-1-garden-map ready-for-dev unknown)" "block nested status" -- "${VCR[@]}" 2.1
# '- STATUS: **done**' as a list item
expect_json 0 "$(ok_file 2-2-plant-list review done)" "list item status" -- "${VCR[@]}" 2-2
# a single-part letter id
expect_json 1 "$(not_done 5a review review)" "single-part id 5a" -- "${VCR[@]}" 5a
# upper-case DONE in the sprint-status
expect_json 0 "$(ok_sprint 3-2-cleanup DONE unknown)" "DONE" -- "${VCR[@]}" 3.2
# a story file the sprint-status does not list: its name is the key
expect_json 0 "$(ok_file 4-1-orphan unknown done)" "story file only" -- "${VCR[@]}" 4.1
# unknown and invalid keys
for k in foo 9.9 'a b' '$(touch pwned)' -1; do
	expect_json 1 "{\"verified\":false,\"reason\":\"could_not_normalize_key\",\"input\":$(python3 -c 'import json,sys; print(json.dumps(sys.argv[-1]))' -- "$k")}" \
		"unknown key '$k'" -- "${VCR[@]}" -- "$k"
done
[ -e "$B/pwned" ] && fail "a key was run by a shell"
expect_exit 64 "verify-code-review without a key" -- "${VCR[@]}"
expect_exit 64 "verify-code-review with two keys" -- "${VCR[@]}" 1.1 1.2
expect_exit 64 "verify-code-review unknown option" -- "${VCR[@]}" 1.1 --bogus

# ---- project root: --project-root, $PROJECT_ROOT, upward search ----
want=$(ok_file 1-2-password-reset review done)
expect_json 0 "$want" "from a subdirectory" -- env -C "$B/src/deep" "$HELPER" verify-code-review 1.2
expect_json 0 "$want" "from the artifacts directory" -- env -C "$B/$ART" "$HELPER" verify-code-review 1.2
expect_json 0 "$want" "--project-root" -- env -C / "$HELPER" verify-code-review --project-root "$B" 1.2
expect_json 0 "$want" "--project-root=DIR" -- env -C / "$HELPER" verify-code-review 1.2 --project-root="$B"
expect_json 0 "$want" "PROJECT_ROOT" -- env -C / PROJECT_ROOT="$B" "$HELPER" verify-code-review 1.2
expect_json 0 "$want" "--project-root wins over PROJECT_ROOT" -- \
	env -C / PROJECT_ROOT="$ROOT/legacy" "$HELPER" verify-code-review 1.2 --project-root "$B"
expect_json 64 '{"verified":false,"reason":"no_project_root"}' "PROJECT_ROOT not a directory" -- \
	env PROJECT_ROOT="$ROOT/nowhere" "$HELPER" verify-code-review 1.2
expect_grep "$TMP/err" "project root is not a directory" "PROJECT_ROOT not a directory message"
mkdir -p "$ROOT/plain/sub"
if ! env -C "$ROOT/plain/sub" "$HELPER" verify-code-review 1.2 >/dev/null 2>&1; then :; fi
# (a search that reaches / may find a real project above $TMP; only check
# the answer when none is there)
if [ ! -e /.git ] && [ ! -d /_bmad-output ] && [ ! -d /.automator ] &&
	[ ! -e /tmp/.git ] && [ ! -d /tmp/.automator ] && [ ! -d /tmp/_bmad-output ] &&
	[ "$(dirname "$ROOT")" = /tmp ]; then
	expect_json 64 '{"verified":false,"reason":"no_project_root"}' "no project root" -- \
		env -C "$ROOT/plain/sub" "$HELPER" verify-code-review 1.2
	expect_grep "$TMP/err" "no project root found" "no project root message"
fi

# every command, from a subdirectory and with $PROJECT_ROOT
for cmd in "verify-code-review 1.2" "sprint-status get 1.2" "sprint-status exists" \
	"sprint-status check-epic 1" "story-file-status 1.2" "normalize-key 1.2"; do
	# shellcheck disable=SC2086
	env -C "$B" "$HELPER" $cmd >"$TMP/want" 2>/dev/null
	# shellcheck disable=SC2086
	expect_exit 0 "$cmd from a subdirectory" -- env -C "$B/src/deep" "$HELPER" $cmd
	cmp -s "$TMP/out" "$TMP/want" || fail "$cmd from a subdirectory: $(cat "$TMP/out")"
	# shellcheck disable=SC2086
	expect_exit 0 "$cmd with PROJECT_ROOT" -- env -C / PROJECT_ROOT="$B" "$HELPER" $cmd
	cmp -s "$TMP/out" "$TMP/want" || fail "$cmd with PROJECT_ROOT: $(cat "$TMP/out")"
	# shellcheck disable=SC2086
	expect_exit 0 "$cmd with --project-root" -- env -C / "$HELPER" $cmd --project-root "$B"
	cmp -s "$TMP/out" "$TMP/want" || fail "$cmd with --project-root: $(cat "$TMP/out")"
done
expect_exit 0 "verify-step from a subdirectory" -- \
	env -C "$ROOT/step/tests" "$HELPER" verify-step review 1.1
expect_exit 0 "verify-step with PROJECT_ROOT" -- \
	env -C / PROJECT_ROOT="$ROOT/step" "$HELPER" verify-step review 1.1

# ---- the older location, no sprint-status, CRLF ----
L=$ROOT/legacy
expect_json 0 "$(ok_sprint 1-1-first-steps done unknown)" "legacy location" -- \
	env -C "$L" "$HELPER" verify-code-review 1.1
expect_json 1 "$(not_done 1-2-second-steps review review)" "legacy location, review" -- \
	env -C "$L" "$HELPER" verify-code-review 1-2
expect_json 0 '{"found":true,"story":"1-2-second-steps","status":"review","done":false}' \
	"legacy get" -- env -C "$L" "$HELPER" sprint-status get 1.2
expect_json 0 true "legacy exists" -- env -C "$L" "$HELPER" sprint-status exists
# the newer location wins when both exist
mkdir -p "$L/$ART" && printf 'development_status:\n  1-1-first-steps: review\n' >"$L/$ART/sprint-status.yaml"
expect_json 1 "$(not_done 1-1-first-steps review unknown)" "newer location first" -- \
	env -C "$L" "$HELPER" verify-code-review 1.1
rm "$L/$ART/sprint-status.yaml"

N=$ROOT/no-status
expect_json 1 "{\"verified\":false,\"story\":\"1-1\",\"reason\":\"sprint_status_not_found\",\"project_root\":\"$N\"}" \
	"sprint-status missing" -- env -C "$N" "$HELPER" verify-code-review 1.1
expect_grep "$TMP/err" "no sprint-status.yaml" "sprint-status missing message"
expect_json 1 false "exists without a sprint-status" -- env -C "$N" "$HELPER" sprint-status exists
expect_json 1 '{"found":false,"story":"1.1","status":"not_found","reason":"sprint_status_not_found"}' \
	"get without a sprint-status" -- env -C "$N" "$HELPER" sprint-status get 1.1
expect_json 1 '{"ok":false,"epic":"1","reason":"sprint_status_not_found"}' \
	"check-epic without a sprint-status" -- env -C "$N" "$HELPER" sprint-status check-epic 1
expect_json 0 '{"ok":true,"id":"1.1","prefix":"1-1","key":"1-1"}' \
	"normalize-key without a sprint-status" -- env -C "$N" "$HELPER" normalize-key 1.1
expect_json 0 "{\"ok\":true,\"story_key\":\"1-1-lonely\",\"file\":\"$N/$ART/1-1-lonely.md\",\"status\":\"done\",\"title\":\"Lonely\"}" \
	"story-file-status without a sprint-status" -- env -C "$N" "$HELPER" story-file-status 1.1

C=$ROOT/crlf
expect_json 0 "$(ok_sprint 1-1-windows done review)" "CRLF quoted done with comment" -- \
	env -C "$C" "$HELPER" verify-code-review 1.1
expect_json 0 "$(ok_file 1-2-notepad review Done)" "CRLF bold body line" -- \
	env -C "$C" "$HELPER" verify-code-review 1.2
expect_json 1 "$(not_done 1-3-wordpad review in-progress)" "CRLF frontmatter first" -- \
	env -C "$C" "$HELPER" verify-code-review 1.3
expect_json 0 "{\"ok\":true,\"story_key\":\"1-3-wordpad\",\"file\":\"$C/$ART/1-3-wordpad.md\",\"status\":\"in-progress\",\"title\":\"WordPad\"}" \
	"CRLF story-file-status" -- env -C "$C" "$HELPER" story-file-status 1.3
expect_json 0 '{"found":true,"story":"1-1-windows","status":"done","done":true}' \
	"CRLF get" -- env -C "$C" "$HELPER" sprint-status get 1-1
grep -q $'\r' "$C/$ART/sprint-status.yaml" || fail "the CRLF fixture lost its CR bytes"

# ---- review contracts ----
K=$ROOT/contract
expect_json 1 "$(not_done 1-1-sprint-only done review)" "contract: sprint-status not asked" -- \
	env -C "$K" "$HELPER" verify-code-review 1.1
expect_json 0 "$(ok_file 1-2-approved review APPROVED)" "contract: another done value" -- \
	env -C "$K" "$HELPER" verify-code-review 1.2
expect_json 0 '{"verified":true,"story":"1-3-both","sprint_status":"done","story_file_status":"done","source":"story-file"}' \
	"contract: story file first, no note when both say done" -- env -C "$K" "$HELPER" verify-code-review 1.3
# order: story file first, then sprint-status
printf '{"sources": ["story-file", "sprint-status.yaml"]}\n' >"$K/.automator/review-contract.json"
expect_json 0 "$(ok_sprint 1-1-sprint-only done review)" "contract: both sources, file first" -- \
	env -C "$K" "$HELPER" verify-code-review 1.1
expect_json 1 "$(not_done 1-2-approved review APPROVED)" "contract: default done values" -- \
	env -C "$K" "$HELPER" verify-code-review 1.2
# the same contract decides the review step of a run (verify-step)
printf '{"doneValues": ["approved"]}\n' >"$K/.automator/review-contract.json"
expect_json 1 "$(not_done 1-3-both done done)" "contract: done is not a done value" -- \
	env -C "$K" "$HELPER" verify-code-review 1.3
# malformed contracts: exit 65, the position jansson reports
printf '{\n  "sources": ["story-file",]\n}\n' >"$K/.automator/review-contract.json"
expect_json 65 '{"verified":false,"reason":"review_contract_invalid"}' "contract: bad JSON" -- \
	env -C "$K" "$HELPER" verify-code-review 1.1
expect_grep "$TMP/err" "^$K/.automator/review-contract.json:2:[0-9]*: " "contract: bad JSON position"
bad_contract() {
	printf '%s\n' "$1" >"$K/.automator/review-contract.json"
	expect_json 65 '{"verified":false,"reason":"review_contract_invalid"}' "contract: $2" -- \
		env -C "$K" "$HELPER" verify-code-review 1.1
	expect_grep "$TMP/err" "$3" "contract: $2 message"
}
bad_contract '{"sources": ["story-file", "story-file"]}' "duplicate source" "is listed twice"
bad_contract '{"sources": ["sprint-status"]}' "unknown source" 'unknown source "sprint-status"'
bad_contract '{"sources": []}' "no sources" "'sources' must be a non-empty array"
bad_contract '{"doneValues": "done"}' "done values not a list" "'doneValues' must be"
bad_contract '{"doneValues": [""]}' "empty done value" "'doneValues' item 1"
bad_contract '{"doneValue": ["done"]}' "unknown key" "unknown key 'doneValue'"
bad_contract '["done"]' "not an object" "expected an object"
bad_contract '{"sources": ["story-file"], "sources": ["sprint-status.yaml"]}' "duplicate key" \
	"review-contract.json:1:[0-9]*: duplicate object key"
rm "$K/.automator/review-contract.json"
expect_json 0 "$(ok_sprint 1-1-sprint-only done review)" "no contract: the defaults" -- \
	env -C "$K" "$HELPER" verify-code-review 1.1

# ---- a sprint-status that is not valid YAML: read line by line, with warnings ----
# (BMAD's files are other tools' output: see t0740 for the tolerant reading)
X=$ROOT/broken
mkdir -p "$X/$ART"
printf 'project: x\ndevelopment_status:\n  1-1-a: done\n  1-2-b: [review\n' >"$X/$ART/sprint-status.yaml"
expect_exit 0 "invalid YAML: the rest is read" -- env -C "$X" "$HELPER" verify-code-review 1.1
expect_grep "$TMP/err" "^$X/$ART/sprint-status.yaml:[0-9]*:[0-9]*: warning: yaml syntax error: " "invalid YAML position"
expect_grep "$TMP/out" '"warnings":\[' "invalid YAML warnings in the JSON"
expect_exit 1 "invalid YAML: the bad line is skipped" -- env -C "$X" "$HELPER" sprint-status get 1.2
expect_exit 0 "check-epic on invalid YAML" -- env -C "$X" "$HELPER" sprint-status check-epic 1
expect_exit 0 "normalize-key on invalid YAML" -- env -C "$X" "$HELPER" normalize-key 1.1
# a file with no development_status block to read is still an error: 65
printf 'project: [x\n' >"$X/$ART/sprint-status.yaml"
expect_json 65 '{"verified":false,"reason":"sprint_status_invalid"}' "invalid YAML" -- \
	env -C "$X" "$HELPER" verify-code-review 1.1
expect_grep "$TMP/err" "^$X/$ART/sprint-status.yaml:[0-9]*:[0-9]*: " "invalid YAML position"
expect_json 65 '{"found":false,"reason":"sprint_status_invalid"}' "get on invalid YAML" -- \
	env -C "$X" "$HELPER" sprint-status get 1.1
expect_json 65 '{"ok":false,"reason":"sprint_status_invalid"}' "check-epic on invalid YAML" -- \
	env -C "$X" "$HELPER" sprint-status check-epic 1
expect_json 65 '{"ok":false,"reason":"sprint_status_invalid","input":"1.1"}' \
	"normalize-key on invalid YAML" -- env -C "$X" "$HELPER" normalize-key 1.1
# two stories numbered alike: a warning; the number alone is ambiguous when they disagree
printf 'development_status:\n  1-1-a: done\n  1-1-b: review\n' >"$X/$ART/sprint-status.yaml"
expect_exit 1 "a number two stories share" -- env -C "$X" "$HELPER" verify-code-review 1.1
expect_grep "$TMP/out" '"reason":"ambiguous_key","input":"1.1","candidates":\["1-1-a","1-1-b"\]' \
	"ambiguous_key"
expect_grep "$TMP/err" "sprint-status.yaml:3:3: warning: story '1-1-b' has the same number as '1-1-a' (line 2)" \
	"a number two stories share: the warning"
expect_exit 0 "the full key names one" -- env -C "$X" "$HELPER" verify-code-review 1-1-a

# ---- sprint-status get | exists | check-epic ----
SS=(env -C "$B/src/deep" "$HELPER" sprint-status)
expect_json 0 '{"found":true,"story":"1-2-password-reset","status":"review","done":false}' "get 1.2" -- "${SS[@]}" get 1.2
expect_json 0 '{"found":true,"story":"1-1-user-login","status":"done","done":true}' "get done with comment" -- "${SS[@]}" get 1-1
expect_json 0 '{"found":true,"story":"1-3-profile-page","status":"done","done":true}' "get quoted" -- "${SS[@]}" get 1.3
expect_json 0 '{"found":true,"story":"1-4b-profile-photos","status":"done","done":true}' "get nested" -- "${SS[@]}" get 1.4b
expect_json 0 '{"found":true,"story":"3-2-cleanup","status":"DONE","done":true}' "get DONE" -- "${SS[@]}" get 3-2-cleanup
expect_json 0 '{"found":true,"story":"5a","status":"review","done":false}' "get 5a" -- "${SS[@]}" get 5a
expect_json 0 '{"found":true,"story":"epic-1","status":"in-progress","done":false}' "get epic" -- "${SS[@]}" get epic-1
expect_json 1 '{"found":false,"story":"7.7","status":"not_found"}' "get unknown" -- "${SS[@]}" get 7.7
expect_json 1 '{"found":false,"story":"no such","status":"not_found"}' "get invalid" -- "${SS[@]}" get "no such"
expect_json 0 true "exists" -- "${SS[@]}" exists
st() { printf '{"story":"%s","status":"%s","done":%s}' "$@"; }
expect_json 0 "{\"ok\":true,\"epic\":\"1\",\"allStoriesDone\":false,\"total\":7,\"done\":4,\"stories\":[$(st 1-1-user-login done true),$(st 1-2-password-reset review false),$(st 1-3-profile-page done true),$(st 1-4b-profile-photos done true),$(st 1-5-settings review false),$(st 1-6-audit-log in-progress false),$(st 1-7-export Done true)]}" \
	"check-epic 1" -- "${SS[@]}" check-epic 1
expect_json 0 "{\"ok\":true,\"epic\":\"3\",\"allStoriesDone\":true,\"total\":2,\"done\":2,\"stories\":[$(st 3-1-archive done true),$(st 3-2-cleanup DONE true)]}" \
	"check-epic epic-3" -- "${SS[@]}" check-epic epic-3
expect_json 1 '{"ok":false,"epic":"4","reason":"epic_not_found"}' "check-epic unknown" -- "${SS[@]}" check-epic 4
expect_exit 64 "sprint-status no subcommand" -- "${SS[@]}"
expect_exit 64 "sprint-status unknown subcommand" -- "${SS[@]}" list
expect_exit 64 "sprint-status get without a key" -- "${SS[@]}" get
expect_exit 64 "sprint-status exists with an argument" -- "${SS[@]}" exists 1
expect_exit 64 "sprint-status check-epic bad epic" -- "${SS[@]}" check-epic '-x'

# ---- story-file-status ----
SFS=(env -C "$B/src/deep" "$HELPER" story-file-status)
sf() {
	printf '{"ok":true,"story_key":"%s","file":"%s","status":"%s","title":"%s"}' "$1" "$B/$ART/$2" "$3" "$4"
}
expect_json 0 "$(sf 1-1-user-login 1-1-user-login.md done 'User login')" "story-file-status frontmatter" -- "${SFS[@]}" 1.1
expect_json 0 "$(sf 1-2-password-reset 1-2-password-reset.md done 'Password reset')" "story-file-status body" -- "${SFS[@]}" 1-2
expect_json 0 "$(sf 1-4b-profile-photos 1-4b-profile-photos.md Done. 'Profile photos')" "story-file-status 1.4b" -- "${SFS[@]}" 1.4b
expect_json 0 "$(sf 2-2-plant-list 2-2-plant-list.md done 'Plant list')" "story-file-status plain title" -- "${SFS[@]}" 2.2
expect_json 0 "$(sf 5a 5a-sketchbook.md review Sketchbook)" "story-file-status 5a" -- "${SFS[@]}" 5a
expect_json 1 '{"ok":false,"story_key":"1-6-audit-log","reason":"story_file_not_found"}' \
	"story-file-status missing" -- "${SFS[@]}" 1.6
expect_json 1 '{"ok":false,"story_key":"9-9","reason":"story_file_not_found"}' \
	"story-file-status unknown" -- "${SFS[@]}" 9.9
expect_json 1 '{"ok":false,"reason":"could_not_normalize_key","input":"a b"}' \
	"story-file-status invalid" -- "${SFS[@]}" "a b"
printf 'no heading, no status\n' >"$ROOT/no-status/$ART/1-2-bare.md"
expect_json 0 "{\"ok\":true,\"story_key\":\"1-2-bare\",\"file\":\"$N/$ART/1-2-bare.md\",\"status\":\"unknown\",\"title\":null}" \
	"story-file-status without status and title" -- env -C "$N" "$HELPER" story-file-status 1.2
expect_exit 64 "story-file-status without a key" -- "${SFS[@]}"

# ---- normalize-key ----
NK=(env -C "$B/src/deep" "$HELPER" normalize-key)
expect_json 0 '{"ok":true,"id":"1.2","prefix":"1-2","key":"1-2-password-reset"}' "normalize-key 1.2" -- "${NK[@]}" 1.2
expect_json 0 '{"ok":true,"id":"1.4b","prefix":"1-4b","key":"1-4b-profile-photos"}' "normalize-key 1-4b" -- "${NK[@]}" 1-4b
expect_json 0 '{"ok":true,"id":"5a","prefix":"5a","key":"5a"}' "normalize-key 5a" -- "${NK[@]}" 5a
expect_json 0 '{"ok":true,"id":"8.1","prefix":"8-1","key":"8-1"}' "normalize-key not listed" -- "${NK[@]}" 8.1
expect_json 0 '{"ok":true,"id":"8.1","prefix":"8-1","key":"8-1-new"}' "normalize-key not listed, slug" -- "${NK[@]}" 8-1-new
expect_json 1 '{"ok":false,"reason":"could_not_normalize_key","input":"a b"}' "normalize-key invalid" -- "${NK[@]}" "a b"
expect_exit 0 "normalize-key --to key" -- "${NK[@]}" 1.2 --to key
[ "$(cat "$TMP/out")" = 1-2-password-reset ] || fail "normalize-key --to key: $(cat "$TMP/out")"
expect_exit 0 "normalize-key --to id" -- "${NK[@]}" 1-2-password-reset --to=id
[ "$(cat "$TMP/out")" = 1.2 ] || fail "normalize-key --to id: $(cat "$TMP/out")"
expect_exit 0 "normalize-key --to prefix" -- "${NK[@]}" 1.4b --to prefix
[ "$(cat "$TMP/out")" = 1-4b ] || fail "normalize-key --to prefix: $(cat "$TMP/out")"
expect_exit 64 "normalize-key --to bad" -- "${NK[@]}" 1.2 --to slug
expect_exit 64 "normalize-key bad --project-root" -- "${NK[@]}" 1.2 --project-root "$ROOT/nowhere"
expect_json 0 '{"ok":true,"id":"1.2","prefix":"1-2","key":"1-2-password-reset"}' \
	"normalize-key PROJECT_ROOT" -- env -C / PROJECT_ROOT="$B" "$HELPER" normalize-key 1.2

# ---- 500 stories ----
G=$ROOT/large
bash "$FIX/gen-large.sh" "$G" 500
[ "$(grep -c 'story-number' "$G/$ART/sprint-status.yaml")" = 500 ] || fail "gen-large: not 500 stories"
expect_json 0 "$(ok_sprint 50-10-story-number-500 done done)" "500: the last story" -- \
	env -C "$G" "$HELPER" verify-code-review 50.10
expect_json 0 "$(ok_file 50-1-story-number-491 review done)" "500: review, story file done" -- \
	env -C "$G" "$HELPER" verify-code-review 50-1
expect_json 0 "$(ok_sprint 1-1-story-number-1 done unknown)" "500: the first story" -- \
	env -C "$G" "$HELPER" verify-code-review 1.1
expect_json 0 '{"found":true,"story":"25-5-story-number-245","status":"done","done":true}' \
	"500: get" -- env -C "$G" "$HELPER" sprint-status get 25.5
expect_exit 0 "500: check-epic" -- env -C "$G" "$HELPER" sprint-status check-epic 50
python3 - "$TMP/out" <<'PY' || fail "500: check-epic 50 counts"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["ok"] and o["epic"] == "50" and o["total"] == 10 and o["done"] == 9, o
assert not o["allStoriesDone"] and len(o["stories"]) == 10, o
assert o["stories"][0] == {"story": "50-1-story-number-491", "status": "review", "done": False}, o
PY
expect_json 0 '{"ok":true,"id":"37.3","prefix":"37-3","key":"37-3-story-number-363"}' \
	"500: normalize-key" -- env -C "$G" "$HELPER" normalize-key 37.3
# a duplicate among 500 is still found (the sorted check)
printf '  7-3-again: review\n' >>"$G/$ART/sprint-status.yaml"
expect_exit 0 "500: a duplicate only warns" -- env -C "$G" "$HELPER" sprint-status get 1.1
expect_grep "$TMP/err" "warning: story '7-3-again' has the same number as '7-3-story-number-63' (line" \
	"500: the duplicate message"

# ---- verify-step: a native sprint with its own workflow ----
S=$ROOT/step
VS=(env -C "$S" "$HELPER" verify-step)
expect_json 0 '{"verified":true,"source":"story_artifact","pattern":"_bmad-output/implementation-artifacts/1-1-*.md","expectedMatches":1,"actualMatches":1,"matches":["_bmad-output/implementation-artifacts/1-1-user-login.md"]}' \
	"verify-step artifact" -- "${VS[@]}" create 1.1
expect_json 1 '{"verified":false,"source":"story_artifact","pattern":"_bmad-output/implementation-artifacts/2-1-*.md","expectedMatches":1,"actualMatches":0,"matches":[],"reason":"expected 1 matches of '"'"'_bmad-output/implementation-artifacts/2-1-*.md'"'"', found 0"}' \
	"verify-step artifact missing" -- "${VS[@]}" create 2.1
expect_json 0 "$(ok_sprint 1-1-user-login done done)" "verify-step review" -- "${VS[@]}" review 1.1
expect_json 1 '{"verified":false,"story":"1-2-password-reset","sprint_status":"review","story_file_status":"review","reason":"workflow_not_complete","source":"sprint-status.yaml"}' \
	"verify-step review not done" -- "${VS[@]}" review 1-2
expect_json 0 "{\"verified\":true,\"source\":\"command\",\"argv\":[\"sh\",\"$S/tests/check.sh\",\"1-1\"],\"exitStatus\":0}" \
	"verify-step command" -- "${VS[@]}" check 1.1
expect_json 1 "{\"verified\":false,\"source\":\"command\",\"argv\":[\"sh\",\"$S/tests/check.sh\",\"1-2\"],\"exitStatus\":3,\"reason\":\"exit 3\"}" \
	"verify-step command fails" -- "${VS[@]}" check 1.2
expect_json 0 '{"verified":true,"source":"none"}' "verify-step commit" -- "${VS[@]}" commit 1.1
expect_json 1 '{"verified":false,"source":"session_exit","reason":"no_session"}' \
	"verify-step session_exit" -- "${VS[@]}" dev 1.1
expect_exit 0 "verify-step epic" -- "${VS[@]}" epic 2.1
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["verified"] and o["epic"]=="2" and o["total"]==1, o' \
	"$TMP/out" || fail "verify-step epic fields"
expect_json 1 '{"verified":false,"story":"9.9","reason":"story_not_in_sprint"}' \
	"verify-step story not in sprint" -- "${VS[@]}" review 9.9
expect_json 1 '{"verified":false,"reason":"could_not_normalize_key","input":"a b"}' \
	"verify-step invalid key" -- "${VS[@]}" review "a b"
expect_exit 64 "verify-step unknown step" -- "${VS[@]}" nope 1.1
expect_grep "$TMP/err" "no step 'nope' in workflow 'helper-step' (steps: create, dev, review, commit, check, epic)" \
	"verify-step unknown step message"
expect_exit 64 "verify-step one argument" -- "${VS[@]}" review
expect_exit 64 "verify-step missing --sprint" -- "${VS[@]}" review 1.1 --sprint "$S/none.yaml"
expect_json 0 "$(ok_sprint 1-1-user-login done done)" "verify-step --sprint" -- \
	env -C / "$HELPER" verify-step review 1.1 --sprint "$S/sprint.yaml"
expect_json 1 '{"verified":false,"reason":"sprint_not_found"}' "verify-step without a sprint" -- \
	env -C "$ROOT/plain" PROJECT_ROOT="$ROOT/plain" "$HELPER" verify-step review 1.1
printf 'stories: [\n' >"$ROOT/plain/sprint.yaml"
expect_json 65 '{"verified":false,"reason":"sprint_invalid"}' "verify-step invalid sprint" -- \
	env -C "$ROOT/plain" PROJECT_ROOT="$ROOT/plain" "$HELPER" verify-step review 1.1
expect_grep "$TMP/err" "^$ROOT/plain/sprint.yaml:[0-9]*:[0-9]*: " "verify-step invalid sprint position"

# ---- verify-step on a BMAD sprint-status (no sprint.yaml): workflow bmad ----
# The shipped workflows/bmad.yaml is written elsewhere; a data directory
# whose bmad workflow is a copy of the demo one keeps this independent of it.
D=$ROOT/datadir
mkdir -p "$D/workflows"
ln -s "$AUTOMATOR_DATA_DIR/data" "$D/data"
sed 's/^name: demo$/name: bmad/' "$AUTOMATOR_DATA_DIR/workflows/demo.yaml" >"$D/workflows/bmad.yaml"
BVS=(env -C "$B/src/deep" AUTOMATOR_DATA_DIR="$D" "$HELPER" verify-step)
expect_json 1 '{"verified":false,"story":"1-5-settings","sprint_status":"review","story_file_status":"in-progress","reason":"workflow_not_complete","source":"sprint-status.yaml"}' \
	"bmad verify-step review" -- "${BVS[@]}" review 1.5
expect_json 0 "$(ok_file 1-2-password-reset review done)" "bmad verify-step review, story file" -- \
	"${BVS[@]}" review 1.2
# a done story is no longer queued by the sprint, but can still be checked
expect_json 0 "$(ok_sprint 1-1-user-login done done)" "bmad verify-step done story" -- "${BVS[@]}" review 1.1
expect_json 1 '{"verified":false,"reason":"could_not_normalize_key","input":"9.9"}' \
	"bmad verify-step unknown story" -- "${BVS[@]}" review 9.9
expect_exit 64 "bmad verify-step unknown step" -- "${BVS[@]}" create 1.1
expect_grep "$TMP/err" "no step 'create' in workflow 'bmad' (steps: dev, review, commit, verify)" \
	"bmad verify-step steps"

# the shipped bmad workflow, when it is there: its review_completion step
# answers as verify-code-review does
W=$AUTOMATOR_DATA_DIR/workflows/bmad.yaml
if [ -f "$W" ]; then
	step=$(awk '/^  - name:/ { n = $3 } /verifier: *review_completion/ { print n; exit }' "$W")
	if [ -n "$step" ]; then
		expect_json 0 "$(ok_file 1-2-password-reset review done)" "shipped bmad $step" -- \
			env -C "$B" "$HELPER" verify-step "$step" 1.2
	fi
fi

# ---- help ----
for c in verify-code-review verify-step sprint-status story-file-status normalize-key; do
	expect_exit 0 "$c --help" -- "$HELPER" "$c" --help
	grep -q 'to be written' "$TMP/out" && fail "$c --help: no help text"
	expect_grep "$TMP/out" "Exit status:" "$c --help exit status"
done

finish
