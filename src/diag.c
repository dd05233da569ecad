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
 * s with control characters escaped (\n, \t, \xNN): a message stays on one
 * line, and text quoted from a file cannot drive the terminal.
 */
static char *escape_controls(const char *s)
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
	dg->msg = escape_controls(buf_str(&b));
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
	char *file = escape_controls(dg->file), *s;

	if (dg->line <= 0)
		s = xstrfmt("%s: %s", file, dg->msg);
	else
		s = xstrfmt("%s:%d:%d: %s", file, dg->line, dg->col, dg->msg);
	free(file);
	return s;
}

char *diag_format_warning(const struct diag *dg)
{
	char *file = escape_controls(dg->file), *s;

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
