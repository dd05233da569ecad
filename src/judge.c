/* SPDX-License-Identifier: MIT */
/*
 * judge.c: judges one agent session from the bytes of its output. With
 * judge_feed.c it turns a byte stream cut anywhere into lines (terminal
 * escapes stripped, \r overwrites honoured, lines capped at
 * JUDGE_LINE_MAX); it reads Claude Code and
 * Codex JSON events, matches every line once against precompiled patterns
 * and keeps the last valid AUTOMATOR_RESULT object. judge_verdict.c turns
 * what it saw plus the exit into one verdict (order in judge.h).
 *
 * Must not: read files or the clock, start processes, compile patterns,
 * re-scan old output, or keep more than one line of output in memory.
 *
 * The agents' JSON events are read by judge_events.c (shapes listed there);
 * the three share judge_int.h.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "judge_int.h"
#include "match.h"
#include "util.h"

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool judge__visible(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_space((unsigned char)s[i]))
			return true;
	return false;
}

static char first_visible(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_space((unsigned char)s[i]))
			return s[i];
	return '\0';
}

/* Length of the valid UTF-8 sequence at u (n bytes available), 0 when invalid. */
static size_t utf8_len(const unsigned char *u, size_t n)
{
	unsigned lo = 0x80, hi = 0xbf;
	size_t need;

	if (u[0] < 0x80)
		return 1;
	if (u[0] < 0xc2 || u[0] > 0xf4)
		return 0;
	need = u[0] < 0xe0 ? 2 : u[0] < 0xf0 ? 3 : 4;
	if (u[0] == 0xe0)
		lo = 0xa0;
	else if (u[0] == 0xed)
		hi = 0x9f;
	else if (u[0] == 0xf0)
		lo = 0x90;
	else if (u[0] == 0xf4)
		hi = 0x8f;
	if (n < need || u[1] < lo || u[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++)
		if ((u[i] & 0xc0) != 0x80)
			return 0;
	return need;
}

char *judge__excerpt(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	struct buf b = BUF_INIT;
	size_t i = 0, k;

	while (n && is_space(u[n - 1]))
		n--;
	while (i < n && is_space(u[i]))
		i++;
	while (i < n) {
		if (b.len >= EXCERPT_MAX) {
			buf_adds(&b, "...");
			break;
		}
		if (u[i] < 0x20 || u[i] == 0x7f) {
			buf_addc(&b, ' ');
			i++;
			continue;
		}
		k = utf8_len(u + i, n - i);
		if (!k) {
			buf_addc(&b, '?');
			i++;
			continue;
		}
		buf_add(&b, s + i, k);
		i += k;
	}
	return buf_detach(&b);
}

void judge__hit_release(struct judge_hit *h)
{
	free(h->pattern);
	free(h->text);
	memset(h, 0, sizeof(*h));
}

static void hit_set(struct judge_hit *h, const char *pattern, const char *s, size_t n)
{
	judge__hit_release(h);
	h->seen = true;
	h->pattern = pattern ? judge__excerpt(pattern, strlen(pattern)) : NULL;
	h->text = judge__excerpt(s, n);
}

static int list_match(const struct patlist *l, const char *s, size_t n)
{
	if (!l || !l->n)
		return -1;
	return patlist_match(l, s, n);
}

/* Records the first line matching l in *h; later lines are not matched. */
static void match_hit(struct judge_hit *h, const struct patlist *l, const char *s, size_t n)
{
	int i;

	if (h->seen)
		return;
	i = list_match(l, s, n);
	if (i >= 0)
		hit_set(h, pattern_source(l->v[i]), s, n);
}

static bool prompt_match(const struct judge *j, const char *s, size_t n)
{
	return list_match(j->cfg.step_prompt_wait, s, n) >= 0 ||
	       list_match(j->cfg.agent_prompt_wait, s, n) >= 0;
}

static void result_invalid(struct judge *j, char *why)
{
	free(j->result_invalid);
	j->result_invalid = why;
}

/*
 * An AUTOMATOR_RESULT line: optional blanks, the word, blanks, a JSON object
 * holding every required key. Anything else starting with the word is noted
 * as invalid; lines not starting with it are not result lines.
 */
static void judge_result_line(struct judge *j, const char *s, size_t n)
{
	static const char word[] = "AUTOMATOR_RESULT";
	const size_t wlen = sizeof(word) - 1;
	const struct strvec *keys = j->cfg.result_keys;
	json_error_t err;
	json_t *obj, *status;
	size_t i = 0;
	char *dump;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (n - i < wlen || memcmp(s + i, word, wlen))
		return;
	i += wlen;
	if (i < n && s[i] != ' ' && s[i] != '\t')
		return;
	while (i < n && is_space((unsigned char)s[i]))
		i++;
	if (i == n) {
		result_invalid(j, xstrdup("no json object"));
		return;
	}
	obj = json_loadb(s + i, n - i, JSON_REJECT_DUPLICATES, &err);
	if (!obj) {
		char *e = judge__excerpt(err.text, strlen(err.text));

		result_invalid(j, xstrfmt("bad json: %s", e));
		free(e);
		return;
	}
	if (!json_is_object(obj)) {
		result_invalid(j, xstrdup("not a json object"));
		json_decref(obj);
		return;
	}
	for (size_t k = 0; keys && k < keys->n; k++) {
		if (!json_object_get(obj, keys->v[k])) {
			result_invalid(j, xstrfmt("missing key '%s'", keys->v[k]));
			json_decref(obj);
			return;
		}
	}
	dump = json_dumps(obj, JSON_COMPACT);
	if (!dump)
		xdie("out of memory (json_dumps)");
	free(j->result_json);
	j->result_json = dump;
	free(j->result_status);
	status = json_object_get(obj, "status");
	j->result_status = json_is_string(status) ? xstrdup(json_string_value(status)) : NULL;
	json_decref(obj);
}

/* One line of text from src; blank lines change nothing. */
static void judge_text(struct judge *j, const char *s, size_t n, enum judge_src src)
{
	const struct judge_cfg *c = &j->cfg;

	if (!judge__visible(s, n))
		return;
	buf_reset(&j->last);
	buf_add(&j->last, s, n);
	if (src != SRC_ERROR) {
		judge_result_line(j, s, n);
		match_hit(&j->step_failure, c->step_failure, s, n);
		match_hit(&j->agent_failure, c->agent_failure, s, n);
		match_hit(&j->step_success, c->step_success, s, n);
		match_hit(&j->agent_success, c->agent_success, s, n);
		j->prompt_last = prompt_match(j, s, n);
	} else {
		j->prompt_last = false;
	}
	if (src != SRC_MODEL) {
		match_hit(&j->unavailable, c->agent_unavailable, s, n);
		match_hit(&j->usage_limit, c->agent_usage_limit, s, n);
		match_hit(&j->rate_limit, c->agent_rate_limit, s, n);
		match_hit(&j->overloaded, c->agent_overloaded, s, n);
		match_hit(&j->server_error, c->agent_server_error, s, n);
		match_hit(&j->network, c->agent_network, s, n);
	}
}

/*
 * The class one error text alone would give, by the agent's pattern lists
 * (unavailable, the wait reasons, network), into *c when it is unset.
 */
static void text_class(struct judge *j, struct judge_class *c, const char *s, size_t n)
{
	const struct judge_cfg *cfg = &j->cfg;
	const struct {
		const struct patlist *l;
		enum judge_verdict v;
		enum wait_reason w;
	} lists[] = {
		{ cfg->agent_unavailable, JV_UNAVAILABLE, WAIT_NONE },
		{ cfg->agent_usage_limit, JV_WAIT, WAIT_USAGE_LIMIT },
		{ cfg->agent_rate_limit, JV_WAIT, WAIT_RATE_LIMIT },
		{ cfg->agent_overloaded, JV_WAIT, WAIT_OVERLOADED },
		{ cfg->agent_server_error, JV_WAIT, WAIT_SERVER_ERROR },
		{ cfg->agent_network, JV_NETWORK, WAIT_NETWORK },
	};
	char *text = xstrndup(s, n);

	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		if (list_match(lists[i].l, s, n) >= 0) {
			judge__classify(c, lists[i].v, lists[i].w, "retrying", text);
			break;
		}
	}
	free(text);
}

bool judge__retry_text(struct judge *j, const char *s, size_t n)
{
	if (list_match(j->cfg.agent_retrying, s, n) < 0)
		return false;
	judge__class_release(&j->retry);
	text_class(j, &j->retry, s, n);
	return true;
}

void judge__agent_error(struct judge_hit *h, const char *what, const char *text)
{
	struct buf b = BUF_INIT;
	size_t n;

	if (h->seen)
		return;
	buf_adds(&b, what);
	if (text) {
		n = strcspn(text, "\n");
		if (judge__visible(text, n)) {
			char *e = judge__excerpt(text, n);

			buf_addf(&b, ": %s", e);
			free(e);
		}
	}
	h->seen = true;
	h->pattern = NULL;
	h->text = buf_detach(&b);
}

void judge__block(struct judge *j, const char *text, enum judge_src src)
{
	const char *p = text, *nl;
	size_t n;

	if (!text)
		return;
	for (;;) {
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (n && p[n - 1] == '\r')
			n--;
		judge_text(j, p, n, src);
		if (!nl)
			break;
		p = nl + 1;
	}
}

/*
 * The first n bytes of the line buffer are a line (piece: a JUDGE_LINE_MAX
 * piece of a longer line, more to come). A line judged in pieces is plain
 * text, or not judged at all when it is a JSON event (its pieces are not JSON
 * and would be taken for plain text).
 */
void judge__line_emit(struct judge *j, size_t n, bool piece)
{
	const char *s = j->line;
	bool overlong = piece || j->split;

	if (piece && !j->split) {
		j->split = true;
		j->opaque = j->fmt != FMT_TEXT && first_visible(s, n) == '{';
	}
	if (!judge__visible(s, n))
		return;
	j->prompt_last = false;
	if (j->opaque)
		return;
	if (j->fmt != FMT_TEXT && !overlong && judge__event(j, s, n))
		return;
	judge_text(j, s, n, SRC_PLAIN);
	if (judge__retry_text(j, s, n)) {
		j->retrying = true;
	} else {
		j->retrying = false;
		j->progress++;
		if (j->fmt == FMT_TEXT) {
			buf_reset(&j->said);
			buf_add(&j->said, s, n);
		}
	}
}

void judge_cfg_init(struct judge_cfg *cfg, const struct step *step, const struct agent *agent)
{
	memset(cfg, 0, sizeof(*cfg));
	if (step) {
		cfg->step_success = &step->success;
		cfg->step_failure = &step->failure;
		cfg->step_prompt_wait = &step->prompt_wait;
		cfg->result_keys = &step->result;
		cfg->expects_result = step->result.n > 0 || step->success.n > 0;
	}
	if (agent) {
		cfg->agent_success = &agent->success;
		cfg->agent_failure = &agent->failure;
		cfg->agent_prompt_wait = &agent->prompt_wait;
		cfg->agent_rate_limit = &agent->rate_limit;
		cfg->agent_usage_limit = &agent->usage_limit;
		cfg->agent_overloaded = &agent->overloaded;
		cfg->agent_server_error = &agent->server_error;
		cfg->agent_network = &agent->network;
		cfg->agent_retrying = &agent->retrying;
		cfg->agent_unavailable = &agent->unavailable;
		cfg->output = agent->output;
	}
}

struct judge *judge_new(const struct judge_cfg *cfg)
{
	struct judge *j = xcalloc(1, sizeof(*j));

	j->cfg = *cfg;
	j->fmt = FMT_TEXT;
	if (cfg->output && !strcmp(cfg->output, "claude-stream-json"))
		j->fmt = FMT_CLAUDE;
	else if (cfg->output && !strcmp(cfg->output, "codex-json"))
		j->fmt = FMT_CODEX;
	buf_init(&j->last);
	buf_init(&j->said);
	buf_init(&j->error_text);
	j->field.v = JV_FAILURE;
	j->retry.v = JV_FAILURE;
	return j;
}

void judge_free(struct judge *j)
{
	if (!j)
		return;
	buf_release(&j->last);
	judge__hit_release(&j->step_failure);
	judge__hit_release(&j->agent_failure);
	judge__hit_release(&j->step_success);
	judge__hit_release(&j->agent_success);
	judge__hit_release(&j->rate_limit);
	judge__hit_release(&j->usage_limit);
	judge__hit_release(&j->overloaded);
	judge__hit_release(&j->server_error);
	judge__hit_release(&j->network);
	judge__hit_release(&j->unavailable);
	judge__hit_release(&j->agent_error);
	judge__class_release(&j->field);
	judge__class_release(&j->retry);
	strvec_release(&j->denials);
	buf_release(&j->said);
	buf_release(&j->error_text);
	judge__hit_release(&j->codex_pending);
	free(j->result_json);
	free(j->result_status);
	free(j->result_invalid);
	free(j);
}

/* The unterminated tail has visible text that is not a JSON event in flight. */
static bool tail_is_plain(const struct judge *j)
{
	char c = first_visible(j->line, j->len);

	if (!c)
		return false;
	if (j->fmt == FMT_TEXT)
		return true;
	return !j->opaque && !(c == '{' && !j->split);
}

const char *judge_last_line(const struct judge *j)
{
	if (tail_is_plain(j))
		return j->line;
	return buf_str(&j->last);
}

bool judge_seen_rate_limit(const struct judge *j)
{
	return j->rate_limit.seen;
}

bool judge_seen_unavailable(const struct judge *j)
{
	return j->unavailable.seen;
}

bool judge_prompt_waiting(const struct judge *j)
{
	if (judge__visible(j->line, j->len))
		return tail_is_plain(j) && prompt_match(j, j->line, j->len);
	return j->prompt_last;
}

size_t judge_bytes(const struct judge *j)
{
	return j->bytes;
}
