#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154 # rc is set by au() in lib.sh
# t0750-bmad-queue: what `automator run` queues from a BMAD sprint-status
# (tests/fixtures/bmad-queue): only stories with work left, in file order;
# `--dry-run` lists every key it skipped and why (done, a dormant status,
# epic, retrospective); `--include-status` queues dormant or done stories
# on purpose. A native sprint.yaml with `status_file:` gives its stories
# their full key and, without a title:, the key's slug as title, in the
# rendered prompt; an unreadable status_file is a warning, not an error.
. "$(dirname "$0")/lib.sh"
need tmux git python3 jq

P=$TMP/ledger
make_project "$P" "$AUTOMATOR_DATA_DIR/tests/fixtures/bmad-queue"
art=_bmad-output/implementation-artifacts

# queued: the ids in the plan's story lines
queued() {
	python3 - "$TMP/au.out" <<'PY'
import re, sys
plan = open(sys.argv[1]).read().split("\nskipped:\n")[0]
print(",".join(m.group(1) for m in re.finditer(r"^  (\S+)\s+fake\s", plan, re.M)))
PY
}
# skipped KEY REASON: the skipped section has a line for KEY with REASON
skipped() {
	python3 - "$TMP/au.out" "$1" "$2" <<'PY'
import sys
out, key, why = sys.argv[1:]
parts = open(out).read().split("\nskipped:\n")
assert len(parts) == 2, "no skipped: section"
lines = [l.split(None, 1) for l in parts[1].splitlines() if l.startswith("  ")]
got = {k: r.strip() for k, r in lines}
assert got.get(key) == why, (key, got.get(key), why)
PY
}

# the plan: stories with work left, in file order
au "$P" run "$art/sprint-status.yaml" --agent fake --dry-run
[ "$rc" = 0 ] || { fail "dry run exited $rc"; sed 's/^/  /' "$TMP/au.out" >&2; }
[ "$(queued)" = "1.2,1.5,1.7,2.1" ] || fail "queued $(queued), want 1.2,1.5,1.7,2.1"
skipped 1-1-open-an-account "done" || fail "1-1 not skipped as done"
skipped 2-3-report-email "done" || fail "2-3 (DONE) not skipped as done"
skipped 1-3-close-an-account "cancelled (dormant status; --include-status cancelled to queue it)" ||
	fail "1-3 not skipped as cancelled"
skipped 1-4-export-to-csv "On-Hold (dormant status; --include-status On-Hold to queue it)" ||
	fail "1-4 not skipped as on-hold"
skipped 1-6-merge-accounts "moved-to-epic-4 (dormant status; --include-status moved-to-epic-4 to queue it)" ||
	fail "1-6 not skipped as moved-to-epic-4"
skipped 2-2-yearly-report "deferred (dormant status; --include-status deferred to queue it)" ||
	fail "2-2 (' deferred ') not skipped as deferred"
skipped epic-1 epic || fail "epic-1 not skipped as an epic"
skipped epic-2-retrospective retrospective || fail "epic-2-retrospective not skipped"
n=$(sed -n '/^skipped:$/,$p' "$TMP/au.out" | grep -c '^  ')
[ "$n" = 10 ] || fail "$n skipped lines, want 10"

# --include-status: the on-hold story (any case), and done ones on purpose
au "$P" run "$art/sprint-status.yaml" --agent fake --dry-run --include-status on-hold
[ "$rc" = 0 ] || fail "dry run --include-status on-hold exited $rc"
[ "$(queued)" = "1.2,1.4,1.5,1.7,2.1" ] || fail "--include-status on-hold queued $(queued)"
! grep -q '^  1-4-export-to-csv' "$TMP/au.out" || fail "1-4 still listed as skipped"
au "$P" run "$art/sprint-status.yaml" --agent fake --dry-run --include-status "done, moved-to-*"
[ "$(queued)" = "1.1,1.2,1.5,1.6,1.7,2.1,2.3" ] || fail "--include-status done,moved-to-* queued $(queued)"
au "$P" run "$art/sprint-status.yaml" --dry-run --include-status ","
[ "$rc" = 64 ] || fail "--include-status with no status exited $rc, want 64"

# named epics (epic-auth, supp-epic-2), every *-retrospective: never
# queued. Needs the tolerant sprint-status reader (bmad.c, t0740) as well.
au "$P" run named/$art/sprint-status.yaml --agent fake --dry-run
[ "$rc" = 0 ] || { fail "named dry run exited $rc"; sed 's/^/  /' "$TMP/au.out" >&2; }
[ "$(queued)" = "auth-1-login,2.1.a,1.6" ] || fail "named: queued $(queued)"
skipped epic-auth epic || fail "epic-auth not skipped as an epic"
skipped supp-epic-2 epic || fail "supp-epic-2 not skipped as an epic"
skipped epic-auth-retrospective retrospective || fail "epic-auth-retrospective not skipped"
skipped supp-epic-2-retrospective retrospective || fail "supp-epic-2-retrospective not skipped"
skipped 2-1-1-sub-task "on-hold (dormant status; --include-status on-hold to queue it)" ||
	fail "the on-hold sub-story not skipped"

# a native sprint: nothing skipped, no section; titles from the keys' slugs
au "$P" run sprint.yaml --dry-run
[ "$rc" = 0 ] || { fail "native dry run exited $rc"; sed 's/^/  /' "$TMP/au.out" >&2; }
! grep -q '^skipped:' "$TMP/au.out" || fail "a native sprint's plan has a skipped: section"
grep -q '^  1\.2  *fake  *lend-a-book$' "$TMP/au.out" || fail "1.2's title is not its key's slug"
grep -q '^  1\.5  *fake  *Archive old accounts$' "$TMP/au.out" || fail "1.5's own title not kept"

# an unreadable status_file: a warning, today's key and title (before the
# run below, whose commits would make the stories done already)
sed 's#^status_file: .*#status_file: missing/sprint-status.yaml#' "$P/sprint.yaml" >"$P/sprint-missing.yaml"
au "$P" run sprint-missing.yaml --dry-run
[ "$rc" = 0 ] || { fail "dry run with a missing status_file exited $rc"; sed 's/^/  /' "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "sprint-missing.yaml: warning: status_file 'missing/sprint-status.yaml' not used" \
	"missing status_file warned"
grep -q '^  1\.2  *fake  *1\.2$' "$TMP/au.out" || fail "1.2's title with a missing status_file"

# the rendered prompt: key, prefix and title from the sprint-status
export AUTOMATOR_FAKE_LOG_DIR=$TMP/calls
au "$P" run sprint.yaml --no-input
[ "$rc" = 0 ] || { fail "native run exited $rc"; sed 's/^/  /' "$TMP/au.out" >&2; }
pr=$AUTOMATOR_FAKE_LOG_DIR/1.2-dev-1.prompt
grep -qx 'dev-story 1-2-lend-a-book' "$pr" || fail "prompt: $(head -1 "$pr")"
grep -qx 'Implement story 1.2 (key 1-2-lend-a-book, prefix 1-2): lend-a-book' "$pr" ||
	fail "prompt: $(sed -n 2p "$pr")"
pr=$AUTOMATOR_FAKE_LOG_DIR/1.5-dev-1.prompt
grep -qx 'Implement story 1.5 (key 1-5-archive-an-account, prefix 1-5): Archive old accounts' "$pr" ||
	fail "prompt: $(sed -n 2p "$pr")"

# status --json: the sprint-status's warnings (none; then a duplicate key)
status_json "$P" >"$TMP/st.json" || fail "status --json failed"
[ "$(jq -c .warnings "$TMP/st.json")" = "[]" ] || fail "warnings: $(jq -c .warnings "$TMP/st.json")"
printf '  epic-2-retrospective: optional\n' >>"$P/$art/sprint-status.yaml"
status_json "$P" >"$TMP/st.json" || fail "status --json failed"
jq -e '.warnings | length == 1 and (.[0] | test("sprint-status.yaml:[0-9]+:[0-9]+: warning: .*epic-2-retrospective"))' \
	"$TMP/st.json" >/dev/null || fail "no duplicate-key warning in status --json: $(jq -c .warnings "$TMP/st.json")"
git -C "$P" checkout -q -- "$art/sprint-status.yaml" 2>/dev/null || true

finish
