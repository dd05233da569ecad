/* SPDX-License-Identifier: MIT */
/*
 * cmd_helper_status.c: orchestrator-helper sprint-status (get, exists,
 * check-epic) and story-file-status: what a BMAD project's sprint-status
 * and story files say, read as tolerantly as bmad.c reads them. Each prints
 * one compact JSON object on stdout, diagnostics on stderr. Must not write,
 * create or fix any file.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "bmad.h"
#include "cmd.h"
#include "cmd_helper_bmad.h"
#include "commands.h"
#include "config.h"
#include "diag.h"
#include "jsonx.h"
#include "project.h"
#include "statusedit.h"
#include "storykey.h"
#include "template.h"
#include "util.h"
#include "verify.h"

/* ---- sprint-status ---- */

/* The entry named key: a story by any key form, else an epic or retrospective as written. */
static const struct bmad_entry *find_entry(const struct bmad_status *s, const char *key)
{
	const struct bmad_entry *e = bmad_status_find(s, key);

	for (size_t i = 0; !e && i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			e = &s->v[i];
	return e;
}

static int status_get(const char *root, const char *key)
{
	struct bmad_status *s;
	const struct bmad_entry *e, **cand = NULL;
	char *path;
	size_t n;
	int rc, ret;
	json_t *o;

	rc = helper_load_status(root, &path, &s);
	if (rc < 0)
		return helper_report(helper_negative("found", "sprint_status_invalid", NULL),
				     EXIT_DATAERR);
	if (rc > 0) {
		o = json_object();
		json_object_set_new(o, "found", json_false());
		json_object_set_new(o, "story", jsonx_str(key));
		json_object_set_new(o, "status", json_string("not_found"));
		json_object_set_new(o, "reason", json_string("sprint_status_not_found"));
		return helper_report(o, EXIT_NEGATIVE);
	}
	n = helper_candidates(s, key, &cand);
	e = n > 1 ? cand[0] : find_entry(s, key);
	for (size_t i = 1; i < n && e; i++)
		if (strcasecmp(cand[i]->status, cand[0]->status))
			e = NULL;
	if (n > 1 && !e) {
		/* several stories with that number, in different states */
		fprintf(stderr,
			"%s sprint-status: '%s' names %zu stories that disagree; use the full "
			"key\n",
			progname, key, n);
		o = json_object();
		json_object_set_new(o, "found", json_false());
		json_object_set_new(o, "story", jsonx_str(key));
		json_object_set_new(o, "reason", json_string("ambiguous_key"));
		json_object_set_new(o, "candidates", helper_keys_json(cand, n));
		ret = EXIT_NEGATIVE;
	} else if (e) {
		o = json_object();
		json_object_set_new(o, "found", json_true());
		json_object_set_new(o, "story", jsonx_str(e->key));
		json_object_set_new(o, "status", jsonx_str(e->status));
		json_object_set_new(o, "done", json_boolean(bmad_status_is_done(e->status)));
		if (n > 1)
			json_object_set_new(o, "candidates", helper_keys_json(cand, n));
		ret = EXIT_OK;
	} else {
		o = json_object();
		json_object_set_new(o, "found", json_false());
		json_object_set_new(o, "story", jsonx_str(key));
		json_object_set_new(o, "status", json_string("not_found"));
		ret = EXIT_NEGATIVE;
	}
	helper_with_warnings(o, s);
	free(cand);
	bmad_status_free(s);
	free(path);
	return helper_report(o, ret);
}

static int status_exists(const char *root)
{
	char *path = NULL;
	int rc = statusedit_find_file(root, &path);

	free(path);
	jsonx_print(rc == 0 ? json_true() : json_false());
	return rc == 0 ? EXIT_OK : EXIT_NEGATIVE;
}

/* {"ok":false,"epic":epic,"reason":reason} */
static json_t *epic_negative(const char *epic, const char *reason)
{
	json_t *o = json_object();

	json_object_set_new(o, "ok", json_false());
	json_object_set_new(o, "epic", jsonx_str(epic));
	json_object_set_new(o, "reason", json_string(reason));
	return o;
}

static int status_check_epic(const char *root, const char *arg)
{
	const char *epic = str_starts_with(arg, "epic-") ? arg + 5 : arg;
	struct bmad_status *s;
	char *path;
	size_t total = 0, done = 0;
	bool listed = false;
	json_t *o, *stories;
	int rc;

	rc = helper_load_status(root, &path, &s);
	if (rc < 0)
		return helper_report(helper_negative("ok", "sprint_status_invalid", NULL),
				     EXIT_DATAERR);
	if (rc > 0) {
		return helper_report(epic_negative(epic, "sprint_status_not_found"), EXIT_NEGATIVE);
	}
	stories = json_array();
	for (size_t i = 0; i < s->n; i++) {
		const struct bmad_entry *e = &s->v[i];

		if (strcmp(e->epic, epic))
			continue;
		listed = true;
		if (e->kind != BMAD_STORY)
			continue;
		total++;
		done += bmad_status_is_done(e->status);
		o = json_object();
		json_object_set_new(o, "story", jsonx_str(e->key));
		json_object_set_new(o, "status", jsonx_str(e->status));
		json_object_set_new(o, "done", json_boolean(bmad_status_is_done(e->status)));
		json_array_append_new(stories, o);
	}
	if (!listed) {
		json_decref(stories);
		o = helper_with_warnings(epic_negative(epic, "epic_not_found"), s);
		bmad_status_free(s);
		free(path);
		return helper_report(o, EXIT_NEGATIVE);
	}
	o = json_object();
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "epic", jsonx_str(epic));
	json_object_set_new(o, "allStoriesDone", json_boolean(total > 0 && done == total));
	json_object_set_new(o, "total", json_integer((json_int_t)total));
	json_object_set_new(o, "done", json_integer((json_int_t)done));
	json_object_set_new(o, "stories", stories);
	helper_with_warnings(o, s);
	bmad_status_free(s);
	free(path);
	return helper_report(o, EXIT_OK);
}

int cmd_sprint_status_exec(int argc, char **argv)
{
	/* clang-format off */
	static const struct {
		const char *name;
		int nargs;
		const char *head; /* the verdict field of its objects */
	} subs[] = {
	/*	name		nargs	head */
		{ "get",	1,	"found" },
		{ "exists",	0,	NULL },
		{ "check-epic",	1,	"ok" },
	};
	/* clang-format on */
	const struct cmd *c = cmd_lookup("sprint-status");
	struct cmd_opt opts[] = { { "project-root", 1, NULL, 0 } };
	char **pos = NULL, *root = NULL, *cause = NULL;
	size_t sub = ARRAY_SIZE(subs);
	int npos, ret;

	ret = cmd_parse(c, argc, argv, opts, ARRAY_SIZE(opts), &pos, &npos);
	if (ret)
		return ret;
	if (npos == 0) {
		ret = cmd_usage_error(c, "expected get KEY, exists or check-epic N");
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		if (!strcmp(pos[0], subs[i].name))
			sub = i;
	if (sub == ARRAY_SIZE(subs)) {
		ret = cmd_usage_error(c, "unknown subcommand '%s'", pos[0]);
		goto out;
	}
	if (npos - 1 != subs[sub].nargs) {
		ret = cmd_usage_error(c, "%s takes %s", subs[sub].name,
				      subs[sub].nargs ? "one argument" : "no arguments");
		goto out;
	}
	if (sub == 2 && !storykey_key_ok(str_starts_with(pos[1], "epic-") ? pos[1] + 5 : pos[1])) {
		ret = cmd_usage_error(c, "not an epic number '%s'", pos[1]);
		goto out;
	}
	if (project_find_root(opts[0].value, &root, &cause) < 0) {
		fprintf(stderr, "%s %s: %s\n", progname, c->name, cause);
		free(cause);
		ret = EXIT_USAGE;
		if (subs[sub].head)
			jsonx_print(helper_negative(subs[sub].head, "no_project_root", NULL));
		else
			jsonx_print(json_false());
		goto out;
	}
	if (sub == 0)
		ret = status_get(root, pos[1]);
	else if (sub == 1)
		ret = status_exists(root);
	else
		ret = status_check_epic(root, pos[1]);
out:
	free(root);
	free(pos);
	return ret;
}

/* ---- story-file-status ---- */

/* s[0..n) without blanks and CR around it; newly allocated. */
static char *trimmed(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return xstrndup(s, n);
}

/*
 * The title of a story file: its first "# " heading outside frontmatter
 * and code fences, without a "Story 1.2:" label. NULL when there is none
 * or the file cannot be read.
 */
static char *story_title(const char *path)
{
	char *text, *title = NULL;
	const char *p;
	bool front = false, fence = false;

	if (read_file(path, &text, NULL) < 0)
		return NULL;
	p = text;
	if (!strncmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	front = !strncmp(p, "---", 3) && (p[3] == '\n' || !strncmp(p + 3, "\r\n", 2));
	if (front)
		p = strchr(p, '\n') + 1;
	while (*p && !title) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = trimmed(p, len);

		if (front) {
			front = strcmp(line, "---") && strcmp(line, "...");
		} else if (!strncmp(line, "```", 3) || !strncmp(line, "~~~", 3)) {
			fence = !fence;
		} else if (!fence && !strncmp(line, "# ", 2)) {
			const char *t = line + 2, *colon = strchr(t, ':');

			if (!strncasecmp(t, "story ", 6) && colon)
				t = colon + 1;
			title = trimmed(t, strlen(t));
		}
		free(line);
		p = nl ? nl + 1 : p + len;
	}
	free(text);
	return title;
}

int cmd_story_file_status_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("story-file-status");
	struct cmd_opt opts[] = { { "project-root", 1, NULL, 0 } };
	struct bmad_status *s = NULL;
	const struct bmad_entry *e = NULL;
	struct storykey k;
	char **pos = NULL, *root = NULL, *spath = NULL, *key = NULL, *file = NULL;
	char *status = NULL, *title, *note = NULL;
	struct diags cfgw = DIAGS_INIT;
	int ret;
	json_t *o;

	ret = helper_story_args(c, argc, argv, opts, ARRAY_SIZE(opts), "ok", &k, &pos, &root);
	if (ret)
		return ret;
	/* the full key when the sprint-status lists the story; a broken one is not ours to judge */
	if (helper_load_status(root, &spath, &s) < 0)
		fprintf(stderr, "%s %s: ignoring the sprint-status that does not load\n", progname,
			c->name);
	if (s) {
		const struct bmad_entry **cand = NULL;
		size_t n = helper_candidates(s, pos[0], &cand);

		if (n > 1) {
			fprintf(stderr, "%s %s: '%s' names %zu stories; use the full key\n",
				progname, c->name, pos[0], n);
			ret = helper_report(helper_ambiguous("ok", pos[0], s, cand, n),
					    EXIT_NEGATIVE);
			free(cand);
			goto out;
		}
		e = n == 1 ? cand[0] : NULL;
		free(cand);
	}
	key = e ? xstrdup(e->key) : helper_plain_key(&k);
	if (storyfile_locate(root, spath, key, &file, &note, &cfgw) != 0) {
		o = json_object();
		json_object_set_new(o, "ok", json_false());
		json_object_set_new(o, "story_key", jsonx_str(key));
		json_object_set_new(o, "reason", json_string("story_file_not_found"));
		ret = helper_report(helper_with_config_warnings(helper_with_warnings(o, s), &cfgw),
				    EXIT_NEGATIVE);
		goto out;
	}
	if (!e) {
		/* the file is named after the key: <prefix>-<slug>.md */
		const char *base = strrchr(file, '/') + 1;

		free(key);
		key = xstrndup(base, strlen(base) - 3);
	}
	if (storyfile_status(file, &status) < 0) {
		fprintf(stderr, "%s %s: cannot read '%s': %s\n", progname, c->name, file,
			strerror(errno));
		ret = helper_report(helper_negative("ok", "story_file_unreadable", NULL),
				    EXIT_DATAERR);
		goto out;
	}
	title = story_title(file);
	o = json_object();
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "story_key", jsonx_str(key));
	json_object_set_new(o, "file", jsonx_str(file));
	json_object_set_new(o, "status", status ? jsonx_str(status) : json_string("unknown"));
	json_object_set_new(o, "title", title ? jsonx_str(title) : json_null());
	if (note)
		json_object_set_new(o, "note", jsonx_str(note));
	free(title);
	ret = helper_report(helper_with_config_warnings(helper_with_warnings(o, s), &cfgw),
			    EXIT_OK);
out:
	diags_release(&cfgw);
	free(note);
	bmad_status_free(s);
	free(status);
	free(file);
	free(key);
	free(spath);
	free(root);
	free(pos);
	return ret;
}
