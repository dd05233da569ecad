/* SPDX-License-Identifier: MIT */
/*
 * status_usage.c: waits and usage for `automator status` (status_usage.h).
 * Reads the store only.
 */
#include <stdlib.h>
#include <string.h>

#include "bmad.h"
#include "diag.h"
#include "jsonw.h"
#include "status_usage.h"
#include "statusedit.h"
#include "store.h"
#include "strmap.h"
#include "util.h"

struct collect {
	struct status_extra *x;
	const struct store_story_row *rows;
	size_t next;       /* the row after the last one found: sessions come in dispatch order */
	struct strmap ids; /* story id -> row index, filled at the first miss */
};

static bool row_of(struct collect *c, const char *id, size_t *i)
{
	size_t n = c->x->n;

	if (!id)
		return false;
	if (c->next < n && !strcmp(c->rows[c->next].story.story_id, id)) {
		*i = c->next++;
		return true;
	}
	if (!c->ids.cap && n) {
		strmap_reserve(&c->ids, n);
		for (size_t k = 0; k < n; k++)
			strmap_put(&c->ids, c->rows[k].story.story_id,
				   strlen(c->rows[k].story.story_id), k, NULL);
	}
	if (!strmap_get(&c->ids, id, strlen(id), i))
		return false;
	c->next = *i + 1;
	return true;
}

static void add_usage(struct store_usage *sum, const struct store_usage *u)
{
	sum->sessions += u->sessions;
	sum->has_cost |= u->has_cost;
	sum->cost_usd += u->cost_usd;
	sum->input_tokens += u->input_tokens;
	sum->output_tokens += u->output_tokens;
	sum->cache_read_tokens += u->cache_read_tokens;
	sum->cache_write_tokens += u->cache_write_tokens;
	sum->turns += u->turns;
	sum->duration_ms += u->duration_ms;
}

static int collect_usage(const char *story_id, const struct store_usage *u, void *arg)
{
	struct collect *c = arg;
	size_t i;

	if (row_of(c, story_id, &i))
		c->x->usage[i] = *u;
	add_usage(&c->x->total, u);
	return 0;
}

void status_extra_load(struct store *st, const char *run_id, const struct store_story_row *rows,
		       size_t n, struct status_extra *x)
{
	struct collect c = { x, rows, 0, STRMAP_INIT };

	memset(x, 0, sizeof(*x));
	x->n = n;
	x->usage = xcalloc(n + 1, sizeof(*x->usage));
	x->until = xcalloc(n + 1, sizeof(*x->until));
	x->reason = xcalloc(n + 1, sizeof(*x->reason));
	store_usage_foreach(st, run_id, collect_usage, &c, NULL);
	strmap_release(&c.ids);
	/* the waits came with the rows (store_story_rows) */
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].wait_until)
			continue;
		/* "2026-12-03T10:57:00Z": RFC 3339 in UTC already */
		x->until[i] = xstrdup(rows[i].wait_until);
		x->reason[i] = xstrdup(rows[i].wait_reason ? rows[i].wait_reason : "none");
	}
}

void status_extra_release(struct status_extra *x)
{
	for (size_t i = 0; i < x->n; i++) {
		free(x->until[i]);
		free(x->reason[i]);
	}
	free(x->usage);
	free(x->until);
	free(x->reason);
	memset(x, 0, sizeof(*x));
}

static void usage_members(struct jsonw *w, const char *key, const struct store_usage *u)
{
	jsonw_obj(w, key);
	jsonw_int(w, "sessions", u->sessions);
	jsonw_int(w, "input_tokens", u->input_tokens);
	jsonw_int(w, "output_tokens", u->output_tokens);
	jsonw_int(w, "cache_read_tokens", u->cache_read_tokens);
	jsonw_int(w, "cache_write_tokens", u->cache_write_tokens);
	jsonw_int(w, "turns", u->turns);
	jsonw_int(w, "duration_ms", u->duration_ms);
	if (u->has_cost)
		jsonw_real(w, "cost_usd", u->cost_usd);
	else
		jsonw_null(w, "cost_usd");
	jsonw_end(w);
}

static bool usage_none(const struct store_usage *u)
{
	return !u->sessions && !u->has_cost && !u->input_tokens && !u->output_tokens &&
	       !u->cache_read_tokens && !u->cache_write_tokens && !u->turns && !u->duration_ms;
}

void status_usage_write(struct jsonw *w, const char *key, const struct store_usage *u)
{
	/* a story not started yet (most of a big run): the same object, written once */
	static char *none;

	if (!usage_none(u)) {
		usage_members(w, key, u);
		return;
	}
	if (!none) {
		struct jsonw z = { BUF_INIT, 0, { 0 }, { 0 } };
		struct store_usage zero = { 0 };

		usage_members(&z, NULL, &zero);
		none = buf_detach(&z.b); /* kept for the process */
	}
	jsonw_raw(w, key, none);
}

void status_warnings(const char *project_root, struct strvec *out)
{
	struct diags d = DIAGS_INIT;
	struct bmad_status *bs;
	char *path = NULL;

	if (project_root && statusedit_find_file(project_root, &path) == 0) {
		if (bmad_status_load(path, &bs, &d) == 0) {
			for (size_t i = 0; i < bs->warnings.n; i++)
				strvec_push_nodup(out, diag_format_warning(&bs->warnings.v[i]));
			bmad_status_free(bs);
		} else {
			/* it could not be read at all: say so, as the run would */
			for (size_t i = 0; i < d.n; i++)
				strvec_push_nodup(out, diag_format(&d.v[i]));
		}
	}
	diags_release(&d);
	free(path);
}
