#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0720-helper-state: orchestrator-helper state-summary and list-sessions
# against a real run (one story hangs in dev): the run, counts, stories,
# marker and the sessions with their liveness on the private tmux server,
# while it runs and after `automator abort`; the stop hook during the run;
# a project without a state database or without runs.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 jq python3

unset PROJECT_ROOT AUTOMATOR_CHILD
ROOT=$(cd "$TMP" && pwd -P)
P=$ROOT/proj
make_project "$P"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
cat >"$P/state-sprint.yaml" <<'YAML'
project: state
root: .
workflow: demo
agent: fake
max_parallel: 2
status_file: _bmad-output/implementation-artifacts/sprint-status.yaml
stories:
  - id: "1.1"
    title: Quick one
    fake: { dev: "edit src/quick.sh" }
  - id: "1.2"
    title: Hangs in dev
    fake: { dev: hang }
  - id: "1.3"
    title: Waits for 1.2
    depends_on: ["1.2"]
YAML
git -C "$P" add state-sprint.yaml && git -C "$P" commit -q -m "state sprint"

# helper DESCRIPTION CODE ARGS...: runs orchestrator-helper ARGS in the project.
helper() {
	local what=$1 want=$2 rc
	shift 2
	(cd "$P" && timeout 20 "$HELPER" "$@") >"$TMP/out" 2>"$TMP/err"
	rc=$?
	[ "$rc" = "$want" ] || { fail "$what: exit $rc, want $want"; sed 's/^/  stderr: /' "$TMP/err" >&2; }
	[ "$(wc -l <"$TMP/out")" = 1 ] || { fail "$what: not one line of output"; cat "$TMP/out" >&2; }
}
json() { # json FILTER DESCRIPTION
	jq -e "$1" "$TMP/out" >/dev/null 2>&1 || { fail "$2: not true: $1"; sed 's/^/  out: /' "$TMP/out" >&2; }
}

# ---- before any run: no state database ----
helper "state-summary, no state" 1 state-summary
json '. == {"ok":false,"reason":"no_state"}' "state-summary without state.db"
helper "list-sessions, no state" 1 list-sessions
json '. == {"ok":false,"reason":"no_state"}' "list-sessions without state.db"
[ -e "$P/.automator/state.db" ] && fail "a helper created state.db"

# ---- a live run: 1.1 done, 1.2 hanging in dev, 1.3 waiting ----
(cd "$P" && exec "$AUTOMATOR" run state-sprint.yaml --no-input) >"$TMP/run.out" 2>&1 &
runpid=$!
wait_for 30 grep -q "^1.2 dev " "$AUTOMATOR_FAKE_LOG_DIR/calls.log" || fail "1.2 never started"
wait_for 30 sh -c "cd '$P' && '$AUTOMATOR' status --json | grep -q '\"id\":\"1.1\",[^}]*\"state\":\"DONE\"'" ||
	fail "1.1 never finished"
status_json "$P" >"$TMP/status.json" || fail "status --json failed"
run_id=$(jq -r .run.id "$TMP/status.json")

helper "state-summary, live" 0 state-summary
cp "$TMP/out" "$TMP/summary.json"
python3 - "$TMP/summary.json" "$TMP/status.json" <<'PY' || fail "state-summary during the run"
import json, sys
s = json.load(open(sys.argv[1]))
st = json.load(open(sys.argv[2]))
assert list(s) == ["ok", "run", "counts", "stories", "openEscalations", "marker"], list(s)
assert s["ok"] is True
run = s["run"]
for k in ["id", "state", "project", "started_at"]:
    assert isinstance(run[k], str), (k, run)
assert run["id"] == st["run"]["id"] and run["started_at"] == st["run"]["started_at"], run
assert run["state"] == "IN_PROGRESS" and run["project"] == "state", run
assert run["finished_at"] is None and isinstance(run["pid"], int) and run["pid"] > 0, run
assert s["counts"] == {"DONE": 1, "SPAWN": 1, "PENDING": 1}, s["counts"]
assert s["counts"] == st["counts"], (s["counts"], st["counts"])
by = {x["id"]: x for x in s["stories"]}
assert [x["id"] for x in s["stories"]] == ["1.1", "1.2", "1.3"], s["stories"]
for x in s["stories"]:
    assert {"id", "state", "step", "attempt"} <= set(x), x
    assert isinstance(x["attempt"], int), x
assert by["1.2"]["state"] == "SPAWN" and by["1.2"]["step"] == "dev" and by["1.2"]["attempt"] == 1, by["1.2"]
assert by["1.3"]["state"] == "PENDING" and by["1.3"]["step"] is None, by["1.3"]
assert by["1.1"]["state"] == "DONE", by["1.1"]
assert s["openEscalations"] == 0, s
assert s["marker"] == {"exists": True, "fresh": True}, s["marker"]
PY

helper "list-sessions, live" 0 list-sessions
cp "$TMP/out" "$TMP/sessions.json"
sock=$AUTOMATOR_TMUX_SOCKET
python3 - "$TMP/sessions.json" "$TMP/status.json" "$sock" <<'PY' || fail "list-sessions during the run"
import json, os, sys
s = json.load(open(sys.argv[1]))
st = json.load(open(sys.argv[2]))
assert s["ok"] is True and s["run"] == st["run"]["id"] and s["socket"] == sys.argv[3], s
keys = ["id", "story", "step", "attempt", "session", "log", "started_at", "ended_at",
        "exit_status", "exit_signal", "alive"]
ss = s["sessions"]
for x in ss:
    assert list(x) == keys, list(x)
    assert isinstance(x["id"], int) and isinstance(x["attempt"], int), x
    assert x["started_at"].endswith("Z"), x
assert [x["id"] for x in ss] == sorted(x["id"] for x in ss), "not in spawn order"
assert {x["story"] for x in ss} == {"1.1", "1.2"}, ss
hang = [x for x in ss if x["story"] == "1.2"]
assert len(hang) == 1, hang
h = hang[0]
want = [x for x in st["stories"] if x["id"] == "1.2"][0]
assert h["step"] == "dev" and h["attempt"] == 1, h
assert h["session"] == want["session"] and h["log"] == want["log"], (h, want)
assert h["alive"] is True and h["ended_at"] is None, h
assert h["exit_status"] is None and h["exit_signal"] is None, h
assert os.path.isfile(h["log"]), h
done = [x for x in ss if x["story"] == "1.1"]
assert done and all(x["alive"] is False for x in done), done
assert all(x["ended_at"] and x["exit_status"] == 0 and x["exit_signal"] is None for x in done), done
PY
hang=$(jq -r '.sessions[] | select(.story == "1.2") | .session' "$TMP/sessions.json")
tmux -L "$AUTOMATOR_TMUX_SOCKET" has-session -t "=$hang" 2>/dev/null ||
	fail "list-sessions says alive, tmux does not know '$hang'"

# from a subdirectory, and through $PROJECT_ROOT from elsewhere
(cd "$P/src" && "$HELPER" list-sessions) >"$TMP/out" 2>"$TMP/err" || fail "list-sessions from src/"
json ".run == \"$run_id\"" "list-sessions from a subdirectory"
(cd "$ROOT" && PROJECT_ROOT=$P "$HELPER" state-summary) >"$TMP/out" 2>"$TMP/err" ||
	fail "state-summary with PROJECT_ROOT"
json ".run.id == \"$run_id\"" "state-summary with PROJECT_ROOT"

# the stop hook keeps a Claude session that started the run working; the
# run's own agents (AUTOMATOR_CHILD) may stop
(cd "$P" && echo '{"hook_event_name":"Stop"}' | "$HELPER" stop-hook) >"$TMP/out" 2>"$TMP/err"
json '.decision == "block" and (.reason | contains("1.2")) and
	(.reason | contains("2 stories remaining"))' "stop hook during the run"
(cd "$P" && echo '{}' | AUTOMATOR_CHILD=1 "$HELPER" stop-hook) >"$TMP/out" 2>"$TMP/err"
[ -s "$TMP/out" ] && fail "stop hook of a child session blocked: $(cat "$TMP/out")"

# ---- abort: the run is ABORTED, the hanging session gone ----
au "$P" abort
[ "$rc" = 0 ] || { fail "abort: exit $rc"; sed 's/^/  /' "$TMP/au.out" >&2; }
wait "$runpid" 2>/dev/null

helper "state-summary, aborted" 0 state-summary
json ".run.id == \"$run_id\" and .run.state == \"ABORTED\" and (.run.finished_at | type) == \"string\"" \
	"state-summary: the aborted run is the latest"
json '.counts == {"DONE": 1, "ABORTED": 2}' "state-summary counts after abort"
json '[.stories[] | .state] == ["DONE", "ABORTED", "ABORTED"]' "state-summary stories after abort"
json '.marker == {"exists": false, "fresh": false}' "state-summary marker after abort"
json '.openEscalations == 0' "state-summary escalations after abort"

helper "list-sessions, aborted" 0 list-sessions
json ".run == \"$run_id\"" "list-sessions run after abort"
json '[.sessions[] | select(.story == "1.2")] | length == 1 and .[0].alive == false' \
	"the hanging session is not alive after abort"
json '[.sessions[] | .alive] | all(. == false)' "no session alive after abort"

(cd "$P" && echo '{}' | "$HELPER" stop-hook) >"$TMP/out" 2>"$TMP/err"
[ -s "$TMP/out" ] && fail "stop hook after abort blocked: $(cat "$TMP/out")"

# open escalations are counted (closed ones are not)
sqlite3 "$P/.automator/state.db" "
INSERT INTO escalations (run_id, story_id, \"trigger\", category, severity, message, created_at)
	VALUES ('$run_id', '1.2', 'unexpected-error', 'CRITICAL', 'CRITICAL', 'm', '2026-01-01T00:00:00Z');
INSERT INTO escalations (run_id, story_id, \"trigger\", category, severity, message, status, created_at)
	VALUES ('$run_id', '1.3', 'unexpected-error', 'CRITICAL', 'CRITICAL', 'm', 'closed', '2026-01-01T00:00:00Z');
INSERT INTO escalations (run_id, story_id, \"trigger\", category, severity, message, status, created_at)
	VALUES ('$run_id', NULL, 'git-commit-failure', 'CRITICAL', 'CRITICAL', 'm', 'acked', '2026-01-01T00:00:00Z');" ||
	fail "cannot add escalations"
helper "state-summary, escalations" 0 state-summary
json '.openEscalations == 2' "state-summary counts escalations not closed"

# a corrupt marker shows in the summary
echo garbage >"$P/.automator/active"
helper "state-summary, corrupt marker" 0 state-summary
json '.marker == {"exists": true, "fresh": false, "corrupt": true}' "state-summary corrupt marker"
rm -f "$P/.automator/active"

# ---- a state database without runs ----
E=$ROOT/empty
mkdir -p "$E/.automator"
: >"$E/.automator/state.db"
(cd "$E" && "$HELPER" state-summary) >"$TMP/out" 2>"$TMP/err"
[ $? = 1 ] || fail "state-summary without runs: want exit 1"
json '. == {"ok":false,"reason":"no_run"}' "state-summary without runs"
(cd "$E" && "$HELPER" list-sessions) >"$TMP/out" 2>"$TMP/err"
[ $? = 1 ] || fail "list-sessions without runs: want exit 1"
json '. == {"ok":false,"reason":"no_run"}' "list-sessions without runs"

# ---- usage ----
expect_exit 64 "state-summary with an argument" -- "$HELPER" state-summary x
expect_exit 64 "list-sessions with an unknown option" -- "$HELPER" list-sessions --frob
expect_exit 64 "state-summary, missing root" -- "$HELPER" state-summary --project-root "$ROOT/nope"
json '. == {"ok":false,"reason":"no_project_root"}' "state-summary, missing root"
expect_exit 0 "list-sessions --help" -- "$HELPER" list-sessions --help
expect_grep "$TMP/out" "alive" "list-sessions help"

finish
