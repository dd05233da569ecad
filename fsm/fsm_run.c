/* SPDX-License-Identifier: MIT */
/*
 * fsm_run.c: the run machine's transition table and names. A run loads,
 * dispatches stories, pauses while a CRITICAL escalation is open and ends
 * once every story is final. Data only: no code, no side effects; the
 * actions are implemented by the run loop.
 */
#include "fsm.h"

#define X_NAME(n, d) #n,
#define X_DOC(n, d) d,
#define X_TERMINAL(n) [RS_##n] = true,

static const char *const state_names[] = { RUN_STATES(X_NAME) };
static const char *const state_docs[] = { RUN_STATES(X_DOC) };
static const char *const event_names[] = { RUN_EVENTS(X_NAME) };
static const char *const event_docs[] = { RUN_EVENTS(X_DOC) };
static const char *const guard_names[] = { "-", RUN_GUARDS(X_NAME) };
static const char *const guard_docs[] = { "always holds", RUN_GUARDS(X_DOC) };
static const char *const action_names[] = { "-", RUN_ACTIONS(X_NAME) };
static const char *const action_docs[] = { "nothing to do", RUN_ACTIONS(X_DOC) };
static const bool terminal[RS__COUNT] = { RUN_TERMINAL(X_TERMINAL) };

#define ANY FSM_ANY
#define NO_GUARD FSM_NO_GUARD
#define NO_ACTION FSM_NO_ACTION

/* First match wins (see fsm.h). */
/* clang-format off */
static const struct fsm_row rows[] = {
/*	state			event		guard			action			next */
	{ RS_INITIALIZING,	RE_LOADED,	NO_GUARD,		RA_PREPARE,		RS_READY },
	{ RS_READY,		RE_START,	NO_GUARD,		RA_CREATE_MARKER,	RS_IN_PROGRESS },
	{ RS_IN_PROGRESS,	RE_CRITICAL,	NO_GUARD,		RA_PAUSE,		RS_PAUSED },
	{ RS_IN_PROGRESS,	RE_RESUME,	NO_GUARD,		RA_REATTACH,		RS_IN_PROGRESS },
	{ RS_IN_PROGRESS,	RE_ALL_FINAL,	NO_GUARD,		RA_FINALIZE,		RS_EXECUTION_COMPLETE },
	{ RS_PAUSED,		RE_CRITICAL,	NO_GUARD,		NO_ACTION,		RS_PAUSED },
	{ RS_PAUSED,		RE_RESOLVED,	RG_MORE_CRITICAL,	NO_ACTION,		RS_PAUSED },
	{ RS_PAUSED,		RE_RESOLVED,	NO_GUARD,		RA_UNPAUSE,		RS_IN_PROGRESS },
	{ RS_PAUSED,		RE_RESUME,	NO_GUARD,		RA_REATTACH,		RS_PAUSED },
	{ RS_EXECUTION_COMPLETE, RE_FINALIZED,	NO_GUARD,		NO_ACTION,		RS_COMPLETE },
	{ ANY,			RE_ABORT,	NO_GUARD,		RA_ABORT_RUN,		RS_ABORTED },
};
/* clang-format on */

const struct fsm_def fsm_run = {
	.name = "run",
	.rows = rows,
	.nrows = sizeof(rows) / sizeof(rows[0]),
	.initial = RS_INITIALIZING,
	.nstates = RS__COUNT,
	.nevents = RE__COUNT,
	.nguards = RG__COUNT,
	.nactions = RA__COUNT,
	.state_names = state_names,
	.state_docs = state_docs,
	.event_names = event_names,
	.event_docs = event_docs,
	.guard_names = guard_names,
	.guard_docs = guard_docs,
	.action_names = action_names,
	.action_docs = action_docs,
	.terminal = terminal,
};

/* The name lists and the enums come from the same X-macros. */
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == RS__COUNT, "run states");
_Static_assert(sizeof(event_names) / sizeof(event_names[0]) == RE__COUNT, "run events");
_Static_assert(sizeof(guard_names) / sizeof(guard_names[0]) == RG__COUNT, "run guards");
_Static_assert(sizeof(action_names) / sizeof(action_names[0]) == RA__COUNT, "run actions");
