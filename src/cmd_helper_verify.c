/* SPDX-License-Identifier: MIT */
/*
 * cmd_helper_verify.c: orchestrator-helper verify-code-review and
 * verify-step: read-only questions about the workflow truth of a BMAD
 * project (sprint-status.yaml, story files) and a workflow step's
 * verifier. Each prints one compact JSON object (jansson) on stdout,
 * diagnostics on stderr. Must not write, create or fix any file, and must
 * not judge anything itself: parsing belongs to bmad.c, verdicts to
 * verify.c, sprints and workflows to config.c.
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
	jsonx_print(helper_with_warnings(o, s));
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
		print_verdict(text, s, helper_keys_json(v, n));
		free(text);
		ret = r[0].verified ? EXIT_OK : EXIT_NEGATIVE;
	} else {
		fprintf(stderr,
			"%s verify-code-review: '%s' names %zu stories that disagree; use the full "
			"key\n",
			progname, input, n);
		ret = helper_report(helper_ambiguous("verified", input, s, v, n), EXIT_NEGATIVE);
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
	int ret, rc;
	size_t ncand;
	bool listed;
	json_t *o;

	ret = helper_story_args(c, argc, argv, opts, ARRAY_SIZE(opts), "verified", &k, &pos, &root);
	if (ret)
		return ret;
	rc = helper_load_status(root, &spath, &s);
	if (rc < 0) {
		ret = helper_report(helper_negative("verified", "sprint_status_invalid", NULL),
				    EXIT_DATAERR);
		goto out;
	}
	if (rc > 0) {
		fprintf(stderr,
			"%s %s: no sprint-status.yaml in '%s' (looked where BMAD's config and "
			"versions put it: _bmad-output/implementation-artifacts, _bmad-output, "
			"docs/sprint-artifacts, docs)\n",
			progname, c->name, root);
		key = helper_plain_key(&k);
		o = json_pack("{s:b,s:s,s:s,s:s}", "verified", 0, "story", key, "reason",
			      "sprint_status_not_found", "project_root", root);
		free(key);
		ret = helper_report(
			o ? o : helper_negative("verified", "sprint_status_not_found", NULL),
			EXIT_NEGATIVE);
		goto out;
	}
	if (verify_contract_load(root, &contract, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		verify_contract_release(&contract);
		ret = helper_report(helper_negative("verified", "review_contract_invalid", NULL),
				    EXIT_DATAERR);
		goto out;
	}
	ncand = helper_candidates(s, pos[0], &cand);
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
		ret = helper_report(
			helper_with_warnings(
				helper_negative("verified", "could_not_normalize_key", pos[0]), s),
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
		return helper_report(o, EXIT_NEGATIVE);
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
		o = helper_negative("verified", "cannot_verify", NULL);
		json_object_set_new(o, "error", jsonx_str(cause));
		free(cause);
		ret = helper_report(o, EXIT_DATAERR);
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
		ret = helper_report(helper_negative("verified", "could_not_normalize_key", pos[1]),
				    EXIT_NEGATIVE);
		goto out;
	}
	if (!opts[VS_SPRINT].seen &&
	    (ret = helper_find_root(c, opts[VS_ROOT].value, "verified", &root)))
		goto out;
	if (sprint_path(root, opts[VS_SPRINT].value, &path) != 0) {
		fprintf(stderr,
			"%s %s: no sprint.yaml or sprint-status.yaml in '%s'; use --sprint FILE\n",
			progname, c->name, root);
		ret = helper_report(helper_negative("verified", "sprint_not_found", NULL),
				    EXIT_NEGATIVE);
		goto out;
	}
	if (sprint_load(path, &sp, &d) < 0) {
		diags_sort(&d);
		diags_print(&d, stderr, true);
		ret = helper_report(helper_negative("verified", "sprint_invalid", NULL),
				    EXIT_DATAERR);
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
			o = helper_negative("verified", "could_not_normalize_key", pos[1]);
		} else {
			o = json_object();
			json_object_set_new(o, "verified", json_false());
			json_object_set_new(o, "story", jsonx_str(pos[1]));
			json_object_set_new(o, "reason", json_string("story_not_in_sprint"));
		}
		ret = helper_report(o, EXIT_NEGATIVE);
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
