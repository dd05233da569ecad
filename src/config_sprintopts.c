/* SPDX-License-Identifier: MIT */
/*
 * config_sprintopts.c: a sprint's options: limits, agent overrides,
 * notify routes, trigger overrides, the review contract.
 * Must not start processes or write files.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bmad.h"
#include "config_int.h"
#include "shellwords.h"
#include "storykey.h"

int cfg_parse_limits(struct lctx *cx, const struct ynode *n, void *obj)
{
	static const struct field fields[] = {
		{ "review_cycles", FT_INT, offsetof(struct limits, review_cycles), 0, NULL, 1,
		  100 },
		{ "crash_retries", FT_INT, offsetof(struct limits, crash_retries), 0, NULL, 0,
		  100 },
		{ "idle_timeout", FT_DURATION, offsetof(struct limits, idle_timeout), 0, NULL, 1,
		  0 },
		{ "step_timeout", FT_DURATION, offsetof(struct limits, step_timeout), 0, NULL, 1,
		  0 },
		{ "retry_patience", FT_DURATION, offsetof(struct limits, retry_patience), 0, NULL,
		  1, 0 },
		{ "max_wait", FT_DURATION, offsetof(struct limits, max_wait), 0, NULL, 0, 0 },
		{ "max_cost_usd", FT_NUMBER, offsetof(struct limits, max_cost_usd), 0, NULL, 0, 0 },
		{ "max_cost_usd_run", FT_NUMBER, offsetof(struct limits, max_cost_usd_run), 0, NULL,
		  0, 0 },
		{ "restart_reset_after", FT_DURATION, offsetof(struct limits, restart_reset_after),
		  0, NULL, 1, 0 },
		{ "restart_cooldown", FT_DURATION, offsetof(struct limits, restart_cooldown), 0,
		  NULL, 0, 0 },
		{ "restart_cooldown_max", FT_DURATION,
		  offsetof(struct limits, restart_cooldown_max), 0, NULL, 1, 0 },
	};
	struct sprint *s = obj;

	return schema_map(cx, n, fields, ARRAY_SIZE(fields), &s->limits, "limits");
}

int cfg_parse_sprint_agents(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct sprint *s = obj;

	return cfg_read_agents_map(cx, n, s->agents);
}

/* notify: { routes: {SEVERITY: [route...]}, command: [argv], stale_after, max_reescalations } */
static int parse_notify_routes(struct lctx *cx, const struct ynode *n, void *obj)
{
	static const char *const sev[] = { "MEDIUM", "HIGH", "CRITICAL", NULL };
	struct notify_cfg *nc = obj;
	size_t before = cx->errors;

	if (!n || n->kind != YN_MAP)
		return lctx_error(cx, n, "expected a mapping of severities to routes, got %s",
				  ynode_kind_name(n));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->pairs[i].key;
		struct strvec names = STRVEC_INIT;
		int level = -1;
		unsigned bits = 0;

		for (int j = 0; sev[j]; j++)
			if (!strcmp(sev[j], k->str))
				level = j;
		if (level < 0) {
			lctx_error(cx, k,
				   "unknown severity '%s' (expected MEDIUM, HIGH or CRITICAL)",
				   k->str);
			continue;
		}
		if (schema_strlist(cx, n->pairs[i].val, &names) == 0) {
			for (size_t j = 0; j < names.n; j++) {
				int r = -1;

				for (int m = 0; notify_route_names[m]; m++)
					if (!strcmp(notify_route_names[m], names.v[j]))
						r = m;
				if (r < 0)
					lctx_error(cx, n->pairs[i].val,
						   "unknown route '%s' (expected log, bell, tmux, "
						   "desktop, command or changelog)",
						   names.v[j]);
				else
					bits |= 1u << r;
			}
			nc->routes[level] = bits;
		}
		strvec_release(&names);
	}
	return cx->errors > before ? -1 : 0;
}

/* notify.command: a list or a string, as an agent's command (cfg_read_command) */
static int parse_notify_command(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct notify_cfg *nc = obj;

	if (cfg_read_command(cx, n, &nc->command) < 0)
		return -1;
	if (!nc->command.n)
		return lctx_error(cx, n, "empty command in notify");
	return 0;
}

/*
 * notify.changelog: a path in the project (relative, no ".."), a template
 * of {story.id}, {story.key}, {story.epic}
 */
static int parse_notify_changelog(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct notify_cfg *nc = obj;
	char *p = NULL;

	if (schema_str(cx, n, &p) < 0)
		return -1;
	if (!*p || *p == '/' || !strcmp(p, "..") || str_starts_with(p, "../") ||
	    strstr(p, "/../") || str_ends_with(p, "/..") || str_ends_with(p, "/")) {
		free(p);
		return lctx_error(cx, n,
				  "changelog must be a file's path inside the project, relative "
				  "to its root, without '..'");
	}
	free(nc->changelog);
	nc->changelog = p;
	return 0;
}

int cfg_parse_notify(struct lctx *cx, const struct ynode *n, void *obj)
{
	static const struct field fields[] = {
		{ "routes", FT_CUSTOM, 0, 0, parse_notify_routes, 0, 0 },
		{ "command", FT_CUSTOM, 0, 0, parse_notify_command, 0, 0 },
		{ "changelog", FT_CUSTOM, 0, 0, parse_notify_changelog, 0, 0 },
		{ "stale_after", FT_DURATION, offsetof(struct notify_cfg, stale_after), 0, NULL, 1,
		  0 },
		{ "max_reescalations", FT_INT, offsetof(struct notify_cfg, max_reescalations), 0,
		  NULL, 0, 10 },
	};
	struct sprint *s = obj;
	int ret = schema_map(cx, n, fields, ARRAY_SIZE(fields), &s->notify, "notify");

	if (ret == 0 &&
	    (s->notify.routes[0] | s->notify.routes[1] | s->notify.routes[2]) &
		    (1u << NR_command) &&
	    !s->notify.command.n)
		return lctx_error(cx, n, "route 'command' needs notify.command");
	return ret;
}

/*
 * triggers: { KEY: { title: ..., message: ..., labels: {"1": ...} } }:
 * a sprint may reword a trigger; its category, severity and actions stay.
 */
int cfg_parse_trigger_overrides(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct sprint *s = obj;
	size_t before = cx->errors;

	if (!s->triggers)
		return 0; /* the catalogue failed to load: reported already */
	if (!n || n->kind != YN_MAP)
		return lctx_error(cx, n, "expected a mapping of trigger keys to overrides, got %s",
				  ynode_kind_name(n));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->pairs[i].key, *v = n->pairs[i].val, *labels;
		struct trigger *t = (struct trigger *)triggers_find(s->triggers, k->str);
		static const char *const keys[] = { "title", "message", "labels", NULL };

		if (!t) {
			lctx_error(cx, k, "unknown trigger '%s'", k->str);
			continue;
		}
		if (!v || v->kind != YN_MAP) {
			lctx_error(cx, v ? v : k, "expected a mapping for trigger '%s', got %s",
				   k->str, ynode_kind_name(v));
			continue;
		}
		if (cfg_check_top(cx, v, keys, "a trigger override") < 0)
			continue;
		if (ynode_get(v, "title")) {
			char *x;

			if (schema_str(cx, ynode_get(v, "title"), &x) == 0) {
				free(t->title);
				t->title = x;
			}
		}
		if (ynode_get(v, "message")) {
			char *x;

			if (schema_str(cx, ynode_get(v, "message"), &x) == 0 &&
			    schema_template(cx, ynode_get(v, "message"), x, cfg_message_names) ==
				    0) {
				free(t->message);
				t->message = x;
			} else if (x) {
				free(x);
			}
		}
		labels = ynode_get(v, "labels");
		if (labels && labels->kind != YN_MAP) {
			lctx_error(cx, labels,
				   "expected a mapping of option keys to labels, got %s",
				   ynode_kind_name(labels));
			continue;
		}
		for (size_t j = 0; labels && j < labels->n; j++) {
			const struct ynode *ok = labels->pairs[j].key;
			struct trigger_option *o = NULL;
			char *x;

			for (size_t m = 0; m < t->noptions; m++)
				if (!strcmp(t->options[m].key, ok->str))
					o = &t->options[m];
			if (!o) {
				lctx_error(cx, ok, "trigger '%s' has no option '%s'", k->str,
					   ok->str);
				continue;
			}
			if (schema_str(cx, labels->pairs[j].val, &x) == 0) {
				free(o->label);
				o->label = x;
			}
		}
	}
	return cx->errors > before ? -1 : 0;
}

/* review_contract: { sources: [sprint-status.yaml, story-file], done_values: [done] } */
int cfg_parse_review_contract(struct lctx *cx, const struct ynode *n, void *obj)
{
	static const struct field fields[] = {
		{ "sources", FT_STRLIST, offsetof(struct sprint, review_sources), 0, NULL, 0, 0 },
		{ "done_values", FT_STRLIST, offsetof(struct sprint, review_done), 0, NULL, 0, 0 },
	};
	struct sprint *s = obj;
	size_t before = cx->errors;

	if (schema_map(cx, n, fields, ARRAY_SIZE(fields), s, "review_contract") < 0)
		return -1;
	for (size_t i = 0; i < s->review_sources.n; i++) {
		const char *src = s->review_sources.v[i];

		if (strcmp(src, "sprint-status.yaml") && strcmp(src, "story-file"))
			lctx_error(cx, ynode_get(n, "sources"),
				   "unknown review source '%s' (expected sprint-status.yaml or "
				   "story-file)",
				   src);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(s->review_sources.v[j], src))
				lctx_error(cx, ynode_get(n, "sources"),
					   "review source '%s' given twice", src);
	}
	if (ynode_get(n, "done_values") && !s->review_done.n)
		lctx_error(cx, ynode_get(n, "done_values"), "done_values needs at least one value");
	return cx->errors > before ? -1 : 0;
}
