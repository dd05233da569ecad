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
	struct strmap ids; /* story id -> row index */
};

static bool row_of(struct collect *c, const char *id, size_t *i)
{
	return id && strmap_get(&c->ids, id, strlen(id), i);
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

static int collect_wait(const struct store_wait *w, void *arg)
{
	struct collect *c = arg;
	size_t i;

	if (!w->until || !row_of(c, w->story_id, &i))
		return 0;
	free(c->x->until[i]);
	free(c->x->reason[i]);
	/* "2026-12-03T10:57:00Z": RFC 3339 in UTC already */
	c->x->until[i] = xstrdup(w->until);
	c->x->reason[i] = xstrdup(w->reason ? w->reason : "none");
	return 0;
}

void status_extra_load(struct store *st, const char *run_id, const struct store_story_row *rows,
		       size_t n, struct status_extra *x)
{
	struct collect c = { x, STRMAP_INIT };

	memset(x, 0, sizeof(*x));
	x->n = n;
	x->usage = xcalloc(n + 1, sizeof(*x->usage));
	x->until = xcalloc(n + 1, sizeof(*x->until));
	x->reason = xcalloc(n + 1, sizeof(*x->reason));
	for (size_t i = 0; i < n; i++)
		strmap_put(&c.ids, rows[i].story.story_id, strlen(rows[i].story.story_id), i, NULL);
	store_usage_foreach(st, run_id, collect_usage, &c, NULL);
	store_waits_foreach(st, run_id, collect_wait, &c, NULL);
	strmap_release(&c.ids);
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

void status_usage_write(struct jsonw *w, const char *key, const struct store_usage *u)
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
