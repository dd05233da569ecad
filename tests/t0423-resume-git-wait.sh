#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0423-resume-git-wait: a resume reads nothing while a git still works in
# the project. A run killed with `kill -9` during an integration leaves its
# git processes running; one that rewrote the sprint-status while a resume
# read it made the resume take the story keys for missing (torture, seed
# 2030 at 6 trials at a time: the worktrees' branches were not found and
# the run paused on two CRITICAL escalations). On the demo
# project (real git, real tmux, the fake agent): the run is killed while
# its first session works; a process named git-* then works in the project
# for 2 s; `automator resume` says it waits, starts only once that process
# has ended, and finishes the sprint.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3

P=$TMP/proj
make_project "$P"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake AUTOMATOR_FAKE_DELAY=0.3
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"

(cd "$P" && exec "$AUTOMATOR" run sprint.yaml --no-input) >"$TMP/run.out" 2>&1 &
pid=$!
wait_for 30 grep -q "^1.1 dev " "$AUTOMATOR_FAKE_LOG_DIR/calls.log" || fail "the first session never started"
kill -KILL "$pid"
wait "$pid" 2>/dev/null

# a stand-in for the killed run's git: its name starts with "git", its
# working directory is the project
cp "$(command -v sleep)" "$TMP/git-standin"
(cd "$P" && exec "$TMP/git-standin" 2) &
gpid=$!
(cd "$P" && AUTOMATOR_FAKE_DELAY=0.05 exec timeout 120 "$AUTOMATOR" resume --no-input) >"$TMP/resume.out" 2>&1 &
rpid=$!
wait_for 30 grep -q "resuming run" "$TMP/resume.out" || fail "the resume never started: $(cat "$TMP/resume.out")"
kill -0 "$gpid" 2>/dev/null && fail "the resume started while a git still worked in the project"
expect_grep "$TMP/resume.out" "waiting for a git that works in the project" "the resume says why it waits"
wait "$rpid"
rc=$?
[ "$rc" = 0 ] || fail "resume: exit $rc: $(tail -5 "$TMP/resume.out")"
[ "$(sql "$P" "SELECT state FROM runs")" = COMPLETE ] || fail "the run is not COMPLETE"
wait "$gpid" 2>/dev/null
finish
