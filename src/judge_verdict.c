/* SPDX-License-Identifier: MIT */
/*
 * judge_verdict.c: the judge's decision. From what judge.c (lines and
 * patterns) and judge_events.c (the agents' own fields) recorded, and the
 * exit, judge_finish says how the session went (order in judge.h); the
 * accessors give what a caller shows or stores: the wait's reason and reset
 * time, usage, denied tools, the agent's last words and error.
 *
 * Must not: read files or the clock, or look at output again.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "judge_int.h"
#include "match.h"
#include "resettime.h"

static char *hit_reason(const char *kind, const struct judge_hit *h)
{
	if (!h->pattern)
		return xstrdup(h->text);
	return xstrfmt("%s pattern '%s' matched: %s", kind, h->pattern, h->text);
}

static bool is_failed_status(const char *s)
{
	return s &&
	       (!strcasecmp(s, "failed") || !strcasecmp(s, "failure") || !strcasecmp(s, "error"));
}

static bool has_patterns(const struct patlist *l)
{
	return l && l->n;
}

/* The fatal agent error event, if any: Codex turn.failed or Claude result first. */
static const struct judge_hit *fatal_error(const struct judge *j)
{
	if (j->agent_error.seen)
		return &j->agent_error;
	if (j->codex_pending.seen)
		return &j->codex_pending;
	return NULL;
}

/* The wait reason a pattern hit gives, in order of precedence; WAIT_NONE: none. */
static enum wait_reason pattern_wait(const struct judge *j, const struct judge_hit **hit)
{
	const struct {
		const struct judge_hit *h;
		enum wait_reason w;
	} hits[] = {
		{ &j->usage_limit, WAIT_USAGE_LIMIT },
		{ &j->rate_limit, WAIT_RATE_LIMIT },
		{ &j->overloaded, WAIT_OVERLOADED },
		{ &j->server_error, WAIT_SERVER_ERROR },
	};

	for (size_t i = 0; i < ARRAY_SIZE(hits); i++) {
		if (hits[i].h->seen) {
			*hit = hits[i].h;
			return hits[i].w;
		}
	}
	return WAIT_NONE;
}

static const char *const pattern_kind[] = { "none",       "usage-limit",  "rate-limit",
					    "overloaded", "server-error", "network" };

/*
 * Steps 1 to 5 of judge_finish (judge.h): the classes that blame no code.
 * Returns JV_FAILURE when none applies.
 */
static enum judge_verdict service_class(struct judge *j, int exit_status, char **why)
{
	const struct judge_hit *hit = NULL;
	enum wait_reason w;

	if (exit_status == 126 || exit_status == 127) {
		*why = xstrfmt("exit %d: the agent's program could not be %s", exit_status,
			       exit_status == 127 ? "found" : "executed");
		return JV_UNAVAILABLE;
	}
	if (j->field.v == JV_UNAVAILABLE) {
		*why = xstrdup(j->field.why);
		return JV_UNAVAILABLE;
	}
	if (j->unavailable.seen) {
		*why = hit_reason("unavailable", &j->unavailable);
		return JV_UNAVAILABLE;
	}
	/* Claude calls a refused connection a server_error: the text says which */
	if (j->field.v == JV_WAIT && j->field.reason == WAIT_SERVER_ERROR && j->network.seen) {
		j->wait = WAIT_NETWORK;
		*why = hit_reason("network", &j->network);
		return JV_NETWORK;
	}
	if (j->field.v == JV_WAIT) {
		enum wait_reason pw = pattern_wait(j, &hit);

		/* the CLI's category is broad (a repeated 529 is a server_error): the
		 * message may say more (reasons are ordered from the most specific) */
		j->wait = pw != WAIT_NONE && pw < j->field.reason ? pw : j->field.reason;
		/* a rate limit with a reset time or a usage-limit message is a usage limit */
		if (j->wait == WAIT_RATE_LIMIT && (j->resets_at || j->usage_limit.seen))
			j->wait = WAIT_USAGE_LIMIT;
		*why = xstrdup(j->field.why);
		return JV_WAIT;
	}
	if ((w = pattern_wait(j, &hit)) != WAIT_NONE) {
		j->wait = w;
		*why = hit_reason(pattern_kind[w], hit);
		return JV_WAIT;
	}
	if (j->field.v == JV_NETWORK || j->network.seen) {
		j->wait = WAIT_NETWORK;
		*why = j->field.v == JV_NETWORK ? xstrdup(j->field.why)
						: hit_reason("network", &j->network);
		return JV_NETWORK;
	}
	if (j->retrying && j->retry.v != JV_FAILURE) {
		j->wait = j->retry.reason;
		*why = xstrfmt("still retrying when it ended (%s)", j->retry.why);
		return j->retry.v;
	}
	return JV_FAILURE;
}

enum judge_verdict judge_finish(struct judge *j, int exit_status, int exit_signal, char **reason)
{
	const struct judge_hit *fatal;
	bool exit0 = exit_signal <= 0 && exit_status == 0;
	enum judge_verdict v = JV_FAILURE;
	bool clean;
	char *why = NULL;

	judge__flush(j);
	fatal = fatal_error(j);
	clean = exit0 && !fatal;
	j->wait = WAIT_NONE;

	if (!clean && (v = service_class(j, exit_status, &why)) != JV_FAILURE) {
		/* decided: the agent's service, not the code */
	} else if (j->step_failure.seen) {
		v = JV_FAILURE;
		why = hit_reason("failure", &j->step_failure);
	} else if (j->agent_failure.seen) {
		v = JV_FAILURE;
		why = hit_reason("failure", &j->agent_failure);
	} else if (fatal) {
		v = JV_FAILURE;
		why = xstrdup(fatal->text);
	} else if (j->result_json && is_failed_status(j->result_status)) {
		v = JV_FAILURE;
		why = xstrfmt("AUTOMATOR_RESULT status '%s'", j->result_status);
	} else if (j->result_json && exit0) {
		v = JV_RESULT;
		why = j->result_status ? xstrfmt("AUTOMATOR_RESULT status '%s'", j->result_status)
				       : xstrdup("AUTOMATOR_RESULT without a status");
	} else if (exit0 && (j->step_success.seen || j->agent_success.seen)) {
		v = JV_SUCCESS;
		why = hit_reason("success",
				 j->step_success.seen ? &j->step_success : &j->agent_success);
	} else if (exit_signal > 0) {
		v = JV_EXITED;
		why = xstrfmt("killed by signal %d", exit_signal);
	} else if (exit_status != 0) {
		v = JV_EXITED;
		why = exit_status == -1 ? xstrdup("exit status unknown")
					: xstrfmt("exit %d", exit_status);
	} else if (!j->cfg.expects_result) {
		v = JV_SUCCESS;
		why = xstrdup("exit 0");
	} else {
		v = JV_NO_RESULT;
		if (j->result_invalid)
			why = xstrfmt("invalid AUTOMATOR_RESULT line: %s", j->result_invalid);
		else if (has_patterns(j->cfg.step_success) || has_patterns(j->cfg.agent_success))
			why = xstrdup("no AUTOMATOR_RESULT line and no success pattern matched");
		else
			why = xstrdup("no AUTOMATOR_RESULT line");
	}
	if ((v == JV_RESULT || v == JV_SUCCESS) && j->denials.n) {
		char *was = why;

		why = xstrfmt("%zu tool use%s denied (%s), though %s", j->denials.n,
			      j->denials.n == 1 ? " was" : "s were", j->denials.v[0], was);
		free(was);
		v = JV_DENIED;
	}
	if (reason)
		*reason = why;
	else
		free(why);
	return v;
}

enum wait_reason judge_wait_reason(const struct judge *j)
{
	return j->wait;
}

long long judge_reset_at(const struct judge *j, long long now)
{
	const char *texts[4];
	time_t t;

	if (j->resets_at > 0)
		return j->resets_at;
	texts[0] = j->field.why;
	texts[1] = j->usage_limit.seen ? j->usage_limit.text : NULL;
	texts[2] = j->rate_limit.seen ? j->rate_limit.text : NULL;
	texts[3] = buf_str(&j->error_text);
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		if (texts[i] && resettime_parse(texts[i], (time_t)now, &t) == 0)
			return (long long)t;
	return 0;
}

const struct judge_usage *judge_usage(const struct judge *j)
{
	return &j->usage;
}

const struct strvec *judge_denials(const struct judge *j)
{
	return &j->denials;
}

const char *judge_said(const struct judge *j)
{
	return buf_str(&j->said);
}

const char *judge_error_text(const struct judge *j)
{
	return buf_str(&j->error_text);
}

bool judge_retrying(const struct judge *j)
{
	return j->retrying;
}

unsigned judge_progress_count(const struct judge *j)
{
	return j->progress;
}

#define X_WAIT_NAME(n, s) s,
static const char *const wait_names[] = { WAIT_REASONS(X_WAIT_NAME) };
#undef X_WAIT_NAME

const char *wait_reason_name(enum wait_reason w)
{
	return (unsigned)w < WAIT__COUNT ? wait_names[w] : "none";
}

enum wait_reason wait_reason_from_name(const char *s)
{
	for (int i = 0; s && i < WAIT__COUNT; i++)
		if (!strcmp(s, wait_names[i]))
			return (enum wait_reason)i;
	return WAIT_NONE;
}

const char *judge_result_json(const struct judge *j)
{
	return j->result_json;
}

const char *judge_result_status(const struct judge *j)
{
	return j->result_status;
}

const char *judge_result_invalid(const struct judge *j)
{
	return j->result_invalid;
}

const char *judge_verdict_name(enum judge_verdict v)
{
	switch (v) {
	case JV_RESULT:
		return "result";
	case JV_SUCCESS:
		return "success";
	case JV_FAILURE:
		return "failure";
	case JV_NO_RESULT:
		return "no-result";
	case JV_EXITED:
		return "exited";
	case JV_WAIT:
		return "wait";
	case JV_UNAVAILABLE:
		return "unavailable";
	case JV_NETWORK:
		return "network";
	case JV_DENIED:
		return "denied";
	}
	return "unknown";
}
