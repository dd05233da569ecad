/* SPDX-License-Identifier: MIT */
/*
 * config_workflow.c: workflows (workflows/<name>.yaml): steps, their kinds,
 * prompts, patterns and verifiers, checked before a run starts.
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

const char *step_kind_name(enum step_kind k)
{
	static const char *const names[] = { "session", "review", "commit", "verify" };

	return names[k];
}

static void step_release(struct step *s)
{
	free(s->name);
	free(s->prompt);
	free(s->prompt_file);
	free(s->prompt_path);
	free(s->agent);
	free(s->message);
	patlist_release(&s->success);
	patlist_release(&s->failure);
	patlist_release(&s->prompt_wait);
	strvec_release(&s->result);
	free(s->verifier.glob);
	strvec_release(&s->verifier.argv);
}

void workflow_free(struct workflow *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nsteps; i++)
		step_release(&w->steps[i]);
	step_release(&w->resolve);
	free(w->steps);
	free(w->name);
	free(w->description);
	free(w->file);
	free(w);
}

static int parse_step_kind(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct step *s = obj;
	char *v;

	if (schema_str(cx, n, &v) < 0)
		return -1;
	for (int k = STEP_SESSION; k <= STEP_VERIFY; k++) {
		if (!strcmp(v, step_kind_name(k))) {
			s->kind = k;
			free(v);
			return 0;
		}
	}
	lctx_error(cx, n, "unknown step kind '%s' (expected session, review, commit or verify)", v);
	free(v);
	return -1;
}

static const struct {
	const char *name;
	enum verifier_kind kind;
} verifier_names[] = {
	{ "session_exit", VERIFIER_SESSION_EXIT },
	{ "review_completion", VERIFIER_REVIEW_COMPLETION },
	{ "story_artifact", VERIFIER_STORY_ARTIFACT },
	{ "story_file", VERIFIER_STORY_FILE },
	{ "command", VERIFIER_COMMAND },
	{ "epic_complete", VERIFIER_EPIC_COMPLETE },
	{ "conflicts_resolved", VERIFIER_CONFLICTS_RESOLVED },
};

static int verifier_kind_of(struct lctx *cx, const struct ynode *n, enum verifier_kind *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(verifier_names); i++) {
		if (!strcmp(n->str, verifier_names[i].name)) {
			*out = verifier_names[i].kind;
			return 0;
		}
	}
	return lctx_error(cx, n,
			  "unknown verifier '%s' (expected session_exit, "
			  "review_completion, story_file, story_artifact, command, "
			  "epic_complete or conflicts_resolved)",
			  n->str);
}

struct verifier_spec {
	char *type;
	char *glob;
	int expect;
	struct strvec argv;
};

static const struct field verifier_fields[] = {
	{ "type", FT_STR, offsetof(struct verifier_spec, type), F_REQUIRED, NULL, 0, 0 },
	{ "glob", FT_STR, offsetof(struct verifier_spec, glob), 0, NULL, 0, 0 },
	{ "expect", FT_INT, offsetof(struct verifier_spec, expect), 0, NULL, 0, 10000 },
	{ "argv", FT_STRLIST, offsetof(struct verifier_spec, argv), 0, NULL, 0, 0 },
};

static int parse_verifier(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct step *s = obj;
	struct verifier *v = &s->verifier;
	struct verifier_spec spec = { .expect = 1 };
	size_t before = cx->errors;

	if (n && n->kind == YN_SCALAR && !ynode_is_null(n)) {
		if (verifier_kind_of(cx, n, &v->kind) < 0)
			return -1;
		v->expect = 1;
		if (v->kind == VERIFIER_STORY_ARTIFACT || v->kind == VERIFIER_COMMAND)
			return lctx_error(cx, n,
					  "verifier '%s' needs arguments: write it as a "
					  "mapping with type: and %s",
					  n->str, v->kind == VERIFIER_COMMAND ? "argv:" : "glob:");
		return 0;
	}
	if (schema_map(cx, n, verifier_fields, ARRAY_SIZE(verifier_fields), &spec, "a verifier") ==
	    0) {
		const struct ynode *tn = ynode_get(n, "type");

		if (verifier_kind_of(cx, tn, &v->kind) == 0) {
			if (v->kind == VERIFIER_STORY_ARTIFACT && !spec.glob)
				lctx_error(cx, n,
					   "missing required key 'glob' in a story_artifact "
					   "verifier");
			if (v->kind == VERIFIER_COMMAND && !spec.argv.n)
				lctx_error(cx, n,
					   "missing required key 'argv' in a command "
					   "verifier");
			if (spec.glob && v->kind != VERIFIER_STORY_ARTIFACT)
				lctx_error(cx, ynode_get(n, "glob"),
					   "key 'glob' applies to story_artifact verifiers only");
			if (spec.argv.n && v->kind != VERIFIER_COMMAND)
				lctx_error(cx, ynode_get(n, "argv"),
					   "key 'argv' applies to command verifiers only");
			if (spec.glob) {
				schema_template(cx, ynode_get(n, "glob"), spec.glob,
						cfg_text_names);
				if (spec.glob[0] == '/' || strstr(spec.glob, ".."))
					lctx_error(cx, ynode_get(n, "glob"),
						   "glob must stay inside the project '%s'",
						   spec.glob);
			}
			for (size_t i = 0; i < spec.argv.n; i++)
				schema_template(cx, ynode_get(n, "argv"), spec.argv.v[i],
						cfg_text_names);
		}
	}
	free(spec.type);
	v->glob = spec.glob;
	v->expect = spec.expect;
	v->argv = spec.argv;
	return cx->errors > before ? -1 : 0;
}

/*
 * A step's keys. The first RESOLVE_SKIP are a workflow step's alone; a
 * resolve: mapping takes the rest (it is a session, named by us).
 */
#define RESOLVE_SKIP 5
static const struct field step_fields[] = {
	{ "name", FT_STR, offsetof(struct step, name), F_REQUIRED, NULL, 0, 0 },
	{ "kind", FT_CUSTOM, 0, F_REQUIRED, parse_step_kind, 0, 0 },
	{ "message", FT_STR, offsetof(struct step, message), 0, NULL, 0, 0 },
	{ "optional", FT_BOOL, offsetof(struct step, optional), 0, NULL, 0, 0 },
	{ "skip_if_verified", FT_BOOL, offsetof(struct step, skip_if_artifact), 0, NULL, 0, 0 },
	{ "prompt", FT_STR, offsetof(struct step, prompt), 0, NULL, 0, 0 },
	{ "prompt_file", FT_STR, offsetof(struct step, prompt_file), 0, NULL, 0, 0 },
	{ "agent", FT_STR, offsetof(struct step, agent), 0, NULL, 0, 0 },
	{ "success", FT_PATTERNS, offsetof(struct step, success), 0, NULL, 0, 0 },
	{ "failure", FT_PATTERNS, offsetof(struct step, failure), 0, NULL, 0, 0 },
	{ "prompt_wait", FT_PATTERNS, offsetof(struct step, prompt_wait), 0, NULL, 0, 0 },
	{ "result", FT_STRLIST, offsetof(struct step, result), 0, NULL, 0, 0 },
	{ "verifier", FT_CUSTOM, 0, 0, parse_verifier, 0, 0 },
	{ "timeout", FT_DURATION, offsetof(struct step, timeout), 0, NULL, 1, 0 },
	{ "idle_timeout", FT_DURATION, offsetof(struct step, idle_timeout), 0, NULL, 1, 0 },
	{ "retries", FT_INT, offsetof(struct step, retries), 0, NULL, 0, 100 },
};

/* Reports an unknown agent name at n, with a did-you-mean among set. */
void cfg_check_agent_name(struct lctx *cx, const struct ynode *n, const struct agent_set *set,
			  const char *name)
{
	const char *hint = NULL;
	size_t best = 3;

	if (agents_find(set, name))
		return;
	for (size_t i = 0; i < set->n; i++) {
		size_t dist = str_distance(name, set->v[i].name, 2);

		if (dist < best) {
			hint = set->v[i].name;
			best = dist;
		}
	}
	if (hint)
		lctx_error(cx, n, "unknown agent '%s' (did you mean '%s'?)", name, hint);
	else
		lctx_error(cx, n, "unknown agent '%s'", name);
}

/* Cross-field checks of one step, after its fields were read. */
static void check_step(struct lctx *cx, const struct ynode *n, struct step *s, const char *wfdir,
		       const struct agent_set *agents)
{
	const struct ynode *pf = ynode_get(n, "prompt_file");
	bool runs_agent = s->kind == STEP_SESSION || s->kind == STEP_REVIEW;

	if (s->name && !storykey_valid(s->name))
		cfg_name_error(cx, ynode_get(n, "name"), "step name", s->name);
	if (s->prompt && s->prompt_file)
		lctx_error(cx, pf, "a step takes prompt or prompt_file, not both");
	if (runs_agent && !s->prompt && !s->prompt_file)
		lctx_error(cx, n, "a %s step needs a prompt or prompt_file",
			   step_kind_name(s->kind));
	if (!runs_agent && (s->prompt || s->prompt_file))
		lctx_error(cx, ynode_get(n, s->prompt ? "prompt" : "prompt_file"),
			   "a %s step runs no agent and takes no prompt", step_kind_name(s->kind));
	if (!runs_agent && s->agent)
		lctx_error(cx, ynode_get(n, "agent"), "a %s step runs no agent",
			   step_kind_name(s->kind));
	if (s->message && s->kind != STEP_COMMIT)
		lctx_error(cx, ynode_get(n, "message"),
			   "key 'message' applies to commit steps only");
	if (s->kind == STEP_REVIEW && s->verifier.kind == VERIFIER_NONE)
		lctx_error(cx, n, "a review step needs a verifier");
	if (s->kind == STEP_VERIFY && s->verifier.kind == VERIFIER_NONE)
		lctx_error(cx, n, "a verify step needs a verifier");
	if (s->skip_if_artifact && s->verifier.kind == VERIFIER_NONE)
		lctx_error(cx, ynode_get(n, "skip_if_verified"),
			   "skip_if_verified needs a verifier");
	if (s->prompt_file && !s->prompt) {
		char *path = cfg_join_rel(wfdir, s->prompt_file), *why = NULL;
		size_t len;

		s->prompt_path = xstrdup(path);
		s->prompt_line = pf ? pf->line : 0;
		s->prompt_col = pf ? pf->col : 0;
		if (read_text_file(path, PROMPT_FILE_MAX, &s->prompt, &len, &why) < 0) {
			lctx_error(cx, pf, "cannot read prompt file '%s': %s", s->prompt_file, why);
			free(why);
			s->prompt = NULL;
		} else if (strlen(s->prompt) != len) {
			lctx_error(cx, pf, "prompt file holds a NUL byte '%s'", s->prompt_file);
		} else {
			/* a bad placeholder is reported where it is: in the prompt file */
			schema_template_file(cx, path, s->prompt, cfg_text_names);
		}
		free(path);
	} else if (s->prompt) {
		schema_template(cx, ynode_get(n, "prompt"), s->prompt, cfg_text_names);
	}
	if (s->message)
		schema_template(cx, ynode_get(n, "message"), s->message, cfg_text_names);
	if (s->agent && agents)
		cfg_check_agent_name(cx, ynode_get(n, "agent"), agents, s->agent);
}

/* The resolve session of a workflow without one of its own. */
static const char default_resolve[] =
	"prompt: |\n"
	"  Resolve the integration conflict of story {story.id}: {story.title}\n"
	"\n"
	"  The story's branch is being integrated into the target branch in the git\n"
	"  worktree at {root}, and git stopped at a conflict: `git status` there\n"
	"  lists the conflicting files. Resolve each conflict so that both the\n"
	"  story's change and the target's are kept, `git add` the files, and go\n"
	"  on with `git -c core.editor=true rebase --continue` (or, when a merge is\n"
	"  in progress, `git commit --no-edit`) until git has nothing left to do.\n"
	"  Do not abort the rebase or the merge, and change nothing else.\n"
	"  End with one line:\n"
	"  AUTOMATOR_RESULT {\"status\": \"done\", \"summary\": \"<one sentence>\"}\n"
	"  or, if you cannot resolve it:\n"
	"  AUTOMATOR_RESULT {\"status\": \"failed\", \"summary\": \"<what stopped you>\"}\n"
	"result: [status, summary]\n"
	"failure: ['^AUTOMATOR_RESULT \\{\"status\": *\"failed\"']\n"
	"verifier: conflicts_resolved\n";

/* Reads a resolve: mapping n (the built-in one when n is NULL) into w->resolve. */
static void read_resolve(struct lctx *cx, const struct ynode *n, const char *wfdir,
			 const struct agent_set *agents, struct workflow *w)
{
	struct step *s = &w->resolve;
	struct lctx builtin = { .file = "(built-in resolve step)", .d = cx->d };
	struct ydoc doc = { 0 };
	struct lctx *at = cx;

	s->retries = -1;
	if (!n) {
		if (ydoc_parse(&doc, builtin.file, default_resolve, sizeof(default_resolve) - 1,
			       cx->d) < 0) {
			cx->errors++;
			return;
		}
		n = doc.root;
		at = &builtin;
	}
	s->line = n->line;
	s->col = n->col;
	if (schema_map(at, n, step_fields + RESOLVE_SKIP, ARRAY_SIZE(step_fields) - RESOLVE_SKIP, s,
		       "resolve") == 0) {
		s->name = xstrdup(RESOLVE_STEP_NAME);
		s->kind = STEP_SESSION;
		if (s->verifier.kind == VERIFIER_NONE)
			s->verifier.kind = VERIFIER_CONFLICTS_RESOLVED;
		check_step(at, n, s, wfdir, agents);
	}
	cx->errors += at != cx ? at->errors : 0;
	ydoc_release(&doc);
}

static int read_workflow(struct lctx *cx, const struct ynode *root, const char *path,
			 const struct agent_set *agents, struct workflow *w)
{
	static const char *const top[] = { "name", "description", "steps", "resolve", NULL };
	const struct ynode *steps = ynode_get(root, "steps");
	char *wfdir = path_dirname(path);
	size_t before = cx->errors;

	if (cfg_check_top(cx, root, top, "a workflow") < 0)
		goto out;
	if (ynode_get(root, "name"))
		schema_str(cx, ynode_get(root, "name"), &w->name);
	if (ynode_get(root, "description"))
		schema_str(cx, ynode_get(root, "description"), &w->description);
	if (!steps) {
		lctx_error(cx, root, "missing required key 'steps' in a workflow");
		goto out;
	}
	if (steps->kind != YN_SEQ || steps->n == 0) {
		lctx_error(cx, steps, "expected a non-empty list of steps, got %s",
			   ynode_kind_name(steps));
		goto out;
	}
	w->steps = xcalloc(steps->n, sizeof(*w->steps));
	for (size_t i = 0; i < steps->n; i++) {
		const struct ynode *n = steps->items[i];
		struct step *s = &w->steps[w->nsteps++];
		char *what = xstrfmt("step %zu", i + 1);

		s->retries = -1;
		s->line = n->line;
		s->col = n->col;
		if (schema_map(cx, n, step_fields, ARRAY_SIZE(step_fields), s, what) == 0)
			check_step(cx, n, s, wfdir, agents);
		free(what);
		if (s->name && !strcmp(s->name, RESOLVE_STEP_NAME))
			lctx_error(cx, ynode_get(n, "name"),
				   "step name '%s' is the resolve session's (write it under "
				   "resolve:)",
				   s->name);
		for (size_t j = 0; s->name && j + 1 < w->nsteps; j++)
			if (w->steps[j].name && !strcmp(w->steps[j].name, s->name))
				lctx_error(cx, ynode_get(n, "name"),
					   "duplicate step name '%s' (first at line %d)", s->name,
					   w->steps[j].line);
	}
	read_resolve(cx, ynode_get(root, "resolve"), wfdir, agents, w);
out:
	free(wfdir);
	return cx->errors > before ? -1 : 0;
}

int workflow_resolve_index(const struct workflow *w)
{
	return (int)w->nsteps + 1;
}

const struct step *workflow_step_at(const struct workflow *w, int index)
{
	int k;

	if (index < 0)
		return NULL;
	if ((size_t)index < w->nsteps)
		return &w->steps[index];
	if (index == workflow_resolve_index(w))
		return &w->resolve;
	/* the k-th verify step again */
	k = index - workflow_resolve_index(w) - 1;
	for (size_t i = 0; k >= 0 && i < w->nsteps; i++)
		if (w->steps[i].kind == STEP_VERIFY && k-- == 0)
			return &w->steps[i];
	return NULL;
}

static char *name_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (str_ends_with(base, ".yaml"))
		len -= 5;
	else if (str_ends_with(base, ".yml"))
		len -= 4;
	return xstrndup(base, len);
}

int workflow_load(const char *path, const struct agent_set *agents, struct workflow **out,
		  struct diags *d)
{
	struct lctx cx = { .file = path, .d = d };
	struct workflow *w;
	struct ydoc doc;

	if (cfg_load_doc(path, &doc, d) < 0)
		return -1;
	w = xcalloc(1, sizeof(*w));
	w->file = xstrdup(path);
	read_workflow(&cx, doc.root, path, agents, w);
	if (!w->name)
		w->name = name_from_path(path);
	ydoc_release(&doc);
	if (cx.errors) {
		workflow_free(w);
		return -1;
	}
	*out = w;
	return 0;
}
