/* SPDX-License-Identifier: MIT */
/*
 * run.h: the orchestrator. Drives every story of a sprint through the story
 * machine in one process and one poll(2) loop: tmux sessions watched
 * through their logs, side effects journaled before they run, and resume
 * after a crash from the journal.
 */
#ifndef AU_RUN_H
#define AU_RUN_H

#include <stdbool.h>

struct run_opts {
	bool no_input;              /* never prompt; escalations are printed and recorded */
	bool dry_run;               /* load, plan and print; touch nothing */
	bool json;                  /* the plan as one JSON object (with dry_run) */
	int max_parallel;           /* 0: the sprint's */
	const char *agent;          /* NULL: the sprint's */
	const char *workflow;       /* NULL: the sprint's */
	const char *stories;        /* "1.2,1.4-1.6" or NULL */
	const char *epic;           /* NULL: all */
	const char *include_status; /* BMAD: "on-hold,deferred" also queued, or NULL */
	const char *run_id;         /* resume: this run (NULL: the latest unfinished) */
	const char *isolation;      /* "worktree" or "shared"; NULL: the sprint's */
};

/* `automator run SPRINT`: returns an exit code (docs/cli.md). */
int run_start(const char *sprint_path, const struct run_opts *o);
/* `automator resume`: continues the latest unfinished run of the project at cwd. */
int run_resume(const struct run_opts *o);

#endif
