/*
 * status_usage.c: waits and usage for `automator status` (status_usage.h).
 * Reads the store only.
 */
#include <jansson.h>
#include <string.h>

#include "bmad.h"
#include "diag.h"
#include "status_usage.h"
#include "statusedit.h"
#include "store.h"
#include "util.h"

struct collect {
	json_t *by_story; /* story id -> object */
	json_t *total;
	struct store_usage sum;
};

static json_t *usage_json(const struct store_usage *u)
{
	json_t *o = json_pack("{s:i,s:I,s:I,s:I,s:I,s:I,s:I}", "sessions", u->sessions,
			      "input_tokens", (json_int_t)u->input_tokens, "output_tokens",
			      (json_int_t)u->output_tokens, "cache_read_tokens",
			      (json_int_t)u->cache_read_tokens, "cache_write_tokens",
			      (json_int_t)u->cache_write_tokens, "turns", (json_int_t)u->turns,
			      "duration_ms", (json_int_t)u->duration_ms);

	json_object_set_new(o, "cost_usd", u->has_cost ? json_real(u->cost_usd) : json_null());
	return o;
}

static int collect_usage(const char *story_id, const struct store_usage *u, void *arg)
{
	struct collect *c = arg;
	json_t *o = json_object_get(c->by_story, story_id);

	if (!o) {
		o = json_object();
		json_object_set_new(c->by_story, story_id, o);
	}
	json_object_set_new(o, "usage", usage_json(u));
	c->sum.sessions += u->sessions;
	c->sum.has_cost |= u->has_cost;
	c->sum.cost_usd += u->cost_usd;
	c->sum.input_tokens += u->input_tokens;
	c->sum.output_tokens += u->output_tokens;
	c->sum.cache_read_tokens += u->cache_read_tokens;
	c->sum.cache_write_tokens += u->cache_write_tokens;
	c->sum.turns += u->turns;
	c->sum.duration_ms += u->duration_ms;
	return 0;
}

static int collect_wait(const struct store_wait *w, void *arg)
{
	struct collect *c = arg;
	json_t *o = json_object_get(c->by_story, w->story_id);

	if (!w->until)
		return 0;
	if (!o) {
		o = json_object();
		json_object_set_new(c->by_story, w->story_id, o);
	}
	/* "2026-12-03T10:57:00Z": RFC 3339 in UTC already */
	json_object_set_new(o, "waiting_until", json_string(w->until));
	json_object_set_new(o, "waiting_reason", json_string(w->reason ? w->reason : "none"));
	return 0;
}

void status_usage_add(struct store *st, const char *run_id, json_t *stories, json_t *root)
{
	struct collect c = { json_object(), NULL, { 0 } };
	size_t i;
	json_t *s;

	store_usage_foreach(st, run_id, collect_usage, &c, NULL);
	store_waits_foreach(st, run_id, collect_wait, &c, NULL);
	json_array_foreach(stories, i, s)
	{
		const char *id = json_string_value(json_object_get(s, "id"));
		const char *state = json_string_value(json_object_get(s, "state"));
		json_t *o = id ? json_object_get(c.by_story, id) : NULL;
		json_t *u = o ? json_object_get(o, "usage") : NULL;
		struct store_usage none = { 0 };

		json_object_set(s, "usage", u ? u : usage_json(&none));
		if (!u)
			json_decref(json_object_get(s, "usage"));
		if (o && state && !strcmp(state, "WAITING") &&
		    json_object_get(o, "waiting_until")) {
			json_object_set(s, "waiting_until", json_object_get(o, "waiting_until"));
			json_object_set(s, "waiting_reason", json_object_get(o, "waiting_reason"));
		}
	}
	json_object_set_new(root, "usage", usage_json(&c.sum));
	json_decref(c.by_story);
}

/* Appends s (newly allocated; freed here) to list. */
static void append_owned(json_t *list, char *s)
{
	json_t *v = json_string(s); /* NULL for invalid UTF-8 */

	json_array_append_new(list, v ? v : json_string("(a warning that is not UTF-8)"));
	free(s);
}

void status_warnings_add(const char *project_root, json_t *root)
{
	json_t *list = json_array();
	struct diags d = DIAGS_INIT;
	struct bmad_status *bs;
	char *path = NULL;

	if (project_root && statusedit_find_file(project_root, &path) == 0) {
		if (bmad_status_load(path, &bs, &d) == 0) {
			for (size_t i = 0; i < bs->warnings.n; i++)
				append_owned(list, diag_format_warning(&bs->warnings.v[i]));
			bmad_status_free(bs);
		} else {
			/* it could not be read at all: say so, as the run would */
			for (size_t i = 0; i < d.n; i++)
				append_owned(list, diag_format(&d.v[i]));
		}
	}
	json_object_set_new(root, "warnings", list);
	diags_release(&d);
	free(path);
}
