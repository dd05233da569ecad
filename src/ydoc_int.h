/* SPDX-License-Identifier: MIT */
/*
 * ydoc_int.h: what ydoc.c (the libyaml builder) and ydoc_fast.c (the fast
 * reader) share. Not for other modules: they use ydoc.h.
 */
#ifndef AU_YDOC_INT_H
#define AU_YDOC_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "strmap.h"
#include "ydoc.h"

/*
 * A private flag of ydoc_parse_flags: always build the tree from libyaml's
 * events, never through the fast reader (tests compare the two trees).
 */
#define YDOC__NO_FAST (1u << 30)

/* n bytes from the document's arena, aligned for any type. */
void *ydoc__alloc(struct yarena *a, size_t n);
/* Frees everything the arena holds; it can be used again. */
void ydoc__reset(struct yarena *a);
/*
 * Whether the last key of mapping n repeats an earlier one (*first: its
 * index). keys is filled on the way once the mapping has more than eight.
 */
bool ydoc__key_seen(const struct ynode *n, struct strmap *keys, size_t *first);

/*
 * The fast reader of the block-style subset nearly every file we load is
 * written in: block mappings with plain keys, block sequences, one-line
 * plain and quoted scalars without escapes, one-line flow lists and maps
 * of such scalars, comments. text[base..len) must have passed ydoc's byte
 * checks (UTF-8, no NUL). Returns 1 with *root, the same tree (nodes,
 * positions, strings) libyaml's events give, or 0 when the text holds
 * anything else, a duplicate key included: then nothing is reported and
 * the caller resets the arena and lets libyaml judge the text.
 */
int ydoc__fast(struct yarena *a, const char *text, size_t len, size_t base, struct ynode **root);

#endif
