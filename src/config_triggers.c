/* SPDX-License-Identifier: MIT */
/*
 * config_triggers.c: escalation triggers (data/triggers.yaml): category,
 * severity, message and numbered options with their actions.
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

void triggers_free(struct trigger_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct trigger *t = &s->v[i];

		free(t->key);
		free(t->title);
		free(t->message);
		for (size_t j = 0; j < t->noptions; j++) {
			free(t->options[j].key);
			free(t->options[j].label);
		}
		free(t->options);
	}
	free(s->v);
	free(s);
}

const struct trigger *triggers_find(const struct trigger_set *s, const char *key)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return &s->v[i];
	return NULL;
}

/* Reads one of names (NULL-terminated); the error lists them all. */
static int parse_enum(struct lctx *cx, const struct ynode *n, const char *const *names,
		      const char *what, int *out)
{
	struct buf expected = BUF_INIT;
	char *v;

	if (schema_str(cx, n, &v) < 0)
		return -1;
	for (int i = 0; names[i]; i++) {
		if (!strcmp(names[i], v)) {
			*out = i;
			free(v);
			return 0;
		}
	}
	for (int i = 0; names[i]; i++)
		buf_addf(&expected, "%s%s", i == 0 ? "" : names[i + 1] ? ", " : " or ", names[i]);
	lctx_error(cx, n, "unknown %s '%s' (expected %s)", what, v, buf_str(&expected));
	buf_release(&expected);
	free(v);
	return -1;
}

static int parse_category(struct lctx *cx, const struct ynode *n, void *obj)
{
	static const char *const names[] = { "CRITICAL", "PREFERENCE", NULL };
	struct trigger *t = obj;
	int v;

	if (parse_enum(cx, n, names, "category", &v) < 0)
		return -1;
	t->category = v;
	return 0;
}

static int parse_severity(struct lctx *cx, const struct ynode *n, void *obj)
{
	static const char *const names[] = { "MEDIUM", "HIGH", "CRITICAL", NULL };
	struct trigger *t = obj;
	int v;

	if (parse_enum(cx, n, names, "severity", &v) < 0)
		return -1;
	t->severity = v;
	return 0;
}

static int parse_option_action(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct trigger_option *o = obj;
	int v;

	if (parse_enum(cx, n, trigger_action_names, "action", &v) < 0)
		return -1;
	o->action = v;
	return 0;
}

static const struct field option_fields[] = {
	{ "key", FT_STR, offsetof(struct trigger_option, key), F_REQUIRED, NULL, 0, 0 },
	{ "label", FT_STR, offsetof(struct trigger_option, label), F_REQUIRED, NULL, 0, 0 },
	{ "action", FT_CUSTOM, 0, F_REQUIRED, parse_option_action, 0, 0 },
};

static int parse_options(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct trigger *t = obj;
	size_t before = cx->errors;

	if (!n || n->kind != YN_SEQ || n->n == 0)
		return lctx_error(cx, n, "expected a non-empty list of options, got %s",
				  ynode_kind_name(n));
	t->options = xcalloc(n->n, sizeof(*t->options));
	for (size_t i = 0; i < n->n; i++) {
		struct trigger_option *o = &t->options[t->noptions++];
		const struct ynode *kn;

		if (schema_map(cx, n->items[i], option_fields, ARRAY_SIZE(option_fields), o,
			       "an option") < 0)
			continue;
		kn = ynode_get(n->items[i], "key");
		if (strcmp(o->key, "X") &&
		    (strlen(o->key) != 1 || o->key[0] < '1' || o->key[0] > '9'))
			lctx_error(cx, kn, "option key must be a digit 1-9 or X '%s'", o->key);
		for (size_t j = 0; j + 1 < t->noptions; j++) {
			if (t->options[j].key && !strcmp(t->options[j].key, o->key)) {
				lctx_error(cx, kn, "duplicate option key '%s' (first at line %d)",
					   o->key, ynode_get(n->items[j], "key")->line);
				break;
			}
		}
	}
	return cx->errors > before ? -1 : 0;
}

static const struct field trigger_fields[] = {
	{ "id", FT_INT, offsetof(struct trigger, id), F_REQUIRED, NULL, 1, 999 },
	{ "key", FT_STR, offsetof(struct trigger, key), F_REQUIRED, NULL, 0, 0 },
	{ "title", FT_STR, offsetof(struct trigger, title), F_REQUIRED, NULL, 0, 0 },
	{ "category", FT_CUSTOM, 0, F_REQUIRED, parse_category, 0, 0 },
	{ "severity", FT_CUSTOM, 0, F_REQUIRED, parse_severity, 0, 0 },
	{ "message", FT_STR, offsetof(struct trigger, message), F_REQUIRED, NULL, 0, 0 },
	{ "options", FT_CUSTOM, 0, F_REQUIRED, parse_options, 0, 0 },
};

int triggers_load(const char *path, struct trigger_set **out, struct diags *d)
{
	static const char *const top[] = { "triggers", NULL };
	struct lctx cx = { .file = path, .d = d };
	const struct ynode *list;
	struct trigger_set *set;
	struct ydoc doc;

	if (cfg_load_doc(path, &doc, d) < 0)
		return -1;
	set = xcalloc(1, sizeof(*set));
	if (cfg_check_top(&cx, doc.root, top, "a triggers file") < 0)
		goto out;
	list = ynode_get(doc.root, "triggers");
	if (!list) {
		lctx_error(&cx, doc.root, "missing required key 'triggers'");
		goto out;
	}
	if (list->kind != YN_SEQ) {
		lctx_error(&cx, list, "expected a list of triggers, got %s", ynode_kind_name(list));
		goto out;
	}
	set->v = xcalloc(list->n ? list->n : 1, sizeof(*set->v));
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *n = list->items[i];
		struct trigger *t = &set->v[set->n++];

		if (schema_map(&cx, n, trigger_fields, ARRAY_SIZE(trigger_fields), t, "a trigger") <
		    0)
			continue;
		schema_template(&cx, ynode_get(n, "message"), t->message, cfg_message_names);
		for (size_t j = 0; j + 1 < set->n; j++) {
			if (set->v[j].key && !strcmp(set->v[j].key, t->key))
				lctx_error(&cx, ynode_get(n, "key"), "duplicate trigger '%s'",
					   t->key);
			else if (set->v[j].id == t->id)
				lctx_error(&cx, ynode_get(n, "id"), "duplicate trigger id '%d'",
					   t->id);
		}
	}
	if (!cx.errors)
		for (const char *const *k = required_triggers; *k; k++)
			if (!triggers_find(set, *k))
				lctx_error(&cx, list, "missing trigger '%s'", *k);
out:
	ydoc_release(&doc);
	if (cx.errors) {
		triggers_free(set);
		return -1;
	}
	*out = set;
	return 0;
}
