#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0300-fake-agent: scripts/fake-agent run directly (no tmux) in copies of
# examples/demo: every behaviour's exit status, result line and edits, the
# sprint-status edits (one value changed, everything else byte for byte), the
# prompt received byte-exact and never executed, ask answered through stdin.
. "$(dirname "$0")/lib.sh"
: "${SOURCE_DIR:?SOURCE_DIR must point at the source tree}"

FA="$SOURCE_DIR/scripts/fake-agent"
DEMO="$SOURCE_DIR/examples/demo"
SS=_bmad-output/implementation-artifacts/sprint-status.yaml
[ -x "$FA" ] || fail "$FA is not executable"

n=0
# project: a fresh copy of the demo template; sets P to its path.
project() {
	n=$((n + 1))
	P="$TMP/p$n"
	mkdir -p "$P"
	cp -R "$DEMO/." "$P/"
	cp "$P/$SS" "$TMP/orig-$n.yaml"
	ORIG="$TMP/orig-$n.yaml"
}

# fa STDIN [NAME=VALUE...] -- [PROMPT]: runs the fake agent in $P with the
# environment the orchestrator gives it (story 1.2, step dev), overridden by
# the NAME=VALUE words. Sets RC; output in $TMP/out and $TMP/err.
fa() {
	local in=$1 envs=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	# (the outer subshell keeps bash's "Killed" job report out of the test log)
	( (cd "$P" && exec env -u AUTOMATOR_FAKE -u AUTOMATOR_FAKE_LOG_DIR \
		AUTOMATOR_CHILD=1 AUTOMATOR_STORY=1.2 AUTOMATOR_STORY_KEY=1-2-next-watering-date \
		AUTOMATOR_STEP=dev AUTOMATOR_CYCLE=1 AUTOMATOR_ATTEMPT=1 \
		AUTOMATOR_STATUS_FILE="$P/$SS" AUTOMATOR_FAKE_DELAY=0.01 \
		"${envs[@]}" timeout 20 "$FA" "$@") <"$in" >"$TMP/out" 2>"$TMP/err"
	exit $?) 2>/dev/null
	RC=$?
}

want_rc() { # CODE WHAT
	if [ "$RC" != "$1" ]; then
		fail "$2: exit $RC, want $1"
		sed 's/^/  out: /' "$TMP/out" >&2
		sed 's/^/  err: /' "$TMP/err" >&2
	fi
}

# want_last LINE WHAT: the last line of the output is exactly LINE.
want_last() {
	local got
	got=$(tail -n 1 "$TMP/out")
	[ "$got" = "$1" ] || fail "$2: last line '$got', want '$1'"
}

no_result() { # WHAT
	if grep -q AUTOMATOR_RESULT "$TMP/out"; then fail "$1: printed an AUTOMATOR_RESULT line"; fi
}

# want_status KEY VALUE WHAT: the sprint-status file equals the original
# with only KEY's value replaced (indentation and comment kept).
want_status() {
	local key=$1 value=$2 what=$3
	sed "s/^\(  $key: *\)ready-for-dev/\1$value/" "$ORIG" >"$TMP/want.yaml"
	cmp -s "$TMP/want.yaml" "$P/$SS" || {
		fail "$what: sprint-status differs from the expected edit"
		diff -u "$TMP/want.yaml" "$P/$SS" | sed 's/^/  /' >&2
	}
	grep -q "^  $key: $value" "$P/$SS" || fail "$what: $key is not $value"
}

unchanged() { # WHAT
	cmp -s "$ORIG" "$P/$SS" || {
		fail "$1: sprint-status changed"
		diff -u "$ORIG" "$P/$SS" | sed 's/^/  /' >&2
	}
}

DONE_12='AUTOMATOR_RESULT {"status":"done","summary":"story 1.2: dev finished (attempt 1)"}'

# --- succeed ------------------------------------------------------------------
project
fa /dev/null -- "Implement story 1.2: Compute the next watering date
second line"
want_rc 0 "default behaviour"
want_last "$DONE_12" "default behaviour"
expect_grep "$TMP/out" "fake-agent" "banner"
expect_grep "$TMP/out" "^Working on: Implement story 1.2: Compute the next watering date$" "first prompt line"
grep -q "second line" "$TMP/out" && fail "only the first prompt line is echoed"
want_status 1-2-next-watering-date review "dev succeed"
[ "$(grep -c '^● ' "$TMP/out")" -ge 2 ] || fail "succeed prints progress lines"

project
fa /dev/null AUTOMATOR_FAKE=succeed AUTOMATOR_STORY=1.1 AUTOMATOR_STORY_KEY=1-1-plant-registry -- "x"
want_rc 0 "succeed 1.1"
want_status 1-1-plant-registry review "dev succeed keeps the trailing comment"
grep -q '^  1-1-plant-registry: review            # the data file and its reader$' "$P/$SS" ||
	fail "the comment of 1-1 is not kept byte for byte"

# the key is found by its prefix when the orchestrator's key differs
project
fa /dev/null AUTOMATOR_STORY=1.3 AUTOMATOR_STORY_KEY=1-3 -- "x"
want_status 1-3-daily-reminder review "key found by prefix"

# a review step that succeeds marks the story done
project
fa /dev/null AUTOMATOR_STEP=review -- "x"
want_rc 0 "review succeed"
want_last 'AUTOMATOR_RESULT {"status":"done","summary":"story 1.2: review finished (attempt 1)"}' "review succeed"
want_status 1-2-next-watering-date 'done' "review succeed"

# other steps leave sprint-status alone; no status file, or a story not in it: no edit
project
fa /dev/null AUTOMATOR_STEP=docs -- "x"
want_rc 0 "other step"
unchanged "a step that is neither dev nor review"
fa /dev/null AUTOMATOR_STORY=7.1 AUTOMATOR_STORY_KEY=7-1-absent -- "x"
want_rc 0 "story not in sprint-status"
unchanged "story not in sprint-status"
expect_grep "$TMP/out" "not in sprint-status" "story not in sprint-status note"
fa /dev/null AUTOMATOR_STATUS_FILE= -- "x"
want_rc 0 "no status file"
unchanged "no status file"
fa /dev/null AUTOMATOR_STATUS_FILE="$P/missing.yaml" -- "x"
want_rc 0 "missing status file"
[ -e "$P/missing.yaml" ] && fail "a missing status file was created"
leftover=$(find "$P" -name '.sprint-status.*')
[ -z "$leftover" ] || fail "temporary files left: $leftover"

# --- sprint-status edits: quoting, nesting, keys compared literally -------------
project
cat >"$P/ss.yaml" <<'EOF'
# comment: 1-2-x: ready-for-dev
generated: 2025-06-09
development_status:
  1-10-other: backlog   # 1-1 must not match this
  "1-1-quoted": 'ready-for-dev' # single-quoted value
  2-1-flow: {status: "backlog", owner: me}  # flow mapping
  2-2-block:
    status: backlog       # block mapping
    note: keep
  3-1-axb: backlog
  3-1-a.b: backlog
EOF
printf '  4-2-crlf: backlog\r\n' >>"$P/ss.yaml"
printf 'other_top_level: 1-1-not-a-story\n' >>"$P/ss.yaml"
cp "$P/ss.yaml" "$TMP/ss-orig.yaml"
edit_case() { # STORY KEY WHAT
	fa /dev/null AUTOMATOR_STATUS_FILE="$P/ss.yaml" AUTOMATOR_STORY="$1" AUTOMATOR_STORY_KEY="$2" -- "x"
	want_rc 0 "$3"
}
edit_case 1.1 1-1 "quoted key and value"
edit_case 2.1 2-1-flow "flow mapping"
edit_case 2.2 2-2-block "block mapping"
# AUTOMATOR_STORY unset: the key is compared literally ('.' is no wildcard)
edit_case "" 3-1-a.b "a key with a regex metacharacter"
edit_case 4.2 4-2-crlf "CRLF line"
sed -e "s/^  \"1-1-quoted\": 'ready-for-dev'/  \"1-1-quoted\": 'review'/" \
	-e 's/^  2-1-flow: {status: "backlog"/  2-1-flow: {status: "review"/' \
	-e 's/^    status: backlog       # block/    status: review       # block/' \
	-e 's/^  3-1-a\.b: backlog/  3-1-a.b: review/' \
	-e 's/^  4-2-crlf: backlog\r$/  4-2-crlf: review\r/' \
	"$TMP/ss-orig.yaml" >"$TMP/ss-want.yaml"
cmp -s "$TMP/ss-want.yaml" "$P/ss.yaml" || {
	fail "sprint-status edits of quoted, nested and literal keys"
	diff -u "$TMP/ss-want.yaml" "$P/ss.yaml" | sed 's/^/  /' >&2
}

# parallel agents on one status file lose no update
project
for s in 1.1 1.2 1.3 1.4 1.5; do
	(cd "$P" && AUTOMATOR_STORY=$s AUTOMATOR_STEP=dev AUTOMATOR_STATUS_FILE="$P/$SS" \
		AUTOMATOR_FAKE_DELAY=0 timeout 20 "$FA" x >/dev/null 2>&1) &
done
wait
sed -E 's/^(  1-[1-5]-[a-z-]+: *)ready-for-dev/\1review/' "$ORIG" >"$TMP/want.yaml"
cmp -s "$TMP/want.yaml" "$P/$SS" || {
	fail "parallel edits: not every story is in review"
	diff -u "$TMP/want.yaml" "$P/$SS" | sed 's/^/  /' >&2
}

# --- edit -------------------------------------------------------------------------
project
cp "$P/src/watering.sh" "$TMP/watering.orig"
fa /dev/null 'AUTOMATOR_FAKE=edit src/schedule.sh src/watering.sh notes/deep/dir/plan.md' -- "x"
want_rc 0 "edit"
want_last "$DONE_12" "edit"
[ -f "$P/src/schedule.sh" ] || fail "edit did not create src/schedule.sh"
grep -q '^# story 1.2 ' "$P/src/schedule.sh" || fail "edit: the new file does not mention the story"
grep -q '^- story 1.2 ' "$P/notes/deep/dir/plan.md" || fail "edit: the directories were not created"
head -c "$(wc -c <"$TMP/watering.orig")" "$P/src/watering.sh" | cmp -s - "$TMP/watering.orig" ||
	fail "edit: the existing file was not appended to"
[ "$(($(wc -l <"$P/src/watering.sh") - $(wc -l <"$TMP/watering.orig")))" = 1 ] ||
	fail "edit: more than one line appended"
tail -n 1 "$P/src/watering.sh" | grep -q 'story 1.2' || fail "edit: the appended line does not mention the story"
want_status 1-2-next-watering-date review "edit then succeed"
sh "$P/tests/check.sh" >/dev/null 2>&1 || fail "edit broke the demo project's check"

project
for bad in 'edit' 'edit /etc/passwd' 'edit ../outside' 'edit src/../../outside'; do
	fa /dev/null "AUTOMATOR_FAKE=$bad" -- "x"
	want_rc 2 "'$bad'"
done
[ -e "$TMP/outside" ] && fail "edit wrote outside the project"

# --- fail, crash, garbage, slow ---------------------------------------------------
project
fa /dev/null AUTOMATOR_FAKE=fail -- "x"
want_rc 1 "fail"
want_last 'AUTOMATOR_RESULT {"status":"failed","summary":"story 1.2: dev failed: the build does not pass"}' "fail"
expect_grep "$TMP/out" "Error" "fail prints a build error"
unchanged "fail"

fa /dev/null AUTOMATOR_FAKE=crash -- "x"
want_rc 137 "crash"
no_result "crash"
( (cd "$P" && AUTOMATOR_FAKE=crash AUTOMATOR_FAKE_DELAY=0 "$FA" x >/dev/null 2>&1) ) 2>/dev/null
RC=$?
want_rc 137 "crash without timeout(1)"
unchanged "crash"

fa /dev/null AUTOMATOR_FAKE=garbage -- "x"
want_rc 0 "garbage"
no_result "garbage"
unchanged "garbage"

start=$(date +%s%N)
fa /dev/null AUTOMATOR_FAKE=slow AUTOMATOR_FAKE_DELAY=0.02 -- "x"
ms=$((($(date +%s%N) - start) / 1000000))
want_rc 0 "slow"
want_last "$DONE_12" "slow"
[ "$(grep -c 'Working through the change' "$TMP/out")" = 10 ] || fail "slow: not 10 progress lines"
[ "$ms" -ge 1000 ] || fail "slow: took ${ms} ms, want >= 1000 (10 x 5 x 0.02 s)"

# --- hang --------------------------------------------------------------------------
project
(cd "$P" && exec env AUTOMATOR_STORY=1.2 AUTOMATOR_FAKE=hang AUTOMATOR_FAKE_DELAY=0.01 "$FA" x) \
	</dev/null >"$TMP/hang.out" 2>&1 &
pid=$!
sleep 1
if kill -0 "$pid" 2>/dev/null; then
	size=$(wc -c <"$TMP/hang.out")
	sleep 0.5
	[ "$(wc -c <"$TMP/hang.out")" = "$size" ] || fail "hang: still printing"
	kill -KILL "$pid"
else
	fail "hang: exited within 1 s"
fi
wait "$pid" 2>/dev/null
grep -q AUTOMATOR_RESULT "$TMP/hang.out" && fail "hang printed a result"
grep -q "Working on: x" "$TMP/hang.out" || fail "hang: no banner"
unchanged "hang"

# --- ask -----------------------------------------------------------------------------
project
for yes in y yes Y YES; do
	printf '%s\n' "$yes" >"$TMP/in"
	fa "$TMP/in" AUTOMATOR_FAKE=ask -- "x"
	want_rc 0 "ask answered '$yes'"
	want_last "$DONE_12" "ask answered '$yes'"
done
grep -q '\[y/n\] $' "$TMP/out" || fail "ask: the question does not end with '[y/n] '"
want_status 1-2-next-watering-date review "ask yes"
printf 'y\r\n' >"$TMP/in"
fa "$TMP/in" AUTOMATOR_FAKE=ask -- "x"
want_rc 0 "ask answered 'y' with CR LF"

project
for no in n no maybe ''; do
	printf '%s\n' "$no" >"$TMP/in"
	fa "$TMP/in" AUTOMATOR_FAKE=ask -- "x"
	want_rc 1 "ask answered '$no'"
	tail -n 1 "$TMP/out" | grep -q '^AUTOMATOR_RESULT {"status":"failed",' || fail "ask '$no': no failed result"
done
fa /dev/null AUTOMATOR_FAKE=ask -- "x"
want_rc 1 "ask at end of input"
printf '"quoted" \\ answer\n' >"$TMP/in"
fa "$TMP/in" AUTOMATOR_FAKE=ask -- "x"
want_last 'AUTOMATOR_RESULT {"status":"failed","summary":"story 1.2: dev stopped: the question was answered '"'"'\"quoted\" \\ answer'"'"'"}' \
	"ask: the answer is escaped in the JSON summary"
unchanged "ask no"

# --- review ---------------------------------------------------------------------------
project
for c in 1 2 3; do
	fa /dev/null AUTOMATOR_STEP=review AUTOMATOR_CYCLE=$c "AUTOMATOR_FAKE=review-passes-after 3" -- "x"
	want_rc 0 "review-passes-after 3, cycle $c"
	if [ "$c" -lt 3 ]; then
		want_last "AUTOMATOR_RESULT {\"status\":\"changes_requested\",\"summary\":\"story 1.2: 2 findings in review cycle $c\"}" \
			"review-passes-after 3, cycle $c"
		want_status 1-2-next-watering-date in-progress "review-passes-after 3, cycle $c"
	else
		want_last 'AUTOMATOR_RESULT {"status":"done","summary":"story 1.2: review passed in cycle 3"}' \
			"review-passes-after 3, cycle 3"
		want_status 1-2-next-watering-date 'done' "review-passes-after 3, cycle 3"
	fi
done
fa /dev/null AUTOMATOR_STEP=review AUTOMATOR_CYCLE=5 "AUTOMATOR_FAKE=review-passes-after 3" -- "x"
want_last 'AUTOMATOR_RESULT {"status":"done","summary":"story 1.2: review passed in cycle 5"}' "review after N"

project
fa /dev/null AUTOMATOR_STEP=review AUTOMATOR_CYCLE=99 AUTOMATOR_FAKE=review-never-passes -- "x"
want_rc 0 "review-never-passes"
want_last 'AUTOMATOR_RESULT {"status":"changes_requested","summary":"story 1.2: 2 findings in review cycle 99"}' "review-never-passes"
want_status 1-2-next-watering-date in-progress "review-never-passes"

# --- sequences and attempts -------------------------------------------------------------
project
printf 'yes\n' >"$TMP/in"
fa "$TMP/in" 'AUTOMATOR_FAKE=edit src/schedule.sh ; ask' -- "x"
want_rc 0 "edit ; ask"
[ -f "$P/src/schedule.sh" ] || fail "edit ; ask: no edit"
fa /dev/null AUTOMATOR_STEP=review AUTOMATOR_CYCLE=1 'AUTOMATOR_FAKE=edit docs/review.md ; review-passes-after 2' -- "x"
want_last 'AUTOMATOR_RESULT {"status":"changes_requested","summary":"story 1.2: 2 findings in review cycle 1"}' "edit ; review"
[ -f "$P/docs/review.md" ] || fail "edit ; review: no edit"

project
for a in 1 2 3 4; do
	fa /dev/null AUTOMATOR_ATTEMPT=$a 'AUTOMATOR_FAKE=crash || fail || edit src/a.sh' -- "x"
	case $a in
	1) want_rc 137 "attempt 1 of 'crash || fail || edit'" ;;
	2) want_rc 1 "attempt 2 of 'crash || fail || edit'" ;;
	*) want_rc 0 "attempt $a of 'crash || fail || edit'" ;;
	esac
done
[ "$(grep -c 'story 1.2' "$P/src/a.sh")" = 2 ] || fail "attempts 3 and 4 did not both edit"

# --- unknown or malformed behaviours: exit 2, nothing done ---------------------------------
project
for bad in frobnicate 'fail now' 'review-passes-after' 'review-passes-after 0' 'review-passes-after x' \
	'fail ; succeed' 'edit src/x.sh ; frobnicate' 'ask please' ' ; '; do
	fa /dev/null "AUTOMATOR_FAKE=$bad" -- "x"
	want_rc 2 "behaviour '$bad'"
	grep -q '^fake-agent: ' "$TMP/err" || fail "behaviour '$bad': no message on stderr"
done
fa /dev/null AUTOMATOR_FAKE=frobnicate -- "x"
expect_grep "$TMP/err" "fake-agent: unknown behaviour 'frobnicate'" "unknown behaviour message"
[ -e "$P/src/x.sh" ] && fail "a rejected behaviour made an edit"
unchanged "rejected behaviours"

# --- the prompt: received byte-exact, never executed ---------------------------------------
project
prompt=$'Implement story 1.2: Handle "quoted" names & $(touch pwned) `touch pwned`\n'
prompt+=$'it\'s a \\ backslash; $HOME * ? [a] %s %n\n\ttabbed line\n\n-- trailing newline kept\n'
printf '%s' "$prompt" >"$TMP/prompt.want"
fa /dev/null AUTOMATOR_FAKE_LOG_DIR="$TMP/log" AUTOMATOR_CYCLE=2 -- "$prompt"
want_rc 0 "hostile prompt"
cmp -s "$TMP/prompt.want" "$TMP/log/1.2-dev-1.prompt" || {
	fail "the prompt did not reach the log byte for byte"
	od -c "$TMP/log/1.2-dev-1.prompt" | head -20 | sed 's/^/  /' >&2
}
# shellcheck disable=SC2016 # literal on purpose
grep -qxF 'Working on: Implement story 1.2: Handle "quoted" names & $(touch pwned) `touch pwned`' "$TMP/out" ||
	fail "the first prompt line is not echoed literally"
[ "$(cat "$TMP/log/calls.log")" = "1.2 dev 1 2 succeed" ] || fail "calls.log: '$(cat "$TMP/log/calls.log")'"
fa /dev/null AUTOMATOR_FAKE_LOG_DIR="$TMP/log" AUTOMATOR_STEP=review AUTOMATOR_ATTEMPT=2 \
	"AUTOMATOR_FAKE=review-passes-after 2" -- ""
if [ ! -f "$TMP/log/1.2-review-2.prompt" ] || [ -s "$TMP/log/1.2-review-2.prompt" ]; then
	fail "an empty prompt gives an empty prompt log"
fi
[ "$(sed -n 2p "$TMP/log/calls.log")" = "1.2 review 2 1 review-passes-after 2" ] ||
	fail "calls.log second line: '$(sed -n 2p "$TMP/log/calls.log")'"
pwned=$(find "$TMP" / -maxdepth 1 -name 'pwned*' 2>/dev/null; find "$TMP" -name 'pwned*')
[ -z "$pwned" ] || fail "the prompt was executed: $pwned"

finish
