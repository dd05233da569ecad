#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0440-run-commands: status --json against its documented fields, log,
# attach without a terminal, abort of a live run, run --dry-run, and the
# commands outside a project.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

P=$TMP/proj
make_project "$P"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
cat >"$P/cmd-sprint.yaml" <<'YAML'
project: cmds
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
git -C "$P" add cmd-sprint.yaml && git -C "$P" commit -q -m "commands sprint"

# outside any project
au "$TMP" status
[ "$rc" = 64 ] || fail "status outside a project: exit $rc, want 64"
expect_grep "$TMP/au.out" "no automator project here" "status outside a project"

# --dry-run prints the plan and writes nothing
au "$P" run cmd-sprint.yaml --dry-run
[ "$rc" = 0 ] || fail "dry run: exit $rc"
expect_grep "$TMP/au.out" "1.2 *fake *Hangs in dev" "dry run lists the stories"
[ ! -e "$P/.automator" ] || fail "dry run wrote .automator/"
au "$P" run cmd-sprint.yaml --dry-run --stories 1.1,1-3
[ "$rc" = 0 ] || fail "dry run --stories: exit $rc"
grep -q "^ *1.2 " "$TMP/au.out" && fail "--stories 1.1,1-3 kept 1.2"
expect_grep "$TMP/au.out" "1.3 *fake" "--stories keeps 1.3 (named by its prefix)"
au "$P" run cmd-sprint.yaml --dry-run --stories 9.9
[ "$rc" = 64 ] || fail "--stories matching nothing: exit $rc, want 64"
au "$P" run cmd-sprint.yaml --dry-run --max-parallel 0
[ "$rc" = 64 ] || fail "--max-parallel 0: exit $rc, want 64"
au "$P" run cmd-sprint.yaml --dry-run --agent nobody
[ "$rc" = 64 ] || fail "--agent nobody: exit $rc, want 64"

(cd "$P" && exec "$AUTOMATOR" run cmd-sprint.yaml --no-input) >"$TMP/run.out" 2>&1 &
runpid=$!
wait_for 30 grep -q "^1.2 dev " "$AUTOMATOR_FAKE_LOG_DIR/calls.log" || fail "1.2 never started"
wait_for 30 sh -c "cd '$P' && '$AUTOMATOR' status --json | grep -q '\"id\":\"1.1\",[^}]*\"state\":\"DONE\"'" ||
	fail "1.1 never finished"

# status --json: every documented field, with its type
status_json "$P" >"$TMP/status.json" || fail "status --json failed"
python3 - "$TMP/status.json" <<'PY' || fail "status --json fields"
import json, sys
s = json.load(open(sys.argv[1]))
assert set(s) == {"run", "signals", "counts", "stories", "escalation", "usage", "warnings"}, set(s)
assert s["signals"] == [], s["signals"]  # a run that works, its sessions alive
assert s["warnings"] == [], s["warnings"]
ukeys = {"sessions", "cost_usd", "input_tokens", "output_tokens", "cache_read_tokens",
         "cache_write_tokens", "turns", "duration_ms"}
assert set(s["usage"]) == ukeys, s["usage"]
# the fake agent reports no usage: no cost (null), sessions counted
assert s["usage"]["cost_usd"] is None and s["usage"]["sessions"] >= 2, s["usage"]
run = s["run"]
for k, t in [("id", str), ("state", str), ("project", str), ("root", str), ("started_at", str), ("pid", int),
             ("alive", bool), ("heartbeat_age_seconds", int)]:
    assert isinstance(run[k], t), (k, run)
assert "finished_at" in run and run["finished_at"] is None, run
assert run["state"] == "IN_PROGRESS" and run["alive"] is True, run
assert run["project"] == "cmds", run
assert isinstance(s["counts"], dict) and all(isinstance(v, int) for v in s["counts"].values())
assert sum(s["counts"].values()) == len(s["stories"]) == 3
keys = {"id", "key", "position", "state", "step", "attempt", "cycle", "session", "log", "escalation_reasons",
        "signals", "usage"}
by = {}
for x in s["stories"]:
    assert keys <= set(x), (keys - set(x), x)
    assert isinstance(x["attempt"], int) and isinstance(x["cycle"], int) and isinstance(x["position"], int)
    assert isinstance(x["escalation_reasons"], list)
    assert set(x["usage"]) == ukeys, x["usage"]
    assert "waiting_until" not in x, x  # only a WAITING story has one
    by[x["id"]] = x
assert by["1.1"]["state"] == "DONE", by["1.1"]
assert by["1.2"]["state"] == "SPAWN" and by["1.2"]["step"] == "dev", by["1.2"]
assert by["1.2"]["session"].startswith("au-cmds-") and by["1.2"]["session"].endswith("-1_2-dev-1"), by["1.2"]
assert by["1.2"]["log"].endswith("/1.2-dev-1.log"), by["1.2"]
assert by["1.3"]["state"] == "PENDING" and by["1.3"]["session"] is None, by["1.3"]
assert s["counts"] == {"DONE": 1, "SPAWN": 1, "PENDING": 1}, s["counts"]
e = s["escalation"]
assert e == {"required": False, "signals": []}, e
PY
[ -e "$P/.automator/active" ] || fail "no marker while the run is in progress"
python3 - "$P/.automator/active" "$runpid" <<'PY' || fail "marker fields"
import json, sys
m = json.load(open(sys.argv[1]))
for k in ["epic", "currentStory", "storiesRemaining", "stateFile", "startedAt", "heartbeat", "pid", "projectSlug"]:
    assert k in m, (k, m)
assert m["pid"] == int(sys.argv[2]), m
assert m["storiesRemaining"] == 2, m
assert m["startedAt"].endswith("Z") and m["heartbeat"].endswith("Z"), m
PY

# log: the story's session output
au "$P" log 1.1 --step dev
[ "$rc" = 0 ] || fail "log 1.1: exit $rc"
expect_grep "$TMP/au.out" "AUTOMATOR_RESULT" "log 1.1 shows the session output"
expect_grep "$TMP/au.out" "Working on: Implement story 1.1" "log 1.1 shows the prompt's first line"
au "$P" log 1.2
[ "$rc" = 0 ] || fail "log 1.2: exit $rc"
expect_grep "$TMP/au.out" "Working on: Implement story 1.2" "log of a running session"
au "$P" log 9.9
[ "$rc" = 1 ] || fail "log of an unknown story: exit $rc, want 1"
# --follow keeps printing while the session runs (it hangs: still following)
(cd "$P" && timeout 2 "$AUTOMATOR" log 1.2 --follow) >"$TMP/follow.out" 2>&1
rc=$?
[ "$rc" = 124 ] || fail "log --follow of a running session: exit $rc, want 124 (still following)"
expect_grep "$TMP/follow.out" "Working on: Implement story 1.2" "log --follow prints the output so far"

# attach needs a terminal; it names the live session instead
au "$P" attach 1.2 </dev/null
[ "$rc" = 64 ] || fail "attach without a terminal: exit $rc, want 64"
expect_grep "$TMP/au.out" "1_2-dev-1 on tmux socket" "attach names the session"
au "$P" attach 1.3 </dev/null
[ "$rc" = 1 ] || fail "attach to a story with no session: exit $rc, want 1"

# abort: the live run stops, its sessions die, the run is ABORTED
au "$P" abort
[ "$rc" = 0 ] || { fail "abort: exit $rc"; sed 's/^/  /' "$TMP/au.out" >&2; }
wait "$runpid" 2>/dev/null
tmux -L "$AUTOMATOR_TMUX_SOCKET" list-sessions 2>/dev/null | grep -q '^au-' && fail "a session survived abort"
[ "$(sql "$P" "SELECT state FROM runs")" = ABORTED ] || fail "run not ABORTED"
[ "$(sql "$P" "SELECT state FROM stories WHERE story_id = '1.2'")" = ABORTED ] || fail "1.2 not ABORTED"
[ "$(sql "$P" "SELECT state FROM stories WHERE story_id = '1.1'")" = DONE ] || fail "1.1 lost DONE"
[ "$(sql "$P" "SELECT count(*) FROM transitions WHERE event = 'ABORT'")" -ge 2 ] || fail "abort not journaled"
[ ! -e "$P/.automator/active" ] || fail "marker left after abort"
# the session ended (killed by abort): --follow prints to its end and stops
au "$P" log 1.2 --follow
[ "$rc" = 0 ] || fail "log --follow of an ended session: exit $rc, want 0"
expect_grep "$TMP/au.out" "Thinking" "the session's log up to its end"
ls "$P"/.automator/logs/*/1.2-dev-1.exit >/dev/null 2>&1 || fail "no exit record for the killed session"
au "$P" abort
[ "$rc" = 1 ] || fail "second abort: exit $rc, want 1"
au "$P" resume --no-input
[ "$rc" = 1 ] || fail "resume after abort: exit $rc, want 1"
expect_grep "$TMP/au.out" "nothing to resume" "resume after abort"

# a project directory with a long name (its tmux socket path must still fit
# sun_path): the run works with the default socket name
L=$TMP/a-project-directory-whose-name-goes-on-and-on-well-past-what-a-unix-socket-path-can-hold-in-sun-path
make_project "$L"
# no project: key, so the project is named after its directory
sed -i '/^project: /d' "$L/sprint.yaml"
git -C "$L" commit -qam "named after the directory"
(unset AUTOMATOR_TMUX_SOCKET; cd "$L" && timeout 120 "$AUTOMATOR" run sprint.yaml --no-input --stories 1.1) \
	>"$TMP/long.out" 2>&1
rc=$?
[ "$rc" = 0 ] || { fail "long project name: exit $rc, want 0"; sed 's/^/  /' "$TMP/long.out" >&2; }

finish
