#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0710-helper-stop-hook: orchestrator-helper stop-hook's decisions (no marker,
# child session, fresh, finished, a dead pid (never blocks, whatever the
# heartbeat), a live pid with an old heartbeat (blocks), stop_hook_active (blocks again only after progress), corrupt marker,
# bad and empty stdin) and install-stop-hook: into .claude/settings.local.json
# by default (missing file, other settings kept, idempotent, malformed, a
# stale path repaired), --shared into settings.json with the command found
# on PATH, --uninstall from both.
. "$(dirname "$0")/lib.sh"
need jq git python3

unset PROJECT_ROOT AUTOMATOR_CHILD
export AUTOMATOR_TEST_CLOCK="$TMP/clock"
echo 0 >"$AUTOMATOR_TEST_CLOCK"
ROOT=$(cd "$TMP" && pwd -P)
P=$ROOT/proj
mkdir -p "$P"
git -C "$P" init -q -b main

INPUT='{"session_id":"abc123","transcript_path":"/tmp/t.jsonl","hook_event_name":"Stop",'
INPUT+='"stop_hook_active":false}'

# hook DESCRIPTION [STDIN]: runs the stop hook in the project with STDIN
# (default: a full Stop event); it must exit 0.
hook() {
	local what=$1 input=${2-$INPUT}
	(cd "$P" && printf '%s' "$input" | timeout 20 "$HELPER" stop-hook) >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	[ "$rc" = 0 ] || { fail "$what: exit $rc, want 0"; sed 's/^/  stderr: /' "$TMP/err" >&2; }
}
allows() { # allows DESCRIPTION: the last hook printed nothing
	[ -s "$TMP/out" ] && { fail "$1: want allow (no output), got:"; sed 's/^/  /' "$TMP/out" >&2; }
	return 0
}
blocks() { # blocks DESCRIPTION [REASON-PATTERN...]: the last hook blocked
	local what=$1
	shift
	if [ "$(wc -l <"$TMP/out")" != 1 ] ||
		! jq -e '.decision == "block" and (.reason | type == "string" and length > 0) and
			(keys_unsorted == ["decision", "reason"])' "$TMP/out" >/dev/null 2>&1; then
		fail "$what: want one {\"decision\":\"block\",\"reason\":...} line"
		sed 's/^/  out: /' "$TMP/out" >&2
		return
	fi
	for pat in "$@"; do
		jq -e --arg p "$pat" '.reason | contains($p)' "$TMP/out" >/dev/null ||
			fail "$what: reason lacks '$pat': $(jq -r .reason "$TMP/out")"
	done
}
marker() { # marker ARGS...: orchestrator-helper marker ARGS in the project
	"$HELPER" marker --project-root "$P" "$@" >/dev/null 2>"$TMP/merr" ||
		fail "marker $*: $(cat "$TMP/merr")"
}
dead_pid() {
	sleep 0 &
	local pid=$!
	wait "$pid"
	kill -0 "$pid" 2>/dev/null && fail "pid $pid of a finished job is alive"
	echo "$pid"
}

# ---- no marker: allow ----
hook "no marker"
allows "no marker"
[ -s "$TMP/err" ] && fail "no marker: stderr not empty: $(cat "$TMP/err")"
hook "no marker, empty stdin" ""
allows "no marker, empty stdin"

# ---- fresh marker with stories remaining: block, naming the story ----
marker create --pid $$ --remaining 3 --story 1-2-login --epic 1
hook "fresh marker"
blocks "fresh marker" "1-2-login" "3 stories remaining" "pid $$" "automator abort"
ACTIVE='{"session_id":"abc123","hook_event_name":"Stop","stop_hook_active":true}'
# stop_hook_active: Claude went on because of the block; no progress since: allow
hook "fresh marker, stop_hook_active, no progress" "$ACTIVE"
allows "stop_hook_active without progress"
expect_grep "$TMP/err" "made no progress since the last block" "no progress: said on stderr"
hook "fresh marker, stop_hook_active, still no progress" "$ACTIVE"
allows "stop_hook_active, still no progress"
# the run moves (its journal changes): blocked again, once per progress
mkdir -p "$P/.automator" && echo 1 >"$P/.automator/state.db"
hook "fresh marker, stop_hook_active, progress" "$ACTIVE"
blocks "stop_hook_active after progress" "1-2-login"
hook "fresh marker, stop_hook_active, no progress again" "$ACTIVE"
allows "stop_hook_active, no progress after that block"
touch -d '+1 second' "$P/.automator/state.db"
hook "fresh marker, stop_hook_active, progress again" "$ACTIVE"
blocks "stop_hook_active after more progress" "1-2-login"
rm -f "$P/.automator/state.db"
hook "fresh marker, empty stdin" ""
blocks "empty stdin: same rules" "1-2-login"
hook "fresh marker, blank stdin" $'  \n\t\n'
blocks "blank stdin: same rules" "1-2-login"
hook "fresh marker, fields missing" '{}'
blocks "an empty object: same rules" "1-2-login"
hook "fresh marker, fields of other types" '{"session_id":5,"stop_hook_active":"yes","x":[1]}'
blocks "odd field types are tolerated" "1-2-login"
# with no current story the reason still counts what remains
marker create --pid $$ --remaining 1
hook "fresh marker, no current story"
blocks "no current story" "1 story remaining"
# the root is found from a subdirectory, through $PROJECT_ROOT and --project-root
mkdir -p "$P/src/deep"
(cd "$P/src/deep" && "$HELPER" stop-hook </dev/null) >"$TMP/out" 2>"$TMP/err"
blocks "from a subdirectory"
(cd "$ROOT" && PROJECT_ROOT=$P "$HELPER" stop-hook </dev/null) >"$TMP/out" 2>"$TMP/err"
blocks "PROJECT_ROOT"
(cd "$ROOT" && "$HELPER" stop-hook --project-root "$P" </dev/null) >"$TMP/out" 2>"$TMP/err"
blocks "--project-root"

# ---- the run's own sessions may always stop ----
marker create --pid $$ --remaining 3 --story 1-2-login
(cd "$P" && printf '%s' "$INPUT" | AUTOMATOR_CHILD=1 "$HELPER" stop-hook) >"$TMP/out" 2>"$TMP/err"
[ $? = 0 ] || fail "child session: exit not 0"
allows "child session (AUTOMATOR_CHILD=1)"
(cd "$P" && AUTOMATOR_CHILD= "$HELPER" stop-hook </dev/null) >"$TMP/out" 2>"$TMP/err"
allows "child session (AUTOMATOR_CHILD set, empty)"

# ---- nothing remains: allow ----
marker create --pid $$ --remaining 0 --story 1-2-login
hook "0 remaining"
allows "fresh marker with 0 stories remaining"

# ---- a dead pid: never blocks, whatever the heartbeat ----
dead=$(dead_pid)
echo 0 >"$AUTOMATOR_TEST_CLOCK"
marker create --pid "$dead" --remaining 2 --story 2-1-search
hook "dead pid, fresh heartbeat"
allows "dead pid, fresh heartbeat"
expect_grep "$TMP/err" "pid $dead) is not running.*automator resume" "dead pid: said on stderr"
# a live pid keeps an old heartbeat fresh
jq -c ".pid = $$ | .heartbeat = \"2001-01-01T00:00:00Z\"" "$P/.automator/active" >"$TMP/old" &&
	cp "$TMP/old" "$P/.automator/active"
hook "live pid, old heartbeat"
blocks "live pid, heartbeat from 2001" "still working"

# ---- corrupt marker: block, telling how to clear it ----
for bad in 'garbage {' '' '[1]' '{"pid":"x"}'; do
	printf '%s' "$bad" >"$P/.automator/active"
	hook "corrupt marker '$bad'"
	blocks "corrupt marker '$bad'" "corrupt" "orchestrator-helper marker remove" \
		"$P/.automator/active"
	expect_grep "$TMP/err" "corrupt marker" "corrupt marker '$bad': stderr"
done
(cd "$P" && AUTOMATOR_CHILD=1 "$HELPER" stop-hook </dev/null) >"$TMP/out" 2>"$TMP/err"
allows "corrupt marker, child session"
# following the advice ends the block
(cd "$P" && "$HELPER" marker remove) >/dev/null 2>&1
hook "after marker remove"
allows "after marker remove"

# ---- malformed stdin: allow, whatever the marker says ----
marker create --pid $$ --remaining 3 --story 1-2-login
for bad in 'garbage' '{"session_id":' '[1,2]' '"Stop"' '{"a":1} trailing'; do
	hook "malformed stdin '$bad'" "$bad"
	allows "malformed stdin '$bad'"
	expect_grep "$TMP/err" "allowing the stop" "malformed stdin '$bad': note on stderr"
done
# no project root at all: allow
(cd "$ROOT" && "$HELPER" stop-hook --project-root "$ROOT/nope" </dev/null) >"$TMP/out" 2>"$TMP/err"
[ $? = 0 ] || fail "missing project root: exit not 0"
allows "missing project root"
# usage errors are not 0 nor 2 (2 would block in Claude Code)
expect_exit 64 "stop-hook with an argument" -- "$HELPER" stop-hook extra
expect_exit 64 "stop-hook with an unknown option" -- "$HELPER" stop-hook --frob
expect_exit 0 "stop-hook --help" -- "$HELPER" stop-hook --help
expect_grep "$TMP/out" "AUTOMATOR_CHILD" "help names AUTOMATOR_CHILD"
(cd "$P" && "$HELPER" marker remove) >/dev/null 2>&1

# ---- install-stop-hook ----
HELPER_ABS="$(cd "$(dirname "$HELPER")" && pwd -P)/orchestrator-helper"
S=$P/.claude/settings.local.json
install() { # install DESCRIPTION CODE [ARGS...]
	(cd "$P" && timeout 20 "$HELPER" install-stop-hook "${@:3}") >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	[ "$rc" = "$2" ] || { fail "$1: exit $rc, want $2"; sed 's/^/  stderr: /' "$TMP/err" >&2; }
}
json() { # json FILTER DESCRIPTION: the last output is one JSON line for which FILTER holds
	if [ "$(wc -l <"$TMP/out")" != 1 ] || ! jq -e "$1" "$TMP/out" >/dev/null 2>&1; then
		fail "$2: not true: $1"
		sed 's/^/  out: /' "$TMP/out" >&2
	fi
}
OURS="{\"type\":\"command\",\"command\":\"$HELPER_ABS stop-hook\",\"timeout\":10}"

# a missing file (and directory)
install "missing file" 0
json ".ok == true and .installed == true and .file == \"$S\"" "missing file: output"
json ".command == \"$HELPER_ABS stop-hook\"" "missing file: command"
[ -f "$S" ] || fail "missing file: $S not made"
jq -e --argjson h "$OURS" '. == {"hooks": {"Stop": [{"hooks": [$h]}]}}' "$S" >/dev/null ||
	{ fail "missing file: content"; cat "$S" >&2; }
ls -A "$P/.claude" | grep -q tmp && fail "install left a temp file"
# the installed command works as a hook
cmd=$(jq -r '.hooks.Stop[0].hooks[0].command' "$S")
marker create --pid $$ --remaining 1 --story 3-1-x
(cd "$P" && printf '%s' "$INPUT" | sh -c "$cmd") >"$TMP/out" 2>"$TMP/err"
blocks "the installed command" "3-1-x"
(cd "$P" && "$HELPER" marker remove) >/dev/null 2>&1
# twice: nothing added, file untouched
cp "$S" "$TMP/before"
install "second install" 0
json '.ok == true and .installed == false' "second install: output"
cmp -s "$S" "$TMP/before" || fail "second install changed the file"

# a file with other settings and another Stop hook
cat >"$S" <<'JSON'
{
  "model": "opus",
  "permissions": { "allow": ["Bash(git status)", "Read"], "deny": [] },
  "hooks": {
    "PreToolUse": [ { "matcher": "Bash", "hooks": [ { "type": "command", "command": "echo pre" } ] } ],
    "Stop": [ { "hooks": [ { "type": "command", "command": "notify-send done", "timeout": 5 } ] } ]
  },
  "env": { "FOO": "bär", "N": 3, "ON": true, "NIL": null }
}
JSON
cp "$S" "$TMP/orig"
install "other settings" 0
json '.installed == true' "other settings: installed"
python3 - "$TMP/orig" "$S" "$OURS" <<'PY' || fail "other settings: not kept exactly"
import json, sys
orig = json.load(open(sys.argv[1]))
new = json.load(open(sys.argv[2]))
ours = json.loads(sys.argv[3])
want = json.loads(json.dumps(orig))
want["hooks"]["Stop"].append({"hooks": [ours]})
assert new == want, (new, want)
# key order kept
assert list(new) == list(orig), list(new)
assert list(new["hooks"]) == list(orig["hooks"]), list(new["hooks"])
PY
jq -e '.env.FOO == "bär"' "$S" >/dev/null || fail "other settings: UTF-8 value changed"
cp "$S" "$TMP/before"
install "other settings, again" 0
json '.installed == false' "other settings, again: not installed twice"
cmp -s "$S" "$TMP/before" || fail "other settings, again: file changed"
n=$(jq '[.hooks.Stop[].hooks[] | select(.command | endswith("orchestrator-helper stop-hook"))]
	| length' "$S")
[ "$n" = 1 ] || fail "our hook is there $n times, not once"

# a hook of ours with another path (this machine's moved, or a stale one): repaired
cat >"$S" <<'JSON'
{"x":1,"hooks":{"Stop":[{"hooks":[{"type":"command","command":"/opt/x/bin/orchestrator-helper stop-hook","timeout":10}]}]}}
JSON
install "ours elsewhere" 0
json ".installed == false and .repaired == true and .command == \"$HELPER_ABS stop-hook\"" \
	"a stale path of ours: repaired"
jq -e --argjson h "$OURS" '. == {"x": 1, "hooks": {"Stop": [{"hooks": [$h]}]}}' "$S" >/dev/null ||
	{ fail "ours elsewhere: content"; cat "$S" >&2; }
install "repaired, again" 0
json '.installed == false and .repaired == false' "repaired, again: nothing to do"
[ -e "$P/.claude/settings.json" ] && fail "the default install wrote the shared settings.json"

# an empty file is an empty object
: >"$S"
install "empty file" 0
jq -e --argjson h "$OURS" '. == {"hooks": {"Stop": [{"hooks": [$h]}]}}' "$S" >/dev/null ||
	fail "empty file: content"

# the file's mode is kept
printf '{"a":1}\n' >"$S"
chmod 600 "$S"
install "mode kept" 0
[ "$(stat -c %a "$S")" = 600 ] || fail "install changed the file's mode to $(stat -c %a "$S")"

# malformed: 65 with line:column, untouched
printf '{\n  "hooks": {\n    "Stop": [,]\n  }\n}\n' >"$S"
cp "$S" "$TMP/before"
install "malformed" 65
json '.ok == false and .reason == "bad_settings"' "malformed: output"
expect_grep "$TMP/err" "$S:3:[0-9]*: " "malformed: file:line:col on stderr"
cmp -s "$S" "$TMP/before" || fail "malformed: file changed"
for bad in '[1,2]' '{"hooks":[]}' '{"hooks":{"Stop":{}}}'; do
	printf '%s\n' "$bad" >"$S"
	cp "$S" "$TMP/before"
	install "wrong shape '$bad'" 65
	json '.ok == false and .reason == "bad_settings"' "wrong shape '$bad': output"
	cmp -s "$S" "$TMP/before" || fail "wrong shape '$bad': file changed"
done
expect_exit 64 "install-stop-hook with an argument" -- "$HELPER" install-stop-hook x
expect_exit 64 "install-stop-hook, missing root" -- "$HELPER" install-stop-hook \
	--project-root "$ROOT/nope"
json '.ok == false and .reason == "no_project_root"' "install-stop-hook, missing root: output"

# --shared: the team's settings.json, with the command found on PATH
SH=$P/.claude/settings.json
(cd "$P" && PATH=/usr/bin:/bin "$HELPER" install-stop-hook --shared) >"$TMP/out" 2>"$TMP/err"
[ $? = 69 ] || fail "--shared without orchestrator-helper on PATH: want 69"
json '.ok == false and .reason == "not_on_path"' "--shared, not on PATH: output"
expect_grep "$TMP/err" "every machine finds on its PATH" "--shared, not on PATH: says why"
[ -e "$SH" ] && fail "--shared, not on PATH: wrote settings.json"
printf '{"hooks":{"Stop":[{"hooks":[{"type":"command","command":"%s stop-hook"}]}]}}\n' "/gone/orchestrator-helper" >"$SH"
(cd "$P" && PATH="$(dirname "$HELPER_ABS"):$PATH" "$HELPER" install-stop-hook --shared) >"$TMP/out" 2>"$TMP/err" ||
	fail "--shared: $(cat "$TMP/err")"
json ".repaired == true and .file == \"$SH\" and .command == \"orchestrator-helper stop-hook\"" \
	"--shared: the bare command, the stale path repaired"
jq -e '.hooks.Stop[0].hooks[0].command == "orchestrator-helper stop-hook"' "$SH" >/dev/null ||
	fail "--shared: settings.json content: $(cat "$SH")"

# --uninstall: ours goes from both files, other hooks stay
rm -f "$S"
install "before uninstall" 0
jq '.hooks.Stop += [{"hooks":[{"type":"command","command":"notify-send done"}]}]' "$SH" >"$TMP/sh" && cp "$TMP/sh" "$SH"
install "uninstall" 0 --uninstall
json ".ok == true and .removed == 2 and (.files | length) == 2" "uninstall: output"
jq -e '.hooks.Stop == [{"hooks":[{"type":"command","command":"notify-send done"}]}]' "$SH" >/dev/null ||
	fail "uninstall: the other hook: $(cat "$SH")"
jq -e '.hooks == null' "$S" >/dev/null || fail "uninstall: ours left in $S: $(cat "$S")"
install "uninstall, again" 0 --uninstall
json '.removed == 0' "uninstall, again: nothing"
expect_exit 64 "--shared with --uninstall" -- "$HELPER" install-stop-hook --shared --uninstall
rm -f "$SH"

# a path that needs quoting for sh -c
Q="$ROOT/bin dir's"
mkdir -p "$Q"
cp "$(cd "$(dirname "$AUTOMATOR")" && pwd -P)/$(basename "$AUTOMATOR")" "$Q/automator"
ln -s automator "$Q/orchestrator-helper"
rm -f "$S"
(cd "$P" && "$Q/orchestrator-helper" install-stop-hook) >"$TMP/out" 2>"$TMP/err" ||
	fail "install from a quoted path: $(cat "$TMP/err")"
cmd=$(jq -r '.hooks.Stop[0].hooks[0].command' "$S")
marker create --pid $$ --remaining 1 --story 4-1-q
(cd "$P" && printf '%s' "$INPUT" | sh -c "$cmd") >"$TMP/out" 2>"$TMP/err"
blocks "the installed command from a quoted path" "4-1-q"
(cd "$P" && "$Q/orchestrator-helper" install-stop-hook) >"$TMP/out" 2>"$TMP/err"
json '.installed == false' "a quoted path counts as ours"

finish
