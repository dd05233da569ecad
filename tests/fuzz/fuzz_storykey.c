/* SPDX-License-Identifier: MIT */
/*
 * fuzz_storykey.c: story keys (storykey.h). The input is up to three keys,
 * one a line. Oracles: no crash, leak or UB; storykey_valid agrees with
 * storykey_problem and with the pattern ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$;
 * a parsed key is usable, its forms are NUL-terminated, a key with a slug
 * is its prefix, '-' and the slug, its id parses to the same prefix, and it
 * names the same story as itself; storykey_classify fails exactly for
 * unusable keys and cuts the epic to any buffer size; storykey_same is
 * symmetric and implies storykey_cmp 0; storykey_cmp is antisymmetric and
 * transitive (it sorts).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "storykey.h"

static bool ref_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64 || !isascii((unsigned char)s[0]) || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isascii((unsigned char)s[i]) ||
		    !(isalnum((unsigned char)s[i]) || strchr("._-", s[i])))
			return false;
	return true;
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void check_key(const char *s, uint64_t h, struct storykey *k, bool *parsed)
{
	char *problem = storykey_problem(s), *epic, full[STORYKEY_MAX];
	bool valid = storykey_valid(s), ok = storykey_key_ok(s);
	size_t elen = 1 + h % 12;
	int kind;

	FUZZ_CHECK(valid == !problem, "storykey_valid %d, storykey_problem '%s' for '%s'", valid,
		   problem ? problem : "-", s);
	FUZZ_CHECK(valid == ref_valid(s), "storykey_valid %d for '%s', the pattern says %d", valid,
		   s, ref_valid(s));
	free(problem);

	*parsed = storykey_parse(s, k) == 0;
	if (*parsed) {
		struct storykey again;

		FUZZ_CHECK(ok, "'%s' parsed but is not a usable key", s);
		FUZZ_CHECK(memchr(k->id, 0, STORYKEY_MAX) && memchr(k->prefix, 0, STORYKEY_MAX) &&
				   memchr(k->epic, 0, STORYKEY_MAX) &&
				   memchr(k->slug, 0, STORYKEY_MAX),
			   "a form of '%s' is not terminated", s);
		FUZZ_CHECK(k->numeric || !k->sub, "'%s': a sub-story that is not numeric", s);
		FUZZ_CHECK((k->numeric && k->slug[0]) || valid, "'%s' parsed but is not valid", s);
		FUZZ_CHECK(storykey_same(s, s) && storykey_cmp(k, k) == 0,
			   "'%s' does not name itself", s);
		if (k->slug[0]) {
			char *joined = xstrfmt("%s-%s", k->prefix, k->slug);

			fuzz_same(joined, s, "a key and its prefix-slug");
			free(joined);
		}
		if (k->numeric && storykey_parse(k->id, &again) == 0)
			fuzz_same(again.prefix, k->prefix, "the prefix of a key and of its id");
	}

	/* the epic into a buffer of elen bytes exactly, so ASan sees an overflow */
	epic = xmalloc(elen);
	kind = storykey_classify(s, epic, (int)elen);
	FUZZ_CHECK(kind >= -1 && kind <= 2, "storykey_classify returned %d", kind);
	FUZZ_CHECK((kind == -1) == !ok, "storykey_classify %d, storykey_key_ok %d for '%s'", kind,
		   ok, s);
	if (kind > 0) {
		FUZZ_CHECK(storykey_classify(s, full, sizeof(full)) == kind,
			   "kind depends on size");
		FUZZ_CHECK(memchr(epic, 0, elen) && !strncmp(epic, full, strlen(epic)) &&
				   (strlen(epic) == elen - 1 || !strcmp(epic, full)),
			   "epic '%s' of '%s' cut to %zu bytes is not a prefix of '%s'", epic, s,
			   elen, full);
	}
	free(epic);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *p = text;
	const char *s[3] = { "", "", "" };
	static struct storykey k[3];
	bool parsed[3];
	uint64_t h = fuzz_hash(data, size);

	for (int i = 0; i < 3 && p; i++) {
		char *nl = strchr(p, '\n');

		s[i] = p;
		if (nl)
			*nl = '\0';
		p = nl ? nl + 1 : NULL;
	}
	for (int i = 0; i < 3; i++)
		check_key(s[i], h >> (8 * i), &k[i], &parsed[i]);
	for (int i = 0; i < 3; i++) {
		for (int j = 0; j < 3; j++) {
			bool same = storykey_same(s[i], s[j]);

			FUZZ_CHECK(same == storykey_same(s[j], s[i]),
				   "storykey_same not symmetric");
			if (!parsed[i] || !parsed[j])
				continue;
			FUZZ_CHECK(!same || storykey_cmp(&k[i], &k[j]) == 0,
				   "'%s' and '%s' are the same story, yet compare unequal", s[i],
				   s[j]);
			FUZZ_CHECK(sign(storykey_cmp(&k[i], &k[j])) ==
					   -sign(storykey_cmp(&k[j], &k[i])),
				   "storykey_cmp not antisymmetric for '%s' and '%s'", s[i], s[j]);
			for (int m = 0; m < 3; m++)
				FUZZ_CHECK(!parsed[m] || storykey_cmp(&k[i], &k[j]) > 0 ||
						   storykey_cmp(&k[j], &k[m]) > 0 ||
						   storykey_cmp(&k[i], &k[m]) <= 0,
					   "storykey_cmp not transitive: '%s' <= '%s' <= '%s'",
					   s[i], s[j], s[m]);
		}
	}
	free(text);
	return 0;
}
