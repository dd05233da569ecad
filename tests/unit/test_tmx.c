/* SPDX-License-Identifier: MIT */
/*
 * test_tmx.c: the pure parts of the tmux adapter (src/tmx.c): session names
 * safe for tmux targets, and which tmux failures a spawn retries (a server
 * that was exiting or went away, not a lasting connect error). Starts no
 * tmux.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tmx.h"

static void test_session_name(void **state)
{
	char *n;

	(void)state;
	n = tmx_session_name("demo-1a2b3c", "1.2", "dev", 3);
	assert_string_equal(n, "au-demo-1a2b3c-1_2-dev-3");
	free(n);
	n = tmx_session_name("p", "x:y;z", "a b", 1);
	assert_string_equal(n, "au-p-x_y_z-a_b-1");
	free(n);
}

static void test_server_went_away(void **state)
{
	(void)state;
	/* what tmux 3.3a prints when the server exits under the client */
	assert_true(tmx_server_went_away("server exited unexpectedly\n"));
	assert_true(tmx_server_went_away("lost server\n"));
	assert_true(tmx_server_went_away("server exited\n"));
	assert_true(tmx_server_went_away("no server running on /tmp/tmux-0/automator-x\n"));
	assert_true(tmx_server_went_away(
		"error connecting to /tmp/tmux-0/automator-x (Connection refused)\n"));
	assert_true(tmx_server_went_away(
		"error connecting to /tmp/tmux-0/automator-x (No such file or directory)\n"));
	/* lasting: retrying changes nothing */
	assert_false(tmx_server_went_away(
		"error connecting to /tmp/tmux-0/xxxxxxxxxxxx (File name too long)\n"));
	assert_false(tmx_server_went_away(
		"error connecting to /tmp/tmux-0/automator-x (Permission denied)\n"));
	assert_false(tmx_server_went_away("duplicate session: au-p-1_1-dev-1\n"));
	assert_false(tmx_server_went_away("can't find session: au-p-1_1-dev-1\n"));
	assert_false(tmx_server_went_away(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_name),
		cmocka_unit_test(test_server_went_away),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
