/* SPDX-License-Identifier: MIT */
/*
 * shellwords.h: splitting a command string into argv words by POSIX shell
 * quoting rules, with no shell involved: single quotes, double quotes and
 * backslash escapes only. Nothing is expanded ($, globs, ~ and {name}
 * templates are kept as written) and nothing is special but quoting and
 * blanks (no comments, no operators: ';' or '|' is a word like any other).
 */
#ifndef AU_SHELLWORDS_H
#define AU_SHELLWORDS_H

#include <stddef.h>

#include "util.h"

/*
 * Splits s into words separated by blanks (space, tab, newline) and appends
 * them to out, each newly allocated. Quoted parts next to each other and to
 * unquoted text make one word (a"b c"d is "ab cd"); '' or "" alone is an
 * empty word. Outside quotes a backslash takes the next character as it is
 * (a backslash-newline is removed); inside double quotes it does so only
 * before $ ` " \ and newline, and is kept otherwise; inside single quotes
 * it is an ordinary character. Blanks only give no words (not an error).
 *
 * Returns 0, or -1 with *cause newly allocated ("unterminated double
 * quote", "unterminated single quote", "backslash at the end") and *off
 * (when not NULL) the byte offset of the opening quote or the backslash;
 * out is untouched on failure.
 */
int shellwords_split(const char *s, struct strvec *out, char **cause, size_t *off);

/*
 * s as one word a shell (and shellwords_split) reads back as s: unchanged
 * when it holds only letters, digits and @%+=:,./_- (and is not empty),
 * else in single quotes, a ' written as '\''. Newly allocated. For hints
 * printed for people to paste, never for running anything.
 */
char *shellwords_quote(const char *s);

#endif
