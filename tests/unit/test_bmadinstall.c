/* SPDX-License-Identifier: MIT */
/*
 * test_bmadinstall.c: the BMAD form installed for an agent and the words
 * that invoke its workflows (src/bmadinstall.c), on the fixtures
 * tests/fixtures/bmad-install/{skills,legacy,none} and on temp directories
 * standing for $HOME, $CODEX_HOME and Codex installs.
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

#include "bmadinstall.h"
#include "proc.h"
#include "template.h"
#include "util.h"

#define FIX TEST_SOURCE_DIR "/tests/fixtures/bmad-install"

static char *tmpdir;

/* Makes dir/rel (and its parents) with a file of text, or only the directory when text is NULL. */
static void put(const char *rel, const char *text)
{
	char *p = path_join(tmpdir, rel), *cmd;
	const char *argv[] = { "mkdir", "-p", NULL, NULL };
	struct proc_result r;

	cmd = text ? path_dirname(p) : xstrdup(p);
	argv[2] = cmd;
	assert_int_equal(proc_run(argv, NULL, &r), 0);
	proc_result_release(&r);
	if (text)
		assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
	free(cmd);
	free(p);
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	tmpdir = xstrfmt("%s/au-test-bmadinstall-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	const char *argv[] = { "rm", "-rf", tmpdir, NULL };
	struct proc_result r;

	(void)state;
	proc_run(argv, NULL, &r);
	proc_result_release(&r);
	free(tmpdir);
	tmpdir = NULL;
	return 0;
}

/* The invocation of wf for kind in root (home, codex_home as given). */
static char *invoke(const char *root, const char *home, const char *codex_home,
		    enum bmad_agent_kind kind, enum bmad_wf wf, enum bmad_form *form)
{
	char *where = NULL, *s;
	enum bmad_form f = bmadinstall_detect(root, home, codex_home, kind, &where);

	if (form)
		*form = f;
	s = bmadinstall_invoke(f, where, wf);
	free(where);
	return s;
}

static void test_agent_kind(void **state)
{
	struct agent a = { 0 };
	char *claude[] = { "/opt/bin/claude", "-p" }, *codex[] = { "codex" },
	     *fake[] = { "{datadir}/scripts/fake-agent" };

	(void)state;
	assert_int_equal(bmadinstall_agent_kind(NULL), BMAD_AGENT_OTHER);
	a.output = "claude-stream-json";
	assert_int_equal(bmadinstall_agent_kind(&a), BMAD_AGENT_CLAUDE);
	a.output = "codex-json";
	assert_int_equal(bmadinstall_agent_kind(&a), BMAD_AGENT_CODEX);
	a.output = "text";
	assert_int_equal(bmadinstall_agent_kind(&a), BMAD_AGENT_OTHER);
	a.command.v = claude;
	a.command.n = 2;
	assert_int_equal(bmadinstall_agent_kind(&a), BMAD_AGENT_CLAUDE);
	a.command.v = codex;
	a.command.n = 1;
	assert_int_equal(bmadinstall_agent_kind(&a), BMAD_AGENT_CODEX);
	a.command.v = fake;
	assert_int_equal(bmadinstall_agent_kind(&a), BMAD_AGENT_OTHER);
}

static void test_claude_fixtures(void **state)
{
	static const char *const skills[] = { "/bmad-create-story", "/bmad-dev-story",
					      "/bmad-testarch-automate", "/bmad-code-review" };
	static const char *const legacy[] = { "/bmad:bmm:workflows:create-story",
					      "/bmad:bmm:workflows:dev-story",
					      "/bmad:bmm:workflows:testarch-automate",
					      "/bmad:bmm:workflows:code-review" };
	enum bmad_form form;
	char *s;

	(void)state;
	for (int i = 0; i < BMAD_WF_N; i++) {
		s = invoke(FIX "/skills", tmpdir, NULL, BMAD_AGENT_CLAUDE, (enum bmad_wf)i, &form);
		assert_int_equal(form, BMAD_FORM_CLAUDE_SKILLS);
		assert_string_equal(s, skills[i]);
		free(s);
		s = invoke(FIX "/legacy", tmpdir, NULL, BMAD_AGENT_CLAUDE, (enum bmad_wf)i, &form);
		assert_int_equal(form, BMAD_FORM_CLAUDE_COMMANDS);
		assert_string_equal(s, legacy[i]);
		free(s);
		/* an agent that is neither: the legacy words, whatever is installed */
		s = invoke(FIX "/none", tmpdir, NULL, BMAD_AGENT_OTHER, (enum bmad_wf)i, &form);
		assert_int_equal(form, BMAD_FORM_GENERIC);
		assert_string_equal(s, legacy[i]);
		free(s);
	}
	assert_int_equal(bmadinstall_detect(FIX "/none", tmpdir, NULL, BMAD_AGENT_CLAUDE, NULL),
			 BMAD_FORM_NONE);
	assert_int_equal(bmadinstall_detect(FIX "/none", NULL, NULL, BMAD_AGENT_CODEX, NULL),
			 BMAD_FORM_NONE);
	/* Claude Code skills are no Codex install */
	assert_int_equal(bmadinstall_detect(FIX "/skills", tmpdir, NULL, BMAD_AGENT_CODEX, NULL),
			 BMAD_FORM_NONE);
	s = bmadinstall_invoke(BMAD_FORM_NONE, NULL, BMAD_WF_DEV_STORY);
	assert_non_null(strstr(s, "not installed"));
	free(s);
}

static void test_home_and_precedence(void **state)
{
	char *home = path_join(tmpdir, "home"), *proj = path_join(tmpdir, "proj"), *s;
	enum bmad_form form;

	(void)state;
	put("proj/README", "x\n");
	/* skills in $HOME count when the project has none */
	put("home/.claude/skills/bmad-dev-story/SKILL.md", "---\nname: bmad-dev-story\n---\n");
	s = invoke(proj, home, NULL, BMAD_AGENT_CLAUDE, BMAD_WF_DEV_STORY, &form);
	assert_int_equal(form, BMAD_FORM_CLAUDE_SKILLS);
	assert_string_equal(s, "/bmad-dev-story");
	free(s);
	/* a skill not installed (the test architect module): said so, no command */
	s = invoke(proj, home, NULL, BMAD_AGENT_CLAUDE, BMAD_WF_AUTOMATE, &form);
	assert_non_null(strstr(s, "testarch-automate workflow is not installed"));
	assert_null(strchr(s, '/'));
	free(s);
	/* the project's legacy commands before $HOME's skills */
	put("proj/.claude/commands/bmad/bmm/workflows/dev-story.md", "x\n");
	s = invoke(proj, home, NULL, BMAD_AGENT_CLAUDE, BMAD_WF_DEV_STORY, &form);
	assert_int_equal(form, BMAD_FORM_CLAUDE_COMMANDS);
	assert_string_equal(s, "/bmad:bmm:workflows:dev-story");
	free(s);
	/* the project's skills before its commands */
	put("proj/.claude/skills/bmad-bmm-dev-story/SKILL.md", "---\nname: x\n---\n");
	s = invoke(proj, home, NULL, BMAD_AGENT_CLAUDE, BMAD_WF_DEV_STORY, &form);
	assert_int_equal(form, BMAD_FORM_CLAUDE_SKILLS);
	assert_string_equal(s, "/bmad-bmm-dev-story");
	free(s);
	/* a directory without SKILL.md, or not named bmad*, is no install */
	put("proj2/.claude/skills/bmad-dev-story", NULL);
	put("proj2/.claude/skills/other/SKILL.md", "x\n");
	free(proj);
	proj = path_join(tmpdir, "proj2");
	assert_int_equal(bmadinstall_detect(proj, NULL, NULL, BMAD_AGENT_CLAUDE, NULL),
			 BMAD_FORM_NONE);
	free(proj);
	free(home);
}

static void test_codex(void **state)
{
	char *proj = path_join(tmpdir, "cx"), *home = path_join(tmpdir, "cxhome"),
	     *ch = path_join(tmpdir, "codexhome"), *s, *want;
	enum bmad_form form;

	(void)state;
	put("cx/README", "x\n");
	put("cxhome/README", "x\n");
	assert_int_equal(bmadinstall_detect(proj, home, NULL, BMAD_AGENT_CODEX, NULL),
			 BMAD_FORM_NONE);
	/* legacy custom prompts in $CODEX_HOME/prompts: the file to follow */
	put("codexhome/prompts/bmad-bmm-workflows-dev-story.md", "x\n");
	s = invoke(proj, home, ch, BMAD_AGENT_CODEX, BMAD_WF_DEV_STORY, &form);
	assert_int_equal(form, BMAD_FORM_CODEX_PROMPTS);
	want = xstrfmt("Follow the BMAD dev-story workflow in %s/prompts/"
		       "bmad-bmm-workflows-dev-story.md:",
		       ch);
	assert_string_equal(s, want);
	free(want);
	free(s);
	/* without CODEX_HOME: $HOME/.codex/prompts, not $CODEX_HOME's */
	assert_int_equal(bmadinstall_detect(proj, home, NULL, BMAD_AGENT_CODEX, NULL),
			 BMAD_FORM_NONE);
	/* skills in .agents/skills win, invoked with $ */
	put("cx/.agents/skills/bmad-code-review/SKILL.md", "---\nname: bmad-code-review\n---\n");
	s = invoke(proj, home, ch, BMAD_AGENT_CODEX, BMAD_WF_CODE_REVIEW, &form);
	assert_int_equal(form, BMAD_FORM_CODEX_SKILLS);
	assert_string_equal(s, "$bmad-code-review");
	free(s);
	assert_int_equal(bmadinstall_detect(proj, home, ch, BMAD_AGENT_CLAUDE, NULL),
			 BMAD_FORM_NONE);
	free(proj);
	free(home);
	free(ch);
}

static void test_set_vars(void **state)
{
	struct tvars v = { 0 };
	struct agent a = { .output = "claude-stream-json" };
	char *out;

	(void)state;
	setenv("HOME", tmpdir, 1);
	bmadinstall_set_vars(&v, FIX "/skills", &a);
	assert_int_equal(v.n, BMAD_WF_N);
	out = template_render("{bmad.invoke.create_story} 1-1|{bmad.invoke.dev_story}|"
			      "{bmad.invoke.automate}|{bmad.invoke.code_review}",
			      &v);
	assert_string_equal(out, "/bmad-create-story 1-1|/bmad-dev-story|/bmad-testarch-automate|"
				 "/bmad-code-review");
	free(out);
	/* the values are interned: the same text, the same pointer */
	{
		struct tvars w = { 0 };

		bmadinstall_set_vars(&w, FIX "/skills", &a);
		assert_ptr_equal(v.value[1], w.value[1]);
		bmadinstall_set_vars(&w, FIX "/skills", NULL);
		assert_string_equal(w.value[1], "/bmad:bmm:workflows:dev-story");
	}
	assert_true(bmadinstall_text_uses("x {bmad.invoke.dev_story} y"));
	assert_false(bmadinstall_text_uses("x {story.key} y"));
	assert_false(bmadinstall_text_uses(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent_kind),
		cmocka_unit_test_setup_teardown(test_claude_fixtures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_home_and_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_codex, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_vars, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
