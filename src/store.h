/* SPDX-License-Identifier: MIT */
/*
 * store.h: the state store. Runs, stories, agent sessions, escalations with
 * their answers, and the transition journal live in one sqlite database
 * (.automator/state.db); a state change and the intent of its side effect
 * are committed together, before the side effect runs, so a crash or kill -9
 * loses nothing.
 *
 * Conventions for every function below:
 * - Returns 0 on success and -1 on failure; a few return 1 for a named,
 *   expected outcome ("not found", "already exists"), documented with them.
 * - *cause is set if and only if -1 is returned: a newly allocated message
 *   (lowercase, no trailing period) that the caller frees. cause may be NULL.
 * - Out-parameters are untouched unless 0 is returned.
 * - Strings passed in are borrowed: bound or copied, never kept.
 * - Times are ISO 8601 UTC text ("2024-05-01T12:00:00.123Z"); a NULL time
 *   passed in means "now".
 * - A struct store is one database connection; use it from one thread. Other
 *   processes (or stores) may use the same file at once: writers wait up to
 *   the busy timeout (5000 ms unless set) for each other, readers never wait.
 * - State names are the fsm's ("IN_PROGRESS", "SPAWN"); the store does not
 *   interpret them, except that a run in COMPLETE or ABORTED is finished.
 */
#ifndef AU_STORE_H
#define AU_STORE_H

#include <stdbool.h>
#include <stdint.h>

struct store;

/*
 * Opens (creating when missing) the database at path, sets WAL, synchronous
 * NORMAL, a 5000 ms busy timeout and foreign keys, and migrates the schema to
 * the latest version, one transaction per migration. A database whose schema
 * is newer than this program is refused ("database schema version N is newer
 * than this automator (M)"). The directory must exist. On success *out is a
 * new store for store_close().
 */
int store_open(const char *path, struct store **out, char **cause);
/* Closes the connection and frees the store. store_close(NULL) is a no-op. */
void store_close(struct store *s);
/*
 * Writes between store_batch_begin and store_batch_end share one
 * transaction, committed at the end (nested batches count). Only for
 * writes that belong together and run no side effect in between (a
 * session's end: exit, offset, usage); a failed write rolls back what the
 * batch wrote before it. store_batch_end returns 0, or -1 with *cause.
 */
void store_batch_begin(struct store *s);
int store_batch_end(struct store *s, char **cause);
/* How long a write waits for another writer before failing (milliseconds). */
void store_set_busy_timeout(struct store *s, int ms);
/* The schema version of the open database (PRAGMA user_version). */
int store_schema_version(struct store *s, int *version, char **cause);
/* The schema version this program migrates to (the number of migrations). */
int store_schema_latest(void);

/*
 * A run. Filled by store_run_get(), where every string is owned by the struct
 * (free with store_run_release()); read-only input to store_run_create().
 */
struct store_run {
	char *id;
	char *sprint_file;
	char *project;
	char *root;
	char *state;
	char *started_at;  /* NULL on create: now */
	char *updated_at;  /* NULL on create: started_at */
	char *finished_at; /* NULL while the run is unfinished */
	int64_t pid;       /* 0 when unknown */
	char *agent;       /* run --agent NAME, for every story; NULL: the sprint's */
	char *target;      /* isolation: worktree: the branch stories integrate into */
};
void store_run_release(struct store_run *r);

/* Records a new run; id, sprint_file, project, root and state are required. */
int store_run_create(struct store *s, const struct store_run *r, char **cause);
/* Reads run id into *out. Returns 1 (out untouched) when there is no such run. */
int store_run_get(struct store *s, const char *id, struct store_run *out, char **cause);
/* Records the pid of the process now driving the run (0: none). */
/*
 * Every run, oldest first, into a new array *out of *n (updated_at: its
 * last transition, a story's included). Returns 0 or -1 with *cause.
 */
int store_runs_list(struct store *s, struct store_run **out, size_t *n, char **cause);
void store_runs_free(struct store_run *v, size_t n);
int store_run_set_pid(struct store *s, const char *id, int64_t pid, char **cause);
/*
 * The id of the most recently started run whose state is neither COMPLETE
 * nor ABORTED, newly allocated into *id_out. Returns 1 when there is none.
 */
int store_run_latest_unfinished(struct store *s, char **id_out, char **cause);
/* The id of the most recently started run, finished or not; 1 when there is none. */
int store_run_latest(struct store *s, char **id_out, char **cause);

/*
 * A story of a run. Filled by store_story_get() and passed to
 * store_stories_foreach() callbacks, with owned strings (store_story_release()
 * for the former; the store frees the latter after the callback); read-only
 * input to store_story_add().
 */
struct store_story {
	char *story_id;
	char *story_key;
	int position; /* dispatch order, unique in the run */
	char *state;
	int step_index;
	char *step_name; /* NULL before the first step */
	int attempt;
	int cycle;
	int retries_used;
	int crash_retries_used;
	char *base_commit; /* NULL until recorded */
	char *updated_at;  /* NULL on add: now */
};
void store_story_release(struct store_story *st);

/* Adds a story to run_id; story_id, story_key and state are required. */
int store_story_add(struct store *s, const char *run_id, const struct store_story *st,
		    char **cause);
/*
 * Records a new run and its n stories in one transaction: after a crash
 * either the run with all its stories is there, or nothing is.
 */
int store_run_create_with(struct store *s, const struct store_run *r,
			  const struct store_story *stories, size_t n, char **cause);
/* Reads one story into *out. Returns 1 (out untouched) when there is no such story. */
int store_story_get(struct store *s, const char *run_id, const char *story_id,
		    struct store_story *out, char **cause);

/*
 * Walks the stories of run_id in position order. All rows are read before
 * the first call, so the callback may call any store function. A callback
 * returns 0 to go on; any other value stops the walk and is returned as is
 * (*cause untouched). Otherwise returns 0, or -1 with *cause on a store error.
 */
typedef int (*store_story_fn)(const struct store_story *st, void *arg);
int store_stories_foreach(struct store *s, const char *run_id, store_story_fn fn, void *arg,
			  char **cause);

/*
 * A story with the session of its current step attempt and its wait, as
 * filled by store_story_rows(): of the story, only story_id, story_key,
 * position, state, step_name, attempt and cycle (the rest is zero: what
 * status and log use, read at 10,000 rows; store_story_get() has it all).
 * Every string of a row lives in one block the row owns (strings): free
 * the rows with store_story_rows_free(), never a string alone nor the
 * story with store_story_release().
 */
struct store_story_row {
	struct store_story
		story;     /* id, key, position, state, step_name, attempt, cycle, updated_at */
	char *tmux_name;   /* the session of the story's step_name and attempt; NULL: none */
	char *log_path;    /* that session's log; NULL: none */
	char *wait_until;  /* store_story_set_wait()'s until; NULL: the story does not wait */
	char *wait_reason; /* and its reason; NULL: none recorded */
	char *strings;     /* owns the strings above */
};
/*
 * Reads every story of run_id in position order, each with the session of
 * its current step and attempt (the one store_session_get() would find), in
 * one statement. *out gets a newly allocated array of *n rows (NULL and 0
 * when the run has no stories) for store_story_rows_free().
 */
int store_story_rows(struct store *s, const char *run_id, struct store_story_row **out, size_t *n,
		     char **cause);
/* Frees the n rows of v; store_story_rows_free(NULL, 0) is a no-op. */
void store_story_rows_free(struct store_story_row *v, size_t n);

/* Which story counters a transition sets (bits of store_transition.set). */
enum {
	STORE_SET_STEP_INDEX = 1 << 0,
	STORE_SET_STEP_NAME = 1 << 1,
	STORE_SET_ATTEMPT = 1 << 2,
	STORE_SET_CYCLE = 1 << 3,
	STORE_SET_RETRIES_USED = 1 << 4,
	STORE_SET_CRASH_RETRIES_USED = 1 << 5,
	STORE_SET_BASE_COMMIT = 1 << 6,
};

/*
 * One transition to journal. story_id NULL means the run machine (machine
 * must then be "run"; otherwise "story", as fsm_def.name spells them). guard,
 * action and intent may be NULL. The story fields named in set are written
 * with the state (a story transition only); the others are left alone.
 */
struct store_transition {
	const char *run_id;
	const char *machine;
	const char *story_id;
	const char *from_state;
	const char *event;
	const char *guard;
	const char *action;
	const char *to_state;
	const char *intent; /* JSON of the side effect about to run, or NULL */
	const char *at;     /* NULL: now */
	unsigned set;       /* STORE_SET_* bits */
	int step_index;
	const char *step_name;
	int attempt;
	int cycle;
	int retries_used;
	int crash_retries_used;
	const char *base_commit;
};

/*
 * Applies t in one BEGIN IMMEDIATE transaction: checks that the run's or
 * story's current state is t->from_state (else fails with "state of story
 * 'X' is Y, not Z", or "state of run ..."; this catches a transition applied
 * twice), sets the state to t->to_state (and the counters in t->set; a run
 * entering COMPLETE or ABORTED gets finished_at), and appends the journal row
 * with the intent, 'pending' when t->intent is set. On any failure nothing
 * is written. *seq_out (may be NULL) gets the journal row's seq.
 */
int store_transition(struct store *s, const struct store_transition *t, int64_t *seq_out,
		     char **cause);

enum store_intent_status {
	STORE_INTENT_NONE,    /* the transition has no side effect */
	STORE_INTENT_PENDING, /* journaled; not known to have finished */
	STORE_INTENT_DONE,
	STORE_INTENT_FAILED,
};

/*
 * A journal row, as passed to the journal walks' callbacks. Every string is
 * owned by the store and valid during the callback only.
 */
struct store_journal_entry {
	int64_t seq;
	char *run_id;
	char *machine;  /* "run" or "story" */
	char *story_id; /* NULL for the run machine */
	char *from_state;
	char *event;
	char *guard;  /* may be NULL */
	char *action; /* may be NULL */
	char *to_state;
	char *at;
	char *intent; /* NULL when intent_status is STORE_INTENT_NONE */
	enum store_intent_status intent_status;
	char *intent_result; /* NULL until finished with a result */
};
/* Callback for the journal walks; returns as for store_story_fn. */
typedef int (*store_journal_fn)(const struct store_journal_entry *e, void *arg);

/*
 * Marks the pending intent of journal row seq done (ok) or failed, with an
 * optional JSON result. Fails when the row has no intent or it already
 * finished.
 */
int store_intent_finish(struct store *s, int64_t seq, bool ok, const char *result_json,
			char **cause);
/*
 * Walks the intents of run_id still pending, in seq order: the side effects
 * resume must redo (idempotently). Returns as store_stories_foreach().
 */
int store_pending_intents(struct store *s, const char *run_id, store_journal_fn fn, void *arg,
			  char **cause);
/* Walks the whole journal of run_id in seq order (for replay); as above. */
int store_journal_foreach(struct store *s, const char *run_id, store_journal_fn fn, void *arg,
			  char **cause);

/*
 * An agent session of one step attempt. Filled by store_session_get() with
 * owned strings (store_session_release()); read-only input to
 * store_session_add(), which ignores id, exit_*, ended_at and log_offset.
 */
struct store_session {
	int64_t id;
	char *run_id;
	char *story_id;
	char *step;
	int attempt;
	char *tmux_name;
	char *log_path;
	int64_t log_offset; /* bytes of the log already judged */
	int exit_status;    /* -1 while running, or when it ended on a signal */
	int exit_signal;    /* 0 when none */
	char *started_at;   /* NULL on add: now */
	char *ended_at;     /* NULL while running */
	char *spawned_at;   /* NULL until store_session_set_spawned */
};
void store_session_release(struct store_session *ss);

/*
 * Records a session about to be spawned; *id_out (may be NULL) gets its id.
 * Returns 1 (nothing written, *cause untouched) when a session for the same
 * run, story, step and attempt exists: that attempt was already spawned.
 */
int store_session_add(struct store *s, const struct store_session *ss, int64_t *id_out,
		      char **cause);
/* Reads the session of one step attempt. Returns 1 when there is none. */
int store_session_get(struct store *s, const char *run_id, const char *story_id, const char *step,
		      int attempt, struct store_session *out, char **cause);
/*
 * Walks the sessions of run_id in the order they were added (id order);
 * the store frees each after its callback. Returns as
 * store_stories_foreach().
 */
typedef int (*store_session_fn)(const struct store_session *ss, void *arg);
int store_sessions_foreach(struct store *s, const char *run_id, store_session_fn fn, void *arg,
			   char **cause);
/* Records how session id ended (exit_status -1 / exit_signal 0: none); ended_at NULL: now. */
int store_session_update_exit(struct store *s, int64_t id, int exit_status, int exit_signal,
			      const char *ended_at, char **cause);
/* Records how far the session's log has been read. */
int store_session_set_offset(struct store *s, int64_t id, int64_t offset, char **cause);
/* Records that tmux accepted session id (spawned_at = now). */
int store_session_set_spawned(struct store *s, int64_t id, char **cause);

/*
 * An escalation: a trigger (data/triggers.yaml) that needs a human. Its
 * status goes open -> acked (optional) -> answered -> closed, or back from
 * answered to open when the answer only asked to look (view_output, attach).
 * At most one escalation per run, story (or the run itself) and trigger is
 * not closed, across processes too.
 *
 * Filled by store_escalation_get() with owned strings
 * (store_escalation_release()) and passed to the escalation walks'
 * callbacks (the store frees those after the callback); read-only input to
 * store_escalation_open(), which reads run_id through options and ignores
 * the rest.
 */
struct store_escalation {
	int64_t id;
	char *run_id;
	char *story_id; /* NULL: an escalation of the run */
	char *step;     /* may be NULL */
	char *trigger;  /* the trigger's key, e.g. "git-commit-failure" */
	char *category; /* "CRITICAL" or "PREFERENCE" */
	char *severity; /* "MEDIUM", "HIGH" or "CRITICAL"; raised by renotify */
	char *message;  /* rendered */
	char *options;  /* JSON array of {"key","label","action"}; NULL on open: [] */
	char *status;   /* "open", "acked", "answered" or "closed" */
	/* the latest answer; NULL until answered, kept if it reopens */
	char *chosen;
	char *reply; /* NULL when the answer had none */
	char *answered_by;
	char *answered_at;
	char *acked_by; /* NULL unless acknowledged */
	char *acked_at;
	char *created_at;
	char *notified_at; /* the last notification, the time stale is measured from */
	char *closed_at;   /* NULL until closed */
	char *closed_reason;
	int reescalations;    /* stale re-notifications so far */
	char *recommendation; /* the operator's, JSON {option, rationale, confidence, at}; or NULL */
};
void store_escalation_release(struct store_escalation *e);
/* Records the operator's recommendation (JSON text) on escalation id. 0, or -1 with *cause. */
int store_escalation_recommend(struct store *s, int64_t id, const char *json, char **cause);

/*
 * Raises an open escalation, with created_at and notified_at set to at, and
 * journals it in the same BEGIN IMMEDIATE transaction: a row of the story
 * machine (the run machine when e->story_id is NULL) with event ESCALATE,
 * action e->trigger, no intent, and from and to state both state, which must
 * be the story's (or run's) current state (else fails as store_transition()
 * does). run_id, trigger, category, severity, message and state are
 * required; step and options may be NULL. On success *id_out (may be NULL)
 * gets the new id. Returns 1 when an escalation of the same run, story (or
 * run) and trigger is not closed: nothing is written and *id_out gets that
 * escalation's id (the one exception to "untouched unless 0").
 */
int store_escalation_open(struct store *s, const struct store_escalation *e, const char *state,
			  const char *at, int64_t *id_out, char **cause);
/* Reads escalation id into *out. Returns 1 (out untouched) when there is none. */
int store_escalation_get(struct store *s, int64_t id, struct store_escalation *out, char **cause);

/* Callback for the escalation walks; returns as for store_story_fn. */
typedef int (*store_escalation_fn)(const struct store_escalation *e, void *arg);
/*
 * Walks the escalations of run_id (NULL: of every run) in id order; only
 * those not closed when open_only. Returns as store_stories_foreach().
 */
int store_escalations_foreach(struct store *s, const char *run_id, bool open_only,
			      store_escalation_fn fn, void *arg, char **cause);

/*
 * Acknowledges an open escalation: status acked, acked_by who (required),
 * acked_at at. Acked escalations are not re-notified. Returns 1 when there is
 * no escalation id; fails with "escalation N is STATUS, not open" otherwise.
 */
int store_escalation_ack(struct store *s, int64_t id, const char *who, const char *at,
			 char **cause);
/*
 * Records an answer to an open or acked escalation in one transaction: the
 * escalation becomes answered (chosen, reply, answered_by, answered_at) and a
 * decision row is added (choice, reply, source who, at; not yet applied),
 * whose id goes to *decision_id (may be NULL). choice and who are required;
 * reply may be NULL. The choice is not checked against the options: the
 * caller does that. Returns 1 when there is no escalation id; fails with
 * "escalation N is already answered" or "escalation N is closed".
 */
int store_escalation_answer(struct store *s, int64_t id, const char *choice, const char *reply,
			    const char *who, const char *at, int64_t *decision_id, char **cause);
/*
 * Closes an escalation that is not closed: status closed, closed_reason
 * reason (required), closed_at at. Returns 1 when there is no escalation id;
 * fails with "escalation N is already closed". An answer not yet applied is
 * withdrawn: store_decisions_pending() no longer lists it.
 */
int store_escalation_close(struct store *s, int64_t id, const char *reason, const char *at,
			   char **cause);
/*
 * Re-sends a stale escalation: severity new_severity, notified_at at,
 * reescalations + 1. Returns 1 (nothing written) when the escalation is not
 * open (acked, answered, closed) or does not exist.
 */
int store_escalation_renotify(struct store *s, int64_t id, const char *new_severity, const char *at,
			      char **cause);
/*
 * Walks the open (not acked) escalations of run_id (NULL: of every run) last
 * notified before the time before and re-notified fewer than
 * max_reescalations times, in id order. Times are compared as times, so
 * "...:05Z" and "...:05.000Z" are equal; a before that is not a time fails.
 * Returns as store_stories_foreach().
 */
int store_escalations_stale(struct store *s, const char *run_id, const char *before,
			    int max_reescalations, store_escalation_fn fn, void *arg, char **cause);

/*
 * An answer waiting to be acted on, with what it answers, as passed to the
 * store_decisions_pending() callback. Every string is owned by the store and
 * valid during the callback only.
 */
struct store_decision {
	int64_t id;
	int64_t escalation_id;
	char *story_id; /* NULL: an escalation of the run */
	char *step;     /* may be NULL */
	char *trigger;
	char *category;
	char *choice;
	char *reply;  /* may be NULL */
	char *source; /* who answered */
	char *at;     /* when */
};
typedef int (*store_decision_fn)(const struct store_decision *d, void *arg);
/*
 * Walks the decisions of run_id not yet applied whose escalation is still
 * answered (closing it withdraws them), in decision id order. Returns as
 * store_stories_foreach().
 */
int store_decisions_pending(struct store *s, const char *run_id, store_decision_fn fn, void *arg,
			    char **cause);
/*
 * Marks decision_id applied at at, and in the same transaction settles its
 * escalation if it is still answered: close makes it closed (closed_reason
 * "answered", closed_at at); otherwise (the human only looked, and will
 * answer again) it is open again with notified_at at, so stale is measured
 * from that moment. Returns 1 when there is no decision decision_id; fails with
 * "decision N is already applied".
 */
int store_decision_applied(struct store *s, int64_t decision_id, bool close, const char *at,
			   char **cause);

/* ---- usage, waits and holds (store_usage.c) ---- */

/* What agents reported they used: one session, or a sum. */
struct store_usage {
	int sessions;  /* ended sessions summed (1 for one session) */
	bool has_cost; /* some session reported a cost */
	double cost_usd;
	int64_t input_tokens, output_tokens, cache_read_tokens, cache_write_tokens;
	int64_t turns;
	int64_t duration_ms;
};

/* Records session id's usage (replacing any). */
int store_session_set_usage(struct store *s, int64_t id, const struct store_usage *u, char **cause);
typedef int (*store_usage_fn)(const char *story_id, const struct store_usage *sum, void *arg);
/*
 * Walks the sums of the sessions of run_id per story (stories without
 * sessions are left out). fn's strings are valid during the call.
 */
int store_usage_foreach(struct store *s, const char *run_id, store_usage_fn fn, void *arg,
			char **cause);

/* A story's wait (all NULL: it does not wait) and raised budget. */
struct store_wait {
	char *story_id;
	char *until;   /* ISO 8601 UTC */
	char *reason;  /* "usage-limit", ... */
	char *since;   /* ISO 8601 UTC: waiting without progress since */
	double budget; /* the story's raised cost budget; 0: none */
};
void store_wait_release(struct store_wait *w);
/*
 * Sets the story's wait: until (and its reason; NULL: not waiting now) and
 * since (NULL: no wait in a row). All NULL: no wait at all.
 */
int store_story_set_wait(struct store *s, const char *run_id, const char *story_id,
			 const char *until, const char *reason, const char *since, char **cause);
int store_story_set_budget(struct store *s, const char *run_id, const char *story_id, double budget,
			   char **cause);
typedef int (*store_wait_fn)(const struct store_wait *w, void *arg);
/* Walks the stories of run_id that wait, waited in a row, or have a raised budget. */
int store_waits_foreach(struct store *s, const char *run_id, store_wait_fn fn, void *arg,
			char **cause);

/* Holds: no session of the agent preset starts in run_id before until. */
int store_hold_set(struct store *s, const char *run_id, const char *agent, const char *until,
		   const char *reason, char **cause);
typedef int (*store_hold_fn)(const char *agent, const char *until, const char *reason, void *arg);
int store_holds_foreach(struct store *s, const char *run_id, store_hold_fn fn, void *arg,
			char **cause);

/* What kind of failure the last failed database call of this process met. */
enum store_fault {
	STORE_FAULT_NONE,
	STORE_FAULT_DAMAGED, /* not a database, or a corrupt one (SQLITE_CORRUPT, NOTADB) */
	STORE_FAULT_FULL,    /* the disk is full (SQLITE_FULL) */
	STORE_FAULT_IO,      /* an I/O error, or the file cannot be opened */
	STORE_FAULT_OTHER,
};
enum store_fault store_last_fault(void);

#endif
