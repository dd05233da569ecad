/* SPDX-License-Identifier: MIT */
/*
 * jsonx.h: small jansson helpers shared by the JSON writers: a string
 * that is never NULL, and warnings as an array.
 */
#ifndef AU_JSONX_H
#define AU_JSONX_H

#include <jansson.h>

#include "diag.h"

/* A JSON string of s; bytes that are not valid UTF-8 become '?'. */
json_t *jsonx_str(const char *s);
/*
 * Appends d's diagnostics, each as "file:line:col: warning: msg", to the
 * "warnings" array of o (made when o has none). Does nothing when d is
 * empty. Returns o.
 */
json_t *jsonx_add_warnings(json_t *o, const struct diags *d);

/* Prints v (any JSON value) compactly on one line of stdout and releases it. */
void jsonx_print(json_t *v);

#endif
