#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154 # rc is set by au() in lib.sh
# t0780-bmad-resume: `automator resume` of a run whose sprint is a BMAD
# sprint-status keeps the stories the run recorded, whatever the file
# queues now: a story queued only through --include-status, and a story
# whose code review already set it `done` before the run was killed right
# after its commit. Resume finishes both (no second commit), exit 0.
# Twice: with a worktree per story (the default; at the kill the commit is
# on the story's branch and `done` in its worktree's copy) and with
# --isolation shared (both in the project's tree).
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

scenario() {
mode=$1
P=$TMP/shelf-$mode
make_project "$P" "$AUTOMATOR_DATA_DIR/tests/fixtures/bmad-project"
art=_bmad-output/implementation-artifacts
st=$P/$art/sprint-status.yaml
sed -i 's/^  1-4-overdue-report: "backlog" .*/  1-4-overdue-report: on-hold/' "$st"
grep -q '^  1-4-overdue-report: on-hold$' "$st" || fail "fixture: 1-4 not on-hold"
git -C "$P" commit -qam "1.4 on hold"

export AUTOMATOR_FAKE_LOG_DIR=$TMP/calls-$mode
export AUTOMATOR_FAKE_DEFAULT_DEV_STORY="edit src/shelf.sh"

# killed (SIGKILL) right after the first story's commit
(cd "$P" && AUTOMATOR_CRASH_AT=after-commit timeout 60 "$AUTOMATOR" run "$art/sprint-status.yaml" \
	--agent fake --no-input --include-status on-hold --isolation "$mode") >"$TMP/run.out" 2>&1
rc=$?
[ "$rc" = 137 ] || { fail "$mode run: want it killed (137), got $rc"; sed 's/^/  /' "$TMP/run.out" >&2; }
if [ "$mode" = shared ]; then
	at=$st
	branch=HEAD
else
	at=$P/.automator/worktrees/1.2/$art/sprint-status.yaml
	branch=automator/1-2-lend-a-book
	[ "$(git -C "$P" log --format=%s | grep -c '^1\.2:')" = 0 ] || fail "1.2 on the target before its integration"
fi
grep -q '^  1-2-lend-a-book: done' "$at" || fail "$mode: 1.2 not done in sprint-status at the kill: $(grep 1-2 "$at")"
[ "$(git -C "$P" log --format=%s "$branch" | grep -c '^1\.2:')" = 1 ] || fail "$mode: 1.2 not committed before the kill"

au "$P" resume --no-input
[ "$rc" = 0 ] || { fail "resume exited $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "3 of 3 stories done" "resume: the summary counts the run's stories"

status_json "$P" >"$TMP/status.json" || fail "status --json failed"
python3 - "$TMP/status.json" "$P" "$AUTOMATOR_FAKE_LOG_DIR/calls.log" <<'PY' || fail "after resume"
import json, subprocess, sys
s = json.load(open(sys.argv[1]))
assert s["run"]["state"] == "COMPLETE", s["run"]
got = {x["id"]: x["state"] for x in s["stories"]}
assert got == {"1.2": "DONE", "1.3": "DONE", "1.4": "DONE"}, got
log = subprocess.run(["git", "-C", sys.argv[2], "log", "--format=%s"],
                     capture_output=True, text=True, check=True).stdout.split("\n")
for sid in ("1.2", "1.3", "1.4"):
    n = sum(1 for x in log if x.startswith(sid + ":"))
    assert n == 1, (sid, n, log)
runs = [tuple(l.split()[:3]) for l in open(sys.argv[3]) if l.strip()]
assert len(runs) == len(set(runs)), "a step attempt ran twice: %r" % runs
assert any(r[:2] == ("1.4", "dev-story") for r in runs), runs
PY
grep -q '^  1-4-overdue-report: done' "$st" || fail "$mode: 1.4 not done in sprint-status: $(grep 1-4 "$st")"
[ "$(git -C "$P" worktree list | wc -l)" = 1 ] || fail "$mode: worktrees left: $(git -C "$P" worktree list)"
}

scenario worktree
scenario shared
finish
