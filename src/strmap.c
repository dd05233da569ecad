/* SPDX-License-Identifier: MIT */
/*
 * strmap.c: open addressing with linear probing, FNV-1a, at most half full.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "util.h"

static uint64_t hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* The slot of key, or the empty slot where it would go. */
static struct strmap_slot *find(const struct strmap *m, const char *key, size_t len)
{
	size_t i = (size_t)hash(key, len) & (m->cap - 1);

	for (;;) {
		struct strmap_slot *s = &m->slots[i];

		if (!s->key || ((size_t)s->len == len && !memcmp(s->key, key, len)))
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

/* Rehashes into cap slots (a power of two, more than twice m->n). */
static void rehash(struct strmap *m, size_t cap)
{
	struct strmap old = *m;

	m->cap = cap;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			*find(m, old.slots[i].key, old.slots[i].len) = old.slots[i];
	free(old.slots);
}

bool strmap_put(struct strmap *m, const char *key, size_t len, size_t val, size_t *old)
{
	struct strmap_slot *s;

	if ((m->n + 1) * 2 > m->cap)
		rehash(m, m->cap ? m->cap * 2 : 64);
	s = find(m, key, len);
	if (s->key) {
		if (old)
			*old = s->val;
		return false;
	}
	if (len > UINT32_MAX || val > UINT32_MAX)
		xdie("strmap: key or value too large");
	s->key = key;
	s->len = (uint32_t)len;
	s->val = (uint32_t)val;
	m->n++;
	return true;
}

bool strmap_get(const struct strmap *m, const char *key, size_t len, size_t *val)
{
	const struct strmap_slot *s;

	if (!m->cap)
		return false;
	s = find(m, key, len);
	if (!s->key)
		return false;
	if (val)
		*val = s->val;
	return true;
}

bool strmap_set(struct strmap *m, const char *key, size_t len, size_t val)
{
	struct strmap_slot *s;

	if (!m->cap)
		return false;
	s = find(m, key, len);
	if (!s->key || val > UINT32_MAX)
		return false;
	s->val = (uint32_t)val;
	return true;
}

void strmap_reserve(struct strmap *m, size_t n)
{
	size_t cap = m->cap ? m->cap : 64;

	while (n * 2 > cap)
		cap *= 2;
	if (cap > m->cap)
		rehash(m, cap);
}

void strmap_release(struct strmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
