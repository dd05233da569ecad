/* SPDX-License-Identifier: MIT */
/*
 * match.c: the pcre2 adapter, the only file that includes pcre2.h. Compiles
 * with PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, tries JIT and falls back to the
 * interpreter quietly. Must never compile inside a matching loop.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>

#include "match.h"
#include "util.h"

struct pattern {
	char *src;
	pcre2_code *code;
	pcre2_match_data *md;
	bool jit;
	unsigned long errors, taken; /* matching errors, and how many were reported */
	int last_error;
};

/*
 * One match context for every pattern: a pattern that backtracks
 * catastrophically ((a+)+$) stops at the limit with an error, which is
 * counted and reported (pattern_take_errors), never taken for "no match"
 * silently.
 */
static pcre2_match_context *limits(void)
{
	static pcre2_match_context *ctx;

	if (!ctx) {
		ctx = pcre2_match_context_create(NULL);
		if (!ctx)
			xdie("out of memory (pcre2 match context)");
		pcre2_set_match_limit(ctx, PATTERN_MATCH_LIMIT);
		pcre2_set_depth_limit(ctx, PATTERN_MATCH_LIMIT / 100);
	}
	return ctx;
}

struct pattern *pattern_compile(const char *src, size_t *erroffset, char **cause)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off = 0;
	struct pattern *p;
	pcre2_code *code;
	int err = 0;

	code = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
			     PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
	if (!code) {
		pcre2_get_error_message(err, msg, sizeof(msg));
		*erroffset = off;
		*cause = xstrdup((const char *)msg);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->src = xstrdup(src);
	p->code = code;
	p->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
	p->md = pcre2_match_data_create_from_pattern(code, NULL);
	if (!p->md)
		xdie("out of memory (pcre2 match data)");
	return p;
}

void pattern_free(struct pattern *p)
{
	if (!p)
		return;
	pcre2_match_data_free(p->md);
	pcre2_code_free(p->code);
	free(p->src);
	free(p);
}

int pattern_match(struct pattern *p, const char *s, size_t len)
{
	int rc;

	if (p->jit)
		rc = pcre2_jit_match(p->code, (PCRE2_SPTR)s, len, 0, 0, p->md, limits());
	else
		rc = pcre2_match(p->code, (PCRE2_SPTR)s, len, 0, 0, p->md, limits());
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	p->errors++;
	p->last_error = rc;
	return -1;
}

unsigned long pattern_take_errors(struct pattern *p, char **what)
{
	unsigned long n = p->errors - p->taken;
	PCRE2_UCHAR msg[256];

	if (n && what) {
		pcre2_get_error_message(p->last_error, msg, sizeof(msg));
		*what = xstrdup((const char *)msg);
	}
	p->taken = p->errors;
	return n;
}

const char *pattern_source(const struct pattern *p)
{
	return p->src;
}

bool pattern_jitted(const struct pattern *p)
{
	return p->jit;
}

void patlist_release(struct patlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		pattern_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int patlist_match(const struct patlist *l, const char *s, size_t len)
{
	for (size_t i = 0; i < l->n; i++)
		if (pattern_match(l->v[i], s, len) == 1)
			return (int)i;
	return -1;
}
