/* SPDX-License-Identifier: MIT */
/*
 * diag.h: positioned error messages. Loaders collect every error they find
 * into a struct diags; only the command layer prints them. A message reads
 * `file:line:col: what is wrong 'subject'` (1-based, lowercase, no period).
 */
#ifndef AU_DIAG_H
#define AU_DIAG_H

#include <stdbool.h>
#include <stdio.h>

struct diag {
	char *file; /* owned */
	int line;   /* 1-based; 0 when the error has no position */
	int col;    /* 1-based */
	char *msg;  /* owned, without the position prefix; control characters escaped */
};

struct diags {
	struct diag *v;
	size_t n;
	size_t cap;
};
#define DIAGS_INIT         \
	{                  \
		NULL, 0, 0 \
	}

void diags_release(struct diags *d);
void diags_add(struct diags *d, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Moves every entry of src to the end of dst; src is left empty. */
void diags_move(struct diags *dst, struct diags *src);
/*
 * Orders entries by position within each file (stable); files keep the
 * order in which they first appear.
 */
void diags_sort(struct diags *d);
/* "file:line:col: msg" of entry i, newly allocated. */
char *diag_format(const struct diag *dg);
/* s as a message shows it (a file name, a value): control characters escaped; newly allocated. */
char *diag_escape(const char *s);
/* "file:line:col: warning: msg" of a warning, newly allocated. */
char *diag_format_warning(const struct diag *dg);
/* Prints every entry as a warning, one line each. */
void diags_print_warnings(const struct diags *d, FILE *out);
/*
 * Prints every entry, one line each. With caret, each line is followed by
 * the source line (read from the file again) and a caret under the column.
 */
void diags_print(const struct diags *d, FILE *out, bool caret);
/* Returns -1 (so error paths read `return diag_error(...)`). */
int diag_error(struct diags *d, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
