#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154 # rc is set by au() in lib.sh
# t0499-worktree-kills: kill -9 inside git itself, while it holds its
# locks (tests/kill-in-git, a reference-transaction hook, kills automator
# and the git under it): during the worktree's creation, the story's
# commit, the rebase (a story whose target moved: its commit replayed),
# the status commit, the fast-forward and the branch's removal, at several
# transactions of each; then `resume`: exit 0, the same history as a run
# without a kill (one commit per story, its files), no worktree, branch,
# stash, lock file or change left. The lock files the killed git left are
# removed at the resume, and said. With isolation: shared, a kill inside
# the story's commit likewise.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

ST=_bmad-output/implementation-artifacts/sprint-status.yaml
# two parallel stories: the second integrates onto the first (a real rebase)
sprint() {
	make_project "$1"
	mkdir -p "$1/wf"
	cat >"$1/wf/plain.yaml" <<'YAML'
name: plain
steps:
  - { name: work, kind: session, prompt: "Story {story.id}", verifier: session_exit }
  - { name: commit, kind: commit, message: "{story.id}: {story.title}" }
YAML
	cat >"$1/kill.yaml" <<YAML
project: kill
root: .
workflow: wf/plain.yaml
agent: fake
max_parallel: 2
isolation: ${2:-worktree}
status_file: $ST
limits: { crash_retries: 0, idle_timeout: 2m, step_timeout: 10m }
stories:
  - { id: "1.1", title: First, fake: { work: "edit src/first.sh" } }
  - { id: "1.2", title: Second, fake: { work: "edit src/second.sh ; edit src/third.sh ; slow" } }
YAML
	git -C "$1" add -A && git -C "$1" commit -q -m "kill sprint"
	cp "$AUTOMATOR_DATA_DIR/tests/kill-in-git" "$1/.git/hooks/reference-transaction"
}
history() {
	git -C "$1" log --reverse --format='%s' --name-only HEAD~2..HEAD | grep -v '^$' | tr '\n' ' '
}
want="1.1: First $ST src/first.sh 1.2: Second $ST src/second.sh src/third.sh "

# the hook does nothing without KILL_OP: a run without a kill
sprint "$TMP/clean"
au "$TMP/clean" run --no-input kill.yaml
[ "$rc" = 0 ] || { fail "without a kill: exit $rc"; tail -15 "$TMP/au.out" >&2; }
[ "$(history "$TMP/clean")" = "$want" ] || fail "clean history: '$(history "$TMP/clean")'"

n=0
# OP:NTH (the git command's words, the transaction to die in)
for spec in "worktree add:1" "worktree add:2" "worktree add:3" "commit -q -F:1" \
	" rebase :1" " rebase :2" " rebase :3" "--amend:1" "--ff-only:1" "--ff-only:2" \
	"branch -D:1" "branch -D:2"; do
	n=$((n + 1))
	op=${spec%:*} nth=${spec##*:}
	K=$TMP/k$n
	sprint "$K"
	echo 0 >"$TMP/k$n.flag"
	(cd "$K" && KILL_OP=$op KILL_NTH=$nth KILL_FLAG=$TMP/k$n.flag KILL_LOG=$TMP/k$n.kill \
		timeout 60 "$AUTOMATOR" run --no-input kill.yaml) >"$TMP/k$n.run" 2>&1
	krc=$?
	what="killed in '$op' #$nth"
	if [ "$krc" != 137 ] || [ ! -s "$TMP/k$n.kill" ]; then
		fail "$what: not killed (exit $krc)"
		continue
	fi
	au "$K" resume --no-input
	[ "$rc" = 0 ] || { fail "$what: resume exit $rc"; tail -15 "$TMP/au.out" >&2; continue; }
	[ "$(history "$K")" = "$want" ] || fail "$what: history '$(history "$K")'"
	[ "$(git -C "$K" rev-list --count HEAD)" = 4 ] || fail "$what: $(git -C "$K" rev-list --count HEAD) commits, want 4"
	[ "$(git -C "$K" worktree list | wc -l)" = 1 ] || fail "$what: worktrees left: $(git -C "$K" worktree list)"
	git -C "$K" branch | grep -q automator/ && fail "$what: branches left: $(git -C "$K" branch)"
	[ -z "$(git -C "$K" stash list)" ] || fail "$what: a stash: $(git -C "$K" stash list)"
	[ -z "$(git -C "$K" status --porcelain)" ] || fail "$what: changes left: $(git -C "$K" status --porcelain)"
	[ -z "$(find "$K/.git" -name '*.lock')" ] || fail "$what: lock files left: $(find "$K/.git" -name '*.lock')"
	if grep -q "lock file.* a killed git left" "$TMP/au.out"; then locks_said=1; fi
done
[ -n "${locks_said:-}" ] || fail "no resume said it removed a killed git's lock files"

# isolation: shared: killed inside the story's commit in the project's tree
S=$TMP/shared
sprint "$S" shared
echo 0 >"$TMP/s.flag"
(cd "$S" && KILL_OP="commit -q -F" KILL_NTH=1 KILL_FLAG=$TMP/s.flag timeout 60 "$AUTOMATOR" run --no-input kill.yaml) \
	>"$TMP/s.run" 2>&1
[ "$?" = 137 ] || fail "shared: not killed"
au "$S" resume --no-input
[ "$rc" = 0 ] || { fail "shared: resume exit $rc"; tail -15 "$TMP/au.out" >&2; }
[ -z "$(find "$S/.git" -name '*.lock')" ] || fail "shared: lock files left"
[ "$(git -C "$S" log --format=%s HEAD~2..HEAD | sort | tr '\n' '|')" = "1.1: First|1.2: Second|" ] ||
	fail "shared: commits $(git -C "$S" log --oneline | head -4)"

# a git that works in the project keeps its locks: nothing is removed then
G=$TMP/busy
sprint "$G"
mkdir -p "$TMP/gitbin"
ln -s "$(command -v sleep)" "$TMP/gitbin/git" # a process named git
(cd "$G" && exec "$TMP/gitbin/git" 30) &
busy=$!
touch "$G/.git/packed-refs.lock"
au "$G" run --no-input --stories 1.1 kill.yaml
kill "$busy" 2>/dev/null
wait "$busy" 2>/dev/null
expect_grep "$TMP/au.out" "a git works in the project now" "the busy git is said"
[ -e "$G/.git/packed-refs.lock" ] || fail "a lock was removed while a git worked in the project"

finish
