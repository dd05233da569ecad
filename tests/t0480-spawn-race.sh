#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0480-spawn-race: 200 agent sessions that each end at once, one at a time
# (max_parallel 1), all start: killing a finished session that is the
# server's last must not make the next new-session race the server's exit
# ("server exited unexpectedly"). No spawn failure, no escalation, every
# story DONE. The server is kept up for the run and is gone once the run
# ends with no session left, even one left empty with exit-empty off by an
# earlier run.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

STORIES=100 # two session steps each: 200 sessions
P=$TMP/proj
mkdir -p "$P/wf"
git -C "$P" init -q -b main
git -C "$P" config user.name "Automator Test"
git -C "$P" config user.email "test@example.invalid"
git -C "$P" config commit.gpgsign false
cat >"$P/wf/fast.yaml" <<'YAML'
name: fast
description: two agent sessions that end as soon as they start
steps:
  - name: one
    kind: session
    prompt: "first step of {story.id}"
    verifier: session_exit
    retries: 0
  - name: two
    kind: session
    prompt: "second step of {story.id}"
    verifier: session_exit
    retries: 0
YAML
{
	echo 'project: race'
	echo 'root: .'
	echo 'workflow: wf/fast.yaml'
	echo 'agent: instant'
	echo 'max_parallel: 1'
	echo 'agents:'
	echo '  instant:'
	echo '    description: exits 0 at once'
	echo '    command: [/bin/true]'
	echo '    output: text'
	echo 'stories:'
	for i in $(seq 1 "$STORIES"); do echo "  - id: \"1.$i\""; done
} >"$P/sprint.yaml"
git -C "$P" add -A && git -C "$P" commit -q -m "race sprint"

tm() { tmux -L "$AUTOMATOR_TMUX_SOCKET" -f /dev/null "$@"; }

start=$(date +%s)
au "$P" run sprint.yaml --no-input
took=$(($(date +%s) - start))
echo "run of $((STORIES * 2)) sessions took ${took}s"
[ "$rc" = 0 ] || { fail "run exited $rc, want 0"; tail -n 20 "$TMP/au.out" | sed 's/^/  /' >&2; }

logs=$(find "$P/.automator/logs" -name '*.log' | wc -l)
[ "$logs" = $((STORIES * 2)) ] || fail "want $((STORIES * 2)) session logs, got $logs"
[ "$(sql "$P" "SELECT count(*) FROM sessions")" = $((STORIES * 2)) ] ||
	fail "want $((STORIES * 2)) sessions, got $(sql "$P" "SELECT count(*) FROM sessions")"
spawn_failed=$(sql "$P" "SELECT count(*) FROM transitions WHERE event = 'SPAWN_FAILED'")
[ "$spawn_failed" = 0 ] || {
	fail "$spawn_failed spawn failure(s)"
	grep -i "spawn\|tmux" "$TMP/au.out" | head -n 5 | sed 's/^/  /' >&2
}
(cd "$P" && "$AUTOMATOR" escalations list --jsonl) >"$TMP/esc.json" || fail "escalations list failed"
[ ! -s "$TMP/esc.json" ] || { fail "escalations raised"; sed 's/^/  /' "$TMP/esc.json" >&2; }

status_json "$P" >"$TMP/status.json" || fail "status --json failed"
python3 - "$TMP/status.json" "$STORIES" <<'PY' || fail "status after the run"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["run"]["state"] == "COMPLETE", s["run"]
assert len(s["stories"]) == int(sys.argv[2]), len(s["stories"])
bad = [x for x in s["stories"] if x["state"] != "DONE" or x["attempt"] != 1]
assert not bad, bad[:3]
assert s["escalation"]["required"] is False
PY

# the run ended with no session: its server is gone
if tm list-sessions >"$TMP/ls.out" 2>&1; then
	fail "the tmux server outlived the run"
	sed 's/^/  /' "$TMP/ls.out" >&2
fi

# a server left empty with exit-empty off (by a run that was killed) serves
# the next run and is gone after it
tm new-session -d -s leftover -- sleep 60 \; set-option -s exit-empty off
tm kill-session -t leftover
tm list-sessions >/dev/null 2>&1 || fail "setup: the empty server did not stay up"
sed -n '1,/^stories:/p' "$P/sprint.yaml" >"$P/one.yaml"
printf '  - id: "2.1"\n' >>"$P/one.yaml"
git -C "$P" add one.yaml && git -C "$P" commit -q -m "one story"
au "$P" run one.yaml --no-input
[ "$rc" = 0 ] || { fail "second run exited $rc, want 0"; tail -n 20 "$TMP/au.out" | sed 's/^/  /' >&2; }
if tm list-sessions >"$TMP/ls.out" 2>&1; then
	fail "the leftover tmux server outlived the second run"
	sed 's/^/  /' "$TMP/ls.out" >&2
fi

# the retry itself, through a tmux that fails as a dying server makes it
# fail: "before" fails without reaching a server, "after" makes the session
# and then loses the server; any other try is the real tmux
mkdir -p "$TMP/flaky"
cat >"$TMP/flaky/tmux" <<'SH'
#!/bin/sh
case " $* " in *" new-session "*)
	n=$(($(cat "$FLAKY/count" 2>/dev/null || echo 0) + 1))
	echo "$n" >"$FLAKY/count"
	case $(sed -n "${n}p" "$FLAKY/plan") in
	before) echo "server exited unexpectedly" >&2; exit 1 ;;
	after) "$REAL_TMUX" "$@" >/dev/null; echo "lost server" >&2; exit 1 ;;
	esac ;;
esac
exec "$REAL_TMUX" "$@"
SH
chmod +x "$TMP/flaky/tmux"
flaky_run() { # SPRINT PLAN...
	local sprint=$1
	shift
	printf '%s\n' "$@" >"$TMP/flaky/plan"
	rm -f "$TMP/flaky/count"
	(cd "$P" && FLAKY=$TMP/flaky REAL_TMUX=$(command -v tmux) PATH="$TMP/flaky:$PATH" \
		timeout 60 "$AUTOMATOR" run "$sprint" --no-input) >"$TMP/au.out" 2>&1
	rc=$?
}
sed -n '1,/^stories:/p' "$P/sprint.yaml" >"$P/flaky.yaml"
printf '  - id: "3.1"\n' >>"$P/flaky.yaml"
git -C "$P" add flaky.yaml && git -C "$P" commit -q -m "flaky"
flaky_run flaky.yaml before before ok after
[ "$rc" = 0 ] || { fail "flaky run exited $rc, want 0"; tail -n 20 "$TMP/au.out" | sed 's/^/  /' >&2; }
# step one: 2 failed tries + 1; step two: 1 try that made its session
[ "$(cat "$TMP/flaky/count")" = 4 ] || fail "want 4 new-session tries, got $(cat "$TMP/flaky/count")"
run=$(sql "$P" "SELECT id FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1")
[ "$(sql "$P" "SELECT count(*) FROM sessions WHERE run_id = '$run'")" = 2 ] || fail "flaky: want 2 sessions"
[ "$(sql "$P" "SELECT count(*) FROM transitions WHERE run_id = '$run' AND event = 'SPAWN_FAILED'")" = 0 ] ||
	fail "flaky: a retried spawn surfaced as a failure"

# a server that never comes back: the spawn fails after 5 tries
sed 's/"3.1"/"4.1"/' "$P/flaky.yaml" >"$P/gone.yaml"
git -C "$P" add gone.yaml && git -C "$P" commit -q -m "gone"
flaky_run gone.yaml before before before before before before
[ "$rc" = 3 ] || { fail "gone run exited $rc, want 3"; tail -n 20 "$TMP/au.out" | sed 's/^/  /' >&2; }
[ "$(cat "$TMP/flaky/count")" = 5 ] || fail "want 5 new-session tries, got $(cat "$TMP/flaky/count")"
expect_grep "$TMP/au.out" "tmux new-session failed: exit 1: server exited unexpectedly" "the last try's error"

finish
