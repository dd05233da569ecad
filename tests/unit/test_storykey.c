/* SPDX-License-Identifier: MIT */
/*
 * test_storykey.c: story key forms (src/storykey.c). '1.2', '1-2' and
 * '1-2-some-slug' name the same story, letter suffixes are valid, and ids
 * outside ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ are refused. Pure string work:
 * no files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "storykey.h"
#include "util.h"

/* A string of n copies of c (n < 128). */
static const char *repeat(char c, size_t n)
{
	static char s[128];

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_parse_forms(void **state)
{
	struct storykey k;

	(void)state;
	assert_int_equal(storykey_parse("1.2", &k), 0);
	assert_true(k.numeric);
	assert_string_equal(k.id, "1.2");
	assert_string_equal(k.prefix, "1-2");
	assert_string_equal(k.epic, "1");
	assert_string_equal(k.slug, "");

	assert_int_equal(storykey_parse("1-2", &k), 0);
	assert_true(k.numeric);
	assert_string_equal(k.id, "1.2");
	assert_string_equal(k.prefix, "1-2");
	assert_string_equal(k.slug, "");

	assert_int_equal(storykey_parse("1-2-some-slug", &k), 0);
	assert_true(k.numeric);
	assert_string_equal(k.id, "1.2");
	assert_string_equal(k.prefix, "1-2");
	assert_string_equal(k.epic, "1");
	assert_string_equal(k.slug, "some-slug");

	assert_int_equal(storykey_parse("12-34-x", &k), 0);
	assert_string_equal(k.id, "12.34");
	assert_string_equal(k.prefix, "12-34");
	assert_string_equal(k.epic, "12");
	assert_string_equal(k.slug, "x");
}

static void test_parse_letter_suffix(void **state)
{
	struct storykey k;

	(void)state;
	assert_int_equal(storykey_parse("1.4b", &k), 0);
	assert_true(k.numeric);
	assert_string_equal(k.id, "1.4b");
	assert_string_equal(k.prefix, "1-4b");
	assert_string_equal(k.epic, "1");

	assert_int_equal(storykey_parse("1-4b-profile-photos", &k), 0);
	assert_true(k.numeric);
	assert_string_equal(k.id, "1.4b");
	assert_string_equal(k.prefix, "1-4b");
	assert_string_equal(k.slug, "profile-photos");

	assert_int_equal(storykey_parse("5a", &k), 0);
	assert_true(k.numeric);
	assert_string_equal(k.id, "5a");
	assert_string_equal(k.prefix, "5a");
	assert_string_equal(k.slug, "");

	assert_int_equal(storykey_parse("5a-garden-map", &k), 0);
	assert_true(k.numeric);
	assert_string_equal(k.id, "5a");
	assert_string_equal(k.slug, "garden-map");
}

static void test_parse_non_numeric(void **state)
{
	struct storykey k;

	(void)state;
	/* not of the numeric form: the id names itself */
	assert_int_equal(storykey_parse("login-page", &k), 0);
	assert_false(k.numeric);
	assert_string_equal(k.id, "login-page");
	assert_string_equal(k.prefix, "login-page");
	assert_string_equal(k.epic, "");
	assert_string_equal(k.slug, "");

	/* two letters are not a suffix */
	assert_int_equal(storykey_parse("1-2bc", &k), 0);
	assert_false(k.numeric);
	assert_string_equal(k.id, "1-2bc");
}

static void test_same(void **state)
{
	(void)state;
	assert_true(storykey_same("1.2", "1-2"));
	assert_true(storykey_same("1.2", "1-2-some-slug"));
	assert_true(storykey_same("1-2", "1-2-other-slug"));
	assert_true(storykey_same("1.4b", "1-4b-slug"));
	assert_true(storykey_same("5a", "5a-slug"));
	assert_true(storykey_same("login-page", "login-page"));

	assert_false(storykey_same("1.2", "1.3"));
	assert_false(storykey_same("1.2", "2.1"));
	assert_false(storykey_same("1.2", "1.2b"));
	assert_false(storykey_same("1.4b", "1.4a"));
	assert_false(storykey_same("1.2", "12"));
	assert_false(storykey_same("1.2", "1-20-slug"));
	assert_false(storykey_same("1.2", "bad id"));
	assert_false(storykey_same("bad id", "bad id"));
}

static void test_valid(void **state)
{
	struct storykey k;
	char id[160];

	(void)state;
	assert_true(storykey_valid("1"));
	assert_true(storykey_valid("a"));
	assert_true(storykey_valid("1.2"));
	assert_true(storykey_valid("A_b.C-9"));
	assert_true(storykey_valid("1..2")); /* the pattern allows it */

	/* 64 characters is the limit */
	snprintf(id, sizeof(id), "1%s", repeat('x', 63));
	assert_int_equal(strlen(id), 64);
	assert_true(storykey_valid(id));
	snprintf(id, sizeof(id), "1%s", repeat('x', 64));
	assert_int_equal(strlen(id), 65);
	assert_false(storykey_valid(id));

	assert_false(storykey_valid(""));
	assert_false(storykey_valid("-1.2"));
	assert_false(storykey_valid(".2"));
	assert_false(storykey_valid("_a"));
	assert_false(storykey_valid("1.2 login"));
	assert_false(storykey_valid(" 1.2"));
	assert_false(storykey_valid("1.2\n"));
	assert_false(storykey_valid("1/2"));
	assert_false(storykey_valid("$(touch pwned)"));
	assert_false(storykey_valid("1;rm"));
	assert_false(storykey_valid("1.2\xc3\xa9"));       /* "1.2é" */
	assert_false(storykey_valid("\xc3\xa9t\xc3\xa9")); /* "été" */
	assert_false(storykey_valid("\xef\xbc\x91"));      /* fullwidth digit one */

	memset(&k, 'z', sizeof(k));
	assert_int_equal(storykey_parse("-1.2", &k), -1);
	assert_int_equal(storykey_parse("1.2 x", &k), -1);
	assert_int_equal(storykey_parse("", &k), -1);
}

static void test_problem(void **state)
{
	char id[160], *why;

	(void)state;
	assert_null(storykey_problem("1-2-slug"));

	why = storykey_problem("-1.1");
	assert_string_equal(why, "must start with a letter or digit");
	free(why);
	why = storykey_problem("1.1 login");
	assert_string_equal(why, "character ' ' not allowed");
	free(why);
	why = storykey_problem("1.2\xc3\xa9");
	assert_string_equal(why, "non-ASCII character");
	free(why);
	why = storykey_problem("a\x1b");
	assert_string_equal(why, "control character 0x1b not allowed");
	free(why);
	why = storykey_problem("");
	assert_string_equal(why, "empty");
	free(why);
	snprintf(id, sizeof(id), "1%s", repeat('x', 64));
	why = storykey_problem(id);
	assert_string_equal(why, "65 characters, at most 64");
	free(why);
}

static void test_classify(void **state)
{
	char epic[16], small[3] = { 'q', 'q', 'q' };

	(void)state;
	memset(epic, 'z', sizeof(epic));
	assert_int_equal(storykey_classify("epic-1", epic, sizeof(epic)), 1);
	assert_string_equal(epic, "1");

	memset(epic, 'z', sizeof(epic));
	assert_int_equal(storykey_classify("epic-1-retrospective", epic, sizeof(epic)), 2);
	assert_string_equal(epic, "1");

	memset(epic, 'z', sizeof(epic));
	assert_int_equal(storykey_classify("epic-12b", epic, sizeof(epic)), 1);
	assert_string_equal(epic, "12b");

	memset(epic, 'z', sizeof(epic));
	assert_int_equal(storykey_classify("epic-12b-retrospective", epic, sizeof(epic)), 2);
	assert_string_equal(epic, "12b");

	/* the epic buffer is only written for epics and retrospectives */
	epic[0] = '\0';
	assert_int_equal(storykey_classify("1-2-x", epic, sizeof(epic)), 0);
	assert_string_equal(epic, "");
	assert_int_equal(storykey_classify("5a", epic, sizeof(epic)), 0);
	assert_int_equal(storykey_classify("epic", epic, sizeof(epic)), 0);
	assert_int_equal(storykey_classify("1-2-retro", epic, sizeof(epic)), 0);
	assert_int_equal(storykey_classify("1-2 x", epic, sizeof(epic)), -1);

	/* named epics: epic-ANYTHING, supp-epic-N; any key ending in -retrospective */
	assert_int_equal(storykey_classify("epic-x", epic, sizeof(epic)), 1);
	assert_string_equal(epic, "x");
	assert_int_equal(storykey_classify("epic-auth", epic, sizeof(epic)), 1);
	assert_string_equal(epic, "auth");
	assert_int_equal(storykey_classify("epic-1-notes", epic, sizeof(epic)), 1);
	assert_int_equal(storykey_classify("epic-auth-retrospective", epic, sizeof(epic)), 2);
	assert_string_equal(epic, "auth");
	assert_int_equal(storykey_classify("supp-epic-2", epic, sizeof(epic)), 1);
	assert_string_equal(epic, "supp-epic-2");
	assert_int_equal(storykey_classify("supp-epic-2-retrospective", epic, sizeof(epic)), 2);
	assert_string_equal(epic, "supp-epic-2");
	assert_int_equal(storykey_classify("sprint-3-retrospective", epic, sizeof(epic)), 2);
	assert_string_equal(epic, "sprint-3");
	assert_int_equal(storykey_classify("epic-\xe8\xae\xa4\xe8\xaf\x81", epic, sizeof(epic)), 1);
	assert_int_equal(storykey_classify("-epic-1", epic, sizeof(epic)), -1);

	/* a short buffer is truncated, never overrun */
	assert_int_equal(storykey_classify("epic-1234", small, sizeof(small)), 1);
	assert_string_equal(small, "12");
	assert_int_equal(storykey_classify("epic-7", NULL, 0), 1);
}

static void test_tolerant_keys(void **state)
{
	struct storykey k;
	char key[2048];

	(void)state;
	/* any UTF-8 text, any length: BMAD's keys */
	assert_int_equal(
		storykey_parse("1-6-mcp-player-profile-\xe6\x9d\x83\xe9\x99\x90\xe9\x97\xa8", &k),
		0);
	assert_string_equal(k.id, "1.6");
	assert_string_equal(k.slug, "mcp-player-profile-\xe6\x9d\x83\xe9\x99\x90\xe9\x97\xa8");
	assert_int_equal(storykey_parse("22-2-rewrite-readme-with-ai-agent-section-and-competitive-"
					"positioning",
					&k),
			 0);
	assert_string_equal(k.prefix, "22-2");
	assert_true(storykey_key_ok("\xe6\x9d\x83\xe9\x99\x90"));
	/* the strict rule for our own ids is unchanged */
	assert_false(storykey_valid("1-6-\xe6\x9d\x83"));
	assert_false(storykey_valid(
		"22-2-rewrite-readme-with-ai-agent-section-and-competitive-positioning"));

	/* free text only in a numeric key's slug: ids and other names stay strict */
	assert_int_equal(storykey_parse("1.2\xc3\xa9", &k), -1);
	assert_int_equal(storykey_parse("\xe7\x99\xbb\xe5\xbd\x95", &k), -1);
	memset(key, 'a', 65);
	key[65] = '\0';
	assert_int_equal(storykey_parse(key, &k), -1);
	memcpy(key, "1-2-", 4);
	assert_int_equal(storykey_parse(key, &k), 0);
	assert_string_equal(k.id, "1.2");

	/* what a key still cannot be */
	assert_false(storykey_key_ok(""));
	assert_false(storykey_key_ok("a b"));
	assert_false(storykey_key_ok("a/b"));
	assert_false(storykey_key_ok("a\\b"));
	assert_false(storykey_key_ok("-1"));
	assert_false(storykey_key_ok(".hidden"));
	assert_false(storykey_key_ok("a\tb"));
	assert_false(storykey_key_ok("1-2-\xff"));     /* not UTF-8 */
	assert_false(storykey_key_ok("1-2-\xe6\x9d")); /* cut short */
	memset(key, 'x', sizeof(key));
	key[STORYKEY_MAX - 1] = '\0';
	assert_true(storykey_key_ok(key));
	memcpy(key, "1-2-", 4);
	assert_int_equal(storykey_parse(key, &k), 0);
	memset(key, 'x', sizeof(key));
	key[STORYKEY_MAX - 1] = 'x';
	key[STORYKEY_MAX] = '\0';
	assert_false(storykey_key_ok(key));
	assert_int_equal(storykey_parse(key, &k), -1);
}

static void test_sub_stories(void **state)
{
	struct storykey k;

	(void)state;
	assert_int_equal(storykey_parse("0-6-1-boost-test-coverage", &k), 0);
	assert_true(k.numeric);
	assert_true(k.sub);
	assert_string_equal(k.id, "0.6.1");
	assert_string_equal(k.prefix, "0-6-1");
	assert_string_equal(k.epic, "0");
	assert_string_equal(k.slug, "boost-test-coverage");

	assert_int_equal(storykey_parse("10-5-a-dns", &k), 0);
	assert_string_equal(k.id, "10.5.a");
	assert_string_equal(k.prefix, "10-5-a");
	assert_string_equal(k.slug, "dns");

	assert_int_equal(storykey_parse("6.1.a", &k), 0);
	assert_string_equal(k.prefix, "6-1-a");
	assert_string_equal(k.slug, "");
	assert_int_equal(storykey_parse("0-6-1", &k), 0);
	assert_string_equal(k.id, "0.6.1");
	assert_int_equal(storykey_parse("23-0-1-spike", &k), 0);
	assert_string_equal(k.id, "23.0.1");

	/* a letter alone at the end is a slug; a letter suffix stays a suffix */
	assert_int_equal(storykey_parse("2-1-a", &k), 0);
	assert_false(k.sub);
	assert_string_equal(k.id, "2.1");
	assert_string_equal(k.slug, "a");
	assert_int_equal(storykey_parse("1-4b-profile-photos", &k), 0);
	assert_false(k.sub);
	assert_string_equal(k.id, "1.4b");
	assert_int_equal(storykey_parse("1-2-3d-printing", &k), 0);
	assert_false(k.sub);
	assert_string_equal(k.slug, "3d-printing");

	/* distinct from the parent */
	assert_false(storykey_same("0-6-set-up-ci-cd", "0-6-1-boost-test-coverage"));
	assert_false(storykey_same("0.6", "0.6.1"));
	assert_true(storykey_same("0.6.1", "0-6-1-boost-test-coverage"));
	assert_true(storykey_same("10.5.a", "10-5-a-dns"));
	assert_false(storykey_same("10.5", "10-5-a-dns"));
}

static void test_order(void **state)
{
	static const char *const sorted[] = {
		"0-6-set-up-ci-cd", "0-6-1-boost",   "0-6-2-flaky", "0-6-10-late", "0-6-a-letter",
		"0-7-next",         "1-4-photos",    "1-4b-more",   "2-1-x",       "5a-garden",
		"10-1-ingress",     "10-1-1-limits", "10-5-dns",    "10-5-a-dns",  "login-page",
	};
	struct storykey a, b;

	(void)state;
	for (size_t i = 0; i < sizeof(sorted) / sizeof(sorted[0]); i++) {
		for (size_t j = 0; j < sizeof(sorted) / sizeof(sorted[0]); j++) {
			int c;

			assert_int_equal(storykey_parse(sorted[i], &a), 0);
			assert_int_equal(storykey_parse(sorted[j], &b), 0);
			c = storykey_cmp(&a, &b);
			if (i < j && c >= 0)
				fail_msg("'%s' should sort before '%s'", sorted[i], sorted[j]);
			if (i > j && c <= 0)
				fail_msg("'%s' should sort after '%s'", sorted[i], sorted[j]);
			if (i == j)
				assert_int_equal(c, 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_letter_suffix),
		cmocka_unit_test(test_parse_non_numeric),
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_problem),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_tolerant_keys),
		cmocka_unit_test(test_sub_stories),
		cmocka_unit_test(test_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
