/* SPDX-License-Identifier: MIT */
/*
 * config_sprint.c: sprints (sprint.yaml, or a BMAD sprint-status read as
 * one): stories, dependencies, the project root, the workflow; sprint_load.
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
#include "strmap.h"

static void story_release(struct story *s)
{
	free(s->id);
	free(s->key);
	free(s->prefix);
	free(s->epic);
	free(s->title);
	free(s->agent);
	strvec_release(&s->depends);
	strvec_release(&s->fake);
	free(s->dep_index);
	free(s->status);
}

void sprint_free(struct sprint *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nstories; i++)
		story_release(&s->stories[i]);
	free(s->stories);
	free(s->file);
	free(s->project);
	free(s->root);
	free(s->workflow_name);
	free(s->agent);
	free(s->status_file);
	free(s->worktree_dir);
	free(s->branch_prefix);
	for (size_t i = 0; i < s->nskipped; i++) {
		free(s->skipped[i].key);
		free(s->skipped[i].status);
		free(s->skipped[i].reason);
	}
	free(s->skipped);
	strvec_release(&s->warnings);
	agents_free(s->agents);
	triggers_free(s->triggers);
	strvec_release(&s->review_sources);
	strvec_release(&s->review_done);
	strvec_release(&s->notify.command);
	free(s->notify.changelog);
	free(s->op.agent);
	strvec_release(&s->op.triggers);
	workflow_free(s->workflow);
	free(s);
}

int sprint_find_story(const struct sprint *s, const char *name)
{
	for (size_t i = 0; i < s->nstories; i++)
		if (!strcmp(s->stories[i].id, name) || !strcmp(s->stories[i].key, name))
			return (int)i;
	for (size_t i = 0; i < s->nstories; i++)
		if (storykey_same(s->stories[i].id, name))
			return (int)i;
	return -1;
}

/* fake: {STEP: BEHAVIOUR}: what the fake agent does in each step of the story. */
static int parse_story_fake(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct story *st = obj;
	int ret = 0;

	if (!n || n->kind != YN_MAP)
		return lctx_error(cx, n,
				  "expected a mapping of step names to fake-agent behaviours, "
				  "got %s",
				  ynode_kind_name(n));
	for (size_t i = 0; i < n->n; i++) {
		char *v;

		if (schema_str(cx, n->pairs[i].val, &v) < 0) {
			ret = -1;
			continue;
		}
		strvec_push_nodup(&st->fake, xstrfmt("%s=%s", n->pairs[i].key->str, v));
		free(v);
	}
	return ret;
}

static const struct field story_fields[] = {
	{ "id", FT_STR, offsetof(struct story, id), F_REQUIRED, NULL, 0, 0 },
	{ "title", FT_STR, offsetof(struct story, title), 0, NULL, 0, 0 },
	{ "depends_on", FT_STRLIST, offsetof(struct story, depends), 0, NULL, 0, 0 },
	{ "agent", FT_STR, offsetof(struct story, agent), 0, NULL, 0, 0 },
	{ "fake", FT_CUSTOM, 0, 0, parse_story_fake, 0, 0 },
};

static int fill_story_keys(struct story *st)
{
	struct storykey k;

	/* a sprint.yaml is ours: ids keep the strict rule BMAD keys are spared */
	if (!storykey_valid(st->id) || storykey_parse(st->id, &k) < 0)
		return -1;
	st->prefix = xstrdup(k.prefix);
	st->epic = xstrdup(k.epic);
	st->key = k.slug[0] ? xstrfmt("%s-%s", k.prefix, k.slug) : xstrdup(k.prefix);
	return 0;
}

static int parse_stories(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct sprint *s = obj;
	struct strmap prefixes = STRMAP_INIT;
	size_t before = cx->errors;

	if (!n || n->kind != YN_SEQ || n->n == 0)
		return lctx_error(cx, n, "expected a non-empty list of stories, got %s",
				  ynode_kind_name(n));
	s->stories = xcalloc(n->n, sizeof(*s->stories));
	strmap_reserve(&prefixes, n->n);
	for (size_t i = 0, first; i < n->n; i++) {
		struct story *st = &s->stories[s->nstories];
		const struct ynode *idn;

		/* a story with other errors still counts, so references to it resolve */
		schema_map(cx, n->items[i], story_fields, ARRAY_SIZE(story_fields), st, "a story");
		idn = ynode_get(n->items[i], "id");
		st->item = i;
		if (!st->id) {
			story_release(st);
			memset(st, 0, sizeof(*st));
			continue;
		}
		st->line = idn->line;
		st->col = idn->col;
		if (fill_story_keys(st) < 0) {
			cfg_name_error(cx, idn, "story id", st->id);
			story_release(st);
			memset(st, 0, sizeof(*st));
			continue;
		}
		if (!st->title)
			st->title = xstrdup(st->id);
		/* a story's prefix lives as long as the sprint: the map borrows it */
		if (!strmap_put(&prefixes, st->prefix, strlen(st->prefix), s->nstories, &first))
			lctx_error(cx, idn, "duplicate story '%s' (same as '%s' at line %d)",
				   st->id, s->stories[first].id, s->stories[first].line);
		s->nstories++;
	}
	strmap_release(&prefixes);
	return cx->errors > before ? -1 : 0;
}

int cfg_one_of(struct lctx *cx, const struct ynode *n, const char *const *words,
	       const char *expected)
{
	for (int i = 0; n && n->kind == YN_SCALAR && words[i]; i++)
		if (!strcmp(n->str, words[i]))
			return i;
	lctx_error(cx, n, "expected %s, got %s", expected,
		   n && n->kind == YN_SCALAR ? n->str : ynode_kind_name(n));
	return -1;
}

/* isolation: worktree (the default: a worktree per story) or shared (the project's tree). */
static int parse_isolation(struct lctx *cx, const struct ynode *n, void *obj)
{
	static const char *const words[] = { "shared", "worktree", NULL };
	int i = cfg_one_of(cx, n, words, "worktree or shared");

	if (i >= 0)
		((struct sprint *)obj)->isolation = (enum isolation)i;
	return i < 0 ? -1 : 0;
}

/* branch_prefix: what git takes in a branch name, ending in '/' or not. */
static int parse_branch_prefix(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct sprint *s = obj;
	char *v;

	if (schema_str(cx, n, &v) < 0)
		return -1;
	if (!*v || v[0] == '-' || v[0] == '/' || strstr(v, "..") || strstr(v, "//") ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-") !=
		    strlen(v)) {
		free(v);
		return lctx_error(cx, n,
				  "a branch prefix takes letters, digits, '.', '_', '-' and '/' "
				  "(not first, not doubled), no '..'");
	}
	free(s->branch_prefix);
	s->branch_prefix = v;
	return 0;
}

/*
 * integrate: rebase (linear history), merge (a merge commit per story) or
 * none (the branches are left for the user).
 */
static int parse_integrate(struct lctx *cx, const struct ynode *n, void *obj)
{
	static const char *const words[] = { "rebase", "merge", "none", NULL };
	int i = cfg_one_of(cx, n, words, "rebase, merge or none");

	if (i >= 0)
		((struct sprint *)obj)->integrate = (enum integrate)i;
	return i < 0 ? -1 : 0;
}

static const struct field sprint_fields[] = {
	{ "project", FT_STR, offsetof(struct sprint, project), 0, NULL, 0, 0 },
	{ "root", FT_STR, offsetof(struct sprint, root), 0, NULL, 0, 0 },
	{ "workflow", FT_STR, offsetof(struct sprint, workflow_name), 0, NULL, 0, 0 },
	{ "agent", FT_STR, offsetof(struct sprint, agent), 0, NULL, 0, 0 },
	{ "max_parallel", FT_INT, offsetof(struct sprint, max_parallel), 0, NULL, 1, 64 },
	{ "status_file", FT_STR, offsetof(struct sprint, status_file), 0, NULL, 0, 0 },
	{ "allow_outside", FT_BOOL, offsetof(struct sprint, allow_outside), 0, NULL, 0, 0 },
	{ "isolation", FT_CUSTOM, 0, 0, parse_isolation, 0, 0 },
	{ "integrate", FT_CUSTOM, 0, 0, parse_integrate, 0, 0 },
	{ "keep_branches", FT_BOOL, offsetof(struct sprint, keep_branches), 0, NULL, 0, 0 },
	{ "worktree_dir", FT_STR, offsetof(struct sprint, worktree_dir), 0, NULL, 0, 0 },
	{ "branch_prefix", FT_CUSTOM, 0, 0, parse_branch_prefix, 0, 0 },
	{ "limits", FT_CUSTOM, 0, 0, cfg_parse_limits, 0, 0 },
	{ "agents", FT_CUSTOM, 0, 0, cfg_parse_sprint_agents, 0, 0 },
	{ "notify", FT_CUSTOM, 0, 0, cfg_parse_notify, 0, 0 },
	{ "operator", FT_CUSTOM, 0, 0, cfg_parse_operator, 0, 0 },
	{ "review_contract", FT_CUSTOM, 0, 0, cfg_parse_review_contract, 0, 0 },
	{ "triggers", FT_CUSTOM, 0, 0, cfg_parse_trigger_overrides, 0, 0 },
	/* required, unless status_file: names a sprint-status to take them from */
	{ "stories", FT_CUSTOM, 0, 0, parse_stories, 0, 0 },
};

/* The depends_on node of story i in the stories list, and item j of it. */
static const struct ynode *dep_node(const struct sprint *s, const struct ynode *stories, size_t i,
				    size_t j)
{
	const struct ynode *dn = ynode_get(stories->items[s->stories[i].item], "depends_on");

	if (dn && dn->kind == YN_SEQ && j < dn->n)
		return dn->items[j];
	return dn;
}

/*
 * Resolves depends_on to indexes; reports unknown stories, self-references
 * and cycles (each cycle once, at the story that closes it).
 */
static void resolve_deps(struct lctx *cx, struct sprint *s, const struct ynode *stories)
{
	size_t n = s->nstories, *stack, *next;
	int *color, *parent;
	struct strmap names = STRMAP_INIT;

	/* every story by id and full key: dependencies found in O(1) */
	strmap_reserve(&names, 2 * n);
	for (size_t i = 0; i < n; i++) {
		const struct story *st = &s->stories[i];

		strmap_put(&names, st->id, strlen(st->id), i, NULL);
		if (st->key)
			strmap_put(&names, st->key, strlen(st->key), i, NULL);
	}
	for (size_t i = 0; i < n; i++) {
		struct story *st = &s->stories[i];

		st->dep_index = xcalloc(st->depends.n + 1, sizeof(*st->dep_index));
		for (size_t j = 0; j < st->depends.n; j++) {
			size_t found;
			int k = strmap_get(&names, st->depends.v[j], strlen(st->depends.v[j]),
					   &found)
					? (int)found
					: sprint_find_story(s, st->depends.v[j]);

			if (k < 0)
				lctx_error(cx, dep_node(s, stories, i, j),
					   "unknown story '%s' in depends_on of '%s'",
					   st->depends.v[j], st->id);
			else if ((size_t)k == i)
				lctx_error(cx, dep_node(s, stories, i, j),
					   "story '%s' depends on itself", st->id);
			st->dep_index[j] = k < 0 ? SIZE_MAX : (size_t)k;
		}
	}
	/* iterative DFS over the valid edges; color 0 new, 1 on the stack, 2 done */
	strmap_release(&names);
	color = xcalloc(n + 1, sizeof(*color));
	parent = xcalloc(n + 1, sizeof(*parent));
	/* once for all roots: each story is pushed once, its next edge kept */
	stack = xcalloc(n + 1, sizeof(*stack));
	next = xcalloc(n + 1, sizeof(*next));
	for (size_t root = 0; root < n; root++) {
		size_t top = 0;

		if (color[root])
			continue;
		stack[top++] = root;
		color[root] = 1;
		parent[root] = -1;
		while (top) {
			size_t u = stack[top - 1];
			struct story *su = &s->stories[u];

			if (next[u] >= su->depends.n) {
				color[u] = 2;
				top--;
				continue;
			}
			size_t j = next[u]++, v = su->dep_index[j];

			if (v == SIZE_MAX || v == u)
				continue;
			if (color[v] == 0) {
				color[v] = 1;
				parent[v] = (int)u;
				stack[top++] = v;
			} else if (color[v] == 1) {
				struct buf path = BUF_INIT;
				size_t k = top;

				/* the cycle is v ... u on the stack, then back to v */
				while (k > 0 && stack[k - 1] != v)
					k--;
				for (size_t m = k - 1; m < top; m++)
					buf_addf(&path, "%s -> ", s->stories[stack[m]].id);
				buf_adds(&path, s->stories[v].id);
				lctx_error(cx, dep_node(s, stories, u, j), "dependency cycle '%s'",
					   path.s);
				buf_release(&path);
			}
		}
	}
	free(stack);
	free(next);
	free(color);
	free(parent);
}

/* Absolute path of the project root: root: relative to the sprint, or .git upward. */
static char *find_root(struct lctx *cx, const struct ynode *top, const char *sprint_path,
		       const char *root)
{
	char *dir = path_dirname(sprint_path), *cand, *abs;

	if (root) {
		cand = path_join(dir, root);
		abs = realpath(cand, NULL);
		if (!abs || !cfg_dir_exists(abs))
			lctx_error(cx, ynode_get(top, "root"),
				   "project root is not a directory '%s'", root);
		free(cand);
		free(dir);
		return abs;
	}
	abs = realpath(dir, NULL);
	free(dir);
	if (!abs) {
		lctx_error(cx, top, "cannot resolve the sprint's directory");
		return NULL;
	}
	for (char *p = xstrdup(abs);;) {
		char *git = path_join(p, ".git"), *bmad = path_join(p, "_bmad-output"), *up;
		bool found = cfg_file_exists(git) || cfg_dir_exists(bmad);

		free(git);
		free(bmad);
		if (found) {
			free(abs);
			return p;
		}
		if (!strcmp(p, "/")) {
			free(p);
			return abs;
		}
		up = path_dirname(p);
		free(p);
		p = up;
	}
}

/* Resolves the workflow name to a file: a path as written, else a shipped one. */
static char *workflow_path(const char *sprint_dir, const char *name)
{
	char *rel;

	if (strchr(name, '/') || str_ends_with(name, ".yaml") || str_ends_with(name, ".yml"))
		return cfg_join_rel(sprint_dir, name);
	rel = xstrfmt("workflows/%s.yaml", name);
	char *p = config_shipped(rel);
	free(rel);
	return p;
}

/*
 * What a run reads into an agent's prompt or edits must be the project's:
 * the sprint-status and every prompt file resolve (symlinks followed)
 * inside the project root (prompt files also inside the shipped data
 * directory), unless the sprint says allow_outside: true.
 */
static void check_inside(struct lctx *cx, struct sprint *s, const struct ynode *top)
{
	char *data = realpath(config_datadir(), NULL);

	if (s->allow_outside || !s->root)
		goto out;
	if (s->status_file || s->bmad) {
		char *p = s->bmad ? xstrdup(s->file) : path_join(s->root, s->status_file);
		char *real = realpath(p, NULL);

		if (real && !path_inside(s->root, real))
			lctx_error(cx, s->bmad ? top : ynode_get(top, "status_file"),
				   "the sprint-status is outside the project root, after "
				   "symlinks (allow_outside: true allows it) '%s'",
				   s->bmad ? s->file : s->status_file);
		free(real);
		free(p);
	}
	for (size_t i = 0; s->workflow && i < s->workflow->nsteps; i++) {
		const struct step *st = &s->workflow->steps[i];
		char *real = st->prompt_path ? realpath(st->prompt_path, NULL) : NULL;

		if (real && !path_inside(s->root, real) && !(data && path_inside(data, real))) {
			diag_error(cx->d, s->workflow->file, st->prompt_line, st->prompt_col,
				   "prompt file is outside the project root, after symlinks "
				   "(allow_outside: true in the sprint allows it) '%s'",
				   st->prompt_file);
			cx->errors++;
		}
		free(real);
	}
out:
	free(data);
}

int sprint_load(const char *path, struct sprint **out, struct diags *d)
{
	return sprint_load_with(path, NULL, out, d);
}

int sprint_load_with(const char *path, const struct strvec *include_status, struct sprint **out,
		     struct diags *d)
{
	struct ydoc doc;
	int ret;

	if (cfg_load_doc(path, &doc, d) < 0)
		return -1;
	ret = sprint_load_doc(path, &doc, include_status, out, d);
	ydoc_release(&doc);
	return ret;
}

int sprint_load_doc(const char *path, const struct ydoc *doc, const struct strvec *include_status,
		    struct sprint **out, struct diags *d)
{
	struct lctx cx = { .file = path, .d = d };
	struct sprint *s;
	char *agents_path, *sprint_dir, *wf, *given_root;
	struct diags sub = DIAGS_INIT;

	s = xcalloc(1, sizeof(*s));
	s->file = xstrdup(path);
	s->max_parallel = 1;
	s->isolation = ISOLATION_WORKTREE; /* every story in a worktree of its own */
	s->limits = (struct limits){ 5, 2, 600, 7200, 180, 12 * 3600, 0, 0, 300, 10, 300 };

	agents_path = config_shipped("data/agents.yaml");
	if (agents_load(agents_path, &s->agents, &sub) < 0) {
		diags_move(d, &sub);
		cx.errors++;
		s->agents = xcalloc(1, sizeof(*s->agents));
	}
	free(agents_path);
	agents_path = config_shipped("data/triggers.yaml");
	if (triggers_load(agents_path, &s->triggers, &sub) < 0) {
		diags_move(d, &sub);
		cx.errors++;
	}
	free(agents_path);
	notify_cfg_default(&s->notify);
	operator_cfg_default(&s->op);

	if (doc->root->kind == YN_MAP && ynode_get(doc->root, "development_status")) {
		s->bmad = true;
		cfg_bmad_stories(&cx, s, doc, include_status);
		s->workflow_name = xstrdup("bmad");
	} else {
		schema_map(&cx, doc->root, sprint_fields, ARRAY_SIZE(sprint_fields), s, "a sprint");
	}
	if (doc->root->kind != YN_MAP)
		goto out;

	given_root = s->root; /* root: as written, replaced by the absolute path */
	s->root = find_root(&cx, doc->root, path, s->bmad ? NULL : given_root);
	free(given_root);
	if (!s->root)
		goto out;
	if (!s->project) {
		const char *base = strrchr(s->root, '/');

		s->project = xstrdup(base && base[1] ? base + 1 : "project");
	} else if (!storykey_valid(s->project)) {
		cfg_name_error(&cx, ynode_get(doc->root, "project"), "project name", s->project);
	}
	if (!s->bmad && !ynode_get(doc->root, "stories")) {
		/* after a misspelt key (stoires:), its did-you-mean says it all */
		if (!s->status_file && !cx.errors)
			lctx_error(&cx, doc->root,
				   "missing required key 'stories' in a sprint (or status_file: a "
				   "BMAD sprint-status to take them from)");
		else if (!cx.errors)
			cfg_status_file_stories(&cx, s, include_status);
	} else if (!s->bmad) {
		resolve_deps(&cx, s, ynode_get(doc->root, "stories"));
		if (s->status_file && !cx.errors)
			cfg_status_file_keys(s);
	}
	if (cfg_check_fallbacks(d, s->agents) < 0)
		cx.errors++;

	if (!s->agent)
		s->agent = xstrdup("claude");
	cfg_check_agent_name(
		&cx, ynode_get(doc->root, "agent") ? ynode_get(doc->root, "agent") : doc->root,
		s->agents, s->agent);
	if (s->op.agent)
		cfg_check_agent_name(&cx, ynode_get(ynode_get(doc->root, "operator"), "agent"),
				     s->agents, s->op.agent);
	for (size_t i = 0; i < s->nstories; i++) {
		const struct ynode *stories = ynode_get(doc->root, "stories");

		if (s->stories[i].agent && stories)
			cfg_check_agent_name(&cx,
					     ynode_get(stories->items[s->stories[i].item], "agent"),
					     s->agents, s->stories[i].agent);
	}

	if (!s->workflow_name)
		s->workflow_name = xstrdup("simple");
	sprint_dir = path_dirname(path);
	wf = workflow_path(sprint_dir, s->workflow_name);
	free(sprint_dir);
	if (!cfg_file_exists(wf)) {
		lctx_error(&cx,
			   ynode_get(doc->root, "workflow") ? ynode_get(doc->root, "workflow")
							    : doc->root,
			   "unknown workflow '%s'", s->workflow_name);
	} else if (workflow_load(wf, s->agents, &s->workflow, d) < 0) {
		cx.errors++;
	}
	free(wf);
	check_inside(&cx, s, doc->root);
out:
	if (cx.errors) {
		sprint_free(s);
		return -1;
	}
	*out = s;
	return 0;
}
