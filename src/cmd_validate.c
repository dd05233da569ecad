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
	if (ynode_get(root, "stories"))
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
 * True when path has a development_status: line at the left margin: a BMAD
 * sprint-status even when it is not valid YAML, which its tolerant reader
 * handles itself.
 */
static bool bmad_by_text(const char *path)
{
	char *text;
	bool yes = false;

	if (read_file(path, &text, NULL) < 0)
		return false;
	for (const char *p = text; p && !yes; p = strchr(p, '\n'), p = p ? p + 1 : p)
		yes = !strncmp(p, "development_status:", 19);
	free(text);
	return yes;
}

/*
 * Loads path by kind; returns 0 when it is good. A good sprint's preflight
 * findings are added to pf; a sprint-status's warnings to warn.
 */
static int validate_one(const char *path, struct diags *d, struct preflight *pf, struct diags *warn)
{
	struct diags yd = DIAGS_INIT;
	struct ydoc doc;
	enum file_kind kind;
	int ret = -1;

	if (ydoc_load(&doc, path, &yd) < 0) {
		if (!bmad_by_text(path)) {
			diags_move(d, &yd);
			return -1;
		}
		/* duplicate keys or a YAML error: the BMAD reader decides */
		diags_release(&yd);
		memset(&doc, 0, sizeof(doc));
		kind = FILE_BMAD_STATUS;
		goto load;
	}
	if (!doc.root || ynode_is_null(doc.root)) {
		diags_add(d, path, 1, 1, "empty file");
		ydoc_release(&doc);
		return -1;
	}
	kind = kind_of(doc.root);
load:
	if (kind == FILE_UNKNOWN) {
		diags_add(d, path, doc.root->line, doc.root->col,
			  "cannot tell what this file is: expected a top-level 'stories', "
			  "'development_status', 'steps', 'agents' or 'triggers' key");
		ydoc_release(&doc);
		return -1;
	}
	ydoc_release(&doc);

	switch (kind) {
	case FILE_SPRINT: {
		struct sprint *s;

		if ((ret = sprint_load(path, &s, d)) == 0) {
			preflight_check(s, NULL, NULL, pf);
			sprint_free(s);
		}
		break;
	}
	case FILE_BMAD_STATUS: {
		struct bmad_status *s;

		if ((ret = bmad_status_load(path, &s, d)) == 0) {
			diags_move(warn, &s->warnings);
			bmad_status_free(s);
		}
		break;
	}
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
		break;
	}
	return ret;
}

int cmd_validate_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("validate");
	bool caret = isatty(STDERR_FILENO);
	int npos, ret, status = EXIT_OK;
	char **pos;

	ret = cmd_parse(c, argc, argv, NULL, 0, &pos, &npos);
	if (ret)
		return ret;
	if (npos == 0) {
		free(pos);
		return cmd_usage_error(c, "expected at least one file");
	}
	for (int i = 0; i < npos; i++) {
		struct diags d = DIAGS_INIT;
		struct diags warn = DIAGS_INIT;
		struct preflight pf = PREFLIGHT_INIT;

		if (validate_one(pos[i], &d, &pf, &warn) == 0 && d.n == 0) {
			printf("ok %s\n", pos[i]);
			fflush(stdout);
			diags_print_warnings(&warn, stderr);
			preflight_print(&pf, stderr, pos[i], true);
		} else {
			fflush(stdout);
			if (d.n == 0)
				diags_add(&d, pos[i], 0, 0, "invalid file");
			diags_sort(&d);
			diags_print(&d, stderr, caret);
			status = EXIT_DATAERR;
		}
		diags_release(&d);
		diags_release(&warn);
		preflight_release(&pf);
	}
	free(pos);
	return status;
}
