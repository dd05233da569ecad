/* SPDX-License-Identifier: MIT */
/*
 * test_jsonw.c: the streaming JSON writer writes what jansson writes for
 * the same tree (numbers, escapes, nesting, null), and strings that are not
 * UTF-8 as jsonx_str makes them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "jsonx.h"
#include "util.h"

static char *dump(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

	json_decref(v);
	return s;
}

static void test_reals_as_jansson(void **state)
{
	const double v[] = { 0.0,
			     1.0,
			     -1.0,
			     0.1,
			     0.0123,
			     1234.5678,
			     1e20,
			     1e21,
			     1.5e-7,
			     1e-5,
			     3.0e100,
			     -2.5e-300,
			     0.30000000000000004,
			     123456789012345678.0,
			     7.0 / 3.0 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		struct jsonw w = { BUF_INIT, 0, { 0 }, { 0 } };
		char *want = dump(json_real(v[i]));

		jsonw_real(&w, NULL, v[i]);
		assert_string_equal(buf_str(&w.b), want);
		free(want);
		buf_release(&w.b);
	}
}

static void test_ints_as_jansson(void **state)
{
	const int64_t v[] = { 0, 1, -1, 9, 10, -10, 1234567890123LL, INT64_MAX, INT64_MIN };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		struct jsonw w = { BUF_INIT, 0, { 0 }, { 0 } };
		char *want = dump(json_integer((json_int_t)v[i]));

		jsonw_int(&w, NULL, v[i]);
		assert_string_equal(buf_str(&w.b), want);
		free(want);
		buf_release(&w.b);
	}
}

static void test_strings_as_jansson(void **state)
{
	const char *v[] = { "",
			    "plain",
			    "quote \" backslash \\ slash /",
			    "\b\f\n\r\t",
			    "\x01\x02\x1f\x7f",
			    "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80",
			    "bad \xff utf-8 caf\xc3\xa9",
			    "cut \xe2\x9c" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		struct jsonw w = { BUF_INIT, 0, { 0 }, { 0 } };
		char *want = dump(jsonx_str(v[i]));

		jsonw_str(&w, NULL, v[i]);
		assert_string_equal(buf_str(&w.b), want);
		free(want);
		buf_release(&w.b);
	}
}

static void test_tree_as_jansson(void **state)
{
	struct jsonw w = { BUF_INIT, 0, { 0 }, { 0 } };
	json_t *t = json_pack("{s:{s:s,s:n,s:I},s:[],s:[{s:b,s:[s,s]},{}],s:{},s:f}", "run", "id",
			      "r1", "finished_at", "pid", (json_int_t)-42, "empty", "list", "ok", 1,
			      "names", "a", "b", "none", "cost", 0.5);
	char *want = dump(t);

	(void)state;
	jsonw_obj(&w, NULL);
	jsonw_obj(&w, "run");
	jsonw_str(&w, "id", "r1");
	jsonw_str(&w, "finished_at", NULL);
	jsonw_int(&w, "pid", -42);
	jsonw_end(&w);
	jsonw_arr(&w, "empty");
	jsonw_end(&w);
	jsonw_arr(&w, "list");
	jsonw_obj(&w, NULL);
	jsonw_bool(&w, "ok", true);
	jsonw_arr(&w, "names");
	jsonw_str(&w, NULL, "a");
	jsonw_str(&w, NULL, "b");
	jsonw_end(&w);
	jsonw_end(&w);
	jsonw_obj(&w, NULL);
	jsonw_end(&w);
	jsonw_end(&w);
	jsonw_obj(&w, "none");
	jsonw_end(&w);
	jsonw_real(&w, "cost", 0.5);
	jsonw_end(&w);
	assert_int_equal(w.depth, 0);
	assert_string_equal(buf_str(&w.b), want);
	free(want);
	buf_release(&w.b);
}

/* Keys at the edge of the short-key path, one to escape, and an output past the first 64 KiB. */
static void test_keys_and_growth_as_jansson(void **state)
{
	char k60[61], k61[62], kq[80];
	struct jsonw w = { BUF_INIT, 0, { 0 }, { 0 } };
	json_t *t = json_object(), *a = json_array();
	char *want;

	(void)state;
	memset(k60, 'k', 60);
	k60[60] = '\0';
	memset(k61, 'l', 61);
	k61[61] = '\0';
	memset(kq, 'q', 70);
	memcpy(kq + 10, "\"\\", 2);
	kq[70] = '\0';
	json_object_set_new(t, k60, json_integer(-7));
	json_object_set_new(t, k61, json_integer(1234567));
	json_object_set_new(t, kq, json_string("v"));
	json_object_set_new(t, "n", json_null());
	json_object_set_new(t, "b", json_false());
	for (int i = 0; i < 20000; i++)
		json_array_append_new(a, i % 3 ? json_integer((json_int_t)i * 7919 - 50000)
					       : json_string("s\"tr"));
	json_object_set_new(t, "a", a);
	want = dump(t);

	jsonw_obj(&w, NULL);
	jsonw_int(&w, k60, -7);
	jsonw_int(&w, k61, 1234567);
	jsonw_str(&w, kq, "v");
	jsonw_null(&w, "n");
	jsonw_bool(&w, "b", false);
	jsonw_arr(&w, "a");
	for (int i = 0; i < 20000; i++)
		if (i % 3)
			jsonw_int(&w, NULL, (int64_t)i * 7919 - 50000);
		else
			jsonw_str(&w, NULL, "s\"tr");
	jsonw_end(&w);
	jsonw_end(&w);
	assert_true(w.b.len > 65536);
	assert_int_equal(strlen(w.b.s), w.b.len);
	assert_string_equal(buf_str(&w.b), want);
	free(want);
	buf_release(&w.b);
}

/* A value written once and repeated with jsonw_raw: the same bytes as written each time. */
static void test_raw_repeats_a_value(void **state)
{
	struct jsonw once = { BUF_INIT, 0, { 0 }, { 0 } };
	struct jsonw a = { BUF_INIT, 0, { 0 }, { 0 } }, b = { BUF_INIT, 0, { 0 }, { 0 } };
	char *v;

	(void)state;
	jsonw_obj(&once, NULL);
	jsonw_int(&once, "n", 0);
	jsonw_null(&once, "c");
	jsonw_end(&once);
	v = buf_detach(&once.b);
	jsonw_obj(&a, NULL);
	jsonw_obj(&b, NULL);
	jsonw_arr(&a, "l");
	jsonw_arr(&b, "l");
	for (int i = 0; i < 3; i++) {
		jsonw_raw(&a, NULL, v);
		jsonw_obj(&b, NULL);
		jsonw_int(&b, "n", 0);
		jsonw_null(&b, "c");
		jsonw_end(&b);
	}
	jsonw_end(&a);
	jsonw_end(&b);
	jsonw_raw(&a, "u", v);
	jsonw_obj(&b, "u");
	jsonw_int(&b, "n", 0);
	jsonw_null(&b, "c");
	jsonw_end(&b);
	jsonw_end(&a);
	jsonw_end(&b);
	assert_string_equal(buf_str(&a.b), "{\"l\":[{\"n\":0,\"c\":null},{\"n\":0,\"c\":null},"
					   "{\"n\":0,\"c\":null}],\"u\":{\"n\":0,\"c\":null}}");
	assert_string_equal(buf_str(&a.b), buf_str(&b.b));
	free(v);
	buf_release(&a.b);
	buf_release(&b.b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reals_as_jansson),
		cmocka_unit_test(test_ints_as_jansson),
		cmocka_unit_test(test_strings_as_jansson),
		cmocka_unit_test(test_tree_as_jansson),
		cmocka_unit_test(test_keys_and_growth_as_jansson),
		cmocka_unit_test(test_raw_repeats_a_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
