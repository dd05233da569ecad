#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0497-done-before: done work is never redone (issue 13, item 5). On the
# demo project (real git, real tmux, the fake agent):
# - `run --stories 1.1`, then `run --stories 1.2` (1.2 depends on 1.1):
#   both exit 0; the second holds only 1.2 and starts no session for 1.1;
#   one commit each;
# - the whole sprint then: only the stories not done run; once more: no
#   run, no session, no commit, exit 0, "nothing to run";
# - a story committed by an earlier run (its Automator-Story trailer on
#   HEAD) that the sprint-status does not list is done too; one the
#   sprint-status sets back to `ready-for-dev` is run again;
# - `--stories 1.4` on a fresh project, whose dependency 1.2 is neither
#   selected nor done: 1.4 is not started, the note says why, exit 1.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

P=$TMP/proj
make_project "$P"
ST=_bmad-output/implementation-artifacts/sprint-status.yaml
commits() { git -C "$P" rev-list --count HEAD; }
c0=$(commits)

au "$P" run --no-input --stories 1.1
[ "$rc" = 0 ] || { fail "run --stories 1.1: exit $rc"; cat "$TMP/au.out" >&2; }
[ "$(commits)" = $((c0 + 1)) ] || fail "--stories 1.1: $(($(commits) - c0)) commits, want 1"
s11=$(sql "$P" "SELECT count(*) FROM sessions WHERE story_id = '1.1'")

au "$P" run --no-input --stories 1.2
[ "$rc" = 0 ] || { fail "run --stories 1.2 after 1.1: exit $rc"; cat "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "1 stories, workflow" "the second run holds only 1.2"
[ "$(sql "$P" "SELECT count(*) FROM sessions WHERE story_id = '1.1'")" = "$s11" ] ||
	fail "1.1 got a session again"
[ "$(commits)" = $((c0 + 2)) ] || fail "after --stories 1.2: $(($(commits) - c0)) commits, want 2"

# the rest of the sprint, then the finished sprint once more
au "$P" run --no-input
[ "$rc" = 0 ] || { fail "run of the rest: exit $rc"; cat "$TMP/au.out" >&2; }
[ "$(commits)" = $((c0 + 5)) ] || fail "after the whole sprint: $(($(commits) - c0)) commits, want 5"
runs=$(sql "$P" "SELECT count(*) FROM runs")
nsess=$(sql "$P" "SELECT count(*) FROM sessions")
au "$P" run --no-input
[ "$rc" = 0 ] || fail "a finished sprint run again: exit $rc"
expect_grep "$TMP/au.out" "nothing to run" "a finished sprint says there is nothing to run"
[ "$(sql "$P" "SELECT count(*) FROM runs")" = "$runs" ] || fail "a finished sprint recorded a run"
[ "$(sql "$P" "SELECT count(*) FROM sessions")" = "$nsess" ] || fail "a finished sprint started a session"
[ "$(commits)" = $((c0 + 5)) ] || fail "a finished sprint made a commit"

# done by its trailer alone: 1.5 no longer in the sprint-status
sed -i '/^ *1-5-[a-z0-9-]*:/d' "$P/$ST"
! grep -q '1-5-' "$P/$ST" || fail "setup: 1.5 still in $ST"
git -C "$P" commit -q -am "1.5 out of the sprint-status"
au "$P" run --no-input
[ "$rc" = 0 ] || fail "1.5 committed before: exit $rc"
expect_grep "$TMP/au.out" "1.5 *done already (committed by an earlier run)" "the trailer counts"
[ "$(sql "$P" "SELECT count(*) FROM sessions")" = "$nsess" ] || fail "1.5 was run again"

# set back to ready-for-dev in the sprint-status: the user wants it again
sed -i 's/^\(  *1-4-[a-z0-9-]*: *\)done/\1ready-for-dev/' "$P/$ST"
grep -q '1-4-.*ready-for-dev' "$P/$ST" || fail "setup: 1.4 not set back in $ST"
git -C "$P" commit -q -am "1.4 back to ready-for-dev"
au "$P" run --no-input --dry-run
expect_grep "$TMP/au.out" "^  1.4 " "a story set back in the sprint-status is run again"

# a dependency neither selected nor done
Q=$TMP/fresh
make_project "$Q"
au "$Q" run --no-input --stories 1.4
[ "$rc" = 1 ] || fail "--stories 1.4 without 1.2: exit $rc, want 1"
expect_grep "$TMP/au.out" "dependency 1.2 is not done and not in this run" "the note says why"
[ "$(sql "$Q" "SELECT count(*) FROM sessions")" = 0 ] || fail "1.4 started without its dependency"

finish
