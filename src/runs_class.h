/* SPDX-License-Identifier: MIT */
/*
 * runs_class.h: how `runs` and `watch` classify a run, from its journal
 * state, its process and how long it has been quiet (the operator policy:
 * a dead process is never "running"; stale runs are listed apart and not
 * alerted on).
 */
#ifndef AU_RUNS_CLASS_H
#define AU_RUNS_CLASS_H

#include <stdbool.h>

enum runs_class {
	RC_RUNNING,        /* unfinished, its process alive */
	RC_NEEDS_DECISION, /* unfinished, no process, escalations open (or PAUSED) */
	RC_INTERRUPTED,    /* unfinished, no process, nothing asked: resume it */
	RC_STALE,          /* unfinished, no process, quiet past stale_after */
	RC_COMPLETE,
	RC_ABORTED,
	RC_GONE, /* its project or journal is no longer there */
};

/*
 * live_state: the run is not over; state: its journal state; age: seconds
 * since its last transition; stale_after: seconds.
 */
enum runs_class runs_classify(bool live_state, const char *state, bool alive, int open_esc,
			      long long age, long stale_after);
/* "running", "needs_decision", "interrupted", "stale", "complete", "aborted", "gone". */
const char *runs_class_name(enum runs_class c);
/* Stale and gone runs: listed apart, never alerted on. */
bool runs_class_quarantined(enum runs_class c);

#endif
