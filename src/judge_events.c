/* SPDX-License-Identifier: MIT */
/*
 * judge_events.c: reads the agents' own JSON events for the judge: the text
 * in them (model text and error text, judge.h), and the machine fields that
 * say what happened without any pattern: error categories, API statuses,
 * rate-limit events and their reset time, retries, permission denials,
 * cost and token usage.
 *
 * Must not: read files or the clock, keep more than the last text of each
 * kind, or decide a verdict (judge.c does, from what is recorded here).
 *
 * Event shapes read (anything else, and any member missing or of another
 * type, is ignored; a line that is not a JSON object is judged as text):
 *
 * claude-stream-json (claude -p PROMPT --output-format stream-json --verbose)
 *   {"type":"assistant","error":E,"message":{"model":M,"content":[{"type":"text","text":T},...]}}
 *       T is model text, split into lines; error text instead when M is
 *       "<synthetic>" (the CLI speaking, e.g. "Invalid API key · Please run
 *       /login") or the event has an "error" member. E is the CLI's error
 *       category (rate_limit, overloaded, server_error, authentication_failed,
 *       oauth_org_not_allowed, billing_error, model_not_found, invalid_request,
 *       max_output_tokens, unknown).
 *   {"type":"rate_limit_event","rate_limit_info":{"status":S,"resetsAt":N,"rateLimitType":K}}
 *       S "rejected": a usage limit, resetting at N (unix seconds).
 *   {"type":"system","subtype":"api_retry","error":E,"error_status":N,...}
 *       the CLI retries a failed request: a retry, not progress.
 *   {"type":"result","subtype":S,"is_error":B,"result":T,"api_error_status":N,
 *    "permission_denials":[{"tool_name":X,"tool_input":{...}}],
 *    "total_cost_usd":C,"usage":{...},"num_turns":K,"duration_ms":D}
 *       B true, or S starting with "error" (error_max_turns,
 *       error_during_execution): a fatal agent error, T is error text and N
 *       the HTTP status of the failed request. Otherwise T (the final
 *       message again) is model text.
 *   "user" (tool results), "stream_event", other "system": progress only.
 *
 * codex-json (codex exec --json)
 *   {"type":"item.completed","item":{"type":"agent_message","text":T}}
 *       T is model text.
 *   {"type":"item.completed","item":{"type":"error","message":T}}
 *       a warning: T is error text, not fatal.
 *   {"type":"item.completed","item":{"type":"command_execution","command":C,"status":"declined"}}
 *       a command the agent was not allowed to run: a permission denial.
 *   {"type":"turn.failed","error":{"message":T}}
 *       a fatal agent error, T is error text.
 *   {"type":"error","message":T}
 *       T is error text; fatal unless a later turn.completed shows that the
 *       turn recovered. A T matching the agent's retrying patterns
 *       ("Reconnecting...") is a retry, not progress.
 *   {"type":"turn.completed","usage":{"input_tokens":I,"cached_input_tokens":C,"output_tokens":O}}
 *       clears a pending "error" event; usage is summed over turns.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "judge_int.h"

static const char *member_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The most a reported count is taken for: more is nonsense, and sums stay defined. */
#define COUNT_MAX 1000000000000000LL

/* A count the agent reported (tokens, milliseconds, turns): 0..COUNT_MAX. */
static long long member_int(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		return i < 0 ? 0 : i > COUNT_MAX ? COUNT_MAX : (long long)i;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);

		/* NaN fails both tests: 0 */
		return !(d >= 0) ? 0 : d > (double)COUNT_MAX ? COUNT_MAX : (long long)d;
	}
	return 0;
}

/* *acc += v, stopping at COUNT_MAX (both within 0..COUNT_MAX). */
static void add_count(long long *acc, long long v)
{
	*acc = *acc > COUNT_MAX - v ? COUNT_MAX : *acc + v;
}

void judge__class_release(struct judge_class *c)
{
	free(c->why);
	c->why = NULL;
	c->v = JV_FAILURE;
	c->reason = WAIT_NONE;
}

void judge__classify(struct judge_class *c, enum judge_verdict v, enum wait_reason w,
		     const char *what, const char *text)
{
	size_t n;

	if (c->v != JV_FAILURE)
		return;
	c->v = v;
	c->reason = w;
	n = text ? strcspn(text, "\n") : 0;
	if (n && judge__visible(text, n)) {
		char *e = judge__excerpt(text, n);

		c->why = xstrfmt("%s: %s", what, e);
		free(e);
	} else {
		c->why = xstrdup(what);
	}
}

/* Keeps the last text of a kind for people to read, capped at SAID_MAX. */
static void keep_text(struct buf *b, const char *text)
{
	size_t n;

	if (!text || !judge__visible(text, strlen(text)))
		return;
	n = strlen(text);
	buf_reset(b);
	if (n > SAID_MAX) {
		buf_adds(b, "...");
		text += n - SAID_MAX;
		n = SAID_MAX;
	}
	buf_add(b, text, n);
}

/*
 * Claude Code's error categories (the assistant message's "error") and what
 * each means for the run.
 */
static const struct {
	const char *category;
	enum judge_verdict v;
	enum wait_reason w;
} claude_errors[] = {
	{ "rate_limit", JV_WAIT, WAIT_RATE_LIMIT },
	{ "overloaded", JV_WAIT, WAIT_OVERLOADED },
	{ "server_error", JV_WAIT, WAIT_SERVER_ERROR },
	{ "authentication_failed", JV_UNAVAILABLE, WAIT_NONE },
	{ "oauth_org_not_allowed", JV_UNAVAILABLE, WAIT_NONE },
	{ "billing_error", JV_UNAVAILABLE, WAIT_NONE },
	{ "model_not_found", JV_UNAVAILABLE, WAIT_NONE },
	/* invalid_request, max_output_tokens, unknown: the text decides */
};

static void claude_category(struct judge_class *c, const char *category, const char *text)
{
	for (size_t i = 0; category && i < ARRAY_SIZE(claude_errors); i++) {
		if (!strcmp(category, claude_errors[i].category)) {
			char *what = xstrfmt("claude error '%s'", category);

			judge__classify(c, claude_errors[i].v, claude_errors[i].w, what, text);
			free(what);
			return;
		}
	}
}

/* An HTTP status of a failed API request. */
static void api_status(struct judge_class *c, long long status, const char *text)
{
	enum judge_verdict v = JV_FAILURE;
	enum wait_reason w = WAIT_NONE;
	char *what;

	if (status == 401 || status == 402 || status == 403)
		v = JV_UNAVAILABLE;
	else if (status == 429)
		v = JV_WAIT, w = WAIT_RATE_LIMIT;
	else if (status == 529)
		v = JV_WAIT, w = WAIT_OVERLOADED;
	else if (status == 408 || (status >= 500 && status <= 599))
		v = JV_WAIT, w = WAIT_SERVER_ERROR;
	if (v == JV_FAILURE)
		return;
	what = xstrfmt("api error %lld", status);
	judge__classify(c, v, w, what, text);
	free(what);
}

static void add_usage(struct judge_usage *u, const json_t *usage)
{
	if (!json_is_object(usage))
		return;
	u->seen = true;
	add_count(&u->input_tokens, member_int(usage, "input_tokens"));
	add_count(&u->output_tokens, member_int(usage, "output_tokens"));
	add_count(&u->cache_read_tokens, member_int(usage, "cache_read_input_tokens"));
	add_count(&u->cache_read_tokens, member_int(usage, "cached_input_tokens"));
	add_count(&u->cache_write_tokens, member_int(usage, "cache_creation_input_tokens"));
}

/* "Bash: ./tests/check.sh": the tool and its command, path or pattern. */
static void claude_denials(struct judge *j, const json_t *list)
{
	static const char *const keys[] = { "command", "file_path", "path", "pattern", "url" };
	size_t i;

	for (i = 0; i < json_array_size(list); i++) {
		const json_t *d = json_array_get(list, i);
		const json_t *input = json_object_get(d, "tool_input");
		const char *tool = member_str(d, "tool_name"), *arg = NULL;

		for (size_t k = 0; !arg && k < ARRAY_SIZE(keys); k++)
			arg = member_str(input, keys[k]);
		if (arg) {
			char *e = judge__excerpt(arg, strlen(arg));

			strvec_push_nodup(&j->denials, xstrfmt("%s: %s", tool ? tool : "tool", e));
			free(e);
		} else {
			strvec_push(&j->denials, tool ? tool : "tool");
		}
	}
}

static void claude_result(struct judge *j, const json_t *ev)
{
	const char *subtype = member_str(ev, "subtype");
	const char *text = member_str(ev, "result");
	bool is_error = json_is_true(json_object_get(ev, "is_error"));
	bool failed = is_error || (subtype && !strncmp(subtype, "error", 5));
	const json_t *cost = json_object_get(ev, "total_cost_usd");

	if (json_is_number(cost)) {
		j->usage.has_cost = true;
		j->usage.cost_usd += json_number_value(cost);
		j->usage.seen = true;
	}
	add_usage(&j->usage, json_object_get(ev, "usage"));
	{
		/* turns is an int: at most a million, whatever was reported */
		long long turns = j->usage.turns + member_int(ev, "num_turns");

		j->usage.turns = turns > 1000000 ? 1000000 : (int)turns;
	}
	add_count(&j->usage.duration_ms, member_int(ev, "duration_ms"));
	claude_denials(j, json_object_get(ev, "permission_denials"));
	if (!failed) {
		judge__block(j, text, SRC_MODEL);
		keep_text(&j->said, text);
		return;
	}
	judge__block(j, text, SRC_ERROR);
	keep_text(&j->error_text, text);
	api_status(&j->field, member_int(ev, "api_error_status"), text);
	if (!j->agent_error.seen) {
		char *what = xstrfmt("claude result is an error (subtype '%s')",
				     subtype ? subtype : "none");

		judge__agent_error(&j->agent_error, what, text);
		free(what);
	}
}

static void claude_assistant(struct judge *j, const json_t *ev)
{
	const json_t *msg = json_object_get(ev, "message");
	const json_t *content = json_object_get(msg, "content");
	const char *model = member_str(msg, "model");
	const char *category = member_str(ev, "error");
	enum judge_src src = SRC_MODEL;
	struct buf all = BUF_INIT;
	size_t i;

	if ((model && !strcmp(model, "<synthetic>")) || json_object_get(ev, "error"))
		src = SRC_ERROR;
	if (json_is_string(content)) {
		buf_adds(&all, json_string_value(content));
	} else {
		for (i = 0; i < json_array_size(content); i++) {
			const json_t *block = json_array_get(content, i);
			const char *bt = member_str(block, "type");
			const char *text = member_str(block, "text");

			if (bt && !strcmp(bt, "text") && text) {
				if (all.len)
					buf_addc(&all, '\n');
				buf_adds(&all, text);
			}
		}
	}
	if (all.len) {
		judge__block(j, all.s, src);
		keep_text(src == SRC_MODEL ? &j->said : &j->error_text, all.s);
	}
	claude_category(&j->field, category, buf_str(&all));
	buf_release(&all);
}

static void claude_rate_limit(struct judge *j, const json_t *ev)
{
	const json_t *info = json_object_get(ev, "rate_limit_info");
	const char *status = member_str(info, "status");
	const char *kind = member_str(info, "rateLimitType");
	long long at = member_int(info, "resetsAt");
	char *what;

	if (!status || strcmp(status, "rejected"))
		return;
	if (at > 0)
		j->resets_at = at;
	what = xstrfmt("usage limit reached (%s)", kind ? kind : "unknown");
	judge__classify(&j->field, JV_WAIT, WAIT_USAGE_LIMIT, what, NULL);
	free(what);
}

static void claude_retry(struct judge *j, const json_t *ev)
{
	const char *category = member_str(ev, "error");
	long long status = member_int(ev, "error_status");

	j->retrying = true;
	judge__class_release(&j->retry);
	if (status)
		api_status(&j->retry, status, category);
	claude_category(&j->retry, category, NULL);
	/* no status and no known category: the request never reached the service */
	judge__classify(&j->retry, JV_NETWORK, WAIT_NETWORK, "api retry without a response",
			category);
}

/* Returns true when the event was a retry rather than progress. */
static bool claude_event(struct judge *j, const json_t *ev, const char *type)
{
	if (!strcmp(type, "assistant")) {
		claude_assistant(j, ev);
	} else if (!strcmp(type, "result")) {
		claude_result(j, ev);
	} else if (!strcmp(type, "rate_limit_event")) {
		claude_rate_limit(j, ev);
	} else if (!strcmp(type, "system")) {
		const char *sub = member_str(ev, "subtype");

		if (sub && !strcmp(sub, "api_retry")) {
			claude_retry(j, ev);
			return true;
		}
	}
	return false;
}

/* Returns true when the event was a retry rather than progress. */
static bool codex_event(struct judge *j, const json_t *ev, const char *type)
{
	if (!strcmp(type, "item.completed")) {
		const json_t *item = json_object_get(ev, "item");
		const char *it = member_str(item, "type");

		if (!it)
			return false;
		if (!strcmp(it, "agent_message")) {
			judge__block(j, member_str(item, "text"), SRC_MODEL);
			keep_text(&j->said, member_str(item, "text"));
		} else if (!strcmp(it, "error")) {
			judge__block(j, member_str(item, "message"), SRC_ERROR);
		} else if (!strcmp(it, "command_execution")) {
			const char *status = member_str(item, "status");
			const char *cmd = member_str(item, "command");

			if (status && !strcmp(status, "declined")) {
				char *e = judge__excerpt(cmd ? cmd : "", cmd ? strlen(cmd) : 0);

				strvec_push_nodup(&j->denials, xstrfmt("command: %s", e));
				free(e);
			}
		}
	} else if (!strcmp(type, "turn.failed")) {
		const char *msg = member_str(json_object_get(ev, "error"), "message");

		judge__block(j, msg, SRC_ERROR);
		keep_text(&j->error_text, msg);
		judge__agent_error(&j->agent_error, "codex turn failed", msg);
	} else if (!strcmp(type, "error")) {
		const char *msg = member_str(ev, "message");
		bool retry = msg && judge__retry_text(j, msg, strlen(msg));

		judge__block(j, msg, SRC_ERROR);
		keep_text(&j->error_text, msg);
		judge__agent_error(&j->codex_pending, "codex error", msg);
		return retry;
	} else if (!strcmp(type, "turn.completed")) {
		judge__hit_release(&j->codex_pending);
		add_usage(&j->usage, json_object_get(ev, "usage"));
		j->usage.turns++;
	}
	return false;
}

bool judge__event(struct judge *j, const char *s, size_t n)
{
	json_error_t err;
	const char *type;
	bool retry = false, info;
	json_t *ev;

	if (!n || (s[0] != '{' && !judge__visible(s, n)))
		return false;
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	if (!n || *s != '{')
		return false;
	ev = json_loadb(s, n, 0, &err);
	if (!ev)
		return false;
	if (!json_is_object(ev)) {
		json_decref(ev);
		return false;
	}
	type = member_str(ev, "type");
	/* a rate_limit_event is neither work nor a retry */
	info = type && !strcmp(type, "rate_limit_event");
	if (type && j->fmt == FMT_CLAUDE)
		retry = claude_event(j, ev, type);
	else if (type && j->fmt == FMT_CODEX)
		retry = codex_event(j, ev, type);
	json_decref(ev);
	if (retry) {
		j->retrying = true;
	} else if (!info) {
		j->retrying = false;
		j->progress++;
	}
	return true;
}
