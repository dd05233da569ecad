#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0830-log-render: agents you can watch in words. A sprint whose agents
# replay recorded Claude transcripts (output: claude-stream-json) through
# the real runner on a private tmux server:
# - `automator log` tells the events in words, without the runner's end
#   marker; `--raw` gives the log's bytes exactly;
# - a finished story whose last step (commit) is not a session: log finds
#   its last session's log; --step of a step without a session says so;
# - the format comes from the runner's spec, and is guessed from the log
#   when the spec does not say (a session of an older automator);
# - `log 9.9`: no such story, exit 1; `log --json`: the story's attempts;
# - the pane of a running claude-stream-json session shows words, while
#   its log holds the raw JSON.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 jq

P=$TMP/proj
FIX=$AUTOMATOR_DATA_DIR/tests/fixtures
make_project "$P"
# replay.sh FILE [hang]: the transcript as the agent's output (then silence)
cat >"$TMP/replay.sh" <<'EOF'
#!/bin/sh
cat "$1"
[ "${2:-}" = hang ] && exec sleep 300
exit 0
EOF
chmod +x "$TMP/replay.sh"
mkdir -p "$P/wf"
cat >"$P/wf/plain.yaml" <<'YAML'
name: plain
steps:
  - name: work
    kind: session
    prompt: "Implement story {story.id}: {story.title}"
    verifier: session_exit
  - name: commit
    kind: commit
    message: "{story.id}: {story.title}"
YAML
cat >"$P/render-sprint.yaml" <<YAML
project: render
root: .
workflow: wf/plain.yaml
agent: replay
max_parallel: 2
isolation: shared
limits: { crash_retries: 0, idle_timeout: 2m, step_timeout: 10m }
agents:
  replay:
    command: ["$TMP/replay.sh", "$FIX/agents/claude-success.log"]
    output: claude-stream-json
  watched:
    command: ["$TMP/replay.sh", "$FIX/render/claude-tools.log", hang]
    output: claude-stream-json
stories:
  - { id: "1.1", title: Replayed, agent: replay }
  - { id: "1.2", title: Watched, agent: watched }
YAML
git -C "$P" add -A && git -C "$P" commit -q -m "render sprint"

(cd "$P" && exec "$AUTOMATOR" run render-sprint.yaml --no-input) >"$TMP/run.out" 2>&1 &
runpid=$!
# (jq 1.6 -e succeeds on no input at all: the answers are compared instead)
story_state() {
	status_json "$P" 2>/dev/null | jq -r --arg id "$1" '.stories[] | select(.id == $id) | .state'
}
story_done() { [ "$(story_state "$1")" = DONE ]; }
wait_for 60 story_done 1.1 ||
	{ fail "1.1 never finished: $(story_state 1.1)"; sed 's/^/  run: /' "$TMP/run.out" >&2; }

# ---- a finished story: its last step was commit, not a session ----
au "$P" log 1.1
[ "$rc" = 0 ] || fail "log 1.1 (last step commit): exit $rc, want 0: $(cat "$TMP/au.out")"
cp "$TMP/au.out" "$TMP/rendered"
expect_grep "$TMP/rendered" "^started: model claude-opus-5-5, cwd " "log tells the init event"
expect_grep "$TMP/rendered" "^Mock reply\.$" "log shows the model's text as it is"
expect_grep "$TMP/rendered" '^AUTOMATOR_RESULT {"status":"done","summary":"mock"}$' "the result line"
expect_grep "$TMP/rendered" '^result: ok, 1 turn, 3\.1s, \$0\.0079$' "the result event in words"
expect_grep "$TMP/rendered" "^automator: the agent exited with status 0$" "the runner's exit line"
grep -q '"session_id"' "$TMP/rendered" && fail "log 1.1 shows raw JSON events"
grep -q 'automator-end' "$TMP/rendered" && fail "log 1.1 shows the end marker"
grep -q $'\e' "$TMP/rendered" && fail "log 1.1 has escape sequences (NO_COLOR, not a terminal)"
grep -q $'\r' "$TMP/rendered" && fail "log 1.1 has carriage returns"

# --json: the story's attempts, as the sessions table holds them
au "$P" log 1.1 --json
[ "$rc" = 0 ] || fail "log 1.1 --json: exit $rc"
jq -e 'type == "array" and length == 1 and (.[0] | keys) ==
	(["attempt","ended_at","exit_signal","exit_status","log_path","session","started_at","step"])' \
	"$TMP/au.out" >/dev/null || fail "log --json fields: $(cat "$TMP/au.out")"
jq -e '.[0] | .step == "work" and .attempt == 1 and .exit_status == 0 and .exit_signal == 0 and
	(.ended_at | type) == "string" and (.started_at | type) == "string" and
	(.session | test("1_1-work-1$")) and (.log_path | endswith("/1.1-work-1.log"))' \
	"$TMP/au.out" >/dev/null || fail "log --json values: $(cat "$TMP/au.out")"
log=$(jq -r '.[0].log_path' "$TMP/au.out")

# --jsonl: the same words, one JSON object a line (streams with --follow)
au "$P" log 1.1 --jsonl
[ "$rc" = 0 ] || fail "log 1.1 --jsonl: exit $rc"
[ "$(wc -l <"$TMP/au.out")" = "$(wc -l <"$TMP/rendered")" ] ||
	fail "log --jsonl: not one object per rendered line: $(cat "$TMP/au.out")"
jq -e -s --rawfile r "$TMP/rendered" 'all(.[]; .story == "1.1" and .step == "work" and .attempt == 1)
	and ([.[].line] | join("\n")) + "\n" == $r' "$TMP/au.out" >/dev/null ||
	fail "log --jsonl is not the rendered log: $(head -3 "$TMP/au.out")"
au "$P" log 1.1 --jsonl --raw
[ "$rc" = 64 ] || fail "log --jsonl --raw: exit $rc, want 64"

# --raw: the log's bytes, exactly (the marker too); the log holds the JSON
au "$P" log 1.1 --raw
[ "$rc" = 0 ] || fail "log --raw: exit $rc"
cmp -s "$TMP/au.out" "$log" || fail "log --raw differs from $log"
grep -q '^{"type":"system","subtype":"init"' "$log" || fail "the log does not hold the raw events"
grep -q $'\e]777;automator-end;' "$log" || fail "the log does not hold the end marker"

# a spec without "render" (an older session): the format is guessed
spec=${log%.log}.json
jq -e '.render == "claude-stream-json"' "$spec" >/dev/null || fail "the spec does not say the format"
jq 'del(.render)' "$spec" >"$TMP/spec" && cp "$TMP/spec" "$spec"
au "$P" log 1.1
cmp -s "$TMP/au.out" "$TMP/rendered" || fail "log without the spec's format renders otherwise"

# a step without a session, a story that does not exist
au "$P" log 1.1 --step commit
[ "$rc" = 1 ] || fail "log --step commit: exit $rc, want 1"
expect_grep "$TMP/au.out" "no session log for story 1.1 step commit" "log --step of a step without a session"
au "$P" log 9.9
[ "$rc" = 1 ] || fail "log 9.9: exit $rc, want 1"
expect_grep "$TMP/au.out" "no story 9.9 in this run" "log of a story that does not exist"
au "$P" log 9.9 --json
[ "$rc" = 1 ] || fail "log 9.9 --json: exit $rc, want 1"
au "$P" log 1.1 --json --raw
[ "$rc" = 64 ] || fail "log --json --raw: exit $rc, want 64"

# ---- a running claude-stream-json session: its pane shows words ----
has_session() { [ -n "$(cd "$P" && "$AUTOMATOR" log "$1" --json 2>/dev/null | jq -r '.[0].session // empty')" ]; }
wait_for 30 has_session 1.2 || fail "1.2 never started"
(cd "$P" && "$AUTOMATOR" log 1.2 --json) >"$TMP/12.json"
session=$(jq -r '.[0].session' "$TMP/12.json")
log2=$(jq -r '.[0].log_path' "$TMP/12.json")
T="tmux -L $AUTOMATOR_TMUX_SOCKET"
pane() { $T capture-pane -p -J -S - -t "=$session:" >"$TMP/pane"; }
wait_for 20 sh -c "$T capture-pane -p -J -S - -t '=$session:' | grep -q '^result: error (error_max_turns)'" ||
	fail "the pane never showed the end of the transcript"
pane
expect_grep "$TMP/pane" "^Read src/plants.sh$" "the pane tells a Read"
expect_grep "$TMP/pane" "^Edit src/plants.sh (+4 −1)$" "the pane tells an Edit with its lines"
expect_grep "$TMP/pane" "^Write src/schedule.sh (40 lines)$" "the pane tells a Write"
expect_grep "$TMP/pane" '^\$ npm test$' "the pane tells a command"
expect_grep "$TMP/pane" "^  exit 1: TypeError: Cannot read properties" "the pane tells its failure"
expect_grep "$TMP/pane" "^  \[>\] Compute the next watering date$" "the pane tells the to-do list"
grep -q '"session_id"' "$TMP/pane" && { fail "the pane shows raw JSON"; sed 's/^/  pane: /' "$TMP/pane" >&2; }
grep -q '"session_id"' "$log2" || fail "the log of the running session does not hold the raw JSON"
grep -q '^Edit src/plants.sh' "$log2" && fail "the log holds rendered words"
# the running session's log, in words, as it comes
(cd "$P" && timeout 2 "$AUTOMATOR" log 1.2 --follow) >"$TMP/follow" 2>&1
rc=$?
[ "$rc" = 124 ] || fail "log --follow of a running session: exit $rc, want 124 (still following)"
expect_grep "$TMP/follow" "^Edit src/plants.sh (+4 −1)$" "log --follow renders"

au "$P" abort
[ "$rc" = 0 ] || fail "abort: exit $rc"
wait "$runpid" 2>/dev/null
finish
