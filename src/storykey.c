/*
 * storykey.c: parsing and comparing story keys. Pure string work: must not
 * read files or know about sprints.
 */
#include <ctype.h>
#include <string.h>

#include "storykey.h"
#include "util.h"

bool storykey_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || !isalnum((unsigned char)s[0]) || (unsigned char)s[0] > 127)
		return false;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c > 127 || !(isalnum(c) || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

char *storykey_problem(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return xstrdup("empty");
	if (n > 64)
		return xstrfmt("%zu characters, at most 64", n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c > 127)
			return xstrdup("non-ASCII character");
		if (i == 0 && !isalnum(c))
			return xstrdup("must start with a letter or digit");
		if (!(isalnum(c) || c == '.' || c == '_' || c == '-'))
			return isprint(c) ? xstrfmt("character '%c' not allowed", c)
					  : xstrfmt("control character 0x%02x not allowed", c);
	}
	return NULL;
}

/* Length of a "digits[letter]" part at s, or 0. */
static size_t numeric_part(const char *s)
{
	size_t i = 0;

	while (isdigit((unsigned char)s[i]))
		i++;
	if (i == 0)
		return 0;
	if (islower((unsigned char)s[i]) && !isalnum((unsigned char)s[i + 1]))
		i++;
	return i;
}

static void copy(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int storykey_parse(const char *s, struct storykey *k)
{
	size_t a, b;
	char sep;

	memset(k, 0, sizeof(*k));
	if (!storykey_valid(s))
		return -1;
	a = numeric_part(s);
	if (a && (s[a] == '\0' || s[a] == '-') && (s[a] == '\0' || !numeric_part(s + a + 1))) {
		/* a single part: "5a", or "5a-some-slug" */
		if (s[a] == '\0' || isalpha((unsigned char)s[a - 1])) {
			copy(k->id, s, a);
			copy(k->prefix, s, a);
			copy(k->epic, s, a);
			if (s[a] == '-')
				copy(k->slug, s + a + 1, strlen(s + a + 1));
			k->numeric = true;
			return 0;
		}
	}
	if (a && (s[a] == '.' || s[a] == '-') && (b = numeric_part(s + a + 1)) > 0) {
		const char *rest = s + a + 1 + b;

		sep = s[a];
		if (*rest == '\0' || (*rest == '-' && sep == '-' && rest[1])) {
			copy(k->epic, s, a);
			copy(k->id, s, a + 1 + b);
			k->id[a] = '.';
			copy(k->prefix, s, a + 1 + b);
			k->prefix[a] = '-';
			if (*rest == '-')
				copy(k->slug, rest + 1, strlen(rest + 1));
			k->numeric = true;
			return 0;
		}
	}
	/* not of the numeric form: the id names itself */
	copy(k->id, s, strlen(s));
	copy(k->prefix, s, strlen(s));
	return 0;
}

bool storykey_same(const char *a, const char *b)
{
	struct storykey ka, kb;

	if (storykey_parse(a, &ka) < 0 || storykey_parse(b, &kb) < 0)
		return false;
	if (ka.numeric != kb.numeric)
		return false;
	return !strcmp(ka.prefix, kb.prefix);
}

int storykey_classify(const char *key, char *epic, int epiclen)
{
	size_t n;

	if (!storykey_valid(key))
		return -1;
	if (!str_starts_with(key, "epic-"))
		return 0;
	n = numeric_part(key + 5);
	if (n == 0)
		return 0;
	if (key[5 + n] != '\0' && strcmp(key + 5 + n, "-retrospective"))
		return 0;
	if (epic && epiclen > 0) {
		size_t m = n < (size_t)epiclen - 1 ? n : (size_t)epiclen - 1;

		memcpy(epic, key + 5, m);
		epic[m] = '\0';
	}
	return key[5 + n] == '\0' ? 1 : 2;
}
