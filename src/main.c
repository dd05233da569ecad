/* SPDX-License-Identifier: MIT */
/*
 * main.c: the entry point of automator and orchestrator-helper (the same
 * binary, dispatching on the name it was started as). Handles the program
 * level flags (--help, --version) and --help for every command; everything
 * else belongs to the commands.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "completion.h"
#include "runner.h"
#include "util.h"

static int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	}
	return 0;
}

/* "unknown command 'stauts' (did you mean 'status'?)", then the list. */
static int unknown_command(const char *name)
{
	const char *near = cmd_nearest_command(name);

	if (near)
		fprintf(stderr, "%s: unknown command '%s' (did you mean '%s'?)\n", progname, name,
			near);
	else
		fprintf(stderr, "%s: unknown command '%s'\n", progname, name);
	cmd_print_list(stderr);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	const struct cmd *c;

	base = base ? base + 1 : argv[0];
	progname = strcmp(base, "orchestrator-helper") ? "automator" : "orchestrator-helper";

	/* the in-pane runner is internal: not a listed command */
	if (argc >= 2 && !strcmp(argv[1], "__runner"))
		return runner_main(argc - 1, argv + 1);
	/* the completion scripts' question: ids of the project here */
	if (argc >= 2 && !strcmp(argv[1], "__complete"))
		return compl_values_main(argc - 1, argv + 1);
	if (argc < 2) {
		cmd_print_list(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		argv[1] = "help";
	if (!strcmp(argv[1], "--version"))
		argv[1] = "version";
	c = cmd_lookup(argv[1]);
	if (!c)
		return unknown_command(argv[1]);
	if (wants_help(argc - 1, argv + 1)) {
		cmd_print_help(c, stdout);
		return EXIT_OK;
	}
	return c->exec(argc - 1, argv + 1);
}
