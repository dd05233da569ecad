/* SPDX-License-Identifier: MIT */
/*
 * fsm.h: the table-driven engine and the two machines (run, story).
 *
 * A machine is a table of rows {state, event, guard, action, next}. For an
 * event, the first row whose state matches (FSM_ANY matches every
 * non-terminal state) and whose guard holds (FSM_NO_GUARD always holds) is
 * taken. The engine never runs side effects itself and actions never set
 * the state: the caller looks the row up, journals it, sets the state, then
 * runs the action, which may queue follow-up events (never fire them
 * re-entrantly). libc only: no I/O, no allocation outside fsm_queue.
 */
#ifndef AU_FSM_H
#define AU_FSM_H

#include <stdbool.h>
#include <stddef.h>

#include "fsm_names.h"

#define FSM_ANY (-1)    /* state column: any non-terminal state */
#define FSM_NO_GUARD 0  /* guard column: always holds */
#define FSM_NO_ACTION 0 /* action column: nothing to do */

#define FSM_X_ENUM_RS(n, d) RS_##n,
#define FSM_X_ENUM_RE(n, d) RE_##n,
#define FSM_X_ENUM_RG(n, d) RG_##n,
#define FSM_X_ENUM_RA(n, d) RA_##n,
#define FSM_X_ENUM_SS(n, d) SS_##n,
#define FSM_X_ENUM_SE(n, d) SE_##n,
#define FSM_X_ENUM_SG(n, d) SG_##n,
#define FSM_X_ENUM_SA(n, d) SA_##n,

enum run_state { RUN_STATES(FSM_X_ENUM_RS) RS__COUNT };
enum run_event { RUN_EVENTS(FSM_X_ENUM_RE) RE__COUNT };
enum run_guard { RG_NONE, RUN_GUARDS(FSM_X_ENUM_RG) RG__COUNT };
enum run_action { RA_NONE, RUN_ACTIONS(FSM_X_ENUM_RA) RA__COUNT };

enum story_state { STORY_STATES(FSM_X_ENUM_SS) SS__COUNT };
enum story_event { STORY_EVENTS(FSM_X_ENUM_SE) SE__COUNT };
enum story_guard { SG_NONE, STORY_GUARDS(FSM_X_ENUM_SG) SG__COUNT };
enum story_action { SA_NONE, STORY_ACTIONS(FSM_X_ENUM_SA) SA__COUNT };

struct fsm_row {
	int state; /* or FSM_ANY */
	int event;
	int guard;  /* FSM_NO_GUARD or a guard index */
	int action; /* FSM_NO_ACTION or an action index */
	int next;
};

/* A machine: its table plus the names (index 0 of guards/actions is "-"). */
struct fsm_def {
	const char *name; /* "run" or "story" */
	const struct fsm_row *rows;
	size_t nrows;
	int initial;
	int nstates, nevents, nguards, nactions;
	const char *const *state_names;
	const char *const *state_docs;
	const char *const *event_names;
	const char *const *event_docs;
	const char *const *guard_names;
	const char *const *guard_docs;
	const char *const *action_names;
	const char *const *action_docs;
	const bool *terminal; /* per state */
};

extern const struct fsm_def fsm_run;
extern const struct fsm_def fsm_story;

/* Looks a machine up by name ("run", "story"); NULL when unknown. */
const struct fsm_def *fsm_find(const char *name);

/*
 * The implementation bound to a machine's guard and action columns.
 * guards[g] / actions[a] for g in 1..nguards-1, a in 1..nactions-1; index 0
 * is unused. A guard must be pure; an action returns 0 or -1.
 */
typedef bool (*fsm_guard_fn)(void *ctx);
typedef int (*fsm_action_fn)(void *ctx);
struct fsm_impl {
	const fsm_guard_fn *guards;   /* nguards entries */
	const fsm_action_fn *actions; /* nactions entries */
};

/*
 * The first row matching (state, event) whose guard holds, or NULL when no
 * row matches (an unknown event in that state: the caller reports it). impl
 * may be NULL only when no matching row has a guard.
 */
const struct fsm_row *fsm_lookup(const struct fsm_def *def, const struct fsm_impl *impl, void *ctx,
				 int state, int event);

/*
 * The whole step for callers that need nothing between lookup and action
 * (tests, dry runs): look up, call journal (may be NULL; a non-zero return
 * stops before the state changes), set *state, run the action. Returns 0,
 * -1 when no row matches (state unchanged), -2 when journal or the action
 * failed. *row_out (may be NULL) gets the row taken.
 */
typedef int (*fsm_journal_fn)(void *ctx, const struct fsm_def *def, const struct fsm_row *row,
			      int from, int event);
int fsm_fire(const struct fsm_def *def, const struct fsm_impl *impl, void *ctx, int *state,
	     int event, fsm_journal_fn journal, const struct fsm_row **row_out);

bool fsm_is_terminal(const struct fsm_def *def, int state);

/*
 * Checks a table: every state reachable from the initial state, no row
 * leaving a terminal state, no row shadowed by an earlier unguarded row for
 * the same (state, event), names and indexes in range, and (when impl is
 * given) every referenced guard and action implemented. Calls report for
 * each problem; returns the number of problems.
 */
typedef void (*fsm_report_fn)(void *arg, const char *msg);
int fsm_validate(const struct fsm_def *def, const struct fsm_impl *impl, fsm_report_fn report,
		 void *arg);

/* A FIFO of follow-up events; target says which machine instance. */
struct fsm_qitem {
	int target; /* caller-defined: e.g. -1 for the run, story index otherwise */
	int event;
};
struct fsm_queue {
	struct fsm_qitem *v;
	size_t head, len, cap;
};
#define FSM_QUEUE_INIT        \
	{                     \
		NULL, 0, 0, 0 \
	}
/* Returns 0, or -1 when memory is exhausted. */
int fsm_queue_push(struct fsm_queue *q, int target, int event);
/*
 * Before the item at pos (0: the next popped; len or more: the last).
 * Returns 0, or -1 when memory is exhausted.
 */
int fsm_queue_insert(struct fsm_queue *q, size_t pos, int target, int event);
/* Whether an event for target is queued. */
bool fsm_queue_has(const struct fsm_queue *q, int target);
/* Returns false when empty. */
bool fsm_queue_pop(struct fsm_queue *q, struct fsm_qitem *out);
void fsm_queue_release(struct fsm_queue *q);

#endif
