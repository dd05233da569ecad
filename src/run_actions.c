/*
 * run_actions.c: the fsm tables' guards and actions bound to real side
 * effects (sessions, verifiers, git, sprint-status, the marker).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bmad.h"
#include "bmadinstall.h"
#include "clock.h"
#include "config.h"
#include "fsm.h"
#include "gitx.h"
#include "judge.h"
#include "notify.h"
#include "preflight.h"
#include "project.h"
#include "run.h"
#include "run_int.h"
#include "runner.h"
#include "statusedit.h"
#include "storykey.h"
#include "store.h"
#include "template.h"
#include "tmx.h"
#include "util.h"
#include "verify.h"

static bool g_retries_left(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);

	return s->retries_used < run__step_retries(r, run__cur_step(r, s));
}

static bool g_crash_retries_left(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);

	return s->crash_retries_used < run__step_retries(r, run__cur_step(r, s));
}

static bool g_cycles_left(void *ctx)
{
	struct run *r = ctx;

	return run__cur(r)->cycle < r->sp->limits.review_cycles;
}

static bool g_restarts_left(void *ctx)
{
	struct run *r = ctx;

	return run__cur(r)->crash_retries_used < r->sp->limits.crash_retries;
}

static bool g_has_dependents(void *ctx)
{
	struct run *r = ctx;
	size_t me = (size_t)r->cur;

	for (size_t i = 0; i < r->n; i++)
		for (size_t j = 0; j < r->s[i].cfg->depends.n; j++)
			if (r->s[i].cfg->dep_index[j] == me && !run__story_final(&r->s[i]))
				return true;
	return false;
}

static bool g_is_review_step(void *ctx)
{
	struct run *r = ctx;
	const struct step *st = run__cur_step(r, run__cur(r));

	return st && st->kind == STEP_REVIEW;
}

static bool g_more_critical(void *ctx)
{
	struct run *r = ctx;

	for (size_t i = 0; i < r->n; i++)
		if (r->s[i].esc_id && r->s[i].esc_critical)
			return true;
	return false;
}

static int a_begin_story(void *ctx)
{
	struct run *r = ctx;

	run__queue_step(r, run__cur(r));
	return 0;
}

static void verify_ctx_fill(struct run *r, struct rstory *s, struct verify_ctx *vc, struct tvars *v,
			    char *num[2])
{
	run__fill_vars(r, s, v, num);
	memset(vc, 0, sizeof(*vc));
	vc->root = r->pj.root;
	vc->status_file = r->status_file;
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
 * its tmux session or its exit record. None: it was never started.
 */
static bool session_left_trace(struct run *r, const struct session *ss)
{
	struct stat st;
	char *cause = NULL;
	int alive = tmx_has_session(&r->tmx, ss->name, &cause);

	free(cause);
	return alive == 1 || stat(ss->exit_path, &st) == 0;
}

static int a_run_session(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);
	const struct step *st = run__cur_step(r, s);
	struct store_session row = { 0 };
	struct session *ss;
	char *cause = NULL;
	int64_t id = 0;
	int ret;

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
	verify_result_release(&res);
	free(num[0]);
	free(num[1]);
	run__queue(r, r->cur, ev);
	return 0;
}

static int a_verify_step(void *ctx)
{
	return run_verifier(ctx);
}

static int a_run_verify(void *ctx)
{
	crash_point("before-verify");
	return run_verifier(ctx);
}

static int a_run_commit(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);
	const struct step *st = run__cur_step(r, s);
	struct strvec paths = STRVEC_INIT;
	char *trailer = xstrfmt("%s/%s", r->id, s->cfg->id), *sha = NULL, *cause = NULL;
	char *msg, *num[2], *body;
	struct tvars v;
	int ret;

	/* idempotent: a commit made before a crash is found by its trailer */
	if (gitx_find_trailer(r->pj.root, s->base_commit, "Automator-Story", trailer, &sha,
			      &cause) == 0) {
		run__say(r, "%-6s already committed as %.12s", s->cfg->id, sha);
		/* killed between the commit and the index update: finish that */
		if (gitx_sync_index(r->pj.root, sha, &cause) < 0) {
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
	if (gitx_story_paths(r->pj.root, &s->snapshot, &paths, &cause) < 0) {
		free(s->note);
		s->note = xstrfmt("cannot list the story's changes: %s", cause);
		free(cause);
		free(trailer);
		run__queue(r, r->cur, SE_ERROR);
		return 0;
	}
	run__fill_vars(r, s, &v, num);
	body = template_render(st->message ? st->message : "{story.id}: {story.title}", &v);
	msg = xstrfmt("%s\n\nAutomator-Story: %s\n", body, trailer);
	free(body);
	free(num[0]);
	free(num[1]);
	ret = paths.n ? gitx_commit(r->pj.root, &paths, msg, &sha, &cause) : 1;
	if (ret < 0) {
		free(s->note);
		s->note = cause;
		run__queue(r, r->cur, SE_COMMIT_FAILED);
	} else if (ret == 1) {
		run__say(r, "%-6s nothing to commit", s->cfg->id);
		run__queue(r, r->cur, SE_COMMITTED);
	} else {
		run__say(r, "%-6s committed %.12s (%zu file%s)", s->cfg->id, sha, paths.n,
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

static int a_requeue_step(void *ctx)
{
	struct run *r = ctx;

	run__queue_step(r, run__cur(r));
	return 0;
}

static int a_restart_step(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);

	if (s->sess)
		run__kill_session(r, s->sess->name);
	run__queue_step(r, s);
	return 0;
}

static int a_resume_session(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);

	/* what was typed counts as activity: the prompt must be quiet again to count */
	if (s->sess) {
		s->sess->waiting_reported = false;
		s->sess->last_output_ms = clock_now_ms();
	}
	return 0;
}

static int a_fallback_retry(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);
	const struct agent *a = agents_find(r->sp->agents, s->agent);

	if (a && a->fallback)
		s->agent = agents_find(r->sp->agents, a->fallback)->name;
	run__queue_step(r, s);
	return 0;
}

void run__check_all_final(struct run *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (!run__story_final(&r->s[i]))
			return;
	run__queue(r, -1, RE_ALL_FINAL);
}

static int a_mark_done(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);
	char *cause = NULL;
	int rc;

	crash_point("before-status-done");
	/* by the full key: a short id two stories share names neither */
	rc = r->status_file ? statusedit_set(r->status_file, s->cfg->key ? s->cfg->key : s->cfg->id,
					     "done", &cause)
			    : 0;
	if (rc == 0 && r->status_file)
		run__status_edited(r);
	if (rc < 0) {
		run__say(r, "%-6s cannot set sprint-status to done: %s", s->cfg->id, cause);
		free(cause);
	} else if (rc == 1) {
		run__say(r, "%-6s is not in %s: its status there is not set", s->cfg->id,
			 r->status_file);
	}
	run__session_free(s->sess);
	s->sess = NULL;
	run__check_all_final(r);
	return 0;
}

static int a_close_story(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);

	if (s->sess) {
		run__kill_session(r, s->sess->name);
		run__session_free(s->sess);
		s->sess = NULL;
	}
	run__check_all_final(r);
	return 0;
}

#define ESCALATION(fn, key, crit)              \
	static int fn(void *ctx)               \
	{                                      \
		run__escalate(ctx, key, crit); \
		return 0;                      \
	}

ESCALATION(a_esc_cannot_parse, "cannot-parse-output", false)
ESCALATION(a_esc_spawn_failure, "session-spawn-failure", true)
ESCALATION(a_esc_impl_failure, "dev-implementation-failure", false)
ESCALATION(a_esc_impl_blocking, "dev-implementation-failure", true)
ESCALATION(a_esc_review_loop, "code-review-loop-exceeded", true)
ESCALATION(a_esc_incomplete, "session-incomplete", true)
ESCALATION(a_esc_commit_failure, "git-commit-failure", true)
ESCALATION(a_esc_needs_input, "agent-needs-input", false)
ESCALATION(a_esc_restart_loop, "restart-loop", true)
ESCALATION(a_esc_lost, "session-lost", true)
ESCALATION(a_esc_unavailable, "agent-unavailable", true)
ESCALATION(a_esc_usage_limit, "usage-limit", false)
ESCALATION(a_esc_denied, "agent-permission-denied", false)
ESCALATION(a_esc_budget, "budget-exceeded", false)
ESCALATION(a_esc_unexpected, "unexpected-error", true)

/* ---- run actions ---- */

void run__write_marker(struct run *r)
{
	struct marker m = { 0 };
	char *cause = NULL;
	int remaining = 0;
	const char *current = NULL;

	for (size_t i = 0; i < r->n; i++) {
		if (!run__story_final(&r->s[i]))
			remaining++;
		if (!current && run__story_busy(&r->s[i]))
			current = r->s[i].cfg->id;
	}
	m.epic = r->n ? r->s[0].cfg->epic : NULL;
	m.current_story = current;
	m.stories_remaining = remaining;
	m.state_file = r->pj.db;
	m.started_at = r->started_wall;
	m.heartbeat = clock_wall();
	m.pid = (long)getpid();
	m.project_slug = r->pj.slug;
	if (project_marker_write(&r->pj, &m, &cause) < 0) {
		run__say(r, "warning: %s", cause);
		free(cause);
	}
	r->last_heartbeat = clock_now_ms();
}

static int a_prepare(void *ctx)
{
	(void)ctx;
	return 0;
}

static int a_create_marker(void *ctx)
{
	run__write_marker(ctx);
	/* nothing to do at all (every story selected out): the run is over */
	run__check_all_final(ctx);
	return 0;
}

static int a_pause(void *ctx)
{
	struct run *r = ctx;

	project_marker_remove(&r->pj);
	run__say(r, "run paused: a decision is needed (marker removed)");
	return 0;
}

static int a_unpause(void *ctx)
{
	run__write_marker(ctx);
	return 0;
}

static int a_finalize(void *ctx)
{
	struct run *r = ctx;

	project_marker_remove(&r->pj);
	run__queue(r, -1, RE_FINALIZED);
	return 0;
}

static int a_abort_run(void *ctx)
{
	struct run *r = ctx;

	for (size_t i = 0; i < r->n; i++)
		if (r->s[i].sess)
			run__kill_session(r, r->s[i].sess->name);
	project_marker_remove(&r->pj);
	return 0;
}

static const fsm_guard_fn story_guards[SG__COUNT] = {
	[SG_RETRIES_LEFT] = g_retries_left,     [SG_CRASH_RETRIES_LEFT] = g_crash_retries_left,
	[SG_CYCLES_LEFT] = g_cycles_left,       [SG_RESTARTS_LEFT] = g_restarts_left,
	[SG_HAS_DEPENDENTS] = g_has_dependents, [SG_IS_REVIEW_STEP] = g_is_review_step,
	[SG_WAIT_LEFT] = run__g_wait_left,
};

const fsm_action_fn run__story_actions[SA__COUNT] = {
	[SA_BEGIN_STORY] = a_begin_story,
	[SA_RUN_SESSION] = a_run_session,
	[SA_RUN_COMMIT] = a_run_commit,
	[SA_RUN_VERIFY] = a_run_verify,
	[SA_VERIFY_STEP] = a_verify_step,
	[SA_NEXT_STEP] = a_requeue_step,
	[SA_RETRY_STEP] = a_requeue_step,
	[SA_NEW_CYCLE] = a_requeue_step,
	[SA_RESTART_STEP] = a_restart_step,
	[SA_WAIT] = run__a_wait,
	[SA_BACKOFF_RETRY] = run__a_backoff_retry,
	[SA_RESUME_STEP] = run__a_resume_step,
	[SA_RAISE_BUDGET] = run__a_raise_budget,
	[SA_RESUME_SESSION] = a_resume_session,
	[SA_FALLBACK_RETRY] = a_fallback_retry,
	[SA_MARK_DONE] = a_mark_done,
	[SA_CLOSE_STORY] = a_close_story,
	[SA_ESCALATE_CANNOT_PARSE] = a_esc_cannot_parse,
	[SA_ESCALATE_SPAWN_FAILURE] = a_esc_spawn_failure,
	[SA_ESCALATE_IMPL_FAILURE] = a_esc_impl_failure,
	[SA_ESCALATE_IMPL_BLOCKING] = a_esc_impl_blocking,
	[SA_ESCALATE_REVIEW_LOOP] = a_esc_review_loop,
	[SA_ESCALATE_INCOMPLETE] = a_esc_incomplete,
	[SA_ESCALATE_COMMIT_FAILURE] = a_esc_commit_failure,
	[SA_ESCALATE_NEEDS_INPUT] = a_esc_needs_input,
	[SA_ESCALATE_RESTART_LOOP] = a_esc_restart_loop,
	[SA_ESCALATE_LOST] = a_esc_lost,
	[SA_ESCALATE_UNAVAILABLE] = a_esc_unavailable,
	[SA_ESCALATE_USAGE_LIMIT] = a_esc_usage_limit,
	[SA_ESCALATE_DENIED] = a_esc_denied,
	[SA_ESCALATE_BUDGET] = a_esc_budget,
	[SA_ESCALATE_UNEXPECTED] = a_esc_unexpected,
};

static const fsm_guard_fn run_guards[RG__COUNT] = {
	[RG_MORE_CRITICAL] = g_more_critical,
};

static const fsm_action_fn run_actions[RA__COUNT] = {
	[RA_PREPARE] = a_prepare,
	[RA_CREATE_MARKER] = a_create_marker,
	[RA_PAUSE] = a_pause,
	[RA_UNPAUSE] = a_unpause,
	[RA_REATTACH] = run__a_reattach,
	[RA_FINALIZE] = a_finalize,
	[RA_ABORT_RUN] = a_abort_run,
};

const struct fsm_impl run__story_impl = { story_guards, run__story_actions };

const struct fsm_impl run__run_impl = { run_guards, run_actions };
