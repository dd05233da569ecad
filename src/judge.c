/*
 * judge.c: judges one agent session from the bytes of its output. It turns
 * a byte stream cut anywhere into lines (terminal escapes stripped, \r
 * overwrites honoured, lines capped at JUDGE_LINE_MAX), reads Claude Code and
 * Codex JSON events, matches every line once against precompiled patterns
 * and keeps the last valid AUTOMATOR_RESULT object. judge_finish turns what
 * it saw plus the exit into one verdict (order in judge.h).
 *
 * Must not: read files or the clock, start processes, compile patterns,
 * re-scan old output, or keep more than one line of output in memory.
 *
 * Event shapes read (anything else, and any member missing or of another
 * type, is ignored; a line that is not a JSON object is judged as text):
 *
 * claude-stream-json (claude -p PROMPT --output-format stream-json --verbose)
 *   {"type":"assistant","message":{"model":M,"content":[{"type":"text","text":T},...]}}
 *       T is model text, split into lines; error text instead when M is
 *       "<synthetic>" (the CLI speaking, e.g. "Invalid API key · Please run
 *       /login") or the event has an "error" member.
 *   {"type":"result","subtype":S,"is_error":B,"result":T,...}
 *       B true, or S starting with "error" (error_max_turns,
 *       error_during_execution): a fatal agent error, T is error text.
 *       Otherwise T (the final message again) is model text.
 *   "system", "user" (tool results), "stream_event": ignored.
 *
 * codex-json (codex exec --json)
 *   {"type":"item.completed","item":{"type":"agent_message","text":T}}
 *       T is model text.
 *   {"type":"item.completed","item":{"type":"error","message":T}}
 *       a warning: T is error text, not fatal.
 *   {"type":"turn.failed","error":{"message":T}}
 *       a fatal agent error, T is error text.
 *   {"type":"error","message":T}
 *       T is error text; fatal unless a later turn.completed shows that the
 *       turn recovered (Codex reports retries such as "Reconnecting... 1/5"
 *       this way).
 *   {"type":"turn.completed",...}   clears a pending "error" event.
 *   thread.started, turn.started, item.started, item.updated and other items
 *   (reasoning, command_execution, file_change, ...): ignored.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "judge.h"
#include "match.h"
#include "util.h"

/* Longest excerpt of output quoted in a reason (bytes, before "..."). */
#define EXCERPT_MAX 200

enum judge_format { FMT_TEXT, FMT_CLAUDE, FMT_CODEX };

/* Where a line of text came from (judge.h: plain, model and error text). */
enum judge_src { SRC_PLAIN, SRC_MODEL, SRC_ERROR };

/* Escape sequence being skipped. */
enum judge_esc {
	ESC_NONE,
	ESC_ESC,     /* after ESC */
	ESC_INTER,   /* ESC, intermediate bytes (ESC ( B) */
	ESC_CSI,     /* ESC [ parameters, intermediates, final */
	ESC_STR,     /* OSC, DCS, SOS, PM, APC: up to BEL or ESC \ */
	ESC_STR_ESC, /* ESC inside a string sequence */
};

/* The first line that matched a list, or the first event of a kind. */
struct judge_hit {
	bool seen;
	char *pattern; /* pattern source (excerpt), NULL for events */
	char *text;    /* excerpt of the line or message */
};

struct judge {
	struct judge_cfg cfg;
	enum judge_format fmt;

	/* line assembly */
	char line[JUDGE_LINE_MAX + 1]; /* the current line, stripped, NUL-terminated */
	size_t len;
	enum judge_esc esc;
	bool pending_cr; /* a \r was seen: the next visible byte starts the line over */
	bool split;      /* the current line has been judged in pieces */
	bool opaque;     /* ... and it is an overlong JSON event: not judged */
	size_t bytes;
	bool finished;

	/* what was seen */
	struct buf last;  /* last complete line with visible text */
	bool prompt_last; /* ... and it matched a prompt_wait pattern */
	struct judge_hit step_failure, agent_failure;
	struct judge_hit step_success, agent_success;
	struct judge_hit rate_limit, unavailable;
	struct judge_hit agent_error;   /* Claude error result, Codex turn.failed */
	struct judge_hit codex_pending; /* Codex error event without turn.completed yet */

	char *result_json;    /* last valid AUTOMATOR_RESULT, compact */
	char *result_status;  /* its "status" when a string */
	char *result_invalid; /* why the last invalid one was refused */
};

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool has_visible(const char *s, size_t n)
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

/* Bytes at the end of s[0..n) that begin a UTF-8 sequence not yet complete. */
static size_t utf8_incomplete_tail(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 1; i <= 3 && i <= n; i++) {
		unsigned char c = u[n - i];
		size_t need;

		if ((c & 0xc0) == 0x80)
			continue;
		if (c < 0xc0)
			return 0;
		need = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		return need > i ? i : 0;
	}
	return 0;
}

/*
 * A one-line excerpt of s[0..n) for a reason: trimmed, control characters
 * as spaces, invalid UTF-8 as '?', at most EXCERPT_MAX bytes then "...".
 */
static char *excerpt(const char *s, size_t n)
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

static void hit_release(struct judge_hit *h)
{
	free(h->pattern);
	free(h->text);
	memset(h, 0, sizeof(*h));
}

static void hit_set(struct judge_hit *h, const char *pattern, const char *s, size_t n)
{
	hit_release(h);
	h->seen = true;
	h->pattern = pattern ? excerpt(pattern, strlen(pattern)) : NULL;
	h->text = excerpt(s, n);
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
		char *e = excerpt(err.text, strlen(err.text));

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

	if (!has_visible(s, n))
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
		match_hit(&j->rate_limit, c->agent_rate_limit, s, n);
		match_hit(&j->unavailable, c->agent_unavailable, s, n);
	}
}

/* Text that may hold several lines (from a JSON string). */
static void judge_block(struct judge *j, const char *text, enum judge_src src)
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

static const char *member_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Records the first fatal agent error (reason "<what>: <first line of text>"). */
static void agent_error(struct judge_hit *h, const char *what, const char *text)
{
	struct buf b = BUF_INIT;
	size_t n;

	if (h->seen)
		return;
	buf_adds(&b, what);
	if (text) {
		n = strcspn(text, "\n");
		if (has_visible(text, n)) {
			char *e = excerpt(text, n);

			buf_addf(&b, ": %s", e);
			free(e);
		}
	}
	h->seen = true;
	h->pattern = NULL;
	h->text = buf_detach(&b);
}

static void claude_event(struct judge *j, const json_t *ev, const char *type)
{
	if (!strcmp(type, "assistant")) {
		const json_t *msg = json_object_get(ev, "message");
		const json_t *content = json_object_get(msg, "content");
		const char *model = member_str(msg, "model");
		enum judge_src src = SRC_MODEL;
		size_t i;

		if ((model && !strcmp(model, "<synthetic>")) || json_object_get(ev, "error"))
			src = SRC_ERROR;
		if (json_is_string(content)) {
			judge_block(j, json_string_value(content), src);
			return;
		}
		for (i = 0; i < json_array_size(content); i++) {
			const json_t *block = json_array_get(content, i);
			const char *bt = member_str(block, "type");

			if (bt && !strcmp(bt, "text"))
				judge_block(j, member_str(block, "text"), src);
		}
	} else if (!strcmp(type, "result")) {
		const char *subtype = member_str(ev, "subtype");
		const char *text = member_str(ev, "result");
		bool is_error = json_is_true(json_object_get(ev, "is_error"));
		bool failed = is_error || (subtype && !strncmp(subtype, "error", 5));

		if (!failed) {
			judge_block(j, text, SRC_MODEL);
			return;
		}
		judge_block(j, text, SRC_ERROR);
		if (!j->agent_error.seen) {
			char *what = xstrfmt("claude result is an error (subtype '%s')",
					     subtype ? subtype : "none");

			agent_error(&j->agent_error, what, text);
			free(what);
		}
	}
}

static void codex_event(struct judge *j, const json_t *ev, const char *type)
{
	if (!strcmp(type, "item.completed")) {
		const json_t *item = json_object_get(ev, "item");
		const char *it = member_str(item, "type");

		if (!it)
			return;
		if (!strcmp(it, "agent_message"))
			judge_block(j, member_str(item, "text"), SRC_MODEL);
		else if (!strcmp(it, "error"))
			judge_block(j, member_str(item, "message"), SRC_ERROR);
	} else if (!strcmp(type, "turn.failed")) {
		const char *msg = member_str(json_object_get(ev, "error"), "message");

		judge_block(j, msg, SRC_ERROR);
		agent_error(&j->agent_error, "codex turn failed", msg);
	} else if (!strcmp(type, "error")) {
		const char *msg = member_str(ev, "message");

		judge_block(j, msg, SRC_ERROR);
		agent_error(&j->codex_pending, "codex error", msg);
	} else if (!strcmp(type, "turn.completed")) {
		hit_release(&j->codex_pending);
	}
}

/* Judges s[0..n) as a JSON event; false when it is not a JSON object. */
static bool judge_event(struct judge *j, const char *s, size_t n)
{
	json_error_t err;
	const char *type;
	json_t *ev;

	if (first_visible(s, n) != '{')
		return false;
	ev = json_loadb(s, n, 0, &err);
	if (!ev)
		return false;
	if (!json_is_object(ev)) {
		json_decref(ev);
		return false;
	}
	type = member_str(ev, "type");
	if (type && j->fmt == FMT_CLAUDE)
		claude_event(j, ev, type);
	else if (type && j->fmt == FMT_CODEX)
		codex_event(j, ev, type);
	json_decref(ev);
	return true;
}

/*
 * The first n bytes of the line buffer are a line (piece: a JUDGE_LINE_MAX
 * piece of a longer line, more to come). A line judged in pieces is plain
 * text, or not judged at all when it is a JSON event (its pieces are not JSON
 * and would be taken for plain text).
 */
static void line_emit(struct judge *j, size_t n, bool piece)
{
	const char *s = j->line;
	bool overlong = piece || j->split;

	if (piece && !j->split) {
		j->split = true;
		j->opaque = j->fmt != FMT_TEXT && first_visible(s, n) == '{';
	}
	if (!has_visible(s, n))
		return;
	j->prompt_last = false;
	if (j->opaque)
		return;
	if (j->fmt == FMT_TEXT || overlong || !judge_event(j, s, n))
		judge_text(j, s, n, SRC_PLAIN);
}

static void line_end(struct judge *j)
{
	line_emit(j, j->len, false);
	j->len = 0;
	j->line[0] = '\0';
	j->pending_cr = false;
	j->split = false;
	j->opaque = false;
}

/* Judges a full buffer as a piece, keeping an unfinished UTF-8 sequence. */
static void line_split(struct judge *j)
{
	size_t keep = utf8_incomplete_tail(j->line, j->len);
	char carry[4];

	memcpy(carry, j->line + j->len - keep, keep);
	line_emit(j, j->len - keep, true);
	memcpy(j->line, carry, keep);
	j->len = keep;
	j->line[j->len] = '\0';
}

static void line_put(struct judge *j, char c)
{
	if (j->pending_cr) {
		j->pending_cr = false;
		j->len = 0;
	}
	if (j->len == JUDGE_LINE_MAX)
		line_split(j);
	j->line[j->len++] = c;
	j->line[j->len] = '\0';
}

/* True when c is part of an escape sequence (and consumed). */
static bool judge_escape(struct judge *j, unsigned char c)
{
	switch (j->esc) {
	case ESC_NONE:
		return false;
	case ESC_ESC:
		if (c == '[') {
			j->esc = ESC_CSI;
		} else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') {
			j->esc = ESC_STR;
		} else if (c >= 0x20 && c <= 0x2f) {
			j->esc = ESC_INTER;
		} else if (c != 0x1b) {
			j->esc = ESC_NONE;
			return c >= 0x30 && c <= 0x7e;
		}
		return true;
	case ESC_INTER:
		if (c >= 0x20 && c <= 0x2f)
			return true;
		j->esc = ESC_NONE;
		return c >= 0x30 && c <= 0x7e;
	case ESC_CSI:
		if (c >= 0x20 && c <= 0x3f)
			return true;
		j->esc = ESC_NONE;
		return c >= 0x40 && c <= 0x7e;
	case ESC_STR:
		if (c == 0x07) {
			j->esc = ESC_NONE;
		} else if (c == 0x1b) {
			j->esc = ESC_STR_ESC;
		} else if (c == '\n') {
			/* unterminated: never let it swallow lines */
			j->esc = ESC_NONE;
			return false;
		}
		return true;
	case ESC_STR_ESC:
		if (c == '\\') {
			j->esc = ESC_NONE;
			return true;
		}
		j->esc = ESC_ESC;
		return judge_escape(j, c);
	}
	return false;
}

void judge_feed(struct judge *j, const char *data, size_t len)
{
	if (j->finished)
		return;
	j->bytes += len;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];

		if (judge_escape(j, c))
			continue;
		if (c == 0x1b)
			j->esc = ESC_ESC;
		else if (c == '\n')
			line_end(j);
		else if (c == '\r')
			j->pending_cr = true;
		else if (c == '\t' || (c >= 0x20 && c != 0x7f))
			line_put(j, (char)c); /* other controls are dropped */
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
	return j;
}

void judge_free(struct judge *j)
{
	if (!j)
		return;
	buf_release(&j->last);
	hit_release(&j->step_failure);
	hit_release(&j->agent_failure);
	hit_release(&j->step_success);
	hit_release(&j->agent_success);
	hit_release(&j->rate_limit);
	hit_release(&j->unavailable);
	hit_release(&j->agent_error);
	hit_release(&j->codex_pending);
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
	if (has_visible(j->line, j->len))
		return tail_is_plain(j) && prompt_match(j, j->line, j->len);
	return j->prompt_last;
}

size_t judge_bytes(const struct judge *j)
{
	return j->bytes;
}

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

enum judge_verdict judge_finish(struct judge *j, int exit_status, int exit_signal, char **reason)
{
	const struct judge_hit *fatal;
	bool exit0 = exit_signal <= 0 && exit_status == 0;
	enum judge_verdict v;
	bool clean;
	char *why;

	if (!j->finished) {
		if (j->len || j->split)
			line_end(j);
		j->esc = ESC_NONE;
		j->pending_cr = false;
		j->finished = true;
	}
	fatal = fatal_error(j);
	clean = exit0 && !fatal;

	if (j->unavailable.seen && !clean) {
		v = JV_UNAVAILABLE;
		why = hit_reason("unavailable", &j->unavailable);
	} else if (j->rate_limit.seen && !clean) {
		v = JV_RATE_LIMITED;
		why = hit_reason("rate-limit", &j->rate_limit);
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
	if (reason)
		*reason = why;
	else
		free(why);
	return v;
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
	case JV_RATE_LIMITED:
		return "rate-limited";
	case JV_UNAVAILABLE:
		return "unavailable";
	}
	return "unknown";
}
