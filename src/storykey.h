/*
 * storykey.h: story key forms. '1.2' (id), '1-2' (prefix) and
 * '1-2-password-reset' (key) name the same story; letter suffixes ('1.4b',
 * '5a') are valid. Any id must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$.
 */
#ifndef AU_STORYKEY_H
#define AU_STORYKEY_H

#include <stdbool.h>

struct storykey {
	char id[72];     /* "1.2", "1.4b", "5a"; a non-numeric id as given */
	char prefix[72]; /* "1-2", "1-4b", "5a"; a non-numeric id as given */
	char epic[72];   /* "1"; "" when the id has no epic part */
	char slug[72];   /* "password-reset"; "" when there is none */
	bool numeric;    /* the id has the N[.-]M form */
};

/* True when s matches the id pattern. */
bool storykey_valid(const char *s);
/*
 * Why s does not match the id pattern, for messages ("must start with a
 * letter or digit"); newly allocated, or NULL when s is valid.
 */
char *storykey_problem(const char *s);
/*
 * Splits s into its forms. Returns 0, or -1 when s is not a valid id.
 * A numeric key is EPIC[.-]STORY[-slug] where EPIC and STORY are digits
 * with an optional lowercase letter suffix, or a single such part ('5a').
 */
int storykey_parse(const char *s, struct storykey *k);
/* True when a and b name the same story (same prefix). */
bool storykey_same(const char *a, const char *b);
/*
 * Classifies a sprint-status key: 1 epic-N, 2 epic-N-retrospective, 0 a
 * story key, -1 not a valid key. *epic gets N for the first two.
 */
int storykey_classify(const char *key, char *epic, int epiclen);

#endif
