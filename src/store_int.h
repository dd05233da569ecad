/*
 * store_int.h: the state store's insides, shared by the store's files
 * (store.c: runs, stories, the journal, sessions, escalations;
 * store_usage.c: usage, waits and holds). Only these files include
 * sqlite3.h; nothing else may include this header.
 */
#ifndef AU_STORE_INT_H
#define AU_STORE_INT_H

#include <sqlite3.h>
#include <stdint.h>

#include "store.h"

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
	sqlite3_stmt *stmt[64]; /* store.c's statements (enum stmt) */
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
