/*
 * config.c: loaders for agents, workflows, triggers and sprints, as schema
 * tables over ynode trees. Every check that can be made before a run starts
 * is made here (types, unknown keys, ids, references, cycles, patterns), and
 * every error is collected. Must not start processes or write files.
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
#include "config.h"
#include "schema.h"
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
	NULL,
};

/* Placeholders a prompt or message may use (everything but {prompt}). */
static const char *const text_names[] = {
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

static bool file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static bool dir_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* path_join, except that "." adds nothing: messages then name files as the user does. */
static char *join_rel(const char *dir, const char *name)
{
	return strcmp(dir, ".") ? path_join(dir, name) : xstrdup(name);
}

/* Adds "invalid WHAT 'name' (why)" at n; returns -1. */
static int name_error(struct lctx *cx, const struct ynode *n, const char *what, const char *name)
{
	char *why = storykey_problem(name);

	lctx_error(cx, n, "invalid %s '%s' (%s)", what, name, why ? why : "not a valid name");
	free(why);
	return -1;
}

/* Placeholders a trigger message may use: the text ones plus what went wrong. */
static const char *const message_names[] = {
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
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *bindir, *cand, *probe;

		exe[n] = '\0';
		bindir = path_dirname(exe);
		cand = xstrfmt("%s/../share/automator", bindir);
		probe = xstrfmt("%s/data/triggers.yaml", cand);
		free(bindir);
		if (file_exists(probe)) {
			free(probe);
			dir = cand;
			return dir;
		}
		free(probe);
		free(cand);
	}
	if (file_exists(AUTOMATOR_SOURCE_DIR "/data/triggers.yaml"))
		dir = xstrdup(AUTOMATOR_SOURCE_DIR);
	else
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

/* ---- agents ---- */

static void agent_release(struct agent *a)
{
	free(a->name);
	free(a->description);
	strvec_release(&a->command);
	strvec_release(&a->env);
	free(a->output);
	free(a->fallback);
	patlist_release(&a->success);
	patlist_release(&a->failure);
	patlist_release(&a->prompt_wait);
	patlist_release(&a->rate_limit);
	patlist_release(&a->usage_limit);
	patlist_release(&a->overloaded);
	patlist_release(&a->server_error);
	patlist_release(&a->network);
	patlist_release(&a->retrying);
	patlist_release(&a->unavailable);
	free(a->file);
}

void agents_free(struct agent_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		agent_release(&s->v[i]);
	free(s->v);
	free(s);
}

const struct agent *agents_find(const struct agent_set *s, const char *name)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (!strcmp(s->v[i].name, name))
			return &s->v[i];
	return NULL;
}

static int parse_agent_env(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct agent *a = obj;
	int ret = 0;

	if (!n || n->kind != YN_MAP)
		return lctx_error(cx, n, "expected a mapping for env, got %s", ynode_kind_name(n));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->pairs[i].key, *v = n->pairs[i].val;
		size_t len = strspn(k->str, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					    "0123456789_");
		char *val;

		if (len == 0 || k->str[len] || (k->str[0] >= '0' && k->str[0] <= '9')) {
			ret = lctx_error(cx, k, "invalid environment variable name '%s'", k->str);
			continue;
		}
		if (schema_str(cx, v, &val) < 0) {
			ret = -1;
			continue;
		}
		if (schema_template(cx, v, val, template_names) < 0)
			ret = -1;
		strvec_push_nodup(&a->env, xstrfmt("%s=%s", k->str, val));
		free(val);
	}
	return ret;
}

static int parse_agent_output(struct lctx *cx, const struct ynode *n, void *obj)
{
	static const char *const kinds[] = { "text", "claude-stream-json", "codex-json", NULL };
	struct agent *a = obj;

	if (schema_str(cx, n, &a->output) < 0)
		return -1;
	for (const char *const *k = kinds; *k; k++)
		if (!strcmp(*k, a->output))
			return 0;
	return lctx_error(cx, n,
			  "unknown output format '%s' (expected text, claude-stream-json "
			  "or codex-json)",
			  a->output);
}

/*
 * A command: a list of words (each item one word, as written) or one
 * string split into words by shell quoting rules (shellwords.h), never
 * run by a shell. An unterminated quote is an error at the string.
 */
static int read_command(struct lctx *cx, const struct ynode *n, struct strvec *out)
{
	char *cause = NULL;
	int ret;

	if (!n || n->kind != YN_SCALAR || ynode_is_null(n))
		return schema_strlist(cx, n, out);
	if (shellwords_split(n->str, out, &cause, NULL) == 0)
		return 0;
	ret = lctx_error(cx, n, "%s in command '%s'", cause, n->str);
	free(cause);
	return ret;
}

static int parse_agent_command(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct agent *a = obj;

	return read_command(cx, n, &a->command);
}

static const struct field agent_fields[] = {
	{ "description", FT_STR, offsetof(struct agent, description), 0, NULL, 0, 0 },
	{ "command", FT_CUSTOM, 0, F_REQUIRED, parse_agent_command, 0, 0 },
	{ "env", FT_CUSTOM, 0, 0, parse_agent_env, 0, 0 },
	{ "output", FT_CUSTOM, 0, 0, parse_agent_output, 0, 0 },
	{ "fallback", FT_STR, offsetof(struct agent, fallback), 0, NULL, 0, 0 },
	{ "success", FT_PATTERNS, offsetof(struct agent, success), 0, NULL, 0, 0 },
	{ "failure", FT_PATTERNS, offsetof(struct agent, failure), 0, NULL, 0, 0 },
	{ "prompt_wait", FT_PATTERNS, offsetof(struct agent, prompt_wait), 0, NULL, 0, 0 },
	{ "rate_limit", FT_PATTERNS, offsetof(struct agent, rate_limit), 0, NULL, 0, 0 },
	{ "unavailable", FT_PATTERNS, offsetof(struct agent, unavailable), 0, NULL, 0, 0 },
	{ "usage_limit", FT_PATTERNS, offsetof(struct agent, usage_limit), 0, NULL, 0, 0 },
	{ "overloaded", FT_PATTERNS, offsetof(struct agent, overloaded), 0, NULL, 0, 0 },
	{ "server_error", FT_PATTERNS, offsetof(struct agent, server_error), 0, NULL, 0, 0 },
	{ "network", FT_PATTERNS, offsetof(struct agent, network), 0, NULL, 0, 0 },
	{ "retrying", FT_PATTERNS, offsetof(struct agent, retrying), 0, NULL, 0, 0 },
};

/* Reads the agents mapping n into set, replacing presets of the same name. */
static int read_agents_map(struct lctx *cx, const struct ynode *n, struct agent_set *set)
{
	size_t before = cx->errors;

	if (!n || n->kind != YN_MAP)
		return lctx_error(cx, n, "expected a mapping of agent names to presets, got %s",
				  ynode_kind_name(n));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->pairs[i].key, *v = n->pairs[i].val;
		struct agent a = { 0 };
		char *what;

		if (!storykey_valid(k->str)) {
			name_error(cx, k, "agent name", k->str);
			continue;
		}
		what = xstrfmt("agent '%s'", k->str);
		if (schema_map(cx, v, agent_fields, ARRAY_SIZE(agent_fields), &a, what) == 0) {
			if (!a.command.n)
				lctx_error(cx, ynode_get(v, "command"), "empty command in %s",
					   what);
			for (size_t j = 0; j < a.command.n; j++)
				schema_template(cx, ynode_get(v, "command"), a.command.v[j],
						template_names);
		}
		free(what);
		a.name = xstrdup(k->str);
		a.file = xstrdup(cx->file);
		a.line = k->line;
		a.col = k->col;
		if (!a.output)
			a.output = xstrdup("text");
		for (size_t j = 0; j < set->n; j++) {
			if (!strcmp(set->v[j].name, a.name)) {
				agent_release(&set->v[j]);
				set->v[j] = a;
				a.name = NULL;
				break;
			}
		}
		if (a.name) {
			set->v = xrealloc(set->v, (set->n + 1) * sizeof(*set->v));
			set->v[set->n++] = a;
		}
	}
	return cx->errors > before ? -1 : 0;
}

/* Every fallback names a known agent other than itself. */
static int check_fallbacks(struct diags *d, const struct agent_set *set)
{
	int ret = 0;

	for (size_t i = 0; i < set->n; i++) {
		const struct agent *a = &set->v[i];

		if (!a->fallback)
			continue;
		if (!agents_find(set, a->fallback) || !strcmp(a->fallback, a->name))
			ret = diag_error(d, a->file, a->line, a->col,
					 "unknown fallback agent '%s' for '%s'", a->fallback,
					 a->name);
	}
	return ret;
}

static int load_doc(const char *path, struct ydoc *doc, struct diags *d)
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
static int check_top(struct lctx *cx, const struct ynode *root, const char *const *keys,
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

int agents_load(const char *path, struct agent_set **out, struct diags *d)
{
	static const char *const top[] = { "agents", NULL };
	struct lctx cx = { .file = path, .d = d };
	struct agent_set *set;
	struct ydoc doc;

	if (load_doc(path, &doc, d) < 0)
		return -1;
	set = xcalloc(1, sizeof(*set));
	if (check_top(&cx, doc.root, top, "an agents file") == 0) {
		if (!ynode_get(doc.root, "agents"))
			lctx_error(&cx, doc.root, "missing required key 'agents'");
		else
			read_agents_map(&cx, ynode_get(doc.root, "agents"), set);
	}
	if (!cx.errors && check_fallbacks(d, set) < 0)
		cx.errors++;
	ydoc_release(&doc);
	if (cx.errors) {
		agents_free(set);
		return -1;
	}
	*out = set;
	return 0;
}

/* ---- workflows ---- */

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
	{ "command", VERIFIER_COMMAND },
	{ "epic_complete", VERIFIER_EPIC_COMPLETE },
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
			  "review_completion, story_artifact, command or epic_complete)",
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
				schema_template(cx, ynode_get(n, "glob"), spec.glob, text_names);
				if (spec.glob[0] == '/' || strstr(spec.glob, ".."))
					lctx_error(cx, ynode_get(n, "glob"),
						   "glob must stay inside the project '%s'",
						   spec.glob);
			}
			for (size_t i = 0; i < spec.argv.n; i++)
				schema_template(cx, ynode_get(n, "argv"), spec.argv.v[i],
						text_names);
		}
	}
	free(spec.type);
	v->glob = spec.glob;
	v->expect = spec.expect;
	v->argv = spec.argv;
	return cx->errors > before ? -1 : 0;
}

static const struct field step_fields[] = {
	{ "name", FT_STR, offsetof(struct step, name), F_REQUIRED, NULL, 0, 0 },
	{ "kind", FT_CUSTOM, 0, F_REQUIRED, parse_step_kind, 0, 0 },
	{ "prompt", FT_STR, offsetof(struct step, prompt), 0, NULL, 0, 0 },
	{ "prompt_file", FT_STR, offsetof(struct step, prompt_file), 0, NULL, 0, 0 },
	{ "agent", FT_STR, offsetof(struct step, agent), 0, NULL, 0, 0 },
	{ "message", FT_STR, offsetof(struct step, message), 0, NULL, 0, 0 },
	{ "success", FT_PATTERNS, offsetof(struct step, success), 0, NULL, 0, 0 },
	{ "failure", FT_PATTERNS, offsetof(struct step, failure), 0, NULL, 0, 0 },
	{ "prompt_wait", FT_PATTERNS, offsetof(struct step, prompt_wait), 0, NULL, 0, 0 },
	{ "result", FT_STRLIST, offsetof(struct step, result), 0, NULL, 0, 0 },
	{ "verifier", FT_CUSTOM, 0, 0, parse_verifier, 0, 0 },
	{ "timeout", FT_DURATION, offsetof(struct step, timeout), 0, NULL, 0, 0 },
	{ "idle_timeout", FT_DURATION, offsetof(struct step, idle_timeout), 0, NULL, 0, 0 },
	{ "retries", FT_INT, offsetof(struct step, retries), 0, NULL, 0, 100 },
	{ "optional", FT_BOOL, offsetof(struct step, optional), 0, NULL, 0, 0 },
	{ "skip_if_verified", FT_BOOL, offsetof(struct step, skip_if_artifact), 0, NULL, 0, 0 },
};

/* Reports an unknown agent name at n, with a did-you-mean among set. */
static void check_agent_name(struct lctx *cx, const struct ynode *n, const struct agent_set *set,
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
		name_error(cx, ynode_get(n, "name"), "step name", s->name);
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
		char *path = join_rel(wfdir, s->prompt_file);
		size_t len;

		if (read_file(path, &s->prompt, &len) < 0) {
			lctx_error(cx, pf, "cannot read prompt file '%s': %s", s->prompt_file,
				   errno == ENOENT ? "no such file" : strerror(errno));
			s->prompt = NULL;
		} else if (strlen(s->prompt) != len) {
			lctx_error(cx, pf, "prompt file holds a NUL byte '%s'", s->prompt_file);
		} else {
			/* a bad placeholder is reported where it is: in the prompt file */
			schema_template_file(cx, path, s->prompt, text_names);
		}
		free(path);
	} else if (s->prompt) {
		schema_template(cx, ynode_get(n, "prompt"), s->prompt, text_names);
	}
	if (s->message)
		schema_template(cx, ynode_get(n, "message"), s->message, text_names);
	if (s->agent && agents)
		check_agent_name(cx, ynode_get(n, "agent"), agents, s->agent);
}

static int read_workflow(struct lctx *cx, const struct ynode *root, const char *path,
			 const struct agent_set *agents, struct workflow *w)
{
	static const char *const top[] = { "name", "description", "steps", NULL };
	const struct ynode *steps = ynode_get(root, "steps");
	char *wfdir = path_dirname(path);
	size_t before = cx->errors;

	if (check_top(cx, root, top, "a workflow") < 0)
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
		for (size_t j = 0; s->name && j + 1 < w->nsteps; j++)
			if (w->steps[j].name && !strcmp(w->steps[j].name, s->name))
				lctx_error(cx, ynode_get(n, "name"),
					   "duplicate step name '%s' (first at line %d)", s->name,
					   w->steps[j].line);
	}
out:
	free(wfdir);
	return cx->errors > before ? -1 : 0;
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

	if (load_doc(path, &doc, d) < 0)
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

/* ---- triggers ---- */

void triggers_free(struct trigger_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct trigger *t = &s->v[i];

		free(t->key);
		free(t->title);
		free(t->message);
		for (size_t j = 0; j < t->noptions; j++) {
			free(t->options[j].key);
			free(t->options[j].label);
		}
		free(t->options);
	}
	free(s->v);
	free(s);
}

const struct trigger *triggers_find(const struct trigger_set *s, const char *key)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return &s->v[i];
	return NULL;
}

/* Reads one of names (NULL-terminated); the error lists them all. */
static int parse_enum(struct lctx *cx, const struct ynode *n, const char *const *names,
		      const char *what, int *out)
{
	struct buf expected = BUF_INIT;
	char *v;

	if (schema_str(cx, n, &v) < 0)
		return -1;
	for (int i = 0; names[i]; i++) {
		if (!strcmp(names[i], v)) {
			*out = i;
			free(v);
			return 0;
		}
	}
	for (int i = 0; names[i]; i++)
		buf_addf(&expected, "%s%s", i == 0 ? "" : names[i + 1] ? ", " : " or ", names[i]);
	lctx_error(cx, n, "unknown %s '%s' (expected %s)", what, v, buf_str(&expected));
	buf_release(&expected);
	free(v);
	return -1;
}

static int parse_category(struct lctx *cx, const struct ynode *n, void *obj)
{
	static const char *const names[] = { "CRITICAL", "PREFERENCE", NULL };
	struct trigger *t = obj;
	int v;

	if (parse_enum(cx, n, names, "category", &v) < 0)
		return -1;
	t->category = v;
	return 0;
}

static int parse_severity(struct lctx *cx, const struct ynode *n, void *obj)
{
	static const char *const names[] = { "MEDIUM", "HIGH", "CRITICAL", NULL };
	struct trigger *t = obj;
	int v;

	if (parse_enum(cx, n, names, "severity", &v) < 0)
		return -1;
	t->severity = v;
	return 0;
}

static int parse_option_action(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct trigger_option *o = obj;
	int v;

	if (parse_enum(cx, n, trigger_action_names, "action", &v) < 0)
		return -1;
	o->action = v;
	return 0;
}

static const struct field option_fields[] = {
	{ "key", FT_STR, offsetof(struct trigger_option, key), F_REQUIRED, NULL, 0, 0 },
	{ "label", FT_STR, offsetof(struct trigger_option, label), F_REQUIRED, NULL, 0, 0 },
	{ "action", FT_CUSTOM, 0, F_REQUIRED, parse_option_action, 0, 0 },
};

static int parse_options(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct trigger *t = obj;
	size_t before = cx->errors;

	if (!n || n->kind != YN_SEQ || n->n == 0)
		return lctx_error(cx, n, "expected a non-empty list of options, got %s",
				  ynode_kind_name(n));
	t->options = xcalloc(n->n, sizeof(*t->options));
	for (size_t i = 0; i < n->n; i++) {
		struct trigger_option *o = &t->options[t->noptions++];
		const struct ynode *kn;

		if (schema_map(cx, n->items[i], option_fields, ARRAY_SIZE(option_fields), o,
			       "an option") < 0)
			continue;
		kn = ynode_get(n->items[i], "key");
		if (strcmp(o->key, "X") &&
		    (strlen(o->key) != 1 || o->key[0] < '1' || o->key[0] > '9'))
			lctx_error(cx, kn, "option key must be a digit 1-9 or X '%s'", o->key);
		for (size_t j = 0; j + 1 < t->noptions; j++) {
			if (t->options[j].key && !strcmp(t->options[j].key, o->key)) {
				lctx_error(cx, kn, "duplicate option key '%s' (first at line %d)",
					   o->key, ynode_get(n->items[j], "key")->line);
				break;
			}
		}
	}
	return cx->errors > before ? -1 : 0;
}

static const struct field trigger_fields[] = {
	{ "id", FT_INT, offsetof(struct trigger, id), F_REQUIRED, NULL, 1, 999 },
	{ "key", FT_STR, offsetof(struct trigger, key), F_REQUIRED, NULL, 0, 0 },
	{ "title", FT_STR, offsetof(struct trigger, title), F_REQUIRED, NULL, 0, 0 },
	{ "category", FT_CUSTOM, 0, F_REQUIRED, parse_category, 0, 0 },
	{ "severity", FT_CUSTOM, 0, F_REQUIRED, parse_severity, 0, 0 },
	{ "message", FT_STR, offsetof(struct trigger, message), F_REQUIRED, NULL, 0, 0 },
	{ "options", FT_CUSTOM, 0, F_REQUIRED, parse_options, 0, 0 },
};

int triggers_load(const char *path, struct trigger_set **out, struct diags *d)
{
	static const char *const top[] = { "triggers", NULL };
	struct lctx cx = { .file = path, .d = d };
	const struct ynode *list;
	struct trigger_set *set;
	struct ydoc doc;

	if (load_doc(path, &doc, d) < 0)
		return -1;
	set = xcalloc(1, sizeof(*set));
	if (check_top(&cx, doc.root, top, "a triggers file") < 0)
		goto out;
	list = ynode_get(doc.root, "triggers");
	if (!list) {
		lctx_error(&cx, doc.root, "missing required key 'triggers'");
		goto out;
	}
	if (list->kind != YN_SEQ) {
		lctx_error(&cx, list, "expected a list of triggers, got %s", ynode_kind_name(list));
		goto out;
	}
	set->v = xcalloc(list->n ? list->n : 1, sizeof(*set->v));
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *n = list->items[i];
		struct trigger *t = &set->v[set->n++];

		if (schema_map(&cx, n, trigger_fields, ARRAY_SIZE(trigger_fields), t, "a trigger") <
		    0)
			continue;
		schema_template(&cx, ynode_get(n, "message"), t->message, message_names);
		for (size_t j = 0; j + 1 < set->n; j++) {
			if (set->v[j].key && !strcmp(set->v[j].key, t->key))
				lctx_error(&cx, ynode_get(n, "key"), "duplicate trigger '%s'",
					   t->key);
			else if (set->v[j].id == t->id)
				lctx_error(&cx, ynode_get(n, "id"), "duplicate trigger id '%d'",
					   t->id);
		}
	}
	if (!cx.errors)
		for (const char *const *k = required_triggers; *k; k++)
			if (!triggers_find(set, *k))
				lctx_error(&cx, list, "missing trigger '%s'", *k);
out:
	ydoc_release(&doc);
	if (cx.errors) {
		triggers_free(set);
		return -1;
	}
	*out = set;
	return 0;
}

/* ---- sprints ---- */

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

static int parse_limits(struct lctx *cx, const struct ynode *n, void *obj)
{
	static const struct field fields[] = {
		{ "review_cycles", FT_INT, offsetof(struct limits, review_cycles), 0, NULL, 1,
		  100 },
		{ "crash_retries", FT_INT, offsetof(struct limits, crash_retries), 0, NULL, 0,
		  100 },
		{ "idle_timeout", FT_DURATION, offsetof(struct limits, idle_timeout), 0, NULL, 0,
		  0 },
		{ "step_timeout", FT_DURATION, offsetof(struct limits, step_timeout), 0, NULL, 0,
		  0 },
		{ "retry_patience", FT_DURATION, offsetof(struct limits, retry_patience), 0, NULL,
		  0, 0 },
		{ "max_wait", FT_DURATION, offsetof(struct limits, max_wait), 0, NULL, 0, 0 },
		{ "max_cost_usd", FT_NUMBER, offsetof(struct limits, max_cost_usd), 0, NULL, 0, 0 },
		{ "max_cost_usd_run", FT_NUMBER, offsetof(struct limits, max_cost_usd_run), 0, NULL,
		  0, 0 },
	};
	struct sprint *s = obj;

	return schema_map(cx, n, fields, ARRAY_SIZE(fields), &s->limits, "limits");
}

static int parse_sprint_agents(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct sprint *s = obj;

	return read_agents_map(cx, n, s->agents);
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
	size_t before = cx->errors;

	if (!n || n->kind != YN_SEQ || n->n == 0)
		return lctx_error(cx, n, "expected a non-empty list of stories, got %s",
				  ynode_kind_name(n));
	s->stories = xcalloc(n->n, sizeof(*s->stories));
	for (size_t i = 0; i < n->n; i++) {
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
			name_error(cx, idn, "story id", st->id);
			story_release(st);
			memset(st, 0, sizeof(*st));
			continue;
		}
		if (!st->title)
			st->title = xstrdup(st->id);
		for (size_t j = 0; j < s->nstories; j++)
			if (!strcmp(s->stories[j].prefix, st->prefix))
				lctx_error(cx, idn,
					   "duplicate story '%s' (same as '%s' at line %d)", st->id,
					   s->stories[j].id, s->stories[j].line);
		s->nstories++;
	}
	return cx->errors > before ? -1 : 0;
}

/* notify: { routes: {SEVERITY: [route...]}, command: [argv], stale_after, max_reescalations } */
static int parse_notify_routes(struct lctx *cx, const struct ynode *n, void *obj)
{
	static const char *const sev[] = { "MEDIUM", "HIGH", "CRITICAL", NULL };
	struct notify_cfg *nc = obj;
	size_t before = cx->errors;

	if (!n || n->kind != YN_MAP)
		return lctx_error(cx, n, "expected a mapping of severities to routes, got %s",
				  ynode_kind_name(n));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->pairs[i].key;
		struct strvec names = STRVEC_INIT;
		int level = -1;
		unsigned bits = 0;

		for (int j = 0; sev[j]; j++)
			if (!strcmp(sev[j], k->str))
				level = j;
		if (level < 0) {
			lctx_error(cx, k,
				   "unknown severity '%s' (expected MEDIUM, HIGH or CRITICAL)",
				   k->str);
			continue;
		}
		if (schema_strlist(cx, n->pairs[i].val, &names) == 0) {
			for (size_t j = 0; j < names.n; j++) {
				int r = -1;

				for (int m = 0; notify_route_names[m]; m++)
					if (!strcmp(notify_route_names[m], names.v[j]))
						r = m;
				if (r < 0)
					lctx_error(cx, n->pairs[i].val,
						   "unknown route '%s' (expected log, bell, tmux, "
						   "desktop or command)",
						   names.v[j]);
				else
					bits |= 1u << r;
			}
			nc->routes[level] = bits;
		}
		strvec_release(&names);
	}
	return cx->errors > before ? -1 : 0;
}

/* notify.command: a list or a string, as an agent's command (read_command) */
static int parse_notify_command(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct notify_cfg *nc = obj;

	if (read_command(cx, n, &nc->command) < 0)
		return -1;
	if (!nc->command.n)
		return lctx_error(cx, n, "empty command in notify");
	return 0;
}

static int parse_notify(struct lctx *cx, const struct ynode *n, void *obj)
{
	static const struct field fields[] = {
		{ "routes", FT_CUSTOM, 0, 0, parse_notify_routes, 0, 0 },
		{ "command", FT_CUSTOM, 0, 0, parse_notify_command, 0, 0 },
		{ "stale_after", FT_DURATION, offsetof(struct notify_cfg, stale_after), 0, NULL, 0,
		  0 },
		{ "max_reescalations", FT_INT, offsetof(struct notify_cfg, max_reescalations), 0,
		  NULL, 0, 10 },
	};
	struct sprint *s = obj;
	int ret = schema_map(cx, n, fields, ARRAY_SIZE(fields), &s->notify, "notify");

	if (ret == 0 &&
	    (s->notify.routes[0] | s->notify.routes[1] | s->notify.routes[2]) &
		    (1u << NR_command) &&
	    !s->notify.command.n)
		return lctx_error(cx, n, "route 'command' needs notify.command");
	return ret;
}

/*
 * triggers: { KEY: { title: ..., message: ..., labels: {"1": ...} } }:
 * a sprint may reword a trigger; its category, severity and actions stay.
 */
static int parse_trigger_overrides(struct lctx *cx, const struct ynode *n, void *obj)
{
	struct sprint *s = obj;
	size_t before = cx->errors;

	if (!s->triggers)
		return 0; /* the catalogue failed to load: reported already */
	if (!n || n->kind != YN_MAP)
		return lctx_error(cx, n, "expected a mapping of trigger keys to overrides, got %s",
				  ynode_kind_name(n));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->pairs[i].key, *v = n->pairs[i].val, *labels;
		struct trigger *t = (struct trigger *)triggers_find(s->triggers, k->str);
		static const char *const keys[] = { "title", "message", "labels", NULL };

		if (!t) {
			lctx_error(cx, k, "unknown trigger '%s'", k->str);
			continue;
		}
		if (!v || v->kind != YN_MAP) {
			lctx_error(cx, v ? v : k, "expected a mapping for trigger '%s', got %s",
				   k->str, ynode_kind_name(v));
			continue;
		}
		if (check_top(cx, v, keys, "a trigger override") < 0)
			continue;
		if (ynode_get(v, "title")) {
			char *x;

			if (schema_str(cx, ynode_get(v, "title"), &x) == 0) {
				free(t->title);
				t->title = x;
			}
		}
		if (ynode_get(v, "message")) {
			char *x;

			if (schema_str(cx, ynode_get(v, "message"), &x) == 0 &&
			    schema_template(cx, ynode_get(v, "message"), x, message_names) == 0) {
				free(t->message);
				t->message = x;
			} else if (x) {
				free(x);
			}
		}
		labels = ynode_get(v, "labels");
		if (labels && labels->kind != YN_MAP) {
			lctx_error(cx, labels,
				   "expected a mapping of option keys to labels, got %s",
				   ynode_kind_name(labels));
			continue;
		}
		for (size_t j = 0; labels && j < labels->n; j++) {
			const struct ynode *ok = labels->pairs[j].key;
			struct trigger_option *o = NULL;
			char *x;

			for (size_t m = 0; m < t->noptions; m++)
				if (!strcmp(t->options[m].key, ok->str))
					o = &t->options[m];
			if (!o) {
				lctx_error(cx, ok, "trigger '%s' has no option '%s'", k->str,
					   ok->str);
				continue;
			}
			if (schema_str(cx, labels->pairs[j].val, &x) == 0) {
				free(o->label);
				o->label = x;
			}
		}
	}
	return cx->errors > before ? -1 : 0;
}

/* review_contract: { sources: [sprint-status.yaml, story-file], done_values: [done] } */
static int parse_review_contract(struct lctx *cx, const struct ynode *n, void *obj)
{
	static const struct field fields[] = {
		{ "sources", FT_STRLIST, offsetof(struct sprint, review_sources), 0, NULL, 0, 0 },
		{ "done_values", FT_STRLIST, offsetof(struct sprint, review_done), 0, NULL, 0, 0 },
	};
	struct sprint *s = obj;
	size_t before = cx->errors;

	if (schema_map(cx, n, fields, ARRAY_SIZE(fields), s, "review_contract") < 0)
		return -1;
	for (size_t i = 0; i < s->review_sources.n; i++) {
		const char *src = s->review_sources.v[i];

		if (strcmp(src, "sprint-status.yaml") && strcmp(src, "story-file"))
			lctx_error(cx, ynode_get(n, "sources"),
				   "unknown review source '%s' (expected sprint-status.yaml or "
				   "story-file)",
				   src);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(s->review_sources.v[j], src))
				lctx_error(cx, ynode_get(n, "sources"),
					   "review source '%s' given twice", src);
	}
	if (ynode_get(n, "done_values") && !s->review_done.n)
		lctx_error(cx, ynode_get(n, "done_values"), "done_values needs at least one value");
	return cx->errors > before ? -1 : 0;
}

static const struct field sprint_fields[] = {
	{ "project", FT_STR, offsetof(struct sprint, project), 0, NULL, 0, 0 },
	{ "root", FT_STR, offsetof(struct sprint, root), 0, NULL, 0, 0 },
	{ "workflow", FT_STR, offsetof(struct sprint, workflow_name), 0, NULL, 0, 0 },
	{ "agent", FT_STR, offsetof(struct sprint, agent), 0, NULL, 0, 0 },
	{ "max_parallel", FT_INT, offsetof(struct sprint, max_parallel), 0, NULL, 1, 64 },
	{ "status_file", FT_STR, offsetof(struct sprint, status_file), 0, NULL, 0, 0 },
	{ "limits", FT_CUSTOM, 0, 0, parse_limits, 0, 0 },
	{ "agents", FT_CUSTOM, 0, 0, parse_sprint_agents, 0, 0 },
	{ "notify", FT_CUSTOM, 0, 0, parse_notify, 0, 0 },
	{ "review_contract", FT_CUSTOM, 0, 0, parse_review_contract, 0, 0 },
	{ "triggers", FT_CUSTOM, 0, 0, parse_trigger_overrides, 0, 0 },
	{ "stories", FT_CUSTOM, 0, F_REQUIRED, parse_stories, 0, 0 },
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
	size_t n = s->nstories;
	int *color, *parent;

	for (size_t i = 0; i < n; i++) {
		struct story *st = &s->stories[i];

		st->dep_index = xcalloc(st->depends.n + 1, sizeof(*st->dep_index));
		for (size_t j = 0; j < st->depends.n; j++) {
			int k = sprint_find_story(s, st->depends.v[j]);

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
	color = xcalloc(n + 1, sizeof(*color));
	parent = xcalloc(n + 1, sizeof(*parent));
	for (size_t root = 0; root < n; root++) {
		size_t *stack, *next, top = 0;

		if (color[root])
			continue;
		stack = xcalloc(n + 1, sizeof(*stack));
		next = xcalloc(n + 1, sizeof(*next));
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
		free(stack);
		free(next);
	}
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
		if (!abs || !dir_exists(abs))
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
		bool found = file_exists(git) || dir_exists(bmad);

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
		return join_rel(sprint_dir, name);
	rel = xstrfmt("workflows/%s.yaml", name);
	char *p = config_shipped(rel);
	free(rel);
	return p;
}

/*
 * BMAD story statuses that mean "no work here now" (docs/bmad.md, "What is
 * queued"); a trailing '*' matches a prefix. The one list of them.
 */
static const char *const dormant_statuses[] = {
	"cancelled",  "canceled", "removed",    "on-hold", "deferred",
	"superseded", "obsolete", "moved-to-*", NULL,
};

/* status, its surrounding spaces ignored, equals word (any case; "x-*": a prefix). */
static bool status_is(const char *status, const char *word)
{
	size_t n, wn = strlen(word);
	bool prefix = wn && word[wn - 1] == '*';

	while (*status == ' ' || *status == '\t')
		status++;
	n = strlen(status);
	while (n && (status[n - 1] == ' ' || status[n - 1] == '\t'))
		n--;
	while (wn && (word[0] == ' ' || word[0] == '\t')) {
		word++;
		wn--;
	}
	while (wn && (word[wn - 1] == ' ' || word[wn - 1] == '\t'))
		wn--;
	if (prefix)
		return n >= wn - 1 && !strncasecmp(status, word, wn - 1);
	return n == wn && !strncasecmp(status, word, n);
}

bool sprint_status_dormant(const char *status)
{
	if (!status)
		return false;
	for (size_t i = 0; dormant_statuses[i]; i++)
		if (status_is(status, dormant_statuses[i]))
			return true;
	return false;
}

bool sprint_status_listed(const char *status, const struct strvec *list)
{
	for (size_t i = 0; status && list && i < list->n; i++)
		if (list->v[i][0] && status_is(status, list->v[i]))
			return true;
	return false;
}

/* status without its surrounding spaces, newly allocated. */
static char *status_trimmed(const char *status)
{
	size_t n;

	while (*status == ' ' || *status == '\t')
		status++;
	n = strlen(status);
	while (n && (status[n - 1] == ' ' || status[n - 1] == '\t'))
		n--;
	return xstrndup(status, n);
}

static void add_skip(struct sprint *s, const struct bmad_entry *e, char *reason)
{
	struct sprint_skip *k = &s->skipped[s->nskipped++];

	k->key = xstrdup(e->key);
	k->status = xstrdup(e->status ? e->status : "");
	k->reason = reason;
	k->line = e->line;
}

/*
 * Stories from a BMAD sprint-status, in file order: every story key with
 * work left (not done, not dormant), and those whose status include names.
 * Epics, retrospectives and the rest are kept in s->skipped with a reason.
 */
static int bmad_stories(struct lctx *cx, struct sprint *s, const struct ydoc *doc,
			const struct strvec *include)
{
	struct bmad_status *st;

	if (bmad_status_load(s->file, &st, cx->d) < 0) {
		cx->errors++;
		return -1;
	}
	for (size_t i = 0; i < st->warnings.n; i++)
		strvec_push_nodup(&s->warnings, diag_format_warning(&st->warnings.v[i]));
	s->stories = xcalloc(st->n + 1, sizeof(*s->stories));
	s->skipped = xcalloc(st->n + 1, sizeof(*s->skipped));
	for (size_t i = 0; i < st->n; i++) {
		const struct bmad_entry *e = &st->v[i];
		const char *status = e->status ? e->status : "";
		struct story *sy;
		struct storykey k;

		if (e->kind != BMAD_STORY) {
			add_skip(s, e, xstrdup(e->kind == BMAD_EPIC ? "epic" : "retrospective"));
			continue;
		}
		if (!sprint_status_listed(status, include)) {
			if (bmad_status_is_done(status) || status_is(status, "done")) {
				add_skip(s, e, xstrdup("done"));
				continue;
			}
			if (sprint_status_dormant(status)) {
				char *t = status_trimmed(status);

				add_skip(s, e,
					 xstrfmt("%s (dormant status; --include-status %s to "
						 "queue it)",
						 t, t));
				free(t);
				continue;
			}
		}
		sy = &s->stories[s->nstories++];
		if (storykey_parse(e->key, &k) < 0)
			memset(&k, 0, sizeof(k));
		/* the short id, unless another story has it too (11-1-a-x, 11-1-b-y) */
		sy->id = xstrdup(k.numeric && bmad_status_match(st, k.id, NULL, 0) == 1 ? k.id
											: e->key);
		sy->key = xstrdup(e->key);
		sy->prefix = xstrdup(k.prefix[0] ? k.prefix : e->key);
		sy->epic = xstrdup(e->epic ? e->epic : "");
		sy->title = xstrdup(k.slug[0] ? k.slug : e->key);
		sy->status = xstrdup(status);
		sy->dep_index = xcalloc(1, sizeof(*sy->dep_index));
		sy->line = e->line;
		sy->col = e->col;
	}
	bmad_status_free(st);
	(void)doc;
	return 0;
}

/*
 * A sprint.yaml's status_file: each story named there (by any key form)
 * takes its full key from it and, without a title: of its own, the key's
 * slug as title. A file that cannot be read is a warning; nothing changes.
 */
static void status_file_keys(struct sprint *s)
{
	struct diags sub = DIAGS_INIT;
	struct bmad_status *st;
	char *path = path_join(s->root, s->status_file);

	if (bmad_status_load(path, &st, &sub) < 0) {
		char *why = sub.n ? diag_format(&sub.v[0]) : xstrfmt("%s: cannot read", path);

		strvec_push_nodup(&s->warnings, xstrfmt("%s: warning: status_file '%s' not used "
							"for story keys and "
							"titles: %s",
							s->file, s->status_file, why));
		free(why);
		diags_release(&sub);
		free(path);
		return;
	}
	diags_release(&sub);
	for (size_t i = 0; i < s->nstories; i++) {
		struct story *sy = &s->stories[i];
		const struct bmad_entry *e = bmad_status_find(st, sy->id);
		size_t plen = strlen(sy->prefix);

		if (!e || e->kind != BMAD_STORY || !strcmp(e->key, sy->key))
			continue;
		/* the title was defaulted to the id: the key's slug says more */
		if (!strcmp(sy->title, sy->id) && !strncmp(e->key, sy->prefix, plen) &&
		    e->key[plen] == '-' && e->key[plen + 1]) {
			free(sy->title);
			sy->title = xstrdup(e->key + plen + 1);
		}
		free(sy->key);
		sy->key = xstrdup(e->key);
	}
	bmad_status_free(st);
	free(path);
}

int sprint_load(const char *path, struct sprint **out, struct diags *d)
{
	return sprint_load_with(path, NULL, out, d);
}

int sprint_load_with(const char *path, const struct strvec *include_status, struct sprint **out,
		     struct diags *d)
{
	struct lctx cx = { .file = path, .d = d };
	struct sprint *s;
	struct ydoc doc;
	char *agents_path, *sprint_dir, *wf, *given_root;
	struct diags sub = DIAGS_INIT;

	if (load_doc(path, &doc, d) < 0)
		return -1;
	s = xcalloc(1, sizeof(*s));
	s->file = xstrdup(path);
	s->max_parallel = 1;
	s->limits = (struct limits){ 5, 2, 600, 7200, 180, 12 * 3600, 0, 0 };

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

	if (doc.root->kind == YN_MAP && ynode_get(doc.root, "development_status")) {
		s->bmad = true;
		bmad_stories(&cx, s, &doc, include_status);
		s->workflow_name = xstrdup("bmad");
	} else {
		schema_map(&cx, doc.root, sprint_fields, ARRAY_SIZE(sprint_fields), s, "a sprint");
	}
	if (doc.root->kind != YN_MAP)
		goto out;

	given_root = s->root; /* root: as written, replaced by the absolute path */
	s->root = find_root(&cx, doc.root, path, s->bmad ? NULL : given_root);
	free(given_root);
	if (!s->root)
		goto out;
	if (!s->project) {
		const char *base = strrchr(s->root, '/');

		s->project = xstrdup(base && base[1] ? base + 1 : "project");
	} else if (!storykey_valid(s->project)) {
		name_error(&cx, ynode_get(doc.root, "project"), "project name", s->project);
	}
	if (!s->bmad)
		resolve_deps(&cx, s, ynode_get(doc.root, "stories"));
	if (!s->bmad && s->status_file && !cx.errors)
		status_file_keys(s);
	if (check_fallbacks(d, s->agents) < 0)
		cx.errors++;

	if (!s->agent)
		s->agent = xstrdup("claude");
	check_agent_name(&cx,
			 ynode_get(doc.root, "agent") ? ynode_get(doc.root, "agent") : doc.root,
			 s->agents, s->agent);
	for (size_t i = 0; i < s->nstories; i++) {
		const struct ynode *stories = ynode_get(doc.root, "stories");

		if (s->stories[i].agent && stories)
			check_agent_name(&cx,
					 ynode_get(stories->items[s->stories[i].item], "agent"),
					 s->agents, s->stories[i].agent);
	}

	if (!s->workflow_name)
		s->workflow_name = xstrdup("simple");
	sprint_dir = path_dirname(path);
	wf = workflow_path(sprint_dir, s->workflow_name);
	free(sprint_dir);
	if (!file_exists(wf)) {
		lctx_error(&cx,
			   ynode_get(doc.root, "workflow") ? ynode_get(doc.root, "workflow")
							   : doc.root,
			   "unknown workflow '%s'", s->workflow_name);
	} else if (workflow_load(wf, s->agents, &s->workflow, d) < 0) {
		cx.errors++;
	}
	free(wf);
out:
	ydoc_release(&doc);
	if (cx.errors) {
		sprint_free(s);
		return -1;
	}
	*out = s;
	return 0;
}
