/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ydoc_fast.c: the fast YAML reader (src/ydoc_fast.c) against
 * libyaml's events (src/ydoc.c) on any bytes: ydoc_parse_flags by default
 * (the fast reader, libyaml when it gives up) and with YDOC__NO_FAST
 * (libyaml only), each with flags 0 and YDOC_DUPLICATE_KEYS.
 * Oracles: no crash, leak or UB; both return the same; when libyaml
 * loads, the default tree is the same node for node (kind, line, column,
 * byte span, string bytes and length, quoting, child count, key order),
 * with the same text and duplicates flag; when libyaml fails, the default
 * fails with the same diagnostics, word for word, and an empty document;
 * every node lies within the text (position oracle).
 * FUZZ_YDOC_STATS=1 prints at exit how many inputs the fast reader took.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ydoc.h"
#include "ydoc_int.h"

static size_t nruns, nloaded, nfast;

static void print_stats(void)
{
	fprintf(stderr, "fuzz_ydoc_fast: %zu parses, %zu loaded, %zu by the fast reader\n", nruns,
		nloaded, nfast);
}

/* Fails unless the trees at a (default) and b (libyaml) are the same. */
static void same_tree(const struct ynode *a, const struct ynode *b, const char *text, size_t len,
		      const char *where)
{
	if (!a || !b) {
		FUZZ_CHECK(a == b, "%s: %s node where libyaml has %s", where, a ? "a" : "no",
			   b ? "one" : "none");
		return;
	}
	FUZZ_CHECK(a->kind == b->kind, "%s: kind %d, libyaml %d", where, a->kind, b->kind);
	FUZZ_CHECK(a->line == b->line && a->col == b->col, "%s: at %d:%d, libyaml %d:%d", where,
		   a->line, a->col, b->line, b->col);
	FUZZ_CHECK(a->start == b->start && a->end == b->end,
		   "%s (%d:%d): bytes [%zu, %zu), libyaml [%zu, %zu)", where, b->line, b->col,
		   a->start, a->end, b->start, b->end);
	FUZZ_CHECK(a->n == b->n, "%s (%d:%d): %zu children, libyaml %zu", where, b->line, b->col,
		   a->n, b->n);
	FUZZ_CHECK(a->quoted == b->quoted, "%s (%d:%d): quoted %d, libyaml %d", where, b->line,
		   b->col, a->quoted, b->quoted);
	FUZZ_CHECK(a->len == b->len, "%s (%d:%d): length %zu, libyaml %zu", where, b->line, b->col,
		   a->len, b->len);
	FUZZ_CHECK(!a->str == !b->str, "%s (%d:%d): a string on one side only", where, b->line,
		   b->col);
	FUZZ_CHECK(b->start <= b->end && b->end <= len, "%s (%d:%d): libyaml's span [%zu, %zu)",
		   where, b->line, b->col, b->start, b->end);
	fuzz_check_position(text, len, a->line, a->col, where);
	if (a->kind == YN_SCALAR) {
		FUZZ_CHECK(a->str && !memcmp(a->str, b->str, a->len + 1),
			   "%s (%d:%d): string '%s', libyaml '%s'", where, b->line, b->col,
			   a->str ? a->str : "(null)", b->str);
		return;
	}
	for (size_t i = 0; i < a->n; i++) {
		if (a->kind == YN_MAP) {
			same_tree(a->pairs[i].key, b->pairs[i].key, text, len, "key");
			same_tree(a->pairs[i].val, b->pairs[i].val, text, len, "value");
		} else {
			same_tree(a->items[i], b->items[i], text, len, "item");
		}
	}
}

static void both_ways(const uint8_t *data, size_t size, unsigned flags)
{
	const char *text = (const char *)data;
	struct diags d0 = DIAGS_INIT, d1 = DIAGS_INIT;
	struct buf t0 = BUF_INIT, t1 = BUF_INIT;
	struct ydoc a, b;
	int ra = ydoc_parse_flags(&a, "f.yaml", text, size, flags, &d0);
	int rb = ydoc_parse_flags(&b, "f.yaml", text, size, flags | YDOC__NO_FAST, &d1);

	nruns++;
	FUZZ_CHECK(ra == 0 || ra == -1, "ydoc_parse_flags returned %d", ra);
	FUZZ_CHECK(ra == rb, "flags %u: the default returned %d, libyaml %d", flags, ra, rb);
	fuzz_check_diags(&d0, "f.yaml", text, size);
	fuzz_diags_text(&t0, &d0);
	fuzz_diags_text(&t1, &d1);
	fuzz_same(t0.s ? t0.s : "", t1.s ? t1.s : "", "the default's and libyaml's diagnostics");
	if (rb < 0) {
		FUZZ_CHECK(d0.n > 0, "a failure without an error");
		FUZZ_CHECK(!a.root && !a.arena && !a.text, "a failed parse left a document");
	} else {
		struct ynode *root;
		size_t base = size >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0;

		nloaded++;
		FUZZ_CHECK(d0.n == 0, "a success with %zu diagnostics", d0.n);
		FUZZ_CHECK(a.textlen == size && b.textlen == size && !memcmp(a.text, text, size) &&
				   !a.text[size],
			   "the document's text differs from the input");
		FUZZ_CHECK(a.duplicates == b.duplicates, "flags %u: duplicates %d, libyaml %d",
			   flags, a.duplicates, b.duplicates);
		same_tree(a.root, b.root, text, size, "root");
		/* how often the fast reader itself took the input, for the stats */
		ydoc__reset(b.arena);
		if (ydoc__fast(b.arena, b.text, size, base, &root) == 1) {
			nfast++;
			FUZZ_CHECK(!(flags & YDOC_DUPLICATE_KEYS) || !b.duplicates,
				   "the fast reader took a file with duplicate keys");
		}
		ydoc_release(&a);
		ydoc_release(&b);
	}
	buf_release(&t0);
	buf_release(&t1);
	diags_release(&d0);
	diags_release(&d1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	if (getenv("FUZZ_YDOC_STATS"))
		atexit(print_stats);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	both_ways(data, size, 0);
	both_ways(data, size, YDOC_DUPLICATE_KEYS);
	return 0;
}
