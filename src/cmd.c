/*
 * cmd.c: help, usage errors and option parsing for the command tables. Must
 * not know what any command does.
 */
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

static struct cmd_opt *find_opt(struct cmd_opt *opts, size_t nopts, const char *name, size_t len)
{
	for (size_t i = 0; i < nopts; i++)
		if (strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len))
			return &opts[i];
	return NULL;
}

int cmd_parse(const struct cmd *c, int argc, char **argv, struct cmd_opt *opts, size_t nopts,
	      char ***pos, int *npos)
{
	char **out = xcalloc((size_t)argc + 1, sizeof(*out));
	int n = 0, only_pos = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq;
		struct cmd_opt *o;

		if (only_pos || a[0] != '-' || !strcmp(a, "-")) {
			out[n++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = 1;
			continue;
		}
		if (a[1] != '-') {
			free(out);
			return cmd_usage_error(c, "unknown option '%s'", a);
		}
		eq = strchr(a + 2, '=');
		o = find_opt(opts, nopts, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
		if (!o) {
			free(out);
			return cmd_usage_error(c, "unknown option '%s'", a);
		}
		if (!o->takes_value && eq) {
			free(out);
			return cmd_usage_error(c, "option '--%s' takes no value", o->name);
		}
		if (o->takes_value) {
			if (eq) {
				o->value = eq + 1;
			} else if (i + 1 < argc) {
				o->value = argv[++i];
			} else {
				free(out);
				return cmd_usage_error(c, "option '--%s' needs a value", o->name);
			}
		} else {
			o->value = "";
		}
		o->seen = 1;
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
