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
	struct strmap by_key; /* entry key -> index in v, while loading (bmad.c) */
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
