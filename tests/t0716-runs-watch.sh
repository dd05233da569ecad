#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154 # rc is set by au() in lib.sh
# t0716-runs-watch: every run on the machine (issue 14). Three projects, each
# registered in the per-user registry ($XDG_STATE_HOME/automator/runs.db)
# when its run started:
# - stale: a run killed with kill -9, then left quiet past --stale-after;
# - dead: a run killed with kill -9 a moment ago;
# - live: a run at work.
# `watch --all --once --json` classifies each (running and alive /
# interrupted, never running / stale and quarantined) with its pid and
# signals; `runs` lists this project's runs only; `runs --all` lists the
# stale one apart; outside a project `runs` says to use --all (64).
# `watch --once --restart-dead` resumes the dead run (detached; it is
# running again), not the stale one; killed again, it is not restarted
# within its cooldown, and with --restart-budget 1 its budget is spent.
. "$(dirname "$0")/lib.sh"
need tmux git jq sqlite3

export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
# hanging NAME: a project whose one story's agent hangs
hanging() {
	make_project "$TMP/$1"
	cat >"$TMP/$1/hang.yaml" <<YAML
project: $1
root: .
workflow: demo
agent: fake
stories:
  - id: "1.1"
    title: Hangs in $1
    fake: { dev: hang }
YAML
	git -C "$TMP/$1" add hang.yaml && git -C "$TMP/$1" commit -qm "hanging sprint"
}
# start NAME: its run in the background ($pid), once its session works
start() {
	(cd "$TMP/$1" && exec "$AUTOMATOR" run hang.yaml --no-input) >"$TMP/$1.out" 2>&1 &
	pid=$!
	wait_for 30 sh -c "[ \"\$(sqlite3 '$TMP/$1/.automator/state.db' \
		'SELECT count(*) FROM sessions WHERE spawned_at IS NOT NULL' 2>/dev/null)\" = 1 ]" ||
		fail "$1: the session never started"
}
killed() { # NAME: its run killed with SIGKILL
	start "$1"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	eval "${1}_pid=$pid"
}
watch_json() { "$AUTOMATOR" watch --all --once --jsonl --stale-after 4s "$@" >"$TMP/w.json" 2>"$TMP/w.err"; }
class_of() { jq -r --arg p "$TMP/$1" '.[] | select(.project == $p) | .class' "$TMP/w.json"; }

for p in stale dead live; do hanging "$p"; done
killed stale
sleep 6
killed dead
start live
live_pid=$pid

watch_json || fail "watch --once --json: exit $?: $(cat "$TMP/w.err")"
[ "$(wc -l <"$TMP/w.json")" = 3 ] || fail "want one line per run: $(cat "$TMP/w.json")"
jq -e -s --arg p "$TMP/live" --argjson pid "$live_pid" '.[] | select(.project == $p) |
	.class == "running" and .alive == true and .pid == $pid and .quarantined == false and
	(.heartbeat_age_seconds | type) == "number" and (.at | test("^20[0-9-]+T"))' "$TMP/w.json" >/dev/null ||
	fail "the live run: $(jq -c --arg p "$TMP/live" 'select(.project == $p)' "$TMP/w.json")"
jq -e -s --arg p "$TMP/dead" --argjson pid "$dead_pid" '.[] | select(.project == $p) |
	.class == "interrupted" and .alive == false and .pid == $pid and .quarantined == false and
	.state == "IN_PROGRESS" and (.signals | map(.code) | index("stuck_in_progress") != null)' \
	"$TMP/w.json" >/dev/null ||
	fail "the dead run: $(jq -c --arg p "$TMP/dead" 'select(.project == $p)' "$TMP/w.json")"
jq -e -s --arg p "$TMP/stale" '.[] | select(.project == $p) |
	.class == "stale" and .alive == false and .quarantined == true and .age_seconds >= 4' \
	"$TMP/w.json" >/dev/null ||
	fail "the stale run: $(jq -c --arg p "$TMP/stale" 'select(.project == $p)' "$TMP/w.json")"

# --json: the same objects as one array (watch: one a look)
"$AUTOMATOR" watch --all --once --json --stale-after 4s >"$TMP/wa.json" 2>"$TMP/w.err" ||
	fail "watch --once --json: exit $?"
[ "$(wc -l <"$TMP/wa.json")" = 1 ] || fail "watch --once --json: want one line: $(cat "$TMP/wa.json")"
jq -e 'type == "array" and length == 3 and all(.[]; has("class") and has("at"))' "$TMP/wa.json" \
	>/dev/null || fail "watch --json is not one array of the runs: $(cat "$TMP/wa.json")"
"$AUTOMATOR" runs --all --json --stale-after 4s >"$TMP/ra.json" 2>"$TMP/w.err" || fail "runs --json: exit $?"
jq -e --arg p "$TMP/dead" 'type == "array" and length == 3 and
	([.[] | select(.project == $p)][0].class == "interrupted")' "$TMP/ra.json" >/dev/null ||
	fail "runs --all --json: $(cat "$TMP/ra.json")"
"$AUTOMATOR" runs --all --jsonl --stale-after 4s >"$TMP/rl.json" 2>"$TMP/w.err" || fail "runs --jsonl: exit $?"
[ "$(wc -l <"$TMP/rl.json")" = 3 ] || fail "runs --jsonl: want one line a run: $(cat "$TMP/rl.json")"

# runs: this project's only; --all: the stale run apart
(cd "$TMP/live" && "$AUTOMATOR" runs) >"$TMP/runs.txt" 2>&1 || fail "runs: exit $?"
expect_grep "$TMP/runs.txt" "^running .* $live_pid " "runs: the live run, running, its pid"
grep -q "$TMP/dead\|$TMP/stale" "$TMP/runs.txt" && fail "runs lists other projects' runs"
"$AUTOMATOR" runs --all --stale-after 4s >"$TMP/all.txt" 2>&1 || fail "runs --all: exit $?"
expect_grep "$TMP/all.txt" "^interrupted .* x$dead_pid " "runs --all: the dead run, its pid gone"
sed -n '/^stale or gone/,$p' "$TMP/all.txt" | grep -q "^stale .*$TMP/stale" ||
	fail "runs --all: the stale run is not listed apart: $(cat "$TMP/all.txt")"
sed -n '1,/^stale or gone/p' "$TMP/all.txt" | grep -q "$TMP/stale" &&
	fail "runs --all: the stale run is listed with the others"
(cd "$TMP" && "$AUTOMATOR" runs) >"$TMP/none.txt" 2>&1
rc=$?
[ "$rc" = 64 ] || fail "runs outside a project: exit $rc, want 64"
expect_grep "$TMP/none.txt" "--all" "runs outside a project names --all"

# --restart-dead: the dead run is resumed, the stale one is not
watch_json --restart-dead || fail "watch --restart-dead: exit $?: $(cat "$TMP/w.err")"
jq -e -s --arg p "$TMP/dead" '.[] | select(.event == "restart" and .project == $p and .attempt == 1)' \
	"$TMP/w.json" >/dev/null || fail "the dead run was not restarted: $(cat "$TMP/w.json")"
jq -e -s --arg p "$TMP/stale" '.[] | select(.event == "restart" and .project == $p)' "$TMP/w.json" >/dev/null &&
	fail "the stale run was restarted"
wait_for 30 sh -c "'$AUTOMATOR' watch --all --once --jsonl --stale-after 4s |
	jq -e -s --arg p '$TMP/dead' '.[] | select(.project == \$p) | .class == \"running\"' >/dev/null" ||
	fail "the restarted run is not running: $(cat "$TMP/dead/.automator/watch-resume.log")"
expect_grep "$TMP/dead/.automator/watch-resume.log" "resuming run" "the resume's output is kept"
# killed again: within its cooldown nothing happens; with a budget of 1 it is spent
again=$(sqlite3 "$TMP/dead/.automator/state.db" "SELECT pid FROM runs")
kill -KILL "$again"
wait_for 10 sh -c "! kill -0 $again 2>/dev/null" || fail "the resumed run did not die"
watch_json --restart-dead
jq -e -s '.[] | select(.event == "restart")' "$TMP/w.json" >/dev/null && fail "restarted within its cooldown"
"$AUTOMATOR" watch --all --once --stale-after 4s --restart-dead --restart-budget 1 >"$TMP/w.txt" 2>&1
expect_grep "$TMP/w.txt" "not restarted: its 1 restarts are spent" "the budget is kept in the registry"

for p in dead live stale; do (cd "$TMP/$p" && "$AUTOMATOR" abort >/dev/null 2>&1); done
wait "$live_pid" 2>/dev/null
finish
