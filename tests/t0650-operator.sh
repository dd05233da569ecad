#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154 # rc is set by au() in lib.sh
# t0650-operator: the LLM operator (issue 14), with the fake agent answering
# fixed JSON (its `propose` behaviour in the step "operator"). A dev step
# that fails with no retry left raises dev-implementation-failure
# (PREFERENCE; 1 retry, 2 pause, 3 view output, 4 skip story, 5 abort run):
# - auto, the operator proposes 1 (retry, allowlisted): applied at once,
#   journaled as answered by "operator" with its rationale, the story
#   completes (exit 0);
# - assist, it proposes 1: the recommendation is said, notified and kept on
#   the escalation (escalations list, text and JSON), nothing is applied,
#   the run waits for the human (exit 3, the escalation open);
# - auto, it proposes 5 (abort_run, not allowlisted), answers garbage, or
#   hangs past its timeout: each leaves the escalation open for the human
#   (exit 3) with a note saying why;
# - max_calls_per_hour 1 and two escalations: the second is the human's;
# - a bad operator: section is exit 65 with file:line:col.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
# scenario NAME MODE OPERATOR-BEHAVIOUR [EXTRA operator: YAML]: a project, run once
scenario() {
	P=$TMP/$1
	make_project "$P"
	cat >"$P/op.yaml" <<YAML
project: op-$1
root: .
workflow: demo
agent: fake
limits: { crash_retries: 0 }
operator: { mode: $2, timeout: 3s${4:+, $4} }
stories:
  - id: "1.1"
    title: Fails once
    fake: { dev: "fail || edit src/o.sh", operator: "$3" }
YAML
	git -C "$P" add op.yaml && git -C "$P" commit -qm "operator sprint"
	au "$P" run op.yaml --no-input
}
open_escalations() { sql "$P" "SELECT count(*) FROM escalations WHERE status = 'open'"; }

# ---- auto, an allowlisted retry: applied ----
scenario auto auto "propose 1 0.9"
[ "$rc" = 0 ] || { fail "auto: exit $rc, want 0"; tail -20 "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "operator: asking fake about escalation 1 (auto)" "auto: the operator is asked"
expect_grep "$TMP/au.out" "operator recommends 1 (Retry dev), confidence 0.90: fake-agent proposes option 1" "auto: the recommendation"
[ "$(sql "$P" "SELECT answered_by || '|' || chosen FROM escalations")" = "operator|1" ] ||
	fail "auto: not journaled as answered by the operator: $(sql "$P" "SELECT answered_by, chosen, status FROM escalations")"
expect_grep <(sql "$P" "SELECT reply FROM escalations") "fake-agent proposes option 1 for story 1.1" "auto: its rationale is kept"
[ "$(sql "$P" "SELECT count(*) FROM transitions WHERE event = 'CHOSE_RETRY'")" = 1 ] || fail "auto: no CHOSE_RETRY"
[ "$(sql "$P" "SELECT state FROM stories")" = DONE ] || fail "auto: the story is not done"
grep -q "^1.1 operator " "$AUTOMATOR_FAKE_LOG_DIR/calls.log" || fail "auto: the operator agent never ran"

# ---- assist: said, never applied ----
scenario assist assist "propose 1 0.7"
[ "$rc" = 3 ] || { fail "assist: exit $rc, want 3"; tail -20 "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "operator recommends 1 (Retry dev), confidence 0.70" "assist: the recommendation is shown"
[ "$(open_escalations)" = 1 ] || fail "assist: the escalation is not open"
[ "$(sql "$P" "SELECT count(*) FROM transitions WHERE event LIKE 'CHOSE_%'")" = 0 ] || fail "assist: something was applied"
expect_grep "$P/.automator/escalations.jsonl" "Operator recommendation" "assist: the recommendation is notified"
(cd "$P" && "$AUTOMATOR" escalations list --jsonl) >"$TMP/list.json"
python3 - "$TMP/list.json" <<'PY' || fail "assist: escalations list --jsonl has no recommendation: $(cat "$TMP/list.json")"
import json, sys
e = json.loads(open(sys.argv[1]).readline())
r = e["recommendation"]
assert r["option"] == "1" and r["confidence"] == 0.7 and "proposes option 1" in r["rationale"], r
assert r["at"].startswith("20"), r
PY
(cd "$P" && "$AUTOMATOR" escalations list) >"$TMP/list.txt"
expect_grep "$TMP/list.txt" "operator recommends 1 (confidence 0.70): fake-agent proposes option 1" "assist: escalations list shows it"

# ---- auto, not allowed / malformed / timeout: left to the human ----
scenario notallowed auto "propose 5 0.99"
[ "$rc" = 3 ] || fail "not allowed: exit $rc, want 3"
expect_grep "$TMP/au.out" "option 5 (abort_run) is not one auto may take" "not allowed: why"
[ "$(open_escalations)" = 1 ] || fail "not allowed: the escalation is not open"
[ "$(sql "$P" "SELECT count(*) FROM transitions WHERE event LIKE 'CHOSE_%'")" = 0 ] || fail "not allowed: applied"

scenario garbage auto garbage
[ "$rc" = 3 ] || fail "garbage: exit $rc, want 3"
expect_grep "$TMP/au.out" "operator: no AUTOMATOR_RESULT line in its answer; escalation 1 waits for your answer" "garbage: why"
[ "$(open_escalations)" = 1 ] || fail "garbage: the escalation is not open"

scenario timeout auto hang
[ "$rc" = 3 ] || fail "timeout: exit $rc, want 3"
expect_grep "$TMP/au.out" "operator: no answer within its timeout" "timeout: why"
[ "$(open_escalations)" = 1 ] || fail "timeout: the escalation is not open"

# ---- the hourly budget: one call an hour, two escalations ----
P=$TMP/budget
make_project "$P"
cat >"$P/op.yaml" <<YAML
project: op-budget
root: .
workflow: demo
agent: fake
max_parallel: 2
limits: { crash_retries: 0 }
operator: { mode: assist, timeout: 3s, max_calls_per_hour: 1 }
stories:
  - { id: "1.1", title: One, fake: { dev: fail, operator: "propose 4 0.5" } }
  - { id: "1.2", title: Two, fake: { dev: fail, operator: "propose 4 0.5" } }
YAML
git -C "$P" add op.yaml && git -C "$P" commit -qm "operator sprint"
au "$P" run op.yaml --no-input
[ "$rc" = 3 ] || fail "budget: exit $rc, want 3"
[ "$(grep -c "operator recommends 4" "$TMP/au.out")" = 1 ] || fail "budget: want one recommendation"
expect_grep "$TMP/au.out" "operator: its 1 calls this hour are spent: escalation [0-9]* is yours" "budget: the second is the human's"

# ---- bad sections ----
B=$TMP/bad
make_project "$B"
for bad in "mode: sometimes" "mode: auto, allow: [retry, nope]" "mode: auto, agent: claud" "mode: auto, max_calls_per_hour: 0"; do
	printf 'project: bad\nroot: .\nworkflow: demo\nagent: fake\noperator: { %s }\nstories:\n  - { id: "1.1", title: X }\n' \
		"$bad" >"$B/bad.yaml"
	(cd "$B" && "$AUTOMATOR" validate bad.yaml) >"$TMP/bad.out" 2>&1
	brc=$?
	[ "$brc" = 65 ] || fail "operator { $bad }: exit $brc, want 65"
	grep -q "bad.yaml:5:[0-9]*: " "$TMP/bad.out" || fail "operator { $bad }: no file:line:col: $(cat "$TMP/bad.out")"
done
finish
