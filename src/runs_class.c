/* SPDX-License-Identifier: MIT */
/*
 * runs_class.c: the classification of runs for `runs` and `watch`
 * (runs_class.h). Pure: no I/O.
 */
#include <string.h>

#include "runs_class.h"

enum runs_class runs_classify(bool live_state, const char *state, bool alive, int open_esc,
			      long long age, long stale_after)
{
	if (!live_state)
		return state && !strcmp(state, "ABORTED") ? RC_ABORTED : RC_COMPLETE;
	if (alive)
		return RC_RUNNING;
	if (age > stale_after)
		return RC_STALE;
	if (open_esc > 0 || (state && !strcmp(state, "PAUSED")))
		return RC_NEEDS_DECISION;
	return RC_INTERRUPTED;
}

const char *runs_class_name(enum runs_class c)
{
	static const char *const names[] = { "running",  "needs_decision", "interrupted", "stale",
					     "complete", "aborted",        "gone" };

	return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : "unknown";
}

bool runs_class_quarantined(enum runs_class c)
{
	return c == RC_STALE || c == RC_GONE;
}
