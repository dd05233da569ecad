/* SPDX-License-Identifier: MIT */
/*
 * storykey.h: story key forms. '1.2' (id), '1-2' (prefix) and
 * '1-2-password-reset' (key) name the same story; letter suffixes ('1.4b',
 * '5a') are valid. Sub-stories have a third part of digits or a single
 * letter: '0-6-1-boost-test-coverage' (0.6.1) and '10-5-a-dns' (10.5.a)
 * are stories of their own, distinct from '0-6-...' and '10-5-...'.
 *
 * Two rules: an id must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$
 * (storykey_valid); the slug of a numeric key ('1-6-mcp-player-profile-权限门',
 * BMAD's titles) is free text: any UTF-8 without blanks, control characters
 * or slashes, of any length up to STORYKEY_MAX - 1 bytes in all. Epic and
 * retrospective keys follow the free-text rule (storykey_key_ok).
 */
#ifndef AU_STORYKEY_H
#define AU_STORYKEY_H

#include <stdbool.h>

#define STORYKEY_MAX 1024

struct storykey {
	char id[STORYKEY_MAX];     /* "1.2", "1.4b", "5a", "0.6.1"; a non-numeric id as given */
	char prefix[STORYKEY_MAX]; /* "1-2", "1-4b", "5a", "0-6-1"; a non-numeric id as given */
	char epic[STORYKEY_MAX];   /* "1"; "" when the id has no epic part */
	char slug[STORYKEY_MAX];   /* "password-reset"; "" when there is none */
	bool numeric;              /* the id has the N[.-]M or N[.-]M[.-]K form */
	bool sub;                  /* a sub-story: N[.-]M[.-]K, K digits or one letter */
};

/* True when s matches the id pattern. */
bool storykey_valid(const char *s);
/*
 * Why s does not match the id pattern, for messages ("must start with a
 * letter or digit"); newly allocated, or NULL when s is valid.
 */
char *storykey_problem(const char *s);
/*
 * True when s is a usable key: non-empty, shorter than STORYKEY_MAX, valid
 * UTF-8, no blank, control character, '/' or '\\', not starting with '-'
 * or '.'. Any script and length BMAD's tools write passes.
 */
bool storykey_key_ok(const char *s);
/*
 * Splits s into its forms. Returns 0, or -1 when s is not a usable key:
 * a numeric key with a slug must pass storykey_key_ok, any other (an id,
 * a prefix, a non-numeric name) storykey_valid. A numeric key is EPIC[.-]STORY[[.-]SUB][-slug] where
 * EPIC and STORY are digits with an optional lowercase letter suffix and
 * SUB is digits or one lowercase letter, or a single part ('5a'). A
 * letter SUB needs a slug after it or the id form: '10-5-a-dns' and
 * '10.5.a' are sub-story 10.5.a, '2-1-a' is story 2.1 with the slug 'a'.
 */
int storykey_parse(const char *s, struct storykey *k);
/* True when a and b name the same story (same prefix). */
bool storykey_same(const char *a, const char *b);
/*
 * Orders parsed keys: numeric ones by epic, story and sub-story (a
 * sub-story right after its parent: 0.6 < 0.6.1 < 0.6.2 < 0.6.a < 0.7),
 * then the others by id. <0, 0 or >0 like strcmp.
 */
int storykey_cmp(const struct storykey *a, const struct storykey *b);
/*
 * Classifies a sprint-status key: 1 an epic (epic-ANYTHING, supp-epic-N),
 * 2 a retrospective (any key ending in -retrospective), 0 a story key, -1
 * not a usable key. *epic gets the epic's name: "1" for epic-1 and
 * epic-1-retrospective, "auth" for epic-auth, the key itself for other
 * named epics (supp-epic-2); "" for a retrospective of no epic.
 */
int storykey_classify(const char *key, char *epic, int epiclen);

#endif
