/* SPDX-License-Identifier: MIT */
/*
 * version.c: the version compiled in by CMake, the git description of the
 * source tree it was built from (generated/version_git.h, empty outside
 * git), and the version command, which also says which data directory
 * (shipped workflows, agents, triggers) this binary uses.
 */
#include <stdio.h>

#include "cmd.h"
#include "commands.h"
#include "config.h"
#include "jsonw.h"
#include "util.h"
#include "version_git.h"

const char *automator_version(void)
{
	return AUTOMATOR_VERSION;
}

const char *automator_git_describe(void)
{
	return AUTOMATOR_GIT_DESCRIBE;
}

int cmd_version_exec(int argc, char **argv)
{
	struct cmd_opt opts[] = { { "json", 0, NULL, 0 } };
	const char *git = automator_git_describe();
	int rc = cmd_parse_noargs(cmd_lookup("version"), argc, argv, opts, 1);

	if (rc)
		return rc;
	if (opts[0].seen) {
		struct jsonw w = { BUF_INIT, 0, { false }, { 0 } };

		jsonw_obj(&w, NULL);
		jsonw_str(&w, "program", progname);
		jsonw_str(&w, "version", automator_version());
		jsonw_str(&w, "git", git[0] ? git : NULL);
		jsonw_str(&w, "data_dir", config_datadir());
		jsonw_end(&w);
		printf("%s\n", buf_str(&w.b));
		buf_release(&w.b);
		return EXIT_OK;
	}
	printf("%s %s\n", progname, automator_version());
	if (git[0])
		printf("git: %s\n", git);
	printf("data: %s\n", config_datadir());
	return EXIT_OK;
}
