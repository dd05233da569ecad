#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0485-events: the run loop wakes on events, not on a tick (issue 12).
# - 20 sessions alive and silent for 10 s: the run spawns no process (no
#   child reaped: the kernel's cminflt of the run does not move), writes
#   nothing to sqlite (state.db and its WAL unchanged) and sleeps (a few
#   voluntary context switches, where a 100 ms tick makes 100).
# - a runner killed by SIGKILL is noticed through its pidfd: the story's
#   transition is journaled within a second of the kill (without the
#   pidfd nothing would look before the idle timeout).
# - a result is journaled within a second of the agent's end (the exit
#   record's mtime), and `automator answer` from another terminal wakes a
#   run asleep in poll(2) at once (the FIFO .automator/wake) instead of at
#   the next look for answers (every 30 s).
# - an integration runs beside the loop: while one story's fast-forward is
#   held, the other story goes through all its steps and is journaled; its
#   git runs 10 nicer than the run (the loop comes first for the CPU).
# - a session is judged from the end of its log (the runner's marker and
#   exit line), not from the runner's exit record: an exit record that
#   cannot be written (a directory in its place) changes nothing.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

# ms since the epoch of a journal time ("2026-12-03T15:01:58.123Z")
ms_of() {
	python3 -c 'import sys, datetime
t = sys.argv[1].replace("Z", "+00:00")
print(int(datetime.datetime.fromisoformat(t).timestamp() * 1000))' "$1"
}
now_ms() { date +%s%3N; }
# field N (1-based) of /proc/PID/stat, counted after the command name
stat_field() { sed 's/^.*) //' "/proc/$1/stat" | awk -v n="$2" '{ print $(n - 2) }'; }
ctxt() { awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$1/status"; }
# journaled STORY EVENT...: the time of the story's first transition on one of EVENTs
journaled() {
	local story=$1 list
	shift
	list=$(printf "'%s'," "$@")
	sql "$P" "SELECT at FROM transitions WHERE story_id = '$story' AND event IN (${list%,}) ORDER BY seq LIMIT 1" | grep .
}
files_state() { stat -c '%n %s %.9Y' "$1"/.automator/state.db* 2>/dev/null; }

# ---- 20 silent sessions ----
P=$TMP/idle
make_project "$P"
{
	printf 'project: idle\nroot: .\nworkflow: demo\nagent: fake\nmax_parallel: 20\n'
	printf 'limits: { idle_timeout: 5m, step_timeout: 10m, crash_retries: 0 }\nstories:\n'
	for i in $(seq 1 20); do
		printf '  - id: "1.%d"\n    title: Silent %d\n    fake: { dev: "hang" }\n' "$i" "$i"
	done
} >"$P/idle-sprint.yaml"
git -C "$P" add idle-sprint.yaml && git -C "$P" commit -q -m "idle sprint"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/idle-fake
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
(cd "$P" && exec "$AUTOMATOR" run idle-sprint.yaml --no-input) >"$TMP/idle.out" 2>&1 &
pid=$!
wait_for 60 sh -c "[ \$(wc -l <'$AUTOMATOR_FAKE_LOG_DIR/calls.log') -ge 20 ]" ||
	fail "the 20 sessions never started"
# every session has printed its one line, and its log offset (saved at
# most every 5 s while it moves) is written
sleep 6
c0=$(stat_field "$pid" 11)
v0=$(ctxt "$pid")
f0=$(files_state "$P")
sleep 10
c1=$(stat_field "$pid" 11)
v1=$(ctxt "$pid")
f1=$(files_state "$P")
kill -0 "$pid" 2>/dev/null || fail "the run ended while its sessions were silent"
[ "$c0" = "$c1" ] || fail "the run reaped children while its sessions were silent (cminflt $c0 -> $c1)"
[ "$f0" = "$f1" ] || fail "the run wrote to sqlite while nothing changed:
$f0
$f1"
[ $((v1 - v0)) -le 40 ] || fail "the run woke $((v1 - v0)) times in 10 s: a tick?"

# ---- a runner killed: noticed through its pidfd ----
for sess in $(tmux -L "$AUTOMATOR_TMUX_SOCKET" list-panes -a -F '#{session_name}' | grep -- '-1_[123]-dev-1$'); do
	rpid=$(tmux -L "$AUTOMATOR_TMUX_SOCKET" display-message -p -t "=$sess:" '#{pane_pid}')
	story=$(printf '%s' "$sess" | sed 's/.*-1_\([0-9]*\)-dev-1$/1.\1/')
	t0=$(now_ms)
	kill -KILL "$rpid"
	wait_for 10 journaled "$story" EXITED LOST ||
		{ fail "$story: the killed runner was never noticed"; continue; }
	at=$(journaled "$story" EXITED LOST)
	late=$(($(ms_of "$at") - t0))
	[ "$late" -lt 1000 ] || fail "$story: the killed runner was noticed after $late ms"
done
[ "$failures" = 0 ] || sed 's/^/  /' "$TMP/idle.out" >&2
kill -TERM "$pid"
wait "$pid"
au "$P" abort
[ "$rc" = 0 ] || fail "abort: exit $rc"

# ---- a result and an answer ----
P=$TMP/wake
make_project "$P"
cat >"$P/wake-sprint.yaml" <<'YAML'
project: wake
root: .
workflow: demo
agent: fake
max_parallel: 2
stories:
  - id: "1.1"
    title: Asks
    fake: { dev: "edit src/asked.sh ; ask" }
  - id: "1.2"
    title: Ends
    fake: { dev: "edit src/ends.sh", review: "hang" }
YAML
git -C "$P" add wake-sprint.yaml && git -C "$P" commit -q -m "wake sprint"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/wake-fake AUTOMATOR_FAKE_DELAY=0.05
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
(cd "$P" && exec "$AUTOMATOR" run wake-sprint.yaml --no-input) >"$TMP/wake.out" 2>&1 &
pid=$!
wait_for 30 grep -q "DECISION NEEDED: Agent needs input" "$TMP/wake.out" || fail "no agent-needs-input"
wait_for 30 journaled 1.2 RESULT || fail "1.2: no result journaled"
at=$(journaled 1.2 RESULT)
ended=$(stat -c '%.3Y' "$P"/.automator/logs/*/1.2-dev-1.log | tr -d .)
late=$(($(ms_of "$at") - ended))
[ "$late" -lt 1000 ] || fail "1.2: the result was journaled $late ms after the agent ended"
# the run sleeps: nothing else is due for seconds
sleep 1.5
id=$(sql "$P" "SELECT id FROM escalations WHERE trigger = 'agent-needs-input'")
t0=$(now_ms)
au "$P" answer "$id" 1 --reply yes
[ "$rc" = 0 ] || fail "answer: exit $rc"
wait_for 10 journaled 1.1 CHOSE_REPLY || fail "the answer was never acted on"
at=$(journaled 1.1 CHOSE_REPLY)
late=$(($(ms_of "$at") - t0))
[ "$late" -lt 1000 ] || fail "the answer was acted on after $late ms: the run was not woken"
kill -TERM "$pid"
wait "$pid"
au "$P" abort

# ---- an integration runs beside the loop ----
# 1.1's fast-forward of main is held by a reference-transaction hook until
# 1.2 (still at work when 1.1 ended) has gone through all its steps: a loop
# that integrated in its own process could journal none of them meanwhile,
# and the hook would give up after 60 s.
P=$TMP/integ
make_project "$P"
cat >"$P/integ-sprint.yaml" <<'YAML'
project: integ
root: .
workflow: demo
agent: fake
max_parallel: 2
stories:
  - id: "1.1"
    title: Quick
    fake: { dev: "edit src/quick.sh" }
  - id: "1.2"
    title: Slower
    fake: { dev: "edit src/slower.sh ; slow" }
YAML
git -C "$P" add integ-sprint.yaml && git -C "$P" commit -q -m "integ sprint"
cat >"$P/.git/hooks/reference-transaction" <<HOOK
#!/bin/sh
[ "\$1" = prepared ] || exit 0
grep -q ' refs/heads/main\$' || exit 0
sed 's/^.*) //' /proc/\$\$/stat | awk '{ print \$17 }' >>"$TMP/integ-nice"
[ -f "$TMP/hold" ] || exit 0
rm -f "$TMP/hold"
n=\$(sqlite3 "$P/.automator/state.db" "SELECT count(*) FROM transitions WHERE story_id = '1.2' AND event = 'STEPS_DONE'")
if [ "\$n" != 0 ]; then echo "1.2 done before 1.1 integrated" >"$TMP/held"; exit 0; fi
for i in \$(seq 600); do
	n=\$(sqlite3 "$P/.automator/state.db" "SELECT count(*) FROM transitions WHERE story_id = '1.2' AND event = 'STEPS_DONE'" 2>/dev/null)
	if [ "\$n" = 1 ]; then echo "1.2 done while 1.1 integrated" >"$TMP/held"; exit 0; fi
	sleep 0.1
done
echo "1.2 never done while 1.1 integrated" >"$TMP/held"
HOOK
chmod +x "$P/.git/hooks/reference-transaction"
: >"$TMP/hold"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/integ-fake AUTOMATOR_FAKE_DELAY=0.2
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
au "$P" run integ-sprint.yaml --no-input
[ "$rc" = 0 ] || { fail "integ: exit $rc"; tail -20 "$TMP/au.out" >&2; }
[ "$(cat "$TMP/held" 2>/dev/null)" = "1.2 done while 1.1 integrated" ] ||
	fail "the loop waited for 1.1's integration: $(cat "$TMP/held" 2>/dev/null || echo 'the hook never held it')"
seq_of() { sql "$P" "SELECT seq FROM transitions WHERE story_id = '$1' AND event = '$2'"; }
[ "$(seq_of 1.2 STEPS_DONE)" -lt "$(seq_of 1.1 INTEGRATED)" ] ||
	fail "1.2's steps were not journaled before 1.1's integration ended"
for id in 1.1 1.2; do
	git -C "$P" log --format=%s main | grep -q "^$id:" || fail "$id is not on main"
done
[ "$(git -C "$P" worktree list | wc -l)" = 1 ] || fail "integ: worktrees left"
own=$(stat_field $$ 19)
want=$((own + 10 > 19 ? 19 : own + 10))
[ -s "$TMP/integ-nice" ] || fail "integ: the hook never saw an integration"
grep -vqx "$want" "$TMP/integ-nice" &&
	fail "integ: git ran at niceness $(sort -u "$TMP/integ-nice" | tr '\n' ' ')where $want was due"

# ---- judged from the log's end, not from the exit record ----
P=$TMP/endline
make_project "$P"
mkdir -p "$P/wf"
cat >"$P/wf/one.yaml" <<'YAML'
name: one
steps:
  - name: work
    kind: session
    prompt: "Story {story.id}"
    verifier: session_exit
YAML
# the agent puts a directory where its runner's exit record goes
cat >"$P/endline-sprint.yaml" <<'YAML'
project: endline
isolation: shared
root: .
workflow: wf/one.yaml
agent: blocker
max_parallel: 1
agents:
  blocker:
    command: ["sh", "-c", "mkdir -p \"$AUTOMATOR_PROJECT_ROOT/.automator/logs/$AUTOMATOR_RUN/$AUTOMATOR_STORY-work-1.exit\" && echo 'AUTOMATOR_RESULT {\"status\":\"done\",\"summary\":\"ok\"}'"]
    output: text
stories:
  - id: "1.1"
    title: No exit record
YAML
git -C "$P" add -A && git -C "$P" commit -q -m "endline sprint"
(cd "$P" && exec "$AUTOMATOR" run endline-sprint.yaml --no-input) >"$TMP/endline.out" 2>&1 &
pid=$!
wait_for 30 sh -c "! kill -0 $pid 2>/dev/null" || { kill -TERM "$pid"; fail "endline: the run did not end in 30 s"; }
wait "$pid" && rc=0 || rc=$?
[ -d "$(echo "$P"/.automator/logs/*/1.1-work-1.exit)" ] || fail "endline: the agent did not block the exit record"
[ "$rc" = 0 ] || { fail "endline: exit $rc"; tail -20 "$TMP/endline.out" >&2; }
[ "$(sql "$P" "SELECT state FROM stories WHERE story_id = '1.1'")" = DONE ] ||
	fail "endline: 1.1 is not DONE: $(tail -5 "$TMP/endline.out")"
journaled 1.1 RESULT >/dev/null || fail "endline: no RESULT journaled"
au "$P" abort >/dev/null 2>&1 || true

finish
