/* SPDX-License-Identifier: MIT */
/*
 * jsonw.c: the streaming JSON writer (jsonw.h). Formats numbers and escapes
 * strings as jansson does, so that a tree written either way is the same
 * bytes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "jsonw.h"

/*
 * Room for n more bytes and the NUL after them; returns where they go.
 * The buffer starts at 64 KiB: a status is written in a few doublings.
 */
static inline char *room(struct jsonw *w, size_t n)
{
	struct buf *b = &w->b;

	if (b->len + n + 1 > b->cap)
		ALLOC_GROW(b->s, b->len + n + 1 < 65536 ? 65536 : b->len + n + 1, b->cap);
	return b->s + b->len;
}

/* n bytes were written where room() said. */
static inline void wrote(struct jsonw *w, size_t n)
{
	w->b.len += n;
	w->b.s[w->b.len] = '\0';
}

static inline void put(struct jsonw *w, const char *s, size_t n)
{
	memcpy(room(w, n), s, n);
	wrote(w, n);
}

static inline void putc_(struct jsonw *w, char c)
{
	*room(w, 1) = c;
	wrote(w, 1);
}

/* A byte a string holds as it is: printable ASCII but '"' and '\\'. */
static inline bool verbatim(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* A string that is not all verbatim bytes: escapes, and '?' for bytes of invalid UTF-8. */
static void write_string_slow(struct jsonw *w, const char *s, size_t len)
{
	size_t i;
	bool valid = true;

	for (i = 0; i < len && valid;) {
		size_t n = (unsigned char)s[i] < 0x80 ? 1 : utf8_seq_len(s, i, len);

		valid = n > 0;
		i += n;
	}
	putc_(w, '"');
	for (i = 0; i < len;) {
		size_t run = i;
		unsigned char c;

		/* a run of bytes written as they are, in one go */
		while (run < len && (c = (unsigned char)s[run]) >= 0x20 && c != '"' && c != '\\' &&
		       (c < 0x80 || valid))
			run++;
		if (run > i)
			put(w, s + i, run - i);
		if (run == len)
			break;
		c = (unsigned char)s[run];
		i = run + 1;
		switch (c) {
		case '"':
			put(w, "\\\"", 2);
			break;
		case '\\':
			put(w, "\\\\", 2);
			break;
		case '\b':
			put(w, "\\b", 2);
			break;
		case '\f':
			put(w, "\\f", 2);
			break;
		case '\n':
			put(w, "\\n", 2);
			break;
		case '\r':
			put(w, "\\r", 2);
			break;
		case '\t':
			put(w, "\\t", 2);
			break;
		default:
			if (c < 0x20)
				buf_addf(&w->b, "\\u%04X", c);
			else
				putc_(w, '?'); /* >= 0x80 in a string that is not UTF-8 */
		}
	}
	putc_(w, '"');
}

static void write_string(struct jsonw *w, const char *s)
{
	size_t len = 0;
	char *p;

	/* the common case, printable ASCII without quotes: one copy */
	while (verbatim((unsigned char)s[len]))
		len++;
	if (s[len]) {
		write_string_slow(w, s, len + strlen(s + len));
		return;
	}
	p = room(w, len + 2);
	p[0] = '"';
	memcpy(p + 1, s, len);
	p[len + 1] = '"';
	wrote(w, len + 2);
}

/*
 * The comma before a value, and its key inside an object, written at p
 * (room for 64 bytes); returns how many. Keys are names of our own
 * (fields, state names): written as they are; a longer one is escaped.
 */
static inline size_t sep_at(struct jsonw *w, const char *key, char *p)
{
	size_t k, n = 0;

	if (w->depth > 0) {
		if (w->more[w->depth])
			p[n++] = ',';
		w->more[w->depth] = true;
	}
	if (!key)
		return n;
	/* keys are short: copied byte by byte, cheaper than strlen and memcpy */
	p[n++] = '"';
	for (k = 0; k < 60 && key[k]; k++)
		p[n + k] = key[k];
	if (key[k]) {
		wrote(w, n - 1);
		write_string(w, key);
		putc_(w, ':');
		return 0;
	}
	n += k;
	p[n++] = '"';
	p[n++] = ':';
	return n;
}

static void sep(struct jsonw *w, const char *key)
{
	wrote(w, sep_at(w, key, room(w, 64)));
}

static void open_level(struct jsonw *w, const char *key, char c)
{
	sep(w, key);
	putc_(w, c);
	if (w->depth + 1 >= JSONW_DEPTH)
		xdie("jsonw: nested too deep");
	w->depth++;
	w->more[w->depth] = false;
	w->close[w->depth] = c == '{' ? '}' : ']';
}

void jsonw_obj(struct jsonw *w, const char *key)
{
	open_level(w, key, '{');
}

void jsonw_arr(struct jsonw *w, const char *key)
{
	open_level(w, key, '[');
}

void jsonw_end(struct jsonw *w)
{
	if (w->depth <= 0)
		xdie("jsonw: nothing to close");
	putc_(w, w->close[w->depth--]);
}

void jsonw_str(struct jsonw *w, const char *key, const char *s)
{
	if (!s) {
		jsonw_null(w, key);
		return;
	}
	sep(w, key);
	write_string(w, s);
}

void jsonw_int(struct jsonw *w, const char *key, int64_t v)
{
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v, t = u;
	size_t k, n = 1 + (v < 0);
	char *p;

	while (t >= 10) {
		t /= 10;
		n++;
	}
	/* the separator, key and digits in one append, the digits from the last */
	p = room(w, 64 + n);
	k = sep_at(w, key, p);
	if (!k && key)
		p = room(w, n); /* a long key went its own way */
	p += k + n;
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		*--p = '-';
	wrote(w, k + n);
}

/* As jansson: %.17g, ".0" when it reads as an integer, no '+' or leading zeros in the exponent. */
void jsonw_real(struct jsonw *w, const char *key, double v)
{
	char s[64], *e;

	sep(w, key);
	snprintf(s, sizeof(s), "%.17g", v);
	if (!strchr(s, '.') && !strchr(s, 'e'))
		memcpy(s + strlen(s), ".0", 3);
	e = strchr(s, 'e');
	if (e) {
		char *start = e + 1, *end;

		if (*start == '-')
			start++;
		end = start;
		if (*end == '+')
			end++;
		while (*end == '0' && end[1])
			end++;
		memmove(start, end, strlen(end) + 1);
	}
	put(w, s, strlen(s));
}

void jsonw_bool(struct jsonw *w, const char *key, bool v)
{
	sep(w, key);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void jsonw_null(struct jsonw *w, const char *key)
{
	sep(w, key);
	put(w, "null", 4);
}

void jsonw_raw(struct jsonw *w, const char *key, const char *json)
{
	sep(w, key);
	put(w, json, strlen(json));
}

void jsonw_list_begin(struct jsonw_list *l, FILE *out, bool lines)
{
	l->out = out;
	l->lines = lines;
	l->n = 0;
	if (!lines)
		fputc('[', out);
}

void jsonw_list_item(struct jsonw_list *l, const char *json)
{
	if (l->lines) {
		fprintf(l->out, "%s\n", json);
	} else {
		if (l->n)
			fputc(',', l->out);
		fputs(json, l->out);
	}
	l->n++;
}

void jsonw_list_end(struct jsonw_list *l)
{
	if (!l->lines)
		fputs("]\n", l->out);
	fflush(l->out);
}
