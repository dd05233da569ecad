/* SPDX-License-Identifier: MIT */
/*
 * fuzz_shellwords.c: shellwords_split and shellwords_quote (shellwords.h)
 * on any string. Oracles: no crash, leak or UB; on failure out is
 * untouched and *off points at the opening quote (or the last byte, a
 * backslash) the cause names; on success the words, each quoted with
 * shellwords_quote and joined by spaces, split back into the same words; a
 * plain quote is the word itself; text without quotes or backslashes
 * splits at blanks exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "shellwords.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* The reference for text without quoting: words between blanks. */
static void split_plain(const char *s, struct strvec *out)
{
	for (size_t i = 0; s[i];) {
		size_t n = 0;

		while (is_blank(s[i]))
			i++;
		while (s[i + n] && !is_blank(s[i + n]))
			n++;
		if (n)
			strvec_push_nodup(out, xstrndup(s + i, n));
		i += n;
	}
}

static void same_words(const struct strvec *a, size_t from, const struct strvec *b,
		       const char *what)
{
	FUZZ_CHECK(a->n - from == b->n, "%s: %zu words, then %zu", what, a->n - from, b->n);
	for (size_t i = 0; i < b->n; i++)
		fuzz_same(a->v[from + i], b->v[i], what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *cause = NULL;
	struct strvec words = STRVEC_INIT, again = STRVEC_INIT;
	struct buf joined = BUF_INIT;
	size_t off = (size_t)-1, len = strlen(s);

	strvec_push(&words, "sentinel"); /* out is appended to */
	if (shellwords_split(s, &words, &cause, &off) < 0) {
		FUZZ_CHECK(words.n == 1, "out changed on failure");
		FUZZ_CHECK(cause && off < len, "failure without a cause or offset");
		if (!strcmp(cause, "unterminated double quote"))
			FUZZ_CHECK(s[off] == '"', "offset %zu is not a double quote", off);
		else if (!strcmp(cause, "unterminated single quote"))
			FUZZ_CHECK(s[off] == '\'', "offset %zu is not a single quote", off);
		else if (!strcmp(cause, "backslash at the end"))
			FUZZ_CHECK(s[off] == '\\' && off == len - 1, "offset %zu is not the end",
				   off);
		else
			fuzz_fail("unexpected cause '%s'", cause);
		goto out;
	}
	FUZZ_CHECK(!cause, "success with a cause");
	for (size_t i = 1; i < words.n; i++) {
		char *q = shellwords_quote(words.v[i]);

		if (strspn(q, "'") == 0)
			fuzz_same(q, words.v[i], "a plain word and its quote");
		buf_addf(&joined, "%s%s", i > 1 ? " " : "", q);
		free(q);
	}
	FUZZ_CHECK(shellwords_split(buf_str(&joined), &again, &cause, NULL) == 0,
		   "quoted words do not split: %s (%s)", buf_str(&joined), cause);
	same_words(&words, 1, &again, "words, quoted, joined and split again");
	if (!strpbrk(s, "'\"\\")) {
		strvec_release(&again);
		split_plain(s, &again);
		same_words(&words, 1, &again, "words of text without quoting");
	}
out:
	free(cause);
	strvec_release(&words);
	strvec_release(&again);
	buf_release(&joined);
	free(s);
	return 0;
}
