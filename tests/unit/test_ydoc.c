/* SPDX-License-Identifier: MIT */
/*
 * test_ydoc.c: the fast reader (src/ydoc_fast.c) gives the tree libyaml's
 * events give, node for node (kind, line, column, byte span, string,
 * quoting), on the shipped files and on small documents at the edges of
 * its subset; outside the subset it gives up and libyaml judges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"
#include "util.h"
#include "ydoc.h"
#include "ydoc_int.h"

#define SRC(rel) TEST_SOURCE_DIR "/" rel

static void same_tree(const struct ynode *a, const struct ynode *b)
{
	if (!a || !b) {
		assert_ptr_equal(a, b);
		return;
	}
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->line, b->line);
	assert_int_equal(a->col, b->col);
	assert_int_equal(a->start, b->start);
	assert_int_equal(a->end, b->end);
	assert_int_equal(a->n, b->n);
	if (a->kind == YN_SCALAR) {
		assert_int_equal(a->len, b->len);
		assert_memory_equal(a->str, b->str, a->len + 1);
		assert_int_equal(a->quoted, b->quoted);
		return;
	}
	for (size_t i = 0; i < a->n; i++) {
		if (a->kind == YN_MAP) {
			same_tree(a->pairs[i].key, b->pairs[i].key);
			same_tree(a->pairs[i].val, b->pairs[i].val);
		} else {
			same_tree(a->items[i], b->items[i]);
		}
	}
}

/* Parses text both ways and compares; returns whether the fast reader took it. */
static bool both_ways(const char *text, unsigned flags)
{
	struct diags d0 = DIAGS_INIT, d1 = DIAGS_INIT;
	struct ydoc a, b;
	size_t len = strlen(text);
	int ra = ydoc_parse_flags(&a, "t.yaml", text, len, flags, &d0);
	int rb = ydoc_parse_flags(&b, "t.yaml", text, len, flags | YDOC__NO_FAST, &d1);
	bool fast = false;

	assert_int_equal(ra, rb);
	assert_int_equal(d0.n, d1.n);
	if (ra == 0) {
		struct ynode *root;
		size_t base = len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0;

		same_tree(a.root, b.root);
		assert_int_equal(a.duplicates, b.duplicates);
		ydoc__reset(b.arena);
		fast = ydoc__fast(b.arena, b.text, len, base, &root) == 1;
		ydoc_release(&a);
		ydoc_release(&b);
	}
	diags_release(&d0);
	diags_release(&d1);
	return fast;
}

static void test_fast_subset(void **state)
{
	static const char *const fast[] = {
		"a:\n  - x\n  - y\nb: c",
		"a:\n- x\n- y\nb:\n",
		"a: b # c\n# d\n  # e\nf: 'g'\n",
		"\xc3\xa9: \xc3\xbc\nx: [a, 'b', \"c\"]\ny: {a: b, c: 'd'}\n",
		"a: x:y\nb: http://x\nc: a#b\nd: a  b  \n",
		"k:   \n",
		"\xef\xbb\xbf"
		"a: b\nc: d\n",
		"a :  b\n",
		"a: {}\nb: []\nc: [ ]\nd: { }",
		"list:\n  - id: 1\n    deps: [a]\n  -   id: 2\n",
		"a: b\n\n\n",
		"my key: v\nother key:   spaced value  # c\n",
		"a:\n  b:\n    c: d\n# c\n   # c2\n\ng: h\n# trailing",
		"x: \"\xc3\xa9t\xc3\xa9\"\ny: \xe2\x80\x94 dash\nz: [\xc3\xa9, \"\xc3\xa0\"]",
		"a:\n  - b: 1\n    c: [x, y]\n  - d: {e: f}\nz: 1",
		"k1: 1\nk2: 2\nk3: 3\nk4: 4\nk5: 5\nk6: 6\nk7: 7\nk8: 8\nk9: 9\nk10: 10\n",
		/* a list, then a mapping of more pairs at the same depth (fuzz_ydoc_fast) */
		"a:\n  - x\nb:\n  k1: 1\n  k2: 2\n  k3: 3\n  k4: 4\n  k5: 5\n  k6: 6\n",
		"a:\n  k1: 1\nb:\n  - 1\n  - 2\n  - 3\n  - 4\n  - 5\n  - 6\n  - 7\n  - 8\n  - 9\n",
	};
	static const char *const slow[] = {
		"a: 1\na: 2\n",      /* duplicate key: libyaml's error */
		"a:\n  -\n  - x",    /* an empty item */
		"k: v\n  cont",      /* a continued plain scalar */
		"k:\n  v",           /* a scalar on the next line */
		"- a\n",             /* a list at the top */
		"a: \"x\\ty\"\n",    /* an escape */
		"a:\tb\n",           /* a tab */
		"a: b\r\nc: d\r\n",  /* CR */
		"---\na: b\n",       /* a document marker */
		"a: &x b\nc: *x\n",  /* anchors */
		"a: |\n  text\n",    /* a block scalar */
		"a: [x,\n  y]\n",    /* a flow list on two lines */
		"a: 'it''s'\n",      /* a quote in a quoted scalar */
		"a: b: c\n",         /* libyaml's syntax error */
		"",                  /* empty */
		"a: [b, ]\n",        /* a trailing comma */
		"a: \xe2\x80\xa8\n", /* U+2028, a line break to libyaml */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(fast); i++)
		assert_true(both_ways(fast[i], 0));
	for (size_t i = 0; i < ARRAY_SIZE(slow); i++)
		assert_false(both_ways(slow[i], 0));
	/* duplicates kept for BMAD's reader: libyaml's tree, flagged */
	assert_false(both_ways("a: 1\na: 2\n", YDOC_DUPLICATE_KEYS));
}

static void test_fast_shipped(void **state)
{
	static const char *const files[] = {
		SRC("data/agents.yaml"),
		SRC("data/triggers.yaml"),
		SRC("workflows/simple.yaml"),
		SRC("tests/fixtures/good/sprint.yaml"),
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		struct diags d = DIAGS_INIT;
		char *text;
		size_t len;

		assert_int_equal(ydoc_read(files[i], &text, &len, &d), 0);
		both_ways(text, 0);
		both_ways(text, YDOC_DUPLICATE_KEYS);
		free(text);
		diags_release(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_subset),
		cmocka_unit_test(test_fast_shipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
