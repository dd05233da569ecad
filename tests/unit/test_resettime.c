/* SPDX-License-Identifier: MIT */
/*
 * test_resettime.c: reset times read from the limit messages the agent CLIs
 * print (src/resettime.c). "now" is fixed: 2026-12-03T09:30:00Z, a Thursday.
 * Needs the tz database (Debian's tzdata) for the named zones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "resettime.h"

#define NOW 1796290200L /* 2026-12-03T09:30:00Z */

static time_t parse_ok(const char *text)
{
	time_t t = 0;

	if (resettime_parse(text, NOW, &t) != 0)
		fail_msg("no reset time in '%s'", text);
	return t;
}

static void test_claude_forms(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	/* later today */
	assert_int_equal(parse_ok("You've hit your session limit · resets 10:57am (UTC)"),
			 NOW + 87 * 60);
	assert_int_equal(parse_ok("You've hit your weekly limit · resets 10am (UTC)"),
			 NOW + 30 * 60);
	/* already past today: tomorrow */
	assert_int_equal(parse_ok("Claude usage limit reached · resets 9am (UTC)"),
			 NOW - 30 * 60 + 86400);
	/* a named zone: 10pm New York is 03:00Z the next day in December */
	assert_int_equal(parse_ok("You've hit your Opus limit · resets 10pm (America/New_York)"),
			 NOW + (17 * 60 + 30) * 60);
	/* a date */
	assert_int_equal(parse_ok("You've hit your weekly limit · resets Dec 7, 9am (UTC)"),
			 NOW + 4 * 86400 - 30 * 60);
	assert_int_equal(parse_ok("resets Dec 7 at 9:30am (UTC)"), NOW + 4 * 86400);
	/* a date already past this year: next year */
	assert_int_equal(parse_ok("resets Jan 2, 9am (UTC)"), 1798880400L);
}

static void test_codex_forms(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	assert_int_equal(parse_ok("You've hit your usage limit. Upgrade to Pro "
				  "(https://chatgpt.com/explore/pro), or try again at 11:09 AM."),
			 NOW + 99 * 60);
	assert_int_equal(parse_ok("You've hit your usage limit. or try again at Dec 5th, 2026 "
				  "3:42 PM."),
			 NOW + 2 * 86400 + (6 * 60 + 12) * 60);
	/* local time is the machine's zone */
	setenv("TZ", "Europe/Berlin", 1);
	assert_int_equal(parse_ok("try again at 11:09 AM."), NOW + 39 * 60);
	setenv("TZ", "UTC", 1);
}

static void test_relative(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("Rate limit reached. Please try again in 20s."), NOW + 20);
	assert_int_equal(parse_ok("try again in 2 hours 5 minutes"), NOW + 7500);
	assert_int_equal(parse_ok("try again in 1h 3m"), NOW + 3780);
	assert_int_equal(parse_ok("please retry after 42 seconds"), NOW + 42);
	assert_int_equal(parse_ok("try again in 2 days, 3 hours and 1 minute"),
			 NOW + 2 * 86400 + 3 * 3600 + 60);
}

static void test_none(void **state)
{
	time_t t = 123;

	(void)state;
	assert_int_equal(resettime_parse("API Error: 529 Overloaded", NOW, &t), -1);
	assert_int_equal(resettime_parse("resets soon", NOW, &t), -1);
	assert_int_equal(resettime_parse("resets 10 (UTC)", NOW, &t), -1);
	assert_int_equal(resettime_parse("try again at 25:00", NOW, &t), -1);
	assert_int_equal(resettime_parse("try again at 13pm", NOW, &t), -1);
	assert_int_equal(resettime_parse("", NOW, &t), -1);
	assert_int_equal(resettime_parse(NULL, NOW, &t), -1);
	assert_int_equal(t, 123);
	/* an unknown or unsafe zone falls back to UTC, never a path outside the database */
	assert_int_equal(parse_ok("resets 10am (../../etc/passwd)"), NOW + 30 * 60);
	assert_int_equal(parse_ok("resets 10am (Nowhere/Land)"), NOW + 30 * 60);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claude_forms),
		cmocka_unit_test(test_codex_forms),
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
