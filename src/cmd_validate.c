/* SPDX-License-Identifier: MIT */
/*
 * cmd_validate.c: `automator validate FILE...`. Tells each file's kind from
 * its top-level keys, loads it with the matching loader and prints either
 * `ok FILE` or every error found. A good sprint is also checked against
 * this machine (preflight.h); those findings are warnings and do not change
 * the exit status, which is about the file. So are the problems a BMAD
 * sprint-status's tolerant reader gets around. Must not write anything.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bmad.h"
#include "cmd.h"
#include "commands.h"
#include "config.h"
#include "jsonw.h"
#include "preflight.h"
#include "util.h"
#include "ydoc.h"

/* The kind of the parsed document, by its top-level keys. */
static enum file_kind kind_of(const struct ynode *root)
{
	if (!root || root->kind != YN_MAP)
		return FILE_UNKNOWN;
	if (ynode_get(root, "development_status"))
		return FILE_BMAD_STATUS;
	/* BMAD's own metadata keys: a sprint-status that lost its map */
	if (ynode_get(root, "story_location") || ynode_get(root, "tracking_system"))
		return FILE_BMAD_STATUS;
	/* the epics: list form of an LLM-written sprint-status (bmad.h) */
	if (ynode_get(root, "epics") && ynode_get(root, "epics")->kind == YN_SEQ)
		return FILE_BMAD_STATUS;
	/* a sprint whose stories are its sprint-status's (automator init) */
	if (ynode_get(root, "stories") || ynode_get(root, "status_file"))
		return FILE_SPRINT;
	if (ynode_get(root, "steps"))
		return FILE_WORKFLOW;
	if (ynode_get(root, "triggers"))
		return FILE_TRIGGERS;
	if (ynode_get(root, "agents"))
		return FILE_AGENTS;
	/* a misspelt key that tells the kind (stoires:): the loader says which */
	for (size_t i = 0; i < root->n; i++) {
		static const struct {
			const char *key;
			enum file_kind kind;
		} tells[] = {
			{ "stories", FILE_SPRINT },
			{ "steps", FILE_WORKFLOW },
			{ "triggers", FILE_TRIGGERS },
			{ "agents", FILE_AGENTS },
			{ "development_status", FILE_BMAD_STATUS },
		};
		const char *k = root->pairs[i].key->str;

		for (size_t j = 0; j < ARRAY_SIZE(tells); j++)
			if (str_distance(k, tells[j].key, 2) <= 2)
				return tells[j].kind;
	}
	/* keys only a sprint has */
	for (size_t i = 0; i < root->n; i++) {
		static const char *const sprint_only[] = { "root", "max_parallel", "status_file",
							   "limits", "review_contract" };
		const char *k = root->pairs[i].key->str;

		for (size_t j = 0; j < ARRAY_SIZE(sprint_only); j++)
			if (!strcmp(k, sprint_only[j]))
				return FILE_SPRINT;
	}
	return FILE_UNKNOWN;
}

/*
 * True when text has a development_status: line at the left margin: a BMAD
 * sprint-status even when it is not valid YAML, which its tolerant reader
 * handles itself.
 */
static bool bmad_by_text(const char *text)
{
	bool yes = false;

	for (const char *p = text; p && !yes; p = strchr(p, '\n'), p = p ? p + 1 : p)
		yes = !strncmp(p, "development_status:", 19);
	return yes;
}

/* Loads a BMAD sprint-status from its tree, or from its text when ydoc refused it (yd). */
static int validate_bmad(const char *path, const struct ydoc *doc, const char *text, size_t len,
			 struct diags *yd, struct diags *d, struct diags *warn)
{
	struct bmad_status *s;
	int ret = doc ? bmad_status_from_doc(path, doc, &s, d)
		      : bmad_status_from_text(path, text, len, yd, &s, d);

	if (ret == 0) {
		diags_move(warn, &s->warnings);
		bmad_status_free(s);
	}
	return ret;
}

/*
 * Loads path by kind; returns 0 when it is good. A good sprint's preflight
 * findings are added to pf; a sprint-status's warnings to warn. The file is
 * read and parsed once: the sprint and sprint-status loaders take the tree.
 */
static int validate_one(const char *path, struct diags *d, struct preflight *pf, struct diags *warn)
{
	struct diags yd = DIAGS_INIT;
	struct ydoc doc;
	enum file_kind kind;
	char *text;
	size_t len;
	bool bmad;
	int ret = -1;

	if (ydoc_read(path, &text, &len, d) < 0)
		return -1;
	/*
	 * Duplicate keys or a YAML error in a sprint-status are for the BMAD
	 * reader to judge: it gets the tree with every pair, or the text. Any
	 * other file is parsed strictly.
	 */
	bmad = bmad_by_text(text);
	if (ydoc_parse_flags(&doc, path, text, len, bmad ? YDOC_DUPLICATE_KEYS : 0, &yd) < 0) {
		if (bmad)
			ret = validate_bmad(path, NULL, text, len, &yd, d, warn);
		else
			diags_move(d, &yd);
		goto out_text;
	}
	if (doc.duplicates) {
		/* strictly parsed, it would have failed: the BMAD reader decides */
		kind = FILE_BMAD_STATUS;
	} else if (!doc.root || ynode_is_null(doc.root)) {
		diags_add(d, path, 1, 1, "empty file");
		goto out;
	} else {
		kind = kind_of(doc.root);
	}

	switch (kind) {
	case FILE_SPRINT: {
		struct sprint *s;

		if ((ret = sprint_load_doc(path, &doc, NULL, &s, d)) == 0) {
			/*
			 * The tree and the text go before preflight starts git:
			 * fewer pages to copy into each child and to fault back.
			 */
			ydoc_release(&doc);
			free(text);
			text = NULL;
			preflight_check(s, NULL, NULL, pf);
			sprint_free(s);
		}
		break;
	}
	case FILE_BMAD_STATUS:
		ret = validate_bmad(path, &doc, NULL, 0, NULL, d, warn);
		break;
	case FILE_WORKFLOW: {
		char *ap = config_shipped("data/agents.yaml");
		struct agent_set *agents = NULL;
		struct workflow *w;

		if (agents_load(ap, &agents, d) == 0 &&
		    (ret = workflow_load(path, agents, &w, d)) == 0)
			workflow_free(w);
		agents_free(agents);
		free(ap);
		break;
	}
	case FILE_AGENTS: {
		struct agent_set *a;

		if ((ret = agents_load(path, &a, d)) == 0)
			agents_free(a);
		break;
	}
	case FILE_TRIGGERS: {
		struct trigger_set *t;

		if ((ret = triggers_load(path, &t, d)) == 0)
			triggers_free(t);
		break;
	}
	case FILE_UNKNOWN:
		diags_add(d, path, doc.root->line, doc.root->col,
			  "cannot tell what this file is: expected a top-level 'stories', "
			  "'development_status', 'steps', 'agents' or 'triggers' key");
		break;
	}
out:
	ydoc_release(&doc);
out_text:
	diags_release(&yd);
	free(text);
	return ret;
}

/* diags as a JSON array of {file, line, col, message} (line and col null without a position). */
static void diags_json(struct jsonw *w, const char *key, const struct diags *d)
{
	jsonw_arr(w, key);
	for (size_t i = 0; i < d->n; i++) {
		jsonw_obj(w, NULL);
		jsonw_str(w, "file", d->v[i].file);
		if (d->v[i].line > 0) {
			jsonw_int(w, "line", d->v[i].line);
			jsonw_int(w, "col", d->v[i].col);
		} else {
			jsonw_null(w, "line");
			jsonw_null(w, "col");
		}
		jsonw_str(w, "message", d->v[i].msg);
		jsonw_end(w);
	}
	jsonw_end(w);
}

/* One file's result for --json: {file, ok, errors, warnings, preflight}. */
static void result_json(struct jsonw_list *l, const char *path, const struct diags *d,
			const struct diags *warn, const struct preflight *pf)
{
	struct jsonw w = { BUF_INIT, 0, { false }, { 0 } };

	jsonw_obj(&w, NULL);
	jsonw_str(&w, "file", path);
	jsonw_bool(&w, "ok", d->n == 0);
	diags_json(&w, "errors", d);
	diags_json(&w, "warnings", warn);
	jsonw_arr(&w, "preflight");
	for (size_t i = 0; i < pf->n; i++) {
		jsonw_obj(&w, NULL);
		jsonw_str(&w, "severity",
			  pf->v[i].severity == PREFLIGHT_ERROR ? "error" : "warning");
		jsonw_str(&w, "message", pf->v[i].message);
		jsonw_str(&w, "hint", pf->v[i].hint);
		jsonw_end(&w);
	}
	jsonw_end(&w);
	jsonw_end(&w);
	jsonw_list_item(l, buf_str(&w.b));
	buf_release(&w.b);
}

int cmd_validate_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("validate");
	struct cmd_opt opts[] = { { "json", 0, NULL, 0 } };
	bool caret = isatty(STDERR_FILENO), json;
	int npos, ret, status = EXIT_OK;
	struct jsonw_list l;
	char **pos;

	ret = cmd_parse(c, argc, argv, opts, ARRAY_SIZE(opts), &pos, &npos);
	if (ret)
		return ret;
	json = opts[0].seen;
	if (npos == 0) {
		free(pos);
		return cmd_usage_error(c, "expected at least one file");
	}
	if (json)
		jsonw_list_begin(&l, stdout, false);
	for (int i = 0; i < npos; i++) {
		struct diags d = DIAGS_INIT;
		struct diags warn = DIAGS_INIT;
		struct preflight pf = PREFLIGHT_INIT;
		bool good = validate_one(pos[i], &d, &pf, &warn) == 0 && d.n == 0;

		if (!good && d.n == 0)
			diags_add(&d, pos[i], 0, 0, "invalid file");
		diags_sort(&d);
		if (!good)
			status = EXIT_DATAERR;
		if (json) {
			result_json(&l, pos[i], &d, &warn, &pf);
		} else if (good) {
			printf("ok %s\n", pos[i]);
			fflush(stdout);
			diags_print_warnings(&warn, stderr);
			preflight_print(&pf, stderr, pos[i], true);
		} else {
			fflush(stdout);
			diags_print(&d, stderr, caret);
		}
		diags_release(&d);
		diags_release(&warn);
		preflight_release(&pf);
	}
	if (json)
		jsonw_list_end(&l);
	free(pos);
	return status;
}
