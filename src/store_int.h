/* SPDX-License-Identifier: MIT */
/*
 * store_int.h: the state store's insides, shared by the store's files
 * (store.c: opening, migrations, the statements; store_runs.c,
 * store_journal.c, store_sessions.c, store_escalations.c; store_usage.c:
 * usage, waits and holds). Only these files include
 * sqlite3.h; nothing else may include this header.
 */
#ifndef AU_STORE_INT_H
#define AU_STORE_INT_H

#include <sqlite3.h>
#include <stdint.h>

#include "store.h"

/* Every statement the store runs, prepared on first use and kept. */
enum store_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_USER_VERSION,
	ST_RUN_INSERT,
	ST_RUN_GET,
	ST_RUN_STATE,
	ST_RUN_SET_STATE,
	ST_RUN_SET_PID,
	ST_RUN_LATEST_UNFINISHED,
	ST_RUN_LATEST,
	ST_RUN_LIST,
	ST_STORY_INSERT,
	ST_STORY_GET,
	ST_STORY_LIST,
	ST_STORY_ROWS,
	ST_STORY_STATE,
	ST_STORY_SET_STATE,
	ST_JOURNAL_INSERT,
	ST_JOURNAL_LIST,
	ST_JOURNAL_PENDING,
	ST_INTENT_STATUS,
	ST_INTENT_FINISH,
	ST_SESSION_INSERT,
	ST_SESSION_GET,
	ST_SESSION_LIST,
	ST_SESSION_SET_EXIT,
	ST_SESSION_SET_OFFSET,
	ST_SESSION_SET_SPAWNED,
	ST_TIME_VALID,
	ST_ESC_FIND_LIVE,
	ST_ESC_INSERT,
	ST_ESC_GET,
	ST_ESC_LIST,
	ST_ESC_STALE,
	ST_ESC_STATUS,
	ST_ESC_ACK,
	ST_ESC_ANSWER,
	ST_ESC_CLOSE,
	ST_ESC_REOPEN,
	ST_ESC_RENOTIFY,
	ST_ESC_RECOMMEND,
	ST_DECISION_INSERT,
	ST_DECISION_GET,
	ST_DECISION_SET_APPLIED,
	ST_DECISION_PENDING,
	ST__COUNT
};

/* Statement slots for the store's other files (store__prep_ext). */
enum store_ext_slot {
	SX_SESSION_USAGE,
	SX_USAGE_BY_STORY,
	SX_STORY_SET_WAIT,
	SX_STORY_SET_BUDGET,
	SX_WAIT_LIST,
	SX_HOLD_SET,
	SX_HOLD_LIST,
	STORE_EXT_SLOTS
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[64]; /* store.c's statements (enum store_stmt) */
	sqlite3_stmt *ext[STORE_EXT_SLOTS];
	int last_error; /* extended result code of the last exec_stmt() */
	int batch;      /* store_batch_begin depth: writes share one transaction */
};

/* Sets *cause (when cause is not NULL) to the message; returns -1. */
int store__fail(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "cannot WHAT: sqlite's message"; returns -1. */
int store__db_fail(struct store *s, const char *what, char **cause);
/* Now as "2026-11-22T03:04:05.123Z", newly allocated. */
char *store__iso_now(void);
/* The statement of slot, prepared from sql on first use and kept. */
sqlite3_stmt *store__prep_ext(struct store *s, int slot, const char *sql, const char *what,
			      char **cause);
/* Statement id (store.c's table), prepared on first use and kept. */
sqlite3_stmt *store__prep(struct store *s, enum store_stmt id, const char *what, char **cause);
/* Steps a statement that returns no rows, then resets it; sets last_error. */
int store__exec(struct store *s, sqlite3_stmt *st, const char *what, char **cause);
/* BEGIN IMMEDIATE, COMMIT, and ROLLBACK of the open transaction (if any). */
int store__tx_begin(struct store *s, const char *what, char **cause);
int store__tx_commit(struct store *s, const char *what, char **cause);
void store__tx_rollback(struct store *s);
/*
 * Ends the open transaction: commits it when ret is 0, else (or when the
 * commit fails) rolls it back. Returns ret, or -1 when the commit fails.
 */
int store__tx_end(struct store *s, int ret, const char *what, char **cause);
/* store_journal.c: fails unless t's story (or run) is in t->from_state. */
int store__expect_state(struct store *s, const struct store_transition *t, const char *what,
			char **cause);
/* store_journal.c: the journal row of t, inside the caller's transaction. */
int store__journal_insert(struct store *s, const struct store_transition *t, const char *at,
			  const char *what, char **cause);
/* Resets a statement and drops its bindings. */
void store__done(sqlite3_stmt *st);
void store__bind_text(sqlite3_stmt *st, int i, const char *v); /* NULL binds NULL */
void store__bind_int(sqlite3_stmt *st, int i, int64_t v);
void store__bind_int_or_null(sqlite3_stmt *st, int i, int64_t v, int64_t none);
char *store__col_text(sqlite3_stmt *st, int i); /* newly allocated, NULL for NULL */
int64_t store__col_int(sqlite3_stmt *st, int i, int64_t if_null);
/* One bound write in its own BEGIN IMMEDIATE transaction; resets st. */
int store__write_one(struct store *s, sqlite3_stmt *st, const char *what, int *changes,
		     char **cause);
/* store__write_one, failing with "cannot WHAT: MISSING" when no row changed. */
int store__write_row(struct store *s, sqlite3_stmt *st, const char *what, char **cause,
		     const char *missing, ...) __attribute__((format(printf, 5, 6)));

/* Reads the current row of st into row, a struct of the reader's type. */
typedef void store__read_fn(sqlite3_stmt *st, void *row);
/* Readers of the first column: text (char *, newly allocated) and int64_t. */
void store__read_text(sqlite3_stmt *st, void *row);
void store__read_int(sqlite3_stmt *st, void *row);

/* A caller's callback over rows, by the rows' type, and its argument. */
struct store__cb {
	union {
		store_story_fn story;
		store_session_fn session;
		store_journal_fn journal;
		store_escalation_fn escalation;
		store_decision_fn decision;
		store_usage_fn usage;
		store_wait_fn wait;
		store_hold_fn hold;
	} fn;
	void *arg;
};

/* A row type: its size, its reader, what frees a read row, and its callback. */
struct store__row_type {
	size_t size;
	store__read_fn *read;                                     /* into a zeroed row */
	void (*release)(void *row);                               /* frees what read allocated */
	int (*call)(const void *row, const struct store__cb *cb); /* NULL: no callback */
};

/* Steps st once: 0 with the row read into out, 1 when there is none, -1. Resets st. */
int store__get_row(struct store *s, sqlite3_stmt *st, store__read_fn *read, void *out,
		   const char *what, char **cause);
/* Every row of st into a new array *v of *n rows (untouched on failure). Resets st. */
int store__read_rows(struct store *s, sqlite3_stmt *st, const struct store__row_type *type,
		     void **v, size_t *n, const char *what, char **cause);
/* Releases the n rows of v, then frees v. */
void store__free_rows(const struct store__row_type *type, void *v, size_t n);
/*
 * Reads every row of st, then calls type->call on each until one returns
 * nonzero, which it returns; -1 when reading fails (no callback). Resets st.
 */
int store__each_row(struct store *s, sqlite3_stmt *st, const struct store__row_type *type,
		    const struct store__cb *cb, const char *what, char **cause);
/* store__each_row on statement id with the run id bound to ?1. */
int store__each_in_run(struct store *s, enum store_stmt id, const char *run_id,
		       const struct store__row_type *type, const struct store__cb *cb,
		       const char *what, char **cause);

#endif
