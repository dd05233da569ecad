/* SPDX-License-Identifier: MIT */
/*
 * storyfile.c: a BMAD story's file: where it is (the folders of bmadcfg,
 * the lookup by key, prefix and slug, companion files left out), its
 * Status and its open review findings. Reads only.
 */
#include <ctype.h>
#include <dirent.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "bmadcfg.h"
#include "statusedit.h"
#include "storyfile.h"
#include "storykey.h"
#include "util.h"

/* True when file name n (NAME.md) is the story file of a story other than prefix's. */
static bool other_story(const char *n, const char *prefix)
{
	char *base = xstrndup(n, strlen(n) - 3);
	struct storykey k;
	bool other = storykey_parse(base, &k) == 0 && strcmp(k.prefix, prefix) != 0;

	free(base);
	return other;
}

/*
 * Files that share a story's prefix without being its story file: BMAD's
 * and its users' reports, reviews and notes. One table; matched with
 * fnmatch against the file name, for files found by prefix only.
 */
static const char *const companion_patterns[] = {
	"*.validation-report.md", "*-validation-report.md",      "*-code-review.md",
	"*.code-review.md",       "*-implementation-summary.md", "*-retro*.md",
	"*.addendum*.md",         "*-review-findings*.md",       "*-context.md",
	"*.context.md",
};

static bool companion_file(const char *n)
{
	for (size_t i = 0; i < ARRAY_SIZE(companion_patterns); i++)
		if (fnmatch(companion_patterns[i], n, 0) == 0)
			return true;
	return false;
}

/* A story file found: its path, name and how well the name matches (0 best). */
struct found {
	char *path;
	const char *name;
	int tier;
};

struct found_list {
	struct found *v;
	size_t n, cap;
};

/* How far a folder's subfolders are searched: stories/, epic-2/, stories/epic-2/. */
#define STORY_SUBDIR_DEPTH 2

/*
 * BMAD v4's names in docs/stories: <id>.md, <id>.<title>.md or
 * <id>-<title>.md (2.1.md, 2.1.basic-ui-shell.md, 2.2-category.md), not a
 * sub-story's 2.1.1.x.md nor 2.10.x.md.
 */
static bool dotted(const char *n, const struct storykey *k)
{
	size_t il = strlen(k->id);

	if (!k->numeric || strncmp(n, k->id, il) || (n[il] != '.' && n[il] != '-'))
		return false;
	return !strcmp(n + il, ".md") || !isdigit((unsigned char)n[il + 1]);
}

static void find_in(const char *dir, int depth, const struct storykey *k, const char *key,
		    struct found_list *fl)
{
	char *exact = xstrfmt("%s.md", key);
	char *keyed = k->slug[0] ? xstrfmt("%s-%s.md", k->prefix, k->slug) : NULL;
	char *pre = xstrfmt("%s-", k->prefix);
	size_t plen = strlen(k->prefix);
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		goto out;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		char *full;
		struct stat st;
		int tier;

		if (n[0] == '.')
			continue;
		full = path_join(dir, n);
		if (stat(full, &st) < 0) {
			free(full);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth < STORY_SUBDIR_DEPTH)
				find_in(full, depth + 1, k, key, fl);
			free(full);
			continue;
		}
		if (!S_ISREG(st.st_mode) || !str_ends_with(n, ".md")) {
			free(full);
			continue;
		}
		if (!strcmp(n, exact))
			tier = 0;
		else if (keyed && !strcmp(n, keyed))
			tier = 1;
		else if (dotted(n, k))
			tier = 2;
		else if ((str_starts_with(n, pre) ||
			  (!strncmp(n, k->prefix, plen) && !strcmp(n + plen, ".md"))) &&
			 /* 0-6-1-boost.md is the sub-story 0.6.1's, not 0.6's */
			 !other_story(n, k->prefix) && !companion_file(n))
			tier = 2;
		else {
			free(full);
			continue;
		}
		ALLOC_GROW(fl->v, fl->n + 1, fl->cap);
		fl->v[fl->n].path = full;
		fl->v[fl->n].name = strrchr(full, '/') ? strrchr(full, '/') + 1 : full;
		fl->v[fl->n].tier = tier;
		fl->n++;
	}
	closedir(d);
out:
	free(pre);
	free(keyed);
	free(exact);
}

/* Best first: tier, then the shorter name, then byte order of name and path. */
static int found_cmp(const void *pa, const void *pb)
{
	const struct found *a = pa, *b = pb;
	size_t la = strlen(a->name), lb = strlen(b->name);
	int c;

	if (a->tier != b->tier)
		return a->tier < b->tier ? -1 : 1;
	if (la != lb)
		return la < lb ? -1 : 1;
	c = strcmp(a->name, b->name);
	return c ? c : strcmp(a->path, b->path);
}

static void found_list_release(struct found_list *fl)
{
	for (size_t i = 0; i < fl->n; i++)
		free(fl->v[i].path);
	free(fl->v);
}

/*
 * The candidates for story_key in the first folder holding any, best
 * first. Returns their count, or -1 when story_key is not a valid key.
 */
static int collect(const char *root, const char *status_file, const char *story_key,
		   struct found_list *fl, struct diags *warnings)
{
	struct storykey k;
	struct strvec dirs = STRVEC_INIT;
	char *found_status = NULL;

	if (storykey_parse(story_key, &k) < 0)
		return -1;
	if (!status_file && statusedit_find_file(root, &found_status) == 0)
		status_file = found_status;
	bmadcfg_story_dirs(root, status_file, &dirs, warnings);
	for (size_t i = 0; i < dirs.n && !fl->n; i++)
		find_in(dirs.v[i], 0, &k, story_key, fl);
	if (fl->n)
		qsort(fl->v, fl->n, sizeof(*fl->v), found_cmp);
	strvec_release(&dirs);
	free(found_status);
	return (int)fl->n;
}

int storyfile_locate(const char *root, const char *status_file, const char *story_key, char **path,
		     char **note, struct diags *warnings)
{
	struct found_list fl = { 0 };
	int n = collect(root, status_file, story_key, &fl, warnings);

	if (note)
		*note = NULL;
	if (n > 0) {
		size_t same = 1;

		while (same < fl.n && fl.v[same].tier == fl.v[0].tier)
			same++;
		if (same > 1 && note)
			*note = xstrfmt("several story files; chose %s", fl.v[0].name);
		*path = fl.v[0].path;
		fl.v[0].path = NULL;
	}
	found_list_release(&fl);
	return n < 0 ? -1 : n > 0 ? 0 : 1;
}

int storyfile_candidates(const char *root, const char *status_file, const char *story_key,
			 struct strvec *paths, struct diags *warnings)
{
	struct found_list fl = { 0 };
	int n = collect(root, status_file, story_key, &fl, warnings);

	for (int i = 0; i < n; i++) {
		strvec_push_nodup(paths, fl.v[i].path);
		fl.v[i].path = NULL;
	}
	found_list_release(&fl);
	return n;
}

int storyfile_find(const char *root, const char *story_key, char **path)
{
	return storyfile_locate(root, NULL, story_key, path, NULL, NULL);
}

/* s[0..len) with blanks around removed, and matching quotes or backticks. */
static char *clean_value(const char *s, size_t len)
{
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	if (len >= 2 && (s[0] == '"' || s[0] == '\'' || s[0] == '`') && s[len - 1] == s[0]) {
		s++;
		len -= 2;
	}
	return xstrndup(s, len);
}

/* A line with '*' removed and leading blanks, '#' and list markers skipped. */
static char *plain_line(const char *line, size_t len)
{
	struct buf b = BUF_INIT;
	const char *p = line, *end = line + len;
	char *r;

	for (; p < end; p++)
		if (*p != '*')
			buf_addc(&b, *p);
	p = buf_str(&b);
	p += strspn(p, " \t#");
	if ((*p == '-' || *p == '+') && (p[1] == ' ' || p[1] == '\t'))
		p += 1 + strspn(p + 1, " \t");
	r = xstrdup(p);
	buf_release(&b);
	return r;
}

/*
 * When line reads "status: VALUE" (any case), the value (may be ""); else
 * NULL. A line that is just "status" (a heading) sets *heading.
 */
static char *status_of_line(const char *line, size_t len, bool *heading)
{
	char *pl = plain_line(line, len), *v = NULL;
	const char *p = pl;

	*heading = false;
	if (!strncasecmp(p, "status", 6)) {
		p += 6;
		p += strspn(p, " \t");
		if (*p == ':')
			v = clean_value(p + 1, strlen(p + 1));
		else if (strspn(p, " \t\r") == strlen(p))
			*heading = true;
	}
	free(pl);
	return v;
}

/* Frontmatter `status:` (a top-level key); *body gets where the body starts. */
static char *frontmatter_status(const char *text, const char **body)
{
	const char *p = text;
	char *found = NULL;

	*body = text;
	if (strncmp(p, "---", 3) || (p[3] != '\n' && strncmp(p + 3, "\r\n", 2)))
		return NULL;
	p = strchr(p, '\n') + 1;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		size_t tl = len;

		while (tl && (p[tl - 1] == '\r' || p[tl - 1] == ' '))
			tl--;
		if ((tl == 3 && (!strncmp(p, "---", 3) || !strncmp(p, "...", 3)))) {
			*body = nl ? nl + 1 : p + len;
			return found;
		}
		if (!found && !strncasecmp(p, "status", 6)) {
			const char *q = p + 6;

			q += strspn(q, " \t");
			if (*q == ':') {
				const char *vend = p + len;
				const char *hash = q + 1;

				/* a comment after the value */
				while ((hash = memchr(hash, '#', (size_t)(vend - hash))) &&
				       hash[-1] != ' ' && hash[-1] != '\t')
					hash++;
				if (hash)
					vend = hash;
				found = clean_value(q + 1, (size_t)(vend - (q + 1)));
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	/* no closing line: not frontmatter after all */
	free(found);
	return NULL;
}

int storyfile_status(const char *path, char **status)
{
	const char *body, *p;
	char *text, *st;
	bool fence = false, want_next = false;

	if (read_file(path, &text, NULL) < 0)
		return -1;
	p = text;
	if (!strncmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	st = frontmatter_status(p, &body);
	if (st && *st) {
		*status = st;
		free(text);
		return 0;
	}
	free(st);
	for (p = body; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *q = p + strspn(p, " \t");
		bool blank = (size_t)(q - p) >= len || *q == '\r', heading = false;
		char *v = NULL;

		if (!strncmp(q, "```", 3) || !strncmp(q, "~~~", 3)) {
			fence = !fence;
			want_next = false;
		} else if (!fence && !blank) {
			if (want_next && *q != '#') {
				char *pl = plain_line(p, len);

				v = clean_value(pl, strlen(pl));
				free(pl);
			} else if ((v = status_of_line(p, len, &heading)) && !*v) {
				free(v);
				v = NULL;
			}
			/* "## Status" names the value on the next line */
			want_next = *q == '#' && heading;
		}
		if (v) {
			*status = v;
			free(text);
			return 0;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	free(text);
	return 1;
}

/* The level of a Markdown heading line p (1-6), or 0. */
static int heading_level(const char *p, size_t len)
{
	size_t n = 0;

	while (n < len && p[n] == '#')
		n++;
	return n >= 1 && n <= 6 && (n == len || p[n] == ' ' || p[n] == '\t') ? (int)n : 0;
}

/* `- [ ] [Review]...` / `* [ ] [AI-Review][High]...`: an open review finding. */
static bool open_finding(const char *p, size_t len)
{
	const char *end = p + len;

	if (len < 2 || (p[0] != '-' && p[0] != '*' && p[0] != '+') || (p[1] != ' ' && p[1] != '\t'))
		return false;
	p += 1 + strspn(p + 1, " \t");
	if (end - p < 4 || strncmp(p, "[ ]", 3))
		return false;
	p += 3;
	p += strspn(p, " \t");
	return end - p >= 8 && (!strncasecmp(p, "[Review]", 8) || !strncasecmp(p, "[Review ", 8) ||
				(end - p >= 11 && !strncasecmp(p, "[AI-Review]", 11)));
}

int storyfile_open_findings(const char *path)
{
	char *text;
	const char *p;
	int count = 0, review_level = 0;
	bool fence = false;

	if (read_file(path, &text, NULL) < 0)
		return -1;
	for (p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *q = p + strspn(p, " \t");
		size_t qlen = len - (size_t)(q - p);
		int level;

		if (!strncmp(q, "```", 3) || !strncmp(q, "~~~", 3))
			fence = !fence;
		else if (!fence && (level = heading_level(q, qlen)) > 0) {
			if (str_contains_nocase(q, qlen, "review")) {
				if (!review_level || level <= review_level)
					review_level = level;
			} else if (review_level && level <= review_level) {
				review_level = 0;
			}
		} else if (!fence && review_level && open_finding(q, qlen)) {
			count++;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	free(text);
	return count;
}
