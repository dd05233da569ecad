/* SPDX-License-Identifier: MIT */
/*
 * test_strmap.c: the loaders' hash map: first value kept, lookups after
 * growth, keys compared by length and bytes (a NUL-free prefix is another
 * key), release.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "util.h"

static void test_put_get_grow(void **state)
{
	struct strmap m = STRMAP_INIT;
	char(*keys)[16] = xcalloc(5000, sizeof(*keys));
	size_t v = 0;

	(void)state;
	assert_false(strmap_get(&m, "x", 1, &v));
	for (size_t i = 0; i < 5000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "%zu-%zu-story", i / 10, i % 10);
		assert_true(strmap_put(&m, keys[i], strlen(keys[i]), i, NULL));
	}
	assert_int_equal(m.n, 5000);
	for (size_t i = 0; i < 5000; i++) {
		assert_true(strmap_get(&m, keys[i], strlen(keys[i]), &v));
		assert_int_equal(v, i);
	}
	/* a duplicate keeps the first value and says which */
	assert_false(strmap_put(&m, "42-7-story", 10, 99, &v));
	assert_int_equal(v, 427);
	/* a prefix of a key is another key */
	assert_false(strmap_get(&m, "42-7-stor", 9, NULL));
	assert_true(strmap_set(&m, "42-7-story", 10, 1));
	assert_true(strmap_get(&m, "42-7-story", 10, &v));
	assert_int_equal(v, 1);
	assert_false(strmap_set(&m, "nope", 4, 1));
	strmap_release(&m);
	assert_false(strmap_get(&m, keys[0], strlen(keys[0]), NULL));
	free(keys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
