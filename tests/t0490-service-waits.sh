#!/bin/bash
# SPDX-License-Identifier: MIT
# t0490-service-waits.sh: waits for an agent's service with a text agent of
# our own (no AI, no network): a usage limit is journaled, so a run killed
# (-9) while it waits is resumed waiting for the same reset, never
# respawning early; a limit holds the agent preset for every story, and
# stories of another preset go on; an agent that only prints retry lines is
# stopped after limits.retry_patience and judged by its error's class
# (network: agent-unavailable), not left to the step timeout; an agent
# program that does not exist (exit 127) asks a human at once.
. "$(dirname "$0")/lib.sh"
need tmux git python3 jq sqlite3

# agent.sh MODE: the agents of this test, outside the project.
#   limit    the first call of each story: a usage limit that resets in 4 s
#            (exit 1); later calls: a result
#   retry    "Reconnecting... waiting for network" every 0.2 s, forever
cat >"$TMP/agent.sh" <<'EOF'
#!/bin/sh
mode=$1 story=$2
state="$AGENT_STATE/$story"
case $mode in
limit)
	if [ -e "$state" ]; then
		echo "working on $story"
		echo 'AUTOMATOR_RESULT {"status":"done","summary":"ok"}'
		exit 0
	fi
	touch "$state"
	echo "You've hit your usage limit. Try again in 4 seconds."
	exit 1
	;;
retry)
	while :; do
		echo "Reconnecting... waiting for network"
		sleep 0.2
	done
	;;
plain)
	echo 'AUTOMATOR_RESULT {"status":"done","summary":"ok"}'
	;;
mute)
	echo "done, I think"
	;;
esac
EOF
chmod +x "$TMP/agent.sh"
export AGENT_STATE=$TMP/state
mkdir -p "$AGENT_STATE"

# sprint DIR LIMITS STORIES...: a one-step workflow and presets for agent.sh.
sprint() {
	local dir=$1 limits=$2
	shift 2
	cat >"$dir/one.yaml" <<EOF
name: one
steps:
  - name: dev
    kind: session
    prompt: "implement the story"
    result: [status]
    retries: 0
EOF
	cat >"$dir/s.yaml" <<EOF
project: waits
workflow: one.yaml
agent: limited
max_parallel: 3
limits: { crash_retries: 0, idle_timeout: 2m, step_timeout: 5m, $limits }
agents:
  limited:
    command: ["$TMP/agent.sh", limit, "{story.id}"]
    output: text
    usage_limit: ['(?i)hit your usage limit']
  retrying:
    command: ["$TMP/agent.sh", retry, "{story.id}"]
    output: text
    network: ['(?i)waiting for network']
    retrying: ['^Reconnecting\.\.\.']
  other:
    command: ["$TMP/agent.sh", plain, "{story.id}"]
    output: text
  missing:
    command: ["$TMP/no-such-agent"]
    output: text
  mute:
    command: ["$TMP/agent.sh", mute, "{story.id}"]
    output: text
stories:
EOF
	for s in "$@"; do
		echo "  - { id: \"${s%%:*}\", title: story ${s%%:*}, agent: ${s#*:} }" >>"$dir/s.yaml"
	done
	git -C "$dir" add -A && git -C "$dir" commit -qm sprint
}

# --- a wait survives kill -9: resume waits for the same reset ---
P=$TMP/resume
make_project "$P" >/dev/null
sprint "$P" "max_wait: 1h" "1.1:limited"
(cd "$P" && exec "$AUTOMATOR" run s.yaml --no-input) >"$TMP/run1.out" 2>&1 &
pid=$!
wait_for 20 sh -c "cd '$P' && '$AUTOMATOR' status --json | grep -q '\"state\":\"WAITING\"'" ||
	fail "never WAITING"
until1=$(status_json "$P" | jq -r '.stories[0].waiting_until')
(cd "$P" && "$AUTOMATOR" status) | grep -q "waiting until $until1 (usage-limit)" ||
	fail "plain status does not show the wait"
kill -9 "$pid"
wait "$pid" 2>/dev/null
[ "$(status_json "$P" | jq -r '.stories[0].state')" = WAITING ] || fail "not WAITING after kill -9"
(cd "$P" && exec "$AUTOMATOR" resume --no-input) >"$TMP/resume.out" 2>&1 &
pid=$!
sleep 0.5
until2=$(status_json "$P" | jq -r '.stories[0].waiting_until')
[ "$until1" = "$until2" ] || fail "resume changed the wait: $until1 -> $until2"
[ "$(find "$P/.automator/logs" -name '1.1-dev-*.log' | wc -l)" = 1 ] ||
	fail "resume respawned before the reset"
wait "$pid"
rc=$?
[ "$rc" = 0 ] || { fail "resume: exit $rc, want 0"; sed 's/^/  /' "$TMP/resume.out" >&2; }
# the second session started at or after the reset
started=$(sql "$P" "SELECT started_at FROM sessions WHERE story_id='1.1' ORDER BY id DESC LIMIT 1")
[[ ${started%%.*} > ${until1%Z} || ${started%%.*} == "${until1%Z}" ]] ||
	fail "respawned at $started, before the reset $until1"
[ "$(sql "$P" "SELECT count(*) FROM sessions")" = 2 ] || fail "not exactly 2 sessions"
[ "$(sql "$P" "SELECT retries_used FROM stories")" = 0 ] || fail "the wait spent a retry"

# --- killed after the wait is journaled, before the story's row has it ---
rm -f "$AGENT_STATE"/*
P=$TMP/crash
make_project "$P" >/dev/null
sprint "$P" "max_wait: 1h" "1.1:limited"
(cd "$P" && AUTOMATOR_CRASH_AT=before-wait-store exec "$AUTOMATOR" run s.yaml --no-input) \
	>"$TMP/crash.out" 2>&1
[ "$(status_json "$P" | jq -r '.stories[0].state')" = WAITING ] || fail "crash: not WAITING"
until1=$(sql "$P" "SELECT json_extract(intent, '$.until') FROM transitions WHERE action = 'WAIT'")
[ -n "$until1" ] || fail "crash: the wait was not journaled"
(cd "$P" && exec "$AUTOMATOR" resume --no-input) >"$TMP/resume.out" 2>&1 &
pid=$!
wait_for 10 sh -c "cd '$P' && '$AUTOMATOR' status --json | grep -q waiting_until" ||
	fail "crash: resume shows no wait"
until2=$(status_json "$P" | jq -r '.stories[0].waiting_until')
[ "$until1" = "$until2" ] || fail "crash: resume waits until $until2, journaled $until1"
[ "$(find "$P/.automator/logs" -name '1.1-dev-*.log' | wc -l)" = 1 ] ||
	fail "crash: resume respawned before the reset"
wait "$pid" || fail "crash: resume exit $?"
plain=$(cd "$P" && "$AUTOMATOR" status)
grep -q "DONE" <<<"$plain" || fail "crash: not done after the reset"

# --- a limit holds the preset; another preset goes on ---
rm -f "$AGENT_STATE"/*
P=$TMP/hold
make_project "$P" >/dev/null
sprint "$P" "max_wait: 1h" "2.1:limited" "2.2:limited" "2.3:other"
au "$P" run s.yaml --no-input
[ "$rc" = 0 ] || { fail "hold: exit $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }
# 2.1 and 2.2 start together: each meets the limit once (2 + 2 sessions);
# 2.3 (another preset) is done before the limit resets
[ "$(sql "$P" "SELECT count(*) FROM sessions WHERE story_id IN ('2.1','2.2')")" -le 4 ] ||
	fail "hold: the held preset was respawned early"
done23=$(sql "$P" "SELECT max(at) FROM transitions WHERE story_id='2.3' AND to_state='DONE'")
done21=$(sql "$P" "SELECT max(at) FROM transitions WHERE story_id='2.1' AND to_state='DONE'")
[[ $done23 < $done21 ]] || fail "hold: the other preset's story waited ($done23 vs $done21)"
n=$(grep -c '"trigger":"wait:usage-limit"' "$P/.automator/escalations.jsonl")
[ "$n" -le 2 ] || fail "hold: $n wait notifications"

# --- past max_wait: a usage-limit decision, not a silent wait ---
rm -f "$AGENT_STATE"/*
P=$TMP/maxwait
make_project "$P" >/dev/null
sprint "$P" "max_wait: 1s" "3.1:limited"
au "$P" run s.yaml --no-input
[ "$rc" = 3 ] || fail "max_wait: exit $rc, want 3"
(cd "$P" && "$AUTOMATOR" escalations list --jsonl) >"$TMP/esc"
grep -q '"usage-limit"' "$TMP/esc" || fail "max_wait: no usage-limit escalation"
grep -q 'Keep waiting' "$TMP/esc" || fail "max_wait: no keep-waiting option"
# keep waiting: after the reset a new session runs (never the old one again)
id=$(jq -r 'select(.trigger == "usage-limit") | .id' "$TMP/esc")
(cd "$P" && "$AUTOMATOR" answer "$id" 1) >/dev/null || fail "max_wait: answer failed"
au "$P" resume --no-input
[ "$rc" = 0 ] || { fail "keep waiting: exit $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }
[ "$(sql "$P" "SELECT count(*) FROM sessions")" = 2 ] ||
	fail "keep waiting: $(sql "$P" "SELECT count(*) FROM sessions") sessions, want 2"
grep -q "re-attached" "$TMP/au.out" && fail "keep waiting: the old session was re-attached"

# --- a limit past max_wait holds the agent: the next story waits for its reset ---
rm -f "$AGENT_STATE"/*
P=$TMP/longhold
make_project "$P" >/dev/null
sprint "$P" "max_wait: 1s" "7.1:limited" "7.2:limited"
sed -i 's/^max_parallel: 3/max_parallel: 1/' "$P/s.yaml"
git -C "$P" commit -qam "one at a time"
au "$P" run s.yaml --no-input
[ "$rc" = 3 ] || fail "long hold: exit $rc, want 3"
hold=$(sql "$P" "SELECT json_extract(intent, '\$.until') FROM transitions
	WHERE story_id = '7.1' AND action = 'ESCALATE_USAGE_LIMIT'")
first=$(sql "$P" "SELECT started_at FROM sessions WHERE story_id = '7.2' ORDER BY id LIMIT 1")
[ -n "$hold" ] || fail "long hold: the limit's reset was not journaled"
[ -n "$(sql "$P" "SELECT until FROM agent_holds WHERE agent = 'limited'")" ] ||
	fail "long hold: no hold recorded"
[[ ${first%%.*} > ${hold%Z} || ${first%%.*} == "${hold%Z}" ]] ||
	fail "long hold: 7.2 started at $first, before the hold's end $hold"

# --- a decision is open, another story waits: the run goes on until it is done ---
rm -f "$AGENT_STATE"/*
P=$TMP/waitanddecide
make_project "$P" >/dev/null
sprint "$P" "max_wait: 1h" "6.1:limited" "6.2:mute"
au "$P" run s.yaml --no-input
[ "$rc" = 3 ] || fail "wait and decide: exit $rc, want 3"
[ "$(status_json "$P" | jq -r '.stories[] | select(.id == "6.1") | .state')" = DONE ] ||
	fail "wait and decide: the run gave up on a waiting story"

# --- only retries: stopped after retry_patience, judged network ---
P=$TMP/retry
make_project "$P" >/dev/null
sprint "$P" "retry_patience: 2s" "4.1:retrying"
start=$(date +%s)
au "$P" run s.yaml --no-input
took=$(($(date +%s) - start))
[ "$rc" = 3 ] || fail "retry: exit $rc, want 3"
[ "$took" -lt 30 ] || fail "retry: took ${took}s: not stopped by retry_patience"
(cd "$P" && "$AUTOMATOR" escalations list --jsonl) >"$TMP/esc"
grep -q '"agent-unavailable"' "$TMP/esc" || fail "retry: no agent-unavailable: $(cat "$TMP/esc")"
grep -q 'waiting for network' "$TMP/esc" || fail "retry: the message does not say why"

# --- exit 127 at run time: agent-unavailable at once, no retry spent ---
P=$TMP/missing
make_project "$P" >/dev/null
sprint "$P" "max_wait: 1h" "5.1:missing"
# (preflight refuses a program that is missing; this wrapper exists, but
# the program it runs does not: sh exits 127)
printf '#!/bin/sh\nexec /nonexistent/agent-cli "$@"\n' >"$TMP/no-such-agent"
chmod +x "$TMP/no-such-agent"
au "$P" run s.yaml --no-input
[ "$rc" = 3 ] || fail "missing: exit $rc, want 3"
(cd "$P" && "$AUTOMATOR" escalations list --jsonl) >"$TMP/esc"
grep -q '"agent-unavailable"' "$TMP/esc" || fail "missing: no agent-unavailable: $(cat "$TMP/esc")"
[ "$(sql "$P" "SELECT count(*) FROM sessions")" = 1 ] || fail "missing: retried"

finish
