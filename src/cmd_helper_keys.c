/* SPDX-License-Identifier: MIT */
/*
 * cmd_helper_keys.c: orchestrator-helper normalize-key. Prints one JSON
 * object built with jansson (or, with --to, one key form as a bare word);
 * diagnostics go to stderr. The full key comes from the project's
 * sprint-status when it lists the story; a project without one (or no
 * project at all) is not an error. Must not write any file.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bmad.h"
#include "cmd.h"
#include "commands.h"
#include "diag.h"
#include "jsonx.h"
#include "project.h"
#include "statusedit.h"
#include "storykey.h"
#include "util.h"

enum { OPT_ROOT, OPT_TO, OPT_COUNT };

/* {"ok":false,"reason":reason,"input":input}; bytes not UTF-8 become '?'. */
static json_t *negative(const char *reason, const char *input)
{
	json_t *o = json_string(input);
	char *copy = xstrdup(input);

	for (char *p = copy; !o && *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	json_decref(o);
	o = json_pack("{s:b,s:s,s:s}", "ok", 0, "reason", reason, "input", copy);
	free(copy);
	return o;
}

/*
 * The key sprint-status gives story, when the project has a sprint-status
 * that lists it: 0 with *key (newly allocated), 1 when there is no project,
 * no sprint-status or no such story, 2 when story names several stories
 * (*cands gets their keys), -1 when the root given (--project-root or
 * $PROJECT_ROOT) is not a directory, -2 when the sprint-status does not
 * load (both printed). *warn gets the sprint-status warnings (printed on
 * stderr) as a JSON array, or stays NULL when there are none.
 */
static int listed_key(const struct cmd *c, const char *given, const char *story, char **key,
		      json_t **cands, json_t **warn)
{
	const char *env = getenv("PROJECT_ROOT");
	struct diags d = DIAGS_INIT;
	struct bmad_status *s;
	const struct bmad_entry **v;
	char *root = NULL, *path = NULL, *cause = NULL;
	size_t n;
	int ret = 1;

	if (project_find_root(given, &root, &cause) < 0) {
		if (given || (env && *env)) {
			fprintf(stderr, "%s %s: %s\n", progname, c->name, cause);
			ret = -1;
		}
		free(cause);
		return ret;
	}
	if (statusedit_find_file(root, &path) == 0) {
		if (bmad_status_load(path, &s, &d) < 0) {
			diags_sort(&d);
			diags_print(&d, stderr, true);
			ret = -2;
		} else {
			diags_print_warnings(&s->warnings, stderr);
			for (size_t i = 0; i < s->warnings.n; i++) {
				char *w = diag_format_warning(&s->warnings.v[i]);
				json_t *j = json_string(w);

				if (!*warn)
					*warn = json_array();
				json_array_append_new(*warn, j ? j : json_string("?"));
				free(w);
			}
			n = bmad_status_match(s, story, NULL, 0);
			v = xcalloc(n + 1, sizeof(*v));
			bmad_status_match(s, story, v, n);
			if (n == 1) {
				*key = xstrdup(v[0]->key);
				ret = 0;
			} else if (n > 1) {
				*cands = json_array();
				for (size_t i = 0; i < n; i++)
					json_array_append_new(*cands, json_string(v[i]->key));
				ret = 2;
			}
			free(v);
			bmad_status_free(s);
		}
	}
	diags_release(&d);
	free(path);
	free(root);
	return ret;
}

/* o with "warnings":warn when warn is not NULL (taken). */
static json_t *with_warnings(json_t *o, json_t *warn)
{
	if (warn)
		json_object_set_new(o, "warnings", warn);
	return o;
}

int cmd_normalize_key_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("normalize-key");
	struct cmd_opt opts[OPT_COUNT] = {
		[OPT_ROOT] = { "project-root", 1, NULL, 0 },
		[OPT_TO] = { "to", 1, NULL, 0 },
	};
	static const char *const forms[] = { "id", "prefix", "key" };
	struct storykey k;
	json_t *cands = NULL, *warn = NULL;
	char **pos, *key = NULL;
	const char *form[ARRAY_SIZE(forms)];
	size_t to = ARRAY_SIZE(forms);
	int npos, ret, rc;

	ret = cmd_parse(c, argc, argv, opts, ARRAY_SIZE(opts), &pos, &npos);
	if (ret)
		return ret;
	if (npos != 1) {
		free(pos);
		return cmd_usage_error(c, "expected one story key");
	}
	for (size_t i = 0; opts[OPT_TO].seen && i < ARRAY_SIZE(forms); i++)
		if (!strcmp(opts[OPT_TO].value, forms[i]))
			to = i;
	if (opts[OPT_TO].seen && to == ARRAY_SIZE(forms)) {
		free(pos);
		return cmd_usage_error(c, "--to: expected id, prefix or key, not '%s'",
				       opts[OPT_TO].value);
	}
	if (storykey_parse(pos[0], &k) < 0) {
		jsonx_print(negative("could_not_normalize_key", pos[0]));
		free(pos);
		return EXIT_NEGATIVE;
	}
	rc = listed_key(c, opts[OPT_ROOT].value, pos[0], &key, &cands, &warn);
	if (rc < 0) {
		jsonx_print(
			negative(rc == -1 ? "no_project_root" : "sprint_status_invalid", pos[0]));
		free(pos);
		return rc == -1 ? EXIT_USAGE : EXIT_DATAERR;
	}
	if (rc == 2 && to != 0 && to != 1) {
		/* the id and prefix are the same for every candidate; the key is not */
		json_t *o = negative("ambiguous_key", pos[0]);

		fprintf(stderr, "%s %s: '%s' names %zu stories; use the full key\n", progname,
			c->name, pos[0], json_array_size(cands));
		json_object_set_new(o, "candidates", cands);
		jsonx_print(with_warnings(o, warn));
		free(pos);
		return EXIT_NEGATIVE;
	}
	json_decref(cands);
	/* the forms of the story listed: "6-1-a" is 6.1.a when 6-1-a-types is */
	if (rc == 0)
		storykey_parse(key, &k);
	if (rc > 0)
		key = k.slug[0] ? xstrfmt("%s-%s", k.prefix, k.slug) : xstrdup(k.prefix);
	form[0] = k.id;
	form[1] = k.prefix;
	form[2] = key;
	if (to < ARRAY_SIZE(forms)) {
		puts(form[to]);
		json_decref(warn);
	} else {
		jsonx_print(with_warnings(json_pack("{s:b,s:s,s:s,s:s}", "ok", 1, "id", k.id,
						    "prefix", k.prefix, "key", key),
					  warn));
	}
	free(key);
	free(pos);
	return EXIT_OK;
}
