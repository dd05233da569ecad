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
	ST_STORY_INSERT,
	ST_STORY_GET,
	ST_STORY_LIST,
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

#endif
