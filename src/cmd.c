/* SPDX-License-Identifier: MIT */
/*
 * cmd.c: help, usage errors and option parsing for the command tables. Must
 * not know what any command does.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util.h"

const char *progname = "automator";

void cmd_print_list(FILE *out)
{
	const struct cmd *t =
		strcmp(progname, "orchestrator-helper") ? automator_cmds : helper_cmds;

	fprintf(out, "usage: %s COMMAND [ARGS...]\n\ncommands:\n", progname);
	for (; t->name; t++)
		fprintf(out, "  %-20s %s\n", t->name, t->summary);
	fprintf(out, "\nRun '%s help COMMAND' or '%s COMMAND --help' for details.\n", progname,
		progname);
}

void cmd_print_help(const struct cmd *c, FILE *out)
{
	fprintf(out, "usage: %s %s%s%s\n\n%s\n", progname, c->name, c->usage[0] ? " " : "",
		c->usage, c->summary);
	if (c->help && c->help[0])
		fprintf(out, "\n%s", c->help);
}

int cmd_usage_error(const struct cmd *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", progname, c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s %s%s%s\n", progname, c->name, c->usage[0] ? " " : "",
		c->usage);
	return EXIT_USAGE;
}

const struct cmd *cmd_lookup(const char *name)
{
	const struct cmd *t =
		strcmp(progname, "orchestrator-helper") ? automator_cmds : helper_cmds;

	for (; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

/*
 * Short options: one letter for a long option, the same in every command
 * that has the long one (getopt_long is given only those it has).
 */
const struct cmd_short cmd_shorts[] = {
	{ 'a', "all" },  { 'f', "follow" },   { 'j', "json" }, { 'n', "dry-run" }, { 'r', "run" },
	{ 's', "step" }, { 'i', "interval" }, { 'o', "only" }, { 0, NULL },
};

char cmd_short_of(const char *long_name)
{
	for (const struct cmd_short *s = cmd_shorts; s->letter; s++)
		if (!strcmp(s->name, long_name))
			return s->letter;
	return 0;
}

/* The known name nearest to name (at most 2 edits away), or NULL. */
const char *cmd_nearest(const char *name, const char *const *known, size_t n)
{
	const char *best = NULL;
	size_t best_d = 3;

	for (size_t i = 0; i < n; i++) {
		size_t d = str_distance(name, known[i], 2);

		if (d < best_d) {
			best_d = d;
			best = known[i];
		}
	}
	return best;
}

const char *cmd_nearest_command(const char *name)
{
	const struct cmd *t =
		strcmp(progname, "orchestrator-helper") ? automator_cmds : helper_cmds;
	const char *names[64];
	size_t n = 0;

	for (; t->name && n < sizeof(names) / sizeof(names[0]); t++)
		names[n++] = t->name;
	return cmd_nearest(name, names, n);
}

/* "unknown option '--jsno'" with a did-you-mean when one option is close. */
static int unknown_option(const struct cmd *c, const char *arg, struct cmd_opt *opts, size_t nopts)
{
	const char **names = xcalloc(nopts + 1, sizeof(*names));
	const char *name = arg, *near;
	size_t len;
	char *bare;
	int rc;

	while (*name == '-')
		name++;
	len = strcspn(name, "=");
	bare = xstrndup(name, len);
	for (size_t i = 0; i < nopts; i++)
		names[i] = opts[i].name;
	near = arg[1] == '-' ? cmd_nearest(bare, names, nopts) : NULL;
	if (near)
		rc = cmd_usage_error(c, "unknown option '%s' (did you mean '--%s'?)", arg, near);
	else
		rc = cmd_usage_error(c, "unknown option '%s'", arg);
	free(bare);
	free(names);
	return rc;
}

/* Long option values start here, clear of every short letter. */
#define LONG_BASE 256

int cmd_parse(const struct cmd *c, int argc, char **argv, struct cmd_opt *opts, size_t nopts,
	      char ***pos, int *npos)
{
	struct option *lo = xcalloc(nopts + 1, sizeof(*lo));
	struct buf shorts = BUF_INIT;
	char **out;
	int n = 0, ch, rc = 0;

	/* ':' first: a missing value is told apart from an unknown option */
	buf_adds(&shorts, "+:");
	for (size_t i = 0; i < nopts; i++) {
		char letter = cmd_short_of(opts[i].name);

		lo[i] = (struct option){ opts[i].name,
					 opts[i].takes_value ? required_argument : no_argument,
					 NULL, LONG_BASE + (int)i };
		if (letter) {
			buf_addc(&shorts, letter);
			if (opts[i].takes_value)
				buf_addc(&shorts, ':');
		}
	}
	/*
	 * '+': getopt stops at each argument, which the loop below takes before
	 * it reads on: options and arguments come in any order, and nothing
	 * after "--" is ever taken for an option
	 */
	out = xcalloc((size_t)argc + 1, sizeof(*out));
	optind = 0; /* glibc: a full reset, for a second parse in one process */
	opterr = 0;
	while (rc == 0) {
		int li = -1, before;

		if (optind == 0)
			optind = 1;
		before = optind;
		if (before >= argc)
			break;
		ch = getopt_long(argc, argv, buf_str(&shorts), lo, &li);
		if (ch == -1) {
			if (optind == before + 1 && !strcmp(argv[before], "--")) {
				/* everything after "--" is an argument */
				while (optind < argc)
					out[n++] = argv[optind++];
				break;
			}
			if (optind >= argc)
				break;
			/* an argument: taken, and the options after it are read on */
			out[n++] = argv[optind++];
			continue;
		}
		if (ch == '?') {
			const char *bad = argv[optind - 1];

			if (optopt >= LONG_BASE)
				rc = cmd_usage_error(c, "option '--%s' takes no value",
						     opts[optopt - LONG_BASE].name);
			else if (optopt && bad[0] == '-' && bad[1] != '-')
				rc = cmd_usage_error(c, "unknown option '-%c'", optopt);
			else
				rc = unknown_option(c, bad, opts, nopts);
			break;
		}
		if (ch == ':') {
			const char *name = NULL;

			if (optopt >= LONG_BASE)
				name = opts[optopt - LONG_BASE].name;
			for (size_t i = 0; !name && i < nopts; i++)
				if (cmd_short_of(opts[i].name) == optopt)
					name = opts[i].name;
			rc = cmd_usage_error(c, "option '--%s' needs a value", name ? name : "?");
			break;
		}
		if (ch < LONG_BASE) {
			for (size_t i = 0; i < nopts; i++)
				if (cmd_short_of(opts[i].name) == ch)
					ch = LONG_BASE + (int)i;
		}
		if (ch >= LONG_BASE && (size_t)(ch - LONG_BASE) < nopts) {
			struct cmd_opt *o = &opts[ch - LONG_BASE];

			o->value = o->takes_value ? optarg : "";
			o->seen = 1;
		}
	}
	free(lo);
	buf_release(&shorts);
	if (rc) {
		free(out);
		return rc;
	}
	*pos = out;
	*npos = n;
	return 0;
}

int cmd_parse_noargs(const struct cmd *c, int argc, char **argv, struct cmd_opt *opts, size_t nopts)
{
	char **pos;
	int npos, ret = cmd_parse(c, argc, argv, opts, nopts, &pos, &npos);

	if (ret)
		return ret;
	free(pos);
	return npos ? cmd_usage_error(c, "takes no arguments") : 0;
}
