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

/* --color: colour on a terminal without NO_COLOR (auto), always, never. */
enum run_color { RUN_COLOR_AUTO, RUN_COLOR_ALWAYS, RUN_COLOR_NEVER };

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
	enum run_color color;       /* colour in what the run prints */
	bool trace;                 /* every transition printed too, not only the stories' news */
};

/* `automator run SPRINT`: returns an exit code (docs/cli.md). */
int run_start(const char *sprint_path, const struct run_opts *o);
/* `automator resume`: continues the latest unfinished run of the project at cwd. */
int run_resume(const struct run_opts *o);

#endif
