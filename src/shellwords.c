/* SPDX-License-Identifier: MIT */
/*
 * shellwords.c: a command string split into argv words by shell quoting
 * rules (shellwords.h). Must not expand anything or start a shell: the
 * words are data for execvp.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "shellwords.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

int shellwords_split(const char *s, struct strvec *out, char **cause, size_t *off)
{
	struct strvec words = STRVEC_INIT;
	struct buf w = BUF_INIT;
	int inword = 0;
	size_t i = 0, open = 0;

	while (s[i]) {
		char c = s[i];
		int was = inword;

		if (is_blank(c)) {
			if (inword) {
				strvec_push_nodup(&words, buf_detach(&w));
				buf_init(&w);
				inword = 0;
			}
			i++;
			continue;
		}
		inword = 1;
		if (c == '\\') {
			open = i;
			if (!s[i + 1])
				goto trailing_backslash;
			if (s[i + 1] == '\n')
				inword = was; /* a line continuation is removed */
			else
				buf_addc(&w, s[i + 1]);
			i += 2;
		} else if (c == '\'') {
			open = i++;
			while (s[i] && s[i] != '\'')
				buf_addc(&w, s[i++]);
			if (!s[i]) {
				*cause = xstrdup("unterminated single quote");
				goto fail;
			}
			i++;
		} else if (c == '"') {
			open = i++;
			while (s[i] && s[i] != '"') {
				if (s[i] == '\\' && s[i + 1] && strchr("$`\"\\\n", s[i + 1])) {
					if (s[i + 1] != '\n')
						buf_addc(&w, s[i + 1]);
					i += 2;
				} else {
					buf_addc(&w, s[i++]);
				}
			}
			if (!s[i]) {
				*cause = xstrdup("unterminated double quote");
				goto fail;
			}
			i++;
		} else {
			buf_addc(&w, c);
			i++;
		}
	}
	if (inword)
		strvec_push_nodup(&words, buf_detach(&w));
	buf_release(&w);
	for (size_t k = 0; k < words.n; k++)
		strvec_push_nodup(out, words.v[k]);
	free(words.v);
	return 0;

trailing_backslash:
	*cause = xstrdup("backslash at the end");
fail:
	if (off)
		*off = open;
	buf_release(&w);
	strvec_release(&words);
	return -1;
}

char *shellwords_quote(const char *s)
{
	struct buf b = BUF_INIT;
	bool plain = *s != '\0';

	for (const char *p = s; *p && plain; p++)
		plain = isalnum((unsigned char)*p) || strchr("@%+=:,./_-", *p);
	if (plain)
		return xstrdup(s);
	buf_addc(&b, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			buf_adds(&b, "'\\''");
		else
			buf_addc(&b, *p);
	}
	buf_addc(&b, '\'');
	return buf_detach(&b);
}
