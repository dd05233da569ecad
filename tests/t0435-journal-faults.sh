#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154 # rc is set by au() in lib.sh
# t0435-journal-faults: a way out of every fault of the journal.
# - A damaged state.db (after a checkpoint, its header overwritten) while
#   an agent's session still runs: status, resume and state-summary exit 74
#   and say what to do; list-sessions still lists the live session; abort
#   stops it without the journal and removes the marker.
# - A full disk (the test hook AUTOMATOR_TEST_DB_MAX_PAGES lets the
#   database grow by 2 pages only): the run stops with exit 74 and says to
#   free space and `automator resume`; resume then completes the run.
# - The journal's WAL removed after a kill -9: resume says the journal
#   lost its last writes (the marker tells), exit 74; abort still stops
#   the session.
# - The run's tmux server killed under a running session, twice: the loss
#   is retried once, then session-lost names the socket; never a
#   dev-implementation-failure.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

# --- a damaged journal, a session running ---
P=$TMP/damaged
make_project "$P"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
cat >"$P/hang.yaml" <<'YAML'
project: faults
root: .
workflow: demo
agent: fake
stories:
  - id: "1.1"
    title: Hangs
    fake: { dev: hang }
YAML
git -C "$P" add hang.yaml && git -C "$P" commit -qm "hanging sprint"
(cd "$P" && exec "$AUTOMATOR" run hang.yaml --no-input) >"$TMP/run.out" 2>&1 &
pid=$!
wait_for 30 grep -q "^1.1 dev " "$AUTOMATOR_FAKE_LOG_DIR/calls.log" || fail "the dev session never started"
kill -INT "$pid"
wait "$pid"
[ "$?" = 3 ] || fail "SIGINT: want exit 3"
tmux -L "$AUTOMATOR_TMUX_SOCKET" list-sessions 2>/dev/null | grep -q '^au-' || fail "no session running"
[ -e "$P/.automator/active" ] && fail "the marker outlived the interrupted run"
db=$P/.automator/state.db
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
printf 'this is not a sqlite database header, it was overwritten......................' |
	dd of="$db" bs=1 conv=notrunc status=none

for cmd in status "resume --no-input"; do
	# shellcheck disable=SC2086 # the command and its option are two words
	au "$P" $cmd
	[ "$rc" = 74 ] || fail "$cmd on a damaged journal: exit $rc, want 74"
	expect_grep "$TMP/au.out" "journal $P/.automator/state.db cannot be read" "$cmd: says what is wrong"
	expect_grep "$TMP/au.out" "automator abort" "$cmd: says how to stop the sessions"
	expect_grep "$TMP/au.out" "state.db.damaged" "$cmd: says how to start over"
done
expect_exit 74 "state-summary on a damaged journal" -- env -C "$P" "$HELPER" state-summary
grep -qF '"reason":"journal_unreadable"' "$TMP/out" || fail "state-summary: $(cat "$TMP/out")"
expect_exit 74 "list-sessions on a damaged journal" -- env -C "$P" "$HELPER" list-sessions
python3 - "$TMP/out" <<'PY' || fail "list-sessions without the journal: $(cat "$TMP/out")"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["ok"] is False and o["reason"] == "journal_unreadable", o
names = [s["session"] for s in o["sessions"]]
assert len(names) == 1 and names[0].startswith("au-faults-") and "1_1-dev-1" in names[0], o
PY
au "$P" abort
[ "$rc" = 0 ] || { fail "abort without the journal: exit $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "stopped 1 session" "abort: says what it stopped"
tmux -L "$AUTOMATOR_TMUX_SOCKET" list-sessions 2>/dev/null | grep -q '^au-' && fail "a session survived abort"
[ -e "$P/.automator/active" ] && fail "abort left the marker"

# --- a full disk in the middle of a run ---
F=$TMP/full
make_project "$F"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake-full
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
(cd "$F" && AUTOMATOR_TEST_DB_MAX_PAGES=2 timeout 120 "$AUTOMATOR" run sprint.yaml --no-input) \
	>"$TMP/full.out" 2>&1
rc=$?
[ "$rc" = 74 ] || { fail "full disk: exit $rc, want 74"; sed 's/^/  /' "$TMP/full.out" >&2; }
expect_grep "$TMP/full.out" "database or disk is full" "full disk: the cause"
expect_grep "$TMP/full.out" "the disk is full: free some space, then continue with: automator resume" \
	"full disk: the way on"
au "$F" resume --no-input
[ "$rc" = 0 ] || { fail "resume after the disk filled: exit $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }
status_json "$F" >"$TMP/full.json"
python3 - "$TMP/full.json" <<'PY' || fail "after resume: $(cat "$TMP/full.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["run"]["state"] == "COMPLETE", s["run"]
assert all(x["state"] == "DONE" for x in s["stories"]), s["stories"]
PY

# --- the tmux server killed under a running session, twice ---
K=$TMP/killed-server
make_project "$K"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake-killed
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
sed -e 's/^project: faults$/project: lost/' -e 's/crash_retries: [0-9]*/crash_retries: 1/' \
	"$P/hang.yaml" >"$K/hang.yaml"
grep -q "limits" "$K/hang.yaml" || printf 'limits: { crash_retries: 1 }\n' >>"$K/hang.yaml"
git -C "$K" add hang.yaml && git -C "$K" commit -qm "hanging sprint"
(cd "$K" && exec "$AUTOMATOR" run hang.yaml --no-input --trace) >"$TMP/killed.out" 2>&1 &
pid=$!
for attempt in 1 2; do
	wait_for 30 grep -q "^1.1 dev $attempt " "$AUTOMATOR_FAKE_LOG_DIR/calls.log" ||
		fail "killed server: attempt $attempt never started"
	sleep 0.5
	tmux -L "$AUTOMATOR_TMUX_SOCKET" kill-server 2>/dev/null
done
wait "$pid"
rc=$?
[ "$rc" = 3 ] || { fail "killed server: exit $rc, want 3 (paused)"; sed 's/^/  /' "$TMP/killed.out" >&2; }
expect_grep "$TMP/killed.out" "LOST \[CRASH_RETRIES_LEFT\] / RETRY_STEP" "killed server: the first loss retried"
expect_grep "$TMP/killed.out" "DECISION NEEDED: Session lost" "killed server: session-lost raised"
expect_grep "$TMP/killed.out" "tmux -L $AUTOMATOR_TMUX_SOCKET: the server or the session was killed" \
	"killed server: the socket named"
grep -q "Dev implementation failure\|dev-implementation-failure" "$TMP/killed.out" &&
	fail "killed server: blamed on the implementation"

# --- the journal's WAL lost after a kill -9: the marker tells ---
W=$TMP/walless
make_project "$W"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/fake-wal
mkdir -p "$AUTOMATOR_FAKE_LOG_DIR"
cp "$P/hang.yaml" "$W/hang.yaml"
git -C "$W" add hang.yaml && git -C "$W" commit -qm "hanging sprint"
(cd "$W" && exec "$AUTOMATOR" run hang.yaml --no-input) >"$TMP/wal.out" 2>&1 &
pid=$!
wait_for 30 grep -q "^1.1 dev " "$AUTOMATOR_FAKE_LOG_DIR/calls.log" || fail "wal: the session never started"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
rm -f "$W/.automator/state.db-wal" "$W/.automator/state.db-shm"
au "$W" resume --no-input
[ "$rc" = 74 ] || { fail "resume without its WAL: exit $rc, want 74"; sed 's/^/  /' "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "the journal has no unfinished run: its last writes are lost" \
	"resume without its WAL: says so, not 'every run is finished'"
au "$W" abort
[ "$rc" = 0 ] || fail "abort after the WAL was lost: exit $rc, want 0"
tmux -L "$AUTOMATOR_TMUX_SOCKET" list-sessions 2>/dev/null | grep -q '^au-' &&
	fail "wal: a session survived abort"

finish
