/* SPDX-License-Identifier: MIT */
/*
 * cmd_run.c: automator run and resume: parses their arguments; the
 * orchestration itself is run.c and its run_*.c files.
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "commands.h"
#include "fsm.h"
#include "project.h"
#include "recover.h"
#include "bmadcfg.h"
#include "run.h"
#include "runner.h"
#include "status_usage.h"
#include "storykey.h"
#include "store.h"
#include "tmx.h"
#include "util.h"

/*
 * --color WHEN and --trace, shared by run and resume (opts[0] and opts[1]).
 * Returns 0, or EXIT_USAGE after saying what is wrong.
 */
static int display_opts(const struct cmd *c, const struct cmd_opt *opts, struct run_opts *o)
{
	o->trace = opts[1].seen;
	if (!opts[0].seen)
		return 0;
	if (!strcmp(opts[0].value, "auto"))
		o->color = RUN_COLOR_AUTO;
	else if (!strcmp(opts[0].value, "always"))
		o->color = RUN_COLOR_ALWAYS;
	else if (!strcmp(opts[0].value, "never"))
		o->color = RUN_COLOR_NEVER;
	else
		return cmd_usage_error(c, "--color takes auto, always or never");
	return 0;
}

/*
 * The sprint of a plain `automator run`: sprint.yaml here, else the BMAD
 * sprint-status of the project here (where BMAD's config or its defaults
 * put it), said on stderr. NULL after saying there is neither.
 */
static char *default_sprint(void)
{
	char *cwd, *status;

	if (access("sprint.yaml", F_OK) == 0)
		return xstrdup("sprint.yaml");
	cwd = getcwd(NULL, 0);
	status = cwd ? bmadcfg_status_file(cwd) : NULL;
	free(cwd);
	if (status) {
		fprintf(stderr,
			"automator: no sprint.yaml here: running the BMAD sprint-status %s\n",
			status);
		return status;
	}
	fprintf(stderr,
		"automator run: no sprint.yaml here, and no BMAD sprint-status.yaml: name a "
		"sprint file, or write one with `automator init`\n");
	return NULL;
}

int cmd_run_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("run");
	struct cmd_opt opts[] = {
		{ "stories", 1, NULL, 0 },      { "epic", 1, NULL, 0 },
		{ "max-parallel", 1, NULL, 0 }, { "agent", 1, NULL, 0 },
		{ "workflow", 1, NULL, 0 },     { "no-input", 0, NULL, 0 },
		{ "dry-run", 0, NULL, 0 },      { "include-status", 1, NULL, 0 },
		{ "isolation", 1, NULL, 0 },    { "json", 0, NULL, 0 },
		{ "color", 1, NULL, 0 },        { "trace", 0, NULL, 0 },
	};
	struct run_opts o = { 0 };
	char **pos, *end;
	int npos, ret;

	ret = cmd_parse(c, argc, argv, opts, ARRAY_SIZE(opts), &pos, &npos);
	if (ret)
		return ret;
	if (npos > 1) {
		free(pos);
		return cmd_usage_error(c, "expected at most one sprint file");
	}
	o.stories = opts[0].value;
	o.epic = opts[1].value;
	if (opts[2].seen) {
		long v = strtol(opts[2].value, &end, 10);

		if (*end || v < 1 || v > 64) {
			free(pos);
			return cmd_usage_error(c, "--max-parallel takes a number from 1 to 64");
		}
		o.max_parallel = (int)v;
	}
	o.agent = opts[3].value;
	o.workflow = opts[4].value;
	if (opts[4].seen) {
		free(pos);
		return cmd_usage_error(c, "--workflow: set 'workflow:' in the sprint instead");
	}
	o.no_input = opts[5].seen || !isatty(STDIN_FILENO);
	o.dry_run = opts[6].seen;
	o.json = opts[9].seen;
	if (o.json && !o.dry_run) {
		free(pos);
		return cmd_usage_error(c, "--json goes with --dry-run (the plan)");
	}
	if (opts[7].seen) {
		const char *v = opts[7].value;

		if (!v || v[strspn(v, ", \t")] == '\0') {
			free(pos);
			return cmd_usage_error(c, "--include-status takes STATUS[,STATUS...]");
		}
		o.include_status = v;
	}
	if (opts[8].seen) {
		if (strcmp(opts[8].value, "worktree") && strcmp(opts[8].value, "shared")) {
			free(pos);
			return cmd_usage_error(c, "--isolation takes worktree or shared");
		}
		o.isolation = opts[8].value;
	}
	if (display_opts(c, opts + 10, &o)) {
		free(pos);
		return EXIT_USAGE;
	}
	if (npos) {
		ret = run_start(pos[0], &o);
	} else {
		char *sprint = default_sprint();

		ret = sprint ? run_start(sprint, &o) : EXIT_USAGE;
		free(sprint);
	}
	free(pos);
	return ret;
}

int cmd_resume_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("resume");
	struct cmd_opt opts[] = { { "run", 1, NULL, 0 },
				  { "no-input", 0, NULL, 0 },
				  { "color", 1, NULL, 0 },
				  { "trace", 0, NULL, 0 } };
	struct run_opts o = { 0 };
	int ret;

	ret = cmd_parse_noargs(c, argc, argv, opts, ARRAY_SIZE(opts));
	if (ret)
		return ret;
	o.run_id = opts[0].value;
	o.no_input = opts[1].seen || !isatty(STDIN_FILENO);
	if (display_opts(c, opts + 2, &o))
		return EXIT_USAGE;
	return run_resume(&o);
}
