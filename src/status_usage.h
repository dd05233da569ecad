/*
 * status_usage.h: what `automator status` adds about the agents' services
 * and cost: each story's wait (waiting_until, waiting_reason) and usage,
 * and the run's usage totals, from the store (store_usage.c); and the
 * warnings of the project's BMAD sprint-status.
 */
#ifndef AU_STATUS_USAGE_H
#define AU_STATUS_USAGE_H

struct json_t;
struct store;

/*
 * Adds to every story object of stories (an array of objects with "id" and
 * "state") its "usage" object and, when it is WAITING, "waiting_until"
 * (RFC 3339, UTC) and "waiting_reason"; adds "usage" (the run's totals) to
 * root. What cannot be read is left out.
 */
void status_usage_add(struct store *st, const char *run_id, struct json_t *stories,
		      struct json_t *root);

/*
 * Adds "warnings" to root: what the BMAD sprint-status of the project at
 * project_root (when it has one) could not be read as, one
 * "file:line:col: warning: ..." string each; [] when none.
 */
void status_warnings_add(const char *project_root, struct json_t *root);

#endif
