/* SPDX-License-Identifier: MIT */
/*
 * template.h: {name} placeholder substitution for prompts, messages, argv
 * words and globs. Values are inserted verbatim: the result is data (an
 * argv word, a file's text), never a command line for a shell.
 */
#ifndef AU_TEMPLATE_H
#define AU_TEMPLATE_H

#include <stddef.h>

#define TVARS_MAX 32

/* Name/value pairs; names and values are borrowed. */
struct tvars {
	const char *name[TVARS_MAX];
	const char *value[TVARS_MAX];
	size_t n;
};

/* Sets (or replaces) name; value NULL counts as "". */
void tvars_set(struct tvars *v, const char *name, const char *value);
/*
 * tpl with every {name} of v replaced by its value; a placeholder not in v
 * is kept as written (loaders reject unknown names before this runs).
 * Newly allocated.
 */
char *template_render(const char *tpl, const struct tvars *v);

#endif
