#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0498-worktrees: `isolation: worktree`, the default (issue 13). Real git, real tmux,
# the fake agent, the demo project:
# - 5 stories, max_parallel 3, the user with an uncommitted edit to a
#   tracked file and an untracked file: exit 0, said once at the start
#   (not part of the run; with isolation: shared, a warning); each story's commit holds
#   exactly its own files and its own sprint-status value set to done
#   (no other line of that file); a story started from a
#   commit holding its dependencies' commits; the user's edit and file are
#   untouched and in no commit; the sprint-status comments survive and
#   every story is done there; no worktree, branch or stash is left;
# - two parallel stories appending to the same file: the first integrates,
#   the second raises integration-conflict (the run pauses, exit 3) naming
#   the file; its branch and commit are kept; answering "skip" ends the
#   run, the branch still there;
# - integrate: none: the target and the project's tree untouched, a branch
#   per story with its commit (no sprint-status line), listed; a story
#   depending on two starts from their branches merged; run again: nothing;
# - integrate: merge with keep_branches, worktree_dir outside the project
#   and branch_prefix: a merge commit per story, the branches (story/...)
#   and worktrees (there) kept and listed;
# - kill -9 after the worktree is made, after the commit, inside the
#   integration (before the rebase) and before the worktree is removed,
#   then resume: the same history as a run without a kill, nothing left;
# - a worktree the user removed (git worktree prune) after a kill: resume
#   makes it again from the story's branch, the same history;
# - the target branch is journaled: a resume after the user switched
#   branches integrates into the run's target;
# - abort leaves the stories' worktrees and says where;
# - a detached HEAD is refused before anything is recorded.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

ST=_bmad-output/implementation-artifacts/sprint-status.yaml
P=$TMP/proj
make_project "$P"
# worktrees are the default: no isolation line
sed -i -e 's/^max_parallel: .*/max_parallel: 3/' -e '/^isolation: /d' "$P/sprint.yaml"
grep -q '^max_parallel: 3$' "$P/sprint.yaml" || fail "setup: no max_parallel line"
git -C "$P" commit -q -am "worktrees"
start=$(git -C "$P" rev-parse HEAD)
echo "# my local WIP" >>"$P/README.md"
echo "mine" >"$P/mine.txt"

au "$P" run --no-input
[ "$rc" = 0 ] || { fail "run: exit $rc"; tail -30 "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "note: 2 uncommitted changes in .*: they stay yours and not part of this run" \
	"the run says once that the user's changes are not part of it"
[ "$(grep -c "uncommitted changes" "$TMP/au.out")" = 1 ] || fail "the note is said more than once"
[ "$(git -C "$P" rev-list --count "$start"..HEAD)" = 5 ] || fail "want 5 commits, one per story"
# each commit: exactly the files its story's fake agent edited
want() {
	case $1 in
	1.1) echo "data/plants.txt src/plants.sh" ;;
	1.2) echo "src/schedule.sh" ;;
	1.3) echo "src/remind.sh" ;;
	1.4) echo "data/watering-log.txt src/log.sh" ;;
	1.5) echo "docs/report.md src/report.sh src/watering.sh" ;;
	esac
}
for c in $(git -C "$P" rev-list "$start"..HEAD); do
	id=$(git -C "$P" log -1 --format=%s "$c" | cut -d: -f1)
	got=$(git -C "$P" show --name-only --format= "$c" | sort | tr '\n' ' ' | sed 's/ $//')
	[ "$got" = "$ST $(want "$id")" ] || fail "$id's commit holds '$got', want '$ST $(want "$id")'"
	# of the sprint-status, only its own value, set to done
	ch=$(git -C "$P" show --format= "$c" -- "$ST" | grep '^[-+] ')
	key=$(echo "$id" | tr . -)
	[ "$(echo "$ch" | wc -l)" = 2 ] && echo "$ch" | grep -q "^+ *$key-[a-z-]*: done" ||
		fail "$id's sprint-status change: $ch"
done
# 1.5 (needs 1.3 and 1.4) started from a commit holding both
base15=$(sql "$P" "SELECT base_commit FROM stories WHERE story_id = '1.5'")
for dep in 1.3 1.4; do
	c=$(git -C "$P" log --format=%H --grep "^$dep:" "$start"..HEAD)
	git -C "$P" merge-base --is-ancestor "$c" "$base15" || fail "1.5 started without $dep's commit"
done
# the user's tree is theirs
grep -q "# my local WIP" "$P/README.md" || fail "the user's edit is gone"
[ "$(cat "$P/mine.txt")" = mine ] || fail "the user's file changed"
git -C "$P" log --format= --name-only "$start"..HEAD | grep -qx 'README.md\|mine.txt' &&
	fail "the user's changes went into a commit"
[ "$(git -C "$P" status --porcelain | tr '\n' '|')" = " M README.md|?? mine.txt|" ] ||
	fail "the tree holds more than the user's changes: $(git -C "$P" status --porcelain)"
grep -q "# the data file and its reader" "$P/$ST" || fail "sprint-status comments lost"
[ "$(grep -c ': done' "$P/$ST")" -ge 5 ] || fail "not every story done in the sprint-status"
[ "$(git -C "$P" worktree list | wc -l)" = 1 ] || fail "worktrees left: $(git -C "$P" worktree list)"
git -C "$P" branch | grep -q automator/ && fail "story branches left: $(git -C "$P" branch)"
[ -z "$(git -C "$P" stash list)" ] || fail "stashes left: $(git -C "$P" stash list)"

# ---- a conflict ----
# conflict_project DIR: two parallel stories appending to the same new file
conflict_project() {
	make_project "$1"
	cat >"$1/conflict.yaml" <<'YAML'
project: conflict
root: .
workflow: demo
agent: fake
max_parallel: 2
isolation: worktree
status_file: _bmad-output/implementation-artifacts/sprint-status.yaml
stories:
  - id: "1.1"
    title: One side
    fake: { dev: "edit src/shared.sh" }
  - id: "1.2"
    title: The other side
    fake: { dev: "edit src/shared.sh ; slow" }
YAML
	git -C "$1" add conflict.yaml && git -C "$1" commit -q -m "conflict sprint"
}
# conflicted DIR: runs the sprint up to its conflict; prints the open escalation
conflicted() {
	au "$1" run --no-input conflict.yaml
	[ "$rc" = 3 ] || { fail "conflict: exit $rc, want 3 (paused)"; tail -20 "$TMP/au.out" >&2; }
	expect_grep "$TMP/au.out" "integration-conflict\|Integration conflict" "the conflict is a decision"
	expect_grep "$TMP/au.out" "src/shared.sh" "the decision names the file"
	expect_grep "$TMP/au.out" "Let an agent resolve it" "the decision offers an agent's resolution"
	[ "$(git -C "$1" rev-list --count HEAD~1..HEAD)" = 1 ] || fail "conflict: want the first story integrated"
	git -C "$1" rev-parse -q --verify refs/heads/automator/1-2-the-other-side >/dev/null ||
		git -C "$1" branch | grep -q 'automator/' || fail "the conflicted story's branch is gone"
	id=$(sql "$1" "SELECT id FROM escalations WHERE \"trigger\" = 'integration-conflict' AND status = 'open'")
	[ -n "$id" ] || fail "no open integration-conflict escalation"
}

# skip: the story ends SKIPPED, its branch kept and listed
Q=$TMP/conflict
conflict_project "$Q"
conflicted "$Q"
(cd "$Q" && timeout 20 "$AUTOMATOR" answer "$id" 3) >/dev/null 2>&1 || fail "answer skip"
au "$Q" resume --no-input
[ "$rc" = 1 ] || { fail "resume after skip: exit $rc, want 1 (a story skipped)"; tail -20 "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "1.2 *SKIPPED" "the conflicted story is skipped"
git -C "$Q" branch | grep -q 'automator/' || fail "the skipped story's branch was removed"
expect_grep "$TMP/au.out" "kept for you" "the summary lists the kept branch"
expect_grep "$TMP/au.out" "1.2 *branch automator/1-2-[a-z-]* in " "the summary names branch and worktree"

# let an agent resolve it: the fake agent keeps both sides, the workflow's
# verify step runs again, the story is integrated; both stories' lines are there
R=$TMP/resolve
conflict_project "$R"
rstart=$(git -C "$R" rev-parse HEAD)
conflicted "$R"
(cd "$R" && timeout 20 "$AUTOMATOR" answer "$id" 2) >/dev/null 2>&1 || fail "answer resolve"
au "$R" resume --no-input
[ "$rc" = 0 ] || { fail "resume after resolve: exit $rc, want 0"; tail -30 "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "an agent resolves the conflict in src/shared.sh" "the resolve session is said"
expect_grep "$TMP/au.out" "resolve-conflict" "the resolve session runs"
[ "$(git -C "$R" rev-list --count "$rstart"..HEAD)" = 2 ] || fail "resolve: want 2 commits, one per story"
[ "$(git -C "$R" log --format=%s "$rstart"..HEAD | sort | tr '\n' '|')" = "1.1: One side|1.2: The other side|" ] ||
	fail "resolve: commits $(git -C "$R" log --oneline "$rstart"..HEAD)"
[ "$(grep -c '^# story 1\.[12] (dev' "$R/src/shared.sh")" = 2 ] ||
	fail "resolve: both sides in src/shared.sh: $(cat "$R/src/shared.sh")"
grep -q '^<<<<<<<\|^>>>>>>>\|^=======$' "$R/src/shared.sh" && fail "conflict markers left"
# the verify step ran after the resolution (steps in order in the journal)
steps=$(sql "$R" "SELECT group_concat(step, ' ') FROM (SELECT step FROM sessions WHERE story_id = '1.2' ORDER BY id)")
case $steps in *resolve-conflict*) ;; *) fail "no resolve-conflict session: $steps" ;; esac
vseq=$(sql "$R" "SELECT max(seq) FROM transitions WHERE story_id = '1.2' AND action = 'RUN_VERIFY'")
rseq=$(sql "$R" "SELECT max(seq) FROM transitions WHERE story_id = '1.2' AND action = 'RESOLVE_CONFLICT'")
[ -n "$rseq" ] && [ -n "$vseq" ] && [ "$vseq" -gt "$rseq" ] || fail "the verify step did not run after the resolution ($rseq, $vseq)"
[ "$(git -C "$R" worktree list | wc -l)" = 1 ] || fail "resolve: worktrees left: $(git -C "$R" worktree list)"

# ---- kill -9 inside the worktree's life, then resume: the same history ----
# crash_sprint DIR: two stories, 1.2 after 1.1, each committing its own file
crash_sprint() {
	make_project "$1"
	mkdir -p "$1/wf"
	cat >"$1/wf/plain.yaml" <<'YAML'
name: plain
steps:
  - { name: work, kind: session, prompt: "Story {story.id}", verifier: session_exit }
  - { name: commit, kind: commit, message: "{story.id}: {story.title}" }
YAML
	cat >"$1/crash.yaml" <<'YAML'
project: crash
root: .
workflow: wf/plain.yaml
agent: fake
isolation: worktree
status_file: _bmad-output/implementation-artifacts/sprint-status.yaml
limits: { crash_retries: 0, idle_timeout: 2m, step_timeout: 10m }
stories:
  - { id: "1.1", title: First, fake: { work: "edit src/first.sh" } }
  - { id: "1.2", title: Second, depends_on: ["1.1"], fake: { work: "edit src/second.sh" } }
YAML
	git -C "$1" add -A && git -C "$1" commit -q -m "crash sprint"
}
# history DIR: one line per commit since the sprint's: subject and files
history() {
	git -C "$1" log --reverse --format='%s' --name-only HEAD~2..HEAD | grep -v '^$' | tr '\n' ' '
}
crash_sprint "$TMP/clean"
au "$TMP/clean" run --no-input crash.yaml
[ "$rc" = 0 ] || fail "crash sprint without a kill: exit $rc"
want_hist=$(history "$TMP/clean")
case $want_hist in "1.1: First $ST src/first.sh 1.2: Second $ST src/second.sh ") ;; *) fail "clean history: '$want_hist'" ;; esac
for point in after-worktree-add after-commit in-integration before-fast-forward before-worktree-drop; do
	K=$TMP/kill-$point
	crash_sprint "$K"
	(cd "$K" && AUTOMATOR_CRASH_AT=$point timeout 60 "$AUTOMATOR" run --no-input crash.yaml) >"$TMP/kill.out" 2>&1
	krc=$?
	[ "$krc" = 137 ] || { fail "$point: the run was not killed (exit $krc)"; continue; }
	au "$K" resume --no-input
	[ "$rc" = 0 ] || { fail "$point: resume exit $rc"; tail -15 "$TMP/au.out" >&2; continue; }
	[ "$(history "$K")" = "$want_hist" ] || fail "$point: history '$(history "$K")', want '$want_hist'"
	[ "$(git -C "$K" rev-list --count HEAD)" = "$(git -C "$TMP/clean" rev-list --count HEAD)" ] ||
		fail "$point: a commit too many or too few"
	[ "$(git -C "$K" worktree list | wc -l)" = 1 ] || fail "$point: a worktree is left"
	git -C "$K" branch | grep -q automator/ && fail "$point: a story branch is left"
	[ -z "$(git -C "$K" stash list)" ] || fail "$point: a stash is left"
done

# ---- integrate: merge, keep_branches ----
M=$TMP/merge
crash_sprint "$M"
sed -i 's/^isolation: worktree$/isolation: worktree\nintegrate: merge\nkeep_branches: true\nworktree_dir: ..\/merge-worktrees\nbranch_prefix: story\//' "$M/crash.yaml"
git -C "$M" commit -q -am merge
au "$M" run --no-input crash.yaml
[ "$rc" = 0 ] || { fail "merge: exit $rc"; tail -15 "$TMP/au.out" >&2; }
[ "$(git -C "$M" rev-list --merges --count HEAD~2..HEAD)" = 2 ] ||
	fail "merge: want two merge commits: $(git -C "$M" log --oneline --graph | head)"
git -C "$M" log --format=%s HEAD | grep -q '^1.1: First$' || fail "merge: 1.1's commit not reachable"
git -C "$M" log -1 --format=%s HEAD | grep -q '^Merge 1.2: Second$' || fail "merge: the last is not 1.2's merge"
[ "$(git -C "$M" branch | grep -c 'story/1-')" = 2 ] || fail "keep_branches, branch_prefix: $(git -C "$M" branch)"
[ -d "$TMP/merge-worktrees/1.1" ] && [ -d "$TMP/merge-worktrees/1.2" ] ||
	fail "worktree_dir: no worktrees in $TMP/merge-worktrees"
expect_grep "$TMP/au.out" "kept for you" "keep_branches: the summary lists them"
[ -z "$(git -C "$M" status --porcelain)" ] || fail "merge: the tree is not clean: $(git -C "$M" status --porcelain)"

# ---- integrate: none: branches left, the target untouched; a story that
# depends on two others starts from their branches merged ----
N=$TMP/none
make_project "$N"
mkdir -p "$N/wf"
cp "$TMP/clean/wf/plain.yaml" "$N/wf/plain.yaml"
cat >"$N/none.yaml" <<'YAML'
project: none
root: .
workflow: wf/plain.yaml
agent: fake
max_parallel: 2
integrate: none
status_file: _bmad-output/implementation-artifacts/sprint-status.yaml
stories:
  - { id: "1.1", title: First, fake: { work: "edit src/first.sh" } }
  - { id: "1.2", title: Second, fake: { work: "edit src/second.sh" } }
  - { id: "1.3", title: Third, depends_on: ["1.1", "1.2"], fake: { work: "edit src/third.sh" } }
YAML
git -C "$N" add -A && git -C "$N" commit -q -m "none sprint"
nstart=$(git -C "$N" rev-parse HEAD)
au "$N" run --no-input none.yaml
[ "$rc" = 0 ] || { fail "none: exit $rc"; tail -20 "$TMP/au.out" >&2; }
[ "$(git -C "$N" rev-parse HEAD)" = "$nstart" ] || fail "none: the target moved"
[ -z "$(git -C "$N" status --porcelain)" ] || fail "none: the project's tree changed: $(git -C "$N" status --porcelain)"
[ "$(git -C "$N" worktree list | wc -l)" = 1 ] || fail "none: worktrees left: $(git -C "$N" worktree list)"
for b in 1-1 1-2 1-3; do
	ref=$(git -C "$N" for-each-ref --format='%(refname:short)' "refs/heads/automator/$b-*")
	[ -n "$ref" ] || { fail "none: no branch for $b"; continue; }
	expect_grep "$TMP/au.out" "${b/-/.} *branch $ref (not integrated: integrate: none)" "none: $b's branch listed"
	# its commit holds its file, no sprint-status line
	git -C "$N" show --name-only --format= "$ref" | grep -qx "$ST" && fail "none: $b's commit holds the sprint-status"
done
b13=$(git -C "$N" for-each-ref --format='%(refname:short)' 'refs/heads/automator/1-3-*')
for f in src/first.sh src/second.sh src/third.sh; do
	git -C "$N" cat-file -e "$b13:$f" 2>/dev/null || fail "none: 1.3's branch lacks $f"
done
[ "$(git -C "$N" log --format=%s "$b13" | grep -c '^1\.[123]: ')" = 3 ] ||
	fail "none: 1.3's branch: $(git -C "$N" log --oneline "$b13" | head)"
# the finished sprint again: nothing to run
au "$N" run --no-input none.yaml
[ "$rc" = 0 ] || fail "none again: exit $rc"
expect_grep "$TMP/au.out" "nothing to run" "none again: nothing to run"
expect_grep "$TMP/au.out" "not integrated (integrate: none)" "none again: says where the work is"
[ "$(git -C "$N" log --all --format=%s | grep -c '^1\.1: ')" = 1 ] || fail "none again: 1.1 committed twice"

# ---- the user removes a worktree and prunes: resume makes it again from its branch ----
G=$TMP/pruned
crash_sprint "$G"
(cd "$G" && AUTOMATOR_CRASH_AT=after-commit timeout 60 "$AUTOMATOR" run --no-input crash.yaml) >/dev/null 2>&1
rm -rf "$G/.automator/worktrees/1.1"
git -C "$G" worktree prune
au "$G" resume --no-input
[ "$rc" = 0 ] || { fail "pruned: resume exit $rc"; tail -15 "$TMP/au.out" >&2; }
[ "$(history "$G")" = "$want_hist" ] || fail "pruned: history '$(history "$G")', want '$want_hist'"

# ---- the target is journaled: resume integrates into it, whatever is checked out ----
J=$TMP/journaled
crash_sprint "$J"
(cd "$J" && AUTOMATOR_CRASH_AT=before-worktree-drop timeout 60 "$AUTOMATOR" run --no-input crash.yaml) >/dev/null 2>&1
git -C "$J" switch -q -c elsewhere
au "$J" resume --no-input
[ "$rc" = 0 ] || { fail "journaled target: resume exit $rc"; tail -15 "$TMP/au.out" >&2; }
git -C "$J" log --format=%s main | grep -q '^1.2: Second$' || fail "resume did not integrate 1.2 into main"
git -C "$J" log --format=%s elsewhere | grep -q '^1.2: Second$' && fail "resume integrated into the branch checked out"
[ "$(sql "$J" "SELECT target FROM runs")" = main ] || fail "the run's target is not journaled"

# ---- abort leaves the worktrees and says where ----
A=$TMP/abort
crash_sprint "$A"
(cd "$A" && AUTOMATOR_CRASH_AT=in-integration timeout 60 "$AUTOMATOR" run --no-input crash.yaml) >/dev/null 2>&1
au "$A" abort
[ "$rc" = 0 ] || fail "abort: exit $rc"
expect_grep "$TMP/au.out" "worktrees stay for inspection" "abort says the worktrees stay"
expect_grep "$TMP/au.out" "/worktrees/1.1 on branch automator/1-1" "abort names the worktree and branch"
[ -d "$A/.automator/worktrees/1.1" ] || fail "abort removed the worktree"

# ---- shared: the same changes get a warning ----
W=$TMP/shared
make_project "$W"
sed -i "s/^isolation: .*/isolation: shared/" "$W/sprint.yaml"
git -C "$W" commit -q -am shared
echo "# my local WIP" >>"$W/README.md"
au "$W" run --no-input --stories 1.1
expect_grep "$TMP/au.out" "warning: 1 uncommitted change in .*: a story that changes one of those files commits your change" \
	"isolation: shared warns about the user's changes"

# ---- a detached HEAD ----
R=$TMP/detached
make_project "$R"
sed -i 's/^max_parallel: 1$/isolation: worktree/' "$R/sprint.yaml"
git -C "$R" commit -q -am worktrees
git -C "$R" checkout -q --detach
au "$R" run --no-input
[ "$rc" = 69 ] || fail "detached HEAD: exit $rc, want 69"
expect_grep "$TMP/au.out" "HEAD is detached" "the refusal says why"
[ ! -e "$R/.automator/state.db" ] || [ "$(sql "$R" "SELECT count(*) FROM runs")" = 0 ] ||
	fail "a run was recorded on a detached HEAD"

finish
