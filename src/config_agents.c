/* SPDX-License-Identifier: MIT */
/*
 * config_agents.c: the agent presets (data/agents.yaml and a sprint's agents:):
 * command, environment, output format, fallbacks and the pattern classes.
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

static void agent_release(struct agent *a)
{
	free(a->name);
	free(a->description);
	strvec_release(&a->command);
	strvec_release(&a->env);
	free(a->output);
	free(a->fallback);
	patlist_release(&a->success);
	patlist_release(&a->failure);
	patlist_release(&a->prompt_wait);
	patlist_release(&a->rate_limit);
	patlist_release(&a->usage_limit);
	patlist_release(&a->overloaded);
	patlist_release(&a->server_error);
	patlist_release(&a->network);
	patlist_release(&a->retrying);
	patlist_release(&a->unavailable);
	free(a->file);
}

void agents_free(struct agent_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		agent_release(&s->v[i]);
	free(s->v);
	free(s);
}

const struct agent *agents_find(const struct agent_set *s, const char *name)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (!strcmp(s->v[i].name, name))
			return &s->v[i];
	return NULL;
}

static int parse_agent_env(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct agent *a = obj;
	int ret = 0;

	if (!n || n->kind != YN_MAP)
		return lctx_error(cx, n, "expected a mapping for env, got %s", ynode_kind_name(n));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->pairs[i].key, *v = n->pairs[i].val;
		size_t len = strspn(k->str, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					    "0123456789_");
		char *val;

		if (len == 0 || k->str[len] || (k->str[0] >= '0' && k->str[0] <= '9')) {
			ret = lctx_error(cx, k, "invalid environment variable name '%s'", k->str);
			continue;
		}
		if (schema_str(cx, v, &val) < 0) {
			ret = -1;
			continue;
		}
		if (schema_template(cx, v, val, template_names) < 0)
			ret = -1;
		strvec_push_nodup(&a->env, xstrfmt("%s=%s", k->str, val));
		free(val);
	}
	return ret;
}

static int parse_agent_output(struct lctx *cx, const struct ynode *n, void *obj)
{
	static const char *const kinds[] = { "text", "claude-stream-json", "codex-json", NULL };
	struct agent *a = obj;

	if (schema_str(cx, n, &a->output) < 0)
		return -1;
	for (const char *const *k = kinds; *k; k++)
		if (!strcmp(*k, a->output))
			return 0;
	return lctx_error(cx, n,
			  "unknown output format '%s' (expected text, claude-stream-json "
			  "or codex-json)",
			  a->output);
}

static int parse_agent_command(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct agent *a = obj;

	return cfg_read_command(cx, n, &a->command);
}

static const struct field agent_fields[] = {
	{ "description", FT_STR, offsetof(struct agent, description), 0, NULL, 0, 0 },
	{ "command", FT_CUSTOM, 0, F_REQUIRED, parse_agent_command, 0, 0 },
	{ "env", FT_CUSTOM, 0, 0, parse_agent_env, 0, 0 },
	{ "output", FT_CUSTOM, 0, 0, parse_agent_output, 0, 0 },
	{ "fallback", FT_STR, offsetof(struct agent, fallback), 0, NULL, 0, 0 },
	{ "success", FT_PATTERNS, offsetof(struct agent, success), 0, NULL, 0, 0 },
	{ "failure", FT_PATTERNS, offsetof(struct agent, failure), 0, NULL, 0, 0 },
	{ "prompt_wait", FT_PATTERNS, offsetof(struct agent, prompt_wait), 0, NULL, 0, 0 },
	{ "rate_limit", FT_PATTERNS, offsetof(struct agent, rate_limit), 0, NULL, 0, 0 },
	{ "unavailable", FT_PATTERNS, offsetof(struct agent, unavailable), 0, NULL, 0, 0 },
	{ "usage_limit", FT_PATTERNS, offsetof(struct agent, usage_limit), 0, NULL, 0, 0 },
	{ "overloaded", FT_PATTERNS, offsetof(struct agent, overloaded), 0, NULL, 0, 0 },
	{ "server_error", FT_PATTERNS, offsetof(struct agent, server_error), 0, NULL, 0, 0 },
	{ "network", FT_PATTERNS, offsetof(struct agent, network), 0, NULL, 0, 0 },
	{ "retrying", FT_PATTERNS, offsetof(struct agent, retrying), 0, NULL, 0, 0 },
};

/* Reads the agents mapping n into set, replacing presets of the same name. */
int cfg_read_agents_map(struct lctx *cx, const struct ynode *n, struct agent_set *set)
{
	size_t before = cx->errors;

	if (!n || n->kind != YN_MAP)
		return lctx_error(cx, n, "expected a mapping of agent names to presets, got %s",
				  ynode_kind_name(n));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->pairs[i].key, *v = n->pairs[i].val;
		struct agent a = { 0 };
		char *what;

		if (!storykey_valid(k->str)) {
			cfg_name_error(cx, k, "agent name", k->str);
			continue;
		}
		what = xstrfmt("agent '%s'", k->str);
		if (schema_map(cx, v, agent_fields, ARRAY_SIZE(agent_fields), &a, what) == 0) {
			if (!a.command.n)
				lctx_error(cx, ynode_get(v, "command"), "empty command in %s",
					   what);
			for (size_t j = 0; j < a.command.n; j++)
				schema_template(cx, ynode_get(v, "command"), a.command.v[j],
						template_names);
		}
		free(what);
		a.name = xstrdup(k->str);
		a.file = xstrdup(cx->file);
		a.line = k->line;
		a.col = k->col;
		if (!a.output)
			a.output = xstrdup("text");
		for (size_t j = 0; j < set->n; j++) {
			if (!strcmp(set->v[j].name, a.name)) {
				agent_release(&set->v[j]);
				set->v[j] = a;
				a.name = NULL;
				break;
			}
		}
		if (a.name) {
			set->v = xrealloc(set->v, (set->n + 1) * sizeof(*set->v));
			set->v[set->n++] = a;
		}
	}
	return cx->errors > before ? -1 : 0;
}

/* Every fallback names a known agent other than itself. */
int cfg_check_fallbacks(struct diags *d, const struct agent_set *set)
{
	int ret = 0;

	for (size_t i = 0; i < set->n; i++) {
		const struct agent *a = &set->v[i];

		if (!a->fallback)
			continue;
		if (!agents_find(set, a->fallback) || !strcmp(a->fallback, a->name))
			ret = diag_error(d, a->file, a->line, a->col,
					 "unknown fallback agent '%s' for '%s'", a->fallback,
					 a->name);
	}
	return ret;
}

int agents_load(const char *path, struct agent_set **out, struct diags *d)
{
	static const char *const top[] = { "agents", NULL };
	struct lctx cx = { .file = path, .d = d };
	struct agent_set *set;
	struct ydoc doc;

	if (cfg_load_doc(path, &doc, d) < 0)
		return -1;
	set = xcalloc(1, sizeof(*set));
	if (cfg_check_top(&cx, doc.root, top, "an agents file") == 0) {
		if (!ynode_get(doc.root, "agents"))
			lctx_error(&cx, doc.root, "missing required key 'agents'");
		else
			cfg_read_agents_map(&cx, ynode_get(doc.root, "agents"), set);
	}
	if (!cx.errors && cfg_check_fallbacks(d, set) < 0)
		cx.errors++;
	ydoc_release(&doc);
	if (cx.errors) {
		agents_free(set);
		return -1;
	}
	*out = set;
	return 0;
}
