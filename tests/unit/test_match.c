/* SPDX-License-Identifier: MIT */
/*
 * test_match.c: the pcre2 adapter: matches, the match limit that stops a
 * catastrophically backtracking pattern with an error (never a silent "no
 * match"), and the count of such errors a run reports once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "match.h"

static struct pattern *compile(const char *src)
{
	size_t off = 0;
	char *cause = NULL;
	struct pattern *p = pattern_compile(src, &off, &cause);

	if (!p)
		fail_msg("cannot compile '%s': %s", src, cause);
	return p;
}

static void test_match_and_no_match(void **state)
{
	struct pattern *p = compile("^rate limit: (\\d+)s$");
	const char *yes = "rate limit: 30s", *no = "rate limit: soon";

	(void)state;
	assert_int_equal(pattern_match(p, yes, strlen(yes)), 1);
	assert_int_equal(pattern_match(p, no, strlen(no)), 0);
	assert_int_equal(pattern_take_errors(p, NULL), 0);
	pattern_free(p);
}

static void test_match_limit_is_an_error(void **state)
{
	struct pattern *p = compile("^(a+)+$");
	char line[64];
	char *what = NULL;
	struct patlist l = { &p, 1 };

	(void)state;
	memset(line, 'a', 40);
	strcpy(line + 40, "b");
	/* 2^40 ways to split the a's: the limit stops it */
	assert_int_equal(pattern_match(p, line, strlen(line)), -1);
	assert_int_equal(patlist_match(&l, line, strlen(line)), -1);
	assert_int_equal(pattern_take_errors(p, &what), 2);
	assert_non_null(what);
	assert_non_null(strstr(what, "limit"));
	free(what);
	/* taken: reported once */
	assert_int_equal(pattern_take_errors(p, NULL), 0);
	/* a short line still matches */
	assert_int_equal(pattern_match(p, "aaa", 3), 1);
	pattern_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_and_no_match),
		cmocka_unit_test(test_match_limit_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
