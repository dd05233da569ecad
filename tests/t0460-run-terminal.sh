#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0460-run-terminal: on a terminal (a tmux pane of the test's own server,
# read back with capture-pane) the run shows one live line per active story
# (step and attempt, elapsed time, what its agent is doing), in colour
# unless NO_COLOR is set; story-level lines scroll above it (t0465 checks
# widths, redraws and the log lines).
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3

P=$TMP/proj
make_project "$P"
cat >"$P/tty-sprint.yaml" <<'YAML'
project: tty
root: .
workflow: demo
agent: fake
max_parallel: 2
status_file: _bmad-output/implementation-artifacts/sprint-status.yaml
stories:
  - id: "1.1"
    title: Slow one
    fake: { dev: "edit src/a.sh ; slow" }
  - id: "1.2"
    title: Slow two
    fake: { dev: "edit src/b.sh ; slow" }
YAML
git -C "$P" add tty-sprint.yaml && git -C "$P" commit -q -m "tty sprint"
start=$(git -C "$P" rev-parse HEAD)

# the pane runs on a server of its own, not the one automator starts
T="tmux -L tty-test-$$ -f /dev/null"
trap '$T kill-server 2>/dev/null; tmux -L "$AUTOMATOR_TMUX_SOCKET" kill-server 2>/dev/null; rm -rf "$TMP"' EXIT

# pane_run NAME COLOR: runs the sprint in a pane; COLOR=1 leaves NO_COLOR unset
pane_run() {
	local name=$1 color=$2 nocolor=
	[ "$color" = 1 ] || nocolor="NO_COLOR=1"
	rm -rf "$P/.automator"
	# back to before any story was committed: committed stories are not run again
	git -C "$P" reset -q --hard "$start" && git -C "$P" clean -qfd
	$T new-session -d -s "$name" -x 160 -y 40 -e TERM=xterm-256color \
		"cd '$P' && env -u NO_COLOR $nocolor AUTOMATOR_FAKE_DELAY=0.12 \
		AUTOMATOR_TMUX_SOCKET=$AUTOMATOR_TMUX_SOCKET AUTOMATOR_DATA_DIR=$AUTOMATOR_DATA_DIR \
		'$AUTOMATOR' run tty-sprint.yaml; echo EXIT=\$?; sleep 60"
}

pane_run plain 0
wait_for 30 sh -c "$T capture-pane -p -t plain | grep -Eq '^  1\.[12] +dev a1 +0:0[0-9] '" ||
	{ fail "no live line for a running story"; $T capture-pane -p -t plain | tail -8 >&2; }
# both active stories have a line, with the last output of their agent
# (the block is redrawn as they move on, no longer at each transition line)
wait_for 10 sh -c "$T capture-pane -p -t plain | grep -Eq '^  1\.1 +dev a1 ' &&
	$T capture-pane -p -t plain | grep -Eq '^  1\.2 +dev a1 '" ||
	{ fail "want a live line per active story"; $T capture-pane -p -t plain >&2; }
# the agent's last line joins it once the loop has read the log (every 250 ms while agents run)
wait_for 10 sh -c "$T capture-pane -p -t plain | grep -Eq '^  1\.[12] .*0:0[0-9]  .*[A-Za-z]'" ||
	{ fail "live line without the last output line"; $T capture-pane -p -t plain | tail -8 >&2; }
$T capture-pane -p -e -t plain | grep -q $'\033\[3[0-7]m' && fail "colour despite NO_COLOR"
wait_for 60 sh -c "$T capture-pane -p -t plain | grep -q EXIT=0" || fail "the run did not finish"
$T capture-pane -p -t plain >"$TMP/screen"
grep -q "2 of 2 stories done" "$TMP/screen" || fail "no summary"
grep -Eq '^  1\.[12] +dev' "$TMP/screen" && { fail "live lines left on screen after the run"; cat "$TMP/screen" >&2; }

pane_run colour 1
wait_for 30 sh -c "$T capture-pane -p -e -t colour | grep -q '\[36m'" ||
	fail "no colour on a terminal without NO_COLOR"

finish
