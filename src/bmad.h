/*
 * bmad.h: BMAD sprint-status.yaml, read as YAML. Keys of the
 * development_status map are stories, epics (epic-N) and retrospectives
 * (epic-N-retrospective), kept in file order with the byte span of each
 * value so a single value can be rewritten in place later.
 */
#ifndef AU_BMAD_H
#define AU_BMAD_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

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
};

/*
 * Loads path. Every error is added to d; returns 0, or -1 with *out
 * untouched. Top-level keys other than development_status are metadata and
 * are not checked.
 */
int bmad_status_load(const char *path, struct bmad_status **out, struct diags *d);
void bmad_status_free(struct bmad_status *s);
/* The entry whose key names story (any key form), or NULL. */
const struct bmad_entry *bmad_status_find(const struct bmad_status *s, const char *story);
/* True for "done", any case. */
bool bmad_status_is_done(const char *status);

#endif
