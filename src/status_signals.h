/* SPDX-License-Identifier: MIT */
/*
 * status_signals.h: what `automator status` reads besides the stories: the
 * run's open escalations, whether its process is alive, and the signals a
 * dashboard or another agent acts on (reason codes with the time since
 * when they hold; docs/cli.md).
 */
#ifndef AU_STATUS_SIGNALS_H
#define AU_STATUS_SIGNALS_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd_view.h"
#include "jsonw.h"
#include "store.h"
#include "strmap.h"

/* The open escalations of a run, for the status snapshot. */
struct esc_signal {
	int64_t id;
	char *story, *trigger, *category, *severity, *status, *created_at;
	int reescalations; /* re-sent as stale so many times */
};

struct open_escalations {
	struct esc_signal *v;
	size_t n, cap;
	struct strmap by_story; /* story id -> its first signal's index */
};

/* store_escalations_foreach's callback: adds e to the open_escalations arg. */
int note_escalation(const struct store_escalation *e, void *arg);
void open_escalations_release(struct open_escalations *oe);

/* Whether the run's process works on it now, and its marker's heartbeat. */
struct liveness {
	bool live_state; /* the run is not over (not COMPLETE, ABORTED) */
	bool alive;
	long long heartbeat_age; /* seconds; -1: no marker */
};

void liveness_of(const struct view *v, struct liveness *l);

/* One signal: a reason code, the story (NULL: the run), since when, and a detail. */
struct status_signal {
	const char *code;
	const char *story; /* borrowed from the rows */
	char *since;       /* ISO 8601 UTC, or NULL when unknown */
	char *detail;      /* or NULL */
};

struct status_signals {
	struct status_signal *v;
	size_t n;
};

/*
 * The signals of the run of v with its n story rows: stuck_in_progress
 * (the run's process is gone while it is unfinished), session_dead (a
 * story's session is gone from tmux while it should run), idle (its log
 * silent for STATUS_IDLE_SECONDS), waiting_on_limit, awaiting_decision,
 * restart_loop and stale_escalation (from the open escalations).
 */
#define STATUS_IDLE_SECONDS 600
void status_signals_collect(const struct view *v, const struct store_story_row *rows, size_t n,
			    const struct open_escalations *oe, const struct liveness *l,
			    struct status_signals *out);
/* Writes the signals of story (NULL: all, each with its story) as an array under key. */
void status_signals_write(struct jsonw *w, const char *key, const struct status_signals *sg,
			  const char *story, bool all);
void status_signals_release(struct status_signals *sg);

#endif
