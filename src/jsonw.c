/*
 * jsonw.c: the streaming JSON writer (jsonw.h). Formats numbers and escapes
 * strings as jansson does, so that a tree written either way is the same
 * bytes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "jsonw.h"

static void write_string(struct jsonw *w, const char *s)
{
	size_t len = strlen(s), i;
	bool valid = true;

	for (i = 0; i < len && valid;) {
		size_t n = (unsigned char)s[i] < 0x80 ? 1 : utf8_seq_len(s, i, len);

		valid = n > 0;
		i += n;
	}
	buf_addc(&w->b, '"');
	for (i = 0; i < len;) {
		size_t run = i;
		unsigned char c;

		/* a run of bytes written as they are, in one go */
		while (run < len && (c = (unsigned char)s[run]) >= 0x20 && c != '"' && c != '\\' &&
		       (c < 0x80 || valid))
			run++;
		if (run > i)
			buf_add(&w->b, s + i, run - i);
		if (run == len)
			break;
		c = (unsigned char)s[run];
		i = run + 1;
		switch (c) {
		case '"':
			buf_adds(&w->b, "\\\"");
			break;
		case '\\':
			buf_adds(&w->b, "\\\\");
			break;
		case '\b':
			buf_adds(&w->b, "\\b");
			break;
		case '\f':
			buf_adds(&w->b, "\\f");
			break;
		case '\n':
			buf_adds(&w->b, "\\n");
			break;
		case '\r':
			buf_adds(&w->b, "\\r");
			break;
		case '\t':
			buf_adds(&w->b, "\\t");
			break;
		default:
			if (c < 0x20)
				buf_addf(&w->b, "\\u%04X", c);
			else
				buf_addc(&w->b, '?'); /* >= 0x80 in a string that is not UTF-8 */
		}
	}
	buf_addc(&w->b, '"');
}

/*
 * The comma before a value, and its key inside an object, in one append.
 * Keys are names of our own (fields, state names): written as they are.
 */
static void sep(struct jsonw *w, const char *key)
{
	size_t k = key ? strlen(key) : 0, n = 0;
	char tmp[64];

	if (w->depth > 0) {
		if (w->more[w->depth])
			tmp[n++] = ',';
		w->more[w->depth] = true;
	}
	if (key && k + 4 > sizeof(tmp)) {
		buf_add(&w->b, tmp, n);
		write_string(w, key);
		buf_addc(&w->b, ':');
		return;
	}
	if (key) {
		tmp[n++] = '"';
		memcpy(tmp + n, key, k);
		n += k;
		tmp[n++] = '"';
		tmp[n++] = ':';
	}
	if (n)
		buf_add(&w->b, tmp, n);
}

static void open_level(struct jsonw *w, const char *key, char c)
{
	sep(w, key);
	buf_addc(&w->b, c);
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
	buf_addc(&w->b, w->close[w->depth--]);
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
	char d[24];
	size_t n = sizeof(d);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	sep(w, key);
	do
		d[--n] = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		d[--n] = '-';
	buf_add(&w->b, d + n, sizeof(d) - n);
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
	buf_adds(&w->b, s);
}

void jsonw_bool(struct jsonw *w, const char *key, bool v)
{
	sep(w, key);
	buf_adds(&w->b, v ? "true" : "false");
}

void jsonw_null(struct jsonw *w, const char *key)
{
	sep(w, key);
	buf_adds(&w->b, "null");
}
