/* SPDX-License-Identifier: MIT */
/*
 * test_ansi.c: the escape sequence scanner (src/ansi.c) shared by the judge
 * and the renderer: which bytes of a sequence it takes, where a sequence
 * ends, the CSI parameters it keeps, and the text it gives back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ansi.h"

/*
 * Scans s as the judge and renderer do (ESC outside a sequence begins
 * one); writes the bytes given back as text to out and, for each CSI
 * sequence, its final byte and parameters ("m:1;31 ") to csi.
 */
static void scan(const char *s, char *out, char *csi)
{
	struct ansi a = { ANSI_NONE, "", 0 };

	*out = *csi = '\0';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		enum ansi_took t = a.state == ANSI_NONE ? ANSI_TEXT : ansi_byte(&a, c);

		if (a.state == ANSI_NONE && t == ANSI_TEXT && c == 0x1b) {
			ansi_begin(&a);
			continue;
		}
		if (t == ANSI_TEXT)
			strncat(out, s, 1);
		else if (t == ANSI_FINAL)
			snprintf(csi + strlen(csi), 256 - strlen(csi), "%c:%s ", c, a.params);
	}
}

static void test_csi(void **state)
{
	char out[256], csi[256];

	(void)state;
	scan("a\033[1;31mred\033[0m b", out, csi);
	assert_string_equal(out, "ared b");
	assert_string_equal(csi, "m:1;31 m:0 ");
	/* private modes and intermediates are parameters too */
	scan("\033[?25hx\033[2K", out, csi);
	assert_string_equal(out, "x");
	assert_string_equal(csi, "h:?25 K:2 ");
	/* a byte that cannot be in a CSI ends it and is text */
	scan("\033[12\nz", out, csi);
	assert_string_equal(out, "\nz");
	assert_string_equal(csi, "");
	/* parameters past the 15th are dropped, the sequence still ends */
	scan("\033[1;2;3;4;5;6;7;8;9mk", out, csi);
	assert_string_equal(out, "k");
	assert_string_equal(csi, "m:1;2;3;4;5;6;7;8 ");
}

static void test_strings(void **state)
{
	char out[256], csi[256];

	(void)state;
	/* OSC up to BEL, and up to ESC \ */
	scan("a\033]0;title\007b\033]777;automator-end;x\033\\c", out, csi);
	assert_string_equal(out, "abc");
	/* DCS, APC, PM, SOS */
	scan("\033Pq#0\033\\1\033_apc\0072\033^pm\0073\033Xsos\0074", out, csi);
	assert_string_equal(out, "1234");
	/* unterminated: a line feed ends it and stays text */
	scan("\033]8;;http://x\nnext", out, csi);
	assert_string_equal(out, "\nnext");
	/* an ESC inside a string that is not ST starts a new sequence */
	scan("\033]0;t\033[31mr", out, csi);
	assert_string_equal(out, "r");
	assert_string_equal(csi, "m:31 ");
}

static void test_short_sequences(void **state)
{
	char out[256], csi[256];

	(void)state;
	/* ESC ( B: an intermediate and a final */
	scan("a\033(Bb", out, csi);
	assert_string_equal(out, "ab");
	/* ESC 7, ESC =: a final byte alone */
	scan("\0337x\033=y", out, csi);
	assert_string_equal(out, "xy");
	/* ESC then a control byte: the sequence ends, the byte is text */
	scan("\033\tz", out, csi);
	assert_string_equal(out, "\tz");
	/* ESC ESC: the second begins again */
	scan("\033\033[1mq", out, csi);
	assert_string_equal(out, "q");
	assert_string_equal(csi, "m:1 ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csi),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_short_sequences),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
