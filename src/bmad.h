/* SPDX-License-Identifier: MIT */
/*
 * bmad.h: BMAD sprint-status.yaml, read as YAML. Keys of the
 * development_status map are stories, epics (epic-N, epic-auth,
 * supp-epic-N) and retrospectives (any key ending in -retrospective), kept
 * in file order with the byte span of each value so a single value can be
 * rewritten in place later.
 *
 * These files are written by other tools (LLM workflows), so the reader is
 * tolerant: whatever does not stop the question asked is a warning, kept in
 * the status (duplicate keys: the last value wins; odd keys or values: the
 * entry is skipped; two stories numbered alike: both kept). A file libyaml
 * refuses is read line by line for its development_status block, and is
 * then marked so that it is never rewritten.
 */
#ifndef AU_BMAD_H
#define AU_BMAD_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "strmap.h"

enum bmad_kind { BMAD_STORY, BMAD_EPIC, BMAD_RETRO };

struct bmad_entry {
	char *key; /* as written: "1-2-password-reset", "epic-1" */
	enum bmad_kind kind;
	char *epic;          /* "1" */
	char *status;        /* the value ("done"), from the nested status: when nested */
	int line, col;       /* of the key */
	size_t vstart, vend; /* byte span of the status scalar in the file */
	bool nested;         /* written as key: {status: x} */
	/*
	 * A story's key parsed once at load (storykey_parse), for matching and
	 * the duplicate-number check: its prefix form ("1-2"), NULL for an
	 * epic, a retrospective or a key that does not parse.
	 */
	char *prefix;
	bool numeric; /* the key has the numeric form (storykey.numeric) */
};

struct bmad_status {
	char *file;
	struct bmad_entry *v;
	size_t n;
	struct diags warnings; /* every problem that did not stop the load, in file order */
	/*
	 * NULL, or why libyaml refused the file ("line 3: yaml syntax error:
	 * ..."): it was read line by line and must not be rewritten.
	 */
	char *not_yaml;
	/*
	 * NULL, or why the file is read but never rewritten although it is
	 * YAML: its stories are not under development_status (the epics: list
	 * form some LLM-written files use).
	 */
	char *read_only;
	/* entry key -> index in v: duplicates while loading, exact keys in bmad_status_match */
	struct strmap by_key;
};

/*
 * Loads path. Returns 0 with *out (its warnings in (*out)->warnings), or
 * -1 with the errors added to d and *out untouched: only a file that
 * cannot be read, is not UTF-8 text, or has no development_status at all
 * fails. Top-level keys other than development_status are metadata and are
 * not checked. Without development_status, an `epics:` list whose items
 * hold `stories:` lists of {id, status} is read instead (story-1.1 and
 * 1.1 become the key 1-1; epic-1 or 1 the epic), with a warning, and
 * read_only set.
 */
int bmad_status_load(const char *path, struct bmad_status **out, struct diags *d);
/*
 * bmad_status_load's two halves, for a caller that has read and parsed
 * path itself (validate, a sprint loader), so the file is read and parsed
 * once. from_doc: doc is path parsed with YDOC_DUPLICATE_KEYS (or
 * strictly, which gives the same tree when it succeeds); borrowed.
 * from_text: libyaml refused text (len bytes, path as read; NULL when it
 * could not be read) with the errors in yd (not empty); on failure they
 * are moved to d. Both return as bmad_status_load.
 */
struct ydoc;
int bmad_status_from_doc(const char *path, const struct ydoc *doc, struct bmad_status **out,
			 struct diags *d);
int bmad_status_from_text(const char *path, const char *text, size_t len, struct diags *yd,
			  struct bmad_status **out, struct diags *d);
void bmad_status_free(struct bmad_status *s);
/*
 * The story entries story (any key form) names, in file order: the entry
 * whose key is exactly story, else every entry whose prefix form is story
 * as written ("6-1-a" names 6-1-a-types, not a 6-1-... story), else every
 * entry with its number (storykey_same).
 * Stores at most max of them in v (v may be NULL when max is 0) and
 * returns how many there are.
 */
size_t bmad_status_match(const struct bmad_status *s, const char *story,
			 const struct bmad_entry **v, size_t max);
/* The entry story names when it names exactly one (bmad_status_match), else NULL. */
const struct bmad_entry *bmad_status_find(const struct bmad_status *s, const char *story);
/* True for "done", any case. */
bool bmad_status_is_done(const char *status);

#endif
