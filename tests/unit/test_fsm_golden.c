/* SPDX-License-Identifier: MIT */
/*
 * test_fsm_golden.c: golden transition traces of the REAL run and story
 * tables. A harness implements every guard and action of both machines as
 * a simulation of a run (a workflow of steps, per-step budgets, story
 * dependencies, a scheduler) and feeds tests/golden/NAME.events through
 * them; the transitions it takes are compared byte for byte with
 * tests/golden/NAME.trace. It must not start anything or touch $HOME: the
 * only side effects are reading the scenario and (on request) rewriting
 * the trace.
 *
 * To accept changed traces after an intended table change, run
 *   UPDATE_GOLDEN=1 ctest -R unit/test_fsm_golden
 * (or the test binary with UPDATE_GOLDEN=1): the .trace files are rewritten
 * instead of compared. Read the diff before committing it.
 *
 * Scenario format (NAME.events), one item per line, '#' comments:
 *   limit NAME N        retries, crash_retries, review_cycles, restarts,
 *                       max_parallel, waits, cooldown (defaults 1, 1, 2,
 *                       1, 1, 2, 0)
 *   steps NAME:KIND...  the workflow (default dev:session review:review
 *                       commit:commit verify:verify)
 *   stories ID...       the stories, in dispatch order
 *   depends ID DEP...   ID starts only once every DEP is DONE
 *   run EVENT           a scripted run event
 *   story ID EVENT      a scripted story event
 * Header lines (limit, steps, stories, depends) come before the events.
 *
 * Trace format (NAME.trace): "> LINE" for each scripted event, then one
 * line per transition taken while the follow-up queue drains,
 *   story 1.1: REVIEW --NOT_VERIFIED [CYCLES_LEFT] / NEW_CYCLE--> REVIEW
 * ("[guard]" and "/ action" only when the row has them), "WHO: no row for
 * EVENT in STATE" for an event no row takes, and a last "end:" line with
 * every machine's final state.
 *
 * What the simulated actions do:
 *   BEGIN_STORY, NEXT_STEP, RETRY_STEP, NEW_CYCLE, RESTART_STEP,
 *   RESUME_STEP, RAISE_BUDGET, FALLBACK_RETRY queue ENTER_<kind> of the (new) current
 *   step, or STEPS_DONE past the last one. A retry consumes the budget its
 *   row's guard checked (RETRIES_LEFT: retries, CRASH_RETRIES_LEFT: crash
 *   retries, RESTARTS_LEFT: restarts); NEW_CYCLE counts a review cycle;
 *   NEXT_STEP resets the budgets. RESOLVE_CONFLICT makes the resolve
 *   session current (then the verify steps again, as workflow_step_at
 *   counts) and queues it; INTEGRATE queues nothing (the script says
 *   INTEGRATED or CONFLICT). WAIT, BACKOFF_RETRY and COOLDOWN_RESTART
 *   (COOLDOWN: "limit cooldown 1" and a restart spent) queue nothing
 *   (the story waits for a scripted WAIT_OVER); WAIT counts waits in a row
 *   (WAIT_LEFT: fewer than "limit waits", default 2), a CHOSE_KEEP_WAITING
 *   starts them over; BACKOFF_RETRY spends a retry. The CRITICAL escalations open one and
 *   queue run CRITICAL. A CHOSE_* event taken by a BLOCKED story closes it
 *   and queues run RESOLVED (when journaled, before the action's
 *   follow-ups); MORE_CRITICAL holds while any is still open. MARK_DONE and
 *   CLOSE_STORY queue run ALL_FINAL once every story is final; FINALIZE
 *   queues FINALIZED; ABORT_RUN queues ABORT for every story not final.
 *   The session, commit and verify outcomes (OUTPUT_SUCCESS, VERIFIED,
 *   COMMITTED, ...) come from the script. After the queue drains, the
 *   scheduler starts PENDING stories whose dependencies are DONE while the
 *   run is IN_PROGRESS and fewer than max_parallel stories are active.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fsm.h"
#include "util.h"

#define H_MAX_STORIES 8
#define H_MAX_STEPS 8
#define H_RUN (-1) /* queue target of the run machine */

enum h_kind { K_SESSION, K_REVIEW, K_COMMIT, K_VERIFY };
static const char *const h_kind_names[] = { "session", "review", "commit", "verify" };
static const int h_kind_enter[] = { SE_ENTER_SESSION, SE_ENTER_REVIEW, SE_ENTER_COMMIT,
				    SE_ENTER_VERIFY };

struct h_story {
	char id[32];
	int deps[H_MAX_STORIES];
	int ndeps;
	int state;
	bool started;
	int step;
	int retries, crashes, restarts; /* spent on the current step */
	int waits;                      /* waits in a row */
	int cycle;                      /* review cycle of the current step, from 1 */
	bool fallback;
	bool critical; /* a CRITICAL escalation of this story is open */
};

struct h_limits {
	int retries, crash_retries, review_cycles, restarts, max_parallel;
	int waits;    /* WAIT_LEFT holds for this many waits in a row (max_wait) */
	int cooldown; /* COOLDOWN can hold (limits.restart_cooldown is not 0) */
};

struct harness {
	struct h_limits lim;
	int kinds[H_MAX_STEPS];
	int nsteps;
	struct h_story s[H_MAX_STORIES];
	int nstories;
	int run_state;
	struct fsm_queue q;
	struct buf trace;
	bool isolated;             /* `isolation worktree`: stories integrate */
	int cur;                   /* the story whose guard/action runs */
	const struct fsm_row *row; /* the row being taken */
};

static struct h_story *h_cur(struct harness *h)
{
	assert_true(h->cur >= 0 && h->cur < h->nstories);
	return &h->s[h->cur];
}

static void h_push(struct harness *h, int target, int event)
{
	assert_int_equal(fsm_queue_push(&h->q, target, event), 0);
}

static const char *h_who(struct harness *h, int target, char *buf, size_t len)
{
	if (target == H_RUN)
		return "run";
	snprintf(buf, len, "story %s", h->s[target].id);
	return buf;
}

/* ---- story guards ---- */

static bool g_retries_left(void *ctx)
{
	struct harness *h = ctx;

	return h_cur(h)->retries < h->lim.retries;
}

static bool g_crash_retries_left(void *ctx)
{
	struct harness *h = ctx;

	return h_cur(h)->crashes < h->lim.crash_retries;
}

static bool g_cycles_left(void *ctx)
{
	struct harness *h = ctx;

	return h_cur(h)->cycle < h->lim.review_cycles;
}

static bool g_restarts_left(void *ctx)
{
	struct harness *h = ctx;

	return h_cur(h)->restarts < h->lim.restarts;
}

/* A restart after one before it, with budget left both ways: it cools down first. */
static bool g_cooldown(void *ctx)
{
	struct harness *h = ctx;
	const struct h_story *s = h_cur(h);

	return h->lim.cooldown && (s->crashes >= 1 || s->restarts >= 1) &&
	       g_crash_retries_left(ctx) && g_restarts_left(ctx);
}

static bool g_has_dependents(void *ctx)
{
	struct harness *h = ctx;

	for (int i = 0; i < h->nstories; i++)
		for (int d = 0; d < h->s[i].ndeps; d++)
			if (h->s[i].deps[d] == h->cur)
				return true;
	return false;
}

static bool g_wait_left(void *ctx)
{
	struct harness *h = ctx;

	return h_cur(h)->waits < h->lim.waits;
}

/*
 * The kind of step index i, as workflow_step_at counts: the steps, none
 * (nsteps), the resolve session (nsteps + 1), the verify steps again; -1: none.
 */
static int h_kind_at(const struct harness *h, int i)
{
	int k = i - h->nsteps - 2;

	if (i < h->nsteps)
		return h->kinds[i];
	if (i == h->nsteps + 1)
		return K_SESSION;
	for (int j = 0; i > h->nsteps && j < h->nsteps; j++)
		if (h->kinds[j] == K_VERIFY && k-- == 0)
			return K_VERIFY;
	return -1;
}

static bool g_is_review_step(void *ctx)
{
	struct harness *h = ctx;

	return h_kind_at(h, h_cur(h)->step) == K_REVIEW;
}

/* ---- story actions ---- */

/* Queues the current step's ENTER_* event, or STEPS_DONE past the last. */
static int h_queue_step(struct harness *h)
{
	int k = h_kind_at(h, h_cur(h)->step);

	h_push(h, h->cur, k >= 0 ? h_kind_enter[k] : SE_STEPS_DONE);
	return 0;
}

static void h_new_step(struct h_story *s)
{
	s->retries = s->crashes = s->restarts = 0;
	s->cycle = 1;
	s->fallback = false;
}

/* A retry spends the budget its row's guard checked. */
static void h_consume(struct harness *h)
{
	struct h_story *s = h_cur(h);

	switch (h->row->guard) {
	case SG_RETRIES_LEFT:
		s->retries++;
		break;
	case SG_CRASH_RETRIES_LEFT:
		s->crashes++;
		break;
	case SG_RESTARTS_LEFT:
		s->restarts++;
		break;
	case SG_COOLDOWN:
		/* one counter in the run: both budgets move */
		s->crashes++;
		s->restarts++;
		break;
	default:
		break;
	}
}

static void h_queue_all_final(struct harness *h)
{
	if (fsm_is_terminal(&fsm_run, h->run_state))
		return;
	for (int i = 0; i < h->nstories; i++)
		if (!fsm_is_terminal(&fsm_story, h->s[i].state))
			return;
	h_push(h, H_RUN, RE_ALL_FINAL);
}

static int a_begin_story(void *ctx)
{
	struct harness *h = ctx;

	h_cur(h)->step = 0;
	h_new_step(h_cur(h));
	return h_queue_step(h);
}

static int a_nothing(void *ctx)
{
	(void)ctx;
	return 0;
}

static int a_next_step(void *ctx)
{
	struct harness *h = ctx;

	h_cur(h)->step++;
	h_new_step(h_cur(h));
	return h_queue_step(h);
}

static int a_retry(void *ctx)
{
	struct harness *h = ctx;

	h_consume(h);
	return h_queue_step(h);
}

/* WAIT: the story waits (no budget spent); a human's keep-waiting starts the count over. */
static int a_wait(void *ctx)
{
	struct harness *h = ctx;
	struct h_story *s = h_cur(h);

	s->waits = h->row->event == SE_CHOSE_KEEP_WAITING ? 0 : s->waits + 1;
	return 0;
}

/* BACKOFF_RETRY: a network wait, paid from the retries. */
static int a_backoff(void *ctx)
{
	h_consume(ctx);
	return 0;
}

/* RESUME_STEP, RAISE_BUDGET: the current step again, nothing counted. */
static int a_again(void *ctx)
{
	return h_queue_step(ctx);
}

static int a_new_cycle(void *ctx)
{
	struct harness *h = ctx;

	h_cur(h)->cycle++;
	return h_queue_step(h);
}

static int a_fallback_retry(void *ctx)
{
	struct harness *h = ctx;

	h_cur(h)->fallback = true;
	return h_queue_step(h);
}

static int a_finish(void *ctx)
{
	struct harness *h = ctx;

	h_cur(h)->critical = false;
	h_queue_all_final(h);
	return 0;
}

static int a_escalate_critical(void *ctx)
{
	struct harness *h = ctx;

	h_cur(h)->critical = true;
	h_push(h, H_RUN, RE_CRITICAL);
	return 0;
}

/* ---- run guards and actions ---- */

static bool g_more_critical(void *ctx)
{
	struct harness *h = ctx;

	for (int i = 0; i < h->nstories; i++)
		if (h->s[i].critical)
			return true;
	return false;
}

static int a_finalize(void *ctx)
{
	h_push(ctx, H_RUN, RE_FINALIZED);
	return 0;
}

static int a_abort_run(void *ctx)
{
	struct harness *h = ctx;

	for (int i = 0; i < h->nstories; i++)
		if (!fsm_is_terminal(&fsm_story, h->s[i].state))
			h_push(h, i, SE_ABORT);
	return 0;
}

/* clang-format off */
/* `isolation worktree` in the scenario: stories integrate after their steps. */
static bool g_isolated(void *ctx)
{
	struct harness *h = ctx;

	return h->isolated;
}

/* The story's steps are done: a decision is about its integration. */
static bool g_integrating(void *ctx)
{
	struct harness *h = ctx;

	return h->isolated && h_kind_at(h, h_cur(h)->step) < 0;
}

/* RESET_RESTARTS: the session worked long enough; its restarts (one counter in the run) forgiven. */
static int a_reset_restarts(void *ctx)
{
	struct harness *h = ctx;

	h_cur(h)->restarts = h_cur(h)->crashes = 0;
	return 0;
}

/* RESOLVE_CONFLICT: the resolve session, then the verify steps again. */
static int a_resolve(void *ctx)
{
	struct harness *h = ctx;

	h_cur(h)->step = h->nsteps + 1;
	h_new_step(h_cur(h));
	return h_queue_step(h);
}

static const fsm_guard_fn story_guards[SG__COUNT] = {
	[SG_RETRIES_LEFT]		= g_retries_left,
	[SG_CRASH_RETRIES_LEFT]		= g_crash_retries_left,
	[SG_CYCLES_LEFT]		= g_cycles_left,
	[SG_RESTARTS_LEFT]		= g_restarts_left,
	[SG_COOLDOWN]			= g_cooldown,
	[SG_HAS_DEPENDENTS]		= g_has_dependents,
	[SG_IS_REVIEW_STEP]		= g_is_review_step,
	[SG_WAIT_LEFT]			= g_wait_left,
	[SG_ISOLATED]			= g_isolated,
	[SG_INTEGRATING]		= g_integrating,
};

static const fsm_action_fn story_actions[SA__COUNT] = {
	[SA_BEGIN_STORY]		= a_begin_story,
	[SA_RUN_SESSION]		= a_nothing,
	[SA_RUN_COMMIT]			= a_nothing,
	[SA_RUN_VERIFY]			= a_nothing,
	[SA_VERIFY_STEP]		= a_nothing,
	[SA_NEXT_STEP]			= a_next_step,
	[SA_RETRY_STEP]			= a_retry,
	[SA_NEW_CYCLE]			= a_new_cycle,
	[SA_RESTART_STEP]		= a_retry,
	[SA_COOLDOWN_RESTART]		= a_backoff,
	[SA_WAIT]			= a_wait,
	[SA_BACKOFF_RETRY]		= a_backoff,
	[SA_RESUME_STEP]		= a_again,
	[SA_RAISE_BUDGET]		= a_again,
	[SA_RESUME_SESSION]		= a_nothing,
	[SA_FALLBACK_RETRY]		= a_fallback_retry,
	[SA_MARK_DONE]			= a_finish,
	[SA_INTEGRATE]			= a_nothing,
	[SA_RESOLVE_CONFLICT]		= a_resolve,
	[SA_RESET_RESTARTS]		= a_reset_restarts,
	[SA_CLOSE_STORY]		= a_finish,
	[SA_ESCALATE_CANNOT_PARSE]	= a_nothing,
	[SA_ESCALATE_SPAWN_FAILURE]	= a_escalate_critical,
	[SA_ESCALATE_IMPL_FAILURE]	= a_nothing,
	[SA_ESCALATE_IMPL_BLOCKING]	= a_escalate_critical,
	[SA_ESCALATE_REVIEW_LOOP]	= a_escalate_critical,
	[SA_ESCALATE_INCOMPLETE]	= a_escalate_critical,
	[SA_ESCALATE_COMMIT_FAILURE]	= a_escalate_critical,
	[SA_ESCALATE_CONFLICT]		= a_nothing,
	[SA_ESCALATE_NEEDS_INPUT]	= a_nothing,
	[SA_ESCALATE_RESTART_LOOP]	= a_escalate_critical,
	[SA_ESCALATE_LOST]		= a_escalate_critical,
	[SA_ESCALATE_UNAVAILABLE]	= a_escalate_critical,
	[SA_ESCALATE_USAGE_LIMIT]	= a_nothing,
	[SA_ESCALATE_DENIED]		= a_nothing,
	[SA_ESCALATE_BUDGET]		= a_nothing,
	[SA_ESCALATE_UNEXPECTED]	= a_escalate_critical,
};

static const fsm_guard_fn run_guards[RG__COUNT] = {
	[RG_MORE_CRITICAL]		= g_more_critical,
};

static const fsm_action_fn run_actions[RA__COUNT] = {
	[RA_PREPARE]			= a_nothing,
	[RA_CREATE_MARKER]		= a_nothing,
	[RA_PAUSE]			= a_nothing,
	[RA_UNPAUSE]			= a_nothing,
	[RA_REATTACH]			= a_nothing,
	[RA_FINALIZE]			= a_finalize,
	[RA_ABORT_RUN]			= a_abort_run,
};
/* clang-format on */

static const struct fsm_impl story_impl = { story_guards, story_actions };
static const struct fsm_impl run_impl = { run_guards, run_actions };

/* ---- the loop ---- */

static bool h_is_choice(int event)
{
	switch (event) {
	case SE_CHOSE_RETRY:
	case SE_CHOSE_RETRY_FALLBACK:
	case SE_CHOSE_CONTINUE:
	case SE_CHOSE_REPLY:
	case SE_CHOSE_MARK_SUCCESS:
	case SE_CHOSE_MARK_FAILURE:
	case SE_CHOSE_SKIP_STEP:
	case SE_CHOSE_SKIP_STORY:
	case SE_CHOSE_ABORT_STORY:
		return true;
	default:
		return false;
	}
}

/*
 * Writes the transition before the state changes. An answer to a CRITICAL
 * escalation closes it and is announced to the run here, ahead of the
 * action's follow-ups (so the run unpauses before a CLOSE_STORY's
 * ALL_FINAL arrives).
 */
static int h_journal(void *ctx, const struct fsm_def *def, const struct fsm_row *row, int from,
		     int event)
{
	struct harness *h = ctx;
	char who[64];

	h->row = row;
	buf_addf(&h->trace, "%s: %s --%s", h_who(h, h->cur, who, sizeof(who)),
		 def->state_names[from], def->event_names[event]);
	if (row->guard != FSM_NO_GUARD)
		buf_addf(&h->trace, " [%s]", def->guard_names[row->guard]);
	if (row->action != FSM_NO_ACTION)
		buf_addf(&h->trace, " / %s", def->action_names[row->action]);
	buf_addf(&h->trace, "--> %s\n", def->state_names[row->next]);
	if (def == &fsm_story && from == SS_BLOCKED && h_is_choice(event)) {
		h_cur(h)->critical = false;
		h_push(h, H_RUN, RE_RESOLVED);
	}
	return 0;
}

static void h_drain(struct harness *h)
{
	struct fsm_qitem it;
	int steps = 0;

	while (fsm_queue_pop(&h->q, &it)) {
		const struct fsm_def *def = it.target == H_RUN ? &fsm_run : &fsm_story;
		const struct fsm_impl *impl = it.target == H_RUN ? &run_impl : &story_impl;
		int *state = it.target == H_RUN ? &h->run_state : &h->s[it.target].state;
		char who[64];
		int from = *state, ret;

		assert_true(++steps < 10000); /* a follow-up loop in the tables */
		h->cur = it.target;
		ret = fsm_fire(def, impl, h, state, it.event, h_journal, NULL);
		if (ret == -1)
			buf_addf(&h->trace, "%s: no row for %s in %s\n",
				 h_who(h, it.target, who, sizeof(who)), def->event_names[it.event],
				 def->state_names[from]);
		else
			assert_int_equal(ret, 0);
	}
}

/* Starts what may start; returns whether anything was queued. */
static bool h_schedule(struct harness *h)
{
	int active = 0;
	bool queued = false;

	if (h->run_state != RS_IN_PROGRESS)
		return false;
	for (int i = 0; i < h->nstories; i++)
		if (h->s[i].started && !fsm_is_terminal(&fsm_story, h->s[i].state))
			active++;
	for (int i = 0; i < h->nstories && active < h->lim.max_parallel; i++) {
		struct h_story *s = &h->s[i];
		bool ready = s->state == SS_PENDING && !s->started;

		for (int d = 0; d < s->ndeps && ready; d++)
			ready = h->s[s->deps[d]].state == SS_DONE;
		if (!ready)
			continue;
		s->started = true;
		active++;
		h_push(h, i, SE_START);
		queued = true;
	}
	return queued;
}

/* ---- scenarios ---- */

static int h_find_name(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

static int h_find_story(struct harness *h, const char *id)
{
	for (int i = 0; i < h->nstories; i++)
		if (!strcmp(h->s[i].id, id))
			return i;
	return -1;
}

#define H_MAX_WORDS 16

/* Splits line in place on blanks; returns the number of words. */
static int h_split(char *line, char **w)
{
	int n = 0;

	for (char *p = line; *p && n < H_MAX_WORDS;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return n;
}

static void h_header(struct harness *h, const char *file, int lineno, char **w, int n)
{
	if (!strcmp(w[0], "limit") && n == 3) {
		int v = atoi(w[2]);

		if (!strcmp(w[1], "retries"))
			h->lim.retries = v;
		else if (!strcmp(w[1], "crash_retries"))
			h->lim.crash_retries = v;
		else if (!strcmp(w[1], "review_cycles"))
			h->lim.review_cycles = v;
		else if (!strcmp(w[1], "restarts"))
			h->lim.restarts = v;
		else if (!strcmp(w[1], "max_parallel"))
			h->lim.max_parallel = v;
		else if (!strcmp(w[1], "waits"))
			h->lim.waits = v;
		else if (!strcmp(w[1], "cooldown"))
			h->lim.cooldown = v;
		else
			fail_msg("%s:%d: unknown limit '%s'", file, lineno, w[1]);
	} else if (!strcmp(w[0], "isolation") && n == 2 && !strcmp(w[1], "worktree")) {
		h->isolated = true;
	} else if (!strcmp(w[0], "steps") && n >= 2) {
		h->nsteps = 0;
		for (int i = 1; i < n; i++) {
			const char *colon = strchr(w[i], ':');
			int k = colon ? h_find_name(h_kind_names, 4, colon + 1) : -1;

			if (k < 0 || h->nsteps == H_MAX_STEPS)
				fail_msg("%s:%d: bad step '%s'", file, lineno, w[i]);
			h->kinds[h->nsteps++] = k;
		}
	} else if (!strcmp(w[0], "stories") && n >= 2) {
		for (int i = 1; i < n; i++) {
			struct h_story *s = &h->s[h->nstories];

			if (h->nstories == H_MAX_STORIES || strlen(w[i]) >= sizeof(s->id))
				fail_msg("%s:%d: too many stories", file, lineno);
			snprintf(s->id, sizeof(s->id), "%s", w[i]);
			s->state = fsm_story.initial;
			h->nstories++;
		}
	} else if (!strcmp(w[0], "depends") && n >= 3) {
		int i = h_find_story(h, w[1]);

		if (i < 0)
			fail_msg("%s:%d: unknown story '%s'", file, lineno, w[1]);
		for (int k = 2; k < n; k++) {
			int d = h_find_story(h, w[k]);

			if (d < 0 || h->s[i].ndeps == H_MAX_STORIES)
				fail_msg("%s:%d: bad dependency '%s'", file, lineno, w[k]);
			h->s[i].deps[h->s[i].ndeps++] = d;
		}
	} else {
		fail_msg("%s:%d: bad line", file, lineno);
	}
}

static void h_event(struct harness *h, const char *file, int lineno, char **w, int n)
{
	int target, event;

	if (!strcmp(w[0], "run") && n == 2) {
		target = H_RUN;
		event = h_find_name(fsm_run.event_names, fsm_run.nevents, w[1]);
	} else if (!strcmp(w[0], "story") && n == 3) {
		target = h_find_story(h, w[1]);
		if (target < 0)
			fail_msg("%s:%d: unknown story '%s'", file, lineno, w[1]);
		event = h_find_name(fsm_story.event_names, fsm_story.nevents, w[2]);
	} else {
		fail_msg("%s:%d: bad line", file, lineno);
		return;
	}
	if (event < 0)
		fail_msg("%s:%d: unknown event '%s'", file, lineno, w[n - 1]);
	h_push(h, target, event);
	do
		h_drain(h);
	while (h_schedule(h));
}

/* Runs the scenario in events (modified in place); the trace lands in h->trace. */
static void h_run(struct harness *h, const char *file, char *events)
{
	bool in_events = false;
	int lineno = 0;
	char *line, *next;

	for (line = events; line && *line; line = next) {
		char *w[H_MAX_WORDS], *hash;
		int n;

		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		n = h_split(line, w);
		if (!n)
			continue;
		if (!strcmp(w[0], "run") || !strcmp(w[0], "story")) {
			buf_adds(&h->trace, ">");
			for (int i = 0; i < n; i++)
				buf_addf(&h->trace, " %s", w[i]);
			buf_addc(&h->trace, '\n');
			in_events = true;
			h_event(h, file, lineno, w, n);
		} else if (in_events) {
			fail_msg("%s:%d: '%s' after the first event", file, lineno, w[0]);
		} else {
			h_header(h, file, lineno, w, n);
		}
	}
	buf_addf(&h->trace, "end: run %s", fsm_run.state_names[h->run_state]);
	for (int i = 0; i < h->nstories; i++)
		buf_addf(&h->trace, ", story %s %s", h->s[i].id,
			 fsm_story.state_names[h->s[i].state]);
	buf_addc(&h->trace, '\n');
}

static void h_init(struct harness *h)
{
	memset(h, 0, sizeof(*h));
	h->lim = (struct h_limits){ 1, 1, 2, 1, 1, 2, 0 };
	h->kinds[0] = K_SESSION;
	h->kinds[1] = K_REVIEW;
	h->kinds[2] = K_COMMIT;
	h->kinds[3] = K_VERIFY;
	h->nsteps = 4;
	h->run_state = fsm_run.initial;
	h->q = (struct fsm_queue)FSM_QUEUE_INIT;
	buf_init(&h->trace);
}

/* Reports the first differing line of two traces. */
static void h_report_diff(const char *name, const char *want, const char *got)
{
	int line = 1;

	while (*want && *want == *got) {
		if (*want == '\n')
			line++;
		want++, got++;
	}
	while (line > 1 && want[-1] != '\n')
		want--, got--;
	print_error("%s.trace: differs at line %d\n  want: %.*s\n  got:  %.*s\n", name, line,
		    (int)strcspn(want, "\n"), want, (int)strcspn(got, "\n"), got);
}

static void test_scenario(void **state)
{
	const char *name = *state;
	char *events_path = xstrfmt("%s/tests/golden/%s.events", TEST_SOURCE_DIR, name);
	char *trace_path = xstrfmt("%s/tests/golden/%s.trace", TEST_SOURCE_DIR, name);
	const char *update = getenv("UPDATE_GOLDEN");
	struct harness *h = xcalloc(1, sizeof(*h));
	char *events, *want = NULL;
	size_t len;

	if (read_file(events_path, &events, &len) < 0)
		fail_msg("cannot read %s", events_path);
	h_init(h);
	h_run(h, events_path, events);
	if (update && !strcmp(update, "1")) {
		const char *t = buf_str(&h->trace);

		if (write_file_atomic(trace_path, t, strlen(t), 0644) < 0)
			fail_msg("cannot write %s", trace_path);
		print_message("rewrote %s\n", trace_path);
	} else {
		if (read_file(trace_path, &want, &len) < 0)
			fail_msg("cannot read %s (UPDATE_GOLDEN=1 creates it)", trace_path);
		if (strcmp(want, buf_str(&h->trace))) {
			h_report_diff(name, want, buf_str(&h->trace));
			fail_msg("%s: trace differs; if the change is intended, rerun with "
				 "UPDATE_GOLDEN=1 and review the diff",
				 name);
		}
	}
	free(want);
	free(events);
	buf_release(&h->trace);
	fsm_queue_release(&h->q);
	free(h);
	free(trace_path);
	free(events_path);
}

/* The harness implements every guard and action the real tables use. */
static void test_harness_complete(void **state)
{
	(void)state;
	assert_int_equal(fsm_validate(&fsm_story, &story_impl, NULL, NULL), 0);
	assert_int_equal(fsm_validate(&fsm_run, &run_impl, NULL, NULL), 0);
}

/* Named after the scenario, so a failure says which trace differs. */
/* clang-format off */
#define SCENARIO(name) { name, test_scenario, NULL, NULL, (void *)(name) }
/* clang-format on */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_harness_complete),
		SCENARIO("happy-path"),
		SCENARIO("review-loop-exhausted"),
		SCENARIO("spawn-failure-retried-then-escalated"),
		SCENARIO("critical-pause-and-resume"),
		SCENARIO("needs-input-reply"),
		SCENARIO("two-criticals"),
		SCENARIO("recoveries-and-failure"),
		SCENARIO("service-trouble"),
		SCENARIO("abort-run"),
		SCENARIO("worktree-integration-conflict"),
		SCENARIO("worktree-conflict-resolved-by-agent"),
		SCENARIO("restart-budget-forgiven"),
		SCENARIO("restart-cooldown"),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
