/* SPDX-License-Identifier: MIT */
/*
 * cmd_init.c: `automator init`: a sprint.yaml for the project in the
 * current directory, commented, to edit and run. In a BMAD project it
 * points at the sprint-status (the stories stay BMAD's) with the bmad
 * workflow and the agent BMAD is installed for; elsewhere it is a starter
 * sprint with a starter workflow.yaml beside it. Never overwrites a file:
 * each is created with O_EXCL, and nothing is written when one exists.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bmadcfg.h"
#include "bmadinstall.h"
#include "cmd.h"
#include "commands.h"
#include "util.h"

static const char starter_workflow[] =
	"# workflow.yaml, written by `automator init`: the steps every story of\n"
	"# sprint.yaml goes through, in order. Format: man 5 automator-workflow\n"
	"# (docs/configuration.md); the shipped workflows are simple, demo and bmad.\n"
	"name: starter\n"
	"description: implement the story, review it, commit it\n"
	"steps:\n"
	"  # an agent session; its last line AUTOMATOR_RESULT {...} says how it went\n"
	"  - name: dev\n"
	"    kind: session\n"
	"    prompt: |\n"
	"      You are implementing story {story.id} of this project: {story.title}\n"
	"\n"
	"      Work in the repository at {root}. Make the smallest complete change\n"
	"      that implements the story, with tests where the project has them. Do\n"
	"      not commit: the orchestrator commits after review.\n"
	"\n"
	"      When you are finished, print exactly one line of this form as your\n"
	"      last output:\n"
	"\n"
	"      AUTOMATOR_RESULT {\"status\": \"done\", \"summary\": \"<one sentence>\"}\n"
	"\n"
	"      If you cannot finish, print instead:\n"
	"\n"
	"      AUTOMATOR_RESULT {\"status\": \"failed\", \"summary\": \"<what stopped you>\"}\n"
	"    result: [status, summary]\n"
	"    failure: ['^AUTOMATOR_RESULT \\{\"status\": *\"failed\"']\n"
	"    verifier: session_exit\n"
	"\n"
	"  # a review session: \"changes_requested\" runs dev and review again\n"
	"  - name: review\n"
	"    kind: review\n"
	"    prompt: |\n"
	"      You are reviewing the uncommitted changes for story {story.id}:\n"
	"      {story.title} (review cycle {cycle}). Read the diff against HEAD in\n"
	"      {root} and fix every real problem directly in the working tree. Do\n"
	"      not commit.\n"
	"\n"
	"      When the changes are ready, print as your last line:\n"
	"\n"
	"      AUTOMATOR_RESULT {\"status\": \"done\", \"summary\": \"<one sentence>\"}\n"
	"\n"
	"      If problems remain that need another cycle, print:\n"
	"\n"
	"      AUTOMATOR_RESULT {\"status\": \"changes_requested\", \"summary\": \"<what "
	"remains>\"}\n"
	"    result: [status, summary]\n"
	"    verifier: session_exit\n"
	"\n"
	"  # one commit per story, holding its own files only\n"
	"  - name: commit\n"
	"    kind: commit\n"
	"    message: \"{story.id}: {story.title}\"\n"
	"\n"
	"  # the project's own check after the commit; uncomment and name yours\n"
	"  # - name: verify\n"
	"  #   kind: verify\n"
	"  #   verifier: {type: command, argv: [make, test]}\n";

/* The base name of the current directory, as a project name ("project" when odd). */
static char *project_name(void)
{
	char *cwd = getcwd(NULL, 0), *base, *out;

	base = cwd ? strrchr(cwd, '/') : NULL;
	out = xstrdup(base && base[1] ? base + 1 : "project");
	free(cwd);
	/* a project name is a story-key word: letters, digits, '-', '_', '.' */
	for (char *p = out; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.'))
			*p = '-';
	return out;
}

/* The agent BMAD is installed for here: claude, codex, or NULL (none found). */
static const char *bmad_agent(const char *root, const char **how)
{
	const char *home = getenv("HOME"), *codex_home = getenv("CODEX_HOME");
	static const struct {
		enum bmad_agent_kind kind;
		const char *preset;
	} kinds[] = { { BMAD_AGENT_CLAUDE, "claude" }, { BMAD_AGENT_CODEX, "codex" } };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		enum bmad_form f = bmadinstall_detect(root, home, codex_home, kinds[i].kind, NULL);

		if (f != BMAD_FORM_NONE) {
			*how = bmadinstall_form_name(f);
			return kinds[i].preset;
		}
	}
	*how = NULL;
	return NULL;
}

/* Creates path with text; never replaces a file. 0, or -1 after saying why. */
static int create(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	size_t len = strlen(text);

	if (fd < 0) {
		fprintf(stderr, "%s init: cannot create '%s': %s\n", progname, path,
			strerror(errno));
		return -1;
	}
	if (write(fd, text, len) != (ssize_t)len || close(fd) < 0) {
		fprintf(stderr, "%s init: cannot write '%s': %s\n", progname, path,
			strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

static char *bmad_sprint(const char *name, const char *status_rel, const char *agent,
			 const char *how)
{
	struct buf b = BUF_INIT;

	buf_addf(&b,
		 "# sprint.yaml, written by `automator init` for this BMAD project.\n"
		 "# Its stories are BMAD's: the sprint-status below, read and updated in\n"
		 "# place (stories done, epics and dormant statuses are skipped). Check it\n"
		 "# with `automator validate sprint.yaml`, see the plan with\n"
		 "# `automator run --dry-run`, then `automator run`.\n"
		 "# Format: man 5 automator-sprint (docs/configuration.md, docs/bmad.md).\n"
		 "project: %s\n"
		 "root: .\n"
		 "# BMAD's sprint-status: the stories and their statuses\n"
		 "status_file: %s\n"
		 "# create-story, dev-story and code-review, as BMAD's own workflows\n"
		 "workflow: bmad\n",
		 name, status_rel);
	if (agent)
		buf_addf(&b,
			 "# the agent preset: BMAD is installed for it here (%s);\n"
			 "# claude (Claude Code) or codex (Codex CLI)\n"
			 "agent: %s\n",
			 how, agent);
	else
		buf_adds(&b,
			 "# the agent preset, claude (Claude Code) or codex (Codex CLI): BMAD is\n"
			 "# not installed for either yet (npx bmad-method install)\n"
			 "agent: claude\n");
	buf_adds(&b, "# one story at a time; more run side by side, each in a git worktree\n"
		     "max_parallel: 1\n");
	return buf_detach(&b);
}

static char *starter_sprint(const char *name)
{
	return xstrfmt(
		"# sprint.yaml, written by `automator init`: a starter sprint. Write your\n"
		"# stories below, check them with `automator validate sprint.yaml`, see the\n"
		"# plan with `automator run --dry-run`, then `automator run`.\n"
		"# Format: man 5 automator-sprint (docs/configuration.md).\n"
		"project: %s\n"
		"root: .\n"
		"# the steps of every story: workflow.yaml beside this file\n"
		"workflow: workflow.yaml\n"
		"# the agent preset: claude (Claude Code), codex (Codex CLI), or fake (no\n"
		"# AI: scripts/fake-agent, to try the tool itself)\n"
		"agent: claude\n"
		"# one story at a time; more run side by side, each in a git worktree\n"
		"max_parallel: 1\n"
		"stories:\n"
		"  - id: \"1.1\"\n"
		"    title: Describe the first story here\n"
		"  # - id: \"1.2\"\n"
		"  #   title: A story that needs 1.1 first\n"
		"  #   depends_on: [\"1.1\"]\n",
		name);
}

int cmd_init_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("init");
	char *cwd, *status, *name, *text;
	const char *how = NULL, *agent;
	int ret = cmd_parse_noargs(c, argc, argv, NULL, 0);

	if (ret)
		return ret;
	if (access("sprint.yaml", F_OK) == 0) {
		fprintf(stderr, "%s init: sprint.yaml exists: nothing written\n", progname);
		return EXIT_NEGATIVE;
	}
	cwd = getcwd(NULL, 0);
	if (!cwd) {
		fprintf(stderr, "%s init: cannot tell the current directory: %s\n", progname,
			strerror(errno));
		return EXIT_SOFTWARE;
	}
	name = project_name();
	status = bmadcfg_status_file(cwd);
	if (status) {
		size_t n = strlen(cwd);
		const char *rel =
			!strncmp(status, cwd, n) && status[n] == '/' ? status + n + 1 : status;

		agent = bmad_agent(cwd, &how);
		text = bmad_sprint(name, rel, agent, how);
		ret = create("sprint.yaml", text) < 0 ? EXIT_SOFTWARE : EXIT_OK;
		if (ret == EXIT_OK && agent)
			printf("wrote sprint.yaml: the stories of %s, workflow bmad, agent %s "
			       "(BMAD installed as %s)\n",
			       rel, agent, how);
		else if (ret == EXIT_OK)
			printf("wrote sprint.yaml: the stories of %s, workflow bmad, agent claude "
			       "(BMAD is not installed for it yet: npx bmad-method install)\n",
			       rel);
	} else if (access("workflow.yaml", F_OK) == 0) {
		fprintf(stderr, "%s init: workflow.yaml exists: nothing written\n", progname);
		text = NULL;
		ret = EXIT_NEGATIVE;
	} else {
		text = starter_sprint(name);
		ret = EXIT_SOFTWARE;
		if (create("workflow.yaml", starter_workflow) == 0) {
			if (create("sprint.yaml", text) == 0)
				ret = EXIT_OK;
			else
				unlink("workflow.yaml"); /* all or nothing */
		}
		if (ret == EXIT_OK)
			printf("wrote sprint.yaml (one story to replace with yours) and "
			       "workflow.yaml (dev, review, commit)\n");
	}
	if (ret == EXIT_OK)
		printf("next: automator validate sprint.yaml; automator run --dry-run; "
		       "automator run\n");
	free(text);
	free(status);
	free(name);
	free(cwd);
	return ret;
}
