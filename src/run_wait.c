/* SPDX-License-Identifier: MIT */
/*
 * run_wait.c: what the orchestrator does when an agent's service, not the
 * code, is the trouble, and what agents cost. A usage or rate limit, an
 * overload or a 5xx puts the story in WAITING until the reset the agent
 * named (else a capped backoff with jitter), spending no attempt; a limit
 * holds the agent preset, so no other story starts a session of it before
 * the reset; the network gets backoff within the step's retries. Waits are
 * visible (status --json waiting_until, the live display, one notification)
 * and written to the store, so a resume waits for the same time. Usage
 * reported by the agents is recorded per session and summed per story;
 * limits.max_cost_usd and max_cost_usd_run stop a session before it starts.
 *
 * Must not: blame the code for a wait (no retry counter moves), sleep, or
 * spawn anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "notify.h"
#include "run_int.h"

/* Backoff without a reset time: base << n, capped, +-20 % jitter. */
#define WAIT_BASE_MS 15000LL
#define WAIT_CAP_MS (10 * 60 * 1000LL)
#define NETWORK_BASE_MS 5000LL
#define NETWORK_CAP_MS (5 * 60 * 1000LL)

static long long backoff_ms(long long base, long long cap, int n)
{
	const char *scale = getenv("AUTOMATOR_BACKOFF_MS");
	long long ms;

	if (scale && *scale)
		base = atoll(scale) > 0 ? atoll(scale) : 1;
	ms = base << (n < 10 ? n : 10);
	if (ms > cap && !(scale && *scale))
		ms = cap;
	/* jitter so that stories waiting alike do not all come back at once */
	if (ms >= 1000)
		ms += (ms / 5) * ((long long)(rand() % 2001) - 1000) / 1000;
	return ms;
}

static struct run_hold *hold_find(struct run *r, const char *agent)
{
	for (size_t i = 0; i < r->nholds; i++)
		if (!strcmp(r->holds[i].agent, agent))
			return &r->holds[i];
	return NULL;
}

static void hold_put(struct run *r, const char *agent, long long until, enum wait_reason w)
{
	struct run_hold *h = hold_find(r, agent);
	long long now = clock_wall();

	if (!h) {
		ALLOC_GROW(r->holds, r->nholds + 1, r->holds_cap);
		h = &r->holds[r->nholds++];
		h->agent = xstrdup(agent);
		h->until = 0;
	}
	if (h->until <= now)
		h->since = now; /* a new hold, not the old one extended */
	if (until > h->until) {
		h->until = until;
		h->reason = w;
	}
}

bool run__agent_held(struct run *r, const char *agent)
{
	const struct run_hold *h = agent ? hold_find(r, agent) : NULL;

	return h && h->until > clock_wall();
}

/* Holds s's agent until the limit s met resets, in memory and in the store. */
static void hold_agent(struct run *r, const struct rstory *s)
{
	char *until, *cause = NULL;

	if (s->wait_reason != WAIT_USAGE_LIMIT && s->wait_reason != WAIT_RATE_LIMIT)
		return;
	hold_put(r, s->agent, s->wait_until, s->wait_reason);
	until = clock_iso(hold_find(r, s->agent)->until);
	if (store_hold_set(r->st, r->id, s->agent, until, wait_reason_name(s->wait_reason),
			   &cause) < 0) {
		run__say(r, "warning: cannot record the hold of %s: %s", s->agent, cause);
		free(cause);
	}
	free(until);
}

void run__holds_free(struct run *r)
{
	for (size_t i = 0; i < r->nholds; i++)
		free(r->holds[i].agent);
	free(r->holds);
	r->holds = NULL;
	r->nholds = r->holds_cap = 0;
}

/* "10:57:00 UTC" today, else "Dec 7 10:57 UTC". */
static char *when_text(long long t)
{
	time_t tt = (time_t)t, now = (time_t)clock_wall();
	struct tm tm, today;
	char b[64];

	gmtime_r(&tt, &tm);
	gmtime_r(&now, &today);
	if (tm.tm_yday == today.tm_yday && tm.tm_year == today.tm_year)
		strftime(b, sizeof(b), "%H:%M:%S UTC", &tm);
	else
		strftime(b, sizeof(b), "%b %d %H:%M UTC", &tm);
	return xstrdup(b);
}

char *run__wait_text(const struct rstory *s)
{
	char *when, *out;

	if (!s->wait_until)
		return xstrdup("");
	when = when_text(s->wait_until);
	if (s->wait_reason == WAIT_COOLDOWN)
		out = xstrfmt("restarts at %s, after a cooldown (restart %d in a row)", when,
			      s->crash_retries_used);
	else
		out = xstrfmt("waiting for %s until %s (%s)", s->agent, when,
			      wait_reason_name(s->wait_reason));
	free(when);
	return out;
}

char *run__usage_text(const struct store_usage *u)
{
	struct buf b = BUF_INIT;

	if (!u->sessions)
		return xstrdup("no usage reported yet");
	if (u->has_cost)
		buf_addf(&b, "$%.4f, ", u->cost_usd);
	buf_addf(&b, "%lld in / %lld out tokens (%lld cache read, %lld cache write), %lld turns",
		 (long long)u->input_tokens, (long long)u->output_tokens,
		 (long long)u->cache_read_tokens, (long long)u->cache_write_tokens,
		 (long long)u->turns);
	return buf_detach(&b);
}

void run__wait_from_judge(struct run *r, struct rstory *s, const struct judge *j)
{
	long long now = clock_wall(), until;
	enum wait_reason w = judge_wait_reason(j);

	if (w == WAIT_NONE)
		w = WAIT_RATE_LIMIT;
	until = w == WAIT_NETWORK ? 0 : judge_reset_at(j, now);
	if (until <= now) {
		long long ms = w == WAIT_NETWORK
				       ? backoff_ms(NETWORK_BASE_MS, NETWORK_CAP_MS, s->backoffs)
				       : backoff_ms(WAIT_BASE_MS, WAIT_CAP_MS, s->backoffs);

		until = now + (ms + 999) / 1000;
		s->backoffs++;
	}
	s->wait_until = until;
	s->wait_reason = w;
	s->held = false;
	/* a limit is per account: hold the agent now, whether the story waits or asks */
	hold_agent(r, s);
}

bool run__g_wait_left(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);
	long long since = s->wait_since ? s->wait_since : clock_wall();

	/* held by another story's limit: that story asks, this one waits with it */
	if (s->held)
		return true;
	return s->wait_until - since <= r->sp->limits.max_wait;
}

/* Records the story's wait in the store (NULL for what it has not). */
static void wait_store(struct run *r, struct rstory *s)
{
	char *until = s->wait_until ? clock_iso(s->wait_until) : NULL;
	char *since = s->wait_since ? clock_iso(s->wait_since) : NULL;
	char *cause = NULL;

	if (store_story_set_wait(r->st, r->id, s->cfg->id, until,
				 until ? wait_reason_name(s->wait_reason) : NULL, since,
				 &cause) < 0) {
		run__say(r, "warning: cannot record the wait of %s: %s", s->cfg->id, cause);
		free(cause);
	}
	free(until);
	free(since);
}

/* The wait begins (or, after a decision, goes on): record, hold, tell. */
static int begin_wait(struct run *r, struct rstory *s, bool fresh_clock)
{
	long long now = clock_wall();
	bool first = !s->wait_since || fresh_clock;
	char *text;

	if (!s->wait_until)
		s->wait_until = now + 1;
	if (!s->wait_since || fresh_clock)
		s->wait_since = now;
	/* journaled already (the intent holds until and reason), not yet stored */
	crash_point("before-wait-store");
	wait_store(r, s);
	text = run__wait_text(s);
	run__say(r, "%-6s %s%s%s", s->cfg->id, text, s->note ? ": " : "", s->note ? s->note : "");
	/* one notification when a wait starts; a story held by another's limit adds none */
	if (first && !s->held && s->wait_reason != WAIT_COOLDOWN)
		run__notify(r, s, text, s->note ? s->note : "");
	free(text);
	return 0;
}

int run__a_wait(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);

	/* a human chose to keep waiting: max_wait counts again from now */
	return begin_wait(r, s, s->last_event == SE_CHOSE_KEEP_WAITING);
}

int run__a_backoff_retry(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);

	return begin_wait(r, s, false);
}

long run__cooldown_seconds(const struct run *r, int restarts)
{
	const struct limits *l = &r->sp->limits;
	long s = l->restart_cooldown;

	for (int i = 1; i < restarts && s < l->restart_cooldown_max; i++)
		s *= 2;
	return s < l->restart_cooldown_max ? s : l->restart_cooldown_max;
}

/*
 * A restart after another: the session killed, the story WAITING (reason
 * restart-cooldown, until as journaled) before its next attempt. No
 * notification: nothing for a human to do.
 */
int run__a_cooldown_restart(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);

	if (s->sess)
		run__kill_session(r, s->sess->name);
	s->held = false;
	return begin_wait(r, s, false);
}

int run__a_resume_step(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);

	s->wait_until = 0;
	s->held = false;
	/* wait_since stays until a session makes progress: max_wait spans waits in a row */
	wait_store(r, s);
	run__queue_step(r, s);
	return 0;
}

/* The budget that applies to s: its raised one, else the sprint's. */
static double story_budget(struct run *r, const struct rstory *s)
{
	return s->budget > 0 ? s->budget : r->sp->limits.max_cost_usd;
}

static double run_cost(struct run *r)
{
	double sum = 0;

	for (size_t i = 0; i < r->n; i++)
		sum += r->s[i].used.cost_usd;
	return sum;
}

int run__a_raise_budget(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);
	const struct limits *l = &r->sp->limits;
	double step = l->max_cost_usd > 0       ? l->max_cost_usd
		      : l->max_cost_usd_run > 0 ? l->max_cost_usd_run
						: 1.0;
	char *cause = NULL;

	s->budget = s->used.cost_usd + step;
	if (store_story_set_budget(r->st, r->id, s->cfg->id, s->budget, &cause) < 0) {
		run__say(r, "warning: cannot record the budget of %s: %s", s->cfg->id, cause);
		free(cause);
	}
	run__say(r, "%-6s budget raised to $%.2f", s->cfg->id, s->budget);
	run__queue_step(r, s);
	return 0;
}

bool run__session_blocked(struct run *r, struct rstory *s)
{
	const struct limits *l = &r->sp->limits;
	const struct run_hold *h = hold_find(r, s->agent);
	long long now = clock_wall();
	double budget = story_budget(r, s);

	if (h && h->until > now) {
		s->wait_until = h->until;
		s->wait_reason = h->reason;
		s->held = true;
		free(s->note);
		s->note = xstrfmt("agent %s is held by a %s until its reset", s->agent,
				  wait_reason_name(h->reason));
		run__queue(r, run__story_index(r, s), SE_WAIT);
		return true;
	}
	if (budget > 0 && s->used.cost_usd >= budget) {
		free(s->note);
		s->note = xstrfmt("the story has cost $%.4f, its budget is $%.2f", s->used.cost_usd,
				  budget);
		run__queue(r, run__story_index(r, s), SE_OVER_BUDGET);
		return true;
	}
	/* a story whose budget a human raised answers to that budget alone */
	if (l->max_cost_usd_run > 0 && s->budget <= 0 && run_cost(r) >= l->max_cost_usd_run) {
		free(s->note);
		s->note = xstrfmt("the run has cost $%.4f, its budget is $%.2f", run_cost(r),
				  l->max_cost_usd_run);
		run__queue(r, run__story_index(r, s), SE_OVER_BUDGET);
		return true;
	}
	return false;
}

void run__waits_due(struct run *r)
{
	long long now = clock_wall();

	for (size_t i = 0; i < r->n; i++) {
		struct rstory *s = &r->s[i];

		if (s->state == SS_WAITING && s->wait_until <= now)
			run__queue(r, (int)i, SE_WAIT_OVER);
	}
}

void run__usage_record(struct run *r, struct rstory *s, const struct session *ss, long long wall_ms)
{
	const struct judge_usage *ju = judge_usage(ss->judge);
	struct store_usage u = { 0 };
	char *cause = NULL;

	u.sessions = 1;
	u.has_cost = ju->has_cost;
	u.cost_usd = ju->cost_usd;
	u.input_tokens = ju->input_tokens;
	u.output_tokens = ju->output_tokens;
	u.cache_read_tokens = ju->cache_read_tokens;
	u.cache_write_tokens = ju->cache_write_tokens;
	u.turns = ju->turns;
	u.duration_ms = ju->duration_ms > 0 ? ju->duration_ms : wall_ms;
	if (ss->id > 0 && store_session_set_usage(r->st, ss->id, &u, &cause) < 0) {
		run__say(r, "warning: cannot record the usage of %s: %s", ss->name, cause);
		free(cause);
	}
	s->used.sessions++;
	s->used.has_cost |= u.has_cost;
	s->used.cost_usd += u.cost_usd;
	s->used.input_tokens += u.input_tokens;
	s->used.output_tokens += u.output_tokens;
	s->used.cache_read_tokens += u.cache_read_tokens;
	s->used.cache_write_tokens += u.cache_write_tokens;
	s->used.turns += u.turns;
	s->used.duration_ms += u.duration_ms;
}

/* ---- resume ---- */

static struct rstory *story_named(struct run *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->s[i].cfg->id, id))
			return &r->s[i];
	return NULL;
}

static int restore_wait(const struct store_wait *w, void *arg)
{
	struct run *r = arg;
	struct rstory *s = story_named(r, w->story_id);

	if (!s)
		return 0;
	/* the journal may know a wait the row missed (killed in between): keep it */
	if (w->until) {
		s->wait_until = clock_iso_seconds(w->until);
		s->wait_reason = wait_reason_from_name(w->reason);
	}
	if (w->since)
		s->wait_since = clock_iso_seconds(w->since);
	s->budget = w->budget;
	return 0;
}

static int restore_hold(const char *agent, const char *until, const char *reason, void *arg)
{
	hold_put(arg, agent, clock_iso_seconds(until), wait_reason_from_name(reason));
	return 0;
}

static int restore_usage(const char *story_id, const struct store_usage *sum, void *arg)
{
	struct rstory *s = story_named(arg, story_id);

	if (s)
		s->used = *sum;
	return 0;
}

void run__waits_restore(struct run *r)
{
	char *cause = NULL;

	if (store_waits_foreach(r->st, r->id, restore_wait, r, &cause) < 0 ||
	    store_holds_foreach(r->st, r->id, restore_hold, r, &cause) < 0 ||
	    store_usage_foreach(r->st, r->id, restore_usage, r, &cause) < 0) {
		run__say(r, "warning: cannot restore waits and usage: %s", cause);
		free(cause);
	}
}
