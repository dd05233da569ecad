/* SPDX-License-Identifier: MIT */
/*
 * jsonw.h: a streaming JSON writer for large outputs (status of a
 * 10,000-story run), writing compact JSON straight into a buffer in the
 * order it is called, byte for byte what jansson's json_dumps(JSON_COMPACT
 * | JSON_PRESERVE_ORDER) writes for the same tree. Strings that are not
 * valid UTF-8 have every byte >= 0x80 written as '?' (as jsonx_str).
 * Small outputs keep using jansson.
 */
#ifndef AU_JSONW_H
#define AU_JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

#define JSONW_DEPTH 32

struct jsonw {
	struct buf b;
	int depth;
	bool more[JSONW_DEPTH];  /* a value was written at this depth */
	char close[JSONW_DEPTH]; /* what closes it: '}' or ']' */
};

/* key is the member's name inside an object, NULL inside an array or at the top. */
void jsonw_obj(struct jsonw *w, const char *key);
void jsonw_arr(struct jsonw *w, const char *key);
/* Closes the innermost object or array. */
void jsonw_end(struct jsonw *w);
/* s NULL writes null. */
void jsonw_str(struct jsonw *w, const char *key, const char *s);
void jsonw_int(struct jsonw *w, const char *key, int64_t v);
void jsonw_real(struct jsonw *w, const char *key, double v);
void jsonw_bool(struct jsonw *w, const char *key, bool v);
void jsonw_null(struct jsonw *w, const char *key);
/*
 * json, a complete value this writer wrote before (a copy of its buffer),
 * written as it is: a value repeated many times is formatted once.
 */
void jsonw_raw(struct jsonw *w, const char *key, const char *json);

/*
 * A list command's --json and --jsonl (docs/cli.md, "JSON output"): the
 * same values as one JSON array on one line, or one value a line for
 * streaming. Items are complete JSON values (a jsonw buffer, json_dumps).
 */
struct jsonw_list {
	FILE *out;
	bool lines; /* --jsonl: one value a line; else one array */
	size_t n;   /* items written */
};
void jsonw_list_begin(struct jsonw_list *l, FILE *out, bool lines);
void jsonw_list_item(struct jsonw_list *l, const char *json);
/* Closes the array ("[]" when empty); flushes. */
void jsonw_list_end(struct jsonw_list *l);

#endif
