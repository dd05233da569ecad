#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154 # rc is set by au() in lib.sh
# t0425-crash-windows: kill -9 at the points between two side effects that
# t0420 does not reach, then `automator resume`, and the end state is
# repaired (AUTOMATOR_CRASH_AT names the point; src/*.c crash_point):
#   before-index-reset   the commit made, the real index not yet updated:
#                        resume leaves `git status` clean, no scratch index
#   in-run-record        the run row written, its stories not: nothing is
#                        recorded (one transaction); resume says so, exit 1
#   before-status-done   DONE journaled, sprint-status not yet set: resume
#                        sets it
#   before-spawn         the session recorded, tmux never asked: resume
#                        starts it (not a crash: crash_retries is 0)
#   before-session-kill  a verdict journaled, its session not yet killed
#                        (journal first): resume kills it
#   in-atomic-write:sprint-status.yaml
#                        killed inside the sprint-status write: resume
#                        removes the temp file and sets the value
# These are the windows of the project's own tree (isolation: shared);
# t0498 and scripts/torture kill a worktree's life at its own points.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

# A two-step workflow nobody but automator sets `done` in: the fake agent
# changes no status in a step named "work".
write_sprint() {
	mkdir -p "$1/wf"
	cat >"$1/wf/plain.yaml" <<'YAML'
name: plain
steps:
  - name: work
    kind: session
    prompt: "Implement story {story.id}: {story.title}"
    verifier: session_exit
  - name: commit
    kind: commit
    message: "{story.id}: {story.title}"
YAML
	cat >"$1/crash-sprint.yaml" <<'YAML'
project: crash
root: .
workflow: wf/plain.yaml
agent: fake
max_parallel: 1
isolation: shared
status_file: _bmad-output/implementation-artifacts/sprint-status.yaml
limits: { review_cycles: 3, crash_retries: 0, idle_timeout: 2m, step_timeout: 10m }
stories:
  - id: "1.1"
    title: First story
    fake: { work: "edit src/first.sh" }
  - id: "1.2"
    title: Second story
    depends_on: ["1.1"]
    fake: { work: "edit src/second.sh" }
YAML
	git -C "$1" add -A && git -C "$1" commit -q -m "crash sprint"
}

# killed_run NAME POINT: a project, and a run of it killed at POINT (137)
killed_run() {
	P=$TMP/$1
	export AUTOMATOR_FAKE_LOG_DIR=$TMP/$1-fake
	mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
	make_project "$P"
	write_sprint "$P"
	(cd "$P" && AUTOMATOR_CRASH_AT=$2 timeout 60 "$AUTOMATOR" run crash-sprint.yaml --no-input) \
		>"$TMP/$1.run" 2>&1
	rc=$?
	[ "$rc" = 137 ] || { fail "$1: want the run killed at $2 (137), got $rc"; sed 's/^/  /' "$TMP/$1.run" >&2; }
}

# resumed_clean NAME: resume exits 0; both stories DONE, committed once,
# `done` in sprint-status; the tree (but the sprint-status set done after
# the commits) and the index clean; no leftovers; no
# step attempt ran twice; no tmux session left.
resumed_clean() {
	local name=$1
	# --trace: a crash would show as an EXITED transition (checked below)
	au "$P" resume --no-input --trace
	[ "$rc" = 0 ] || { fail "$name: resume exited $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }
	status_json "$P" >"$P/.status.json" 2>/dev/null
	python3 - "$P" "$AUTOMATOR_FAKE_LOG_DIR/calls.log" <<'PY' || fail "$name: after resume"
import json, os, subprocess, sys
d, calls = sys.argv[1], sys.argv[2]
s = json.load(open(d + "/.status.json"))
os.unlink(d + "/.status.json")
assert s["run"]["state"] == "COMPLETE", s["run"]
assert [(x["id"], x["state"]) for x in s["stories"]] == [("1.1", "DONE"), ("1.2", "DONE")], s["stories"]
git = lambda *a: subprocess.run(["git", "-C", d, *a], capture_output=True, text=True, check=True).stdout
log = git("log", "--format=%s").split("\n")
for sid in ("1.1", "1.2"):
    assert sum(1 for x in log if x.startswith(sid + ":")) == 1, log
# the sprint-status is set done after the commit (MARK_DONE), so it stays modified
st_path = "_bmad-output/implementation-artifacts/sprint-status.yaml"
assert git("status", "--porcelain") in ("", " M " + st_path + "\n"), "git status: " + git("status", "--porcelain")
assert git("diff", "--cached", "--name-only") == "", "index differs from HEAD"
gitdir = os.path.join(d, ".git")
left = [f for f in os.listdir(gitdir) if f.startswith("index.automator-")]
assert not left, left
art = os.path.join(d, "_bmad-output/implementation-artifacts")
left = [f for f in os.listdir(art) if ".tmp." in f]
assert not left, left
st = open(os.path.join(art, "sprint-status.yaml")).read()
for key in ("1-1-plant-registry", "1-2-next-watering-date"):
    line = [l for l in st.split("\n") if l.strip().startswith(key + ":")]
    assert line and line[0].split(":", 1)[1].split("#")[0].strip() == "done", line
runs = [tuple(l.split()[:3]) for l in open(calls) if l.strip()]
assert len(runs) == len(set(runs)), "a step attempt ran twice: %r" % runs
assert sorted(r[:2] for r in runs) == [("1.1", "work"), ("1.2", "work")], runs
PY
	tmux -L "$AUTOMATOR_TMUX_SOCKET" list-sessions 2>/dev/null | grep -q '^au-' &&
		fail "$name: a tmux session is left"
}

# --- killed between the commit and the index update ---
killed_run index before-index-reset
[ "$(git -C "$P" log --format=%s -1)" = "1.1: First story" ] || fail "index: 1.1 not committed at the kill"
ls "$P"/.git/index.automator-* >/dev/null 2>&1 || fail "index: no scratch index left by the kill"
[ -n "$(git -C "$P" diff --cached --name-only)" ] || fail "index: the real index was not stale at the kill"
resumed_clean index
expect_grep "$TMP/au.out" "already committed as" "index: the commit found by its trailer"

# --- killed between the run row and its story rows ---
killed_run record in-run-record
[ "$(sqlite3 "$P/.automator/state.db" "SELECT count(*) FROM runs")" = 0 ] ||
	fail "record: a run was recorded without its stories"
au "$P" resume --no-input
[ "$rc" = 1 ] || fail "record: resume exited $rc, want 1"
expect_grep "$TMP/au.out" "no run of this project was recorded" "record: resume says why"
au "$P" run crash-sprint.yaml --no-input
[ "$rc" = 0 ] || { fail "record: a new run exited $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }

# --- killed after DONE was journaled, before sprint-status said so ---
killed_run status before-status-done
grep -q '^  1-1-plant-registry: done' "$P/_bmad-output/implementation-artifacts/sprint-status.yaml" &&
	fail "status: sprint-status already done at the kill"
resumed_clean status
expect_grep "$TMP/au.out" "resuming MARK_DONE in DONE" "status: the pending MARK_DONE redone"

# --- killed after the session was recorded, before tmux was asked ---
killed_run spawn before-spawn
[ "$(sqlite3 "$P/.automator/state.db" "SELECT count(*) FROM sessions WHERE spawned_at IS NULL")" = 1 ] ||
	fail "spawn: want one session recorded and not spawned"
resumed_clean spawn
expect_grep "$TMP/au.out" "was recorded but never started: starting it" "spawn: started, not re-attached"
grep -qE "session-incomplete|restart-loop|--EXITED / (RESTART|ESCALATE)" "$TMP/au.out" &&
	fail "spawn: counted as a crash"

# --- killed after a verdict was journaled, before its session was killed ---
killed_run kill before-session-kill
tmux -L "$AUTOMATOR_TMUX_SOCKET" list-sessions -F '#{session_name}' 2>/dev/null | grep -q -- '-1_1-work-1$' ||
	fail "kill: the judged session was not left by the kill"
resumed_clean kill

# --- killed inside the sprint-status write ---
killed_run atomic in-atomic-write:sprint-status.yaml
ls "$P"/_bmad-output/implementation-artifacts/sprint-status.yaml.tmp.* >/dev/null 2>&1 ||
	fail "atomic: no temp file left by the kill"
resumed_clean atomic

finish
