/* SPDX-License-Identifier: MIT */
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
 * Option parsing shared by commands (getopt_long): marks each option of
 * opts seen ("--name", "--name=value", "--name value", the short form of
 * cmd_shorts, e.g. "-j" for "--json") and collects the rest as positional
 * arguments, options and arguments in any order (all after "--" are
 * positional). An unknown option gets a did-you-mean. Returns 0, or
 * EXIT_USAGE after printing the error.
 */
struct cmd_opt {
	const char *name; /* without dashes */
	int takes_value;
	const char *value; /* set when seen: the value, or "" for a switch */
	int seen;
};
int cmd_parse(const struct cmd *c, int argc, char **argv, struct cmd_opt *opts, size_t nopts,
	      char ***pos, int *npos);
/* A short option: -LETTER for --NAME, in every command that has --NAME. */
struct cmd_short {
	char letter;
	const char *name;
};
extern const struct cmd_short cmd_shorts[]; /* terminated by letter 0 */
/* The letter of a long option, or 0. */
char cmd_short_of(const char *long_name);
/* The name in known[0..n) nearest to name (2 edits at most), or NULL: did-you-mean. */
const char *cmd_nearest(const char *name, const char *const *known, size_t n);
/* The command of this program nearest to name, or NULL: did-you-mean. */
const char *cmd_nearest_command(const char *name);
/* cmd_parse for a command that takes options only: a positional argument is a usage error. */
int cmd_parse_noargs(const struct cmd *c, int argc, char **argv, struct cmd_opt *opts,
		     size_t nopts);

#endif
