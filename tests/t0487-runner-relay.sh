#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0487-runner-relay: the runner (`automator __runner SPEC`) in a real tmux
# pane, on a private server, writes the session log itself (no pipe-pane):
# - the agent runs on a terminal of its own with the pane's size (200x50)
#   and its modes (onlcr: "\n" logged as "\r\n"), as it did on the pane;
# - the log holds the agent's output, then the end marker and the exit
#   line, and is complete when the exit record exists; the pane shows the
#   same output; tmux pipes nothing (#{pane_pipe} is 0);
# - its agent ended, the runner waits for its session to be killed (the
#   pane stays alive) and ends at once when it is; left alone, it ends by
#   itself 2 s later;
# - keys typed into the pane (send-keys) reach the agent's stdin;
# - killing the session (SIGHUP) ends the agent: the exit record says the
#   signal, and the agent's process is gone;
# - a background child that keeps the terminal open does not keep the
#   runner from ending once the agent exited (within the 2 s drain limit);
# - an agent that cannot be started: exit record 127, the reason in the log.
. "$(dirname "$0")/lib.sh"
need tmux python3

T="tmux -L $AUTOMATOR_TMUX_SOCKET -f /dev/null"
D=$TMP/relay
mkdir -p "$D"

# spec NAME ARGV-JSON: writes $D/NAME.json for an agent run in $D
spec() {
	cat >"$D/$1.json" <<EOF
{"argv": $2, "env": ["RELAY_TEST=$1"], "cwd": "$D",
 "log_file": "$D/$1.log", "exit_file": "$D/$1.exit",
 "marker": "\u001b]777;automator-end;$1\u0007"}
EOF
}

# start NAME: the runner in a detached 200x50 session, as tmx_spawn starts it
start() {
	$T new-session -d -s "$1" -x 200 -y 50 -- "$AUTOMATOR" __runner "$D/$1.json" \; \
		set-option -w -t "$1" remain-on-exit on
}

# log_ended NAME: the log ends with the runner's exit line (its exit record
# comes later: once the session is killed, or the runner gave up waiting)
log_ended() { grep -qa "the agent \(exited with status\|was killed by signal\)" "$D/$1.log" 2>/dev/null; }

# ---- output, terminal size, modes, marker ----
spec out '["sh", "-c", "stty size; test -t 0 && test -t 1 && echo tty-ok; echo \"env=$RELAY_TEST\"; printf \"a\\nb\\n\"; exit 3"]'
start out
wait_for 10 log_ended out || fail "out: the log has no exit line"
log=$(cat "$D/out.log")
expect_grep "$D/out.log" "50 200" "the agent's terminal has the pane's size"
expect_grep "$D/out.log" "tty-ok" "the agent's stdin and stdout are a terminal"
expect_grep "$D/out.log" "env=out" "the spec's environment reaches the agent"
printf 'a\r\nb\r\n' >"$TMP/crlf"
grep -qF "$(cat "$TMP/crlf")" "$D/out.log" || fail "onlcr: the log does not have \\r\\n line ends: $(od -c "$D/out.log" | head -5)"
case $log in
*$'\e]777;automator-end;out\a'*"the agent exited with status 3"*) ;;
*) fail "out: the log does not end with the marker and the exit line: $log" ;;
esac
# the log is complete with its exit line: nothing after it
sleep 0.2
[ "$(cat "$D/out.log")" = "$log" ] || fail "out: the log grew after its exit line"
[ "$($T display-message -p -t out '#{pane_pipe}')" = 0 ] || fail "tmux pipes the pane"
$T capture-pane -p -t out >"$TMP/pane"
expect_grep "$TMP/pane" "tty-ok" "the pane shows the agent's output"
# the runner waits to be killed, then gives up by itself
[ "$($T display-message -p -t out '#{pane_dead}')" = 0 ] ||
	fail "out: the runner did not wait for its session to be killed"
[ -s "$D/out.exit" ] && fail "out: the exit record was written before the runner stopped waiting"
wait_for 6 sh -c "[ \"\$($T display-message -p -t out '#{pane_dead}')\" = 1 ]" ||
	fail "out: the runner still waits 6 s after its agent ended"
expect_grep "$D/out.exit" '"status":3' "exit record status"
# not killed: the pane that stays says how the agent ended
$T capture-pane -p -t out >"$TMP/pane"
expect_grep "$TMP/pane" "the agent exited with status 3" "the dead pane's last line"

# ---- the session killed after the agent ended: the runner ends at once ----
spec done '["sh", "-c", "echo finished"]'
start done
wait_for 10 log_ended done || fail "done: the log has no exit line"
rpid=$($T display-message -p -t done '#{pane_pid}')
kill -0 "$rpid" 2>/dev/null || fail "done: the runner ended before its session was killed"
$T kill-session -t done
wait_for 1 sh -c "! kill -0 $rpid 2>/dev/null" || fail "done: the runner outlived its session by 1 s"
expect_grep "$D/done.exit" '"status":0' "done: the exit record, written once killed"

# ---- output reaches the pane while the agent still runs (batched, never held) ----
spec live '["sh", "-c", "echo live-line; exec sleep 30"]'
start live
wait_for 3 sh -c "$T capture-pane -p -t live | grep -q live-line" ||
	fail "live: the pane did not show the output of an agent still running"
$T kill-session -t live

# ---- keys typed into the pane reach the agent ----
spec keys '["sh", "-c", "read line; echo \"got=$line\""]'
start keys
sleep 0.3
$T send-keys -t keys "hello relay" Enter
wait_for 10 log_ended keys || fail "keys: the log has no exit line"
expect_grep "$D/keys.log" "got=hello relay" "send-keys reaches the agent's stdin"

# ---- the session killed: the agent gets the hang-up ----
spec hup '["sh", "-c", "echo $$ > pid; echo started; exec sleep 300"]'
start hup
wait_for 10 grep -q started "$D/hup.log" || fail "hup: the agent did not start"
apid=$(cat "$D/pid")
$T kill-session -t hup
wait_for 10 test -e "$D/hup.exit" || fail "hup: no exit record after the kill"
expect_grep "$D/hup.exit" '"signal":1' "a killed session's agent ends by SIGHUP"
wait_for 5 sh -c "! kill -0 $apid" || fail "hup: the agent ($apid) still runs"

# ---- a background child holding the terminal ----
spec bg '["sh", "-c", "sleep 30 & echo $! > bgpid; echo foreground done"]'
start bg
wait_for 5 log_ended bg || fail "bg: the runner waited for the background child"
expect_grep "$D/bg.log" "foreground done" "bg: output before the exit"
expect_grep "$D/bg.log" "automator-end;bg" "bg: the end marker"
kill "$(cat "$D/bgpid")" 2>/dev/null

# ---- an agent that cannot be started ----
spec missing '["/nonexistent/agent"]'
start missing
wait_for 10 log_ended missing || fail "missing: the log has no exit line"
$T kill-session -t missing
wait_for 5 test -s "$D/missing.exit" || fail "missing: no exit record once killed"
expect_grep "$D/missing.exit" '"status":127' "an agent that cannot run: 127"
expect_grep "$D/missing.log" "cannot run '/nonexistent/agent'" "missing: the reason is logged"

finish
