/*
 * cmd.h: the command tables of automator and orchestrator-helper. Each
 * command is a data-only entry; main.c dispatches on the program name and
 * handles --help for every command before exec is called.
 */
#ifndef AU_CMD_H
#define AU_CMD_H

#include <stdio.h>

struct cmd {
	const char *name;
	const char *usage;   /* arguments after the name, e.g. "FILE..." */
	const char *summary; /* one line for the command list */
	const char *help;    /* paragraphs printed by --help after the usage */
	/* argv[0] is the command name; returns an exit code (util.h). */
	int (*exec)(int argc, char **argv);
};

extern const struct cmd automator_cmds[]; /* terminated by a NULL name */
extern const struct cmd helper_cmds[];

/* The program name used in messages: "automator" or "orchestrator-helper". */
extern const char *progname;

/* Prints the program's usage line and its list of commands. */
void cmd_print_list(FILE *out);
/* Prints "usage: PROG NAME USAGE" and the help text. */
void cmd_print_help(const struct cmd *c, FILE *out);
/*
 * Prints "PROG NAME: message" and the usage line to stderr; returns
 * EXIT_USAGE so callers write `return cmd_usage_error(...)`.
 */
int cmd_usage_error(const struct cmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The table entry for name in the current program's table. */
const struct cmd *cmd_lookup(const char *name);

/*
 * Minimal option parsing shared by commands: walks argv[1..], calls
 * on_opt for each "--flag" or "--flag=value"/"--flag value" it knows (the
 * spec lists "name" for a switch, "name=" for one taking a value) and
 * collects the rest as positional arguments (all after "--" are
 * positional). Returns 0, or EXIT_USAGE after printing the error.
 */
struct cmd_opt {
	const char *name; /* without dashes */
	int takes_value;
	const char *value; /* set when seen: the value, or "" for a switch */
	int seen;
};
int cmd_parse(const struct cmd *c, int argc, char **argv, struct cmd_opt *opts, size_t nopts,
	      char ***pos, int *npos);
/* cmd_parse for a command that takes options only: a positional argument is a usage error. */
int cmd_parse_noargs(const struct cmd *c, int argc, char **argv, struct cmd_opt *opts,
		     size_t nopts);

#endif
