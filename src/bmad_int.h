/* SPDX-License-Identifier: MIT */
/*
 * bmad_int.h: shared by bmad.c (the YAML reading, loading, matching) and
 * bmad_lines.c (the line-by-line reading). Not for other modules.
 */
#ifndef AU_BMAD_INT_H
#define AU_BMAD_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "bmad.h"

/*
 * Adds an entry, or (a key seen before: YAML's last value wins, as PyYAML
 * reads it) replaces the earlier one's value and warns. key is the key as
 * written; kind from storykey_classify. *cap: the capacity of s->v.
 */
void bmad__add_entry(struct bmad_status *s, size_t *cap, const char *key, int kind,
		     const char *epic, const char *status, int line, int col, size_t vstart,
		     size_t vend, bool nested);
/* Classifies key for an entry; -1 after a warning when it is not usable. */
int bmad__classify(struct bmad_status *s, const char *key, int line, int col, char *epic,
		   int epiclen);
/* Reads the development_status block of text line by line; -1 when there is none. */
int bmad__read_lines(struct bmad_status *s, const char *text, size_t len);

#endif
