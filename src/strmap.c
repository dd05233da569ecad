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

		if (!s->key || (s->len == len && !memcmp(s->key, key, len)))
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

static void grow(struct strmap *m)
{
	struct strmap old = *m;

	m->cap = old.cap ? old.cap * 2 : 64;
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
		grow(m);
	s = find(m, key, len);
	if (s->key) {
		if (old)
			*old = s->val;
		return false;
	}
	s->key = key;
	s->len = len;
	s->val = val;
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
	if (!s->key)
		return false;
	s->val = val;
	return true;
}

void strmap_release(struct strmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
