/* SPDX-License-Identifier: MIT */
/*
 * cmd_view.h: a project's run as the reading commands see it (status, log,
 * attach, abort).
 */
#ifndef AU_CMD_VIEW_H
#define AU_CMD_VIEW_H

#include <stdbool.h>

#include "store.h"

struct view {
	char *root;
	struct store *st;
	struct store_run run;
	bool have_run;
};

/*
 * Opens the project at or above cwd and its run (run_id, or the latest;
 * none: have_run false). Returns 0, or an exit status after saying why
 * (74 with the way out for a damaged journal); nothing to close then.
 */
int view_open(struct view *v, const char *run_id);
void view_close(struct view *v);
/* The story of v's run named (its id, or any form of its key), newly allocated; NULL: none. */
char *view_find_story(struct view *v, const char *story);

#endif
