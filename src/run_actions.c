/* SPDX-License-Identifier: MIT */
/*
 * run_actions.c: the fsm tables' guards and actions bound to real side
 * effects (sprint-status, the marker, escalations); the actions that run
 * a step (a session, a verifier, the commit) are in run_steps.c.
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

/*
 * A restart that waits its cooldown first: the budget has one left (by the
 * step's crash retries and the sprint's restarts both) and the story was
 * restarted before without working restart_reset_after since.
 */
static bool g_cooldown(void *ctx)
{
	struct run *r = ctx;
	const struct rstory *s = run__cur(r);

	return r->sp->limits.restart_cooldown > 0 && s->crash_retries_used >= 1 &&
	       g_crash_retries_left(ctx) && g_restarts_left(ctx);
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
	struct rstory *s = run__cur(r);

	if (run__begin_worktree(r, s))
		run__queue_step(r, s);
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

/* The counter is journaled with the transition (story_pre_effect); nothing else to do. */
static int a_reset_restarts(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);

	run__say(r, "%-6s worked %lds since its restart: the restart budget is whole again",
		 s->cfg->id, r->sp->limits.restart_reset_after);
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
	/* synced once the loop has nothing else to do: stories ending together wait for no disk */
	/*
	 * A worktree's story: its integration set the value (integrate: none
	 * leaves the target and its sprint-status to the user)
	 */
	rc = r->status_file && !s->worktree
		     ? statusedit_set_opt(r->status_file, s->cfg->key ? s->cfg->key : s->cfg->id,
					  "done", false, &cause)
		     : 0;
	if (rc == 0 && r->status_file) {
		run__status_edited(r);
		r->status_sync_due = true;
	}
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
ESCALATION(a_esc_conflict, "integration-conflict", false)
ESCALATION(a_esc_needs_input, "agent-needs-input", false)
ESCALATION(a_esc_lost, "session-lost", true)
ESCALATION(a_esc_unavailable, "agent-unavailable", true)
ESCALATION(a_esc_usage_limit, "usage-limit", false)
ESCALATION(a_esc_denied, "agent-permission-denied", false)
ESCALATION(a_esc_budget, "budget-exceeded", false)
ESCALATION(a_esc_unexpected, "unexpected-error", true)

/*
 * restart-loop with its evidence: each attempt of the step (when it
 * started and ended, its exit, the last lines of its log) and what was
 * done after it, under the reason the last one was stopped.
 */
static int a_esc_restart_loop(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);
	const struct step *st = run__cur_step(r, s);
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s\nattempts of step %s:", s->note ? s->note : "stalled",
		 st ? st->name : "-");
	for (int a = 1; st && a <= s->attempt; a++) {
		struct store_session ss;
		char *tail;

		if (store_session_get(r->st, r->id, s->cfg->id, st->name, a, &ss, NULL) != 0)
			continue;
		buf_addf(&b, "\n  #%d %s, started %s, ended %s, ", a,
			 ss.tmux_name ? ss.tmux_name : "-", ss.started_at ? ss.started_at : "-",
			 ss.ended_at ? ss.ended_at : "-");
		if (ss.exit_signal)
			buf_addf(&b, "signal %d", ss.exit_signal);
		else if (ss.ended_at)
			buf_addf(&b, "exit %d", ss.exit_status);
		else
			buf_adds(&b, "no exit record");
		buf_adds(&b, a < s->attempt ? "; then restarted" : "; then stopped");
		tail = run__log_tail(ss.log_path, 3);
		for (char *line = tail, *nl; *line; line = nl ? nl + 1 : line + strlen(line)) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			if (*line)
				buf_addf(&b, "\n      | %s", line);
		}
		free(tail);
		store_session_release(&ss);
	}
	free(s->note);
	s->note = buf_detach(&b);
	run__escalate(r, "restart-loop", true);
	return 0;
}

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
	r->marker_due = false;
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
	[SG_RETRIES_LEFT] = g_retries_left,
	[SG_CRASH_RETRIES_LEFT] = g_crash_retries_left,
	[SG_CYCLES_LEFT] = g_cycles_left,
	[SG_RESTARTS_LEFT] = g_restarts_left,
	[SG_COOLDOWN] = g_cooldown,
	[SG_HAS_DEPENDENTS] = g_has_dependents,
	[SG_IS_REVIEW_STEP] = g_is_review_step,
	[SG_WAIT_LEFT] = run__g_wait_left,
	[SG_ISOLATED] = run__g_isolated,
	[SG_INTEGRATING] = run__g_integrating,
};

const fsm_action_fn run__story_actions[SA__COUNT] = {
	[SA_BEGIN_STORY] = a_begin_story,
	[SA_RUN_SESSION] = run__a_run_session,
	[SA_RUN_COMMIT] = run__a_run_commit,
	[SA_RUN_VERIFY] = run__a_run_verify,
	[SA_VERIFY_STEP] = run__a_verify_step,
	[SA_NEXT_STEP] = a_requeue_step,
	[SA_RETRY_STEP] = a_requeue_step,
	[SA_NEW_CYCLE] = a_requeue_step,
	[SA_RESTART_STEP] = a_restart_step,
	[SA_COOLDOWN_RESTART] = run__a_cooldown_restart,
	[SA_RESET_RESTARTS] = a_reset_restarts,
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
	[SA_ESCALATE_CONFLICT] = a_esc_conflict,
	[SA_INTEGRATE] = run__a_integrate,
	[SA_RESOLVE_CONFLICT] = run__a_resolve_conflict,
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
