/* SPDX-License-Identifier: MIT */
/*
 * status_usage.h: what `automator status` adds about the agents' services
 * and cost: each story's wait (waiting_until, waiting_reason) and usage,
 * and the run's usage totals, from the store (store_usage.c); and the
 * warnings of the project's BMAD sprint-status.
 */
#ifndef AU_STATUS_USAGE_H
#define AU_STATUS_USAGE_H

#include <stddef.h>

#include "store.h"
#include "util.h"

struct jsonw;

/* Per story of a run (in the order of its rows), and the run's totals. */
struct status_extra {
	struct store_usage *usage; /* one per row; zero when none reported */
	char **until, **reason;    /* one per row; NULL when the story does not wait */
	struct store_usage total;
	size_t n;
};

/*
 * The usage of the n stories of rows from the store (what cannot be read
 * is left zero), and their waits from the rows themselves.
 */
void status_extra_load(struct store *st, const char *run_id, const struct store_story_row *rows,
		       size_t n, struct status_extra *x);
void status_extra_release(struct status_extra *x);
/* Writes u as the object member key (sessions, tokens, turns, duration_ms, cost_usd). */
void status_usage_write(struct jsonw *w, const char *key, const struct store_usage *u);

/*
 * What the BMAD sprint-status of the project at project_root (when it has
 * one) could not be read as, one "file:line:col: warning: ..." string
 * each, appended to out.
 */
void status_warnings(const char *project_root, struct strvec *out);

#endif
