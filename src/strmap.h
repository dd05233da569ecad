/* SPDX-License-Identifier: MIT */
/*
 * strmap.h: a hash map from borrowed strings (pointer and length; the
 * caller keeps them alive) to indexes, for the loaders' duplicate and
 * lookup checks, so loading stays linear in the number of keys.
 */
#ifndef AU_STRMAP_H
#define AU_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Keys are shorter than 4 GiB and values below 2^32 (indexes): 16-byte slots. */
struct strmap {
	struct strmap_slot {
		const char *key; /* NULL: empty */
		uint32_t len;
		uint32_t val;
	} * slots;
	size_t cap, n;
};

#define STRMAP_INIT        \
	{                  \
		NULL, 0, 0 \
	}

/*
 * Maps key[0..len) to val unless it is there: returns true when it was
 * added, false when it was there already (*old, when not NULL, gets its
 * value; the map is unchanged).
 */
bool strmap_put(struct strmap *m, const char *key, size_t len, size_t val, size_t *old);
/* The value of key[0..len) in *val; false when it is not there. */
bool strmap_get(const struct strmap *m, const char *key, size_t len, size_t *val);
/* Replaces the value of a key that is there (returns false when it is not). */
bool strmap_set(struct strmap *m, const char *key, size_t len, size_t val);
/* Room for n keys in all: no rehash until there are more (for a known count). */
void strmap_reserve(struct strmap *m, size_t n);
void strmap_release(struct strmap *m);

#endif
