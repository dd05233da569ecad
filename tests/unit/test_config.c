/* SPDX-License-Identifier: MIT */
/*
 * test_config.c: the typed loaders of src/config.c on the shipped files
 * (data/agents.yaml, data/triggers.yaml, workflows/simple.yaml), on the good
 * sprint fixture and on small sprints written to a private directory under
 * $TMPDIR: typed values, defaults, durations, dependency resolution, agent
 * overrides, and errors collected rather than stopping at the first.
 */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "diag.h"
#include "match.h"
#include "schema.h"
#include "util.h"

#define SRC(rel) TEST_SOURCE_DIR "/" rel

/* ---- a private directory per test ---- */

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *dir = xstrfmt("%s/test_config.XXXXXX", tmp);

	if (!mkdtemp(dir)) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

/* Removes path and, for a directory, everything under it (symlinks not followed). */
static int rm_tree(const char *path)
{
	struct stat st;
	struct dirent *e;
	DIR *dir;
	int ret = 0;

	if (lstat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((e = readdir(dir)) != NULL) {
		char *sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sub = xstrfmt("%s/%s", path, e->d_name);
		if (rm_tree(sub) < 0)
			ret = -1;
		free(sub);
	}
	closedir(dir);
	return rmdir(path) < 0 ? -1 : ret;
}

static int teardown(void **state)
{
	char *dir = *state;
	int ret = rm_tree(dir);

	free(dir);
	return ret;
}

/* Writes text to dir/name; returns the path (newly allocated). */
static char *put(const char *dir, const char *name, const char *text)
{
	char *path = xstrfmt("%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
	return path;
}

static void print_diags(const struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		char *s = diag_format(&d->v[i]);

		print_error("diag: %s\n", s);
		free(s);
	}
}

static struct sprint *sprint_ok(const char *path)
{
	struct diags d = DIAGS_INIT;
	struct sprint *s = NULL;
	int ret = sprint_load(path, &s, &d);

	print_diags(&d);
	assert_int_equal(ret, 0);
	assert_int_equal(d.n, 0);
	assert_non_null(s);
	diags_release(&d);
	return s;
}

/* How many presets data/agents.yaml ships (it grows; tests must not care). */
static size_t shipped_agents(void)
{
	struct diags d = DIAGS_INIT;
	struct agent_set *set = NULL;
	size_t n;

	assert_int_equal(agents_load(SRC("data/agents.yaml"), &set, &d), 0);
	n = set->n;
	agents_free(set);
	return n;
}

/* ---- sprints ---- */

static void test_sprint_good_fixture(void **state)
{
	const char *path = SRC("tests/fixtures/good/sprint.yaml");
	char *root = realpath(SRC("tests/fixtures/good"), NULL);
	const struct agent *claude, *bot, *codex;
	const struct story *st;
	struct sprint *s;

	(void)state;
	assert_non_null(root);
	s = sprint_ok(path);
	assert_string_equal(s->file, path);
	assert_false(s->bmad);
	assert_string_equal(s->root, root);
	assert_string_equal(s->project, "good"); /* the root directory's name */
	assert_string_equal(s->agent, "claude");
	assert_string_equal(s->workflow_name, "simple");
	assert_int_equal(s->max_parallel, 2);
	assert_int_equal(s->limits.review_cycles, 3);
	assert_int_equal(s->limits.crash_retries, 1);
	assert_int_equal(s->limits.idle_timeout, 90);
	assert_int_equal(s->limits.step_timeout, 5400);
	assert_null(s->status_file);

	assert_int_equal(s->nstories, 4);
	st = &s->stories[0];
	assert_string_equal(st->id, "1.1");
	assert_string_equal(st->prefix, "1-1");
	assert_string_equal(st->key, "1-1");
	assert_string_equal(st->epic, "1");
	assert_string_equal(st->title, "Project foundation");
	assert_null(st->agent);
	assert_null(st->status);
	assert_int_equal(st->depends.n, 0);
	assert_int_equal(st->line, 18);
	assert_int_equal(st->col, 9);

	st = &s->stories[1];
	assert_string_equal(st->id, "1.2");
	assert_string_equal(st->agent, "local-bot");
	assert_int_equal(st->depends.n, 1);
	assert_string_equal(st->depends.v[0], "1.1");
	assert_int_equal(st->dep_index[0], 0);

	st = &s->stories[2];
	assert_string_equal(st->id, "1-3-settings-page");
	assert_string_equal(st->key, "1-3-settings-page");
	assert_string_equal(st->prefix, "1-3");
	assert_string_equal(st->title, "1-3-settings-page"); /* title defaults to the id */
	assert_int_equal(st->depends.n, 2);
	assert_int_equal(st->dep_index[0], 1); /* "1-2" */
	assert_int_equal(st->dep_index[1], 0); /* "1.1" */

	st = &s->stories[3];
	assert_string_equal(st->id, "2.1");
	assert_string_equal(st->epic, "2");
	assert_int_equal(st->depends.n, 1);    /* a single value is a one-item list */
	assert_int_equal(st->dep_index[0], 2); /* "1.3" names 1-3-settings-page */

	/* every key form finds its story */
	assert_int_equal(sprint_find_story(s, "1.3"), 2);
	assert_int_equal(sprint_find_story(s, "1-3"), 2);
	assert_int_equal(sprint_find_story(s, "1-3-settings-page"), 2);
	assert_int_equal(sprint_find_story(s, "1-3-other-slug"), 2);
	assert_int_equal(sprint_find_story(s, "2-1"), 3);
	assert_int_equal(sprint_find_story(s, "3.1"), -1);

	/* the inline claude replaces the shipped preset; local-bot is new; codex stays */
	claude = agents_find(s->agents, "claude");
	assert_non_null(claude);
	assert_int_equal(claude->command.n, 2);
	assert_string_equal(claude->command.v[0], "./bin/claude-wrapper");
	assert_string_equal(claude->command.v[1], "{prompt}");
	assert_string_equal(claude->output, "text");
	assert_string_equal(claude->fallback, "local-bot");
	assert_int_equal(claude->rate_limit.n, 0); /* nothing kept from the preset */
	assert_string_equal(claude->file, path);
	bot = agents_find(s->agents, "local-bot");
	assert_non_null(bot);
	assert_int_equal(bot->command.n, 4);
	assert_string_equal(bot->command.v[2], "{story.id}");
	assert_string_equal(bot->output, "text"); /* the default */
	assert_int_equal(bot->env.n, 1);
	assert_string_equal(bot->env.v[0], "BOT_ROOT={root}");
	assert_int_equal(bot->success.n, 1);
	assert_int_equal(patlist_match(&bot->success, "DONE", 4), 0);
	assert_int_equal(patlist_match(&bot->success, "NOT DONE", 8), -1);
	assert_int_equal(patlist_match(&bot->prompt_wait, "Continue? [y/n] ", 16), 0);
	codex = agents_find(s->agents, "codex");
	assert_non_null(codex);
	assert_string_equal(codex->command.v[0], "codex");
	assert_int_equal(s->agents->n, shipped_agents() + 1);

	assert_non_null(s->workflow);
	assert_string_equal(s->workflow->name, "simple");
	assert_int_equal(s->workflow->nsteps, 3);
	sprint_free(s);
	free(root);
}

static void test_sprint_defaults(void **state)
{
	const char *dir = *state;
	char *path = put(dir, "sprint.yaml", "root: .\nstories:\n  - id: \"1.1\"\n  - id: 5a\n");
	char *root = realpath(dir, NULL);
	const char *base = strrchr(root, '/') + 1;
	struct sprint *s = sprint_ok(path);

	assert_string_equal(s->root, root);
	assert_string_equal(s->project, base);
	assert_int_equal(s->max_parallel, 1);
	assert_int_equal(s->limits.review_cycles, 5);
	assert_int_equal(s->limits.crash_retries, 2);
	assert_int_equal(s->limits.idle_timeout, 600);
	assert_int_equal(s->limits.step_timeout, 7200);
	assert_string_equal(s->workflow_name, "simple");
	assert_string_equal(s->agent, "claude");
	assert_int_equal(s->nstories, 2);
	assert_string_equal(s->stories[0].title, "1.1");
	assert_string_equal(s->stories[1].title, "5a");
	assert_string_equal(s->stories[1].prefix, "5a");
	/* the shipped presets, untouched */
	assert_int_equal(s->agents->n, shipped_agents());
	assert_string_equal(agents_find(s->agents, "claude")->command.v[0], "claude");
	assert_string_equal(agents_find(s->agents, "claude")->output, "claude-stream-json");
	sprint_free(s);
	free(path);
	free(root);
}

static void test_sprint_project_and_root(void **state)
{
	const char *dir = *state;
	char *sub = xstrfmt("%s/plant-family", dir), *path, *root;
	struct sprint *s;

	assert_int_equal(mkdir(sub, 0700), 0);
	root = realpath(sub, NULL);
	/* root: is relative to the sprint file; the project is its directory name */
	path = put(dir, "sprint.yaml", "root: plant-family\nstories:\n  - id: \"1.1\"\n");
	s = sprint_ok(path);
	assert_string_equal(s->root, root);
	assert_string_equal(s->project, "plant-family");
	sprint_free(s);
	free(path);

	/* an explicit project wins */
	path = put(dir, "sprint.yaml",
		   "project: greenhouse\nroot: plant-family\nstories:\n  - id: \"1.1\"\n");
	s = sprint_ok(path);
	assert_string_equal(s->project, "greenhouse");
	sprint_free(s);
	free(path);
	free(root);
	free(sub);
}

static void test_durations(void **state)
{
	static const struct {
		const char *text;
		long secs;
	} good[] = {
		{ "90", 90 },      { "90s", 90 },   { "10m", 600 }, { "2h", 7200 },
		{ "1h30m", 5400 }, { "1d", 86400 }, { "0", 0 },     { "1m30s", 90 },
	};
	static const char *const bad[] = {
		"",
		"s",
		"10 m",
		"1h30",
		"-5",
		"1.5h",
		"10x",
		"m10",
		"10mm",
		" 10",
		"99999999999999999999",
	};
	const char *dir = *state;
	struct sprint *s;
	char *path;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		long v = -1;

		assert_int_equal(parse_duration(good[i].text, &v), 0);
		assert_int_equal(v, good[i].secs);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		long v = -7;

		if (parse_duration(bad[i], &v) == 0)
			fail_msg("duration '%s' accepted as %ld", bad[i], v);
		assert_int_equal(v, -7);
	}

	/* through a sprint's limits: bare numbers and units */
	path = put(dir, "sprint.yaml",
		   "root: .\nlimits:\n  idle_timeout: 90\n  step_timeout: 1h30m\nstories:\n"
		   "  - id: \"1.1\"\n");
	s = sprint_ok(path);
	assert_int_equal(s->limits.idle_timeout, 90);
	assert_int_equal(s->limits.step_timeout, 5400);
	assert_int_equal(s->limits.review_cycles, 5); /* the others keep their defaults */
	sprint_free(s);
	free(path);

	path = put(dir, "sprint.yaml",
		   "root: .\nlimits: { idle_timeout: 10m, step_timeout: 2h }\nstories:\n"
		   "  - id: \"1.1\"\n");
	s = sprint_ok(path);
	assert_int_equal(s->limits.idle_timeout, 600);
	assert_int_equal(s->limits.step_timeout, 7200);
	sprint_free(s);
	free(path);
}

static void test_sprint_errors_collected(void **state)
{
	const char *dir = *state;
	char *path = put(dir, "sprint.yaml",
			 "root: .\n"
			 "max_parallel: lots\n"
			 "colour: blue\n"
			 "stories:\n"
			 "  - id: \"1 1\"\n"
			 "  - id: \"1.2\"\n");
	struct sprint *s = (struct sprint *)path; /* must stay untouched */
	struct diags d = DIAGS_INIT;

	assert_int_equal(sprint_load(path, &s, &d), -1);
	assert_ptr_equal(s, (struct sprint *)path);
	diags_sort(&d);
	print_diags(&d);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.v[0].line, 2);
	assert_int_equal(d.v[0].col, 15);
	assert_string_equal(d.v[0].msg, "expected an integer 'lots'");
	assert_int_equal(d.v[1].line, 3);
	assert_int_equal(d.v[1].col, 1);
	assert_string_equal(d.v[1].msg, "unknown key 'colour' in a sprint");
	assert_int_equal(d.v[2].line, 5);
	assert_int_equal(d.v[2].col, 9);
	assert_string_equal(d.v[2].msg, "invalid story id '1 1' (character ' ' not allowed)");
	for (size_t i = 0; i < d.n; i++)
		assert_string_equal(d.v[i].file, path);
	diags_release(&d);
	free(path);
}

static void test_sprint_dependency_errors(void **state)
{
	const char *dir = *state;
	char *path = put(dir, "sprint.yaml",
			 "root: .\n"
			 "stories:\n"
			 "  - id: \"1.1\"\n"
			 "    depends_on: [\"1.2\"]\n"
			 "  - id: \"1.2\"\n"
			 "    depends_on: [\"1.1\", \"1.9\"]\n"
			 "  - id: \"1.3\"\n"
			 "    depends_on: \"1-3-self\"\n");
	struct diags d = DIAGS_INIT;
	struct sprint *s = NULL;

	assert_int_equal(sprint_load(path, &s, &d), -1);
	assert_null(s);
	diags_sort(&d);
	print_diags(&d);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.v[0].line, 6);
	assert_int_equal(d.v[0].col, 18);
	assert_string_equal(d.v[0].msg, "dependency cycle '1.1 -> 1.2 -> 1.1'");
	assert_int_equal(d.v[1].line, 6);
	assert_int_equal(d.v[1].col, 25);
	assert_string_equal(d.v[1].msg, "unknown story '1.9' in depends_on of '1.2'");
	assert_int_equal(d.v[2].line, 8);
	assert_string_equal(d.v[2].msg, "story '1.3' depends on itself");
	diags_release(&d);
	free(path);
}

static void test_sprint_bmad(void **state)
{
	const char *dir = *state;
	char *path = put(dir, "sprint-status.yaml",
			 "development_status:\n"
			 "  epic-1: in-progress\n"
			 "  1-1-user-login: done\n"
			 "  1-2-password-reset: \"review\"\n"
			 "  1-4b-photos: {status: backlog}\n"
			 "  epic-1-retrospective: optional\n");
	char *git = xstrfmt("%s/.git", dir), *root = realpath(dir, NULL);
	struct sprint *s;

	if (access(SRC("workflows/bmad.yaml"), F_OK) != 0) {
		/* a BMAD sprint runs the bmad workflow, which is not shipped yet */
		free(path);
		free(git);
		free(root);
		skip();
	}
	/* the project root is found upward by its .git */
	assert_int_equal(mkdir(git, 0700), 0);
	s = sprint_ok(path);
	assert_true(s->bmad);
	assert_string_equal(s->root, root);
	assert_string_equal(s->workflow_name, "bmad");
	/* stories not done, in file order */
	assert_int_equal(s->nstories, 2);
	assert_string_equal(s->stories[0].id, "1.2");
	assert_string_equal(s->stories[0].key, "1-2-password-reset");
	assert_string_equal(s->stories[0].status, "review");
	assert_string_equal(s->stories[0].title, "password-reset");
	assert_string_equal(s->stories[1].id, "1.4b");
	assert_string_equal(s->stories[1].prefix, "1-4b");
	assert_string_equal(s->stories[1].status, "backlog");
	assert_int_equal(s->stories[1].line, 5);
	sprint_free(s);
	free(path);
	free(git);
	free(root);
}

/* The statuses that are not queued: one table, any case, spaces ignored. */
static void test_status_dormant(void **state)
{
	static const char *const dormant[] = { "cancelled",  "canceled",        "removed",
					       "on-hold",    "deferred",        "superseded",
					       "obsolete",   "moved-to-epic-4", "On-Hold",
					       " deferred ", "MOVED-TO-2",      NULL };
	static const char *const live[] = {
		"done",        "DONE",         "review",   "backlog",  "ready-for-dev",
		"in-progress", "done-parcial", "moved-to", "on-holdx", "",
		NULL
	};
	struct strvec inc = STRVEC_INIT;

	(void)state;
	for (size_t i = 0; dormant[i]; i++)
		if (!sprint_status_dormant(dormant[i]))
			fail_msg("'%s' is not dormant", dormant[i]);
	for (size_t i = 0; live[i]; i++)
		if (sprint_status_dormant(live[i]))
			fail_msg("'%s' is dormant", live[i]);
	assert_false(sprint_status_dormant(NULL));
	strvec_push(&inc, "on-hold");
	strvec_push(&inc, " Done ");
	strvec_push(&inc, "moved-to-*");
	assert_true(sprint_status_listed("ON-HOLD", &inc));
	assert_true(sprint_status_listed("done", &inc));
	assert_true(sprint_status_listed("moved-to-epic-4", &inc));
	assert_false(sprint_status_listed("deferred", &inc));
	assert_false(sprint_status_listed("on-hold", NULL));
	strvec_release(&inc);
}

/* tests/fixtures/bmad-queue: what is queued, what is skipped and why. */
static void test_sprint_bmad_queue(void **state)
{
	const char *path = SRC("tests/fixtures/bmad-queue/_bmad-output/implementation-artifacts/"
			       "sprint-status.yaml");
	static const char *const want[] = { "1.2", "1.5", "1.7", "2.1", NULL };
	struct diags d = DIAGS_INIT;
	struct strvec inc = STRVEC_INIT;
	struct sprint *s;
	size_t n = 0;

	(void)state;
	if (access(SRC("workflows/bmad.yaml"), F_OK) != 0)
		skip();
	s = sprint_ok(path);
	for (; want[n]; n++) {
		assert_true(n < s->nstories);
		assert_string_equal(s->stories[n].id, want[n]);
	}
	assert_int_equal(s->nstories, n);
	assert_string_equal(s->stories[3].key, "2-1-monthly-report");
	assert_int_equal(s->nskipped, 10);
	assert_string_equal(s->skipped[0].key, "epic-1");
	assert_string_equal(s->skipped[0].reason, "epic");
	assert_string_equal(s->skipped[1].key, "1-1-open-an-account");
	assert_string_equal(s->skipped[1].reason, "done");
	assert_string_equal(s->skipped[2].reason,
			    "cancelled (dormant status; --include-status cancelled to queue it)");
	assert_string_equal(s->skipped[3].key, "1-4-export-to-csv");
	assert_string_equal(s->skipped[4].key, "1-6-merge-accounts");
	assert_string_equal(s->skipped[5].reason, "retrospective");
	assert_string_equal(s->skipped[7].reason,
			    "deferred (dormant status; --include-status deferred to queue it)");
	assert_string_equal(s->skipped[8].reason, "done");
	sprint_free(s);

	/* on purpose: on-hold (any case) and done */
	strvec_push(&inc, "on-hold");
	strvec_push(&inc, "done");
	assert_int_equal(sprint_load_with(path, &inc, &s, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(s->nstories, 7);
	assert_string_equal(s->stories[0].id, "1.1");
	assert_string_equal(s->stories[2].id, "1.4");
	assert_string_equal(s->stories[2].status, "On-Hold");
	assert_int_equal(s->nskipped, 7);
	sprint_free(s);
	strvec_release(&inc);
}

/* A sprint.yaml's status_file gives its stories their full key and a title. */
static void test_sprint_status_file_keys(void **state)
{
	const char *dir = *state;
	char *status = put(dir, "status.yaml",
			   "# generated: 2025-09-14\n"
			   "project: x\n"
			   "development_status:\n"
			   "  epic-1: in-progress\n"
			   "  1-2-lend-a-book: ready-for-dev\n"
			   "  1-3-return-a-book: backlog\n"
			   "  epic-1-retrospective: optional\n");
	char *path = put(dir, "sprint.yaml",
			 "workflow: simple\n"
			 "status_file: status.yaml\n"
			 "stories:\n"
			 "  - id: \"1.2\"\n"
			 "  - id: \"1.3\"\n"
			 "    title: Return a book\n"
			 "  - id: \"1.4\"\n");
	char *missing = put(dir, "sprint-missing.yaml",
			    "workflow: simple\n"
			    "status_file: nowhere/status.yaml\n"
			    "stories:\n"
			    "  - id: \"1.2\"\n");
	char *git = xstrfmt("%s/.git", dir);
	struct sprint *s;

	assert_int_equal(mkdir(git, 0700), 0);
	s = sprint_ok(path);
	assert_int_equal(s->nstories, 3);
	assert_string_equal(s->stories[0].id, "1.2");
	assert_string_equal(s->stories[0].key, "1-2-lend-a-book");
	assert_string_equal(s->stories[0].prefix, "1-2");
	assert_string_equal(s->stories[0].title, "lend-a-book");
	assert_string_equal(s->stories[1].key, "1-3-return-a-book");
	assert_string_equal(s->stories[1].title, "Return a book");
	/* not in the file: as before */
	assert_string_equal(s->stories[2].key, "1-4");
	assert_string_equal(s->stories[2].title, "1.4");
	assert_int_equal(s->warnings.n, 0);
	assert_int_equal(s->nskipped, 0);
	sprint_free(s);

	/* a status_file that cannot be read: a warning, today's values */
	s = sprint_ok(missing);
	assert_string_equal(s->stories[0].key, "1-2");
	assert_string_equal(s->stories[0].title, "1.2");
	assert_int_equal(s->warnings.n, 1);
	assert_non_null(strstr(s->warnings.v[0], "status_file 'nowhere/status.yaml' not used"));
	sprint_free(s);
	free(status);
	free(path);
	free(missing);
	free(git);
}

/* ---- agents, workflows, triggers ---- */

static void test_agents_shipped(void **state)
{
	struct diags d = DIAGS_INIT;
	struct agent_set *set = NULL;
	const struct agent *a;
	bool has_prompt = false;
	static const char limited[] = "Error: rate limited, retry in 30s";
	static const char login[] = "Please run /login to continue";

	(void)state;
	assert_int_equal(agents_load(SRC("data/agents.yaml"), &set, &d), 0);
	print_diags(&d);
	assert_int_equal(d.n, 0);
	assert_true(set->n >= 2);
	/* file order */
	assert_string_equal(set->v[0].name, "claude");
	assert_string_equal(set->v[1].name, "codex");

	a = agents_find(set, "claude");
	assert_string_equal(a->command.v[0], "claude");
	for (size_t i = 0; i < a->command.n; i++)
		has_prompt |= !strcmp(a->command.v[i], "{prompt}");
	assert_true(has_prompt);
	assert_string_equal(a->output, "claude-stream-json");
	assert_string_equal(a->fallback, "codex");
	assert_int_equal(a->rate_limit.n, 2);
	assert_int_equal(a->unavailable.n, 9);
	assert_true(a->usage_limit.n > 0 && a->overloaded.n > 0 && a->server_error.n > 0);
	assert_true(a->network.n > 0);
	assert_int_equal(a->prompt_wait.n, 2);
	assert_int_equal(patlist_match(&a->rate_limit, limited, strlen(limited)), 0);
	assert_int_equal(patlist_match(&a->unavailable, login, strlen(login)), 1);
	assert_int_equal(patlist_match(&a->unavailable, "all good", 8), -1);

	a = agents_find(set, "codex");
	assert_string_equal(a->command.v[0], "codex");
	assert_string_equal(a->output, "codex-json");
	assert_string_equal(a->fallback, "claude");
	assert_null(agents_find(set, "gemini"));
	agents_free(set);
	agents_free(NULL);
}

static void test_workflow_simple(void **state)
{
	struct diags d = DIAGS_INIT;
	struct agent_set *agents = NULL;
	struct workflow *w = NULL;
	char *dev, *review;
	size_t len;

	(void)state;
	assert_int_equal(agents_load(SRC("data/agents.yaml"), &agents, &d), 0);
	assert_int_equal(workflow_load(SRC("workflows/simple.yaml"), agents, &w, &d), 0);
	print_diags(&d);
	assert_int_equal(d.n, 0);
	assert_int_equal(read_file(SRC("data/prompts/dev.md"), &dev, &len), 0);
	assert_int_equal(read_file(SRC("data/prompts/review.md"), &review, &len), 0);

	assert_string_equal(w->name, "simple");
	assert_string_equal(w->description, "implement the story, review it, commit it");
	assert_int_equal(w->nsteps, 3);

	assert_string_equal(w->steps[0].name, "dev");
	assert_int_equal(w->steps[0].kind, STEP_SESSION);
	assert_string_equal(step_kind_name(w->steps[0].kind), "session");
	assert_string_equal(w->steps[0].prompt_file, "../data/prompts/dev.md");
	assert_string_equal(w->steps[0].prompt, dev); /* read from the prompt file */
	assert_int_equal(w->steps[0].verifier.kind, VERIFIER_SESSION_EXIT);
	assert_int_equal(w->steps[0].result.n, 2);
	assert_string_equal(w->steps[0].result.v[0], "status");
	assert_string_equal(w->steps[0].result.v[1], "summary");
	assert_int_equal(w->steps[0].failure.n, 1);
	assert_int_equal(w->steps[0].retries, -1); /* the sprint's crash_retries */
	assert_int_equal(w->steps[0].timeout, 0);
	assert_null(w->steps[0].agent);
	assert_int_equal(w->steps[0].line, 6);

	assert_string_equal(w->steps[1].name, "review");
	assert_int_equal(w->steps[1].kind, STEP_REVIEW);
	assert_string_equal(w->steps[1].prompt, review);
	assert_int_equal(w->steps[1].verifier.kind, VERIFIER_SESSION_EXIT);

	assert_string_equal(w->steps[2].name, "commit");
	assert_int_equal(w->steps[2].kind, STEP_COMMIT);
	assert_null(w->steps[2].prompt);
	assert_string_equal(w->steps[2].message, "{story.id}: {story.title}");
	assert_int_equal(w->steps[2].verifier.kind, VERIFIER_NONE);

	free(dev);
	free(review);
	workflow_free(w);
	workflow_free(NULL);
	agents_free(agents);
}

/* The resolve session: built in, or the workflow's own; the steps counted after it. */
static void test_workflow_resolve(void **state)
{
	const char *dir = *state;
	char *path = put(dir, "wf.yaml",
			 "steps:\n"
			 "  - { name: dev, kind: session, prompt: \"do {story.id}\" }\n"
			 "  - { name: test, kind: verify, verifier: session_exit }\n"
			 "  - { name: commit, kind: commit }\n"
			 "  - { name: lint, kind: verify, verifier: session_exit }\n"
			 "resolve:\n"
			 "  prompt: \"merge {story.id} in {root}\"\n"
			 "  agent: fake\n"
			 "  timeout: 5m\n");
	struct diags d = DIAGS_INIT;
	struct agent_set *agents = NULL;
	struct workflow *w = NULL;

	(void)state;
	assert_int_equal(agents_load(SRC("data/agents.yaml"), &agents, &d), 0);
	/* built in: a session with the conflicts_resolved verifier */
	assert_int_equal(workflow_load(SRC("workflows/simple.yaml"), agents, &w, &d), 0);
	print_diags(&d);
	assert_int_equal(d.n, 0);
	assert_string_equal(w->resolve.name, RESOLVE_STEP_NAME);
	assert_int_equal(w->resolve.kind, STEP_SESSION);
	assert_int_equal(w->resolve.verifier.kind, VERIFIER_CONFLICTS_RESOLVED);
	assert_non_null(strstr(w->resolve.prompt, "rebase --continue"));
	assert_int_equal(w->resolve.failure.n, 1);
	assert_ptr_equal(workflow_step_at(w, 2), &w->steps[2]);
	assert_null(workflow_step_at(w, 3)); /* the steps are done */
	assert_ptr_equal(workflow_step_at(w, 4), &w->resolve);
	assert_null(workflow_step_at(w, 5)); /* simple has no verify step */
	assert_null(workflow_step_at(w, -1));
	workflow_free(w);

	/* the workflow's own; then its verify steps again, in order */
	assert_int_equal(workflow_load(path, agents, &w, &d), 0);
	print_diags(&d);
	assert_string_equal(w->resolve.prompt, "merge {story.id} in {root}");
	assert_string_equal(w->resolve.agent, "fake");
	assert_int_equal(w->resolve.timeout, 300);
	assert_int_equal(w->resolve.verifier.kind, VERIFIER_CONFLICTS_RESOLVED);
	assert_int_equal(workflow_resolve_index(w), 5);
	assert_null(workflow_step_at(w, 4));
	assert_ptr_equal(workflow_step_at(w, 5), &w->resolve);
	assert_ptr_equal(workflow_step_at(w, 6), &w->steps[1]);
	assert_ptr_equal(workflow_step_at(w, 7), &w->steps[3]);
	assert_null(workflow_step_at(w, 8));
	workflow_free(w);
	agents_free(agents);
	diags_release(&d);
	free(path);
}

static void test_workflow_errors_collected(void **state)
{
	const char *dir = *state;
	char *path = put(dir, "wf.yaml",
			 "name: broken\n"
			 "steps:\n"
			 "  - name: dev\n"
			 "    kind: session\n"
			 "    prompt: \"Do {story.owner}\"\n"
			 "  - name: review\n"
			 "    success: ['ok (']\n"
			 "    kind: review\n"
			 "  - name: ship\n"
			 "    kind: deploy\n");
	struct diags d = DIAGS_INIT;
	struct workflow *w = NULL;

	assert_int_equal(workflow_load(path, NULL, &w, &d), -1);
	assert_null(w);
	diags_sort(&d);
	print_diags(&d);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.v[0].line, 5);
	assert_string_equal(d.v[0].msg, "unknown placeholder '{story.owner}'");
	assert_int_equal(d.v[1].line, 7);
	assert_int_equal(d.v[1].col, 15);
	assert_string_equal(d.v[1].msg,
			    "bad pattern: missing closing parenthesis at offset 4 'ok ('");
	assert_int_equal(d.v[2].line, 10);
	assert_string_equal(d.v[2].msg, "unknown step kind 'deploy' (expected session, review, "
					"commit or verify)");
	diags_release(&d);
	free(path);
}

static void test_workflow_prompt_file_placeholder(void **state)
{
	const char *dir = *state;
	char *prompt = put(dir, "p.md", "Story {story.id}\n\nAsk {story.owner} first.\n");
	char *path = put(dir, "wf.yaml",
			 "steps:\n  - name: dev\n    kind: session\n    prompt_file: p.md\n");
	struct diags d = DIAGS_INIT;
	struct workflow *w = NULL;

	/* the error points into the prompt file, at the placeholder */
	assert_int_equal(workflow_load(path, NULL, &w, &d), -1);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].file, prompt);
	assert_int_equal(d.v[0].line, 3);
	assert_int_equal(d.v[0].col, 5);
	assert_string_equal(d.v[0].msg, "unknown placeholder '{story.owner}'");
	diags_release(&d);
	free(path);
	free(prompt);
}

/* The BMAD options of BMAD-COMPAT.md, by trigger. */
static const struct {
	const char *key;
	enum trigger_category category;
	const char *opts[6][3]; /* key, label (NULL: ours, not checked), action */
} bmad_triggers[] = {
	{ "code-review-loop-exceeded",
	  CATEGORY_CRITICAL,
	  { { "1", NULL, "retry_fallback" },
	    { "2", NULL, "continue" },
	    { "3", NULL, "skip_story" },
	    { "X", NULL, "pause" } } },
	{ "cannot-parse-output",
	  CATEGORY_PREFERENCE,
	  { { "1", "mark as success and proceed", "mark_success" },
	    { "2", "mark as failure and retry", "mark_failure" },
	    { "3", "view full session output", "view_output" },
	    { "4", "pause for manual inspection", "pause" } } },
	{ "session-spawn-failure",
	  CATEGORY_CRITICAL,
	  { { "1", "retry again", "retry" },
	    { "2", "skip this step", "skip_step" },
	    { "3", "abort story", "abort_story" },
	    { "4", "pause orchestration", "pause" } } },
	{ "git-commit-failure",
	  CATEGORY_CRITICAL,
	  { { "1", "retry commit", "retry" },
	    { "2", "skip commit and proceed (changes stay uncommitted)", "skip_step" },
	    { "3", "pause for manual git resolution", "pause" },
	    { "4", "abort story", "abort_story" } } },
	{ "unexpected-error",
	  CATEGORY_CRITICAL,
	  { { "1", "retry current step", "retry" },
	    { "2", "skip current step", "skip_step" },
	    { "3", "abort story and continue with next", "abort_story" },
	    { "4", "pause orchestration", "pause" } } },
	{ "dependency-conflict",
	  CATEGORY_PREFERENCE,
	  { { "1", "continue in parallel", "continue" },
	    { "2", "run sequentially instead", "sequential" },
	    { "3", "pause for manual review", "pause" } } },
	{ "dev-implementation-failure",
	  CATEGORY_PREFERENCE,
	  { { "1", "retry dev", "retry" },
	    { "2", "manual fix (pause)", "pause" },
	    { "3", "view session output", "view_output" },
	    { "4", "skip story (only if not blocking)", "skip_story" },
	    { "5", "abort orchestration", "abort_run" } } },
	{ "session-incomplete",
	  CATEGORY_CRITICAL,
	  { { "1", "manual fix (update sprint-status yourself)", "continue" },
	    { "2", "re-run review with another agent", "retry_fallback" },
	    { "3", "skip story", "skip_story" },
	    { "X", "pause", "pause" } } },
};

static void test_triggers_shipped(void **state)
{
	struct diags d = DIAGS_INIT;
	struct trigger_set *set = NULL;
	const struct trigger *t;
	size_t nreq = 0;

	(void)state;
	assert_int_equal(triggers_load(SRC("data/triggers.yaml"), &set, &d), 0);
	print_diags(&d);
	assert_int_equal(d.n, 0);
	for (const char *const *k = required_triggers; *k; k++, nreq++)
		if (!triggers_find(set, *k))
			fail_msg("missing trigger '%s'", *k);
	assert_int_equal(nreq, 16);
	assert_int_equal(set->n, 16);

	for (size_t i = 0; i < ARRAY_SIZE(bmad_triggers); i++) {
		size_t n = 0;

		t = triggers_find(set, bmad_triggers[i].key);
		assert_non_null(t);
		assert_int_equal(t->id, (int)i + 1);
		assert_int_equal(t->category, bmad_triggers[i].category);
		assert_true(str_starts_with(t->message, "DECISION NEEDED: "));
		while (n < 6 && bmad_triggers[i].opts[n][0])
			n++;
		assert_int_equal(t->noptions, n);
		for (size_t j = 0; j < n; j++) {
			const struct trigger_option *o = &t->options[j];

			assert_string_equal(o->key, bmad_triggers[i].opts[j][0]);
			if (bmad_triggers[i].opts[j][1] &&
			    strcasecmp(o->label, bmad_triggers[i].opts[j][1]))
				fail_msg("%s option %s: label '%s', expected '%s'", t->key, o->key,
					 o->label, bmad_triggers[i].opts[j][1]);
			assert_string_equal(trigger_action_names[o->action],
					    bmad_triggers[i].opts[j][2]);
		}
	}

	/* the example of the brief, spelled out */
	t = triggers_find(set, "cannot-parse-output");
	assert_int_equal(t->options[0].action, TA_mark_success);
	assert_int_equal(t->options[1].action, TA_mark_failure);
	assert_int_equal(t->options[2].action, TA_view_output);
	assert_int_equal(t->options[3].action, TA_pause);
	assert_int_equal(t->severity, SEVERITY_MEDIUM);

	t = triggers_find(set, "agent-unavailable");
	assert_int_equal(t->category, CATEGORY_CRITICAL);
	assert_int_equal(t->severity, SEVERITY_CRITICAL);
	assert_null(triggers_find(set, "no-such-trigger"));
	triggers_free(set);
	triggers_free(NULL);
}

static void test_triggers_errors_collected(void **state)
{
	const char *dir = *state;
	char *path = put(dir, "triggers.yaml",
			 "triggers:\n"
			 "  - id: 1\n"
			 "    key: code-review-loop-exceeded\n"
			 "    title: Loop\n"
			 "    category: critical\n"
			 "    severity: HIGH\n"
			 "    message: \"{story.key}\"\n"
			 "    options:\n"
			 "      - { key: \"1\", label: Retry, action: give_up }\n"
			 "      - { key: \"1\", label: Again, action: retry }\n");
	struct diags d = DIAGS_INIT;
	struct trigger_set *set = NULL;

	assert_int_equal(triggers_load(path, &set, &d), -1);
	assert_null(set);
	diags_sort(&d);
	print_diags(&d);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.v[0].msg,
			    "unknown category 'critical' (expected CRITICAL or PREFERENCE)");
	assert_int_equal(d.v[1].line, 9);
	assert_true(str_starts_with(d.v[1].msg, "unknown action 'give_up' (expected retry, "));
	assert_int_equal(d.v[2].line, 10);
	assert_string_equal(d.v[2].msg, "duplicate option key '1' (first at line 9)");
	diags_release(&d);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sprint_good_fixture),
		cmocka_unit_test_setup_teardown(test_sprint_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sprint_project_and_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_durations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sprint_errors_collected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sprint_dependency_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sprint_bmad, setup, teardown),
		cmocka_unit_test(test_status_dormant),
		cmocka_unit_test(test_sprint_bmad_queue),
		cmocka_unit_test_setup_teardown(test_sprint_status_file_keys, setup, teardown),
		cmocka_unit_test(test_agents_shipped),
		cmocka_unit_test(test_workflow_simple),
		cmocka_unit_test_setup_teardown(test_workflow_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_workflow_errors_collected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_workflow_prompt_file_placeholder, setup,
						teardown),
		cmocka_unit_test(test_triggers_shipped),
		cmocka_unit_test_setup_teardown(test_triggers_errors_collected, setup, teardown),
	};

	/* the shipped files of this source tree, whatever is installed */
	setenv("AUTOMATOR_DATA_DIR", TEST_SOURCE_DIR, 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
