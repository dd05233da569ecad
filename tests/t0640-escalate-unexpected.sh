#!/usr/bin/env bash
# t0640-escalate-unexpected: a side effect that cannot be carried out at all
# (here a verify command that does not exist: no verdict on the work) raises
# unexpected-error, CRITICAL; option 2 (skip current step) moves on and the
# story completes after resume.
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

finish
