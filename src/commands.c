/*
 * commands.c: the command tables. One entry per command, NULL-terminated;
 * the exec functions live in cmd_<name>.c.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "commands.h"
#include "util.h"

static int cmd_version_exec(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return cmd_usage_error(cmd_lookup("version"), "takes no arguments");
	printf("%s %s\n", progname, automator_version());
	return EXIT_OK;
}

static int cmd_help_exec(int argc, char **argv)
{
	const struct cmd *c;

	if (argc > 2)
		return cmd_usage_error(cmd_lookup("help"), "takes at most one command name");
	if (argc < 2) {
		cmd_print_list(stdout);
		return EXIT_OK;
	}
	c = cmd_lookup(argv[1]);
	if (!c) {
		fprintf(stderr, "%s: unknown command '%s'\n", progname, argv[1]);
		cmd_print_list(stderr);
		return EXIT_USAGE;
	}
	cmd_print_help(c, stdout);
	return EXIT_OK;
}

#define VERSION_CMD                                                      \
	{                                                                \
		"version", "", "print the version", "", cmd_version_exec \
	}
#define HELP_CMD                                                                                   \
	{                                                                                          \
		"help", "[COMMAND]", "show the commands, or one command's help", "", cmd_help_exec \
	}

const struct cmd automator_cmds[] = {
	{ "validate", "FILE...", "check sprint, sprint-status, workflow, agents and triggers files",
	  "Loads each FILE by its kind (a sprint has 'stories:', a BMAD sprint-status\n"
	  "has 'development_status:', a workflow 'steps:', an agents file 'agents:',\n"
	  "a triggers file 'triggers:') and checks it fully: schema, story ids and\n"
	  "dependencies, agent and workflow names, every pattern compiled.\n"
	  "A sprint is checked together with the workflow and agents it names.\n\n"
	  "Prints 'ok FILE' for a good file, or every error found in it, one per\n"
	  "line as 'file:line:col: what is wrong', followed on a terminal by the\n"
	  "source line and a caret.\n\n"
	  "Exit status: 0 all files good, 65 some file has errors, 64 usage.\n",
	  cmd_validate_exec },
	{ "fsm", "[--table|--dot|--doc] [run|story]", "print a state machine's transition table",
	  "Prints the transition table of the run or story machine (default: both)\n"
	  "as aligned text (--table, the default) or as a Graphviz digraph (--dot,\n"
	  "one machine). --doc prints the names and doc strings as markdown (used\n"
	  "by scripts/gen-fsm-doc.sh to generate docs/fsm.md).\n\n"
	  "The tables are validated first (reachability, no exits from terminal\n"
	  "states, no shadowed rows).\n\n"
	  "Exit status: 0, 64 usage, 70 the tables are broken.\n",
	  cmd_fsm_exec },
	VERSION_CMD,
	HELP_CMD,
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct cmd helper_cmds[] = {
	{ "normalize-key", "STORY", "print a story key's id, prefix and key forms",
	  "Normalises a story reference: '1.2', '1-2' and '1-2-some-slug' name the\n"
	  "same story; letter suffixes ('1.4b', '5a') are valid. Prints one JSON\n"
	  "object: {\"ok\":true,\"id\":\"1.2\",\"prefix\":\"1-2\",\"key\":\"1-2\"}; the key\n"
	  "is the full key when STORY carries a slug.\n\n"
	  "Exit status: 0, 1 when STORY is not a valid story key, 64 usage.\n",
	  cmd_normalize_key_exec },
	VERSION_CMD,
	HELP_CMD,
	{ NULL, NULL, NULL, NULL, NULL },
};
