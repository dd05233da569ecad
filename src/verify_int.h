/* SPDX-License-Identifier: MIT */
/*
 * verify_int.h: what verify.c (the review contract and review completion)
 * and verify_steps.c (the step verifiers) share. Not for other files.
 */
#ifndef AU_VERIFY_INT_H
#define AU_VERIFY_INT_H

#include <jansson.h>

struct bmad_status;
struct verify_review;

/* o as one compact line, newly allocated; o is released. */
char *verify_dump(json_t *o);
/* status_file as given (relative to root), or the one found under root; NULL when none. */
char *verify_status_path(const char *root, const char *status_file);
/* Loads the sprint-status at path; -1 with *cause (its first error). */
int verify_load_status(const char *path, struct bmad_status **s, char **cause);

/* The helper's object for r (verify_review_json), new. */
json_t *verify_review_object(const struct verify_review *r);

#endif
