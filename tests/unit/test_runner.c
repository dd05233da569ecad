/* SPDX-License-Identifier: MIT */
/*
 * test_runner.c: the runner's end line (src/runner.c): what it writes after
 * the agent ended, and how the orchestrator reads the agent's exit from
 * the bytes after the marker, without the exit record: whole lines only,
 * an exit status or a signal, nothing else taken for one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runner.h"

#define MARKER "\033]777;automator-end;run-1.1-dev-1\a"

/* The end text of (status, sig) parsed back from after its marker. */
static int round_trip(int status, int sig, struct runner_exit *out)
{
	char *t = runner_end_text(MARKER, status, sig);
	size_t m = strlen(MARKER);
	int rc;

	assert_memory_equal(t, MARKER, m);
	rc = runner_parse_end(t + m, strlen(t) - m, out);
	free(t);
	return rc;
}

static void test_round_trip(void **state)
{
	struct runner_exit e;

	(void)state;
	assert_int_equal(round_trip(0, 0, &e), 0);
	assert_int_equal(e.status, 0);
	assert_int_equal(e.signal, 0);
	assert_true(e.ended_at > 0);
	assert_int_equal(round_trip(3, 0, &e), 0);
	assert_int_equal(e.status, 3);
	assert_int_equal(round_trip(127, 0, &e), 0);
	assert_int_equal(e.status, 127);
	assert_int_equal(round_trip(-1, 9, &e), 0);
	assert_int_equal(e.status, -1);
	assert_int_equal(e.signal, 9);
}

static void test_written_text(void **state)
{
	char *t = runner_end_text("M", 2, 0);

	(void)state;
	assert_string_equal(t, "M\r\nautomator: the agent exited with status 2\r\n");
	free(t);
	t = runner_end_text("M", -1, 1);
	assert_string_equal(t, "M\r\nautomator: the agent was killed by signal 1\r\n");
	free(t);
}

static int parse(const char *s, struct runner_exit *e)
{
	return runner_parse_end(s, strlen(s), e);
}

static void test_partial_and_foreign(void **state)
{
	struct runner_exit e = { 42, 42, 0 };

	(void)state;
	/* not yet whole: the line end is what says the number is complete */
	assert_int_equal(parse("", &e), -1);
	assert_int_equal(parse("\r\n", &e), -1);
	assert_int_equal(parse("\r\nautomator: the agent exited with status ", &e), -1);
	assert_int_equal(parse("\r\nautomator: the agent exited with status 1", &e), -1);
	assert_int_equal(parse("\r\nautomator: the agent exited with status 12", &e), -1);
	/* a plain "\n" line end is taken too (a log copied through a filter) */
	assert_int_equal(parse("\nautomator: the agent exited with status 12\n", &e), 0);
	assert_int_equal(e.status, 12);
	/* not the runner's words: nothing is made of them */
	e = (struct runner_exit){ 42, 42, 0 };
	assert_int_equal(parse("\r\nautomator: the agent exited with status x\r\n", &e), -1);
	assert_int_equal(parse("automator: the agent exited with status 0\r\n", &e), -1);
	assert_int_equal(parse("\r\nthe agent exited with status 0\r\n", &e), -1);
	assert_int_equal(parse("\r\nautomator: the agent was killed by signal 0\r\n", &e), -1);
	assert_int_equal(parse("\r\nautomator: the agent exited with status 123456\r\n", &e), -1);
	assert_int_equal(e.status, 42);
	assert_int_equal(e.signal, 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_written_text),
		cmocka_unit_test(test_partial_and_foreign),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
