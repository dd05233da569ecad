/* SPDX-License-Identifier: MIT */
/*
 * run_steps.c: the actions that run a story's step: start (or re-attach)
 * its agent session, run its verifier, make its commit. Each queues the
 * event its outcome means; none judges a session (run_session.c) or
 * decides what comes next (the fsm tables).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "fsm.h"
#include "gitx.h"
#include "run_int.h"
#include "statusedit.h"
#include "store.h"
#include "template.h"
#include "tmx.h"
#include "util.h"
#include "verify.h"

static void verify_ctx_fill(struct run *r, struct rstory *s, struct verify_ctx *vc, struct tvars *v,
			    char *num[2])
{
	run__fill_vars(r, s, v, num);
	memset(vc, 0, sizeof(*vc));
	vc->root = run__story_root(r, s);
	/* freed by verify_ctx_done */
	vc->status_file = run__story_status_file(r, s);
	vc->story = s->cfg;
	vc->step = run__cur_step(r, s) ? run__cur_step(r, s)->name : "";
	vc->cycle = s->cycle;
	vc->attempt = s->attempt;
	vc->exit_status = s->sess && s->sess->exited ? s->sess->exit.status : 0;
	vc->exit_signal = s->sess && s->sess->exited ? s->sess->exit.signal : 0;
	vc->vars = v;
	vc->timeout_ms = 10 * 60 * 1000;
	vc->contract = r->has_contract ? &r->contract : NULL;
}

static void verify_ctx_done(struct verify_ctx *vc)
{
	free((char *)vc->status_file);
	vc->status_file = NULL;
}

/* A session row exists for the story's current step attempt. */
static bool attempt_recorded(struct run *r, const struct rstory *s, const struct step *st)
{
	struct store_session old;

	if (store_session_get(r->st, r->id, s->cfg->id, st->name, s->attempt, &old, NULL) != 0)
		return false;
	store_session_release(&old);
	return true;
}

/*
 * Whether session ss (recorded, not marked spawned) left a trace of running:
 * its tmux session, its log (the runner makes it) or its exit record. None:
 * it was never started.
 */
static bool session_left_trace(struct run *r, const struct session *ss)
{
	struct stat st;
	char *cause = NULL;
	int alive = tmx_has_session(&r->tmx, ss->name, &cause);

	free(cause);
	return alive == 1 || stat(ss->log_path, &st) == 0 || stat(ss->exit_path, &st) == 0;
}

int run__a_run_session(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);
	const struct step *st = run__cur_step(r, s);
	struct store_session row = { 0 };
	struct session *ss;
	char *cause = NULL;
	int64_t id = 0;
	int ret;

	if (!run__story_root_ready(r, s))
		return 0;
	run__session_free(s->sess);
	s->sess = NULL;
	/* skip_if_verified: the step's work is already there (a story file, say) */
	if (st->skip_if_artifact && st->verifier.kind != VERIFIER_NONE) {
		struct verify_result res = { 0 };
		struct verify_ctx vc;
		struct tvars v;
		char *num[2], *why = NULL;
		bool done;

		verify_ctx_fill(r, s, &vc, &v, num);
		done = verify_run(&st->verifier, &vc, &res, &why) == 0 && res.verified;
		verify_ctx_done(&vc);
		verify_result_release(&res);
		free(why);
		free(num[0]);
		free(num[1]);
		if (done) {
			run__say(r, "%-6s step %s skipped: its verifier already passes", s->cfg->id,
				 st->name);
			run__queue(r, run__story_index(r, s), SE_VERIFIED);
			return 0;
		}
	}
	/*
	 * A held agent preset or a spent budget: no session starts. Only for a
	 * fresh attempt: one spawned before (a resume) is re-attached below.
	 */
	if (!attempt_recorded(r, s, st) && run__session_blocked(r, s))
		return 0;
	s->sess = ss = run__session_new(r, s);
	row.run_id = r->id;
	row.story_id = s->cfg->id;
	row.step = st->name;
	row.attempt = s->attempt;
	row.tmux_name = ss->name;
	row.log_path = ss->log_path;
	ret = store_session_add(r->st, &row, &id, &cause);
	if (ret < 0) {
		run__fail_fatal(r, "cannot record the session", cause);
		return -1;
	}
	if (ret == 1) {
		/* resumed: this attempt was spawned before; never spawn it twice */
		struct store_session old;
		bool spawned = true;

		if (store_session_get(r->st, r->id, s->cfg->id, st->name, s->attempt, &old, NULL) ==
		    0) {
			ss->id = old.id;
			ss->offset = old.log_offset;
			spawned = old.spawned_at != NULL;
			store_session_release(&old);
		}
		if (spawned || session_left_trace(r, ss)) {
			run__open_log(ss);
			run__session_watch(r, ss, 0);
			run__activate(r, s);
			run__say(r, "%-6s re-attached %s (log offset %lld)", s->cfg->id, ss->name,
				 (long long)ss->offset);
			/* the judge needs the output it has not seen: replay from the start */
			ss->offset = 0;
			return 0;
		}
		/* recorded, then killed before tmux had it: it never ran */
		run__say(r, "%-6s %s was recorded but never started: starting it", s->cfg->id,
			 ss->name);
		id = ss->id;
	}
	ss->id = id;
	crash_point("before-spawn");
	if (run__session_spawn(r, s, ss, &cause) < 0) {
		free(s->note);
		s->note = cause;
		ss->ended = true;
		run__queue(r, run__story_index(r, s), SE_SPAWN_FAILED);
		return 0;
	}
	if (store_session_set_spawned(r->st, ss->id, &cause) < 0) {
		run__fail_fatal(r, "cannot record the session's start", cause);
		return -1;
	}
	crash_point("after-spawn");
	return 0;
}

/* Runs the current step's verifier and queues VERIFIED or NOT_VERIFIED. */
static int run_verifier(struct run *r)
{
	struct rstory *s = run__cur(r);
	const struct step *st = run__cur_step(r, s);
	struct verify_result res = { 0 };
	struct verify_ctx vc;
	struct tvars v;
	char *num[2], *cause = NULL;
	int ev;

	if (!run__story_root_ready(r, s))
		return 0;
	if (!st || st->verifier.kind == VERIFIER_NONE) {
		run__queue(r, r->cur, SE_VERIFIED);
		return 0;
	}
	verify_ctx_fill(r, s, &vc, &v, num);
	if (verify_run(&st->verifier, &vc, &res, &cause) < 0) {
		/* the check could not be made at all: not a verdict on the work */
		free(s->note);
		s->note = xstrfmt("the %s verifier could not run: %s", st->name, cause);
		free(cause);
		ev = SE_ERROR;
	} else {
		ev = res.verified ? SE_VERIFIED : SE_NOT_VERIFIED;
		if (!res.verified) {
			free(s->note);
			s->note = xstrfmt("not verified (%s): %s", res.source ? res.source : "-",
					  res.reason ? res.reason : "-");
		}
	}
	verify_ctx_done(&vc);
	verify_result_release(&res);
	free(num[0]);
	free(num[1]);
	run__queue(r, r->cur, ev);
	return 0;
}

int run__a_verify_step(void *ctx)
{
	return run_verifier(ctx);
}

int run__a_run_verify(void *ctx)
{
	crash_point("before-verify");
	return run_verifier(ctx);
}

/*
 * A story in its own worktree commits no sprint-status change here: its
 * value is set to done on the target's version at integration
 * (run_worktree.c), so parallel stories never conflict on that file.
 */
static void drop_status_file(struct run *r, struct strvec *paths)
{
	const char *rel = run__status_rel(r);
	size_t k = 0;

	if (!rel)
		return;
	for (size_t i = 0; i < paths->n; i++) {
		if (!strcmp(paths->v[i], rel))
			free(paths->v[i]);
		else
			paths->v[k++] = paths->v[i];
	}
	paths->n = k;
}

int run__a_run_commit(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);
	const struct step *st = run__cur_step(r, s);
	struct strvec paths = STRVEC_INIT;
	char *trailer = xstrfmt("%s/%s", r->id, s->cfg->id), *sha = NULL, *cause = NULL;
	char *msg, *num[2], *body;
	struct tvars v;
	const char *root = run__story_root(r, s);
	int ret;

	if (!run__story_root_ready(r, s)) {
		free(trailer);
		return 0;
	}
	/* idempotent: a commit made before a crash is found by its trailer */
	if (gitx_find_trailer(root, s->base_commit, "Automator-Story", trailer, &sha, &cause) ==
	    0) {
		run__say(r, "%-6s already committed as %.7s", s->cfg->id, sha);
		/* killed between the commit and the index update: finish that */
		if (gitx_sync_index(root, sha, &cause) < 0) {
			run__say(r, "warning: cannot update the index after %.12s: %s", sha, cause);
			free(cause);
		}
		free(sha);
		free(trailer);
		run__queue(r, r->cur, SE_COMMITTED);
		return 0;
	}
	free(cause); /* no commit found, or git could not tell: commit (again) */
	cause = NULL;
	if (gitx_story_paths(root, &s->snapshot, &paths, &cause) < 0) {
		free(s->note);
		s->note = xstrfmt("cannot list the story's changes: %s", cause);
		free(cause);
		free(trailer);
		run__queue(r, r->cur, SE_ERROR);
		return 0;
	}
	if (s->worktree)
		drop_status_file(r, &paths);
	run__fill_vars(r, s, &v, num);
	body = template_render(st->message ? st->message : "{story.id}: {story.title}", &v);
	msg = xstrfmt("%s\n\nAutomator-Story: %s\n", body, trailer);
	free(body);
	free(num[0]);
	free(num[1]);
	ret = paths.n ? gitx_commit(root, &paths, msg, &sha, &cause) : 1;
	if (ret < 0) {
		free(s->note);
		s->note = cause;
		run__queue(r, r->cur, SE_COMMIT_FAILED);
	} else if (ret == 1) {
		run__say(r, "%-6s nothing to commit", s->cfg->id);
		run__queue(r, r->cur, SE_COMMITTED);
	} else {
		run__say(r, "%-6s committed %.7s (%zu file%s)", s->cfg->id, sha, paths.n,
			 paths.n == 1 ? "" : "s");
		crash_point("after-commit");
		run__queue(r, r->cur, SE_COMMITTED);
	}
	free(sha);
	free(msg);
	free(trailer);
	strvec_release(&paths);
	return 0;
}
