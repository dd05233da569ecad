/* SPDX-License-Identifier: MIT */
/*
 * completion.h: shell completion, read from the command tables
 * (completion_spec.c) and written as bash, zsh and fish scripts
 * (cmd_completion.c: `automator completion SHELL`); the scripts ask the
 * binary for the current project's story, escalation and run ids
 * (`automator __complete KIND`).
 */
#ifndef AU_COMPLETION_H
#define AU_COMPLETION_H

#include <stddef.h>

#include "cmd.h"
#include "util.h"

struct compl_cmd {
	const char *name;
	const char *summary;
	struct strvec opts; /* "--json", "--run", ... and "--help" */
	/* an option taking a value, and its kind: "--run:runs", "--step:", "--to:@id,prefix,key" */
	struct strvec valopts;
	struct strvec words; /* literal arguments: "list", "ack", "run", "story" */
	struct strvec kinds; /* argument kinds: stories, escalations, runs, file, dir, commands */
};

/* One entry per command of table, in its order; free with compl_spec_free. */
void compl_spec(const struct cmd *table, struct compl_cmd **out, size_t *n);
void compl_spec_free(struct compl_cmd *v, size_t n);

/* `automator __complete KIND`: the ids of KIND in the project at cwd, one a line. */
int compl_values_main(int argc, char **argv);

#endif
