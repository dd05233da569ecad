#!/usr/bin/env bash
# t0640-escalate-unexpected: a side effect that cannot be carried out at all
# (here a verify command that does not exist: no verdict on the work) raises
# unexpected-error, CRITICAL; option 2 (skip current step) moves on and the
# story completes after resume. A step marked optional that fails is
# skipped without an escalation.
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

finish
