/* SPDX-License-Identifier: MIT */
/*
 * config_operator.c: a sprint's operator: section, the LLM that proposes
 * (assist) or answers (auto) an escalation's decision:
 *
 *   operator:
 *     mode: assist              # off (default), assist or auto
 *     agent: claude             # an agent preset; default: the sprint's agent
 *     allow: [retry, retry_fallback, view_output]   # what auto may choose
 *     triggers: [session-lost]  # CRITICAL triggers auto may answer too
 *     max_calls_per_hour: 6
 *     timeout: 5m
 *
 * Strict like every file users write: an unknown mode or action is exit 65
 * with file:line:col (the agent name is checked with the sprint's others).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_int.h"
#include "schema.h"

void operator_cfg_default(struct operator_cfg *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = OPERATOR_OFF;
	o->allow = 1u << TA_retry | 1u << TA_retry_fallback | 1u << TA_view_output;
	o->max_calls_per_hour = 6;
	o->timeout = 300;
}

static int parse_mode(struct lctx *cx, const struct ynode *n, void *obj)
{
	static const char *const words[] = { "off", "assist", "auto", NULL };
	int i = cfg_one_of(cx, n, words, "off, assist or auto");

	if (i >= 0)
		((struct operator_cfg *)obj)->mode = (enum operator_mode)i;
	return i < 0 ? -1 : 0;
}

/* allow: trigger option actions (retry, skip_story, ...); replaces the default list. */
static int parse_allow(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct operator_cfg *o = obj;
	struct strvec names = STRVEC_INIT;
	unsigned bits = 0;
	size_t before = cx->errors;

	if (schema_strlist(cx, n, &names) < 0)
		return -1;
	for (size_t i = 0; i < names.n; i++) {
		int a = -1;

		for (int k = 0; trigger_action_names[k]; k++)
			if (!strcmp(trigger_action_names[k], names.v[i]))
				a = k;
		if (a < 0)
			lctx_error(cx, n,
				   "unknown action '%s' in allow (the actions of trigger "
				   "options: retry, skip_story, mark_success, ...)",
				   names.v[i]);
		else
			bits |= 1u << a;
	}
	strvec_release(&names);
	o->allow = bits;
	return cx->errors > before ? -1 : 0;
}

int cfg_parse_operator(struct lctx *cx, const struct ynode *n, void *obj)
{
	static const struct field fields[] = {
		{ "mode", FT_CUSTOM, 0, 0, parse_mode, 0, 0 },
		{ "agent", FT_STR, offsetof(struct operator_cfg, agent), 0, NULL, 0, 0 },
		{ "allow", FT_CUSTOM, 0, 0, parse_allow, 0, 0 },
		{ "triggers", FT_STRLIST, offsetof(struct operator_cfg, triggers), 0, NULL, 0, 0 },
		{ "max_calls_per_hour", FT_INT, offsetof(struct operator_cfg, max_calls_per_hour),
		  0, NULL, 1, 1000 },
		{ "timeout", FT_DURATION, offsetof(struct operator_cfg, timeout), 0, NULL, 1, 0 },
	};
	struct sprint *s = obj;

	return schema_map(cx, n, fields, ARRAY_SIZE(fields), &s->op, "operator");
}
