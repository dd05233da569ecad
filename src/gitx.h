/* SPDX-License-Identifier: MIT */
/*
 * gitx.h: the git operations a run needs, always through proc_run with an
 * argv (`git -C ROOT ...`), a timeout and GIT_TERMINAL_PROMPT=0, never a
 * shell. A story's commit holds the story's changes only: the paths that
 * became dirty (or changed again) since the story's snapshot, staged by
 * name, never `git add -A` of the whole tree. Hooks run; no identity is set.
 *
 * Every char **cause is newly allocated on -1 (lowercase, no period) and
 * untouched otherwise. Paths are relative to ROOT, exactly as git prints
 * them (no quoting).
 */
#ifndef AU_GITX_H
#define AU_GITX_H

#include <stdbool.h>

#include "util.h"

/* True when a git binary is in PATH. */
bool gitx_available(void);
/* True when root is inside a git work tree. */
bool gitx_is_repo(const char *root);

/*
 * The commit HEAD points at. Returns 0 with *sha (newly allocated hex), 1
 * when the repository has no commits yet, -1 on error (not a repository,
 * git failed). *sha is untouched unless 0 is returned.
 */
int gitx_head(const char *root, char **sha, char **cause);
/*
 * gitx_head's reading of what `git rev-parse --verify -q HEAD^{commit}`
 * did (it ran, was neither killed nor timed out), for a caller that ran
 * it itself alongside other commands.
 */
struct proc_result;
int gitx_head_result(const struct proc_result *r, char **sha, char **cause);

/*
 * Lists `.automator/` in the repository's info/exclude (the one `git
 * rev-parse --git-path info/exclude` names, so worktrees share it),
 * creating info/ when needed. Never touches .gitignore. Returns 0 when the
 * line was added, 1 when it was already there, -1 on error.
 */
int gitx_exclude_automator(const char *root, char **cause);

/*
 * The work tree's dirty paths at story start: tracked files modified or
 * deleted against HEAD and untracked, non-ignored files (`git status
 * --porcelain=v1 -z --untracked-files=all --no-renames`), minus
 * .automator/. Appends one "HASH\tPATH" entry per path to out, in git's
 * order; HASH is the `git hash-object` of the file's bytes (of a symlink's
 * target text; "sub:SHA" for a nested repository's HEAD), or "deleted".
 * Returns 0, or -1 (out may then hold part of the entries).
 */
int gitx_snapshot(const char *root, struct strvec *out, char **cause);

/*
 * The story's changes: the paths dirty now whose hash differs from their
 * snapshot entry or that have none, minus anything under .automator/.
 * A path dirty before the story and changed again by it is included (with
 * the earlier changes in it: they cannot be told apart). Appends the paths
 * to out; returns 0 or -1.
 */
int gitx_story_paths(const char *root, const struct strvec *snapshot, struct strvec *out,
		     char **cause);

/*
 * Commits exactly paths with message (given to `git commit -F -`; hooks
 * run). The paths are staged with `git add -A -- PATHS` (deletions
 * included, each path one literal argv word) into a scratch index seeded
 * from HEAD, so changes the user staged elsewhere are neither committed
 * nor disturbed; after the commit the real index entries of those paths
 * are set to the new HEAD, as `git commit -- PATHS` would. Returns 0 with
 * *sha_out (newly allocated; may be NULL), 1 when there is nothing to
 * commit (not an error; *sha_out untouched), -1 when git or a hook fails
 * (*cause holds the hook's or git's output); the real index is then as it
 * was before.
 */
int gitx_commit(const char *root, const struct strvec *paths, const char *message, char **sha_out,
		char **cause);

/*
 * Finds the newest commit reachable from HEAD, after since (a commit, or
 * NULL for the whole history), whose message has the line `key: value`
 * (key compared without case, surrounding blanks ignored). For idempotent
 * commits after a crash: the caller puts `Automator-Story: RUN/STORY` in
 * each message and looks before committing again. Returns 0 with *sha
 * (newly allocated; may be NULL), 1 when there is none (also when the
 * repository has no commits), -1 on error.
 */
int gitx_find_trailer(const char *root, const char *since, const char *key, const char *value,
		      char **sha, char **cause);

/* ---- a story's worktree and its integration (gitx_worktree.c) ---- */

/* REV as a commit sha in root: 0 with *sha, 1 when there is none, -1 on error. */
int gitx_rev(const char *root, const char *rev, char **sha, char **cause);
/* The branch checked out in root: 0 with *branch, 1 when HEAD is detached, -1 on error. */
int gitx_current_branch(const char *root, char **branch, char **cause);
/*
 * Whether path holds a worktree made to the end: its .git names a git dir
 * that is there, with its HEAD, gitdir and commondir, not locked
 * "initializing" by a `worktree add` a kill interrupted. Files only: no
 * process.
 */
bool gitx_worktree_ready(const char *path);
/*
 * A worktree at path on branch: made from base with a new branch, or on
 * the branch that exists (made before a kill: its commits kept); one
 * there already on the branch is kept. Returns 0, or -1 with *cause.
 */
int gitx_worktree_add(const char *root, const char *path, const char *branch, const char *base,
		      char **cause);
/*
 * Commits path's change (a new file too) in worktree wt (only that path, no hooks): into
 * HEAD (amended) when message is NULL, else as a new commit.
 */
int gitx_commit_path(const char *wt, const char *path, const char *message, char **cause);
/* Whether path in worktree wt differs from HEAD's: 1, 0, or -1 when git cannot tell. */
int gitx_is_dirty(const char *wt, const char *path);
/* Sets path in worktree wt back to HEAD's version (its uncommitted change dropped). */
int gitx_discard(const char *wt, const char *path, char **cause);
/* The worktrees of root's repository on a branch: "PATH\tBRANCH" each, appended to out. */
int gitx_worktrees(const char *root, struct strvec *out, char **cause);
/*
 * Worktree wt back on branch: a rebase or merge under way (a kill) is
 * aborted, and a detached HEAD left by an integration not finished is
 * dropped. Returns 0, or -1 with *cause.
 */
int gitx_worktree_reset(const char *wt, const char *branch, char **cause);
/* Aborts the rebase, merge or cherry-pick under way in wt (a kill's), if any. */
void gitx_abort_ops(const char *wt);
/* Detaches worktree wt's HEAD where it is (the branch stays where it is). */
int gitx_detach(const char *wt, char **cause);
/* Stashes every uncommitted change in wt, untracked files too (none: nothing done). */
int gitx_stash_all(const char *wt, const char *message, char **cause);
/*
 * Removes the worktree at path and deletes branch (NULL: keeps the
 * branch); either gone already is fine.
 */
int gitx_worktree_drop(const char *root, const char *path, const char *branch, char **cause);
/*
 * Rebases the branch checked out in worktree wt onto onto (a rebase a kill
 * left is aborted first). Returns 0; 1 on a conflict, the rebase aborted
 * and the conflicting paths in *files (one per line); -1 with *cause.
 */
int gitx_rebase_onto(const char *wt, const char *onto, char **files, char **cause);
/*
 * Merges branch into onto in worktree wt, on a detached HEAD at onto, with
 * a merge commit (--no-ff) of message: HEAD is then the merge. A merge a
 * kill left is aborted first. Returns 0; 1 on a conflict, the merge
 * aborted, wt back on branch and the conflicting paths in *files; -1.
 */
int gitx_merge_onto(const char *wt, const char *onto, const char *branch, const char *message,
		    char **files, char **cause);
/*
 * Starts an integration left for someone to finish (an agent, the user):
 * worktree wt on branch, rebased onto onto (merge: onto merged into
 * branch), stopped at its conflicts; one already under way (a kill) is
 * left as it is. Returns 1 with the conflicting paths in *files (one per
 * line); 0 when it applied cleanly; -1 with *cause (nothing left under way).
 */
int gitx_conflict_start(const char *wt, const char *branch, const char *onto, bool merge,
			char **files, char **cause);
/*
 * What is left of a conflict in wt: 0 nothing (no rebase or merge under
 * way, no unmerged path), 1 with *what saying what remains.
 */
int gitx_conflict_left(const char *wt, char **what);
/*
 * The untracked and ignored entries under paths (NULL-terminated) in
 * root: what a new worktree of the repository would not have. Appended
 * to out, a directory wholly untracked as one entry ending in '/'.
 */
int gitx_uncommitted_under(const char *root, const char *const *paths, struct strvec *out,
			   char **cause);
/*
 * Removes the lock files (*.lock) git processes killed with an earlier
 * run left in root's repository: in its git dir, under refs/, and in each
 * worktree's git dir; the paths removed are appended to removed. Only
 * when no process named git* has its working directory under one of dirs
 * (the project, the worktrees): 1 then, nothing removed. 0, or -1 with
 * *cause when the repository's git dir cannot be found.
 */
/*
 * Waits, up to timeout_ms, while a process named git* has its working
 * directory under root (a git a killed run's integration had started,
 * which outlives it). 0: none (any more); 1: one still works.
 */
int gitx_wait_idle(const char *root, int timeout_ms);
int gitx_clear_stale_locks(const char *root, const struct strvec *dirs, struct strvec *removed,
			   char **cause);
/*
 * Merges rev into the branch checked out in worktree wt (a merge commit;
 * already merged: nothing). Returns 0; 1 on a conflict, the merge
 * aborted and the conflicting paths in *files; -1 with *cause.
 */
int gitx_merge_in(const char *wt, const char *rev, char **files, char **cause);
/*
 * Moves branch target of root's repository to sha, a descendant of it:
 * where target is checked out in root, `git merge --ff-only` (the work
 * tree follows; the user's uncommitted changes stay, and a path they would
 * lose makes it refuse: 1 with the paths in *files); elsewhere the ref
 * only. Already there is success. Returns 0, 1, or -1 with *cause.
 */
int gitx_fast_forward(const char *root, const char *target, const char *sha, char **files,
		      char **cause);

/*
 * The values of every line `key: value` in the messages of the commits
 * reachable from HEAD (none when there is no commit), or when branches is
 * given from the branches matching that glob ("automator/" and a star), appended
 * to values. Returns 0, or -1 with *cause.
 */
int gitx_trailer_values(const char *root, const char *key, const char *branches,
			struct strvec *values, char **cause);

/*
 * Sets the real index's entries of the paths commit sha changed to HEAD's,
 * as gitx_commit does after committing: for a commit found by its trailer
 * after a crash between the commit and that step. Returns 0, or -1 with
 * *cause.
 */
int gitx_sync_index(const char *root, const char *sha, char **cause);
/*
 * Removes the scratch indexes (index.automator-<pid>) gitx_commit left in
 * root's git directory when killed: those of processes no longer running.
 * Returns how many it removed.
 */
int gitx_remove_scratch(const char *root);

#endif
