/*
 * verify.c: the step verifiers. Reads sprint-status (as YAML, through
 * bmad), story files, globs under the project root and the exit of a
 * command run by argv. Must not write or fix any file, must not count a
 * path outside the project root, and must not hand anything to a shell.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "bmad.h"
#include "bmadcfg.h"
#include "proc.h"
#include "statusedit.h"
#include "storykey.h"
#include "util.h"
#include "verify.h"

void verify_result_release(struct verify_result *r)
{
	free(r->source);
	free(r->reason);
	free(r->json);
	memset(r, 0, sizeof(*r));
}

void verify_review_release(struct verify_review *r)
{
	free(r->story);
	free(r->sprint_status);
	free(r->story_file);
	free(r->story_file_status);
	free(r->why);
	free(r->file_note);
	diags_release(&r->warnings);
	memset(r, 0, sizeof(*r));
}

static char *dump(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	char *copy;

	if (!s)
		xdie("out of memory");
	copy = xstrdup(s);
	free(s);
	json_decref(o);
	return copy;
}

/* ---- story files ---- */

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

int verify_story_file_locate(const char *root, const char *status_file, const char *story_key,
			     char **path, char **note, struct diags *warnings)
{
	struct storykey k;
	struct strvec dirs = STRVEC_INIT;
	struct found_list fl = { 0 };
	char *found_status = NULL;
	int ret = 1;

	if (note)
		*note = NULL;
	if (storykey_parse(story_key, &k) < 0)
		return -1;
	if (!status_file && statusedit_find_file(root, &found_status) == 0)
		status_file = found_status;
	bmadcfg_story_dirs(root, status_file, &dirs, warnings);
	for (size_t i = 0; i < dirs.n && !fl.n; i++)
		find_in(dirs.v[i], 0, &k, story_key, &fl);
	if (fl.n) {
		size_t same = 1;

		qsort(fl.v, fl.n, sizeof(*fl.v), found_cmp);
		while (same < fl.n && fl.v[same].tier == fl.v[0].tier)
			same++;
		if (same > 1 && note)
			*note = xstrfmt("several story files; chose %s", fl.v[0].name);
		*path = fl.v[0].path;
		fl.v[0].path = NULL;
		ret = 0;
	}
	for (size_t i = 0; i < fl.n; i++)
		free(fl.v[i].path);
	free(fl.v);
	strvec_release(&dirs);
	free(found_status);
	return ret;
}

int verify_story_file_find(const char *root, const char *story_key, char **path)
{
	return verify_story_file_locate(root, NULL, story_key, path, NULL, NULL);
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

int verify_story_file_status(const char *path, char **status)
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

/* Whether [p, p+len) contains needle, any case. */
static bool contains_nocase(const char *p, size_t len, const char *needle)
{
	size_t nl = strlen(needle);

	for (size_t i = 0; i + nl <= len; i++)
		if (!strncasecmp(p + i, needle, nl))
			return true;
	return false;
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

int verify_story_file_open_findings(const char *path)
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
			if (contains_nocase(q, qlen, "review")) {
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

/*
 * The comment after e's value in the sprint-status (s->file), when it says
 * a code review wrote the value ("# Updated by bmad-code-review ..."):
 * the comment's text, newly allocated; else NULL.
 */
static char *review_comment(const struct bmad_status *s, const struct bmad_entry *e)
{
	char *text, *r = NULL;
	size_t len;
	const char *p, *end, *hash;

	if (!s->file || read_file(s->file, &text, &len) < 0)
		return NULL;
	if (e->vend > len) {
		free(text);
		return NULL;
	}
	p = text + e->vend;
	end = strchr(p, '\n');
	if (!end)
		end = text + len;
	/* a closing quote or brace of the value may stand before the comment */
	for (hash = p; hash < end && *hash != '#'; hash++)
		;
	if (hash < end && (hash == text || hash[-1] == ' ' || hash[-1] == '\t' || hash == p)) {
		const char *c = hash + 1 + strspn(hash + 1, " \t#");
		const char *ce = end;

		while (ce > c && (ce[-1] == ' ' || ce[-1] == '\t' || ce[-1] == '\r'))
			ce--;
		if (contains_nocase(c, (size_t)(ce - c), "code-review"))
			r = xstrndup(c, (size_t)(ce - c) > 200 ? 200 : (size_t)(ce - c));
	}
	free(text);
	return r;
}

/* ---- the review contract ---- */

static const char *const source_names[] = {
	[VERIFY_SOURCE_SPRINT_STATUS] = "sprint-status.yaml",
	[VERIFY_SOURCE_STORY_FILE] = "story-file",
};

const char *verify_source_name(enum verify_source s)
{
	return (size_t)s < ARRAY_SIZE(source_names) ? source_names[s] : "none";
}

void verify_contract_init(struct verify_contract *c)
{
	memset(c, 0, sizeof(*c));
	c->sources[0] = VERIFY_SOURCE_SPRINT_STATUS;
	c->sources[1] = VERIFY_SOURCE_STORY_FILE;
	c->nsources = 2;
	strvec_push(&c->done, "done");
}

void verify_contract_release(struct verify_contract *c)
{
	strvec_release(&c->done);
	memset(c, 0, sizeof(*c));
}

/* A JSON value as written in a message: "foo", 3, null (newly allocated). */
static char *json_shown(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), *r;

	if (!s)
		return xstrdup("?");
	r = xstrdup(s);
	free(s);
	return r;
}

/* Fills c->sources from the "sources" array v; returns 0 or -1 (*cause). */
static int contract_sources(const json_t *v, struct verify_contract *c, const char *path,
			    char **cause)
{
	if (!json_is_array(v) || json_array_size(v) == 0) {
		*cause = xstrfmt("%s: 'sources' must be a non-empty array of source names", path);
		return -1;
	}
	c->nsources = 0;
	for (size_t i = 0; i < json_array_size(v); i++) {
		const json_t *it = json_array_get(v, i);
		const char *n = json_string_value(it);
		size_t k = ARRAY_SIZE(source_names);
		char *shown;

		for (size_t j = 0; n && j < ARRAY_SIZE(source_names); j++)
			if (!strcmp(n, source_names[j]))
				k = j;
		for (size_t j = 0; k < ARRAY_SIZE(source_names) && j < c->nsources; j++)
			if (c->sources[j] == (enum verify_source)k) {
				*cause = xstrfmt("%s: source '%s' is listed twice in 'sources'",
						 path, source_names[k]);
				return -1;
			}
		if (k == ARRAY_SIZE(source_names)) {
			shown = json_shown(it);
			*cause = xstrfmt("%s: unknown source %s in 'sources' (expected "
					 "\"sprint-status.yaml\" or \"story-file\")",
					 path, shown);
			free(shown);
			return -1;
		}
		c->sources[c->nsources++] = (enum verify_source)k;
	}
	return 0;
}

/* Fills c->done from the "doneValues" array v; returns 0 or -1 (*cause). */
static int contract_done_values(const json_t *v, struct verify_contract *c, const char *path,
				char **cause)
{
	if (!json_is_array(v) || json_array_size(v) == 0) {
		*cause = xstrfmt("%s: 'doneValues' must be a non-empty array of strings", path);
		return -1;
	}
	strvec_release(&c->done);
	for (size_t i = 0; i < json_array_size(v); i++) {
		const json_t *it = json_array_get(v, i);
		const char *d = json_string_value(it);

		if (!d || !*d) {
			char *shown = json_shown(it);

			*cause = xstrfmt("%s: 'doneValues' item %zu is not a non-empty string: %s",
					 path, i + 1, shown);
			free(shown);
			return -1;
		}
		strvec_push(&c->done, d);
	}
	return 0;
}

int verify_contract_load(const char *root, struct verify_contract *c, char **cause)
{
	char *path = path_join(root, VERIFY_CONTRACT_FILE);
	json_error_t err;
	json_t *top;
	struct stat st;
	int ret = -1;

	verify_contract_init(c);
	if (stat(path, &st) < 0 && errno == ENOENT) {
		free(path);
		return 1;
	}
	top = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!top) {
		if (err.line > 0)
			*cause = xstrfmt("%s:%d:%d: %s", path, err.line,
					 err.column > 0 ? err.column : 1, err.text);
		else
			*cause = xstrfmt("%s: %s", path, err.text);
		free(path);
		return -1;
	}
	if (!json_is_object(top)) {
		*cause = xstrfmt("%s: expected an object with 'sources' and 'doneValues'", path);
		goto out;
	}
	for (void *it = json_object_iter(top); it; it = json_object_iter_next(top, it)) {
		const char *key = json_object_iter_key(it);
		const json_t *v = json_object_iter_value(it);

		if (!strcmp(key, "sources")) {
			if (contract_sources(v, c, path, cause) < 0)
				goto out;
		} else if (!strcmp(key, "doneValues")) {
			if (contract_done_values(v, c, path, cause) < 0)
				goto out;
		} else {
			*cause =
				xstrfmt("%s: unknown key '%s' (expected 'sources' or 'doneValues')",
					path, key);
			goto out;
		}
	}
	ret = 0;
out:
	json_decref(top);
	free(path);
	if (ret < 0) {
		verify_contract_release(c);
		verify_contract_init(c);
	}
	return ret;
}

/*
 * Whether status is one of c's done values (any case). With first_word, a
 * story file's "Done.", "done ✅" count too: the first word, without a
 * trailing period.
 */
static bool contract_says_done(const struct verify_contract *c, const char *status, bool first_word)
{
	size_t n = strcspn(status, " \t");

	for (size_t i = 0; i < c->done.n; i++)
		if (!strcasecmp(status, c->done.v[i]))
			return true;
	if (!first_word)
		return false;
	if (n && status[n - 1] == '.')
		n--;
	for (size_t i = 0; i < c->done.n; i++)
		if (n && strlen(c->done.v[i]) == n && !strncasecmp(status, c->done.v[i], n))
			return true;
	return false;
}

/* ---- review completion ---- */

/* status_file as given (relative to root), or the one found under root; NULL when none. */
static char *status_path(const char *root, const char *status_file)
{
	char *p = NULL;
	struct stat st;

	if (!status_file)
		return statusedit_find_file(root, &p) == 0 ? p : NULL;
	p = path_join(root, status_file);
	if (stat(p, &st) == 0)
		return p;
	free(p);
	return NULL;
}

static int load_status(const char *path, struct bmad_status **s, char **cause)
{
	struct diags d = DIAGS_INIT;

	if (bmad_status_load(path, s, &d) < 0) {
		*cause = d.n ? diag_format(&d.v[0]) : xstrfmt("cannot load '%s'", path);
		diags_release(&d);
		return -1;
	}
	diags_release(&d);
	return 0;
}

int verify_review_check(const char *root, const struct bmad_status *s, const char *story_key,
			const struct verify_contract *c, struct verify_review *out)
{
	const struct bmad_entry *e = NULL;
	struct storykey k;
	bool sprint_done, file_done = false;

	memset(out, 0, sizeof(*out));
	if (storykey_parse(story_key, &k) < 0)
		return -1;
	if (s)
		e = bmad_status_find(s, story_key);
	out->story = xstrdup(e ? e->key : story_key);
	out->sprint_status = xstrdup(e ? e->status : "unknown");
	if (verify_story_file_locate(root, s ? s->file : NULL, out->story, &out->story_file,
				     &out->file_note, &out->warnings) == 0 &&
	    verify_story_file_status(out->story_file, &out->story_file_status) == 0)
		file_done = contract_says_done(c, out->story_file_status, true);
	if (!out->story_file_status)
		out->story_file_status = xstrdup("unknown");
	sprint_done = e && contract_says_done(c, e->status, false);

	/* the story file must not overrule a code review that said "not done" */
	if (file_done && !sprint_done) {
		char *comment = e ? review_comment(s, e) : NULL;
		int open = verify_story_file_open_findings(out->story_file);

		if (comment)
			out->why = xstrfmt("sprint-status comment: %s", comment);
		else if (open > 0)
			out->why = xstrfmt("%d unchecked review finding%s in the story file", open,
					   open == 1 ? "" : "s");
		free(comment);
		if (out->why)
			file_done = false;
	}

	for (size_t i = 0; !out->verified && i < c->nsources; i++) {
		if (c->sources[i] == VERIFY_SOURCE_SPRINT_STATUS && sprint_done) {
			out->verified = true;
			out->source = verify_source_name(VERIFY_SOURCE_SPRINT_STATUS);
		} else if (c->sources[i] == VERIFY_SOURCE_STORY_FILE && file_done) {
			out->verified = true;
			out->source = verify_source_name(VERIFY_SOURCE_STORY_FILE);
			if (!sprint_done)
				out->note = "sprint_status_not_updated";
		}
	}
	if (!out->verified)
		out->reason = out->why ? "review_says_not_done" : "workflow_not_complete";
	return 0;
}

int verify_review_status_with(const char *root, const char *status_file, const char *story_key,
			      const struct verify_contract *given, struct verify_review *out,
			      char **cause)
{
	struct verify_contract c;
	struct bmad_status *s = NULL;
	struct storykey k;
	char *spath;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	verify_contract_init(&c);
	if (storykey_parse(story_key, &k) < 0) {
		*cause = xstrfmt("invalid story key '%s'", story_key);
		goto out;
	}
	if (!given) {
		verify_contract_release(&c);
		if (verify_contract_load(root, &c, cause) < 0)
			goto out;
	}
	spath = status_path(root, status_file);
	if (spath && load_status(spath, &s, cause) < 0) {
		free(spath);
		goto out;
	}
	free(spath);
	ret = verify_review_check(root, s, story_key, given ? given : &c, out);
	bmad_status_free(s);
out:
	verify_contract_release(&c);
	return ret;
}

int verify_review_status(const char *root, const char *status_file, const char *story_key,
			 struct verify_review *out, char **cause)
{
	return verify_review_status_with(root, status_file, story_key, NULL, out, cause);
}

int verify_contract_from(const struct strvec *sources, const struct strvec *done,
			 struct verify_contract *c, char **cause)
{
	verify_contract_init(c);
	if (sources && sources->n) {
		c->nsources = 0;
		for (size_t i = 0; i < sources->n; i++) {
			enum verify_source src;

			if (!strcmp(sources->v[i], verify_source_name(VERIFY_SOURCE_SPRINT_STATUS)))
				src = VERIFY_SOURCE_SPRINT_STATUS;
			else if (!strcmp(sources->v[i],
					 verify_source_name(VERIFY_SOURCE_STORY_FILE)))
				src = VERIFY_SOURCE_STORY_FILE;
			else {
				*cause = xstrfmt("unknown review source '%s' (expected "
						 "sprint-status.yaml or story-file)",
						 sources->v[i]);
				return -1;
			}
			for (size_t j = 0; j < c->nsources; j++) {
				if (c->sources[j] == src) {
					*cause = xstrfmt("review source '%s' given twice",
							 sources->v[i]);
					return -1;
				}
			}
			c->sources[c->nsources++] = src;
		}
	}
	if (done && done->n) {
		strvec_release(&c->done);
		for (size_t i = 0; i < done->n; i++)
			strvec_push(&c->done, done->v[i]);
	}
	return 0;
}

static json_t *review_object(const struct verify_review *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "verified", json_boolean(r->verified));
	json_object_set_new(o, "story", json_string(r->story));
	json_object_set_new(o, "sprint_status", json_string(r->sprint_status));
	json_object_set_new(o, "story_file_status", json_string(r->story_file_status));
	if (r->source)
		json_object_set_new(o, "source", json_string(r->source));
	if (r->note)
		json_object_set_new(o, "note", json_string(r->note));
	if (r->file_note)
		json_object_set_new(o, r->note ? "story_file_note" : "note",
				    json_string(r->file_note));
	if (r->reason)
		json_object_set_new(o, "reason", json_string(r->reason));
	if (r->why)
		json_object_set_new(o, "why", json_string(r->why));
	return o;
}

char *verify_review_json(const struct verify_review *r)
{
	return dump(review_object(r));
}

static const char *story_key_of(const struct story *st)
{
	return st->key && *st->key ? st->key : st->id;
}

static int run_review(const struct verify_ctx *ctx, struct verify_result *res, char **cause)
{
	struct verify_review r;
	json_t *o;

	if (verify_review_status_with(ctx->root, ctx->status_file, story_key_of(ctx->story),
				      ctx->contract, &r, cause) < 0)
		return -1;
	res->verified = r.verified;
	res->source = xstrdup(r.source ? r.source : "sprint-status.yaml");
	if (r.reason)
		res->reason = xstrdup(r.reason);
	o = review_object(&r);
	if (!r.source)
		json_object_set_new(o, "source", json_string(res->source));
	res->json = dump(o);
	verify_review_release(&r);
	return 0;
}

/* ---- session exit ---- */

static int run_session_exit(const struct verify_ctx *ctx, struct verify_result *res)
{
	json_t *o = json_object();

	res->verified = ctx->exit_status == 0 && ctx->exit_signal == 0;
	res->source = xstrdup("session_exit");
	if (ctx->exit_signal)
		res->reason = xstrfmt("killed by signal %d", ctx->exit_signal);
	else if (ctx->exit_status)
		res->reason = xstrfmt("exit %d", ctx->exit_status);
	json_object_set_new(o, "verified", json_boolean(res->verified));
	json_object_set_new(o, "source", json_string(res->source));
	json_object_set_new(o, "exitStatus", json_integer(ctx->exit_status));
	json_object_set_new(o, "signal", json_integer(ctx->exit_signal));
	if (res->reason)
		json_object_set_new(o, "reason", json_string(res->reason));
	res->json = dump(o);
	return 0;
}

/* ---- story artifacts ---- */

/* s with glob's special characters escaped, so a root like /tmp/a[1] is literal. */
static void add_glob_escaped(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (strchr("*?[]\\", *s))
			buf_addc(b, '\\');
		buf_addc(b, *s);
	}
}

static bool inside(const char *root, const char *path)
{
	size_t n = strlen(root);

	if (!strcmp(root, "/"))
		return path[0] == '/';
	return !strncmp(path, root, n) && (path[n] == '\0' || path[n] == '/');
}

static int run_artifact(const struct verifier *v, const struct verify_ctx *ctx,
			const struct tvars *vars, struct verify_result *res, char **cause)
{
	char *pattern = template_render(v->glob ? v->glob : "", vars);
	char *root = realpath(ctx->root, NULL);
	struct buf full = BUF_INIT;
	json_t *o, *matches;
	glob_t g;
	size_t count = 0;
	int rc, ret = -1;

	memset(&g, 0, sizeof(g));
	if (!root) {
		*cause = xstrfmt("cannot resolve '%s': %s", ctx->root, strerror(errno));
		free(pattern);
		return -1;
	}
	add_glob_escaped(&full, root);
	if (strcmp(root, "/"))
		buf_addc(&full, '/');
	buf_adds(&full, pattern + strspn(pattern, "/"));
	rc = glob(full.s, 0, NULL, &g);
	if (rc != 0 && rc != GLOB_NOMATCH) {
		*cause = xstrfmt("cannot match '%s': %s", pattern,
				 rc == GLOB_NOSPACE ? "out of memory" : "read error");
		goto out;
	}
	matches = json_array();
	for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++) {
		char *real = realpath(g.gl_pathv[i], NULL);
		const char *rel = g.gl_pathv[i] + strlen(root);

		if (real && inside(root, real)) {
			rel += strspn(rel, "/");
			json_array_append_new(matches, json_string(rel));
			count++;
		}
		free(real);
	}
	res->verified = count == (size_t)v->expect;
	res->source = xstrdup("story_artifact");
	if (!res->verified)
		res->reason = xstrfmt("expected %d matches of '%s', found %zu", v->expect, pattern,
				      count);
	o = json_object();
	json_object_set_new(o, "verified", json_boolean(res->verified));
	json_object_set_new(o, "source", json_string(res->source));
	json_object_set_new(o, "pattern", json_string(pattern));
	json_object_set_new(o, "expectedMatches", json_integer(v->expect));
	json_object_set_new(o, "actualMatches", json_integer((json_int_t)count));
	json_object_set_new(o, "matches", matches);
	if (res->reason)
		json_object_set_new(o, "reason", json_string(res->reason));
	res->json = dump(o);
	ret = 0;
out:
	globfree(&g);
	buf_release(&full);
	free(root);
	free(pattern);
	return ret;
}

/* ---- command ---- */

static int run_command(const struct verifier *v, const struct verify_ctx *ctx,
		       const struct tvars *vars, struct verify_result *res, char **cause)
{
	struct strvec argv = STRVEC_INIT;
	struct proc_opts o = { .cwd = ctx->root, .timeout_ms = ctx->timeout_ms };
	struct proc_result r;
	json_t *obj, *arr = json_array();
	int ret = -1;

	if (!v->argv.n) {
		*cause = xstrfmt("command verifier without a command");
		json_decref(arr);
		return -1;
	}
	for (size_t i = 0; i < v->argv.n; i++) {
		strvec_push_nodup(&argv, template_render(v->argv.v[i], vars));
		json_array_append_new(arr, json_string(argv.v[i]));
	}
	if (proc_run((const char *const *)argv.v, &o, &r) < 0) {
		*cause = r.not_found ? xstrfmt("command not found '%s'", argv.v[0])
				     : xstrfmt("cannot run '%s': %s", argv.v[0], strerror(errno));
		json_decref(arr);
		goto out;
	}
	res->verified = proc_ok(&r);
	res->source = xstrdup("command");
	if (!res->verified)
		res->reason = proc_describe(&r);
	obj = json_object();
	json_object_set_new(obj, "verified", json_boolean(res->verified));
	json_object_set_new(obj, "source", json_string(res->source));
	json_object_set_new(obj, "argv", arr);
	json_object_set_new(obj, "exitStatus", json_integer(r.status));
	if (res->reason)
		json_object_set_new(obj, "reason", json_string(res->reason));
	res->json = dump(obj);
	ret = 0;
out:
	proc_result_release(&r);
	strvec_release(&argv);
	return ret;
}

/* ---- epic completion ---- */

static int run_epic(const struct verify_ctx *ctx, struct verify_result *res, char **cause)
{
	struct bmad_status *s = NULL;
	struct storykey k;
	const char *epic = ctx->story->epic;
	char *spath = status_path(ctx->root, ctx->status_file);
	json_t *o, *stories;
	size_t total = 0, done = 0;

	if (!spath) {
		*cause = xstrfmt("no sprint-status.yaml under '%s'", ctx->root);
		return -1;
	}
	if (load_status(spath, &s, cause) < 0) {
		free(spath);
		return -1;
	}
	free(spath);
	if ((!epic || !*epic) && storykey_parse(story_key_of(ctx->story), &k) == 0)
		epic = k.epic;
	if (!epic)
		epic = "";
	stories = json_array();
	for (size_t i = 0; i < s->n; i++) {
		const struct bmad_entry *e = &s->v[i];
		json_t *one;

		if (e->kind != BMAD_STORY || strcmp(e->epic, epic))
			continue;
		total++;
		done += bmad_status_is_done(e->status);
		one = json_object();
		json_object_set_new(one, "story", json_string(e->key));
		json_object_set_new(one, "status", json_string(e->status));
		json_object_set_new(one, "done", json_boolean(bmad_status_is_done(e->status)));
		json_array_append_new(stories, one);
	}
	res->verified = total > 0 && done == total;
	res->source = xstrdup("sprint-status.yaml");
	if (!total)
		res->reason = xstrfmt("no stories of epic '%s' in sprint-status", epic);
	else if (done < total)
		res->reason = xstrfmt("%zu of %zu stories of epic '%s' are not done", total - done,
				      total, epic);
	o = json_object();
	json_object_set_new(o, "verified", json_boolean(res->verified));
	json_object_set_new(o, "source", json_string(res->source));
	json_object_set_new(o, "epic", json_string(epic));
	json_object_set_new(o, "allStoriesDone", json_boolean(res->verified));
	json_object_set_new(o, "total", json_integer((json_int_t)total));
	json_object_set_new(o, "done", json_integer((json_int_t)done));
	json_object_set_new(o, "stories", stories);
	if (res->reason)
		json_object_set_new(o, "reason", json_string(res->reason));
	res->json = dump(o);
	bmad_status_free(s);
	return 0;
}

int verify_run(const struct verifier *v, const struct verify_ctx *ctx, struct verify_result *res,
	       char **cause)
{
	static const struct tvars novars = { 0 };
	const struct tvars *vars = ctx->vars ? ctx->vars : &novars;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	switch (v->kind) {
	case VERIFIER_NONE:
		res->verified = true;
		res->source = xstrdup("none");
		res->json = xstrdup("{\"verified\":true,\"source\":\"none\"}");
		break;
	case VERIFIER_SESSION_EXIT:
		ret = run_session_exit(ctx, res);
		break;
	case VERIFIER_REVIEW_COMPLETION:
		ret = run_review(ctx, res, cause);
		break;
	case VERIFIER_STORY_ARTIFACT:
		ret = run_artifact(v, ctx, vars, res, cause);
		break;
	case VERIFIER_COMMAND:
		ret = run_command(v, ctx, vars, res, cause);
		break;
	case VERIFIER_EPIC_COMPLETE:
		ret = run_epic(ctx, res, cause);
		break;
	default:
		*cause = xstrfmt("unknown verifier kind %d", (int)v->kind);
		ret = -1;
		break;
	}
	if (ret < 0)
		verify_result_release(res);
	return ret;
}
