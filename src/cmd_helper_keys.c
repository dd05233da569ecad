/*
 * cmd_helper_keys.c: orchestrator-helper normalize-key. Prints one JSON
 * object built with jansson; diagnostics go to stderr.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "commands.h"
#include "storykey.h"
#include "util.h"

/* Prints obj compactly on one line and releases it. */
static void print_json(json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (!s)
		xdie("cannot encode json");
	puts(s);
	free(s);
	json_decref(obj);
}

int cmd_normalize_key_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("normalize-key");
	struct storykey k;
	char **pos, *key;
	int npos, ret;
	json_t *o;

	ret = cmd_parse(c, argc, argv, NULL, 0, &pos, &npos);
	if (ret)
		return ret;
	if (npos != 1) {
		free(pos);
		return cmd_usage_error(c, "expected one story key");
	}
	if (storykey_parse(pos[0], &k) < 0) {
		o = json_pack("{s:b,s:s,s:s}", "ok", 0, "reason", "could_not_normalize_key",
			      "input", pos[0]);
		print_json(o);
		free(pos);
		return EXIT_NEGATIVE;
	}
	key = k.slug[0] ? xstrfmt("%s-%s", k.prefix, k.slug) : xstrdup(k.prefix);
	o = json_pack("{s:b,s:s,s:s,s:s}", "ok", 1, "id", k.id, "prefix", k.prefix, "key", key);
	print_json(o);
	free(key);
	free(pos);
	return EXIT_OK;
}
