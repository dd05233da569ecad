/*
 * cmd_validate.c: `automator validate FILE...`. Tells each file's kind from
 * its top-level keys, loads it with the matching loader and prints either
 * `ok FILE` or every error found. A good sprint is also checked against
 * this machine (preflight.h); those findings are warnings and do not change
 * the exit status, which is about the file. Must not write anything.
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
	if (ynode_get(root, "stories"))
		return FILE_SPRINT;
	if (ynode_get(root, "steps"))
		return FILE_WORKFLOW;
	if (ynode_get(root, "triggers"))
		return FILE_TRIGGERS;
	if (ynode_get(root, "agents"))
		return FILE_AGENTS;
	return FILE_UNKNOWN;
}

/*
 * Loads path by kind; returns 0 when it is good. A good sprint's preflight
 * findings are added to pf.
 */
static int validate_one(const char *path, struct diags *d, struct preflight *pf)
{
	struct ydoc doc;
	enum file_kind kind;
	int ret = -1;

	if (ydoc_load(&doc, path, d) < 0)
		return -1;
	if (!doc.root || ynode_is_null(doc.root)) {
		diags_add(d, path, 1, 1, "empty file");
		ydoc_release(&doc);
		return -1;
	}
	kind = kind_of(doc.root);
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

		if ((ret = bmad_status_load(path, &s, d)) == 0)
			bmad_status_free(s);
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
		struct preflight pf = PREFLIGHT_INIT;

		if (validate_one(pos[i], &d, &pf) == 0 && d.n == 0) {
			printf("ok %s\n", pos[i]);
			fflush(stdout);
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
		preflight_release(&pf);
	}
	free(pos);
	return status;
}
