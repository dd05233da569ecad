/* SPDX-License-Identifier: MIT */
/*
 * test_verify.c: the step verifiers against a temp project under $TMPDIR
 * (removed afterwards): sprint-status and story files in the BMAD layout,
 * artifacts matched by glob (a symlink out of the root is not counted) and
 * commands run by argv (a template value is never seen by a shell).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"
#include "template.h"
#include "util.h"
#include "verify.h"

#define ART "_bmad-output/implementation-artifacts"
#define EVIL "$(touch pwned)"

static const char status_text[] = "# sprint status\n"
				  "development_status:\n"
				  "  epic-1: in-progress\n"
				  "  1-1-login: \"DONE\"      # quoted, any case\n"
				  "  1-2-reset: review\n"
				  "  1-3-profile: {status: done}\n"
				  "  1-20-other: done\n"
				  "  epic-2: in-progress\n"
				  "  2-1-a: done\n"
				  "  2-2-b: 'done'\n"
				  "  epic-3: backlog\n"
				  "  3-1-c: done\n"
				  "  3-2-d: in-progress\n";

struct fx {
	char *dir;  /* temp directory */
	char *root; /* dir/project */
	struct story story;
	struct tvars vars;
	struct verify_ctx ctx;
};

static void put(const char *dir, const char *rel, const char *text)
{
	char *p = path_join(dir, rel);

	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
	free(p);
}

static void mkdirs(const char *dir, const char *rel)
{
	char *p = path_join(dir, rel);
	const char *argv[] = { "mkdir", "-p", p, NULL };
	struct proc_result r;

	assert_int_equal(proc_run(argv, NULL, &r), 0);
	assert_true(proc_ok(&r));
	proc_result_release(&r);
	free(p);
}

static bool exists(const char *dir, const char *rel)
{
	char *p = path_join(dir, rel);
	struct stat st;
	bool yes = lstat(p, &st) == 0;

	free(p);
	return yes;
}

static void set_story(struct fx *f, const char *id, const char *key, const char *prefix,
		      const char *epic)
{
	f->story.id = (char *)id;
	f->story.key = (char *)key;
	f->story.prefix = (char *)prefix;
	f->story.epic = (char *)epic;
	f->story.title = (char *)"Reset " EVIL;
	memset(&f->vars, 0, sizeof(f->vars));
	tvars_set(&f->vars, "story.id", id);
	tvars_set(&f->vars, "story.key", key);
	tvars_set(&f->vars, "story.prefix", prefix);
	tvars_set(&f->vars, "story.epic", epic);
	tvars_set(&f->vars, "story.title", f->story.title);
	tvars_set(&f->vars, "root", f->root);
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct fx *f = xcalloc(1, sizeof(*f));

	f->dir = xstrfmt("%s/au-test-verify-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	f->root = path_join(f->dir, "project");
	mkdirs(f->root, ART);
	put(f->root, ART "/sprint-status.yaml", status_text);
	set_story(f, "1.2", "1-2-reset", "1-2", "1");
	f->ctx.root = f->root;
	f->ctx.story = &f->story;
	f->ctx.step = "review";
	f->ctx.vars = &f->vars;
	f->ctx.timeout_ms = 10000;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	const char *argv[] = { "rm", "-rf", f->dir, NULL };
	struct proc_result r;

	proc_run(argv, NULL, &r);
	proc_result_release(&r);
	free(f->root);
	free(f->dir);
	free(f);
	return 0;
}

static void run_ok(struct fx *f, const struct verifier *v, struct verify_result *res)
{
	char *cause = NULL;

	if (verify_run(v, &f->ctx, res, &cause) < 0)
		fprintf(stderr, "verify_run: %s\n", cause);
	assert_null(cause);
}

static void test_session_exit(void **state)
{
	struct fx *f = *state;
	struct verifier v = { .kind = VERIFIER_SESSION_EXIT };
	struct verify_result res;

	run_ok(f, &v, &res);
	assert_true(res.verified);
	assert_string_equal(res.source, "session_exit");
	assert_null(res.reason);
	assert_string_equal(res.json,
			    "{\"verified\":true,\"source\":\"session_exit\",\"exitStatus\":0,"
			    "\"signal\":0}");
	verify_result_release(&res);

	f->ctx.exit_status = 1;
	run_ok(f, &v, &res);
	assert_false(res.verified);
	assert_string_equal(res.reason, "exit 1");
	verify_result_release(&res);

	f->ctx.exit_status = -1;
	f->ctx.exit_signal = 9;
	run_ok(f, &v, &res);
	assert_false(res.verified);
	assert_string_equal(res.reason, "killed by signal 9");
	verify_result_release(&res);
}

static void test_review_sprint_status(void **state)
{
	struct fx *f = *state;
	struct verifier v = { .kind = VERIFIER_REVIEW_COMPLETION };
	struct verify_result res;
	struct verify_review r;
	char *cause = NULL, *json;

	/* quoted "DONE" is done */
	set_story(f, "1.1", "1-1", "1-1", "1");
	run_ok(f, &v, &res);
	assert_true(res.verified);
	assert_string_equal(res.source, "sprint-status.yaml");
	assert_string_equal(res.json,
			    "{\"verified\":true,\"story\":\"1-1-login\",\"sprint_status\":\"DONE\","
			    "\"story_file_status\":\"unknown\",\"source\":\"sprint-status.yaml\"}");
	verify_result_release(&res);

	/* the nested form */
	set_story(f, "1.3", "1-3-profile", "1-3", "1");
	run_ok(f, &v, &res);
	assert_true(res.verified);
	verify_result_release(&res);

	/* review, and no story file: not complete */
	set_story(f, "1.2", "1-2-reset", "1-2", "1");
	run_ok(f, &v, &res);
	assert_false(res.verified);
	assert_string_equal(res.reason, "workflow_not_complete");
	assert_string_equal(
		res.json,
		"{\"verified\":false,\"story\":\"1-2-reset\",\"sprint_status\":\"review\","
		"\"story_file_status\":\"unknown\",\"reason\":\"workflow_not_complete\","
		"\"source\":\"sprint-status.yaml\"}");
	verify_result_release(&res);

	/* the helper's own object has no source when not verified */
	assert_int_equal(verify_review_status(f->root, NULL, "1.2", &r, &cause), 0);
	json = verify_review_json(&r);
	assert_string_equal(
		json, "{\"verified\":false,\"story\":\"1-2-reset\",\"sprint_status\":\"review\","
		      "\"story_file_status\":\"unknown\",\"reason\":\"workflow_not_complete\"}");
	free(json);
	verify_review_release(&r);

	/* an explicit status file, relative to root */
	f->ctx.status_file = ART "/sprint-status.yaml";
	set_story(f, "2.2", "2-2", "2-2", "2");
	run_ok(f, &v, &res);
	assert_true(res.verified);
	verify_result_release(&res);

	/* a broken sprint-status cannot be judged */
	put(f->root, ART "/sprint-status.yaml", "development_status: [\n");
	assert_int_equal(verify_run(&v, &f->ctx, &res, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "sprint-status.yaml:"));
	free(cause);
	cause = NULL;
	assert_int_equal(verify_review_status(f->root, NULL, "not a key!", &r, &cause), -1);
	free(cause);
}

static void test_review_story_file(void **state)
{
	struct fx *f = *state;
	struct verifier v = { .kind = VERIFIER_REVIEW_COMPLETION };
	struct verify_result res;

	/* 1-20's file says done: not 1-2's */
	put(f->root, ART "/1-20-other.md", "# Story 1.20\n\nStatus: done\n");
	run_ok(f, &v, &res);
	assert_false(res.verified);
	verify_result_release(&res);

	put(f->root, ART "/1-2-reset.md", "# Story 1.2: Reset\n\nStatus: done\n\n## Story\n");
	run_ok(f, &v, &res);
	assert_true(res.verified);
	assert_string_equal(res.source, "story-file");
	assert_string_equal(
		res.json, "{\"verified\":true,\"story\":\"1-2-reset\",\"sprint_status\":\"review\","
			  "\"story_file_status\":\"done\",\"source\":\"story-file\","
			  "\"note\":\"sprint_status_not_updated\"}");
	verify_result_release(&res);

	put(f->root, ART "/1-2-reset.md", "# Story 1.2: Reset\n\nStatus: review\n");
	run_ok(f, &v, &res);
	assert_false(res.verified);
	assert_non_null(strstr(res.json, "\"story_file_status\":\"review\""));
	verify_result_release(&res);

	/* no sprint-status at all */
	put(f->root, ART "/1-2-reset.md", "Status: Done\n");
	{
		char *p = path_join(f->root, ART "/sprint-status.yaml");

		assert_int_equal(unlink(p), 0);
		free(p);
	}
	run_ok(f, &v, &res);
	assert_true(res.verified);
	assert_non_null(strstr(res.json, "\"sprint_status\":\"unknown\""));
	verify_result_release(&res);
}

/* The Status read from a story file holding text. */
static char *file_status(struct fx *f, const char *text)
{
	char *path = path_join(f->root, ART "/5-1-x.md"), *st = NULL;
	int rc;

	put(f->root, ART "/5-1-x.md", text);
	rc = storyfile_status(path, &st);
	free(path);
	return rc == 0 ? st : NULL;
}

static void expect_status(struct fx *f, const char *text, const char *want)
{
	char *st = file_status(f, text);

	if (!want) {
		assert_null(st);
		return;
	}
	assert_non_null(st);
	assert_string_equal(st, want);
	free(st);
}

static void test_story_file_forms(void **state)
{
	struct fx *f = *state;
	char *path = NULL;

	expect_status(f, "---\nStatus: done\ntitle: x\n---\n# Story\n", "done");
	expect_status(f, "---\r\ntitle: x\r\nstatus: \"Done\"  # yes\r\n---\r\nStatus: review\r\n",
		      "Done");
	expect_status(f, "# Story 5.1\n\nStatus: done\n", "done");
	expect_status(f, "# Story 5.1\n\nstatus: DONE\n", "DONE");
	expect_status(f, "# Story 5.1\n\n**Status:** done\n", "done");
	expect_status(f, "# Story 5.1\n\n**Status**: done\n", "done");
	expect_status(f, "# Story 5.1\n\nStatus: **done**\n", "done");
	expect_status(f, "# Story 5.1\n\n- Status: `done`\n", "done");
	expect_status(f, "# Story 5.1\n\n## Status\n\nDone\n\n## Story\n", "Done");
	expect_status(f, "# Story 5.1\r\n\r\nStatus: in-progress\r\n", "in-progress");
	/* the first one counts; fenced examples do not */
	expect_status(f, "```\nStatus: done\n```\nStatus: review\nStatus: done\n", "review");
	expect_status(f, "# Story 5.1\n\nNo status here.\n", NULL);
	expect_status(f, "# Story\n\nThe status: is discussed\n", NULL);

	/* prefix matching: 1-2 is not 1-20 */
	put(f->root, ART "/1-20-other.md", "Status: done\n");
	assert_int_equal(storyfile_find(f->root, "1.2", &path), 1);
	assert_null(path);
	put(f->root, ART "/1-2-reset.md", "Status: review\n");
	put(f->root, ART "/1-2b-other.md", "Status: done\n");
	assert_int_equal(storyfile_find(f->root, "1-2", &path), 0);
	assert_true(str_ends_with(path, "/1-2-reset.md"));
	free(path);
	/* the full key's file wins over another 1-2 file */
	put(f->root, ART "/1-2-a-draft.md", "Status: done\n");
	assert_int_equal(storyfile_find(f->root, "1-2-reset", &path), 0);
	assert_true(str_ends_with(path, "/1-2-reset.md"));
	free(path);
	assert_int_equal(storyfile_find(f->root, "bad key!", &path), -1);
	/* a sub-story's file is not its parent's: 0-6 has none of its own */
	put(f->root, ART "/0-6-1-boost-coverage.md", "Status: done\n");
	assert_int_equal(storyfile_find(f->root, "0.6", &path), 1);
	assert_int_equal(storyfile_find(f->root, "0-6-1", &path), 0);
	assert_true(str_ends_with(path, "/0-6-1-boost-coverage.md"));
	free(path);
}

/* The story file story_key finds (its name), or NULL; *note gets the note. */
static char *found_name(struct fx *f, const char *key, char **note)
{
	char *path = NULL, *name;

	if (storyfile_locate(f->root, NULL, key, &path, note, NULL) != 0)
		return NULL;
	name = xstrdup(strrchr(path, '/') + 1);
	free(path);
	return name;
}

static void expect_found(struct fx *f, const char *key, const char *want, const char *want_note)
{
	char *note = NULL, *name = found_name(f, key, &note);

	if (!want) {
		assert_null(name);
	} else {
		assert_non_null(name);
		assert_string_equal(name, want);
	}
	if (want_note) {
		assert_non_null(note);
		assert_string_equal(note, want_note);
	} else {
		assert_null(note);
	}
	free(name);
	free(note);
}

static void test_story_file_layout(void **state)
{
	struct fx *f = *state;

	/* companions are never the story file */
	put(f->root, ART "/4-1-x.validation-report.md", "Status: done\n");
	put(f->root, ART "/4-1-code-review.md", "Status: done\n");
	put(f->root, ART "/4-1-implementation-summary.md", "Status: done\n");
	put(f->root, ART "/4-1-retro.md", "Status: done\n");
	put(f->root, ART "/4-1-x.addendum.md", "Status: done\n");
	put(f->root, ART "/4-1-review-findings-2.md", "Status: done\n");
	put(f->root, ART "/4-1-context.md", "Status: done\n");
	put(f->root, ART "/4-1-x.context.md", "Status: done\n");
	expect_found(f, "4.1", NULL, NULL);
	put(f->root, ART "/4-1-export-all-the-reports.md", "Status: done\n");
	expect_found(f, "4.1", "4-1-export-all-the-reports.md", NULL);
	expect_found(f, "4-1-export", "4-1-export-all-the-reports.md", NULL);
	/* several alike: the shortest name, then byte order, with a note */
	put(f->root, ART "/4-1-zz.md", "Status: done\n");
	put(f->root, ART "/4-1-yy.md", "Status: done\n");
	expect_found(f, "4.1", "4-1-yy.md", "several story files; chose 4-1-yy.md");
	/* the key's own file first, then <prefix>-<slug>.md */
	put(f->root, ART "/4-1-zz-long.md", "Status: done\n");
	expect_found(f, "4-1-zz-long", "4-1-zz-long.md", NULL);
	/* a key without a slug: CORE-001.md, not the retro notes */
	put(f->root, ART "/CORE-001-retro-2026-03-15.md", "Status: done\n");
	expect_found(f, "CORE-001", NULL, NULL);
	put(f->root, ART "/CORE-001.md", "Status: done\n");
	expect_found(f, "CORE-001", "CORE-001.md", NULL);
	/* subfolders, two levels deep, not three */
	mkdirs(f->root, ART "/stories/epic-6/deeper");
	put(f->root, ART "/stories/5-1-a.md", "Status: done\n");
	put(f->root, ART "/stories/epic-6/6-1-b.md", "Status: done\n");
	put(f->root, ART "/stories/epic-6/deeper/6-2-c.md", "Status: done\n");
	expect_found(f, "5.1", "5-1-a.md", NULL);
	expect_found(f, "6-1-b", "6-1-b.md", NULL);
	expect_found(f, "6.2", NULL, NULL);
	/* the same name in two subfolders: byte order of the paths, with a note */
	mkdirs(f->root, ART "/epic-5");
	put(f->root, ART "/epic-5/5-1-a.md", "Status: review\n");
	expect_found(f, "5-1-a", "5-1-a.md", "several story files; chose 5-1-a.md");
	/* a configured folder comes first */
	mkdirs(f->root, "_bmad/bmm");
	mkdirs(f->root, "work/stories");
	put(f->root, "_bmad/bmm/config.yaml",
	    "# BMM Module Configuration\nproject_name: t\n"
	    "implementation_artifacts: '{project-root}/" ART "'\n"
	    "story_location: '{project-root}/work/stories'\n");
	put(f->root, "work/stories/5-1-configured.md", "Status: done\n");
	expect_found(f, "5.1", "5-1-configured.md", NULL);
	/* older BMAD: docs/stories */
	mkdirs(f->root, "docs/stories");
	put(f->root, "docs/stories/9-1-old.md", "Status: done\n");
	expect_found(f, "9.1", "9-1-old.md", NULL);
}

static void review(struct fx *f, const char *key, struct verify_review *r)
{
	char *cause = NULL;

	assert_int_equal(verify_review_status(f->root, NULL, key, r, &cause), 0);
	assert_null(cause);
}

static void test_review_says_not_done(void **state)
{
	struct fx *f = *state;
	struct verify_review r;
	char *json;

	put(f->root, ART "/sprint-status.yaml",
	    "development_status:\n"
	    "  7-1-a: in-progress  # Updated by BMAD-Code-Review 2026-03-29\n"
	    "  7-2-b: review\n"
	    "  7-3-c: review  # moved by dev-story\n"
	    "  7-4-d: \"review\" # code-review: changes requested\n"
	    "  7-5-e: {status: review}  # updated by code-review\n");
	put(f->root, ART "/7-1-a.md", "# Story\n\nStatus: done\n");
	put(f->root, ART "/7-2-b.md",
	    "# Story\n\nStatus: done\n\n## Tasks\n\n- [ ] [Review] not under a review heading\n\n"
	    "## Senior Developer Review (AI)\n\n### Action Items\n\n"
	    "- [ ] [AI-Review][High] one\n- [x] [AI-Review][Low] fixed\n"
	    "  - [ ] [Review][Patch] two\n```\n- [ ] [Review] fenced\n```\n"
	    "* [ ] [review] three\n\n## Dev Notes\n\n- [ ] [Review] after the section\n");
	put(f->root, ART "/7-3-c.md",
	    "# Story\n\nStatus: done\n\n### Review Findings\n\n- [x] [Review][Patch] done\n");
	put(f->root, ART "/7-4-d.md", "# Story\n\nStatus: done\n");
	put(f->root, ART "/7-5-e.md", "# Story\n\nStatus: done\n");

	review(f, "7.1", &r);
	assert_false(r.verified);
	assert_string_equal(r.reason, "review_says_not_done");
	assert_string_equal(r.why, "sprint-status comment: Updated by BMAD-Code-Review 2026-03-29");
	json = verify_review_json(&r);
	assert_string_equal(json, "{\"verified\":false,\"story\":\"7-1-a\",\"sprint_status\":"
				  "\"in-progress\",\"story_file_status\":\"done\",\"reason\":"
				  "\"review_says_not_done\",\"why\":\"sprint-status comment: "
				  "Updated by BMAD-Code-Review 2026-03-29\"}");
	free(json);
	verify_review_release(&r);

	{
		char *p = path_join(f->root, ART "/7-2-b.md");

		assert_int_equal(storyfile_open_findings(p), 3);
		free(p);
	}
	review(f, "7.2", &r);
	assert_false(r.verified);
	assert_string_equal(r.reason, "review_says_not_done");
	assert_string_equal(r.why, "3 unchecked review findings in the story file");
	verify_review_release(&r);

	/* no review mark: the story file's done stands */
	review(f, "7.3", &r);
	assert_true(r.verified);
	assert_string_equal(r.source, "story-file");
	assert_string_equal(r.note, "sprint_status_not_updated");
	assert_null(r.why);
	verify_review_release(&r);

	/* quoted and nested values keep their comment */
	review(f, "7.4", &r);
	assert_false(r.verified);
	assert_string_equal(r.why, "sprint-status comment: code-review: changes requested");
	verify_review_release(&r);
	review(f, "7.5", &r);
	assert_false(r.verified);
	assert_string_equal(r.why, "sprint-status comment: updated by code-review");
	verify_review_release(&r);

	/* the sprint-status saying done is never overruled */
	put(f->root, ART "/sprint-status.yaml",
	    "development_status:\n  7-2-b: done  # Updated by bmad-code-review\n");
	review(f, "7.2", &r);
	assert_true(r.verified);
	assert_string_equal(r.source, "sprint-status.yaml");
	verify_review_release(&r);
}

static void test_story_artifact(void **state)
{
	struct fx *f = *state;
	struct verifier v = { .kind = VERIFIER_STORY_ARTIFACT,
			      .glob = (char *)"docs/{story.prefix}-*.md",
			      .expect = 2 };
	struct verify_result res;
	char *outside, *link;

	mkdirs(f->root, "docs");
	put(f->root, "docs/1-2-a.md", "a");
	put(f->root, "docs/1-2-b.md", "b");
	put(f->root, "docs/1-20-c.md", "c");
	run_ok(f, &v, &res);
	assert_true(res.verified);
	assert_string_equal(res.source, "story_artifact");
	assert_string_equal(
		res.json, "{\"verified\":true,\"source\":\"story_artifact\",\"pattern\":"
			  "\"docs/1-2-*.md\",\"expectedMatches\":2,\"actualMatches\":2,\"matches\":"
			  "[\"docs/1-2-a.md\",\"docs/1-2-b.md\"]}");
	verify_result_release(&res);

	v.expect = 3;
	run_ok(f, &v, &res);
	assert_false(res.verified);
	assert_string_equal(res.reason, "expected 3 matches of 'docs/1-2-*.md', found 2");
	verify_result_release(&res);

	/* a symlink out of the root is not counted, as a file or as a directory */
	mkdirs(f->dir, "outside");
	put(f->dir, "outside/1-2-secret.md", "s");
	outside = path_join(f->dir, "outside/1-2-secret.md");
	link = path_join(f->root, "docs/1-2-c.md");
	assert_int_equal(symlink(outside, link), 0);
	free(link);
	link = path_join(f->root, "ext");
	assert_int_equal(symlink("../outside", link), 0);
	free(link);
	v.expect = 2;
	run_ok(f, &v, &res);
	assert_true(res.verified);
	assert_null(strstr(res.json, "1-2-c.md"));
	verify_result_release(&res);
	v.glob = (char *)"ext/*.md";
	v.expect = 0;
	run_ok(f, &v, &res);
	assert_true(res.verified);
	assert_non_null(strstr(res.json, "\"actualMatches\":0,\"matches\":[]"));
	verify_result_release(&res);
	/* a pattern with a leading slash is still under the root */
	v.glob = (char *)"/docs/*.md";
	v.expect = 3;
	run_ok(f, &v, &res);
	assert_true(res.verified);
	verify_result_release(&res);
	free(outside);
}

static void test_command(void **state)
{
	struct fx *f = *state;
	struct verifier v = { .kind = VERIFIER_COMMAND };
	struct verify_result res;
	char *cause = NULL;

	/* the title holds $(touch pwned): touch gets it as one literal name */
	strvec_push(&v.argv, "touch");
	strvec_push(&v.argv, "{story.title}");
	run_ok(f, &v, &res);
	assert_true(res.verified);
	assert_string_equal(res.source, "command");
	assert_true(exists(f->root, "Reset " EVIL));
	assert_false(exists(f->root, "pwned"));
	assert_false(exists(".", "pwned"));
	assert_string_equal(res.json,
			    "{\"verified\":true,\"source\":\"command\",\"argv\":[\"touch\","
			    "\"Reset $(touch pwned)\"],\"exitStatus\":0}");
	verify_result_release(&res);
	strvec_release(&v.argv);

	/* runs in the root */
	strvec_push(&v.argv, "test");
	strvec_push(&v.argv, "-d");
	strvec_push(&v.argv, ART);
	run_ok(f, &v, &res);
	assert_true(res.verified);
	verify_result_release(&res);
	strvec_release(&v.argv);

	strvec_push(&v.argv, "ls");
	strvec_push(&v.argv, "no-such-file");
	run_ok(f, &v, &res);
	assert_false(res.verified);
	assert_true(str_starts_with(res.reason, "exit 2: "));
	verify_result_release(&res);
	strvec_release(&v.argv);

	strvec_push(&v.argv, "no-such-program-au-test");
	assert_int_equal(verify_run(&v, &f->ctx, &res, &cause), -1);
	assert_string_equal(cause, "command not found 'no-such-program-au-test'");
	free(cause);
	strvec_release(&v.argv);
}

static void test_epic_complete(void **state)
{
	struct fx *f = *state;
	struct verifier v = { .kind = VERIFIER_EPIC_COMPLETE };
	struct verify_result res;
	char *cause = NULL, *p;

	set_story(f, "2.1", "2-1-a", "2-1", "2");
	run_ok(f, &v, &res);
	assert_true(res.verified);
	assert_string_equal(res.json,
			    "{\"verified\":true,\"source\":\"sprint-status.yaml\",\"epic\":\"2\","
			    "\"allStoriesDone\":true,\"total\":2,\"done\":2,\"stories\":["
			    "{\"story\":\"2-1-a\",\"status\":\"done\",\"done\":true},"
			    "{\"story\":\"2-2-b\",\"status\":\"done\",\"done\":true}]}");
	verify_result_release(&res);

	/* the epic from the key when the story has none */
	set_story(f, "3.1", "3-1-c", "3-1", "");
	run_ok(f, &v, &res);
	assert_false(res.verified);
	assert_string_equal(res.reason, "1 of 2 stories of epic '3' are not done");
	verify_result_release(&res);

	/* 1-20 belongs to epic 1, and 1-2 is in review */
	set_story(f, "1.1", "1-1-login", "1-1", "1");
	run_ok(f, &v, &res);
	assert_false(res.verified);
	assert_non_null(strstr(res.json, "\"total\":4,\"done\":3"));
	verify_result_release(&res);

	p = path_join(f->root, ART "/sprint-status.yaml");
	assert_int_equal(unlink(p), 0);
	free(p);
	assert_int_equal(verify_run(&v, &f->ctx, &res, &cause), -1);
	assert_non_null(cause);
	free(cause);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_session_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_review_sprint_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_review_story_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_story_file_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_story_file_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_review_says_not_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_story_artifact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_epic_complete, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
