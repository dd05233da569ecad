/* SPDX-License-Identifier: MIT */
/*
 * render_codex.c: Codex's `exec --json` events in words (render.h). Must
 * not keep more than the items started and not yet completed, or fail on
 * a member missing or of another type.
 *
 * What is shown (any other event or item type is skipped: thread.started,
 * turn.started, reasoning, ...):
 *   item.started command_execution     $ COMMAND (a `bash -lc '...'` wrapper taken off)
 *   item.completed command_execution   "$ COMMAND" when its start was not seen, then
 *                                      "  exit 0", "  exit N: FIRST ERROR LINE",
 *                                      "  declined" or "  failed"
 *   item.completed agent_message       the text, line by line, as it is
 *   item.completed file_change         Patch KIND PATH, KIND PATH... [failed]
 *   item.completed mcp_tool_call       MCP SERVER.TOOL [failed: MESSAGE]
 *   item.completed web_search          WebSearch "QUERY"
 *   item.completed error               warning: MESSAGE
 *   item.started/updated todo_list     Todo (N) and its items ([x] done)
 *   error                              error: MESSAGE
 *   turn.failed                        turn failed[: MESSAGE, unless the error just told]
 *   turn.completed                     tokens: I in (C cached), O out
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "render_int.h"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static bool is(const char *s, const char *want)
{
	return s && !strcmp(s, want);
}

/* The command as typed: `bash -lc 'npm test'` is `npm test`. */
static char *command_text(const char *cmd)
{
	static const char *const shells[] = { "bash -lc ", "/bin/bash -lc ", "/usr/bin/bash -lc ",
					      "sh -c ", "/bin/sh -c " };
	char *one;

	if (!cmd)
		return xstrdup("?");
	for (size_t i = 0; i < ARRAY_SIZE(shells); i++) {
		size_t k = strlen(shells[i]), n;

		if (strncmp(cmd, shells[i], k))
			continue;
		cmd += k;
		n = strlen(cmd);
		/* 'whole command' with no other quote in it: its words as typed */
		if (n >= 2 && (cmd[0] == '\'' || cmd[0] == '"') && cmd[n - 1] == cmd[0] &&
		    !memchr(cmd + 1, cmd[0], n - 2) && !(cmd[0] == '"' && memchr(cmd, '\\', n))) {
			char *inner = xstrndup(cmd + 1, n - 2);

			one = render__oneline(inner);
			free(inner);
			return one;
		}
		break;
	}
	return render__oneline(cmd);
}

static void todo_list(struct render *r, const json_t *items)
{
	size_t i, n = json_array_size(items);

	render__say(r, RS_TOOL, "Todo (%zu)", n);
	for (i = 0; i < n && i < RENDER_TODOS; i++) {
		const json_t *t = json_array_get(items, i);
		char *what = render__oneline(str(t, "text"));

		render__say(r, RS_TOOL, "  [%s] %s",
			    json_is_true(json_object_get(t, "completed")) ? "x" : " ", what);
		free(what);
	}
	if (n > i)
		render__say(r, RS_TOOL, "  … %zu more", n - i);
}

static void command_started(struct render *r, const json_t *item)
{
	char *cmd = command_text(str(item, "command"));

	render__say(r, RS_TOOL, "$ %s", cmd);
	free(cmd);
	render__call_add(r, str(item, "id"), "command_execution");
}

static void command_done(struct render *r, const json_t *item)
{
	struct render_call *c = render__call_find(r, str(item, "id"));
	const json_t *code = json_object_get(item, "exit_code");
	const char *status = str(item, "status");

	if (!c)
		command_started(r, item);
	if ((c = render__call_find(r, str(item, "id"))))
		render__call_drop(c);
	if (is(status, "declined")) {
		render__say(r, RS_ERROR, "  declined");
	} else if (json_is_integer(code) && json_integer_value(code) == 0) {
		render__say(r, RS_PLAIN, "  exit 0");
	} else if (json_is_integer(code)) {
		char *line = render__error_line(str(item, "aggregated_output"), 0);

		render__say(r, RS_ERROR, "  exit %lld%s%s", (long long)json_integer_value(code),
			    *line ? ": " : "", line);
		free(line);
	} else if (is(status, "failed")) {
		render__say(r, RS_ERROR, "  failed");
	}
}

static void file_change(struct render *r, const json_t *item)
{
	const json_t *changes = json_object_get(item, "changes");
	bool failed = is(str(item, "status"), "failed");
	struct buf b = BUF_INIT;

	buf_adds(&b, "Patch");
	for (size_t i = 0; i < json_array_size(changes); i++) {
		const json_t *ch = json_array_get(changes, i);

		buf_addf(&b, "%s %s %s", i ? "," : "", str(ch, "kind") ? str(ch, "kind") : "update",
			 render__path(r, str(ch, "path")));
	}
	if (failed)
		buf_adds(&b, " failed");
	render__say(r, failed ? RS_ERROR : RS_TOOL, "%s", b.s);
	buf_release(&b);
}

static void mcp_call(struct render *r, const json_t *item)
{
	const char *server = str(item, "server"), *tool = str(item, "tool");

	if (is(str(item, "status"), "failed")) {
		char *why = render__oneline(str(json_object_get(item, "error"), "message"));

		render__say(r, RS_ERROR, "MCP %s.%s failed%s%s", server ? server : "?",
			    tool ? tool : "?", *why ? ": " : "", why);
		free(why);
	} else {
		render__say(r, RS_TOOL, "MCP %s.%s", server ? server : "?", tool ? tool : "?");
	}
}

static void item_event(struct render *r, const char *type, const json_t *item)
{
	const char *it = str(item, "type");
	bool started = is(type, "item.started"), done = is(type, "item.completed");

	if (is(it, "command_execution") && started) {
		command_started(r, item);
	} else if (is(it, "command_execution") && done) {
		command_done(r, item);
	} else if (is(it, "todo_list") && !done) {
		todo_list(r, json_object_get(item, "items"));
		if (started)
			render__call_add(r, str(item, "id"), "todo_list");
	} else if (is(it, "todo_list")) {
		struct render_call *c = render__call_find(r, str(item, "id"));

		if (c)
			render__call_drop(c);
		else
			todo_list(r, json_object_get(item, "items"));
	} else if (!done) {
		return;
	} else if (is(it, "agent_message")) {
		render__lines(r, RS_PLAIN, NULL, str(item, "text"));
	} else if (is(it, "file_change")) {
		file_change(r, item);
	} else if (is(it, "mcp_tool_call")) {
		mcp_call(r, item);
	} else if (is(it, "web_search")) {
		char *q = render__oneline(str(item, "query"));

		render__say(r, RS_TOOL, "WebSearch \"%s\"", q);
		free(q);
	} else if (is(it, "error")) {
		render__error(r, "warning: ", str(item, "message"));
	}
}

static void turn_failed(struct render *r, const char *msg)
{
	if (!msg || render__repeats(r, msg))
		render__say(r, RS_ERROR, "turn failed");
	else
		render__error(r, "turn failed: ", msg);
}

static void turn_completed(struct render *r, const json_t *ev)
{
	const json_t *u = json_object_get(ev, "usage");

	if (!json_is_object(u))
		return;
	render__say(r, RS_RESULT, "tokens: %lld in (%lld cached), %lld out",
		    (long long)json_integer_value(json_object_get(u, "input_tokens")),
		    (long long)json_integer_value(json_object_get(u, "cached_input_tokens")),
		    (long long)json_integer_value(json_object_get(u, "output_tokens")));
}

bool render__codex_line(struct render *r, const char *s, size_t n)
{
	json_t *ev = render__event(s, n);
	const char *type;

	if (!ev)
		return false;
	type = str(ev, "type");
	if (type && str_starts_with(type, "item."))
		item_event(r, type, json_object_get(ev, "item"));
	else if (is(type, "error"))
		render__error(r, "error: ", str(ev, "message"));
	else if (is(type, "turn.failed"))
		turn_failed(r, str(json_object_get(ev, "error"), "message"));
	else if (is(type, "turn.completed"))
		turn_completed(r, ev);
	json_decref(ev);
	return true;
}
