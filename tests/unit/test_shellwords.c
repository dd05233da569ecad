/* SPDX-License-Identifier: MIT */
/*
 * test_shellwords.c: command strings split into argv words (src/shellwords.c):
 * blanks, single and double quotes, backslashes, adjacent quoted parts,
 * empty words, no expansion of anything, and the errors. Pure string work.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shellwords.h"
#include "util.h"

/* Splits s; asserts success and that the words are the NULL-terminated list. */
static void expect_words(const char *s, ...)
{
	struct strvec sv = STRVEC_INIT;
	char *cause = NULL;
	const char *w;
	size_t n = 0;
	va_list ap;

	if (shellwords_split(s, &sv, &cause, NULL) < 0)
		fail_msg("split of [%s] failed: %s", s, cause);
	va_start(ap, s);
	while ((w = va_arg(ap, const char *))) {
		if (n >= sv.n)
			fail_msg("split of [%s]: only %zu words, want '%s' next", s, sv.n, w);
		assert_string_equal(sv.v[n], w);
		n++;
	}
	va_end(ap);
	if (n != sv.n)
		fail_msg("split of [%s]: %zu words, want %zu (extra '%s')", s, sv.n, n, sv.v[n]);
	if (sv.n)
		assert_null(sv.v[sv.n]);
	strvec_release(&sv);
}

/* Splits s; asserts failure with cause and offset, and out untouched. */
static void expect_error(const char *s, const char *want, size_t want_off)
{
	struct strvec sv = STRVEC_INIT;
	char *cause = NULL;
	size_t off = 999;

	strvec_push(&sv, "before");
	assert_int_equal(shellwords_split(s, &sv, &cause, &off), -1);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	assert_int_equal(off, want_off);
	assert_int_equal(sv.n, 1);
	assert_string_equal(sv.v[0], "before");
	free(cause);
	strvec_release(&sv);
}

static void test_blanks(void **state)
{
	(void)state;
	expect_words("claude -p x", "claude", "-p", "x", NULL);
	expect_words("  a\tb\n c  ", "a", "b", "c", NULL);
	expect_words("", NULL);
	expect_words(" \t\n ", NULL);
	expect_words("one", "one", NULL);
}

static void test_templates_stay_per_word(void **state)
{
	(void)state;
	expect_words("bash ./agent.sh {step}", "bash", "./agent.sh", "{step}", NULL);
	expect_words("claude -p \"{prompt}\" --verbose", "claude", "-p", "{prompt}", "--verbose",
		     NULL);
	expect_words("{datadir}/scripts/fake-agent {prompt}", "{datadir}/scripts/fake-agent",
		     "{prompt}", NULL);
}

static void test_single_quotes(void **state)
{
	(void)state;
	expect_words("'a b' c", "a b", "c", NULL);
	/* nothing is special inside single quotes, a backslash included */
	expect_words("'a\\b \"c\" $HOME'", "a\\b \"c\" $HOME", NULL);
	expect_words("'it'\\''s'", "it's", NULL);
}

static void test_double_quotes(void **state)
{
	(void)state;
	expect_words("\"a b\" c", "a b", "c", NULL);
	/* backslash escapes only $ ` " \ and newline inside double quotes */
	expect_words("\"\\$x \\` \\\" \\\\\"", "$x ` \" \\", NULL);
	expect_words("\"\\n\\a\"", "\\n\\a", NULL);
	expect_words("\"a\\\nb\"", "ab", NULL);
	expect_words("\"'single' inside\"", "'single' inside", NULL);
}

static void test_backslash(void **state)
{
	(void)state;
	expect_words("a\\ b c", "a b", "c", NULL);
	expect_words("\\'x\\\"", "'x\"", NULL);
	expect_words("\\\\", "\\", NULL);
	expect_words("\\n", "n", NULL);
	/* a backslash-newline is removed: it joins, and alone makes no word */
	expect_words("a\\\nb", "ab", NULL);
	expect_words("a \\\n b", "a", "b", NULL);
	expect_words("'' \\\n", "", NULL);
}

static void test_adjacent_and_empty(void **state)
{
	(void)state;
	expect_words("a\"b c\"d", "ab cd", NULL);
	expect_words("'a'\"b\"c", "abc", NULL);
	expect_words("''", "", NULL);
	expect_words("\"\"", "", NULL);
	expect_words("x '' y", "x", "", "y", NULL);
	expect_words("x\"\"", "x", NULL);
}

static void test_no_expansion(void **state)
{
	(void)state;
	expect_words("echo $HOME ~ *.c $(id) `id` ; | && # x", "echo", "$HOME", "~", "*.c", "$(id)",
		     "`id`", ";", "|", "&&", "#", "x", NULL);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("claude -p \"{prompt}", "unterminated double quote", 10);
	expect_error("'abc", "unterminated single quote", 0);
	expect_error("a 'b\"c", "unterminated single quote", 2);
	expect_error("a \"b\\\"", "unterminated double quote", 2);
	expect_error("x \\", "backslash at the end", 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blanks),
		cmocka_unit_test(test_templates_stay_per_word),
		cmocka_unit_test(test_single_quotes),
		cmocka_unit_test(test_double_quotes),
		cmocka_unit_test(test_backslash),
		cmocka_unit_test(test_adjacent_and_empty),
		cmocka_unit_test(test_no_expansion),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
