#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0400-run-demo: the demo sprint runs to completion with the fake agent on
# a real tmux server, a real git repository and a real sqlite journal:
# every story DONE, sprint-status 'done' for each with its comments intact,
# exactly one commit per story holding only that story's files, and a
# journal that replays to the final states.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

P=$TMP/demo
make_project "$P"
cp "$P/_bmad-output/implementation-artifacts/sprint-status.yaml" "$TMP/status.before"

au "$P" run sprint.yaml --no-input
[ "$rc" = 0 ] || { fail "run exited $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }

# every story DONE, the run COMPLETE
status_json "$P" >"$TMP/status.json" || fail "status --json failed"
python3 - "$TMP/status.json" <<'PY' || fail "status after the demo run"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["run"]["state"] == "COMPLETE", s["run"]
ids = [x["id"] for x in s["stories"]]
assert ids == ["1.1", "1.2", "1.3", "1.4", "1.5"], ids
bad = [x for x in s["stories"] if x["state"] != "DONE"]
assert not bad, bad
assert s["escalation"]["required"] is False
PY

# sprint-status: each story done, every other byte (comments, layout) intact
st="$P/_bmad-output/implementation-artifacts/sprint-status.yaml"
for k in 1-1 1-2 1-3 1-4 1-5; do
	grep -Eq "^  $k[-a-z]*: *done( |$)" "$st" || fail "sprint-status: $k is not done"
done
python3 - "$TMP/status.before" "$st" <<'PY' || fail "sprint-status lost comments or layout"
import re, sys
a = open(sys.argv[1]).read().splitlines()
b = open(sys.argv[2]).read().splitlines()
assert len(a) == len(b), (len(a), len(b))
for x, y in zip(a, b):
    if x == y:
        continue
    # only a story's value may change; its key, spacing and comment stay
    mx = re.match(r"^(\s+1-\d[-a-z0-9]*:\s*)(\S+)(.*)$", x)
    my = re.match(r"^(\s+1-\d[-a-z0-9]*:\s*)(\S+)(.*)$", y)
    assert mx and my and mx.group(1) == my.group(1) and mx.group(3) == my.group(3), (x, y)
    assert my.group(2) == "done", y
PY

# exactly one commit per story, each holding only that story's files
[ "$(git -C "$P" rev-list --count HEAD)" = 6 ] || fail "want 6 commits (initial + 5), got $(git -C "$P" rev-list --count HEAD)"
python3 - "$P" <<'PY' || fail "story commits"
import subprocess, sys
p = sys.argv[1]
def git(*a):
    return subprocess.run(["git", "-C", p, *a], capture_output=True, text=True, check=True).stdout
want = {
    "1.1": {"src/plants.sh", "data/plants.txt"},
    "1.2": {"src/schedule.sh"},
    "1.3": {"src/remind.sh"},
    "1.4": {"src/log.sh", "data/watering-log.txt"},
    "1.5": {"src/report.sh", "docs/report.md", "src/watering.sh"},
}
status = "_bmad-output/implementation-artifacts/sprint-status.yaml"
seen = {}
for sha in git("rev-list", "HEAD").split()[:-1]:
    msg = git("log", "-1", "--format=%B", sha)
    story = msg.split(":", 1)[0]
    assert story in want, msg
    assert story not in seen, "two commits for " + story
    files = set(git("show", "--name-only", "--format=", sha).split())
    assert want[story] <= files, (story, files)
    assert files - want[story] <= {status}, (story, files - want[story])
    assert "Automator-Story: " in msg, msg
    seen[story] = sha
assert set(seen) == set(want), seen
PY
[ -z "$(git -C "$P" status --porcelain)" ] || fail "work tree not clean: $(git -C "$P" status --porcelain)"
grep -qx '.automator/' "$P/.git/info/exclude" || fail ".automator/ not in .git/info/exclude"

# the journal replays to the final states: each row starts where the
# previous one of the same machine ended, and ends where the row says
python3 - "$P/.automator/state.db" <<'PY' || fail "journal replay"
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
cur = {}
for story, frm, to in db.execute(
        "SELECT coalesce(story_id, '-run-'), from_state, to_state FROM transitions ORDER BY seq"):
    start = "INITIALIZING" if story == "-run-" else "PENDING"
    assert cur.get(story, start) == frm, (story, cur.get(story, start), frm)
    cur[story] = to
for sid, state in db.execute("SELECT story_id, state FROM stories"):
    assert cur[sid] == state == "DONE", (sid, cur.get(sid), state)
(run_state,) = db.execute("SELECT state FROM runs").fetchone()
assert cur["-run-"] == run_state == "COMPLETE", (cur["-run-"], run_state)
pending = db.execute("SELECT count(*) FROM transitions WHERE intent_status = 'pending'").fetchone()[0]
assert pending == 0, pending
PY

# logs: one per session attempt, private
n=$(find "$P/.automator/logs" -name '*.log' | wc -l)
[ "$n" = 11 ] || fail "want 11 session logs (5 dev, 6 review), got $n"
perm=$(stat -c %a "$(find "$P/.automator/logs" -name '*.log' | head -1)")
[ "$perm" = 600 ] || fail "session log mode $perm, want 600"
[ ! -e "$P/.automator/active" ] || fail "marker left behind after the run"

finish
