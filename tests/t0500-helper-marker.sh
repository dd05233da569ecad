#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0500-helper-marker: orchestrator-helper marker create|remove|check|heartbeat
# on .automator/active: fields and types, freshness (pid and heartbeat age,
# time moved with the test clock), corrupt markers, atomic writes, project
# root discovery, usage errors.
. "$(dirname "$0")/lib.sh"
need jq git

unset PROJECT_ROOT
export AUTOMATOR_TEST_CLOCK="$TMP/clock"
echo 0 >"$AUTOMATOR_TEST_CLOCK"
ROOT=$(cd "$TMP" && pwd -P)

# json FILTER DESCRIPTION: the last output ($TMP/out) is one compact JSON
# object for which FILTER is true.
json() {
	if [ "$(wc -l <"$TMP/out")" != 1 ] || ! jq -e "$1" "$TMP/out" >/dev/null 2>&1; then
		fail "$2: not true: $1"
		sed 's/^/  out: /' "$TMP/out" >&2
	fi
}
# jv FILTER: a value of the last output.
jv() {
	jq -r "$1" "$TMP/out"
}
# a pid that is certainly dead: a finished background job
dead_pid() {
	sleep 0 &
	local pid=$!
	wait "$pid"
	kill -0 "$pid" 2>/dev/null && fail "pid $pid of a finished job is alive"
	echo "$pid"
}

# ---- create, check: fields and types ----
P=$ROOT/proj
mkdir -p "$P"
git -C "$P" init -q -b main

# called without --pid from this shell: pid is the shell ($$), not the helper
"$HELPER" marker create --project-root "$P" --epic 2 --story 2-1-login --remaining 3 \
	>"$TMP/out" 2>"$TMP/err"
rc=$?
[ "$rc" = 0 ] || { fail "create: exit $rc"; cat "$TMP/err" >&2; }
json '.epic == "2" and .currentStory == "2-1-login" and .storiesRemaining == 3' "create fields"
json ".stateFile == \"$P/.automator/state.db\"" "create default state file"
json ".pid == $$" "create default pid is the caller"
json '.projectSlug | test("^proj-[0-9a-f]{6}$")' "create slug"
json '.startedAt | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")' "startedAt ISO"
json '.heartbeat == .startedAt' "create heartbeat"
json 'keys_unsorted == ["epic", "currentStory", "storiesRemaining", "stateFile",
	"startedAt", "heartbeat", "pid", "projectSlug"]' "create prints the DESIGN fields in order"
cp "$TMP/out" "$TMP/created"
started=$(jv .startedAt)

[ -f "$P/.automator/active" ] || fail "create: no $P/.automator/active"
[ "$(stat -c %a "$P/.automator/active")" = 600 ] || fail "marker mode is not 0600"
[ "$(stat -c %a "$P/.automator")" = 700 ] || fail ".automator mode is not 0700"
ls -A "$P/.automator" | grep -q 'tmp' && fail "create left a temp file: $(ls -A "$P/.automator")"
jq -e . "$P/.automator/active" >/dev/null || fail "marker file is not JSON"
cmp -s <(jq -cS . "$P/.automator/active") <(jq -cS . "$TMP/created") ||
	fail "create printed something else than it wrote"
[ -z "$(git -C "$P" status --porcelain)" ] || fail ".automator/ shows in git status"

expect_exit 0 "check" -- "$HELPER" marker check --project-root "$P"
json '.exists == true and .fresh == true and .pidAlive == true' "check fresh"
json '.heartbeatAgeSeconds | type == "number" and . >= 0 and . < 5' "check age"
json '(.epic | type) == "string" and (.currentStory | type) == "string" and
	(.storiesRemaining | type) == "number" and (.stateFile | type) == "string" and
	(.startedAt | type) == "string" and (.heartbeat | type) == "string" and
	(.pid | type) == "number" and (.projectSlug | type) == "string"' "check field types"
json ".pid == $$ and .startedAt == \"$started\" and .storiesRemaining == 3" "check fields"
json 'keys_unsorted[0:4] == ["exists","fresh","pidAlive","heartbeatAgeSeconds"]' "check order"

# optional fields left out are null; explicit --pid and --state-file
expect_exit 0 "create minimal" -- "$HELPER" marker create --project-root "$P" --pid 1 \
	--state-file /x/state.md
json '.epic == null and .currentStory == null and .storiesRemaining == 0' "create defaults"
json '.pid == 1 and .stateFile == "/x/state.md"' "create explicit pid and state file"
json ".startedAt == \"$started\"" "create keeps startedAt of a valid marker"

# ---- heartbeat moves the time; startedAt stays ----
echo 60000 >"$AUTOMATOR_TEST_CLOCK"
ino=$(stat -c %i "$P/.automator/active")
expect_exit 0 "heartbeat" -- "$HELPER" marker heartbeat --project-root "$P"
json ".startedAt == \"$started\" and .pid == 1 and .stateFile == \"/x/state.md\"" \
	"heartbeat keeps the fields"
json '(.heartbeat | fromdateiso8601) - (.startedAt | fromdateiso8601) | . >= 60 and . < 70' \
	"heartbeat is 60 s later"
beat=$(jv .heartbeat)
[ "$(stat -c %i "$P/.automator/active")" != "$ino" ] || fail "heartbeat did not replace the file"
ls -A "$P/.automator" | grep -q 'tmp' && fail "heartbeat left a temp file"
[ "$(stat -c %a "$P/.automator/active")" = 600 ] || fail "heartbeat: mode is not 0600"
expect_exit 0 "check after heartbeat" -- "$HELPER" marker check --project-root "$P"
json ".heartbeat == \"$beat\" and .heartbeatAgeSeconds < 5" "check sees the heartbeat"

# ---- freshness: dead pid, heartbeat age ----
dead=$(dead_pid)
echo 0 >"$AUTOMATOR_TEST_CLOCK"
expect_exit 0 "create dead pid" -- "$HELPER" marker create --project-root "$P" --pid "$dead" \
	--remaining 2
json ".pid == $dead" "create with a dead pid"

expect_exit 0 "check dead pid, recent heartbeat" -- "$HELPER" marker check --project-root "$P"
json '.fresh == true and .pidAlive == false' "dead pid, recent heartbeat: fresh"

echo $((29 * 60 * 1000)) >"$AUTOMATOR_TEST_CLOCK"
expect_exit 0 "check dead pid, 29 min" -- "$HELPER" marker check --project-root "$P"
json '.fresh == true and .pidAlive == false and .heartbeatAgeSeconds >= 1740' \
	"dead pid, heartbeat 29 minutes old: fresh"

echo $((31 * 60 * 1000)) >"$AUTOMATOR_TEST_CLOCK"
expect_exit 0 "check dead pid, 31 min" -- "$HELPER" marker check --project-root "$P"
json '.exists == true and .fresh == false and .pidAlive == false' \
	"dead pid, heartbeat 31 minutes old: stale"
json '.heartbeatAgeSeconds >= 1860 and .heartbeatAgeSeconds < 1870' "age is 31 minutes"
json ".storiesRemaining == 2 and .pid == $dead" "stale check still shows the fields"

# a live pid keeps an old heartbeat fresh
echo 0 >"$AUTOMATOR_TEST_CLOCK"
expect_exit 0 "create live pid" -- "$HELPER" marker create --project-root "$P" --pid $$
echo $((31 * 60 * 1000)) >"$AUTOMATOR_TEST_CLOCK"
expect_exit 0 "check live pid, 31 min" -- "$HELPER" marker check --project-root "$P"
json '.fresh == true and .pidAlive == true and .heartbeatAgeSeconds >= 1860' \
	"live pid, old heartbeat: fresh"
# and a heartbeat makes a stale marker fresh again
dead=$(dead_pid)
echo 0 >"$AUTOMATOR_TEST_CLOCK"
expect_exit 0 "create dead pid again" -- "$HELPER" marker create --project-root "$P" --pid "$dead"
echo $((31 * 60 * 1000)) >"$AUTOMATOR_TEST_CLOCK"
expect_exit 0 "heartbeat of a stale marker" -- "$HELPER" marker heartbeat --project-root "$P"
expect_exit 0 "check after a late heartbeat" -- "$HELPER" marker check --project-root "$P"
json '.fresh == true and .pidAlive == false and .heartbeatAgeSeconds < 5' \
	"late heartbeat: fresh again"
echo 0 >"$AUTOMATOR_TEST_CLOCK"

# ---- corrupt markers: 65 with the hint ----
good=$(cat "$P/.automator/active")
corrupt() { # corrupt NAME CONTENT REASON-PATTERN
	printf '%s' "$2" >"$P/.automator/active"
	expect_exit 65 "check $1" -- "$HELPER" marker check --project-root "$P"
	json '.exists == true and .corrupt == true and
		.hint == "remove it with: orchestrator-helper marker remove"' "check $1"
	json ".reason | test(\"$3\")" "check $1 reason"
	expect_grep "$TMP/err" "corrupt marker" "check $1 diagnostic"
	expect_exit 65 "heartbeat $1" -- "$HELPER" marker heartbeat --project-root "$P"
	json '.ok == false and .corrupt == true and (.hint | test("marker remove"))' "heartbeat $1"
	[ "$(cat "$P/.automator/active")" = "$2" ] || fail "heartbeat $1 rewrote the marker"
}
corrupt "not JSON" 'garbage {' "not JSON"
corrupt "empty file" '' "not JSON"
corrupt "an array" '[1,2]' "not a JSON object"
corrupt "string pid" "$(jq -c '.pid = "12"' <<<"$good")" "field 'pid' is not an integer"
corrupt "zero pid" "$(jq -c '.pid = 0' <<<"$good")" "field 'pid' is out of range"
corrupt "negative count" "$(jq -c '.storiesRemaining = -1' <<<"$good")" "storiesRemaining"
corrupt "number slug" "$(jq -c '.projectSlug = 5' <<<"$good")" "field 'projectSlug' is not a string"
corrupt "missing heartbeat" "$(jq -c 'del(.heartbeat)' <<<"$good")" "missing field 'heartbeat'"
corrupt "bad time" "$(jq -c '.startedAt = "yesterday"' <<<"$good")" "not an ISO 8601 time"
corrupt "object story" "$(jq -c '.currentStory = {}' <<<"$good")" "currentStory"

# other writers' forms are read: integer epic, fractional seconds, offsets
printf '%s' "$(jq -c '.epic = 7 | .startedAt = "2026-01-02T03:04:05.250+01:00"' <<<"$good")" \
	>"$P/.automator/active"
expect_exit 0 "check lenient forms" -- "$HELPER" marker check --project-root "$P"
json '.epic == "7" and .startedAt == "2026-01-02T02:04:05Z"' "integer epic and offset time"

# create replaces a corrupt marker
echo 'garbage' >"$P/.automator/active"
expect_exit 0 "create over a corrupt marker" -- "$HELPER" marker create --project-root "$P"
expect_grep "$TMP/err" "replacing a corrupt marker" "create over corrupt says so"
expect_exit 0 "check after replacing" -- "$HELPER" marker check --project-root "$P"
json '.fresh == true' "replaced marker is good"

# ---- remove ----
expect_exit 0 "remove" -- "$HELPER" marker remove --project-root "$P"
json '. == {"ok":true,"removed":true}' "remove output"
[ -e "$P/.automator/active" ] && fail "remove left the marker"
expect_exit 0 "remove again" -- "$HELPER" marker remove --project-root "$P"
json '. == {"ok":true,"removed":false}' "remove of nothing"
expect_exit 1 "check without marker" -- "$HELPER" marker check --project-root "$P"
json '. == {"exists":false}' "check without marker output"
expect_exit 1 "heartbeat without marker" -- "$HELPER" marker heartbeat --project-root "$P"
json '. == {"ok":false,"reason":"no_marker"}' "heartbeat without marker output"
[ -e "$P/.automator/active" ] && fail "heartbeat without marker created one"
echo 'garbage' >"$P/.automator/active"
expect_exit 0 "remove a corrupt marker" -- "$HELPER" marker remove --project-root "$P"
json '.removed == true' "remove a corrupt marker"

# ---- project root discovery ----
# from a subdirectory of a git repository
mkdir -p "$P/a/b"
(cd "$P/a/b" && "$HELPER" marker create --story 1-1) >"$TMP/out" 2>"$TMP/err" ||
	fail "create from a subdirectory: $(cat "$TMP/err")"
[ -f "$P/.automator/active" ] || fail "subdirectory of a git repo: marker not at the root"
[ -e "$P/a/b/.automator" ] && fail "subdirectory: .automator made in the current directory"
json ".stateFile == \"$P/.automator/state.db\"" "root found through .git"

# .git as a file (a worktree)
W=$ROOT/worktree
mkdir -p "$W/src/deep"
echo "gitdir: /nonexistent" >"$W/.git"
(cd "$W/src/deep" && "$HELPER" marker create) >"$TMP/out" 2>"$TMP/err" ||
	fail "create in a worktree: $(cat "$TMP/err")"
[ -f "$W/.automator/active" ] || fail "worktree: marker not at the root"

# _bmad-output/, nearest wins over an outer git repository
B=$P/bmad
mkdir -p "$B/_bmad-output" "$B/docs/x"
(cd "$B/docs/x" && "$HELPER" marker check) >"$TMP/out" 2>"$TMP/err"
[ $? = 1 ] || fail "check in a bmad project without marker: want exit 1"
(cd "$B/docs/x" && "$HELPER" marker create --remaining 4) >"$TMP/out" 2>"$TMP/err" ||
	fail "create in a bmad project: $(cat "$TMP/err")"
[ -f "$B/.automator/active" ] || fail "_bmad-output: marker not at the bmad root"
json '.projectSlug | startswith("bmad-")' "bmad project slug"
(cd "$B/docs/x" && "$HELPER" marker check) >"$TMP/out" 2>"$TMP/err" ||
	fail "check in a bmad project"
json '.storiesRemaining == 4' "check finds the bmad marker"

# .automator/ alone
A=$ROOT/plain
mkdir -p "$A/.automator" "$A/sub"
(cd "$A/sub" && "$HELPER" marker create) >"$TMP/out" 2>"$TMP/err" ||
	fail "create under .automator/: $(cat "$TMP/err")"
[ -f "$A/.automator/active" ] || fail ".automator/: marker not at the root"

# $PROJECT_ROOT, and --project-root before it
N=$ROOT/nowhere
mkdir -p "$N"
(cd "$N" && PROJECT_ROOT=$B "$HELPER" marker check) >"$TMP/out" 2>"$TMP/err" ||
	fail "check with PROJECT_ROOT: $(cat "$TMP/err")"
json '.storiesRemaining == 4' "PROJECT_ROOT names the project"
(cd "$B/docs" && PROJECT_ROOT=$A "$HELPER" marker remove) >"$TMP/out" 2>"$TMP/err"
json '.removed == true' "PROJECT_ROOT before the upward search"
[ -e "$A/.automator/active" ] && fail "PROJECT_ROOT: the marker of $A is still there"
[ -f "$B/.automator/active" ] || fail "PROJECT_ROOT: the marker of $B was removed"
(cd "$N" && PROJECT_ROOT=$A "$HELPER" marker check --project-root "$B") >"$TMP/out" 2>"$TMP/err" ||
	fail "check with --project-root: $(cat "$TMP/err")"
json '.storiesRemaining == 4' "--project-root before PROJECT_ROOT"
(cd "$N" && "$HELPER" marker check --project-root ../plain) >"$TMP/out" 2>"$TMP/err"
json '. == {"exists":false}' "relative --project-root"

expect_exit 64 "missing --project-root" -- "$HELPER" marker check --project-root "$ROOT/nope"
expect_grep "$TMP/err" "project root is not a directory" "missing --project-root message"
PROJECT_ROOT=$ROOT/nope expect_exit 64 "missing PROJECT_ROOT" -- "$HELPER" marker check
# no project at all (only when nothing above $TMP looks like a root)
above=$ROOT
while [ "$above" != / ]; do
	above=$(dirname "$above")
	[ -e "$above/.git" ] || [ -d "$above/_bmad-output" ] || [ -d "$above/.automator" ] && break
done
if [ "$above" = / ] && ! [ -e /.git ] && ! [ -d /_bmad-output ] && ! [ -d /.automator ]; then
	(cd "$N" && "$HELPER" marker create) >"$TMP/out" 2>"$TMP/err"
	[ $? = 64 ] || fail "no project root: want exit 64"
	expect_grep "$TMP/err" "no project root found" "no project root message"
	json '.ok == false and .reason == "no_project_root"' "no project root output"
	[ -e "$N/.automator" ] && fail "no project root: .automator made anyway"
fi

# ---- usage ----
usage() { # usage DESCRIPTION ARGS...
	local what=$1
	shift
	expect_exit 64 "$what" -- "$HELPER" marker --project-root "$P" "$@"
	expect_grep "$TMP/err" "usage: orchestrator-helper marker" "$what: usage on stderr"
	[ -s "$TMP/out" ] && fail "$what: stdout not empty"
}
rm -rf "$P/.automator"
usage "unknown subcommand" frobnicate
usage "no subcommand"
usage "two subcommands" check remove
usage "unknown flag" check --frob
usage "create flag on check" check --epic 1
usage "create flag on heartbeat" heartbeat --pid 5
usage "bad pid" create --pid abc
usage "zero pid" create --pid 0
usage "negative remaining" create --remaining -1
usage "bad remaining" create --remaining 2x
usage "empty story" create --story ""
usage "missing value" create --epic
[ -e "$P/.automator" ] && fail "a usage error created .automator/"
expect_exit 0 "marker --help" -- "$HELPER" marker --help
expect_grep "$TMP/out" "PROJECT_ROOT" "help names the project root rules"

finish
