#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0420-resume: kill -9 of automator at several points, then `automator
# resume`: the run completes, no story is committed twice and no step
# attempt runs twice. Points: during a dev session (SPAWN) that resume
# re-attaches, during one that ends before resume (judged from its exit
# record and log), during a review session (REVIEW), right after spawning
# (before anything else is journaled), between a commit and its journal
# row, and during VERIFY. Also SIGINT: exit 3, the session keeps running.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

write_sprint() {
	cat >"$1/resume-sprint.yaml" <<YAML
project: resume
root: .
workflow: demo
agent: fake
max_parallel: 1
status_file: _bmad-output/implementation-artifacts/sprint-status.yaml
limits: { review_cycles: 3, crash_retries: 1, idle_timeout: 2m, step_timeout: 10m }
stories:
  - id: "1.1"
    title: First story
    fake: { dev: "$2", review: "$3" }
  - id: "1.2"
    title: Second story
    depends_on: ["1.1"]
    fake: { dev: "edit src/second.sh" }
YAML
	git -C "$1" add resume-sprint.yaml && git -C "$1" commit -q -m "resume sprint"
}

# check_done NAME DIR: the run completed, one commit per story, every step
# attempt ran once.
check_done() {
	local name=$1 dir=$2
	python3 - "$dir" "$AUTOMATOR_FAKE_LOG_DIR/calls.log" <<'PY' || fail "$name: after resume"
import json, subprocess, sys
d, calls = sys.argv[1], sys.argv[2]
s = json.load(open(d + "/status.json"))
assert s["run"]["state"] == "COMPLETE", s["run"]
assert all(x["state"] == "DONE" for x in s["stories"]), s["stories"]
log = subprocess.run(["git", "-C", d, "log", "--format=%s"], capture_output=True, text=True).stdout
subjects = log.split("\n")
assert sum(1 for x in subjects if x.startswith("1.1:")) == 1, log
assert sum(1 for x in subjects if x.startswith("1.2:")) == 1, log
runs = [tuple(l.split()[:3]) for l in open(calls) if l.strip()]
assert len(runs) == len(set(runs)), "a step attempt ran twice: %r" % runs
PY
}

# scenario NAME DEV REVIEW CRASH_AT|WAIT_FOR_REGEX
scenario() {
	local name=$1 dev=$2 review=$3 how=$4 P=$TMP/$1 pid
	export AUTOMATOR_FAKE_LOG_DIR=$TMP/$1-fake
	mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
	make_project "$P"
	write_sprint "$P" "$dev" "$review"
	case $how in
	crash:*)
		(cd "$P" && AUTOMATOR_CRASH_AT=${how#crash:} timeout 60 "$AUTOMATOR" run \
			resume-sprint.yaml --no-input) >"$TMP/$name.run" 2>&1
		rc=$?
		[ "$rc" = 137 ] || { fail "$name: want the run killed (137), got $rc"; sed 's/^/  /' "$TMP/$name.run" >&2; }
		;;
	wait:*)
		# exec: $! is automator itself (ctest's timeout bounds it)
		(cd "$P" && exec "$AUTOMATOR" run resume-sprint.yaml --no-input) >"$TMP/$name.run" 2>&1 &
		pid=$!
		# wait until the session of that step is running, then kill -9
		wait_for 30 grep -q "^1.1 ${how#wait:} " "$AUTOMATOR_FAKE_LOG_DIR/calls.log" ||
			fail "$name: the ${how#wait:} session never started"
		sleep 0.3
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		# the agent's session survives the orchestrator
		tmux -L "$AUTOMATOR_TMUX_SOCKET" list-sessions 2>/dev/null | grep -q '^au-' ||
			fail "$name: no tmux session survived the kill"
		;;
	unwatched:*)
		# killed during the session, which then ends while nobody watches:
		# resume must judge it from its exit record and log
		(cd "$P" && exec "$AUTOMATOR" run resume-sprint.yaml --no-input) >"$TMP/$name.run" 2>&1 &
		pid=$!
		wait_for 30 grep -q "^1.1 ${how#unwatched:} " "$AUTOMATOR_FAKE_LOG_DIR/calls.log" ||
			fail "$name: the ${how#unwatched:} session never started"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		wait_for 30 sh -c "ls '$P'/.automator/logs/*/1.1-${how#unwatched:}-1.exit" ||
			fail "$name: the session never ended"
		;;
	sigint:*)
		# SIGINT: stop dispatching, leave the session running, exit 3
		(cd "$P" && exec "$AUTOMATOR" run resume-sprint.yaml --no-input) >"$TMP/$name.run" 2>&1 &
		pid=$!
		wait_for 30 grep -q "^1.1 ${how#sigint:} " "$AUTOMATOR_FAKE_LOG_DIR/calls.log" ||
			fail "$name: the ${how#sigint:} session never started"
		kill -INT "$pid"
		wait "$pid"
		rc=$?
		[ "$rc" = 3 ] || fail "$name: SIGINT: exit $rc, want 3"
		grep -q "automator resume" "$TMP/$name.run" || fail "$name: no resume command printed"
		tmux -L "$AUTOMATOR_TMUX_SOCKET" list-sessions 2>/dev/null | grep -q '^au-' ||
			fail "$name: the session did not outlive the interrupted run"
		[ "$(sql "$P" "SELECT state FROM runs")" = IN_PROGRESS ] || fail "$name: run state after SIGINT"
		;;
	esac
	[ -e "$P/.automator/state.db" ] || { fail "$name: no state database"; return; }
	au "$P" resume --no-input
	[ "$rc" = 0 ] || { fail "$name: resume exited $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }
	status_json "$P" >"$P/status.json"
	check_done "$name" "$P"
}

export AUTOMATOR_FAKE_DELAY=0.05
scenario spawn "edit src/first.sh ; slow" "" wait:dev
scenario unwatched "edit src/first.sh ; slow" "" unwatched:dev
scenario interrupt "edit src/first.sh ; slow" "" sigint:dev
scenario review "edit src/first.sh" "slow" wait:review
scenario after-spawn "edit src/first.sh" "" crash:after-spawn
scenario after-commit "edit src/first.sh" "" crash:after-commit
scenario before-verify "edit src/first.sh" "" crash:before-verify

finish
