/*
 * cmd_helper_verify.c: orchestrator-helper verify-code-review, verify-step,
 * sprint-status and story-file-status: read-only questions about the
 * workflow truth of a BMAD project (sprint-status.yaml, story files) and a
 * workflow step's verifier. Each prints one compact JSON object (jansson)
 * on stdout, diagnostics on stderr. Must not write, create or fix any file,
 * and must not judge anything itself: parsing belongs to bmad.c, verdicts
 * to verify.c, sprints and workflows to config.c.
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

/* ---- output ---- */

/* {HEAD:false,"reason":REASON} plus "input":input when input is not NULL. */
static json_t *negative(const char *head, const char *reason, const char *input)
{
	json_t *o = json_object();

	json_object_set_new(o, head, json_false());
	json_object_set_new(o, "reason", json_string(reason));
	if (input)
		json_object_set_new(o, "input", jsonx_str(input));
	return o;
}

/* Prints o and returns code, so failures read `return report(o, code)`. */
static int report(json_t *o, int code)
{
	jsonx_print(o);
	return code;
}

/* ---- the project ---- */

/*
 * The project root: --project-root, $PROJECT_ROOT, or the upward search.
 * Returns 0, or EXIT_USAGE after printing why and {HEAD:false,...}.
 */
static int find_root(const struct cmd *c, const char *given, const char *head, char **root)
{
	char *cause = NULL;

	if (project_find_root(given, root, &cause) == 0)
		return 0;
	fprintf(stderr, "%s %s: %s\n", progname, c->name, cause);
	free(cause);
	return report(negative(head, "no_project_root", NULL), EXIT_USAGE);
}

/*
 * Finds and loads the sprint-status of root. Returns 0 with *s (and *path,
 * newly allocated; its warnings printed on stderr), 1 when there is none,
 * -1 after printing every error of a file that does not load
 * (file:line:col, the line and a caret); *s and *path are NULL unless 0 is
 * returned.
 */
static int load_sprint_status(const char *root, char **path, struct bmad_status **s)
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
static json_t *with_warnings(json_t *o, const struct bmad_status *s)
{
	return s ? jsonx_add_warnings(o, &s->warnings) : o;
}

/*
 * Prints the warnings w (BMAD's config) on stderr and adds them to o's
 * "warnings"; returns o.
 */
static json_t *with_config_warnings(json_t *o, const struct diags *w)
{
	if (o && w->n)
		diags_print_warnings(w, stderr);
	return jsonx_add_warnings(o, w);
}

/* The keys of the n entries v, as a JSON array. */
static json_t *keys_json(const struct bmad_entry **v, size_t n)
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
static size_t candidates(const struct bmad_status *s, const char *story,
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
static json_t *ambiguous(const char *head, const char *input, const struct bmad_status *s,
			 const struct bmad_entry **v, size_t n)
{
	json_t *o = negative(head, "ambiguous_key", input);

	json_object_set_new(o, "candidates", keys_json(v, n));
	return with_warnings(o, s);
}

/* Prints a verdict object (text from verify_review_json) with the warnings of s. */
static void print_verdict(const char *text, const struct bmad_status *s, json_t *cands)
{
	json_t *o;

	if ((!s || !s->warnings.n) && !cands) {
		puts(text);
		return;
	}
	o = json_loads(text, 0, NULL);
	if (!o)
		xdie("cannot decode json");
	if (cands)
		json_object_set_new(o, "candidates", cands);
	jsonx_print(with_warnings(o, s));
}

/* The key form of a story not listed anywhere: prefix-slug, or the prefix. */
static char *plain_key(const struct storykey *k)
{
	return k->slug[0] ? xstrfmt("%s-%s", k->prefix, k->slug) : xstrdup(k->prefix);
}

/* ---- verify-code-review ---- */

/*
 * An input naming several stories (n > 1 candidates v): the verdict when
 * every candidate gets the same one (with "candidates"), else
 * ambiguous_key. Returns the exit code.
 */
static int review_candidates(const char *root, const struct bmad_status *s, const char *input,
			     const struct verify_contract *contract, const struct bmad_entry **v,
			     size_t n)
{
	struct verify_review *r = xcalloc(n, sizeof(*r));
	bool agree = true;
	char *text;
	int ret;

	for (size_t i = 0; i < n; i++) {
		verify_review_check(root, s, v[i]->key, contract, &r[i]);
		agree &= r[i].verified == r[0].verified;
	}
	if (agree) {
		text = verify_review_json(&r[0]);
		print_verdict(text, s, keys_json(v, n));
		free(text);
		ret = r[0].verified ? EXIT_OK : EXIT_NEGATIVE;
	} else {
		fprintf(stderr,
			"%s verify-code-review: '%s' names %zu stories that disagree; use the full "
			"key\n",
			progname, input, n);
		ret = report(ambiguous("verified", input, s, v, n), EXIT_NEGATIVE);
	}
	for (size_t i = 0; i < n; i++)
		verify_review_release(&r[i]);
	free(r);
	return ret;
}

int cmd_verify_code_review_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("verify-code-review");
	struct cmd_opt opts[] = { { "project-root", 1, NULL, 0 } };
	struct bmad_status *s = NULL;
	struct verify_contract contract;
	struct verify_review r;
	struct storykey k;
	const struct bmad_entry **cand = NULL;
	char **pos = NULL, *root = NULL, *spath = NULL, *cause = NULL, *key;
	int npos, ret, rc;
	size_t ncand;
	bool listed;
	json_t *o;

	ret = cmd_parse(c, argc, argv, opts, ARRAY_SIZE(opts), &pos, &npos);
	if (ret)
		return ret;
	if (npos != 1) {
		free(pos);
		return cmd_usage_error(c, "expected one story key");
	}
	if (storykey_parse(pos[0], &k) < 0) {
		ret = report(negative("verified", "could_not_normalize_key", pos[0]),
			     EXIT_NEGATIVE);
		goto out;
	}
	if ((ret = find_root(c, opts[0].value, "verified", &root)) != 0)
		goto out;
	rc = load_sprint_status(root, &spath, &s);
	if (rc < 0) {
		ret = report(negative("verified", "sprint_status_invalid", NULL), EXIT_DATAERR);
		goto out;
	}
	if (rc > 0) {
		fprintf(stderr,
			"%s %s: no sprint-status.yaml in '%s' (looked where BMAD's config and "
			"versions put it: _bmad-output/implementation-artifacts, _bmad-output, "
			"docs/sprint-artifacts, docs)\n",
			progname, c->name, root);
		key = plain_key(&k);
		o = json_pack("{s:b,s:s,s:s,s:s}", "verified", 0, "story", key, "reason",
			      "sprint_status_not_found", "project_root", root);
		free(key);
		ret = report(o ? o : negative("verified", "sprint_status_not_found", NULL),
			     EXIT_NEGATIVE);
		goto out;
	}
	if (verify_contract_load(root, &contract, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		verify_contract_release(&contract);
		ret = report(negative("verified", "review_contract_invalid", NULL), EXIT_DATAERR);
		goto out;
	}
	ncand = candidates(s, pos[0], &cand);
	if (ncand > 1) {
		ret = review_candidates(root, s, pos[0], &contract, cand, ncand);
		verify_contract_release(&contract);
		free(cand);
		goto out;
	}
	free(cand);
	verify_review_check(root, s, pos[0], &contract, &r);
	verify_contract_release(&contract);
	/* BMAD's config that could not be used: warned like the sprint-status's own */
	diags_print_warnings(&r.warnings, stderr);
	diags_move(&s->warnings, &r.warnings);
	listed = ncand == 1;
	if (!listed && !r.story_file) {
		/* neither the sprint-status nor a story file knows this story */
		fprintf(stderr, "%s %s: story '%s' is not in '%s' and has no story file\n",
			progname, c->name, pos[0], spath);
		ret = report(
			with_warnings(negative("verified", "could_not_normalize_key", pos[0]), s),
			EXIT_NEGATIVE);
	} else {
		if (!listed) {
			/* not listed: the story file's name is its key */
			const char *base = strrchr(r.story_file, '/') + 1;

			free(r.story);
			r.story = xstrndup(base, strlen(base) - 3);
		}
		key = verify_review_json(&r);
		print_verdict(key, s, NULL);
		free(key);
		ret = r.verified ? EXIT_OK : EXIT_NEGATIVE;
	}
	verify_review_release(&r);
out:
	bmad_status_free(s);
	free(spath);
	free(root);
	free(pos);
	return ret;
}

/* ---- verify-step ---- */

enum { VS_ROOT, VS_SPRINT, VS_COUNT };

/*
 * The sprint file: --sprint as given, else sprint.yaml at the root, else
 * the root's sprint-status. Returns 0 with *path, 1 when there is none.
 */
static int sprint_path(const char *root, const char *given, char **path)
{
	char *p;
	struct stat st;

	if (given) {
		*path = xstrdup(given);
		return 0;
	}
	p = path_join(root, "sprint.yaml");
	if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
		*path = p;
		return 0;
	}
	free(p);
	return statusedit_find_file(root, path) == 0 ? 0 : 1;
}

/*
 * A story of a BMAD sprint that the sprint's queue leaves out (done ones):
 * built from its sprint-status entry like the loader builds the others.
 * Returns 0 with *st filled (release with story_clear), 1 when not listed.
 */
static int bmad_story(const struct sprint *sp, const char *name, struct story *st)
{
	struct diags d = DIAGS_INIT;
	struct bmad_status *s;
	const struct bmad_entry *e;
	struct storykey k;
	int ret = 1;

	memset(st, 0, sizeof(*st));
	if (bmad_status_load(sp->file, &s, &d) < 0) {
		diags_release(&d);
		return 1;
	}
	diags_release(&d);
	e = bmad_status_find(s, name);
	if (e && storykey_parse(e->key, &k) == 0) {
		st->id = xstrdup(k.numeric ? k.id : e->key);
		st->key = xstrdup(e->key);
		st->prefix = xstrdup(k.prefix);
		st->epic = xstrdup(e->epic);
		st->title = xstrdup(k.slug[0] ? k.slug : e->key);
		st->status = xstrdup(e->status);
		ret = 0;
	}
	bmad_status_free(s);
	return ret;
}

static void story_clear(struct story *st)
{
	free(st->id);
	free(st->key);
	free(st->prefix);
	free(st->epic);
	free(st->title);
	free(st->status);
	memset(st, 0, sizeof(*st));
}

/* "dev, review, commit": the step names of w, for messages; newly allocated. */
static char *step_names(const struct workflow *w)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < w->nsteps; i++) {
		if (i)
			buf_adds(&b, ", ");
		buf_adds(&b, w->steps[i].name);
	}
	return buf_detach(&b);
}

/* Runs st's verifier for story in sp and prints its object; returns the exit code. */
static int run_step(const struct cmd *c, const struct sprint *sp, const struct step *st,
		    const struct story *story)
{
	struct verify_ctx ctx = { 0 };
	struct verify_result res;
	struct tvars v = { 0 };
	char *status_file = NULL, *cause = NULL;
	int ret;
	json_t *o;

	if (st->verifier.kind == VERIFIER_SESSION_EXIT) {
		fprintf(stderr,
			"%s %s: step '%s' is verified by its session's exit status; there is "
			"no session outside a run\n",
			progname, c->name, st->name);
		o = json_pack("{s:b,s:s,s:s}", "verified", 0, "source", "session_exit", "reason",
			      "no_session");
		return report(o, EXIT_NEGATIVE);
	}
	if (sp->bmad)
		status_file = realpath(sp->file, NULL);
	tvars_set(&v, "story.id", story->id);
	tvars_set(&v, "story.key", story->key);
	tvars_set(&v, "story.prefix", story->prefix);
	tvars_set(&v, "story.title", story->title);
	tvars_set(&v, "story.epic", story->epic);
	tvars_set(&v, "step", st->name);
	tvars_set(&v, "cycle", "1");
	tvars_set(&v, "attempt", "1");
	tvars_set(&v, "root", sp->root);
	tvars_set(&v, "datadir", config_datadir());
	ctx.root = sp->root;
	ctx.status_file = status_file ? status_file : sp->status_file;
	ctx.story = story;
	ctx.step = st->name;
	ctx.cycle = 1;
	ctx.attempt = 1;
	ctx.vars = &v;
	/* as long as a run would wait: the step's timeout, else ten minutes */
	ctx.timeout_ms = st->timeout > 0 ? st->timeout * 1000 : 10 * 60 * 1000;
	if (verify_run(&st->verifier, &ctx, &res, &cause) < 0) {
		fprintf(stderr, "%s %s: the %s verifier could not run: %s\n", progname, c->name,
			st->name, cause);
		o = negative("verified", "cannot_verify", NULL);
		json_object_set_new(o, "error", jsonx_str(cause));
		free(cause);
		ret = report(o, EXIT_DATAERR);
	} else {
		puts(res.json);
		ret = res.verified ? EXIT_OK : EXIT_NEGATIVE;
	}
	verify_result_release(&res);
	free(status_file);
	return ret;
}

int cmd_verify_step_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("verify-step");
	struct cmd_opt opts[VS_COUNT] = {
		[VS_ROOT] = { "project-root", 1, NULL, 0 },
		[VS_SPRINT] = { "sprint", 1, NULL, 0 },
	};
	struct diags d = DIAGS_INIT;
	struct sprint *sp = NULL;
	struct story own;
	const struct step *st = NULL;
	const struct story *story;
	char **pos = NULL, *root = NULL, *path = NULL, *names;
	struct stat sb;
	int npos, ret, idx;
	json_t *o;

	memset(&own, 0, sizeof(own));
	ret = cmd_parse(c, argc, argv, opts, ARRAY_SIZE(opts), &pos, &npos);
	if (ret)
		return ret;
	if (npos != 2) {
		free(pos);
		return cmd_usage_error(c, "expected a step name and a story key");
	}
	if (opts[VS_SPRINT].seen && stat(opts[VS_SPRINT].value, &sb) < 0) {
		ret = cmd_usage_error(c, "cannot read sprint '%s': %s", opts[VS_SPRINT].value,
				      strerror(errno));
		goto out;
	}
	if (!storykey_key_ok(pos[1])) {
		ret = report(negative("verified", "could_not_normalize_key", pos[1]),
			     EXIT_NEGATIVE);
		goto out;
	}
	if (!opts[VS_SPRINT].seen && (ret = find_root(c, opts[VS_ROOT].value, "verified", &root)))
		goto out;
	if (sprint_path(root, opts[VS_SPRINT].value, &path) != 0) {
		fprintf(stderr,
			"%s %s: no sprint.yaml or sprint-status.yaml in '%s'; use --sprint FILE\n",
			progname, c->name, root);
		ret = report(negative("verified", "sprint_not_found", NULL), EXIT_NEGATIVE);
		goto out;
	}
	if (sprint_load(path, &sp, &d) < 0) {
		diags_sort(&d);
		diags_print(&d, stderr, true);
		ret = report(negative("verified", "sprint_invalid", NULL), EXIT_DATAERR);
		goto out;
	}
	for (size_t i = 0; !st && i < sp->workflow->nsteps; i++)
		if (!strcmp(sp->workflow->steps[i].name, pos[0]))
			st = &sp->workflow->steps[i];
	if (!st) {
		names = step_names(sp->workflow);
		ret = cmd_usage_error(c, "no step '%s' in workflow '%s' (steps: %s)", pos[0],
				      sp->workflow->name, names);
		free(names);
		goto out;
	}
	idx = sprint_find_story(sp, pos[1]);
	if (idx >= 0) {
		story = &sp->stories[idx];
	} else if (sp->bmad && bmad_story(sp, pos[1], &own) == 0) {
		story = &own;
	} else {
		fprintf(stderr, "%s %s: story '%s' is not in '%s'\n", progname, c->name, pos[1],
			sp->file);
		if (sp->bmad) {
			o = negative("verified", "could_not_normalize_key", pos[1]);
		} else {
			o = json_object();
			json_object_set_new(o, "verified", json_false());
			json_object_set_new(o, "story", jsonx_str(pos[1]));
			json_object_set_new(o, "reason", json_string("story_not_in_sprint"));
		}
		ret = report(o, EXIT_NEGATIVE);
		goto out;
	}
	ret = run_step(c, sp, st, story);
out:
	story_clear(&own);
	diags_release(&d);
	sprint_free(sp);
	free(path);
	free(root);
	free(pos);
	return ret;
}

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

	rc = load_sprint_status(root, &path, &s);
	if (rc < 0)
		return report(negative("found", "sprint_status_invalid", NULL), EXIT_DATAERR);
	if (rc > 0) {
		o = json_object();
		json_object_set_new(o, "found", json_false());
		json_object_set_new(o, "story", jsonx_str(key));
		json_object_set_new(o, "status", json_string("not_found"));
		json_object_set_new(o, "reason", json_string("sprint_status_not_found"));
		return report(o, EXIT_NEGATIVE);
	}
	n = candidates(s, key, &cand);
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
		json_object_set_new(o, "candidates", keys_json(cand, n));
		ret = EXIT_NEGATIVE;
	} else if (e) {
		o = json_object();
		json_object_set_new(o, "found", json_true());
		json_object_set_new(o, "story", jsonx_str(e->key));
		json_object_set_new(o, "status", jsonx_str(e->status));
		json_object_set_new(o, "done", json_boolean(bmad_status_is_done(e->status)));
		if (n > 1)
			json_object_set_new(o, "candidates", keys_json(cand, n));
		ret = EXIT_OK;
	} else {
		o = json_object();
		json_object_set_new(o, "found", json_false());
		json_object_set_new(o, "story", jsonx_str(key));
		json_object_set_new(o, "status", json_string("not_found"));
		ret = EXIT_NEGATIVE;
	}
	with_warnings(o, s);
	free(cand);
	bmad_status_free(s);
	free(path);
	return report(o, ret);
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

	rc = load_sprint_status(root, &path, &s);
	if (rc < 0)
		return report(negative("ok", "sprint_status_invalid", NULL), EXIT_DATAERR);
	if (rc > 0) {
		return report(epic_negative(epic, "sprint_status_not_found"), EXIT_NEGATIVE);
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
		o = with_warnings(epic_negative(epic, "epic_not_found"), s);
		bmad_status_free(s);
		free(path);
		return report(o, EXIT_NEGATIVE);
	}
	o = json_object();
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "epic", jsonx_str(epic));
	json_object_set_new(o, "allStoriesDone", json_boolean(total > 0 && done == total));
	json_object_set_new(o, "total", json_integer((json_int_t)total));
	json_object_set_new(o, "done", json_integer((json_int_t)done));
	json_object_set_new(o, "stories", stories);
	with_warnings(o, s);
	bmad_status_free(s);
	free(path);
	return report(o, EXIT_OK);
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
			jsonx_print(negative(subs[sub].head, "no_project_root", NULL));
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
	int npos, ret;
	json_t *o;

	ret = cmd_parse(c, argc, argv, opts, ARRAY_SIZE(opts), &pos, &npos);
	if (ret)
		return ret;
	if (npos != 1) {
		free(pos);
		return cmd_usage_error(c, "expected one story key");
	}
	if (storykey_parse(pos[0], &k) < 0) {
		ret = report(negative("ok", "could_not_normalize_key", pos[0]), EXIT_NEGATIVE);
		goto out;
	}
	if ((ret = find_root(c, opts[0].value, "ok", &root)) != 0)
		goto out;
	/* the full key when the sprint-status lists the story; a broken one is not ours to judge */
	if (load_sprint_status(root, &spath, &s) < 0)
		fprintf(stderr, "%s %s: ignoring the sprint-status that does not load\n", progname,
			c->name);
	if (s) {
		const struct bmad_entry **cand = NULL;
		size_t n = candidates(s, pos[0], &cand);

		if (n > 1) {
			fprintf(stderr, "%s %s: '%s' names %zu stories; use the full key\n",
				progname, c->name, pos[0], n);
			ret = report(ambiguous("ok", pos[0], s, cand, n), EXIT_NEGATIVE);
			free(cand);
			goto out;
		}
		e = n == 1 ? cand[0] : NULL;
		free(cand);
	}
	key = e ? xstrdup(e->key) : plain_key(&k);
	if (storyfile_locate(root, spath, key, &file, &note, &cfgw) != 0) {
		o = json_object();
		json_object_set_new(o, "ok", json_false());
		json_object_set_new(o, "story_key", jsonx_str(key));
		json_object_set_new(o, "reason", json_string("story_file_not_found"));
		ret = report(with_config_warnings(with_warnings(o, s), &cfgw), EXIT_NEGATIVE);
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
		ret = report(negative("ok", "story_file_unreadable", NULL), EXIT_DATAERR);
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
	ret = report(with_config_warnings(with_warnings(o, s), &cfgw), EXIT_OK);
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
