/* SPDX-License-Identifier: MIT */
/*
 * render_say.c: the renderer's output (render_int.h): a line in a style
 * (colour only when asked), text line by line, one-line excerpts of
 * commands, paths and errors, and the tool calls awaiting their result.
 * What an event's text holds is cleaned here: no control character or
 * escape sequence from it reaches the pane.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "render_int.h"
#include "util.h"

static const char *const style_on[] = { "", "\033[36m", "\033[31m", "\033[1m" };

void render__emit(struct render *r, enum render_style st, const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	bool colored = r->o.color && st != RS_PLAIN && n > 0;

	if (st != RS_ERROR) {
		/* an error told again after other output is news */
		free(r->last_error);
		r->last_error = NULL;
	}
	if (colored)
		buf_adds(&b, style_on[st]);
	buf_add(&b, s, n);
	if (colored)
		buf_adds(&b, "\033[0m");
	buf_adds(&b, r->o.crlf ? "\r\n" : "\n");
	r->out(b.s, b.len, r->arg);
	buf_release(&b);
}

/* Appends s to b without control characters and escape sequences; newlines as spaces. */
static void add_clean(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0x1b) {
			/* ESC [ ... final, or ESC and one more byte */
			if (i + 1 < n && s[i + 1] == '[') {
				i += 2;
				while (i < n && !((unsigned char)s[i] >= 0x40 &&
						  (unsigned char)s[i] <= 0x7e))
					i++;
			} else {
				i++;
			}
		} else if (c == '\n') {
			buf_addc(b, ' ');
		} else if (c == '\t' || (c >= 0x20 && c != 0x7f)) {
			buf_addc(b, (char)c);
		}
	}
}

void render__say(struct render *r, enum render_style st, const char *fmt, ...)
{
	struct buf raw = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&raw, fmt, ap);
	va_end(ap);
	buf_reset(&r->scratch);
	add_clean(&r->scratch, raw.s, raw.len);
	render__emit(r, st, buf_str(&r->scratch), r->scratch.len);
	buf_release(&raw);
}

void render__lines(struct render *r, enum render_style st, const char *prefix, const char *text)
{
	size_t n = text ? strlen(text) : 0;
	bool first = true;

	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		n--;
	while (n) {
		const char *nl = memchr(text, '\n', n);
		size_t k = nl ? (size_t)(nl - text) : n;
		size_t end = k;

		while (end && text[end - 1] == '\r')
			end--;
		buf_reset(&r->scratch);
		if (first && prefix)
			buf_adds(&r->scratch, prefix);
		add_clean(&r->scratch, text, end);
		render__emit(r, st, buf_str(&r->scratch), r->scratch.len);
		first = false;
		text += nl ? k + 1 : k;
		n -= nl ? k + 1 : k;
	}
}

void render__error(struct render *r, const char *prefix, const char *text)
{
	char *one = render__oneline(text);

	render__lines(r, RS_ERROR, prefix, text);
	free(r->last_error);
	r->last_error = one;
}

bool render__repeats(struct render *r, const char *text)
{
	char *one = render__oneline(text);
	bool same = *one && r->last_error && !strcmp(r->last_error, one);

	free(one);
	return same;
}

/* s[0..n) cut to at most max bytes, never inside a UTF-8 character. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

static char *excerpt(const char *s, size_t n, bool more)
{
	struct buf b = BUF_INIT;
	size_t k;

	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	k = utf8_cut(s, n, RENDER_EXCERPT);
	add_clean(&b, s, k);
	if (k < n || more)
		buf_adds(&b, " …");
	return b.s ? buf_detach(&b) : xstrdup("");
}

bool render__blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

char *render__oneline(const char *s)
{
	while (s && *s) {
		size_t k = strcspn(s, "\n");

		if (!render__blank(s, k))
			return excerpt(s, k, false);
		s += k + (s[k] == '\n');
	}
	return xstrdup("");
}

char *render__error_line(const char *s, size_t skip_lines)
{
	const char *first = NULL, *p;
	size_t first_n = 0;

	for (; s && *s && skip_lines; skip_lines--)
		s += strcspn(s, "\n") + (s[strcspn(s, "\n")] == '\n');
	for (p = s; p && *p;) {
		size_t k = strcspn(p, "\n");

		if (!render__blank(p, k)) {
			if (str_contains_nocase(p, k, "error"))
				return excerpt(p, k, false);
			if (!first) {
				first = p;
				first_n = k;
			}
		}
		p += k + (p[k] == '\n');
	}
	return first ? excerpt(first, first_n, false) : xstrdup("");
}

size_t render__count_lines(const char *s)
{
	size_t n = 0, len = s ? strlen(s) : 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n + (len && s[len - 1] != '\n');
}

/* ---- tool calls waiting for their result ---- */

void render__call_add(struct render *r, const char *id, const char *name)
{
	struct render_call *c;

	if (!id)
		return;
	c = &r->calls[r->next_call];
	r->next_call = (r->next_call + 1) % RENDER_CALLS;
	render__call_drop(c);
	c->id = xstrdup(id);
	c->name = xstrdup(name ? name : "");
}

struct render_call *render__call_find(struct render *r, const char *id)
{
	for (size_t i = 0; id && i < RENDER_CALLS; i++)
		if (r->calls[i].id && !strcmp(r->calls[i].id, id))
			return &r->calls[i];
	return NULL;
}

void render__call_drop(struct render_call *c)
{
	free(c->id);
	free(c->name);
	c->id = c->name = NULL;
	c->denied = false;
}

const char *render__path(const struct render *r, const char *p)
{
	size_t n = r->cwd ? strlen(r->cwd) : 0;

	if (!p)
		return "?";
	if (n && !strncmp(p, r->cwd, n) && p[n] == '/' && p[n + 1])
		return p + n + 1;
	return p;
}

json_t *render__event(const char *s, size_t n)
{
	json_error_t err;
	json_t *ev = json_loadb(s, n, 0, &err);

	if (ev && !json_is_object(ev)) {
		json_decref(ev);
		ev = NULL;
	}
	return ev;
}
