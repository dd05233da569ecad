/* SPDX-License-Identifier: MIT */
/*
 * verify_steps.c: the step verifiers of verify_run: the session's exit,
 * review completion, a story's file (the BMAD lookup), a glob's matches,
 * a command's exit (argv, never a shell), epic completion and an
 * integration conflict resolved. Reads only;
 * never counts a path outside the project root.
 */
#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bmad.h"
#include "gitx.h"
#include "jsonx.h"
#include "proc.h"
#include "storykey.h"
#include "util.h"
#include "verify.h"
#include "verify_int.h"

void verify_result_release(struct verify_result *r)
{
	free(r->source);
	free(r->reason);
	free(r->json);
	memset(r, 0, sizeof(*r));
}

static const char *story_key_of(const struct story *st)
{
	return st->key && *st->key ? st->key : st->id;
}

static int run_review(const struct verify_ctx *ctx, struct verify_result *res, char **cause)
{
	struct verify_review r;
	json_t *o;

	if (verify_review_status_with(ctx->root, ctx->status_file, story_key_of(ctx->story),
				      ctx->contract, &r, cause) < 0)
		return -1;
	res->verified = r.verified;
	res->source = xstrdup(r.source ? r.source : "sprint-status.yaml");
	if (r.reason)
		res->reason = xstrdup(r.reason);
	o = verify_review_object(&r);
	if (!r.source)
		json_object_set_new(o, "source", json_string(res->source));
	res->json = verify_dump(o);
	verify_review_release(&r);
	return 0;
}

/* ---- session exit ---- */

static int run_session_exit(const struct verify_ctx *ctx, struct verify_result *res)
{
	json_t *o = json_object();

	res->verified = ctx->exit_status == 0 && ctx->exit_signal == 0;
	res->source = xstrdup("session_exit");
	if (ctx->exit_signal)
		res->reason = xstrfmt("killed by signal %d", ctx->exit_signal);
	else if (ctx->exit_status)
		res->reason = xstrfmt("exit %d", ctx->exit_status);
	json_object_set_new(o, "verified", json_boolean(res->verified));
	json_object_set_new(o, "source", json_string(res->source));
	json_object_set_new(o, "exitStatus", json_integer(ctx->exit_status));
	json_object_set_new(o, "signal", json_integer(ctx->exit_signal));
	if (res->reason)
		json_object_set_new(o, "reason", json_string(res->reason));
	res->json = verify_dump(o);
	return 0;
}

/* ---- an integration conflict resolved (isolation: worktree) ---- */

static int run_conflicts(const struct verify_ctx *ctx, struct verify_result *res)
{
	json_t *o = json_object();
	char *what = NULL;

	res->verified = gitx_conflict_left(ctx->root, &what) == 0;
	res->source = xstrdup("conflicts_resolved");
	res->reason = what;
	json_object_set_new(o, "verified", json_boolean(res->verified));
	json_object_set_new(o, "source", json_string(res->source));
	if (res->reason)
		json_object_set_new(o, "reason", json_string(res->reason));
	res->json = verify_dump(o);
	return 0;
}

/* ---- a story's file ---- */

/* path relative to root when it is under root (as given otherwise). */
static const char *relative_to(const char *root, const char *path)
{
	size_t n = strlen(root);

	if (!strncmp(path, root, n) && path[n] == '/')
		return path + n + 1;
	return path;
}

/*
 * Exactly one story file for the story, found as verify-code-review finds
 * it (storyfile_candidates): BMAD's folders, <key>.md, <prefix>-<slug>.md,
 * <prefix>-*.md without companion files.
 */
static int run_story_file(const struct verify_ctx *ctx, struct verify_result *res, char **cause)
{
	const char *key = story_key_of(ctx->story);
	struct strvec paths = STRVEC_INIT;
	struct diags warnings = DIAGS_INIT;
	json_t *o, *files = json_array();
	struct buf list = BUF_INIT;
	int n = storyfile_candidates(ctx->root, ctx->status_file, key, &paths, &warnings);

	if (n < 0) {
		*cause = xstrfmt("invalid story key '%s'", key);
		json_decref(files);
		diags_release(&warnings);
		return -1;
	}
	for (size_t i = 0; i < paths.n; i++) {
		const char *rel = relative_to(ctx->root, paths.v[i]);

		json_array_append_new(files, jsonx_str(rel));
		buf_addf(&list, "%s%s", i ? ", " : "", rel);
	}
	res->verified = n == 1;
	res->source = xstrdup("story_file");
	if (n == 0)
		res->reason = xstrfmt("no story file for '%s'", key);
	else if (n > 1)
		res->reason = xstrfmt("%d story files for '%s', expected one: %s", n, key, list.s);
	o = json_object();
	json_object_set_new(o, "verified", json_boolean(res->verified));
	json_object_set_new(o, "source", json_string(res->source));
	json_object_set_new(o, "story", jsonx_str(key));
	json_object_set_new(o, "story_files", files);
	if (res->reason)
		json_object_set_new(o, "reason", json_string(res->reason));
	jsonx_add_warnings(o, &warnings);
	res->json = verify_dump(o);
	buf_release(&list);
	diags_release(&warnings);
	strvec_release(&paths);
	return 0;
}

/* ---- story artifacts ---- */

/* s with glob's special characters escaped, so a root like /tmp/a[1] is literal. */
static void add_glob_escaped(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (strchr("*?[]\\", *s))
			buf_addc(b, '\\');
		buf_addc(b, *s);
	}
}

static bool inside(const char *root, const char *path)
{
	size_t n = strlen(root);

	if (!strcmp(root, "/"))
		return path[0] == '/';
	return !strncmp(path, root, n) && (path[n] == '\0' || path[n] == '/');
}

static int run_artifact(const struct verifier *v, const struct verify_ctx *ctx,
			const struct tvars *vars, struct verify_result *res, char **cause)
{
	char *pattern = template_render(v->glob ? v->glob : "", vars);
	char *root = realpath(ctx->root, NULL);
	struct buf full = BUF_INIT;
	json_t *o, *matches;
	glob_t g;
	size_t count = 0;
	int rc, ret = -1;

	memset(&g, 0, sizeof(g));
	if (!root) {
		*cause = xstrfmt("cannot resolve '%s': %s", ctx->root, strerror(errno));
		free(pattern);
		return -1;
	}
	add_glob_escaped(&full, root);
	if (strcmp(root, "/"))
		buf_addc(&full, '/');
	buf_adds(&full, pattern + strspn(pattern, "/"));
	rc = glob(full.s, 0, NULL, &g);
	if (rc != 0 && rc != GLOB_NOMATCH) {
		*cause = xstrfmt("cannot match '%s': %s", pattern,
				 rc == GLOB_NOSPACE ? "out of memory" : "read error");
		goto out;
	}
	matches = json_array();
	for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++) {
		char *real = realpath(g.gl_pathv[i], NULL);
		const char *rel = g.gl_pathv[i] + strlen(root);

		if (real && inside(root, real)) {
			rel += strspn(rel, "/");
			json_array_append_new(matches, json_string(rel));
			count++;
		}
		free(real);
	}
	res->verified = count == (size_t)v->expect;
	res->source = xstrdup("story_artifact");
	if (!res->verified)
		res->reason = xstrfmt("expected %d matches of '%s', found %zu", v->expect, pattern,
				      count);
	o = json_object();
	json_object_set_new(o, "verified", json_boolean(res->verified));
	json_object_set_new(o, "source", json_string(res->source));
	json_object_set_new(o, "pattern", json_string(pattern));
	json_object_set_new(o, "expectedMatches", json_integer(v->expect));
	json_object_set_new(o, "actualMatches", json_integer((json_int_t)count));
	json_object_set_new(o, "matches", matches);
	if (res->reason)
		json_object_set_new(o, "reason", json_string(res->reason));
	res->json = verify_dump(o);
	ret = 0;
out:
	globfree(&g);
	buf_release(&full);
	free(root);
	free(pattern);
	return ret;
}

/* ---- command ---- */

static int run_command(const struct verifier *v, const struct verify_ctx *ctx,
		       const struct tvars *vars, struct verify_result *res, char **cause)
{
	struct strvec argv = STRVEC_INIT;
	struct proc_opts o = { .cwd = ctx->root, .timeout_ms = ctx->timeout_ms };
	struct proc_result r;
	json_t *obj, *arr = json_array();
	int ret = -1;

	if (!v->argv.n) {
		*cause = xstrfmt("command verifier without a command");
		json_decref(arr);
		return -1;
	}
	for (size_t i = 0; i < v->argv.n; i++) {
		strvec_push_nodup(&argv, template_render(v->argv.v[i], vars));
		json_array_append_new(arr, json_string(argv.v[i]));
	}
	if (proc_run((const char *const *)argv.v, &o, &r) < 0) {
		*cause = r.not_found ? xstrfmt("command not found '%s'", argv.v[0])
				     : xstrfmt("cannot run '%s': %s", argv.v[0], strerror(errno));
		json_decref(arr);
		goto out;
	}
	res->verified = proc_ok(&r);
	res->source = xstrdup("command");
	if (!res->verified)
		res->reason = proc_describe(&r);
	obj = json_object();
	json_object_set_new(obj, "verified", json_boolean(res->verified));
	json_object_set_new(obj, "source", json_string(res->source));
	json_object_set_new(obj, "argv", arr);
	json_object_set_new(obj, "exitStatus", json_integer(r.status));
	if (res->reason)
		json_object_set_new(obj, "reason", json_string(res->reason));
	res->json = verify_dump(obj);
	ret = 0;
out:
	proc_result_release(&r);
	strvec_release(&argv);
	return ret;
}

/* ---- epic completion ---- */

static int run_epic(const struct verify_ctx *ctx, struct verify_result *res, char **cause)
{
	struct bmad_status *s = NULL;
	struct storykey k;
	const char *epic = ctx->story->epic;
	char *spath = verify_status_path(ctx->root, ctx->status_file);
	json_t *o, *stories;
	size_t total = 0, done = 0;

	if (!spath) {
		*cause = xstrfmt("no sprint-status.yaml under '%s'", ctx->root);
		return -1;
	}
	if (verify_load_status(spath, &s, cause) < 0) {
		free(spath);
		return -1;
	}
	free(spath);
	if ((!epic || !*epic) && storykey_parse(story_key_of(ctx->story), &k) == 0)
		epic = k.epic;
	if (!epic)
		epic = "";
	stories = json_array();
	for (size_t i = 0; i < s->n; i++) {
		const struct bmad_entry *e = &s->v[i];
		json_t *one;

		if (e->kind != BMAD_STORY || strcmp(e->epic, epic))
			continue;
		total++;
		done += bmad_status_is_done(e->status);
		one = json_object();
		json_object_set_new(one, "story", json_string(e->key));
		json_object_set_new(one, "status", json_string(e->status));
		json_object_set_new(one, "done", json_boolean(bmad_status_is_done(e->status)));
		json_array_append_new(stories, one);
	}
	res->verified = total > 0 && done == total;
	res->source = xstrdup("sprint-status.yaml");
	if (!total)
		res->reason = xstrfmt("no stories of epic '%s' in sprint-status", epic);
	else if (done < total)
		res->reason = xstrfmt("%zu of %zu stories of epic '%s' are not done", total - done,
				      total, epic);
	o = json_object();
	json_object_set_new(o, "verified", json_boolean(res->verified));
	json_object_set_new(o, "source", json_string(res->source));
	json_object_set_new(o, "epic", json_string(epic));
	json_object_set_new(o, "allStoriesDone", json_boolean(res->verified));
	json_object_set_new(o, "total", json_integer((json_int_t)total));
	json_object_set_new(o, "done", json_integer((json_int_t)done));
	json_object_set_new(o, "stories", stories);
	if (res->reason)
		json_object_set_new(o, "reason", json_string(res->reason));
	res->json = verify_dump(o);
	bmad_status_free(s);
	return 0;
}

int verify_run(const struct verifier *v, const struct verify_ctx *ctx, struct verify_result *res,
	       char **cause)
{
	static const struct tvars novars = { 0 };
	const struct tvars *vars = ctx->vars ? ctx->vars : &novars;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	switch (v->kind) {
	case VERIFIER_NONE:
		res->verified = true;
		res->source = xstrdup("none");
		res->json = xstrdup("{\"verified\":true,\"source\":\"none\"}");
		break;
	case VERIFIER_SESSION_EXIT:
		ret = run_session_exit(ctx, res);
		break;
	case VERIFIER_REVIEW_COMPLETION:
		ret = run_review(ctx, res, cause);
		break;
	case VERIFIER_STORY_FILE:
		ret = run_story_file(ctx, res, cause);
		break;
	case VERIFIER_STORY_ARTIFACT:
		ret = run_artifact(v, ctx, vars, res, cause);
		break;
	case VERIFIER_COMMAND:
		ret = run_command(v, ctx, vars, res, cause);
		break;
	case VERIFIER_EPIC_COMPLETE:
		ret = run_epic(ctx, res, cause);
		break;
	case VERIFIER_CONFLICTS_RESOLVED:
		ret = run_conflicts(ctx, res);
		break;
	default:
		*cause = xstrfmt("unknown verifier kind %d", (int)v->kind);
		ret = -1;
		break;
	}
	if (ret < 0)
		verify_result_release(res);
	return ret;
}
