/* SPDX-License-Identifier: MIT */
/*
 * diag.c: collection and printing of positioned errors. Must not decide what
 * is an error; callers do. Printing happens only when the command layer asks.
 */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "util.h"

void diags_release(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}

/*
 * Code points a message shows escaped (\uXXXX): invisible or format
 * characters, odd spaces, and look-alikes of ASCII digits and letters, so
 * '1.1' and '\u0661.1' never read the same.
 */
static const unsigned int shown_escaped[][2] = {
	{ 0x0080, 0x00a0 },   { 0x00ad, 0x00ad }, { 0x034f, 0x034f }, { 0x061c, 0x061c },
	{ 0x0660, 0x0669 },   { 0x06f0, 0x06f9 }, { 0x07c0, 0x07c9 }, { 0x0966, 0x096f },
	{ 0x09e6, 0x09ef },   { 0x0a66, 0x0a6f }, { 0x0ae6, 0x0aef }, { 0x0b66, 0x0b6f },
	{ 0x0be6, 0x0bef },   { 0x0c66, 0x0c6f }, { 0x0ce6, 0x0cef }, { 0x0d66, 0x0d6f },
	{ 0x0e50, 0x0e59 },   { 0x0ed0, 0x0ed9 }, { 0x0f20, 0x0f29 }, { 0x1040, 0x1049 },
	{ 0x115f, 0x1160 },   { 0x17b4, 0x17b5 }, { 0x17e0, 0x17e9 }, { 0x180b, 0x180f },
	{ 0x1810, 0x1819 },   { 0x2000, 0x200f }, { 0x2028, 0x202f }, { 0x205f, 0x206f },
	{ 0x3000, 0x3000 },   { 0x3164, 0x3164 }, { 0xfe00, 0xfe0f }, { 0xfeff, 0xfeff },
	{ 0xff01, 0xff5e },   { 0xffa0, 0xffa0 }, { 0xfff0, 0xfffb }, { 0x1d400, 0x1d7ff },
	{ 0xe0000, 0xe01ef },
};

static bool escaped_code_point(unsigned int cp)
{
	for (size_t i = 0; i < ARRAY_SIZE(shown_escaped); i++)
		if (cp >= shown_escaped[i][0] && cp <= shown_escaped[i][1])
			return true;
	return false;
}

/* The code point of the n-byte UTF-8 sequence at p (n from utf8_seq_len). */
static unsigned int decode(const unsigned char *p, size_t n)
{
	unsigned int cp = n == 1 ? p[0] : p[0] & (0xff >> (n + 1));

	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	return cp;
}

/* The longest subject a message quotes whole, in characters. */
#define SUBJECT_MAX 80

/*
 * The end of the quoted subject opening at s[open] ('): the first quote
 * followed by the message's end, a space, ')', ',', ':' or ';'; len when
 * there is none.
 */
static size_t subject_end(const char *s, size_t open, size_t len)
{
	for (size_t i = open + 1; i < len; i++)
		if (s[i] == '\'' && (i + 1 == len || strchr(" ),:;", s[i + 1])))
			return i;
	return len;
}

/*
 * A message as printed: control characters escaped (\n, \t, \xNN) so it
 * stays on one line and text quoted from a file cannot drive the terminal;
 * invisible characters and look-alikes as \uXXXX; a quoted subject longer
 * than SUBJECT_MAX characters cut with an ellipsis.
 */
static char *escape_message(const char *s)
{
	struct buf b = BUF_INIT;
	size_t len = strlen(s), quote_end = 0, shown = 0;
	bool in_subject = false;

	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t n = utf8_seq_len(s, i, len);

		if (!in_subject && c == '\'' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '(')) {
			quote_end = subject_end(s, i, len);
			in_subject = quote_end < len;
			shown = 0;
			buf_addc(&b, '\'');
			i++;
			continue;
		}
		if (in_subject && i == quote_end) {
			in_subject = false;
		} else if (in_subject && ++shown > SUBJECT_MAX) {
			buf_adds(&b, "\xe2\x80\xa6"); /* … */
			i = quote_end;
			continue;
		}
		if (c == '\n')
			buf_adds(&b, "\\n");
		else if (c == '\t')
			buf_adds(&b, "\\t");
		else if (c < 0x20 || c == 0x7f || !n)
			buf_addf(&b, "\\x%02x", c);
		else if (n > 1 && escaped_code_point(decode((const unsigned char *)s + i, n)))
			buf_addf(&b,
				 decode((const unsigned char *)s + i, n) > 0xffff ? "\\U%08x"
										  : "\\u%04x",
				 decode((const unsigned char *)s + i, n));
		else
			buf_add(&b, s + i, n);
		i += n ? n : 1;
	}
	return buf_detach(&b);
}

char *diag_escape(const char *s)
{
	struct buf b = BUF_INIT;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			buf_adds(&b, "\\n");
		else if (c == '\t')
			buf_adds(&b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			buf_addf(&b, "\\x%02x", c);
		else
			buf_addc(&b, (char)c);
	}
	return buf_detach(&b);
}

static void diags_vadd(struct diags *d, const char *file, int line, int col, const char *fmt,
		       va_list ap)
{
	struct buf b = BUF_INIT;
	struct diag *dg;

	buf_vaddf(&b, fmt, ap);
	ALLOC_GROW(d->v, d->n + 1, d->cap);
	dg = &d->v[d->n++];
	dg->file = xstrdup(file ? file : "-");
	dg->line = line;
	dg->col = col;
	dg->msg = escape_message(buf_str(&b));
	buf_release(&b);
}

void diags_add(struct diags *d, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_vadd(d, file, line, col, fmt, ap);
	va_end(ap);
}

int diag_error(struct diags *d, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_vadd(d, file, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

void diags_move(struct diags *dst, struct diags *src)
{
	for (size_t i = 0; i < src->n; i++) {
		ALLOC_GROW(dst->v, dst->n + 1, dst->cap);
		dst->v[dst->n++] = src->v[i];
	}
	free(src->v);
	src->v = NULL;
	src->n = src->cap = 0;
}

static size_t file_rank(const struct diags *d, const char *file)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].file, file))
			return i;
	return d->n;
}

static bool diag_before(const struct diags *d, const struct diag *a, const struct diag *b)
{
	size_t ra = file_rank(d, a->file), rb = file_rank(d, b->file);

	if (ra != rb)
		return ra < rb;
	if (a->line != b->line)
		return a->line < b->line;
	return a->col < b->col;
}

void diags_sort(struct diags *d)
{
	/* insertion sort: stable, and lists are short */
	for (size_t i = 1; i < d->n; i++) {
		struct diag cur = d->v[i];
		size_t j = i;

		while (j > 0 && diag_before(d, &cur, &d->v[j - 1])) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = cur;
	}
}

char *diag_format(const struct diag *dg)
{
	char *file = diag_escape(dg->file), *s;

	if (dg->line <= 0)
		s = xstrfmt("%s: %s", file, dg->msg);
	else
		s = xstrfmt("%s:%d:%d: %s", file, dg->line, dg->col, dg->msg);
	free(file);
	return s;
}

char *diag_format_warning(const struct diag *dg)
{
	char *file = diag_escape(dg->file), *s;

	if (dg->line <= 0)
		s = xstrfmt("%s: warning: %s", file, dg->msg);
	else
		s = xstrfmt("%s:%d:%d: warning: %s", file, dg->line, dg->col, dg->msg);
	free(file);
	return s;
}

void diags_print_warnings(const struct diags *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++) {
		char *s = diag_format_warning(&d->v[i]);

		fprintf(out, "%s\n", s);
		free(s);
	}
}

/* The 1-based line of text, without its newline; NULL when there is none. */
static char *source_line(const char *text, int line)
{
	const char *p = text, *end;

	for (int i = 1; i < line; i++) {
		p = strchr(p, '\n');
		if (!p)
			return NULL;
		p++;
	}
	end = strchr(p, '\n');
	if (!end)
		end = p + strlen(p);
	if (end > p && end[-1] == '\r')
		end--;
	return xstrndup(p, (size_t)(end - p));
}

static void print_caret(FILE *out, const struct diag *dg)
{
	char *text = NULL, *line;
	size_t len;

	if (dg->line <= 0 || read_file(dg->file, &text, &len) < 0)
		return;
	if (memchr(text, '\0', len)) {
		free(text);
		return;
	}
	line = source_line(text, dg->line);
	free(text);
	if (!line)
		return;
	fprintf(out, "    %s\n    ", line);
	for (int i = 1; i < dg->col && line[i - 1]; i++)
		fputc(line[i - 1] == '\t' ? '\t' : ' ', out);
	fputs("^\n", out);
	free(line);
}

void diags_print(const struct diags *d, FILE *out, bool caret)
{
	for (size_t i = 0; i < d->n; i++) {
		char *s = diag_format(&d->v[i]);

		fprintf(out, "%s\n", s);
		free(s);
		if (caret)
			print_caret(out, &d->v[i]);
	}
}
