/* SPDX-License-Identifier: MIT */
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

bool storykey_key_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= STORYKEY_MAX || s[0] == '-' || s[0] == '.')
		return false;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t seq;

		/* ASCII, nearly every byte of a key: one byte, no decoding */
		if (c < 0x80) {
			if (c <= ' ' || c == 0x7f || c == '/' || c == '\\')
				return false;
			i++;
			continue;
		}
		seq = utf8_seq_len(s, i, n);
		if (!seq)
			return false;
		i += seq;
	}
	return true;
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

/* Length of a sub-story part at s (digits, or one lowercase letter) ending a segment, or 0. */
static size_t sub_part(const char *s)
{
	size_t i = 0;

	while (isdigit((unsigned char)s[i]))
		i++;
	if (i == 0 && islower((unsigned char)s[0]))
		i = 1;
	if (i == 0 || (s[i] != '\0' && s[i] != '-' && s[i] != '.'))
		return 0;
	return i;
}

static void copy(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Fills k from s, a usable key (storykey_key_ok). */
static void parse_forms(const char *s, struct storykey *k)
{
	size_t a, b, c = 0;
	char sep;

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
			return;
		}
	}
	if (a && (s[a] == '.' || s[a] == '-') && (b = numeric_part(s + a + 1)) > 0) {
		const char *rest = s + a + 1 + b;
		size_t idlen = a + 1 + b;

		sep = s[a];
		/* a sub-story: a third part of digits or one letter, "0-6-1", "10-5-a" */
		/* a letter alone is a sub-story with a slug after it ("10-5-a-dns") or in the id form
		 * ("10.5.a"); "2-1-a" is story 2.1 with the slug "a" */
		if ((*rest == '.' || *rest == '-') && *rest == sep &&
		    (c = sub_part(rest + 1)) > 0 &&
		    (sep == '.' || isdigit((unsigned char)rest[1]) ||
		     (rest[1 + c] == '-' && rest[2 + c]))) {
			idlen += 1 + c;
			rest += 1 + c;
			k->sub = true;
		}
		if (*rest == '\0' || (*rest == '-' && sep == '-' && rest[1])) {
			copy(k->epic, s, a);
			copy(k->id, s, idlen);
			copy(k->prefix, s, idlen);
			for (size_t i = a; i < idlen; i++) {
				if (k->id[i] == '-')
					k->id[i] = '.';
				if (k->prefix[i] == '.')
					k->prefix[i] = '-';
			}
			if (*rest == '-')
				copy(k->slug, rest + 1, strlen(rest + 1));
			k->numeric = true;
			return;
		}
		k->sub = false;
	}
	/* not of the numeric form: the id names itself */
	copy(k->id, s, strlen(s));
	copy(k->prefix, s, strlen(s));
}

/* Empties every form of k: the strings' first bytes, not all 4 KiB of it. */
static void clear(struct storykey *k)
{
	k->id[0] = k->prefix[0] = k->epic[0] = k->slug[0] = '\0';
	k->numeric = k->sub = false;
}

int storykey_parse(const char *s, struct storykey *k)
{
	clear(k);
	if (!storykey_key_ok(s))
		return -1;
	parse_forms(s, k);
	/* free text (any script, any length) lives in a numeric key's slug only */
	if (!(k->numeric && k->slug[0]) && !storykey_valid(s)) {
		clear(k);
		return -1;
	}
	return 0;
}

/* Compares "digits[letter]" parts numerically: 2 < 10 < 10a < 10b. */
static int part_cmp(const char *a, const char *b, size_t *alen, size_t *blen)
{
	unsigned long long x = 0, y = 0;
	size_t i = 0, j = 0;
	int ca, cb;

	while (isdigit((unsigned char)a[i]))
		x = x * 10 + (unsigned)(a[i++] - '0');
	while (isdigit((unsigned char)b[j]))
		y = y * 10 + (unsigned)(b[j++] - '0');
	/* a letter-only part (a sub-story 'a') sorts after every number */
	if ((i == 0) != (j == 0))
		return i == 0 ? 1 : -1;
	if (x != y)
		return x < y ? -1 : 1;
	ca = islower((unsigned char)a[i]) ? a[i] : 0;
	cb = islower((unsigned char)b[j]) ? b[j] : 0;
	*alen = i + (ca != 0);
	*blen = j + (cb != 0);
	return ca - cb;
}

int storykey_cmp(const struct storykey *a, const struct storykey *b)
{
	const char *p = a->prefix, *q = b->prefix;

	if (a->numeric != b->numeric)
		return a->numeric ? -1 : 1;
	if (!a->numeric)
		return strcmp(a->id, b->id);
	for (;;) {
		size_t m = 0, n = 0;
		int c;

		if (!*p || !*q) /* the parent before its sub-stories */
			return !*p && !*q ? 0 : !*p ? -1 : 1;
		c = part_cmp(p, q, &m, &n);
		if (c)
			return c;
		if (!m || !n)
			return strcmp(p, q);
		p += m;
		q += n;
		if (*p == '-')
			p++;
		if (*q == '-')
			q++;
	}
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
	static const char retro[] = "-retrospective";
	size_t n = strlen(key), m;
	const char *name = NULL;
	int kind = 0;

	if (!storykey_key_ok(key))
		return -1;
	if (n > strlen(retro) && !strcmp(key + n - strlen(retro), retro)) {
		/* epic-N-retrospective, supp-epic-2-retrospective, anything-retrospective */
		n -= strlen(retro);
		kind = 2;
		name = str_starts_with(key, "epic-") && n > 5 ? key + 5 : "";
		if (!*name && n > 0)
			name = key;
	} else if (str_starts_with(key, "epic-") && key[5]) {
		kind = 1;
		name = key + 5;
	} else if (str_starts_with(key, "supp-epic-") && key[10]) {
		kind = 1;
		name = key;
	}
	if (!kind)
		return 0;
	if (epic && epiclen > 0) {
		m = kind == 2 ? n - (size_t)(name - key) : strlen(name);
		if (m >= (size_t)epiclen)
			m = (size_t)epiclen - 1;
		memcpy(epic, name, m);
		epic[m] = '\0';
	}
	return kind;
}
