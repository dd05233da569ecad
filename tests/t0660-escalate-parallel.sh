#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0660-escalate-parallel: a BMAD sprint declares no dependencies, so with
# --max-parallel 2 the run asks before starting a story while another story
# of its epic is running (dependency-conflict, PREFERENCE) instead of
# guessing. Answered from another terminal with 1 (continue in parallel),
# the live run starts it at once, alongside the running one; the run
# completes.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3

P=$TMP/proj
make_project "$P" "$AUTOMATOR_DATA_DIR/tests/fixtures/bmad-project"
art=_bmad-output/implementation-artifacts
export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
export AUTOMATOR_FAKE_DELAY=0.1
# slow, and no file both stories would change: parallel stories editing
# one file meet an integration conflict (t0498)
export AUTOMATOR_FAKE_DEFAULT_DEV_STORY="slow"

(cd "$P" && exec "$AUTOMATOR" run "$art/sprint-status.yaml" --agent fake --max-parallel 2 --no-input) \
	>"$TMP/run.out" 2>&1 &
pid=$!
wait_for 30 grep -q "DECISION NEEDED: Dependency conflict" "$TMP/run.out" ||
	{ fail "no dependency-conflict"; cat "$TMP/run.out" >&2; }
story=1.3
id=$(sql "$P" "SELECT id FROM escalations WHERE trigger = 'dependency-conflict' AND story_id = '1.3'")
[ -n "$id" ] || fail "no dependency-conflict for 1.3"
[ "$(sql "$P" "SELECT category FROM escalations WHERE id = $id")" = PREFERENCE ] || fail "not PREFERENCE"
[ "$(sql "$P" "SELECT state FROM stories WHERE story_id = '$story'")" = PENDING ] ||
	fail "the story started before the answer"
expect_grep "$TMP/run.out" "may depend on story 1.2 of the same epic" "the reason"
au "$P" answer "$id" 1
[ "$rc" = 0 ] || fail "answer: exit $rc"
# started at once, while 1.2 still runs
wait_for 10 sh -c "grep -q '^$story ' '$AUTOMATOR_FAKE_LOG_DIR/calls.log'" || fail "$story did not start after the answer"
[ "$(sql "$P" "SELECT state FROM stories WHERE story_id = '1.2'")" != DONE ] ||
	fail "1.2 was already done: nothing ran in parallel"
wait "$pid"
rc=$?
[ "$rc" = 0 ] || { fail "run: exit $rc, want 0"; sed 's/^/  /' "$TMP/run.out" >&2; }
[ "$(sql "$P" "SELECT count(*) FROM escalations WHERE trigger = 'dependency-conflict' AND status != 'closed'")" = 0 ] ||
	fail "a dependency-conflict question stayed open after 'continue in parallel'"
[ "$(sql "$P" "SELECT count(*) FROM escalations WHERE trigger = 'dependency-conflict' AND story_id = '1.3'")" = 1 ] ||
	fail "1.3 was asked more than once"
[ "$(sql "$P" "SELECT state FROM runs")" = COMPLETE ] || fail "run not COMPLETE"

finish
