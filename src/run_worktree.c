/* SPDX-License-Identifier: MIT */
/*
 * run_worktree.c: isolation: worktree. Each story works in its own git
 * worktree (.automator/worktrees/<story>) on its own branch
 * (automator/<story key>), made from the target branch (the one checked
 * out when the run started) once its dependencies are integrated; after
 * its last step its branch is rebased onto the target and the target
 * fast-forwarded to it (INTEGRATE), one story at a time and beside the
 * loop (run_integrator.c), and the worktree and branch are removed. A conflict, or an integrated path the user has
 * uncommitted changes to, is a decision (integration-conflict). Every step
 * here can be repeated after a kill and ends the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitx.h"
#include "run_int.h"
#include "statusedit.h"
#include "util.h"

/* A name for a path or a branch: [A-Za-z0-9._-] kept, the rest '-'. */
static char *safe_name(const char *s)
{
	char *o = xstrdup(s);

	for (char *p = o; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			*p = '-';
	if (o[0] == '.' || o[0] == '-')
		o[0] = '_';
	return o;
}

int run__worktrees_init(struct run *r, const char *target)
{
	char *cause = NULL, *dir;
	int rc = 0;

	if (r->sp->isolation != ISOLATION_WORKTREE)
		return 0;
	if (target)
		r->target = xstrdup(target); /* journaled when the run started */
	else
		rc = gitx_current_branch(r->pj.root, &r->target, &cause);
	if (rc != 0) {
		if (rc == 1)
			fprintf(stderr,
				"automator: HEAD is detached in %s: isolation: worktree integrates "
				"each story into the branch checked out when the run starts; check "
				"one out first (git switch BRANCH)\n",
				r->pj.root);
		else
			fprintf(stderr, "automator: cannot tell the branch checked out: %s\n",
				cause);
		free(cause);
		return EXIT_UNAVAILABLE;
	}
	dir = r->sp->worktree_dir ? path_join(r->sp->root, r->sp->worktree_dir)
				  : path_join(r->pj.dir, "worktrees");
	for (size_t i = 0; i < r->n; i++) {
		struct rstory *s = &r->s[i];
		char *name = safe_name(s->cfg->id);

		s->worktree = xstrfmt("%s/%s", dir, name);
		free(name);
		name = safe_name(s->cfg->key ? s->cfg->key : s->cfg->id);
		s->branch = xstrfmt(
			"%s%s", r->sp->branch_prefix ? r->sp->branch_prefix : "automator/", name);
		free(name);
	}
	free(dir);
	return 0;
}

void run__clear_git_locks(struct run *r)
{
	struct strvec dirs = STRVEC_INIT, removed = STRVEC_INIT;
	char *cause = NULL, *wdir;
	int rc;

	strvec_push(&dirs, r->pj.root);
	wdir = r->sp->worktree_dir ? path_join(r->sp->root, r->sp->worktree_dir) : NULL;
	if (wdir)
		strvec_push(&dirs, wdir);
	rc = gitx_clear_stale_locks(r->pj.root, &dirs, &removed, &cause);
	if (rc < 0) {
		fprintf(stderr, "automator: warning: %s\n", cause);
		free(cause);
	} else if (rc == 1) {
		fprintf(stderr,
			"automator: a git works in the project now: its lock files, if any, "
			"are left as they are\n");
	} else if (rc == 0 && removed.n) {
		fprintf(stderr,
			"automator: removed %zu lock file%s a killed git left (no git runs in the "
			"project now):\n",
			removed.n, removed.n == 1 ? "" : "s");
		for (size_t i = 0; i < removed.n; i++)
			fprintf(stderr, "  %s\n", removed.v[i]);
	}
	free(wdir);
	strvec_release(&dirs);
	strvec_release(&removed);
}

const char *run__story_root(const struct run *r, const struct rstory *s)
{
	return s->worktree ? s->worktree : r->pj.root;
}

const char *run__status_rel(const struct run *r)
{
	size_t n = strlen(r->pj.root);

	if (!r->status_file || strncmp(r->status_file, r->pj.root, n) || r->status_file[n] != '/')
		return NULL;
	return r->status_file + n + 1;
}

char *run__story_status_file(const struct run *r, const struct rstory *s)
{
	/* the worktree's own copy, where the sprint-status is inside the project */
	if (s->worktree && run__status_rel(r))
		return path_join(s->worktree, run__status_rel(r));
	return r->status_file ? xstrdup(r->status_file) : NULL;
}

/* dir and the directories above it, as mkdir -p (0700 for those made). */
static int mkdir_parents(const char *dir)
{
	char *p = xstrdup(dir);
	int ret = 0;

	for (char *s = p + 1; *s && ret == 0; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			ret = -1;
		*s = '/';
	}
	if (ret == 0 && mkdir(p, 0700) < 0 && errno != EEXIST)
		ret = -1;
	free(p);
	return ret;
}

int run__worktree_ensure(struct run *r, struct rstory *s, char **cause)
{
	char *dir;
	int ret;

	if (!s->worktree || gitx_worktree_ready(s->worktree))
		return 0;
	dir = path_dirname(s->worktree);
	if (mkdir_parents(dir) < 0) {
		*cause = xstrfmt("cannot create '%s': %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	free(dir);
	ret = gitx_worktree_add(r->pj.root, s->worktree, s->branch,
				s->base_commit ? s->base_commit : r->target, cause);
	if (ret == 0) {
		crash_point("after-worktree-add");
		run__say(r, "%-6s works in %s on branch %s", s->cfg->id, s->worktree, s->branch);
	}
	return ret;
}

/*
 * integrate: none: the branches of s's dependencies that exist (their
 * work is there, not on the target), as refs, appended to out.
 */
static void dep_branches(struct run *r, const struct rstory *s, struct strvec *out)
{
	for (size_t j = 0; j < s->cfg->depends.n; j++) {
		const struct rstory *d = &r->s[s->cfg->dep_index[j]];
		char *ref, *sha = NULL, *why = NULL;

		if (!d->branch)
			continue;
		ref = xstrfmt("refs/heads/%s", d->branch);
		if (gitx_rev(r->pj.root, ref, &sha, &why) == 0)
			strvec_push(out, ref);
		free(ref);
		free(sha);
		free(why);
	}
}

char *run__story_base(struct run *r, struct rstory *s)
{
	struct strvec deps = STRVEC_INIT;
	char *base;

	if (r->sp->integrate == INTEGRATE_NONE)
		dep_branches(r, s, &deps);
	base = deps.n ? xstrdup(deps.v[0]) : xstrfmt("refs/heads/%s", r->target);
	strvec_release(&deps);
	return base;
}

bool run__begin_worktree(struct run *r, struct rstory *s)
{
	struct strvec deps = STRVEC_INIT;
	char *cause = NULL, *files = NULL;
	int rc = 0;

	if (!run__story_root_ready(r, s))
		return false;
	/* integrate: none: made from its first dependency's branch; the others merged in */
	if (r->sp->integrate == INTEGRATE_NONE)
		dep_branches(r, s, &deps);
	for (size_t i = 1; i < deps.n && rc == 0; i++) {
		rc = gitx_merge_in(s->worktree, deps.v[i], &files, &cause);
		if (rc == 1) {
			for (char *p = files; *p; p++)
				if (*p == '\n' && p[1])
					*p = ',';
			files[strcspn(files, "\n")] = '\0';
			free(s->note);
			s->note = xstrfmt("the branches of its dependencies conflict (integrate: "
					  "none): merging %s met a conflict in %s; merge them by "
					  "hand in %s, then retry",
					  deps.v[i] + strlen("refs/heads/"), files, s->worktree);
			free(files);
		} else if (rc < 0) {
			free(s->note);
			s->note = xstrfmt("cannot merge its dependency's branch %s: %s", deps.v[i],
					  cause);
			free(cause);
		}
	}
	strvec_release(&deps);
	if (rc != 0)
		run__queue(r, r->cur, SE_ERROR);
	return rc == 0;
}

bool run__story_root_ready(struct run *r, struct rstory *s)
{
	char *cause = NULL;

	if (run__worktree_ensure(r, s, &cause) == 0)
		return true;
	free(s->note);
	s->note = xstrfmt("cannot make the story's worktree: %s", cause);
	free(cause);
	run__queue(r, r->cur, SE_ERROR);
	return false;
}

/* The story's commit is on the target already (integrated before a kill). */
static bool on_target(struct run *r, const struct rstory *s)
{
	char *trailer = xstrfmt("%s/%s", r->id, s->cfg->id), *sha = NULL, *cause = NULL;
	bool found = gitx_find_trailer(r->pj.root, s->base_commit, "Automator-Story", trailer, &sha,
				       &cause) == 0;

	free(trailer);
	free(sha);
	free(cause);
	return found;
}

/*
 * The story's sprint-status value set to done in its worktree's copy,
 * which is the target's (just rebased onto tip) plus nothing, and
 * committed with the story: into its commit, or as a commit of its own
 * when the story committed nothing. Parallel stories never conflict on
 * the file: each edits one value of the target's latest version.
 */
static int status_into_commit(struct run *r, struct rstory *s, const char *tip, char **cause)
{
	const char *rel = run__status_rel(r);
	char *wsf, *trailer, *sha = NULL, *why = NULL, *msg;
	int rc;

	if (!rel)
		return 0;
	wsf = run__story_status_file(r, s);
	rc = statusedit_set_opt(wsf, s->cfg->key ? s->cfg->key : s->cfg->id, "done", false, cause);
	free(wsf);
	if (rc != 0)
		return rc == 1 ? 0 : -1; /* not listed: nothing to carry */
	if (gitx_is_dirty(s->worktree, rel) != 1)
		return 0; /* done there already (a kill after this) */
	trailer = xstrfmt("%s/%s", r->id, s->cfg->id);
	rc = gitx_find_trailer(s->worktree, tip, "Automator-Story", trailer, &sha, &why);
	free(why);
	free(sha);
	msg = rc == 0 ? NULL
		      : xstrfmt("%s: %s\n\nAutomator-Story: %s\n", s->cfg->id, s->cfg->title,
				trailer);
	rc = gitx_commit_path(s->worktree, rel, msg, cause);
	free(msg);
	free(trailer);
	return rc;
}

/* A conflict or a refusal: the story's note names the files, and the decision is asked. */
static int conflict(struct run *r, struct rstory *s, const char *what, char *files)
{
	for (char *p = files; *p; p++)
		if (*p == '\n' && p[1])
			*p = ',';
	files[strcspn(files, "\n")] = '\0';
	free(s->note);
	s->note = xstrfmt("%s: %s (branch %s, worktree %s)", what, files, s->branch, s->worktree);
	free(files);
	run__queue(r, r->cur, SE_CONFLICT);
	return 0;
}

static int integrate_error(struct run *r, struct rstory *s, const char *what, char *cause)
{
	free(s->note);
	s->note = xstrfmt("%s: %s", what, cause ? cause : "unknown error");
	free(cause);
	run__queue(r, r->cur, SE_ERROR);
	return 0;
}

/*
 * The worktree as an integration wants it: its sprint-status edits dropped
 * (they reach the target as MARK_DONE's value edit), anything else the
 * story's commit did not take kept in the repository's stash.
 */
static void tidy_worktree(struct run *r, struct rstory *s)
{
	char *cause = NULL, *msg;

	if (run__status_rel(r) && gitx_discard(s->worktree, run__status_rel(r), &cause) < 0) {
		free(cause);
		cause = NULL;
	}
	msg = xstrfmt("automator %s/%s: left uncommitted at integration", r->id, s->cfg->id);
	if (gitx_stash_all(s->worktree, msg, &cause) < 0) {
		run__say(r, "%-6s warning: %s", s->cfg->id, cause);
		free(cause);
	}
	free(msg);
}

/* The target branch's last commit: 0 with *tip, or -1 with *cause. */
static int target_tip(struct run *r, char **tip, char **cause)
{
	char *ref = xstrfmt("refs/heads/%s", r->target);
	int rc = gitx_rev(r->pj.root, ref, tip, cause);

	free(ref);
	if (rc == 1) {
		*cause = xstrfmt("the branch %s is gone", r->target);
		return -1;
	}
	return rc;
}

/*
 * The story's branch onto tip in its worktree (rebase, or a merge commit),
 * then its status into that commit. 0 with *head the commit the target is
 * to move to; otherwise the event queued.
 */
static int integrate_commit(struct run *r, struct rstory *s, const char *tip, char **head)
{
	bool merge = r->sp->integrate == INTEGRATE_MERGE;
	char *cause = NULL, *files = NULL;
	int rc;

	if (merge) {
		char *msg = xstrfmt("Merge %s: %s", s->cfg->id, s->cfg->title);

		rc = gitx_merge_onto(s->worktree, tip, s->branch, msg, &files, &cause);
		free(msg);
	} else {
		rc = gitx_rebase_onto(s->worktree, tip, &files, &cause);
	}
	if (rc == 1) {
		conflict(r, s,
			 merge ? "merging into the target met a conflict in"
			       : "rebasing onto the target met a conflict in",
			 files);
		return 1;
	}
	if (rc < 0) {
		integrate_error(r, s, "cannot rebase the story's branch", cause);
		return 1;
	}
	/*
	 * The status goes into a commit the branch does not get: a kill before
	 * the fast-forward leaves the branch without it, so that the next try
	 * rebases no sprint-status text onto a target that moved.
	 */
	if (!merge && gitx_detach(s->worktree, &cause) < 0) {
		integrate_error(r, s, "cannot detach the worktree's HEAD", cause);
		return 1;
	}
	if (status_into_commit(r, s, tip, &cause) < 0 ||
	    gitx_rev(s->worktree, "HEAD", head, &cause) != 0) {
		integrate_error(r, s, "cannot set the story's status in its commit", cause);
		return 1;
	}
	crash_point("before-fast-forward");
	return 0;
}

/*
 * The story's worktree there and on its branch, as an integration starts:
 * a rebase or merge a kill interrupted undone first (its files are no
 * leftovers), then tidied. 0, or 1 with ERROR queued.
 */
static int on_branch(struct run *r, struct rstory *s)
{
	char *cause = NULL;

	if (run__worktree_ensure(r, s, &cause) < 0) {
		integrate_error(r, s, "cannot make the story's worktree again", cause);
		return 1;
	}
	gitx_abort_ops(s->worktree);
	tidy_worktree(r, s);
	if (gitx_worktree_reset(s->worktree, s->branch, &cause) < 0) {
		integrate_error(r, s, "cannot put the worktree back on its branch", cause);
		return 1;
	}
	return 0;
}

/* The story's worktree removed, and its branch when given; a failure is a warning. */
static void drop(struct run *r, struct rstory *s, const char *branch)
{
	char *cause = NULL;

	if (gitx_worktree_drop(r->pj.root, s->worktree, branch, &cause) < 0) {
		run__say(r, "%-6s warning: cannot remove %s: %s", s->cfg->id, s->worktree, cause);
		free(cause);
	}
}

/*
 * integrate: none: the story's branch is left for the user as its commit
 * made it; the target, the project's tree and its sprint-status stay as
 * they are (a status line in each branch would make branches that touch
 * neighbouring lines conflict). Its worktree goes (keep_branches keeps it).
 */
static int integrate_none(struct run *r, struct rstory *s)
{
	if (on_branch(r, s) != 0)
		return 0;
	crash_point("before-worktree-drop");
	if (!r->sp->keep_branches)
		drop(r, s, NULL);
	run__say(r, "%-6s is on branch %s, not integrated (integrate: none)", s->cfg->id,
		 s->branch);
	run__queue(r, r->cur, SE_INTEGRATED);
	return 0;
}

/*
 * The project's own sprint-status says done: its value, edited here and not
 * by MARK_DONE, so that the loop never reads the file while the next
 * integration's fast-forward rewrites it. Usually done already: the
 * fast-forward brought the story's status commit.
 */
static void status_done(struct run *r, struct rstory *s)
{
	char *cause = NULL;
	int rc;

	if (!r->status_file)
		return;
	rc = statusedit_set_opt(r->status_file, s->cfg->key ? s->cfg->key : s->cfg->id, "done",
				false, &cause);
	if (rc < 0)
		run__say(r, "%-6s cannot set sprint-status to done: %s", s->cfg->id, cause);
	else if (rc == 1)
		run__say(r, "%-6s is not in %s: its status there is not set", s->cfg->id,
			 r->status_file);
	free(cause);
}

int run__integrate_now(struct run *r)
{
	struct rstory *s = run__cur(r);
	char *cause = NULL, *files = NULL, *tip = NULL, *head = NULL;
	int rc;

	if (r->sp->integrate == INTEGRATE_NONE)
		return integrate_none(r, s);
	if ((access(s->worktree, F_OK) < 0 || r->sp->keep_branches) && on_target(r, s))
		goto tidied; /* integrated, its worktree removed, before a kill */
	/* an integration a kill interrupted starts again from the story's branch */
	if (on_branch(r, s) != 0)
		return 0;
	if (target_tip(r, &tip, &cause) < 0)
		return integrate_error(r, s, "cannot read the target branch", cause);
	crash_point("in-integration");
	rc = integrate_commit(r, s, tip, &head);
	free(tip);
	if (rc != 0)
		return 0; /* a conflict or an error, queued */
	rc = gitx_fast_forward(r->pj.root, r->target, head, &files, &cause);
	free(head);
	if (rc == 1)
		return conflict(r, s, "fast-forwarding would overwrite your uncommitted changes to",
				files);
	if (rc < 0)
		return integrate_error(r, s, "cannot fast-forward the target branch", cause);
	crash_point("before-worktree-drop");
tidied:
	/* the branch too: a kill may have come between the two (keep_branches: listed) */
	if (!r->sp->keep_branches)
		drop(r, s, s->branch);
	status_done(r, s);
	run__queue(r, r->cur, SE_INTEGRATED);
	return 0;
}

/*
 * "Let an agent resolve it": the integration started again in the
 * worktree and left stopped at its conflict, then the resolve session
 * (the step index was set to it), the workflow's verify steps and the
 * integration once more. Repeatable: one under way is left as it is.
 */
int run__a_resolve_conflict(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);
	char *cause = NULL, *files = NULL, *tip = NULL, *left = NULL;
	int rc;

	if (run__worktree_ensure(r, s, &cause) < 0)
		return integrate_error(r, s, "cannot make the story's worktree again", cause);
	if (gitx_conflict_left(s->worktree, &left) == 0)
		tidy_worktree(r, s);
	free(left);
	if (target_tip(r, &tip, &cause) < 0)
		return integrate_error(r, s, "cannot read the target branch", cause);
	rc = gitx_conflict_start(s->worktree, s->branch, tip, r->sp->integrate == INTEGRATE_MERGE,
				 &files, &cause);
	free(tip);
	if (rc < 0)
		return integrate_error(r, s, "cannot start the integration again", cause);
	if (rc == 0)
		run__say(r, "%-6s the integration applies cleanly now: nothing to resolve",
			 s->cfg->id);
	else
		run__say(r, "%-6s an agent resolves the conflict in %s", s->cfg->id,
			 files && *files ? files : "its worktree");
	free(files);
	run__queue_step(r, s);
	return 0;
}

void run__print_kept(const struct run *r)
{
	bool head = false;

	for (size_t i = 0; i < r->n; i++) {
		const struct rstory *s = &r->s[i];
		/* integrate: none: a done story's work is on its branch alone */
		bool left = s->state == SS_DONE && r->sp->integrate == INTEGRATE_NONE;
		bool wt;

		if (!s->worktree || s->outside || s->state == SS_PENDING)
			continue;
		wt = access(s->worktree, F_OK) == 0;
		if (!(wt && (s->state != SS_DONE || r->sp->keep_branches)) && !left)
			continue;
		if (!head)
			printf("\nkept for you (git worktree remove, git branch -D when done):\n");
		head = true;
		printf("  %-8s branch %s%s%s%s\n", s->cfg->id, s->branch, wt ? " in " : "",
		       wt ? s->worktree : "", left ? " (not integrated: integrate: none)" : "");
	}
}

bool run__g_isolated(void *ctx)
{
	struct run *r = ctx;

	return run__cur(r)->worktree != NULL;
}

/*
 * The open decision is about the integration: the story's steps are done
 * (its step index says so, journaled), so a retry integrates again.
 */
bool run__g_integrating(void *ctx)
{
	struct run *r = ctx;
	const struct rstory *s = run__cur(r);

	return s->worktree && !run__cur_step(r, s);
}
