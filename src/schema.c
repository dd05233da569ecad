/* SPDX-License-Identifier: MIT */
/*
 * schema.c: field-table reader over ynode trees. Knows YAML scalar typing
 * and error wording; must not know any particular file format (those are
 * tables in config.c and bmad.c).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

const char *const template_names[] = {
	"story.id", "story.key", "story.prefix", "story.title", "story.epic", "step",
	"cycle",    "attempt",   "root",         "prompt",      "datadir",    NULL,
};

int lctx_error(struct lctx *cx, const struct ynode *n, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	diags_add(cx->d, cx->file, n ? n->line : 1, n ? n->col : 1, "%s", b.s);
	buf_release(&b);
	cx->errors++;
	return -1;
}

static bool is_scalar(const struct ynode *n)
{
	return n && n->kind == YN_SCALAR && !ynode_is_null(n);
}

int schema_str(struct lctx *cx, const struct ynode *n, char **out)
{
	if (!is_scalar(n))
		return lctx_error(cx, n, "expected a string, got %s", ynode_kind_name(n));
	if (strlen(n->str) != n->len)
		return lctx_error(cx, n, "string holds a NUL character");
	*out = xstrdup(n->str);
	return 0;
}

int schema_int(struct lctx *cx, const struct ynode *n, long min, long max, int *out)
{
	char *end;
	long v;

	if (is_scalar(n) && n->quoted)
		return lctx_error(cx, n, "expected an integer, got a quoted string '%s'", n->str);
	if (!is_scalar(n))
		return lctx_error(cx, n, "expected an integer, got %s", ynode_kind_name(n));
	errno = 0;
	v = strtol(n->str, &end, 10);
	if (errno || end == n->str || *end)
		return lctx_error(cx, n, "expected an integer '%s'", n->str);
	if ((min || max) && (v < min || v > max))
		return lctx_error(cx, n, "value out of range %ld..%ld '%s'", min, max, n->str);
	if (v < INT_MIN || v > INT_MAX)
		return lctx_error(cx, n, "value out of range '%s'", n->str);
	*out = (int)v;
	return 0;
}

int schema_number(struct lctx *cx, const struct ynode *n, double *out)
{
	char *end;
	double v;

	if (is_scalar(n) && n->quoted)
		return lctx_error(cx, n, "expected a number, got a quoted string '%s'", n->str);
	if (!is_scalar(n))
		return lctx_error(cx, n, "expected a number, got %s", ynode_kind_name(n));
	errno = 0;
	v = strtod(n->str, &end);
	if (errno || end == n->str || *end || !(v >= 0) || v > 1e12)
		return lctx_error(cx, n, "expected a number of 0 or more '%s'", n->str);
	*out = v;
	return 0;
}

int schema_bool(struct lctx *cx, const struct ynode *n, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO", "off" };

	if (is_scalar(n) && !n->quoted) {
		for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
			if (!strcmp(n->str, yes[i])) {
				*out = true;
				return 0;
			}
			if (!strcmp(n->str, no[i])) {
				*out = false;
				return 0;
			}
		}
	}
	if (is_scalar(n) && n->quoted)
		return lctx_error(cx, n, "expected true or false, got a quoted string '%s'",
				  n->str);
	if (is_scalar(n))
		return lctx_error(cx, n, "expected true or false '%s'", n->str);
	return lctx_error(cx, n, "expected true or false, got %s", ynode_kind_name(n));
}

int parse_duration(const char *s, long *out)
{
	long total = 0;
	const char *p = s;

	if (!*s)
		return -1;
	while (*p) {
		char *end;
		long v, mult;

		if (!isdigit((unsigned char)*p))
			return -1;
		errno = 0;
		v = strtol(p, &end, 10);
		if (errno)
			return -1;
		switch (*end) {
		case '\0':
			if (p != s)
				return -1; /* a bare number only on its own */
			mult = 1;
			break;
		case 's':
			mult = 1;
			break;
		case 'm':
			mult = 60;
			break;
		case 'h':
			mult = 3600;
			break;
		case 'd':
			mult = 86400;
			break;
		default:
			return -1;
		}
		if (v > LONG_MAX / mult / 4 || total > LONG_MAX / 4)
			return -1;
		total += v * mult;
		if (total > DURATION_MAX)
			return -2;
		p = *end ? end + 1 : end;
	}
	*out = total;
	return 0;
}

int schema_duration(struct lctx *cx, const struct ynode *n, long *out)
{
	if (!is_scalar(n))
		return lctx_error(cx, n, "expected a duration (90s, 10m, 2h), got %s",
				  ynode_kind_name(n));
	switch (parse_duration(n->str, out)) {
	case 0:
		return 0;
	case -2:
		return lctx_error(cx, n, "duration too long (at most %ldd) '%s'",
				  DURATION_MAX / 86400, n->str);
	default:
		return lctx_error(cx, n, "expected a duration (90s, 10m, 2h) '%s'", n->str);
	}
}

int schema_strlist(struct lctx *cx, const struct ynode *n, struct strvec *out)
{
	int ret = 0;

	if (is_scalar(n)) {
		strvec_push(out, n->str);
		return 0;
	}
	if (!n || n->kind != YN_SEQ)
		return lctx_error(cx, n, "expected a list of strings, got %s", ynode_kind_name(n));
	for (size_t i = 0; i < n->n; i++) {
		char *s;

		if (schema_str(cx, n->items[i], &s) < 0) {
			ret = -1;
			continue;
		}
		strvec_push_nodup(out, s);
	}
	return ret;
}

static int compile_one(struct lctx *cx, const struct ynode *n, struct patlist *out)
{
	struct pattern *p;
	size_t off;
	char *cause;

	if (!is_scalar(n))
		return lctx_error(cx, n, "expected a pattern string, got %s", ynode_kind_name(n));
	p = pattern_compile(n->str, &off, &cause);
	if (!p) {
		lctx_error(cx, n, "bad pattern: %s at offset %zu '%s'", cause, off, n->str);
		free(cause);
		return -1;
	}
	out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
	out->v[out->n++] = p;
	return 0;
}

int schema_patterns(struct lctx *cx, const struct ynode *n, struct patlist *out)
{
	int ret = 0;

	if (n && n->kind == YN_SEQ) {
		for (size_t i = 0; i < n->n; i++)
			if (compile_one(cx, n->items[i], out) < 0)
				ret = -1;
		return ret;
	}
	return compile_one(cx, n, out);
}

/* 1-based line and column (in characters) of p in text. */
static void text_pos(const char *text, const char *p, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (const char *q = text; q < p; q++) {
		if (*q == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)*q & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

/*
 * Checks the placeholders of text; each error is placed at node n, or, when
 * file is given, at the placeholder's own position in text (a prompt file).
 */
static int check_template(struct lctx *cx, const struct ynode *n, const char *file,
			  const char *text, const char *const *allowed)
{
	const char *p = text;
	int ret = 0;

	while ((p = strchr(p, '{')) != NULL) {
		size_t len = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz_.");
		bool ok = false;

		if (len == 0 || p[1 + len] != '}') {
			p++;
			continue;
		}
		for (const char *const *a = allowed; *a; a++)
			if (strlen(*a) == len && !strncmp(*a, p + 1, len))
				ok = true;
		if (!ok && file) {
			int line, col;

			text_pos(text, p, &line, &col);
			diags_add(cx->d, file, line, col, "unknown placeholder '{%.*s}'", (int)len,
				  p + 1);
			cx->errors++;
			ret = -1;
		} else if (!ok) {
			ret = lctx_error(cx, n, "unknown placeholder '{%.*s}'", (int)len, p + 1);
		}
		p += len + 2;
	}
	return ret;
}

int schema_template(struct lctx *cx, const struct ynode *n, const char *text,
		    const char *const *allowed)
{
	return check_template(cx, n, NULL, text, allowed);
}

int schema_template_file(struct lctx *cx, const char *file, const char *text,
			 const char *const *allowed)
{
	return check_template(cx, NULL, file, text, allowed);
}

static const struct field *find_field(const struct field *fields, size_t nfields, const char *key)
{
	for (size_t i = 0; i < nfields; i++)
		if (!strcmp(fields[i].key, key))
			return &fields[i];
	return NULL;
}

static const char *did_you_mean(const struct field *fields, size_t nfields, const char *key)
{
	const char *best = NULL;
	size_t bestd = 3;

	for (size_t i = 0; i < nfields; i++) {
		size_t limit = strlen(fields[i].key) <= 4 ? 1 : 2;
		size_t d = str_distance(key, fields[i].key, limit);

		if (d <= limit && d < bestd) {
			best = fields[i].key;
			bestd = d;
		}
	}
	return best;
}

static int read_field(struct lctx *cx, const struct field *f, const struct ynode *v, void *obj)
{
	char *base = obj;

	switch (f->type) {
	case FT_STR:
		return schema_str(cx, v, (char **)(base + f->off));
	case FT_INT:
		return schema_int(cx, v, f->min, f->max, (int *)(base + f->off));
	case FT_BOOL:
		return schema_bool(cx, v, (bool *)(base + f->off));
	case FT_NUMBER:
		return schema_number(cx, v, (double *)(base + f->off));
	case FT_DURATION:
		if (schema_duration(cx, v, (long *)(base + f->off)) < 0)
			return -1;
		/* min: the shortest that can work (a 0 timeout ends every step at once) */
		if (*(long *)(base + f->off) < f->min)
			return lctx_error(cx, v, "%s must be at least %lds '%s'", f->key, f->min,
					  v->str);
		return 0;
	case FT_STRLIST:
		return schema_strlist(cx, v, (struct strvec *)(base + f->off));
	case FT_PATTERNS:
		return schema_patterns(cx, v, (struct patlist *)(base + f->off));
	case FT_CUSTOM:
		return f->parse(cx, v, obj);
	}
	return -1;
}

int schema_map(struct lctx *cx, const struct ynode *n, const struct field *fields, size_t nfields,
	       void *obj, const char *what)
{
	size_t before = cx->errors;

	if (!n || n->kind != YN_MAP)
		return lctx_error(cx, n, "expected a mapping for %s, got %s", what,
				  ynode_kind_name(n));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->pairs[i].key;
		const struct field *f = find_field(fields, nfields, k->str);

		if (!f) {
			const char *hint = did_you_mean(fields, nfields, k->str);

			if (hint)
				lctx_error(cx, k, "unknown key '%s' in %s (did you mean '%s'?)",
					   k->str, what, hint);
			else
				lctx_error(cx, k, "unknown key '%s' in %s", k->str, what);
			continue;
		}
		read_field(cx, f, n->pairs[i].val, obj);
	}
	for (size_t i = 0; i < nfields; i++) {
		bool misspelt = false;

		if (!(fields[i].flags & F_REQUIRED) || ynode_get(n, fields[i].key))
			continue;
		/* a key the did-you-mean above already named is not missing twice */
		for (size_t j = 0; j < n->n && !misspelt; j++) {
			const char *k = n->pairs[j].key->str;
			const char *hint = find_field(fields, nfields, k)
						   ? NULL
						   : did_you_mean(fields, nfields, k);

			misspelt = hint && !strcmp(hint, fields[i].key);
		}
		if (!misspelt)
			lctx_error(cx, n, "missing required key '%s' in %s", fields[i].key, what);
	}
	return cx->errors > before ? -1 : 0;
}
