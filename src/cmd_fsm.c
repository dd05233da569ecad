/* SPDX-License-Identifier: MIT */
/*
 * cmd_fsm.c: automator fsm [--table|--dot|--doc] [run|story]. Prints the
 * machines of fsm/ as an aligned table (the default), a Graphviz digraph
 * (--dot, one machine, default story) or markdown lists of the names and
 * doc strings (--doc, hidden: scripts/gen-fsm-doc.sh builds docs/fsm.md
 * from --doc and --table). Every machine printed is checked with
 * fsm_validate first. Must not change or interpret the tables: it only
 * renders what fsm/ defines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "commands.h"
#include "fsm.h"
#include "util.h"

enum { COL_ROW, COL_STATE, COL_EVENT, COL_GUARD, COL_ACTION, COL_NEXT, COL__COUNT };

static const char *const cmd_fsm_headers[COL__COUNT] = { "row",   "state",  "event",
							 "guard", "action", "next" };

static const char *cmd_fsm_state(const struct fsm_def *def, int state)
{
	return state == FSM_ANY ? "*" : def->state_names[state];
}

/* The cells of row i (1-based number in num). */
static void cmd_fsm_cells(const struct fsm_def *def, size_t i, char *num, size_t numlen,
			  const char *cells[COL__COUNT])
{
	const struct fsm_row *r = &def->rows[i];

	snprintf(num, numlen, "%zu", i + 1);
	cells[COL_ROW] = num;
	cells[COL_STATE] = cmd_fsm_state(def, r->state);
	cells[COL_EVENT] = def->event_names[r->event];
	cells[COL_GUARD] = def->guard_names[r->guard];
	cells[COL_ACTION] = def->action_names[r->action];
	cells[COL_NEXT] = def->state_names[r->next];
}

static void cmd_fsm_print_line(const char *const cells[COL__COUNT], const size_t width[COL__COUNT])
{
	for (int c = 0; c < COL__COUNT - 1; c++)
		printf("%-*s  ", (int)width[c], cells[c]);
	printf("%s\n", cells[COL__COUNT - 1]);
}

static void cmd_fsm_terminal_list(const struct fsm_def *def, const char *sep, const char *quote)
{
	const char *s = "";

	for (int i = 0; i < def->nstates; i++) {
		if (!def->terminal[i])
			continue;
		printf("%s%s%s%s", s, quote, def->state_names[i], quote);
		s = sep;
	}
}

static void cmd_fsm_table(const struct fsm_def *def)
{
	size_t width[COL__COUNT];
	const char *cells[COL__COUNT];
	char num[32];

	for (int c = 0; c < COL__COUNT; c++)
		width[c] = strlen(cmd_fsm_headers[c]);
	for (size_t i = 0; i < def->nrows; i++) {
		cmd_fsm_cells(def, i, num, sizeof(num), cells);
		for (int c = 0; c < COL__COUNT; c++)
			if (strlen(cells[c]) > width[c])
				width[c] = strlen(cells[c]);
	}
	printf("%s machine: initial %s; terminal ", def->name, def->state_names[def->initial]);
	cmd_fsm_terminal_list(def, ", ", "");
	printf("\n\n");
	cmd_fsm_print_line(cmd_fsm_headers, width);
	for (size_t i = 0; i < def->nrows; i++) {
		cmd_fsm_cells(def, i, num, sizeof(num), cells);
		cmd_fsm_print_line(cells, width);
	}
}

/* "EVENT [guard] / action": the guard and the action only when present. */
static void cmd_fsm_dot(const struct fsm_def *def)
{
	bool any = false;

	printf("digraph %s {\n", def->name);
	printf("\trankdir=LR;\n");
	printf("\tnode [shape=circle];\n");
	printf("\t\"__start\" [shape=point, label=\"\"];\n");
	for (int s = 0; s < def->nstates; s++)
		printf("\t\"%s\"%s;\n", def->state_names[s],
		       def->terminal[s] ? " [shape=doublecircle]" : "");
	for (size_t i = 0; i < def->nrows; i++)
		any = any || def->rows[i].state == FSM_ANY;
	if (any)
		printf("\t\"*\" [shape=box, style=dashed, label=\"* (any non-terminal)\"];\n");
	printf("\t\"__start\" -> \"%s\";\n", def->state_names[def->initial]);
	for (size_t i = 0; i < def->nrows; i++) {
		const struct fsm_row *r = &def->rows[i];

		printf("\t\"%s\" -> \"%s\" [label=\"%s", cmd_fsm_state(def, r->state),
		       def->state_names[r->next], def->event_names[r->event]);
		if (r->guard != FSM_NO_GUARD)
			printf(" [%s]", def->guard_names[r->guard]);
		if (r->action != FSM_NO_ACTION)
			printf(" / %s", def->action_names[r->action]);
		printf("\"];\n");
	}
	printf("}\n");
}

static void cmd_fsm_doc_list(const char *title, const char *col, const char *const *names,
			     const char *const *docs, int from, int n)
{
	printf("\n### %s\n\n| %s | meaning |\n| --- | --- |\n", title, col);
	for (int i = from; i < n; i++)
		printf("| `%s` | %s |\n", names[i], docs[i]);
}

static void cmd_fsm_doc(const struct fsm_def *def)
{
	printf("## The %s machine\n\n", def->name);
	printf("Initial state `%s`; terminal states ", def->state_names[def->initial]);
	cmd_fsm_terminal_list(def, ", ", "`");
	printf(".\n");
	cmd_fsm_doc_list("States", "state", def->state_names, def->state_docs, 0, def->nstates);
	cmd_fsm_doc_list("Events", "event", def->event_names, def->event_docs, 0, def->nevents);
	cmd_fsm_doc_list("Guards", "guard", def->guard_names, def->guard_docs, 1, def->nguards);
	cmd_fsm_doc_list("Actions", "action", def->action_names, def->action_docs, 1,
			 def->nactions);
}

static void cmd_fsm_report(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s fsm: %s\n", progname, msg);
}

int cmd_fsm_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("fsm");
	struct cmd_opt opts[] = {
		{ "table", 0, NULL, 0 },
		{ "dot", 0, NULL, 0 },
		{ "doc", 0, NULL, 0 },
	};
	const struct fsm_def *defs[2] = { &fsm_run, &fsm_story };
	size_t ndefs = 2;
	char **pos;
	int npos, ret, modes = 0;

	ret = cmd_parse(c, argc, argv, opts, ARRAY_SIZE(opts), &pos, &npos);
	if (ret)
		return ret;
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		modes += opts[i].seen;
	if (modes > 1)
		ret = cmd_usage_error(c, "--table, --dot and --doc are exclusive");
	else if (npos > 1)
		ret = cmd_usage_error(c, "expected at most one machine");
	else if (npos == 1 && !fsm_find(pos[0]))
		ret = cmd_usage_error(c, "unknown machine '%s' (expected run or story)", pos[0]);
	if (!ret && npos == 1) {
		defs[0] = fsm_find(pos[0]);
		ndefs = 1;
	} else if (!ret && opts[1].seen) {
		defs[0] = &fsm_story;
		ndefs = 1;
	}
	free(pos);
	if (ret)
		return ret;

	for (size_t i = 0; i < ndefs; i++)
		if (fsm_validate(defs[i], NULL, cmd_fsm_report, NULL))
			return EXIT_SOFTWARE;
	for (size_t i = 0; i < ndefs; i++) {
		if (i)
			printf("\n");
		if (opts[1].seen)
			cmd_fsm_dot(defs[i]);
		else if (opts[2].seen)
			cmd_fsm_doc(defs[i]);
		else
			cmd_fsm_table(defs[i]);
	}
	return EXIT_OK;
}
