/* SPDX-License-Identifier: MIT */
/*
 * cmd_helper_bmad.c: what the orchestrator-helper commands that read a BMAD
 * project share (cmd_helper_verify.c, cmd_helper_status.c): their negative
 * answers, finding the project and its sprint-status, the warnings and
 * candidate keys in their objects. Reads only.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "bmad.h"
#include "cmd.h"
#include "cmd_helper_bmad.h"
#include "diag.h"
#include "jsonx.h"
#include "project.h"
#include "statusedit.h"
#include "storykey.h"
#include "util.h"

/* ---- output ---- */

/* {HEAD:false,"reason":REASON} plus "input":input when input is not NULL. */
json_t *helper_negative(const char *head, const char *reason, const char *input)
{
	json_t *o = json_object();

	json_object_set_new(o, head, json_false());
	json_object_set_new(o, "reason", json_string(reason));
	if (input)
		json_object_set_new(o, "input", jsonx_str(input));
	return o;
}

/* Prints o and returns code, so failures read `return helper_report(o, code)`. */
int helper_report(json_t *o, int code)
{
	jsonx_print(o);
	return code;
}

/* ---- the project ---- */

/*
 * The project root: --project-root, $PROJECT_ROOT, or the upward search.
 * Returns 0, or EXIT_USAGE after printing why and {HEAD:false,...}.
 */
int helper_find_root(const struct cmd *c, const char *given, const char *head, char **root)
{
	char *cause = NULL;

	if (project_find_root(given, root, &cause) == 0)
		return 0;
	fprintf(stderr, "%s %s: %s\n", progname, c->name, cause);
	free(cause);
	return helper_report(helper_negative(head, "no_project_root", NULL), EXIT_USAGE);
}

/*
 * Finds and loads the sprint-status of root. Returns 0 with *s (and *path,
 * newly allocated; its warnings printed on stderr), 1 when there is none,
 * -1 after printing every error of a file that does not load
 * (file:line:col, the line and a caret); *s and *path are NULL unless 0 is
 * returned.
 */
int helper_load_status(const char *root, char **path, struct bmad_status **s)
{
	struct diags d = DIAGS_INIT;

	*s = NULL;
	*path = NULL;
	if (statusedit_find_file(root, path) != 0)
		return 1;
	if (bmad_status_load(*path, s, &d) < 0) {
		diags_sort(&d);
		diags_print(&d, stderr, true);
		diags_release(&d);
		free(*path);
		*path = NULL;
		return -1;
	}
	diags_print_warnings(&(*s)->warnings, stderr);
	diags_release(&d);
	return 0;
}

/* Adds "warnings":[...] to o when s has any; returns o. */
json_t *helper_with_warnings(json_t *o, const struct bmad_status *s)
{
	return s ? jsonx_add_warnings(o, &s->warnings) : o;
}

/*
 * Prints the warnings w (BMAD's config) on stderr and adds them to o's
 * "warnings"; returns o.
 */
json_t *helper_with_config_warnings(json_t *o, const struct diags *w)
{
	if (o && w->n)
		diags_print_warnings(w, stderr);
	return jsonx_add_warnings(o, w);
}

/* The keys of the n entries v, as a JSON array. */
json_t *helper_keys_json(const struct bmad_entry **v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, jsonx_str(v[i]->key));
	return a;
}

/*
 * The entries story names in s (bmad_status_match): returns how many, with
 * *v newly allocated (NULL when none).
 */
size_t helper_candidates(const struct bmad_status *s, const char *story,
			 const struct bmad_entry ***v)
{
	size_t n = bmad_status_match(s, story, NULL, 0);

	*v = NULL;
	if (n) {
		*v = xcalloc(n, sizeof(**v));
		bmad_status_match(s, story, *v, n);
	}
	return n;
}

/*
 * {HEAD:false,"reason":"ambiguous_key","input":input,"candidates":[...]}
 * with the warnings of s.
 */
json_t *helper_ambiguous(const char *head, const char *input, const struct bmad_status *s,
			 const struct bmad_entry **v, size_t n)
{
	json_t *o = helper_negative(head, "ambiguous_key", input);

	json_object_set_new(o, "candidates", helper_keys_json(v, n));
	return helper_with_warnings(o, s);
}

/* The key form of a story not listed anywhere: prefix-slug, or the prefix. */
char *helper_plain_key(const struct storykey *k)
{
	return k->slug[0] ? xstrfmt("%s-%s", k->prefix, k->slug) : xstrdup(k->prefix);
}

int helper_story_args(const struct cmd *c, int argc, char **argv, struct cmd_opt *opts,
		      size_t nopts, const char *head, struct storykey *k, char ***pos, char **root)
{
	int npos, ret = cmd_parse(c, argc, argv, opts, nopts, pos, &npos);

	*root = NULL;
	if (ret)
		return ret;
	if (npos != 1)
		ret = cmd_usage_error(c, "expected one story key");
	else if (storykey_parse((*pos)[0], k) < 0)
		ret = helper_report(helper_negative(head, "could_not_normalize_key", (*pos)[0]),
				    EXIT_NEGATIVE);
	else
		ret = helper_find_root(c, opts[0].value, head, root);
	if (ret) {
		free(*pos);
		*pos = NULL;
	}
	return ret;
}
