/* SPDX-License-Identifier: MIT */
/*
 * gitx_worktree.c: a story's own worktree and branch, and integrating the
 * branch into the target: git worktree add/remove, rebase, fast-forward.
 * Every operation can be repeated after a kill at any point of it and
 * ends in the same state. argv only; must not touch the user's index or
 * uncommitted changes (a fast-forward that would overwrite them refuses).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitx.h"
#include "gitx_int.h"

/* `git rev-parse --verify -q REV^{commit}` in root: 0 with *sha, 1 none, -1 error. */
int gitx_rev(const char *root, const char *rev, char **sha, char **cause)
{
	struct strvec args = STRVEC_INIT;
	struct proc_result r;
	char *spec = xstrfmt("%s^{commit}", rev);
	int ret = -1;

	gitx__args_of(&args, "rev-parse", "--verify", "-q", spec, (char *)NULL);
	if (gitx__git_exec(root, &args, &(struct gitcall){ .no_locks = true }, &r, cause) == 0)
		ret = gitx_head_result(&r, sha, cause);
	proc_result_release(&r);
	strvec_release(&args);
	free(spec);
	return ret;
}

int gitx_current_branch(const char *root, char **branch, char **cause)
{
	struct strvec args = STRVEC_INIT;
	struct proc_result r;
	int ret = -1;

	gitx__args_of(&args, "symbolic-ref", "-q", "--short", "HEAD", (char *)NULL);
	if (gitx__git_exec(root, &args, &(struct gitcall){ .no_locks = true }, &r, cause) == 0) {
		if (r.status == 0) {
			*branch = xstrndup(buf_str(&r.out), strcspn(buf_str(&r.out), "\n"));
			ret = 0;
		} else if (r.status == 1) {
			ret = 1; /* detached */
		} else {
			char *o = gitx__output_text(&r);

			*cause = xstrfmt("git symbolic-ref: exit %d: %s", r.status, o);
			free(o);
		}
	}
	proc_result_release(&r);
	strvec_release(&args);
	return ret;
}

int gitx_worktrees(const char *root, struct strvec *out, char **cause)
{
	struct strvec args = STRVEC_INIT;
	struct proc_result r;
	char *path = NULL;
	int ret;

	gitx__args_of(&args, "worktree", "list", "--porcelain", (char *)NULL);
	ret = gitx__git_ok(root, &args, &(struct gitcall){ .no_locks = true }, &r, cause);
	for (const char *l = buf_str(&r.out); ret == 0 && *l;) {
		size_t n = strcspn(l, "\n");

		if (n > 9 && !strncmp(l, "worktree ", 9)) {
			free(path);
			path = xstrndup(l + 9, n - 9);
		} else if (path && n > 18 && !strncmp(l, "branch refs/heads/", 18)) {
			strvec_push_nodup(out, xstrfmt("%s\t%.*s", path, (int)(n - 18), l + 18));
			free(path);
			path = NULL;
		}
		l += n + (l[n] == '\n');
	}
	free(path);
	proc_result_release(&r);
	strvec_release(&args);
	return ret;
}

/* Runs git args in root; 0 when it exited 0, else -1 with *cause. */
static int git(const char *root, char **cause, ...)
{
	struct strvec args = STRVEC_INIT;
	struct proc_result r;
	const char *a;
	va_list ap;
	int ret;

	va_start(ap, cause);
	while ((a = va_arg(ap, const char *)))
		strvec_push(&args, a);
	va_end(ap);
	ret = gitx__git_ok(root, &args, NULL, &r, cause);
	proc_result_release(&r);
	strvec_release(&args);
	return ret;
}

/* Whether the git-path what exists in wt (a rebase or merge under way). */
static bool in_progress(const char *wt, const char *what)
{
	char *p = NULL, *why = NULL;
	struct stat st;
	bool there = gitx__git_path(wt, what, true, &p, &why) == 0 && stat(p, &st) == 0;

	free(p);
	free(why);
	return there;
}

/*
 * Whether path is a worktree of root's repository checked out on branch,
 * made to the end (gitx_worktree_ready: a `worktree add` a kill
 * interrupted leaves it locked, or without its gitdir file, which git
 * prunes).
 */
static bool worktree_on(const char *path, const char *branch)
{
	char *cur = NULL, *why = NULL;
	bool ok = gitx_worktree_ready(path) && gitx_current_branch(path, &cur, &why) == 0 &&
		  !strcmp(cur, branch);

	free(cur);
	free(why);
	return ok;
}

bool gitx_worktree_ready(const char *path)
{
	char *dotgit = path_join(path, ".git"), *text = NULL, *why = NULL, *gd = NULL, *p;
	size_t len;
	bool ok = false;
	struct stat st;

	if (read_text_file(dotgit, PATH_MAX + 16, &text, &len, &why) == 0 &&
	    !strncmp(text, "gitdir: ", 8)) {
		gd = xstrndup(text + 8, strcspn(text + 8, "\r\n"));
		if (gd[0] != '/') { /* relative to the worktree (worktree.useRelativePaths) */
			p = path_join(path, gd);
			free(gd);
			gd = p;
		}
		p = path_join(gd, "locked");
		ok = stat(gd, &st) == 0 && S_ISDIR(st.st_mode) && access(p, F_OK) < 0;
		free(p);
		/*
		 * HEAD, and the gitdir file that points back here: git writes it
		 * late, and prunes an entry without it (a worktree add killed
		 * before it is half made, whatever its files look like)
		 */
		for (size_t i = 0; ok && i < 3; i++) {
			p = path_join(gd, (const char *[]){ "HEAD", "gitdir", "commondir" }[i]);
			ok = access(p, F_OK) == 0;
			free(p);
		}
	}
	free(why);
	free(gd);
	free(text);
	free(dotgit);
	return ok;
}

int gitx_worktree_add(const char *root, const char *path, const char *branch, const char *base,
		      char **cause)
{
	char *ref, *tip = NULL, *why = NULL;
	int has;

	if (worktree_on(path, branch))
		return 0; /* made before a kill */
	ref = xstrfmt("refs/heads/%s", branch);
	has = gitx_rev(root, ref, &tip, &why);
	free(tip);
	free(why);
	free(ref);
	why = NULL;
	/*
	 * A directory removed by hand, or a half-made one (a `worktree add` a
	 * kill interrupted leaves it locked, which prune would skip): forget it
	 * first. One with no .git of its own cannot hold work: set aside.
	 */
	git(root, &why, "worktree", "unlock", path, (char *)NULL);
	free(why);
	why = NULL;
	git(root, &why, "worktree", "prune", (char *)NULL);
	free(why);
	why = NULL;
	if (access(path, F_OK) == 0 &&
	    git(root, &why, "worktree", "remove", "--force", "--force", path, (char *)NULL) < 0) {
		free(why);
		why = NULL;
	}
	if (access(path, F_OK) == 0) {
		char *aside = xstrfmt("%s.half-made.%ld", path, (long)getpid());

		if (rename(path, aside) < 0) {
			*cause = xstrfmt("cannot set '%s' aside: %s", path, strerror(errno));
			free(aside);
			return -1;
		}
		free(aside);
	}
	if (has == 0) /* the branch exists (its commit survives a kill): check it out again */
		return git(root, cause, "worktree", "add", "-q", path, branch, (char *)NULL);
	return git(root, cause, "worktree", "add", "-q", "-b", branch, path, base, (char *)NULL);
}

int gitx_worktree_drop(const char *root, const char *path, const char *branch, char **cause)
{
	char *why = NULL, *ref, *tip = NULL;
	int ret = 0;

	/* twice: a worktree locked by a `worktree add` a kill interrupted too */
	if (access(path, F_OK) == 0 &&
	    git(root, cause, "worktree", "remove", "--force", "--force", path, (char *)NULL) < 0)
		return -1;
	git(root, &why, "worktree", "prune", (char *)NULL);
	free(why);
	why = NULL;
	if (!branch)
		return 0;
	/* gone already after a kill: fine */
	ref = xstrfmt("refs/heads/%s", branch);
	if (gitx_rev(root, ref, &tip, &why) == 0 &&
	    git(root, cause, "branch", "-D", "-q", branch, (char *)NULL) < 0)
		ret = -1;
	free(why);
	free(tip);
	free(ref);
	return ret;
}

int gitx_commit_path(const char *wt, const char *path, const char *message, char **cause)
{
	/* a new file is known to git first */
	if (git(wt, cause, "add", "--", path, (char *)NULL) < 0)
		return -1;
	/* the story's hooks ran on its commit; this adds one value to it */
	if (!message)
		return git(wt, cause, "commit", "-q", "--no-verify", "--amend", "--no-edit", "--",
			   path, (char *)NULL);
	return git(wt, cause, "commit", "-q", "--no-verify", "-m", message, "--", path,
		   (char *)NULL);
}

int gitx_is_dirty(const char *wt, const char *path)
{
	struct strvec args = STRVEC_INIT;
	struct proc_result r;
	char *why = NULL;
	int ret = -1;

	gitx__args_of(&args, "diff", "--quiet", "HEAD", "--", path, (char *)NULL);
	if (gitx__git_exec(wt, &args, NULL, &r, &why) == 0 && (r.status == 0 || r.status == 1))
		ret = r.status;
	free(why);
	proc_result_release(&r);
	strvec_release(&args);
	return ret;
}

int gitx_discard(const char *wt, const char *path, char **cause)
{
	return git(wt, cause, "checkout", "-q", "HEAD", "--", path, (char *)NULL);
}

void gitx_abort_ops(const char *wt)
{
	char *why = NULL;

	if (in_progress(wt, "rebase-merge") || in_progress(wt, "rebase-apply"))
		git(wt, &why, "rebase", "--abort", (char *)NULL);
	free(why);
	why = NULL;
	if (in_progress(wt, "MERGE_HEAD"))
		git(wt, &why, "merge", "--abort", (char *)NULL);
	free(why);
	why = NULL;
	/* a pick of a rebase killed before its state was written */
	if (in_progress(wt, "CHERRY_PICK_HEAD") || in_progress(wt, "sequencer"))
		git(wt, &why, "cherry-pick", "--quit", (char *)NULL);
	free(why);
}

int gitx_worktree_reset(const char *wt, const char *branch, char **cause)
{
	gitx_abort_ops(wt);
	return git(wt, cause, "checkout", "-q", branch, (char *)NULL);
}

int gitx_detach(const char *wt, char **cause)
{
	return git(wt, cause, "checkout", "-q", "--detach", (char *)NULL);
}

int gitx_stash_all(const char *wt, const char *message, char **cause)
{
	return git(wt, cause, "stash", "push", "--include-untracked", "-q", "-m", message,
		   (char *)NULL);
}

/* Paths with unmerged entries in wt, one per line in *files. */
static void conflicted(const char *wt, char **files)
{
	struct strvec args = STRVEC_INIT;
	struct proc_result r;
	char *why = NULL;

	gitx__args_of(&args, "diff", "--name-only", "--diff-filter=U", (char *)NULL);
	if (gitx__git_ok(wt, &args, NULL, &r, &why) == 0)
		*files = xstrndup(buf_str(&r.out), r.out.len);
	else
		*files = xstrdup("");
	free(why);
	proc_result_release(&r);
	strvec_release(&args);
}

/*
 * Runs git args (a rebase or a merge: what) in wt. When it fails, the
 * conflicting paths go to *files (1), else git's words to *cause (-1),
 * and `git WHAT --abort` undoes it. Returns 0, 1 or -1.
 */
static int undone_on_failure(const char *wt, const struct strvec *args, const char *what,
			     char **files, char **cause)
{
	struct proc_result r;
	char *why = NULL;
	int ret = gitx__git_exec(
		wt, args, &(struct gitcall){ .timeout_ms = GITX_COMMIT_TIMEOUT_MS }, &r, cause);

	if (ret == 0 && r.status != 0) {
		conflicted(wt, files);
		if (**files) {
			ret = 1;
		} else {
			char *o = gitx__output_text(&r);

			*cause = xstrfmt("git %s: exit %d: %s", what, r.status, o);
			free(o);
			ret = -1;
		}
		git(wt, &why, what, "--abort", (char *)NULL);
		free(why);
	}
	proc_result_release(&r);
	return ret;
}

int gitx_rebase_onto(const char *wt, const char *onto, char **files, char **cause)
{
	struct strvec args = STRVEC_INIT;
	char *why = NULL;
	int ret;

	/* a rebase a kill interrupted: undone, then done again */
	if (in_progress(wt, "rebase-merge") || in_progress(wt, "rebase-apply"))
		git(wt, &why, "rebase", "--abort", (char *)NULL);
	free(why);
	why = NULL;
	gitx__args_of(&args, "-c", "core.editor=true", "rebase", "-q", onto, (char *)NULL);
	ret = undone_on_failure(wt, &args, "rebase", files, cause);
	strvec_release(&args);
	return ret;
}

int gitx_merge_onto(const char *wt, const char *onto, const char *branch, const char *message,
		    char **files, char **cause)
{
	struct strvec args = STRVEC_INIT;
	char *why = NULL;
	int ret;

	/* a merge a kill interrupted: undone, then done again */
	if (in_progress(wt, "MERGE_HEAD"))
		git(wt, &why, "merge", "--abort", (char *)NULL);
	free(why);
	why = NULL;
	if (git(wt, cause, "checkout", "-q", "--detach", onto, (char *)NULL) < 0)
		return -1;
	gitx__args_of(&args, "merge", "-q", "--no-ff", "--no-edit", "-m", message, branch,
		      (char *)NULL);
	ret = undone_on_failure(wt, &args, "merge", files, cause);
	if (ret != 0) {
		/* back on the story's branch, as it was */
		git(wt, &why, "checkout", "-q", branch, (char *)NULL);
		free(why);
	}
	strvec_release(&args);
	return ret;
}

int gitx_merge_in(const char *wt, const char *rev, char **files, char **cause)
{
	struct strvec args = STRVEC_INIT;
	int ret;

	gitx_abort_ops(wt); /* a merge a kill interrupted: undone, then done again */
	gitx__args_of(&args, "merge", "-q", "--no-ff", "--no-edit", rev, (char *)NULL);
	ret = undone_on_failure(wt, &args, "merge", files, cause);
	strvec_release(&args);
	return ret;
}

/*
 * The paths git lists after "would be overwritten by merge:" (one per line,
 * tab-indented) in its stderr, one per line in *files.
 */
static char *overwritten(const char *err)
{
	struct buf b = BUF_INIT;
	const char *p = strstr(err, "would be overwritten");

	for (p = p ? strchr(p, '\n') : NULL; p && p[1] == '\t';) {
		const char *s = p + 2, *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);

		buf_add(&b, s, n);
		buf_addc(&b, '\n');
		p = nl;
	}
	return buf_detach(&b);
}

int gitx_fast_forward(const char *root, const char *target, const char *sha, char **files,
		      char **cause)
{
	char *cur = NULL, *why = NULL, *ref = xstrfmt("refs/heads/%s", target), *old = NULL;
	struct strvec args = STRVEC_INIT;
	struct proc_result r;
	int ret = -1;

	if (gitx_rev(root, ref, &old, cause) != 0)
		goto out;
	if (!strcmp(old, sha)) {
		ret = 0; /* done before a kill */
		goto out;
	}
	if (gitx_current_branch(root, &cur, &why) == 0 && !strcmp(cur, target)) {
		/* checked out here: the work tree follows, the user's changes stay */
		gitx__args_of(&args, "merge", "-q", "--ff-only", "--no-edit", sha, (char *)NULL);
		if (gitx__git_exec(root, &args, NULL, &r, cause) < 0) {
			proc_result_release(&r);
			goto out;
		}
		if (r.status == 0) {
			ret = 0;
		} else {
			*files = overwritten(buf_str(&r.err));
			if (**files) {
				ret = 1;
			} else {
				char *o = gitx__output_text(&r);

				*cause = xstrfmt("git merge --ff-only: exit %d: %s", r.status, o);
				free(o);
				free(*files);
				*files = NULL;
			}
		}
		proc_result_release(&r);
	} else {
		/* not checked out (the user switched): move the branch only if it did not move */
		ret = git(root, cause, "update-ref", ref, sha, old, (char *)NULL);
	}
out:
	strvec_release(&args);
	free(why);
	free(cur);
	free(ref);
	free(old);
	return ret;
}

static bool rebasing(const char *wt)
{
	return in_progress(wt, "rebase-merge") || in_progress(wt, "rebase-apply");
}

int gitx_conflict_start(const char *wt, const char *branch, const char *onto, bool merge,
			char **files, char **cause)
{
	struct strvec args = STRVEC_INIT;
	struct proc_result r;
	char *why = NULL;
	int ret;

	*files = NULL;
	/* started before a kill, or by the user: left as it is */
	if (rebasing(wt) || in_progress(wt, "MERGE_HEAD")) {
		conflicted(wt, files);
		return 1;
	}
	if (git(wt, cause, "checkout", "-q", branch, (char *)NULL) < 0)
		return -1;
	if (merge)
		gitx__args_of(&args, "merge", "-q", "--no-ff", "--no-edit", onto, (char *)NULL);
	else
		gitx__args_of(&args, "-c", "core.editor=true", "rebase", "-q", onto, (char *)NULL);
	ret = gitx__git_exec(wt, &args, &(struct gitcall){ .timeout_ms = GITX_COMMIT_TIMEOUT_MS },
			     &r, cause);
	strvec_release(&args);
	if (ret < 0) {
		proc_result_release(&r);
		return -1;
	}
	if (r.status != 0) {
		conflicted(wt, files);
		if (!**files) {
			char *o = gitx__output_text(&r);

			free(*files);
			*files = NULL;
			*cause = xstrfmt("git %s: exit %d: %s", merge ? "merge" : "rebase",
					 r.status, o);
			free(o);
			git(wt, &why, merge ? "merge" : "rebase", "--abort", (char *)NULL);
			free(why);
			ret = -1;
		} else {
			ret = 1;
		}
	}
	proc_result_release(&r);
	return ret;
}

int gitx_conflict_left(const char *wt, char **what)
{
	char *files = NULL;

	conflicted(wt, &files);
	if (*files) {
		for (char *p = files; *p; p++)
			if (*p == '\n' && p[1])
				*p = ',';
		files[strcspn(files, "\n")] = '\0';
		*what = xstrfmt("unmerged paths: %s", files);
	} else if (rebasing(wt)) {
		*what = xstrdup("a rebase is still in progress");
	} else if (in_progress(wt, "MERGE_HEAD")) {
		*what = xstrdup("a merge is still in progress");
	} else {
		*what = NULL;
	}
	free(files);
	return *what ? 1 : 0;
}

int gitx_uncommitted_under(const char *root, const char *const *paths, struct strvec *out,
			   char **cause)
{
	struct strvec args = STRVEC_INIT;
	struct proc_result r;
	int ret;

	gitx__args_of(&args, "status", "--porcelain=v1", "-z", "--ignored=matching",
		      "--untracked-files=normal", "--", (char *)NULL);
	for (size_t i = 0; paths[i]; i++)
		strvec_push(&args, paths[i]);
	ret = gitx__git_ok(root, &args, NULL, &r, cause);
	strvec_release(&args);
	if (ret < 0) {
		proc_result_release(&r);
		return -1;
	}
	/* "XY PATH\0": untracked (??) and ignored (!!) entries only */
	for (size_t i = 0; i + 3 < r.out.len;) {
		const char *e = buf_str(&r.out) + i;
		size_t len = strlen(e);

		if (len > 3 && (!strncmp(e, "?? ", 3) || !strncmp(e, "!! ", 3)))
			strvec_push(out, e + 3);
		i += len + 1;
	}
	proc_result_release(&r);
	return 0;
}
