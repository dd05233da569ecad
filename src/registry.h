/* SPDX-License-Identifier: MIT */
/*
 * registry.h: the per-user list of projects with runs
 * ($XDG_STATE_HOME/automator/runs.db), for `runs --all` and `watch`,
 * and the restarts `watch --restart-dead` made.
 */
#ifndef AU_REGISTRY_H
#define AU_REGISTRY_H

#include "util.h"

/* The registry's path; NULL when neither XDG_STATE_HOME nor HOME is absolute. Newly allocated. */
char *registry_path(void);
/* Notes that root has the run run_id. Returns 0, or -1 with *cause. */
int registry_add(const char *root, const char *run_id, char **cause);
/* Appends every project root registered, first registered first. 0, or -1 with *cause. */
int registry_list(struct strvec *roots, char **cause);
/* How many restarts the run had (*last: the last one's unix time, 0: none); -1 with *cause. */
int registry_restarts(const char *root, const char *run_id, long long *last, char **cause);
/* Notes a restart of the run now. Returns 0, or -1 with *cause. */
int registry_restart_add(const char *root, const char *run_id, char **cause);

#endif
