#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0410-run-failures: a dev step that keeps crashing is retried up to the
# crash budget, then escalates; a review that passes on cycle 3 takes
# exactly 3 review sessions; a review that never passes stops after
# review_cycles with the review-loop trigger. With --no-input the run exits
# 3 (paused, decision needed) once nothing else can move. (restart_cooldown:
# 0: the crash retries at once, as t0717 tests the cooldown.)
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

P=$TMP/proj
make_project "$P"
cat >"$P/fail-sprint.yaml" <<'YAML'
project: fails
root: .
workflow: demo
agent: fake
max_parallel: 3
status_file: _bmad-output/implementation-artifacts/sprint-status.yaml
limits: { review_cycles: 3, crash_retries: 2, restart_cooldown: 0, idle_timeout: 2m, step_timeout: 10m }
stories:
  - id: "1.1"
    title: Crashes every time
    fake: { dev: crash }
  - id: "1.2"
    title: Passes review on the third cycle
    fake: { dev: "edit src/two.sh", review: "review-passes-after 3" }
  - id: "1.3"
    title: Never passes review
    fake: { dev: "edit src/three.sh", review: review-never-passes }
YAML
git -C "$P" add fail-sprint.yaml && git -C "$P" commit -q -m "failure sprint"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"

au "$P" run fail-sprint.yaml --no-input
[ "$rc" = 3 ] || { fail "run exited $rc, want 3 (decision needed)"; sed 's/^/  /' "$TMP/au.out" >&2; }

calls() { grep -c "^$1 $2 " "$AUTOMATOR_FAKE_LOG_DIR/calls.log"; }
[ "$(calls 1.1 dev)" = 3 ] || fail "1.1: want 3 dev sessions (1 + 2 crash retries), got $(calls 1.1 dev)"
[ "$(calls 1.2 review)" = 3 ] || fail "1.2: want exactly 3 review sessions, got $(calls 1.2 review)"
[ "$(calls 1.3 review)" = 3 ] || fail "1.3: want 3 review sessions (review_cycles), got $(calls 1.3 review)"
# attempts are numbered and never repeated
dups=$(awk '{print $1, $2, $3}' "$AUTOMATOR_FAKE_LOG_DIR/calls.log" | sort | uniq -d)
[ -z "$dups" ] || fail "a step attempt ran twice: $dups"

expect_grep "$TMP/au.out" "DECISION NEEDED: Dev implementation failure" "crash budget escalation shown"
expect_grep "$TMP/au.out" "DECISION NEEDED: Code review loop exceeded" "review loop escalation shown"
expect_grep "$TMP/au.out" "automator resume" "the way on is printed"

status_json "$P" >"$TMP/status.json" || fail "status --json failed"
python3 - "$TMP/status.json" <<'PY' || fail "status after the failing run"
import json, sys
s = json.load(open(sys.argv[1]))
by = {x["id"]: x for x in s["stories"]}
assert by["1.1"]["state"] == "AWAITING_DECISION", by["1.1"]
assert by["1.1"]["escalation_reasons"] == ["dev-implementation-failure"], by["1.1"]
assert by["1.1"]["attempt"] == 3, by["1.1"]
assert by["1.2"]["state"] == "DONE", by["1.2"]
assert by["1.3"]["state"] == "BLOCKED", by["1.3"]
assert by["1.3"]["escalation_reasons"] == ["code-review-loop-exceeded"], by["1.3"]
assert by["1.3"]["cycle"] == 3, by["1.3"]
assert s["run"]["state"] == "PAUSED", s["run"]
assert s["escalation"]["required"] is True
sig = {(x["story"], x["trigger"], x["category"]) for x in s["escalation"]["signals"]}
assert ("1.1", "dev-implementation-failure", "PREFERENCE") in sig, sig
assert ("1.3", "code-review-loop-exceeded", "CRITICAL") in sig, sig
PY
# a CRITICAL escalation pauses the run and removes the marker
[ ! -e "$P/.automator/active" ] || fail "marker still present while PAUSED"
# the story that passed was committed once, the others not at all
[ "$(git -C "$P" log --format=%s | grep -c '^1.2:')" = 1 ] || fail "1.2 not committed exactly once"
[ "$(git -C "$P" log --format=%s | grep -c '^1.[13]:')" = 0 ] || fail "a failed story was committed"

finish
