/* SPDX-License-Identifier: MIT */
/*
 * match.h: compiled regular expressions (pcre2, 8-bit, UTF with invalid
 * UTF tolerated, JIT when available). Patterns are compiled once, when the
 * configuration loads; matching reuses the pattern's own match data, so a
 * pattern is not safe to use from two threads (we have one).
 */
#ifndef AU_MATCH_H
#define AU_MATCH_H

#include <stdbool.h>
#include <stddef.h>

struct pattern;

/*
 * Compiles src. Returns the pattern, or NULL with *cause (newly allocated,
 * lowercase) and *erroffset (0-based byte offset in src) set.
 */
struct pattern *pattern_compile(const char *src, size_t *erroffset, char **cause);
/* NULL is a no-op. */
void pattern_free(struct pattern *p);
/* Backtracking steps a match may take before it stops with an error. */
#define PATTERN_MATCH_LIMIT 1000000
/* 1 when s[0..len) matches, 0 when not, -1 on a matching error (limits). */
int pattern_match(struct pattern *p, const char *s, size_t len);
/*
 * The matching errors of p since the last call (pcre2's match limit, say):
 * their count, and when there were any and what is not NULL, pcre2's
 * message for the last (newly allocated).
 */
unsigned long pattern_take_errors(struct pattern *p, char **what);
const char *pattern_source(const struct pattern *p);
bool pattern_jitted(const struct pattern *p);

/* A list of owned patterns. */
struct patlist {
	struct pattern **v;
	size_t n;
};
void patlist_release(struct patlist *l);
/* Index of the first pattern matching, or -1 (a pattern that errs does not match). */
int patlist_match(const struct patlist *l, const char *s, size_t len);

#endif
