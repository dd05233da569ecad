#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154 # rc and failures are set by lib.sh
# t0465-run-display: what `automator run` prints.
# - On a terminal (a tmux pane of the test's own server, 80x24 and 200x50,
#   resized while it runs) the live block never wraps: its header and its
#   story lines fit in the width less one column, wide characters counted
#   twice; it is redrawn in place, so the scrollback never holds a copy of
#   it and the screen holds at most one line per story; its header counts
#   the stories done up to the end; it is gone after the run.
# - TERM=dumb: no live block, not one ESC byte (the pane's raw output);
#   --color=never: no colour on a terminal, no ESC in a file;
#   --color=always: colour in a file, still no cursor movement.
# - Not a terminal: story-level lines (done in, committed <short hash>,
#   N/5 done) with RFC 3339 timestamps with the date, no transition lines;
#   --trace adds them. The summary names each story's commit on main.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

export LANG=C.UTF-8
unset LC_ALL LC_CTYPE

P=$TMP/proj
make_project "$P"
# wide characters: a title, and a file the agent edits, whose name it
# shows ("✎ Edited src/毎日...") for a while: longer than 80 columns, cut
WIDE="src/毎日のリマインダー水が必要な植物を一覧にするとても長い名前のファイルです.sh"
python3 - "$P/sprint.yaml" "$WIDE" <<'PY'
import sys
p, wide = sys.argv[1], sys.argv[2]
s = open(p, encoding="utf-8").read()
s = s.replace("title: Daily reminder listing the thirsty plants",
              'title: "毎日のリマインダー：水が必要な植物を一覧にする、とても長い題名のストーリーです"')
s = s.replace('dev: "edit src/remind.sh ; slow"', 'dev: "edit src/remind.sh %s ; slow"' % wide)
open(p, "w", encoding="utf-8").write(s)
PY
git -C "$P" commit -qam "wide characters"
start=$(git -C "$P" rev-parse HEAD)

# the panes run on a server of their own, not the one automator starts
T="tmux -L display-test-$$ -f /dev/null"
trap '$T kill-server 2>/dev/null; tmux -L "$AUTOMATOR_TMUX_SOCKET" kill-server 2>/dev/null; rm -rf "$TMP"' EXIT

# back to before any story: committed stories are not run again
reset_project() {
	rm -rf "$P/.automator"
	git -C "$P" reset -q --hard "$start"
	git -C "$P" clean -qfd
	git -C "$P" worktree prune
	git -C "$P" for-each-ref --format='%(refname:short)' refs/heads/automator/ |
		xargs -r git -C "$P" branch -q -D
}

# pane_run NAME COLS ROWS TERM DELAY ARGS...: the demo sprint in a pane of
# its own, its raw output in $TMP/NAME.raw (pipe-pane, from the first byte)
pane_run() {
	local name=$1 cols=$2 rows=$3 term=$4 delay=$5
	shift 5
	reset_project
	$T new-session -d -s "$name" -x "$cols" -y "$rows" \
		"while [ ! -e '$TMP/go-$name' ]; do sleep 0.05; done; cd '$P' && \
		env -u NO_COLOR TERM=$term LANG=C.UTF-8 AUTOMATOR_FAKE_DELAY=$delay \
		AUTOMATOR_TMUX_SOCKET=$AUTOMATOR_TMUX_SOCKET AUTOMATOR_DATA_DIR=$AUTOMATOR_DATA_DIR \
		'$AUTOMATOR' run sprint.yaml $*; echo EXIT=\$?; sleep 120"
	$T pipe-pane -t "$name" -o "cat >'$TMP/$name.raw'"
	touch "$TMP/go-$name"
}

# check_capture NAME COLS SCREEN HISTORY: the live lines of a capture fit
# in COLS-1 columns (SCREEN: the visible screen, lines joined with -J, so a
# wrapped line shows whole); none is in HISTORY (the scrollback above the
# screen); the screen has at most one header and one line per story. The
# header's count of stories done is appended to $TMP/NAME.counts.
check_capture() {
	python3 - "$@" "$TMP/$1.counts" <<'PY' || fail "$1: the live block (see above)"
import re, sys, unicodedata
name, cols, screen, history, counts = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def width(s):
    w = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return w
header = re.compile(r"^\d+/5 done")
story = re.compile(r"^  (1\.[1-5]) ")
bad = []
lines = open(screen, encoding="utf-8").read().split("\n")
seen = {}
for l in lines:
    if header.match(l) or story.match(l):
        if width(l) > cols - 1:
            bad.append("%d columns (> %d): %r" % (width(l), cols - 1, l))
        key = "header" if header.match(l) else story.match(l).group(1)
        seen[key] = seen.get(key, 0) + 1
        if header.match(l):
            open(counts, "a").write(l.split("/")[0] + "\n")
for k, n in seen.items():
    if n > 1:
        bad.append("%s shown %d times on the screen" % (k, n))
for l in open(history, encoding="utf-8").read().split("\n"):
    if header.match(l) or story.match(l):
        bad.append("a live line left in the scrollback: %r" % l)
for b in bad:
    print("  " + name + ": " + b, file=sys.stderr)
if bad:
    print("  screen:\n" + "\n".join("    | " + l for l in lines), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}

# watch_run NAME COLS [RESIZE_COLS]: captures the pane while the run goes
# on (resized once when asked) and checks each capture, then the end
watch_run() {
	local name=$1 cols=$2 resize=${3:-} i n=0 fails_before=$failures
	for ((i = 0; i < 300; i++)); do
		$T capture-pane -p -J -t "$name" >"$TMP/$name.screen"
		# (with no history -E -1 would be the screen's first line)
		if [ "$($T display -p -t "$name" '#{history_size}')" -gt 0 ]; then
			$T capture-pane -p -J -S - -E -1 -t "$name" >"$TMP/$name.history"
		else
			: >"$TMP/$name.history"
		fi
		grep -q '^EXIT=' "$TMP/$name.screen" && break
		check_capture "$name" "$cols" "$TMP/$name.screen" "$TMP/$name.history"
		# one failing capture says enough
		[ "$failures" != "$fails_before" ] && break
		n=$((n + 1))
		if [ -n "$resize" ] && [ "$n" = 15 ]; then
			$T resize-window -t "$name" -x "$resize"
			cols=$resize
			sleep 0.3
		fi
		sleep 0.2
	done
	wait_for 60 sh -c "$T capture-pane -p -t '$name' | grep -q '^EXIT='" ||
		fail "$name: the run did not finish"
	$T capture-pane -p -J -S - -t "$name" >"$TMP/$name.all"
	grep -q '^EXIT=0' "$TMP/$name.all" || { fail "$name: the run failed"; cat "$TMP/$name.all" >&2; }
	grep -q '5 of 5 stories done' "$TMP/$name.all" || fail "$name: no summary"
	grep -Eq '^([0-9]+/5 done|  1\.[1-5] )' "$TMP/$name.all" &&
		{ fail "$name: live lines left after the run"; cat "$TMP/$name.all" >&2; }
	[ "$n" -ge 3 ] || fail "$name: only $n captures while it ran"
	# the header counts up, never down, and it was seen
	if [ -s "$TMP/$name.counts" ]; then
		sort -n -c "$TMP/$name.counts" 2>/dev/null ||
			fail "$name: the header's count went down: $(tr '\n' ' ' <"$TMP/$name.counts")"
	else
		fail "$name: no header seen"
	fi
	grep -q "done in .*: 5/5 done" "$TMP/$name.all" || fail "$name: no 5/5 done at the end"
}

# ---- 80x24: the wide title is cut, nothing wraps, nothing stale ----
pane_run narrow 80 24 xterm-256color 0.15
watch_run narrow 80
# the wide file name was shown cut (with its ellipsis) on a live line that fits
grep -aq 'Edited src/毎日[^…]*…' "$TMP/narrow.raw" || fail "narrow: the wide name was never shown cut"
grep -aq $'\033\\[3[0-9]m' "$TMP/narrow.raw" || fail "narrow: no colour on a terminal"
# the agents' results in words, never their raw result line
grep -aq 'AUTOMATOR_RESULT' "$TMP/narrow.raw" && fail "narrow: a raw AUTOMATOR_RESULT line on the terminal"
# nothing the run printed wrapped, log lines included (they are broken at
# spaces by the run itself, continuation lines indented): the whole
# scrollback, wrapped lines joined (-J), fits in 79 columns
python3 - "$TMP/narrow.all" <<'PY' || fail "narrow: a line wider than the terminal (see above)"
import sys, unicodedata
def width(s):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in s)
bad = [l for l in open(sys.argv[1], encoding="utf-8").read().split("\n") if width(l) > 79]
for l in bad:
    print("  %d columns: %r" % (width(l), l), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
grep -q "^ \{17\}[^ ]" "$TMP/narrow.all" || fail "narrow: no log line was long enough to be continued"
# redraws rewrite only the lines that changed: after some cursor-up to the
# block's top (not followed by a clear), fewer lines are erased and written
# than the block has
python3 - "$TMP/narrow.raw" <<'PY' || fail "narrow: every redraw rewrote the whole block"
import re, sys
raw = open(sys.argv[1], "rb").read()
ups = [(m.start(), int(m.group(1))) for m in re.finditer(rb"\r\x1b\[(\d+)A", raw)]
partial = 0
for i, (pos, n) in enumerate(ups):
    seg = raw[pos:ups[i + 1][0] if i + 1 < len(ups) else len(raw)]
    if re.match(rb"\r\x1b\[\d+A\x1b\[J", seg):
        continue  # cleared: a log line goes above, or the block's shape changed
    if seg[:seg.find(b"\x1b[J") if b"\x1b[J" in seg else len(seg)].count(b"\x1b[2K") < n:
        partial += 1
print("  %d of %d redraws rewrote only some lines" % (partial, len(ups)), file=sys.stderr)
sys.exit(0 if partial else 1)
PY

# ---- 200x50, narrowed to 70 columns while it runs (SIGWINCH) ----
pane_run wide 200 50 xterm-256color 0.1
watch_run wide 200 70

# ---- TERM=dumb: no live block, not one ESC byte ----
pane_run dumb 80 24 dumb 0.02
wait_for 60 sh -c "$T capture-pane -p -t dumb | grep -q '^EXIT='" || fail "dumb: the run did not finish"
$T capture-pane -p -t dumb | grep -q '^EXIT=0' || fail "dumb: the run failed"
sleep 0.3
[ -s "$TMP/dumb.raw" ] || fail "dumb: nothing captured"
grep -ac $'\033' "$TMP/dumb.raw" | grep -qx 0 || {
	fail "dumb: ESC in the output"
	grep -a $'\033' "$TMP/dumb.raw" | head -3 | cat -v >&2
}
grep -aEq '^[0-9]+/5 done' "$TMP/dumb.raw" && fail "dumb: a live block"
grep -aq 'done in .*: 5/5 done' "$TMP/dumb.raw" || fail "dumb: no story lines"

# ---- --color=never on a terminal: the block moves, nothing is coloured ----
pane_run never 100 30 xterm-256color 0.02 --color=never
wait_for 60 sh -c "$T capture-pane -p -t never | grep -q '^EXIT='" || fail "never: the run did not finish"
$T capture-pane -p -t never | grep -q '^EXIT=0' || fail "never: the run failed"
grep -aq $'\033\\[[0-9]*A' "$TMP/never.raw" || fail "never: no live block on a terminal"
sleep 0.3
grep -aEq $'\033\\[[0-9;]*m' "$TMP/never.raw" && fail "never: colour despite --color=never"

# ---- not a terminal: story lines, RFC 3339 times, no transitions ----
reset_project
(cd "$P" && env -u NO_COLOR timeout 60 "$AUTOMATOR" run sprint.yaml) >"$TMP/plain.out" 2>&1
rc=$?
[ "$rc" = 0 ] || { fail "plain: exit $rc"; cat "$TMP/plain.out" >&2; }
grep -q -- '-->' "$TMP/plain.out" && fail "plain: transition lines without --trace"
expect_grep "$TMP/plain.out" "^[^ ]* 1\.1 *dev done in [0-9.]*[0-9]s$" "plain: a step done in"
expect_grep "$TMP/plain.out" "^[^ ]* 1\.2 *review asks for changes: cycle 2 of 3$" "plain: a review asking for changes"
expect_grep "$TMP/plain.out" "^[^ ]* 1\.1 *committed [0-9a-f]\{7\} (2 files)$" "plain: committed, short hash"
expect_grep "$TMP/plain.out" "^[^ ]* 1\.1 *integrated into main as [0-9a-f]\{7\}$" "plain: integrated"
expect_grep "$TMP/plain.out" "^[^ ]* 1\.1 *started: Plant registry" "plain: started"
expect_grep "$TMP/plain.out" "done in .*: 5/5 done$" "plain: the count done"
grep -ac $'\033' "$TMP/plain.out" | grep -qx 0 || fail "plain: ESC in a file (colour is for terminals)"
# every line above the summary is timestamped with the date (RFC 3339, UTC)
sed '/^$/,$d' "$TMP/plain.out" | grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z ' &&
	fail "plain: a line without an RFC 3339 timestamp"
# the summary: each story's time and its commit, the one on main
run=$(sed -n 's/^[0-9]* of [0-9]* stories done (run \(.*\))$/\1/p' "$TMP/plain.out")
for id in 1.1 1.2 1.3 1.4 1.5; do
	row=$(grep -E "^${id//./\\.} +DONE " "$TMP/plain.out")
	c=$(git -C "$P" log --format=%h --abbrev=7 --grep "Automator-Story: $run/$id" main)
	if [ -z "$c" ] || ! echo "$row" | grep -Eq " [0-9.]+s +${c:0:7} "; then
		fail "plain: summary row of $id: '$row' (its commit on main: '$c')"
	fi
done

# ---- --trace: the transitions too (--color=never: still no ESC) ----
reset_project
au "$P" run sprint.yaml --trace --color=never
[ "$rc" = 0 ] || fail "trace: exit $rc"
grep -ac $'\033' "$TMP/au.out" | grep -qx 0 || fail "trace: ESC with --color=never"
expect_grep "$TMP/au.out" "1\.1 *SPAWN --RESULT / VERIFY_STEP--> SPAWN" "trace: a transition line"
expect_grep "$TMP/au.out" "1\.1 *dev done in" "trace: the story lines too"

# ---- --color=always into a file: colour, no cursor movement ----
reset_project
au "$P" run sprint.yaml --color=always
[ "$rc" = 0 ] || fail "always: exit $rc"
grep -aq $'\033\\[32m' "$TMP/au.out" || fail "always: no colour"
grep -aEq $'\033\\[[0-9]*[AJK]' "$TMP/au.out" && fail "always: cursor movement in a file"

# ---- usage ----
expect_exit 64 "run --color=sometimes" -- "$AUTOMATOR" run sprint.yaml --color=sometimes
expect_grep "$TMP/err" "color takes auto, always or never" "bad --color says why"
(cd "$P" && "$AUTOMATOR" resume --color=rainbow) >/dev/null 2>&1
[ "$?" = 64 ] || fail "resume --color=rainbow: want 64"

finish
