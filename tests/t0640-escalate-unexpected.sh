#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0640-escalate-unexpected: a side effect that cannot be carried out at all
# (here a verify command that does not exist: no verdict on the work) raises
# unexpected-error, CRITICAL; option 2 (skip current step) moves on and the
# story completes after resume. A step marked optional that fails is
# skipped without an escalation. A sprint's review_contract decides what
# counts as a complete review. tmux failing to start a session raises
# session-spawn-failure after the retries.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3

P=$TMP/proj
make_project "$P"
cat >"$P/wf.yaml" <<'YAML'
name: broken-verify
steps:
  - name: dev
    kind: session
    prompt: "Implement {story.id}: {story.title}"
    result: [status, summary]
    verifier: session_exit
  - name: verify
    kind: verify
    verifier: { type: command, argv: [automator-test-no-such-program, "{story.id}"] }
YAML
cat >"$P/unexpected.yaml" <<'YAML'
project: unexpected
root: .
workflow: ./wf.yaml
agent: fake
stories:
  - id: "1.1"
    title: Verified by a missing program
    fake: { dev: "edit src/u.sh" }
YAML
git -C "$P" add wf.yaml unexpected.yaml && git -C "$P" commit -q -m "unexpected sprint"

au "$P" run unexpected.yaml --no-input
[ "$rc" = 3 ] || { fail "run: exit $rc, want 3"; sed 's/^/  /' "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "DECISION NEEDED: Unexpected error" "the message"
expect_grep "$TMP/au.out" "automator-test-no-such-program" "the cause is named"
id=$(sql "$P" "SELECT id FROM escalations WHERE trigger = 'unexpected-error'")
[ -n "$id" ] || fail "no unexpected-error escalation"
[ "$(sql "$P" "SELECT category FROM escalations WHERE id = $id")" = CRITICAL ] || fail "not CRITICAL"
[ "$(sql "$P" "SELECT state FROM runs")" = PAUSED ] || fail "run not PAUSED"
au "$P" answer "$id" 2
[ "$rc" = 0 ] || fail "answer: exit $rc"
au "$P" resume --no-input
[ "$rc" = 0 ] || { fail "resume: exit $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }
[ "$(sql "$P" "SELECT state FROM stories")" = DONE ] || fail "story not DONE after skipping the step"
[ "$(sql "$P" "SELECT count(*) FROM transitions WHERE event = 'CHOSE_SKIP_STEP'")" = 1 ] ||
	fail "the skip was not journaled"

# an optional step that keeps crashing is skipped, not escalated
Q=$TMP/optional
make_project "$Q"
cat >"$Q/wf.yaml" <<'YAML'
name: with-optional
steps:
  - name: dev
    kind: session
    prompt: "Implement {story.id}"
    verifier: session_exit
  - name: automate
    kind: session
    prompt: "Add automated tests for {story.id}"
    optional: true
    retries: 0
    verifier: session_exit
  - name: commit
    kind: commit
YAML
cat >"$Q/optional.yaml" <<'YAML'
project: optional
root: .
workflow: ./wf.yaml
agent: fake
limits: { crash_retries: 0 }
stories:
  - id: "1.1"
    title: Has a flaky optional step
    fake: { dev: "edit src/o.sh", automate: crash }
YAML
git -C "$Q" add wf.yaml optional.yaml && git -C "$Q" commit -q -m "optional sprint"
au "$Q" run optional.yaml --no-input
[ "$rc" = 0 ] || { fail "optional: exit $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "optional step automate skipped" "the skip is shown"
[ "$(sql "$Q" "SELECT count(*) FROM escalations")" = 0 ] || fail "an optional step escalated"
[ "$(sql "$Q" "SELECT count(*) FROM transitions WHERE event = 'OPTIONAL_FAILED'")" = 1 ] ||
	fail "the skip is not journaled"
[ "$(git -C "$Q" log --format=%s | grep -c '^1.1:')" = 1 ] || fail "1.1 not committed after the skip"

# a sprint's review_contract that trusts only story files: the reviewer's
# "done" in sprint-status is not enough, so the review loop escalates
R=$TMP/contract
make_project "$R"
cat >"$R/contract.yaml" <<'YAML'
project: contract
root: .
workflow: demo
agent: fake
status_file: _bmad-output/implementation-artifacts/sprint-status.yaml
limits: { review_cycles: 1 }
review_contract: { sources: [story-file], done_values: [approved] }
stories:
  - id: "1.1"
    title: Reviewed by the contract
    fake: { dev: "edit src/c.sh" }
YAML
git -C "$R" add contract.yaml && git -C "$R" commit -q -m "contract sprint"
au "$R" run contract.yaml --no-input
[ "$rc" = 3 ] || { fail "contract: exit $rc, want 3"; sed 's/^/  /' "$TMP/au.out" >&2; }
# (in the story's worktree, whose copy its verifiers read)
grep -Eq "^  1-1[-a-z]*: *done" "$R/.automator/worktrees/1.1/_bmad-output/implementation-artifacts/sprint-status.yaml" ||
	fail "the fake reviewer did not set sprint-status done"
grep -Eq "^  1-1[-a-z]*: *done" "$R/_bmad-output/implementation-artifacts/sprint-status.yaml" &&
	fail "the story is done on the target before it is integrated"
[ "$(sql "$R" "SELECT trigger FROM escalations")" = code-review-loop-exceeded ] ||
	fail "the contract was not applied: $(sql "$R" "SELECT trigger FROM escalations")"
printf 'review_contract: { sources: [story-file, jira] }\nroot: .\nstories:\n  - id: "1"\n' >"$R/bad-contract.yaml"
au "$R" validate bad-contract.yaml
[ "$rc" = 65 ] || fail "bad contract: exit $rc, want 65"
expect_grep "$TMP/au.out" "unknown review source 'jira'" "bad contract message"

# tmux cannot start the session (a socket name too long for a Unix socket):
# retried within the budget, then session-spawn-failure, CRITICAL
S=$TMP/spawn
make_project "$S"
printf 'project: spawn\nroot: .\nworkflow: demo\nagent: fake\nlimits: { crash_retries: 1 }\nstories:\n  - id: "1.1"\n' >"$S/spawn.yaml"
git -C "$S" add spawn.yaml && git -C "$S" commit -q -m "spawn sprint"
(cd "$S" && AUTOMATOR_TMUX_SOCKET=$(printf 'x%.0s' $(seq 1 200)) timeout 60 "$AUTOMATOR" run spawn.yaml --no-input) \
	>"$TMP/spawn.out" 2>&1
rc=$?
[ "$rc" = 3 ] || { fail "spawn failure: exit $rc, want 3"; sed 's/^/  /' "$TMP/spawn.out" >&2; }
expect_grep "$TMP/spawn.out" "DECISION NEEDED: Session spawn failure" "spawn failure message"
expect_grep "$TMP/spawn.out" "tmux new-session failed" "the tmux error is shown"
[ "$(sql "$S" "SELECT count(*) FROM transitions WHERE event = 'SPAWN_FAILED'")" = 2 ] ||
	fail "want 2 spawn attempts (1 + 1 retry)"
[ "$(sql "$S" "SELECT category FROM escalations WHERE trigger = 'session-spawn-failure'")" = CRITICAL ] ||
	fail "no CRITICAL session-spawn-failure"

finish
