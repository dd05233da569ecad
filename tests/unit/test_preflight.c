/* SPDX-License-Identifier: MIT */
/*
 * test_preflight.c: what a run needs before agent time is spent
 * (src/preflight.c): programs found as execvp would find them (a fake PATH
 * of temp directories holding an executable, a plain file and a
 * directory), and the findings for a sprint whose presets' programs are
 * there or not, in a directory that is or is not a git repository with an
 * identity. HOME is the temp directory, system git config is off and git
 * may not guess an identity (user.useConfigOnly), so the machine's own
 * configuration never shows. Starts no tmux; runs git only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "preflight.h"
#include "proc.h"
#include "util.h"

struct fx {
	char *dir;
	char *old_path;
};

static void put(const char *dir, const char *name, const char *text, int mode)
{
	char *p = path_join(dir, name);

	assert_int_equal(write_file_atomic(p, text, strlen(text), mode), 0);
	assert_int_equal(chmod(p, (mode_t)mode), 0);
	free(p);
}

static void mkdir_in(const char *dir, const char *name)
{
	char *p = path_join(dir, name);

	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
}

/* Runs argv (NULL-terminated) in cwd; asserts it exits 0. */
static void run_ok(const char *cwd, const char *first, ...)
{
	struct strvec argv = STRVEC_INIT;
	struct proc_opts o = { .cwd = cwd, .timeout_ms = 30000 };
	struct proc_result r;
	va_list ap;

	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *))
		strvec_push(&argv, s);
	va_end(ap);
	assert_int_equal(proc_run((const char *const *)argv.v, &o, &r), 0);
	if (!proc_ok(&r))
		fail_msg("%s failed: %s", first, buf_str(&r.err));
	proc_result_release(&r);
	strvec_release(&argv);
}

static int setup(void **state)
{
	static const char *const unset[] = { "GIT_DIR",
					     "GIT_WORK_TREE",
					     "GIT_AUTHOR_NAME",
					     "GIT_AUTHOR_EMAIL",
					     "GIT_COMMITTER_NAME",
					     "GIT_COMMITTER_EMAIL",
					     "EMAIL" };
	const char *tmp = getenv("TMPDIR");
	struct fx *f = xcalloc(1, sizeof(*f));
	char *parent;

	f->dir = xstrfmt("%s/au-test-preflight-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	f->old_path = xstrdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	setenv("HOME", f->dir, 1);
	setenv("XDG_CONFIG_HOME", f->dir, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	/* git must not make an identity up from the host name */
	setenv("GIT_CONFIG_COUNT", "1", 1);
	setenv("GIT_CONFIG_KEY_0", "user.useConfigOnly", 1);
	setenv("GIT_CONFIG_VALUE_0", "true", 1);
	for (size_t i = 0; i < ARRAY_SIZE(unset); i++)
		unsetenv(unset[i]);
	/* a temp directory inside some repository would be a repository */
	parent = path_dirname(f->dir);
	setenv("GIT_CEILING_DIRECTORIES", parent, 1);
	free(parent);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	const char *argv[] = { "rm", "-rf", f->dir, NULL };
	struct proc_result r;

	setenv("PATH", f->old_path, 1);
	proc_run(argv, NULL, &r);
	proc_result_release(&r);
	free(f->old_path);
	free(f->dir);
	free(f);
	return 0;
}

static void test_which(void **state)
{
	struct fx *f = *state;
	char *bin1 = path_join(f->dir, "bin1"), *bin2 = path_join(f->dir, "bin2"), *path, *got;
	char *want = path_join(bin2, "tool");
	const char *why = NULL;

	mkdir_in(f->dir, "bin1");
	mkdir_in(f->dir, "bin2");
	put(bin1, "tool", "#!/bin/sh\n", 0644); /* not executable: skipped */
	put(bin2, "tool", "#!/bin/sh\n", 0755);
	put(bin1, "plain", "data\n", 0644);
	mkdir_in(bin1, "adir"); /* a directory is not a program */
	put(f->dir, "here", "#!/bin/sh\n", 0755);
	path = xstrfmt("%s:%s", bin1, bin2);

	got = preflight_which("tool", path, f->dir, NULL);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	free(want);
	assert_null(preflight_which("plain", path, f->dir, NULL));
	assert_null(preflight_which("adir", path, f->dir, NULL));
	assert_null(preflight_which("nosuch", path, f->dir, NULL));
	assert_null(preflight_which("", path, f->dir, NULL));
	/* not in PATH, even though it is in cwd */
	assert_null(preflight_which("here", path, f->dir, NULL));
	free(path);

	/* an empty PATH entry is the working directory, as for execvp */
	path = xstrfmt("%s::%s", bin1, bin1);
	got = preflight_which("here", path, f->dir, NULL);
	assert_non_null(got);
	free(got);
	free(path);
	path = xstrfmt("%s:", bin1);
	got = preflight_which("here", path, f->dir, NULL);
	assert_non_null(got);
	free(got);
	free(path);

	/* with a slash: that file, relative to cwd */
	got = preflight_which("./here", "/nonexistent", f->dir, &why);
	assert_non_null(got);
	free(got);
	assert_null(preflight_which("./bin1/plain", NULL, f->dir, &why));
	assert_string_equal(why, "is not executable");
	assert_null(preflight_which("./bin1/adir", NULL, f->dir, &why));
	assert_string_equal(why, "is not executable");
	assert_null(preflight_which("bin9/x", NULL, f->dir, &why));
	assert_string_equal(why, "does not exist");
	got = preflight_which("tool", NULL, f->dir, NULL); /* the default PATH */
	assert_null(got);
	got = preflight_which("sh", NULL, f->dir, NULL);
	assert_non_null(got);
	free(got);
	free(bin1);
	free(bin2);
}

static const char sprint_yaml[] = "root: .\n"
				  "workflow: simple\n"
				  "agent: mine\n"
				  "agents:\n"
				  "  mine:\n"
				  "    command: \"my-agent-xyz --say 'a b' {prompt}\"\n"
				  "    fallback: other\n"
				  "  other:\n"
				  "    command: [nope-prog-xyz, \"{prompt}\"]\n"
				  "  broken:\n"
				  "    command: ./tools/absent {prompt}\n"
				  "  per-story:\n"
				  "    command: [\"{root}/agents/{story.id}\"]\n"
				  "  with-path:\n"
				  "    command: [only-in-own-path]\n"
				  "    env: { PATH: \"{root}/own\" }\n"
				  "stories:\n"
				  "  - id: \"1.1\"\n"
				  "  - id: \"1.2\"\n"
				  "    agent: broken\n"
				  "  - id: \"1.3\"\n"
				  "    agent: per-story\n";

/* The index of the finding of sev whose message holds text, or -1. */
static int find(const struct preflight *p, enum preflight_severity sev, const char *text)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].severity == sev && strstr(p->v[i].message, text))
			return (int)i;
	return -1;
}

static struct sprint *load(struct fx *f)
{
	char *path = path_join(f->dir, "sprint.yaml");
	struct diags d = DIAGS_INIT;
	struct sprint *sp = NULL;

	put(f->dir, "sprint.yaml", sprint_yaml, 0644);
	if (sprint_load(path, &sp, &d) < 0)
		fail_msg("sprint_load: %s", d.n ? d.v[0].msg : "?");
	diags_release(&d);
	free(path);
	return sp;
}

static void test_command_string_is_split(void **state)
{
	struct sprint *sp = load(*state);
	const struct agent *a = agents_find(sp->agents, "mine");

	assert_non_null(a);
	assert_int_equal(a->command.n, 4);
	assert_string_equal(a->command.v[0], "my-agent-xyz");
	assert_string_equal(a->command.v[1], "--say");
	assert_string_equal(a->command.v[2], "a b");
	assert_string_equal(a->command.v[3], "{prompt}");
	a = agents_find(sp->agents, "other");
	assert_int_equal(a->command.n, 2); /* a list stays as written */
	sprint_free(sp);
}

static void test_findings(void **state)
{
	struct fx *f = *state;
	struct sprint *sp = load(f);
	struct preflight pf = PREFLIGHT_INIT;
	char *bin = path_join(f->dir, "bin"), *path = xstrfmt("%s:%s", bin, f->old_path);
	bool only_first[3] = { true, false, false };
	int i;

	mkdir_in(f->dir, "bin");
	put(bin, "my-agent-xyz", "#!/bin/sh\n", 0755);
	setenv("PATH", path, 1);

	/* every story: 1.2's preset is missing its program, 1.3's cannot be told */
	assert_int_equal(preflight_check(sp, NULL, NULL, &pf), -1);
	assert_int_equal(find(&pf, PREFLIGHT_ERROR, "'mine'"), -1);
	i = find(&pf, PREFLIGHT_ERROR,
		 "agent preset 'broken' needs the program './tools/absent', which does not exist");
	assert_true(i >= 0);
	assert_non_null(strstr(pf.v[i].hint, "install it, or change the preset's command at "));
	assert_int_equal(find(&pf, PREFLIGHT_ERROR, "per-story"), -1);
	i = find(&pf, PREFLIGHT_WARNING,
		 "fallback agent preset 'other' of 'mine' needs the program 'nope-prog-xyz', "
		 "which is not in PATH");
	assert_true(i >= 0);
	/* not a repository (and git may not guess who commits) */
	assert_true(find(&pf, PREFLIGHT_ERROR, "is not in a git repository") >= 0);
	i = find(&pf, PREFLIGHT_ERROR, "git has no identity to commit with in ");
	assert_true(i >= 0);
	assert_non_null(strstr(pf.v[i].hint, "git config user.name \"Your Name\"\n"));
	assert_non_null(strstr(pf.v[i].hint, "git config user.email you@example.com\n"));
	preflight_release(&pf);

	/* only 1.1: its preset is there, the fallback only warns */
	run_ok(f->dir, "git", "init", "-q", ".", (char *)NULL);
	run_ok(f->dir, "git", "config", "user.name", "Test", (char *)NULL);
	run_ok(f->dir, "git", "config", "user.email", "test@example.com", (char *)NULL);
	preflight_check(sp, NULL, only_first, &pf);
	assert_int_equal(find(&pf, PREFLIGHT_ERROR, "agent preset"), -1);
	assert_true(find(&pf, PREFLIGHT_WARNING, "'other' of 'mine'") >= 0);
	assert_int_equal(find(&pf, PREFLIGHT_ERROR, "identity"), -1);
	i = find(&pf, PREFLIGHT_ERROR, "has no commit yet");
	assert_true(i >= 0);
	assert_non_null(strstr(pf.v[i].hint, "git commit --allow-empty -m init"));
	preflight_release(&pf);

	/* a commit, and the override: its program is in its own PATH only */
	run_ok(f->dir, "git", "commit", "-q", "--allow-empty", "-m", "init", (char *)NULL);
	mkdir_in(f->dir, "own");
	put(f->dir, "own/only-in-own-path", "#!/bin/sh\n", 0755);
	preflight_check(sp, "with-path", NULL, &pf);
	/* nothing else is missing (but tmux, when this machine has none) */
	assert_int_equal(pf.errors, proc_exists("tmux") ? 0 : 1);
	assert_int_equal(find(&pf, PREFLIGHT_ERROR, "agent preset"), -1);
	preflight_release(&pf);
	assert_int_equal(preflight_check(sp, "other", NULL, &pf), -1);
	assert_true(find(&pf, PREFLIGHT_ERROR,
			 "agent preset 'other' needs the program 'nope-prog-xyz', which is not "
			 "in PATH") >= 0);
	preflight_release(&pf);

	sprint_free(sp);
	free(path);
	free(bin);
}

static void test_print(void **state)
{
	struct preflight pf = PREFLIGHT_INIT;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	(void)state;
	pf.v = xcalloc(3, sizeof(*pf.v));
	pf.n = pf.cap = 3;
	pf.v[0] = (struct preflight_finding){ PREFLIGHT_ERROR, xstrdup("one"), xstrdup("do x") };
	pf.v[1] = (struct preflight_finding){ PREFLIGHT_WARNING, xstrdup("two"), NULL };
	pf.v[2] = (struct preflight_finding){ PREFLIGHT_ERROR, xstrdup("three"),
					      xstrdup("a:\n  b\nc") };
	preflight_print(&pf, fp, "automator", false);
	preflight_print(&pf, fp, "s.yaml", true);
	fclose(fp);
	assert_string_equal(buf, "automator: one (do x)\n"
				 "automator: warning: two\n"
				 "automator: three\n"
				 "  a:\n"
				 "    b\n"
				 "  c\n"
				 "s.yaml: warning: one (do x)\n"
				 "s.yaml: warning: two\n"
				 "s.yaml: warning: three\n"
				 "  a:\n"
				 "    b\n"
				 "  c\n");
	free(buf);
	preflight_release(&pf);
}

/* The bmad workflow invokes BMAD: a claude or codex preset needs it installed. */
static void test_bmad_install(void **state)
{
	struct fx *f = *state;
	struct sprint *sp = NULL;
	struct preflight pf = PREFLIGHT_INIT;
	struct diags d = DIAGS_INIT;
	char *path = path_join(f->dir, "sprint.yaml");
	int i;

	setenv("AUTOMATOR_DATA_DIR", TEST_SOURCE_DIR, 1);
	unsetenv("CODEX_HOME");
	put(f->dir, "sprint.yaml",
	    "root: .\n"
	    "workflow: bmad\n"
	    "agent: cl\n"
	    "agents:\n"
	    "  cl:\n"
	    "    command: [cl-prog-xyz, \"{prompt}\"]\n"
	    "    output: claude-stream-json\n"
	    "    fallback: cx\n"
	    "  cx:\n"
	    "    command: [codex, \"{prompt}\"]\n"
	    "  fk:\n"
	    "    command: [fk-prog-xyz, \"{prompt}\"]\n"
	    "stories:\n"
	    "  - id: \"1.1\"\n",
	    0644);
	if (sprint_load(path, &sp, &d) < 0)
		fail_msg("sprint_load: %s", d.n ? d.v[0].msg : "?");
	diags_release(&d);

	preflight_check(sp, NULL, NULL, &pf);
	i = find(&pf, PREFLIGHT_ERROR,
		 "agent preset 'cl' needs the BMAD method installed for Claude Code in ");
	assert_true(i >= 0);
	assert_non_null(strstr(pf.v[i].message, "workflow 'bmad'"));
	assert_non_null(strstr(pf.v[i].message, ".claude/skills/bmad-*/SKILL.md"));
	assert_non_null(strstr(pf.v[i].hint, "npx bmad-method install"));
	i = find(&pf, PREFLIGHT_WARNING,
		 "fallback agent preset 'cx' of 'cl' needs the BMAD method installed for Codex");
	assert_true(i >= 0);
	preflight_release(&pf);

	/* an agent that is neither needs no install */
	preflight_check(sp, "fk", NULL, &pf);
	assert_int_equal(find(&pf, PREFLIGHT_ERROR, "BMAD"), -1);
	preflight_release(&pf);

	/* Claude Code skills satisfy the claude preset, not its codex fallback */
	mkdir_in(f->dir, ".claude");
	mkdir_in(f->dir, ".claude/skills");
	mkdir_in(f->dir, ".claude/skills/bmad-dev-story");
	put(f->dir, ".claude/skills/bmad-dev-story/SKILL.md", "---\nname: bmad-dev-story\n---\n",
	    0644);
	preflight_check(sp, NULL, NULL, &pf);
	assert_int_equal(find(&pf, PREFLIGHT_ERROR, "BMAD"), -1);
	assert_true(find(&pf, PREFLIGHT_WARNING, "'cx' of 'cl' needs the BMAD method") >= 0);
	preflight_release(&pf);
	sprint_free(sp);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_which, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_string_is_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_findings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bmad_install, setup, teardown),
		cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
