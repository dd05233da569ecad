/* SPDX-License-Identifier: MIT */
/*
 * schema.h: typed reading of ynode trees through field tables, in the style
 * of libcyaml: {key, type, offset, flags, handler}. Every problem is added
 * to the context's diags with its file:line:col and reading goes on, so a
 * file's errors are all reported at once.
 */
#ifndef AU_SCHEMA_H
#define AU_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "match.h"
#include "util.h"
#include "ydoc.h"

struct lctx {
	const char *file; /* borrowed: the name used in messages */
	struct diags *d;
	size_t errors; /* count of errors added through this context */
};

enum ftype {
	FT_STR,      /* char * (owned copy) */
	FT_INT,      /* int, within [min, max] */
	FT_BOOL,     /* bool: true/false/yes/no */
	FT_NUMBER,   /* double, 0 or more (a cost in USD) */
	FT_DURATION, /* long seconds: 90, 90s, 10m, 2h, 1h30m, 1d */
	FT_STRLIST,  /* struct strvec; a single value counts as a one-item list */
	FT_PATTERNS, /* struct patlist; each pattern compiled now */
	FT_CUSTOM,   /* handled by .parse */
};

#define F_REQUIRED 1u

struct field {
	const char *key;
	enum ftype type;
	size_t off;
	unsigned flags;
	int (*parse)(struct lctx *cx, const struct ynode *val, void *obj);
	long min, max; /* FT_INT bounds (both 0: no bounds); FT_DURATION: min seconds */
};

/* Adds an error at node n (or the file start when n is NULL); returns -1. */
int lctx_error(struct lctx *cx, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Reads map n into obj through fields; what names the thing for messages
 * ("a story"). Unknown keys (with a did-you-mean among the fields), wrong
 * types and missing required keys are errors. Returns 0 or -1.
 */
int schema_map(struct lctx *cx, const struct ynode *n, const struct field *fields, size_t nfields,
	       void *obj, const char *what);

/* Single-value readers the tables use; each reports its own error. */
int schema_str(struct lctx *cx, const struct ynode *n, char **out);
int schema_int(struct lctx *cx, const struct ynode *n, long min, long max, int *out);
int schema_bool(struct lctx *cx, const struct ynode *n, bool *out);
int schema_duration(struct lctx *cx, const struct ynode *n, long *out);
/* A number of 0 or more (unquoted), e.g. 2.50. */
int schema_number(struct lctx *cx, const struct ynode *n, double *out);
int schema_strlist(struct lctx *cx, const struct ynode *n, struct strvec *out);
int schema_patterns(struct lctx *cx, const struct ynode *n, struct patlist *out);
/* Checks {name} placeholders in a template against the allowed names. */
int schema_template(struct lctx *cx, const struct ynode *n, const char *text,
		    const char *const *allowed);
/* Same for the text of a file (a prompt file): errors carry file:line:col in it. */
int schema_template_file(struct lctx *cx, const char *file, const char *text,
			 const char *const *allowed);

/* The longest duration a file may give (365 days), so no arithmetic on one overflows. */
#define DURATION_MAX (365L * 86400)
/* Parses a duration; returns 0, -1 (not a duration) or -2 (over DURATION_MAX). */
int parse_duration(const char *s, long *out);

/* The placeholder names every template may use. */
extern const char *const template_names[];

#endif
