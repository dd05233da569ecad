/* SPDX-License-Identifier: MIT */
/*
 * config.c: what the loaders share (config_agents.c, config_workflow.c,
 * config_triggers.c, config_sprint.c: schema tables over ynode trees; every
 * check that can be made before a run starts is made there, and every error
 * is collected), and where the shipped files are. Must not start processes
 * or write files.
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
#include "ydoc.h"

#define TRIGGER_ACTION_NAME(n) #n,
const char *const trigger_action_names[] = { TRIGGER_ACTIONS(TRIGGER_ACTION_NAME) NULL };

#define NOTIFY_ROUTE_NAME(n) #n,
const char *const notify_route_names[] = { NOTIFY_ROUTES(NOTIFY_ROUTE_NAME) NULL };

void notify_cfg_default(struct notify_cfg *n)
{
	memset(n, 0, sizeof(*n));
	n->routes[SEVERITY_MEDIUM] = 1u << NR_log;
	n->routes[SEVERITY_HIGH] = 1u << NR_log | 1u << NR_bell;
	n->routes[SEVERITY_CRITICAL] =
		1u << NR_log | 1u << NR_bell | 1u << NR_tmux | 1u << NR_desktop;
	n->stale_after = 30 * 60;
	n->max_reescalations = 2;
}

const char *const required_triggers[] = {
	"code-review-loop-exceeded",
	"cannot-parse-output",
	"session-spawn-failure",
	"git-commit-failure",
	"unexpected-error",
	"dependency-conflict",
	"dev-implementation-failure",
	"session-incomplete",
	"agent-needs-input",
	"restart-loop",
	"agent-unavailable",
	"usage-limit",
	"agent-permission-denied",
	"budget-exceeded",
	"session-lost",
	"integration-conflict",
	NULL,
};

/* Placeholders a prompt or message may use (everything but {prompt}). */
const char *const cfg_text_names[] = {
	"story.id",
	"story.key",
	"story.prefix",
	"story.title",
	"story.epic",
	"step",
	"cycle",
	"attempt",
	"root",
	/* how the story's agent invokes a BMAD workflow (bmadinstall.h) */
	"bmad.invoke.create_story",
	"bmad.invoke.dev_story",
	"bmad.invoke.automate",
	"bmad.invoke.code_review",
	NULL,
};

bool cfg_file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

bool cfg_dir_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* path_join, except that "." adds nothing: messages then name files as the user does. */
char *cfg_join_rel(const char *dir, const char *name)
{
	return strcmp(dir, ".") ? path_join(dir, name) : xstrdup(name);
}

/* Adds "invalid WHAT 'name' (why)" at n; returns -1. */
int cfg_name_error(struct lctx *cx, const struct ynode *n, const char *what, const char *name)
{
	char *why = storykey_problem(name);

	lctx_error(cx, n, "invalid %s '%s' (%s)", what, name, why ? why : "not a valid name");
	free(why);
	return -1;
}

/* Placeholders a trigger message may use: the text ones plus what went wrong. */
const char *const cfg_message_names[] = {
	"story.id", "story.key", "story.prefix", "story.title", "story.epic",
	"step",     "cycle",     "attempt",      "root",        "error",
	"output",   "denied",    "cost",         "waiting",     NULL,
};

/* ---- shipped files ---- */

const char *config_datadir(void)
{
	static char *dir;
	char exe[PATH_MAX];
	ssize_t n;

	if (dir)
		return dir;
	if (getenv("AUTOMATOR_DATA_DIR") && *getenv("AUTOMATOR_DATA_DIR")) {
		dir = xstrdup(getenv("AUTOMATOR_DATA_DIR"));
		return dir;
	}
	/*
	 * Beside the binary: PREFIX/bin/../share/automator once installed; in a
	 * build tree, share/automator (a link to the source tree, made by the
	 * build; the tests' binaries one level down find it as ../share)
	 */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		static const char *const rel[] = { "../share/automator", "share/automator" };
		char *bindir;

		exe[n] = '\0';
		bindir = path_dirname(exe);
		for (size_t i = 0; !dir && i < sizeof(rel) / sizeof(rel[0]); i++) {
			char *cand = xstrfmt("%s/%s", bindir, rel[i]);
			char *probe = xstrfmt("%s/data/triggers.yaml", cand);

			if (cfg_file_exists(probe))
				dir = realpath(cand, NULL);
			if (!dir && cfg_file_exists(probe))
				dir = xstrdup(cand);
			free(probe);
			free(cand);
		}
		free(bindir);
		if (dir)
			return dir;
	}
	dir = xstrdup(AUTOMATOR_DATADIR);
	return dir;
}

char *config_shipped(const char *relpath)
{
	return path_join(config_datadir(), relpath);
}

const char *file_kind_name(enum file_kind k)
{
	static const char *const names[] = { "unknown",  "sprint", "BMAD sprint-status",
					     "workflow", "agents", "triggers" };

	return names[k];
}

/*
 * A command: a list of words (each item one word, as written) or one
 * string split into words by shell quoting rules (shellwords.h), never
 * run by a shell. An unterminated quote is an error at the string.
 */
int cfg_read_command(struct lctx *cx, const struct ynode *n, struct strvec *out)
{
	char *cause = NULL;
	int ret;

	if (!n || n->kind != YN_SCALAR || ynode_is_null(n)) {
		size_t before = out->n;

		if (schema_strlist(cx, n, out) < 0)
			return -1;
		/* an empty word reaches the program as an empty argument: never meant */
		for (size_t i = before; i < out->n; i++)
			if (!out->v[i][0])
				return lctx_error(
					cx, n && n->kind == YN_SEQ ? n->items[i - before] : n,
					"empty word in command (word %zu) ''", i - before + 1);
		return 0;
	}
	if (shellwords_split(n->str, out, &cause, NULL) == 0) {
		for (size_t i = 0; i < out->n; i++)
			if (!out->v[i][0])
				return lctx_error(cx, n, "empty word in command (word %zu) '%s'",
						  i + 1, n->str);
		return 0;
	}
	ret = lctx_error(cx, n, "%s in command '%s'", cause, n->str);
	free(cause);
	return ret;
}

int cfg_load_doc(const char *path, struct ydoc *doc, struct diags *d)
{
	if (ydoc_load(doc, path, d) < 0)
		return -1;
	if (!doc->root || ynode_is_null(doc->root)) {
		diags_add(d, path, 1, 1, "empty file");
		ydoc_release(doc);
		return -1;
	}
	return 0;
}

/* Checks the root is a mapping holding only the allowed top-level keys. */
int cfg_check_top(struct lctx *cx, const struct ynode *root, const char *const *keys,
		  const char *what)
{
	int ret = 0;

	if (root->kind != YN_MAP)
		return lctx_error(cx, root, "expected a mapping at the top of %s, got %s", what,
				  ynode_kind_name(root));
	for (size_t i = 0; i < root->n; i++) {
		const struct ynode *k = root->pairs[i].key;
		const char *hint = NULL;
		bool ok = false;

		for (const char *const *p = keys; *p; p++) {
			if (!strcmp(*p, k->str))
				ok = true;
			else if (str_distance(k->str, *p, 2) <= 2)
				hint = *p;
		}
		if (ok)
			continue;
		if (hint)
			ret = lctx_error(cx, k, "unknown key '%s' in %s (did you mean '%s'?)",
					 k->str, what, hint);
		else
			ret = lctx_error(cx, k, "unknown key '%s' in %s", k->str, what);
	}
	return ret;
}
