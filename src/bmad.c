/*
 * bmad.c: reading BMAD sprint-status.yaml. Parses YAML (never regexes), so
 * quoted values, comments and nested {status: x} forms all work. Must not
 * write files; editing a value belongs to the run loop.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bmad.h"
#include "schema.h"
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
	}
	free(s->v);
	free(s->file);
	free(s);
}

bool bmad_status_is_done(const char *status)
{
	return status && !strcasecmp(status, "done");
}

/* The status scalar of an entry's value: the value itself, or its status: key. */
static const struct ynode *status_node(struct lctx *cx, const struct ynode *key,
				       const struct ynode *val, bool *nested)
{
	const struct ynode *st;

	*nested = false;
	if (val && val->kind == YN_MAP) {
		*nested = true;
		st = ynode_get(val, "status");
		if (!st) {
			lctx_error(cx, val, "missing required key 'status' in '%s'", key->str);
			return NULL;
		}
		val = st;
	}
	if (!val || val->kind != YN_SCALAR || ynode_is_null(val)) {
		lctx_error(cx, val ? val : key, "expected a status value for '%s', got %s",
			   key->str, ynode_kind_name(val));
		return NULL;
	}
	return val;
}

/* A story entry's identity for the duplicate check: what storykey_same compares. */
struct same_key {
	char prefix[72];
	bool numeric;
	size_t i; /* index in s->v */
};

static int same_key_cmp(const void *a, const void *b)
{
	const struct same_key *x = a, *y = b;
	int c;

	if (x->numeric != y->numeric)
		return x->numeric ? 1 : -1;
	c = strcmp(x->prefix, y->prefix);
	if (c)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * Two keys naming the same story ("1-2" and "1-2-reset") are ambiguous:
 * each later one is reported against the first. Sorted, not compared in
 * pairs, so a sprint of hundreds of stories loads in well under a
 * millisecond. Returns the number of duplicates.
 */
static size_t check_duplicates(const struct bmad_status *s, const char *path, struct diags *d)
{
	struct same_key *k = xcalloc(s->n + 1, sizeof(*k));
	size_t *first = xcalloc(s->n + 1, sizeof(*first));
	size_t n = 0, dups = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct storykey sk;

		first[i] = SIZE_MAX;
		if (s->v[i].kind != BMAD_STORY || storykey_parse(s->v[i].key, &sk) < 0)
			continue;
		memcpy(k[n].prefix, sk.prefix, sizeof(k[n].prefix));
		k[n].numeric = sk.numeric;
		k[n++].i = i;
	}
	qsort(k, n, sizeof(*k), same_key_cmp);
	/* within a run of one story, sorted by index, the first is the original */
	for (size_t j = 1; j < n; j++) {
		size_t g = j - 1;

		if (k[g].numeric != k[j].numeric || strcmp(k[g].prefix, k[j].prefix))
			continue;
		first[k[j].i] = first[k[g].i] == SIZE_MAX ? k[g].i : first[k[g].i];
	}
	/* reported in file order, as a pairwise check would */
	for (size_t i = 0; i < s->n; i++) {
		const struct bmad_entry *e, *orig;

		if (first[i] == SIZE_MAX)
			continue;
		e = &s->v[i];
		orig = &s->v[first[i]];
		diags_add(d, path, e->line, e->col,
			  "story '%s' is listed twice (also as '%s' at line %d)", e->key, orig->key,
			  orig->line);
		dups++;
	}
	free(first);
	free(k);
	return dups;
}

int bmad_status_load(const char *path, struct bmad_status **out, struct diags *d)
{
	struct ydoc doc;
	struct lctx cx = { .file = path, .d = d };
	const struct ynode *dev;
	struct bmad_status *s;
	size_t cap = 0;

	if (ydoc_load(&doc, path, d) < 0)
		return -1;
	if (!doc.root) {
		lctx_error(&cx, NULL, "empty file");
		goto fail;
	}
	dev = ynode_get(doc.root, "development_status");
	if (doc.root->kind != YN_MAP || !dev) {
		lctx_error(&cx, doc.root, "missing required key 'development_status'");
		goto fail;
	}
	if (dev->kind != YN_MAP && !ynode_is_null(dev)) {
		lctx_error(&cx, dev, "expected a mapping for development_status, got %s",
			   ynode_kind_name(dev));
		goto fail;
	}
	s = xcalloc(1, sizeof(*s));
	s->file = xstrdup(path);
	for (size_t i = 0; dev->kind == YN_MAP && i < dev->n; i++) {
		const struct ynode *k = dev->pairs[i].key, *st;
		char epic[72] = "";
		struct bmad_entry *e;
		struct storykey sk;
		bool nested;
		int kind = storykey_classify(k->str, epic, sizeof(epic));

		if (kind < 0) {
			char *why = storykey_problem(k->str);

			lctx_error(&cx, k, "invalid story key '%s' (%s)", k->str,
				   why ? why : "not a valid key");
			free(why);
			continue;
		}
		st = status_node(&cx, k, dev->pairs[i].val, &nested);
		if (!st)
			continue;
		ALLOC_GROW(s->v, s->n + 1, cap);
		e = &s->v[s->n++];
		memset(e, 0, sizeof(*e));
		e->key = xstrdup(k->str);
		e->kind = kind == 1 ? BMAD_EPIC : kind == 2 ? BMAD_RETRO : BMAD_STORY;
		if (kind == 0 && storykey_parse(k->str, &sk) == 0)
			e->epic = xstrdup(sk.epic);
		else
			e->epic = xstrdup(epic);
		e->status = xstrdup(st->str);
		e->line = k->line;
		e->col = k->col;
		e->vstart = st->start;
		e->vend = st->end;
		e->nested = nested;
	}
	if (check_duplicates(s, path, d) > 0)
		cx.errors++;
	if (cx.errors) {
		bmad_status_free(s);
		goto fail;
	}
	ydoc_release(&doc);
	*out = s;
	return 0;
fail:
	ydoc_release(&doc);
	return -1;
}

const struct bmad_entry *bmad_status_find(const struct bmad_status *s, const char *story)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].kind == BMAD_STORY &&
		    (!strcmp(s->v[i].key, story) || storykey_same(s->v[i].key, story)))
			return &s->v[i];
	return NULL;
}
