/* SPDX-License-Identifier: MIT */
/*
 * bmad.c: reading BMAD sprint-status.yaml. Parses YAML (never regexes), so
 * quoted values, comments and nested {status: x} forms all work; only a
 * file libyaml refuses is read line by line (bmad_lines.c), for its
 * development_status block alone. Tolerant: other tools write these files, so whatever does
 * not stop the load is a warning. Must not write files; editing a value
 * belongs to statusedit.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bmad.h"
#include "bmad_int.h"
#include "storykey.h"
#include "util.h"
#include "ydoc.h"

void bmad_status_free(struct bmad_status *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].key);
		free(s->v[i].epic);
		free(s->v[i].status);
		free(s->v[i].prefix);
	}
	free(s->v);
	free(s->file);
	free(s->not_yaml);
	free(s->read_only);
	strmap_release(&s->by_key);
	diags_release(&s->warnings);
	free(s);
}

bool bmad_status_is_done(const char *status)
{
	return status && !strcasecmp(status, "done");
}

/* Why key is not a usable key (storykey_key_ok fails), for a warning. */
static char *key_problem(const char *key)
{
	size_t n = strlen(key);

	if (n == 0)
		return xstrdup("empty");
	if (n >= STORYKEY_MAX)
		return xstrfmt("%zu bytes, at most %d", n, STORYKEY_MAX - 1);
	if (key[0] == '-' || key[0] == '.')
		return xstrfmt("must not start with '%c'", key[0]);
	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		if (*p == ' ' || *p == '/' || *p == '\\')
			return xstrfmt("character '%c' not allowed", *p);
		if (*p < 0x20 || *p == 0x7f)
			return xstrfmt("control character 0x%02x not allowed", *p);
	}
	return xstrdup("not valid UTF-8");
}

/*
 * Adds an entry, or (a key seen before: YAML's last value wins, as PyYAML
 * reads it) replaces the earlier one's value and warns. key is the key as
 * written; kind from storykey_classify.
 */
void bmad__add_entry(struct bmad_status *s, size_t *cap, const char *key, int kind,
		     const char *epic, const char *status, int line, int col, size_t vstart,
		     size_t vend, bool nested)
{
	struct bmad_entry *e = NULL;
	struct storykey sk;
	size_t at;

	if (strmap_get(&s->by_key, key, strlen(key), &at))
		e = &s->v[at];
	if (e) {
		diags_add(&s->warnings, s->file, line, col,
			  "duplicate key '%s' (first at line %d): the last value is used", key,
			  e->line);
		free(e->status);
	} else {
		ALLOC_GROW(s->v, s->n + 1, *cap);
		e = &s->v[s->n++];
		memset(e, 0, sizeof(*e));
		e->key = xstrdup(key);
		/* the key's bytes live as long as the entry: the map borrows them */
		strmap_put(&s->by_key, e->key, strlen(e->key), s->n - 1, NULL);
		e->kind = kind == 1 ? BMAD_EPIC : kind == 2 ? BMAD_RETRO : BMAD_STORY;
		if (kind == 0 && storykey_parse(key, &sk) == 0) {
			e->epic = xstrdup(sk.epic);
			e->prefix = xstrdup(sk.prefix);
			e->numeric = sk.numeric;
		} else {
			e->epic = xstrdup(epic);
		}
	}
	e->status = xstrdup(status);
	e->line = line;
	e->col = col;
	e->vstart = vstart;
	e->vend = vend;
	e->nested = nested;
}

/* Classifies key for an entry; -1 after a warning when it is not usable. */
int bmad__classify(struct bmad_status *s, const char *key, int line, int col, char *epic,
		   int epiclen)
{
	int kind = storykey_classify(key, epic, epiclen);

	if (kind < 0) {
		char *why = key_problem(key);

		diags_add(&s->warnings, s->file, line, col, "invalid story key '%s' (%s): skipped",
			  key, why);
		free(why);
	}
	return kind;
}

/* ---- the YAML reading ---- */

/* The status scalar of an entry's value: the value itself, or its last status: key. */
static const struct ynode *status_node(struct bmad_status *s, const struct ynode *key,
				       const struct ynode *val, bool *nested)
{
	const struct ynode *st = NULL;

	*nested = false;
	if (val && val->kind == YN_MAP) {
		*nested = true;
		for (size_t i = 0; i < val->n; i++)
			if (!strcmp(val->pairs[i].key->str, "status"))
				st = val->pairs[i].val;
		if (!st) {
			diags_add(&s->warnings, s->file, val->line, val->col,
				  "missing key 'status' in '%s': skipped", key->str);
			return NULL;
		}
		val = st;
	}
	if (!val || val->kind != YN_SCALAR || ynode_is_null(val)) {
		const struct ynode *at = val ? val : key;

		diags_add(&s->warnings, s->file, at->line, at->col,
			  "expected a status value for '%s', got %s: skipped", key->str,
			  ynode_kind_name(val));
		return NULL;
	}
	return val;
}

/* Warns about every top-level key written twice; returns the last development_status. */
static const struct ynode *dev_map(struct bmad_status *s, const struct ynode *root)
{
	const struct ynode *dev = NULL;

	for (size_t i = 0; i < root->n; i++) {
		const struct ynode *k = root->pairs[i].key;

		for (size_t j = 0; j < i; j++) {
			if (!strcmp(root->pairs[j].key->str, k->str)) {
				diags_add(&s->warnings, s->file, k->line, k->col,
					  "duplicate key '%s' (first at line %d): the last value "
					  "is used",
					  k->str, root->pairs[j].key->line);
				break;
			}
		}
		if (!strcmp(k->str, "development_status"))
			dev = root->pairs[i].val;
	}
	return dev;
}

/* The scalar value of key in map n, or NULL. */
static const struct ynode *scalar_at(const struct ynode *n, const char *key)
{
	const struct ynode *v = n && n->kind == YN_MAP ? ynode_get(n, key) : NULL;

	return v && v->kind == YN_SCALAR && !ynode_is_null(v) && *v->str ? v : NULL;
}

/*
 * id as a key: "story-1.1", "Story 1.1" and "1.1" are 1-1; "epic-2" and
 * "2" are epic-2 (epic); newly allocated, or NULL when it is neither.
 */
static char *list_key(const char *id, bool epic)
{
	struct storykey k;
	const char *p = id;

	if (!strncasecmp(p, epic ? "epic" : "story", epic ? 4 : 5)) {
		p += epic ? 4 : 5;
		p += strspn(p, "-_ ");
	}
	if (epic)
		return *p && strspn(p, "0123456789") == strlen(p) ? xstrfmt("epic-%s", p) : NULL;
	return storykey_parse(p, &k) == 0 && k.numeric ? xstrdup(k.prefix) : NULL;
}

/*
 * The epics: list form: [{id, status, stories: [{id, status}]}]. Adds its
 * epics and stories; false when root has no such list (nothing added).
 */
static bool read_epics_list(struct bmad_status *s, const struct ynode *epics)
{
	size_t cap = 0, before = s->n;

	if (!epics || epics->kind != YN_SEQ)
		return false;
	for (size_t i = 0; i < epics->n; i++) {
		const struct ynode *ep = epics->items[i], *stories, *id, *st;
		char *ekey;

		if (!(id = scalar_at(ep, "id")) || !(ekey = list_key(id->str, true)))
			continue;
		if ((st = scalar_at(ep, "status")))
			bmad__add_entry(s, &cap, ekey, 1, ekey + 5, st->str, id->line, id->col,
					st->start, st->end, true);
		stories = ynode_get(ep, "stories");
		for (size_t j = 0; stories && stories->kind == YN_SEQ && j < stories->n; j++) {
			const struct ynode *sy = stories->items[j], *sid = scalar_at(sy, "id");
			const struct ynode *sst = scalar_at(sy, "status");
			char *key = sid ? list_key(sid->str, false) : NULL;

			if (!key || !sst) {
				const struct ynode *at = sid ? sid : sy;

				diags_add(&s->warnings, s->file, at->line, at->col,
					  "a story of epic '%s' without a usable id and status: "
					  "skipped",
					  ekey);
			} else {
				bmad__add_entry(s, &cap, key, 0, ekey + 5, sst->str, sid->line,
						sid->col, sst->start, sst->end, true);
			}
			free(key);
		}
		free(ekey);
	}
	if (s->n == before)
		return false;
	s->read_only = xstrdup("its stories are in an epics: list, not under development_status");
	diags_add(&s->warnings, s->file, epics->line, epics->col,
		  "no development_status: the stories were read from the epics: list (read "
		  "only)");
	return true;
}

static int read_yaml(struct bmad_status *s, const struct ydoc *doc, struct diags *d)
{
	const struct ynode *dev;
	size_t cap = 0;

	if (!doc->root || ynode_is_null(doc->root))
		return diag_error(d, s->file, doc->root ? doc->root->line : 1,
				  doc->root ? doc->root->col : 1, "empty file");
	dev = doc->root->kind == YN_MAP ? dev_map(s, doc->root) : NULL;
	if (!dev && doc->root->kind == YN_MAP && read_epics_list(s, ynode_get(doc->root, "epics")))
		return 0;
	if (!dev)
		return diag_error(d, s->file, doc->root->line, doc->root->col,
				  "missing required key 'development_status'");
	if (dev->kind != YN_MAP && !ynode_is_null(dev))
		return diag_error(d, s->file, dev->line, dev->col,
				  "expected a mapping for development_status, got %s",
				  ynode_kind_name(dev));
	for (size_t i = 0; dev->kind == YN_MAP && i < dev->n; i++) {
		const struct ynode *k = dev->pairs[i].key, *st;
		char epic[STORYKEY_MAX];
		bool nested;
		int kind;

		epic[0] = '\0';
		kind = bmad__classify(s, k->str, k->line, k->col, epic, sizeof(epic));

		if (kind < 0)
			continue;
		st = status_node(s, k, dev->pairs[i].val, &nested);
		if (!st)
			continue;
		{
			/* a block scalar (|, >) ends in a newline: the status is its text */
			size_t b = strspn(st->str, " \t\r\n"), e = strlen(st->str);
			char *v;

			while (e > b && strchr(" \t\r\n", st->str[e - 1]))
				e--;
			v = xstrndup(st->str + b, e - b);
			if (strchr(st->str, '\n'))
				diags_add(
					&s->warnings, s->file, st->line, st->col,
					"the status of '%s' is written as a block scalar: read as "
					"'%s'",
					k->str, v);
			bmad__add_entry(s, &cap, k->str, kind, epic, v, k->line, k->col, st->start,
					st->end, nested);
			free(v);
		}
	}
	return 0;
}

/* ---- loading ---- */

/*
 * Stories numbered alike ("11-1-bug-fixes" and "11-1-convert-html", or
 * "1-2" and "1-2-reset") are all kept; the number alone is then ambiguous,
 * which each later one warns about. Sorted, not compared in pairs, so a
 * sprint of hundreds of stories loads in well under a millisecond.
 */
struct same_key {
	const struct bmad_entry *e;
	size_t i; /* index in s->v */
};

static int same_key_cmp(const void *a, const void *b)
{
	const struct same_key *x = a, *y = b;
	int c;

	if (x->e->numeric != y->e->numeric)
		return x->e->numeric ? 1 : -1;
	c = strcmp(x->e->prefix, y->e->prefix);
	if (c)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

static void check_numbers(struct bmad_status *s)
{
	struct same_key *k = xcalloc(s->n + 1, sizeof(*k));
	size_t *first = xcalloc(s->n + 1, sizeof(*first));
	size_t n = 0;

	/* the stories whose key parsed (add_entry kept its prefix form) */
	for (size_t i = 0; i < s->n; i++) {
		first[i] = SIZE_MAX;
		if (s->v[i].kind != BMAD_STORY || !s->v[i].prefix)
			continue;
		k[n].e = &s->v[i];
		k[n++].i = i;
	}
	qsort(k, n, sizeof(*k), same_key_cmp);
	for (size_t j = 1; j < n; j++) {
		size_t g = j - 1;

		if (k[g].e->numeric != k[j].e->numeric || strcmp(k[g].e->prefix, k[j].e->prefix))
			continue;
		first[k[j].i] = first[k[g].i] == SIZE_MAX ? k[g].i : first[k[g].i];
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct bmad_entry *e, *orig;
		struct storykey sk;

		if (first[i] == SIZE_MAX)
			continue;
		e = &s->v[i];
		orig = &s->v[first[i]];
		storykey_parse(e->key, &sk);
		diags_add(&s->warnings, s->file, e->line, e->col,
			  "story '%s' has the same number as '%s' (line %d): '%s' names both, "
			  "use the full key",
			  e->key, orig->key, orig->line, sk.id);
	}
	free(first);
	free(k);
}

/* True for an error that line-by-line reading cannot get around. */
static bool fatal(const struct diag *dg)
{
	return dg->line <= 0 || !strncmp(dg->msg, "binary data", 11) ||
	       !strncmp(dg->msg, "not valid UTF-8", 15);
}

/* Hands s out with its warnings in order when ret is 0; frees it otherwise. */
static int finish(struct bmad_status *s, int ret, struct bmad_status **out)
{
	if (ret < 0) {
		bmad_status_free(s);
		return -1;
	}
	check_numbers(s);
	diags_sort(&s->warnings);
	*out = s;
	return 0;
}

int bmad_status_from_doc(const char *path, const struct ydoc *doc, struct bmad_status **out,
			 struct diags *d)
{
	struct bmad_status *s = xcalloc(1, sizeof(*s));

	s->file = xstrdup(path);
	return finish(s, read_yaml(s, doc, d), out);
}

int bmad_status_from_text(const char *path, const char *text, size_t len, struct diags *yd,
			  struct bmad_status **out, struct diags *d)
{
	struct bmad_status *s = xcalloc(1, sizeof(*s));
	int ret = -1;

	s->file = xstrdup(path);
	if (text && yd->n && !fatal(&yd->v[0]) && bmad__read_lines(s, text, len) == 0) {
		const struct diag *dg = &yd->v[0];

		s->not_yaml = xstrfmt("line %d: %s", dg->line, dg->msg);
		/* sorted with the others: at its line */
		diags_add(&s->warnings, path, dg->line, dg->col,
			  "%s; development_status was read line by line", dg->msg);
		diags_sort(&s->warnings);
		ret = 0;
	} else {
		diags_move(d, yd);
	}
	return finish(s, ret, out);
}

int bmad_status_load(const char *path, struct bmad_status **out, struct diags *d)
{
	struct diags yd = DIAGS_INIT;
	struct ydoc doc;
	char *text = NULL;
	size_t len = 0;
	int ret;

	if (ydoc_load_flags(&doc, path, YDOC_DUPLICATE_KEYS, &yd) == 0) {
		ret = bmad_status_from_doc(path, &doc, out, d);
		ydoc_release(&doc);
		return ret;
	}
	/* libyaml refused it: the text again, for the line-by-line reader */
	if (yd.n && !fatal(&yd.v[0]) && read_file(path, &text, &len) < 0)
		text = NULL;
	ret = bmad_status_from_text(path, text, len, &yd, out, d);
	free(text);
	diags_release(&yd);
	return ret;
}

/* True when e is a story whose key's prefix form is story as written ("6-1-a"). */
static bool prefix_is(const struct bmad_entry *e, const char *story, size_t n)
{
	if (e->kind != BMAD_STORY || strncmp(e->key, story, n) || e->key[n] != '-')
		return false;
	return e->prefix && !strcmp(e->prefix, story);
}

/*
 * Every key form is parsed once: the entries' at load (bmad_entry.prefix),
 * story's here, so matching costs a string compare per entry.
 */
size_t bmad_status_match(const struct bmad_status *s, const char *story,
			 const struct bmad_entry **v, size_t max)
{
	size_t n = 0, len = strlen(story), at;
	struct storykey k;

	/* the key as written: add_entry keeps one entry per key, in by_key */
	if (strmap_get(&s->by_key, story, len, &at) && at < s->n && s->v[at].kind == BMAD_STORY &&
	    !strcmp(s->v[at].key, story)) {
		if (max)
			v[0] = &s->v[at];
		return 1;
	}
	/* the prefix as written: "6-1-a" names 6-1-a-types, not the 6-1-... story */
	for (size_t i = 0; i < s->n; i++) {
		if (!prefix_is(&s->v[i], story, len))
			continue;
		if (n < max)
			v[n] = &s->v[i];
		n++;
	}
	if (n || storykey_parse(story, &k) < 0)
		return n;
	/* the same number (storykey_same) */
	for (size_t i = 0; i < s->n; i++) {
		const struct bmad_entry *e = &s->v[i];

		if (e->kind != BMAD_STORY || !e->prefix || e->numeric != k.numeric ||
		    strcmp(e->prefix, k.prefix))
			continue;
		if (n < max)
			v[n] = e;
		n++;
	}
	return n;
}

const struct bmad_entry *bmad_status_find(const struct bmad_status *s, const char *story)
{
	const struct bmad_entry *e = NULL;

	return bmad_status_match(s, story, &e, 1) == 1 ? e : NULL;
}
