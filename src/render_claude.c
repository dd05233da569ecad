/* SPDX-License-Identifier: MIT */
/*
 * render_claude.c: Claude Code's stream-json events in words (render.h).
 * Must not: keep more than the tool calls awaiting a result and the last
 * error told, or fail on a member missing or of another type (it is left
 * out of the line).
 *
 * What is shown (any other event, subtype or content block is skipped):
 *   system/init              started: model M, cwd D
 *   system/api_retry         API retry N/M in Ss: STATUS CATEGORY
 *   system/permission_denied denied: TOOL: MESSAGE (its tool result is then not told)
 *   system/compact_boundary  (context compacted)
 *   assistant text           the text, line by line, as it is
 *   assistant, synthetic or with "error": error (CATEGORY): TEXT
 *   assistant tool_use       one line a call (tool_line below); TodoWrite a short list
 *   user tool_result         Bash:  "  exit 0", or "  exit N: FIRST ERROR LINE";
 *                            other tools: "  error: FIRST LINE" when it failed
 *                            (without the CLI's <tool_use_error> tags)
 *   rate_limit_event         rejected: usage limit reached (KIND), resets DATE UTC;
 *                            allowed_warning: usage limit warning (KIND)
 *   result                   result: ok|error ..., N turns, Ds, $C[, N denied]
 *                            [: its text, when an error not told already]
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "render_int.h"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* s, or "?" for a member missing */
static const char *nz(const char *s)
{
	return s ? s : "?";
}

static bool is(const char *s, const char *want)
{
	return s && !strcmp(s, want);
}

/* ---- tool calls ---- */

/*
 * Lines of a and b as spans: the lines an edit adds and removes, its
 * common first and last lines left out.
 */
struct span {
	const char *p;
	size_t n;
};

static size_t split_lines(const char *s, struct span **out)
{
	size_t cap = 0, n = 0;

	*out = NULL;
	while (s && *s) {
		size_t k = strcspn(s, "\n");

		ALLOC_GROW(*out, n + 1, cap);
		(*out)[n++] = (struct span){ s, k };
		s += k + (s[k] == '\n');
	}
	return n;
}

static bool same(const struct span *a, const struct span *b)
{
	return a->n == b->n && !memcmp(a->p, b->p, a->n);
}

static void edit_counts(const char *old_s, const char *new_s, size_t *added, size_t *removed)
{
	struct span *a, *b;
	size_t na = split_lines(old_s, &a), nb = split_lines(new_s, &b), head = 0, tail = 0;

	while (head < na && head < nb && same(&a[head], &b[head]))
		head++;
	while (tail < na - head && tail < nb - head && same(&a[na - 1 - tail], &b[nb - 1 - tail]))
		tail++;
	*removed += na - head - tail;
	*added += nb - head - tail;
	free(a);
	free(b);
}

static void todo_list(struct render *r, const json_t *todos, const char *text_key)
{
	size_t i, n = json_array_size(todos);

	render__say(r, RS_TOOL, "Todo (%zu)", n);
	for (i = 0; i < n && i < RENDER_TODOS; i++) {
		const json_t *t = json_array_get(todos, i);
		const char *st = str(t, "status");
		char *what = render__oneline(str(t, text_key));
		const char *mark = is(st, "completed")                             ? "x"
				   : is(st, "in_progress")                         ? ">"
				   : json_is_true(json_object_get(t, "completed")) ? "x"
										   : " ";

		render__say(r, RS_TOOL, "  [%s] %s", mark, what);
		free(what);
	}
	if (n > i)
		render__say(r, RS_TOOL, "  … %zu more", n - i);
}

/* "Grep "pattern" in src": a quoted argument and where. */
static void quoted(struct render *r, const char *tool, const json_t *in, const char *key)
{
	char *what = render__oneline(str(in, key));
	const char *where = str(in, "path") ? render__path(r, str(in, "path")) : NULL;

	if (where)
		render__say(r, RS_TOOL, "%s \"%s\" in %s", tool, what, where);
	else
		render__say(r, RS_TOOL, "%s \"%s\"", tool, what);
	free(what);
}

static void tool_line(struct render *r, const char *name, const json_t *in)
{
	static const char *const keys[] = { "command", "file_path", "notebook_path", "path",
					    "pattern", "url",       "query",         "description",
					    "subject", "prompt" };
	size_t added = 0, removed = 0;

	if (is(name, "Bash")) {
		const char *cmd = str(in, "command");
		char *one = render__oneline(cmd);

		render__say(r, RS_TOOL, "$ %s%s", one,
			    render__count_lines(cmd) > 1 && !strstr(one, " …") ? " …" : "");
		free(one);
	} else if (is(name, "Edit")) {
		edit_counts(str(in, "old_string"), str(in, "new_string"), &added, &removed);
		render__say(r, RS_TOOL, "Edit %s (+%zu −%zu)",
			    render__path(r, str(in, "file_path")), added, removed);
	} else if (is(name, "MultiEdit")) {
		const json_t *edits = json_object_get(in, "edits");

		for (size_t i = 0; i < json_array_size(edits); i++) {
			const json_t *e = json_array_get(edits, i);

			edit_counts(str(e, "old_string"), str(e, "new_string"), &added, &removed);
		}
		render__say(r, RS_TOOL, "Edit %s (+%zu −%zu)",
			    render__path(r, str(in, "file_path")), added, removed);
	} else if (is(name, "Write")) {
		size_t n = render__count_lines(str(in, "content"));

		render__say(r, RS_TOOL, "Write %s (%zu line%s)",
			    render__path(r, str(in, "file_path")), n, n == 1 ? "" : "s");
	} else if (is(name, "Read")) {
		render__say(r, RS_TOOL, "Read %s", render__path(r, str(in, "file_path")));
	} else if (is(name, "Grep") || is(name, "Glob")) {
		quoted(r, name, in, "pattern");
	} else if (is(name, "WebSearch")) {
		quoted(r, name, in, "query");
	} else if (is(name, "TodoWrite")) {
		todo_list(r, json_object_get(in, "todos"), "content");
	} else {
		/* WebFetch URL, Task DESCRIPTION, an MCP tool and its first argument, ... */
		const char *arg = NULL;

		for (size_t i = 0; !arg && i < ARRAY_SIZE(keys); i++)
			if ((arg = str(in, keys[i])) && i >= 1 && i <= 3)
				arg = render__path(r, arg); /* file_path, notebook_path, path */
		if (arg) {
			char *one = render__oneline(arg);

			render__say(r, RS_TOOL, "%s %s", name, one);
			free(one);
		} else {
			render__say(r, RS_TOOL, "%s", name);
		}
	}
}

/* A tool result's text: a string, or the text blocks of an array. */
static char *result_text(const json_t *content)
{
	struct buf b = BUF_INIT;

	if (json_is_string(content))
		return xstrdup(json_string_value(content));
	for (size_t i = 0; i < json_array_size(content); i++) {
		const char *t = str(json_array_get(content, i), "text");

		if (t) {
			if (b.len)
				buf_addc(&b, '\n');
			buf_adds(&b, t);
		}
	}
	return b.s ? buf_detach(&b) : xstrdup("");
}

static void tool_result(struct render *r, const json_t *block)
{
	struct render_call *c = render__call_find(r, str(block, "tool_use_id"));
	bool failed = json_is_true(json_object_get(block, "is_error"));
	char *text, *line;
	const char *p;
	int code;

	if (c && c->denied) {
		render__call_drop(c);
		return;
	}
	if (!(c && is(c->name, "Bash")) && !failed) {
		if (c)
			render__call_drop(c);
		return;
	}
	text = result_text(json_object_get(block, "content"));
	p = text;
	if (str_starts_with(p, "Error: "))
		p += 7;
	if (c && is(c->name, "Bash") && !failed) {
		render__say(r, RS_PLAIN, "  exit 0");
	} else if (c && is(c->name, "Bash") && sscanf(p, "Exit code %d", &code) == 1) {
		line = render__error_line(p, 1);
		if (*line)
			render__say(r, RS_ERROR, "  exit %d: %s", code, line);
		else
			render__say(r, RS_ERROR, "  exit %d", code);
		free(line);
	} else {
		/* "<tool_use_error>String to replace not found in file.\n...</tool_use_error>" */
		char *end;

		if (str_starts_with(p, "<tool_use_error>"))
			p += strlen("<tool_use_error>");
		line = render__oneline(p);
		if ((end = strstr(line, "</tool_use_error>")))
			*end = '\0';
		render__say(r, RS_ERROR, "  error%s%s", *line ? ": " : "", line);
		free(line);
	}
	free(text);
	if (c)
		render__call_drop(c);
}

/* ---- events ---- */

static void assistant(struct render *r, const json_t *ev)
{
	const json_t *msg = json_object_get(ev, "message");
	const json_t *content = json_object_get(msg, "content");
	const char *category = str(ev, "error");
	bool error = is(str(msg, "model"), "<synthetic>") || json_object_get(ev, "error");
	char *prefix = category ? xstrfmt("error (%s): ", category) : xstrdup("error: ");

	if (json_is_string(content)) {
		if (error)
			render__error(r, prefix, json_string_value(content));
		else
			render__lines(r, RS_PLAIN, NULL, json_string_value(content));
	}
	for (size_t i = 0; i < json_array_size(content); i++) {
		const json_t *b = json_array_get(content, i);
		const char *bt = str(b, "type");

		if (is(bt, "text") && error) {
			render__error(r, prefix, str(b, "text"));
		} else if (is(bt, "text")) {
			render__lines(r, RS_PLAIN, NULL, str(b, "text"));
		} else if (is(bt, "tool_use")) {
			const char *name = str(b, "name");

			render__call_add(r, str(b, "id"), name);
			tool_line(r, name ? name : "tool", json_object_get(b, "input"));
		}
	}
	free(prefix);
}

static void user(struct render *r, const json_t *ev)
{
	const json_t *content = json_object_get(json_object_get(ev, "message"), "content");

	for (size_t i = 0; i < json_array_size(content); i++) {
		const json_t *b = json_array_get(content, i);

		if (is(str(b, "type"), "tool_result"))
			tool_result(r, b);
	}
}

static void system_event(struct render *r, const json_t *ev)
{
	const char *sub = str(ev, "subtype");

	if (is(sub, "init")) {
		free(r->cwd);
		r->cwd = str(ev, "cwd") ? xstrdup(str(ev, "cwd")) : NULL;
		render__say(r, RS_PLAIN, "started: model %s, cwd %s", nz(str(ev, "model")),
			    nz(str(ev, "cwd")));
	} else if (is(sub, "api_retry")) {
		struct buf b = BUF_INIT;
		json_int_t status = json_integer_value(json_object_get(ev, "error_status"));

		buf_addf(&b, "API retry %lld/%lld",
			 (long long)json_integer_value(json_object_get(ev, "attempt")),
			 (long long)json_integer_value(json_object_get(ev, "max_retries")));
		if (json_is_number(json_object_get(ev, "retry_delay_ms")))
			buf_addf(&b, " in %.1fs",
				 json_number_value(json_object_get(ev, "retry_delay_ms")) / 1000);
		if (status || str(ev, "error")) {
			buf_adds(&b, ":");
			if (status)
				buf_addf(&b, " %lld", (long long)status);
			if (str(ev, "error"))
				buf_addf(&b, " %s", str(ev, "error"));
		}
		render__say(r, RS_ERROR, "%s", b.s);
		buf_release(&b);
	} else if (is(sub, "permission_denied")) {
		struct render_call *c = render__call_find(r, str(ev, "tool_use_id"));
		char *why = render__oneline(str(ev, "message"));

		if (c)
			c->denied = true;
		render__say(r, RS_ERROR, "denied: %s%s%s",
			    str(ev, "tool_name") ? str(ev, "tool_name") : "a tool",
			    *why ? ": " : "", why);
		free(why);
	} else if (is(sub, "compact_boundary")) {
		render__say(r, RS_PLAIN, "(context compacted)");
	}
}

static void rate_limit(struct render *r, const json_t *ev)
{
	const json_t *info = json_object_get(ev, "rate_limit_info");
	const char *status = str(info, "status");
	const char *kind = str(info, "rateLimitType");
	json_int_t at = json_integer_value(json_object_get(info, "resetsAt"));
	char when[64] = "";

	if (at > 0) {
		time_t t = (time_t)at;
		struct tm tm;

		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), ", resets %Y-%m-%d %H:%M UTC", &tm);
	}
	if (is(status, "rejected"))
		render__say(r, RS_ERROR, "usage limit reached (%s)%s", nz(kind), when);
	else if (is(status, "allowed_warning"))
		render__say(r, RS_PLAIN, "usage limit warning (%s)%s", nz(kind), when);
}

static void result(struct render *r, const json_t *ev)
{
	const char *sub = str(ev, "subtype");
	bool failed = json_is_true(json_object_get(ev, "is_error")) ||
		      (sub && str_starts_with(sub, "error"));
	const json_t *v;
	struct buf b = BUF_INIT;
	size_t denied = json_array_size(json_object_get(ev, "permission_denials"));

	buf_adds(&b, failed ? "result: error" : "result: ok");
	if (sub && str_starts_with(sub, "error"))
		buf_addf(&b, " (%s)", sub);
	if (json_integer_value(json_object_get(ev, "api_error_status")))
		buf_addf(&b, " %lld",
			 (long long)json_integer_value(json_object_get(ev, "api_error_status")));
	if (json_is_integer(v = json_object_get(ev, "num_turns")))
		buf_addf(&b, ", %lld turn%s", (long long)json_integer_value(v),
			 json_integer_value(v) == 1 ? "" : "s");
	if (json_is_number(v = json_object_get(ev, "duration_ms")))
		buf_addf(&b, ", %.1fs", json_number_value(v) / 1000);
	if (json_is_number(v = json_object_get(ev, "total_cost_usd")))
		buf_addf(&b, ", $%.4f", json_number_value(v));
	if (denied)
		buf_addf(&b, ", %zu denied", denied);
	if (failed && str(ev, "result")) {
		char *one = render__oneline(str(ev, "result"));

		if (*one && !render__repeats(r, str(ev, "result")))
			buf_addf(&b, ": %s", one);
		free(one);
	}
	render__say(r, failed ? RS_ERROR : RS_RESULT, "%s", b.s);
	buf_release(&b);
}

bool render__claude_line(struct render *r, const char *s, size_t n)
{
	json_t *ev = render__event(s, n);
	const char *type;

	if (!ev)
		return false;
	type = str(ev, "type");
	if (is(type, "assistant"))
		assistant(r, ev);
	else if (is(type, "user"))
		user(r, ev);
	else if (is(type, "system"))
		system_event(r, ev);
	else if (is(type, "rate_limit_event"))
		rate_limit(r, ev);
	else if (is(type, "result"))
		result(r, ev);
	json_decref(ev);
	return true;
}
