/* SPDX-License-Identifier: MIT */
/*
 * recover.h: a project whose journal (.automator/state.db) cannot be read:
 * what to tell the user, and the sessions found without it.
 */
#ifndef AU_RECOVER_H
#define AU_RECOVER_H

#include <stdbool.h>
#include <stdio.h>

#include "project.h"
#include "util.h"

/*
 * Prints why the journal of the project at root cannot be used (cause) and
 * the way out: `automator abort` stops the sessions without it, the logs
 * stay, and how to start over. For every command that needs the journal.
 */
void recover_advice(FILE *out, const char *progname, const char *root, const char *cause);
/*
 * Fills pj for the project at root without its journal: the slug from the
 * marker (.automator/active), else the tmux socket in tmux's socket
 * directory whose name ends in the root's hash, else the root's directory
 * name. Returns 0 (always fills pj; release it).
 */
int recover_project(const char *root, struct project *pj);
/* The names of the tmux sessions of pj that exist (au-<slug>-*). Returns their count. */
size_t recover_sessions(struct project *pj, struct strvec *names);

struct store;
/*
 * Whether root has a run marker (.automator/active) of a run the journal st
 * does not have: its last writes were lost (the WAL removed). The marker of
 * the latest run (its process recorded as the run's pid) is not.
 */
bool recover_marker_orphaned(const char *root, struct store *st);

#endif
