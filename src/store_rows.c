/* SPDX-License-Identifier: MIT */
/*
 * store_rows.c: the store's statement helpers, shared by its files:
 * binding values, reading columns, stepping a statement that returns no
 * row, transactions, and reading one row or every row of a statement
 * through a row type (size, reader, release, callback). Like store.c it
 * must not print and must never put a value into SQL text.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"
#include "util.h"
/* Makes a statement ready for its next use; drops the borrowed bindings. */
void store__done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* A failed bind is a bug (bad index) or out of memory: abort-class. */
static void bind_check(sqlite3_stmt *st, int i, int rc)
{
	if (rc != SQLITE_OK)
		xdie("store: cannot bind parameter %d of '%s': %s", i, sqlite3_sql(st),
		     sqlite3_errstr(rc));
}

void store__bind_text(sqlite3_stmt *st, int i, const char *v)
{
	bind_check(st, i,
		   v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i));
}

void store__bind_int(sqlite3_stmt *st, int i, int64_t v)
{
	bind_check(st, i, sqlite3_bind_int64(st, i, v));
}

/* Binds v, or NULL when v equals none. */
void store__bind_int_or_null(sqlite3_stmt *st, int i, int64_t v, int64_t none)
{
	bind_check(st, i, v == none ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, v));
}

char *store__col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	return v ? xstrdup((const char *)v) : NULL;
}

int64_t store__col_int(sqlite3_stmt *st, int i, int64_t if_null)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? if_null : sqlite3_column_int64(st, i);
}

/* Steps a statement that returns no rows, then resets it. */
int store__exec(struct store *s, sqlite3_stmt *st, const char *what, char **cause)
{
	int ret = 0;

	s->last_error = SQLITE_OK;
	if (sqlite3_step(st) != SQLITE_DONE) {
		s->last_error = sqlite3_extended_errcode(s->db);
		ret = store__db_fail(s, what, cause);
	}
	store__done(st);
	return ret;
}

int store__tx_begin(struct store *s, const char *what, char **cause)
{
	/* in a batch: the first write opens the one transaction, the rest join it */
	if (s->batch && !sqlite3_get_autocommit(s->db))
		return 0;
	return store__exec(s, s->stmt[ST_BEGIN], what, cause);
}

int store__tx_commit(struct store *s, const char *what, char **cause)
{
	if (s->batch)
		return 0;
	return store__exec(s, s->stmt[ST_COMMIT], what, cause);
}

void store_batch_begin(struct store *s)
{
	s->batch++;
}

int store_batch_end(struct store *s, char **cause)
{
	if (s->batch <= 0 || --s->batch > 0 || sqlite3_get_autocommit(s->db))
		return 0;
	if (store__exec(s, s->stmt[ST_COMMIT], "commit a batch of writes", cause) < 0) {
		store__tx_rollback(s);
		return -1;
	}
	return 0;
}

/* Undoes the open transaction, if any; the caller already holds the cause. */
void store__tx_rollback(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return; /* none open, or sqlite rolled it back itself */
	sqlite3_step(s->stmt[ST_ROLLBACK]);
	sqlite3_reset(s->stmt[ST_ROLLBACK]);
}

int store__tx_end(struct store *s, int ret, const char *what, char **cause)
{
	if (ret == 0 && store__tx_commit(s, what, cause) < 0)
		ret = -1;
	if (ret != 0)
		store__tx_rollback(s);
	return ret;
}

/*
 * Runs one bound write statement in its own BEGIN IMMEDIATE transaction.
 * *changes (may be NULL) gets the number of rows it changed. Always resets st.
 */
int store__write_one(struct store *s, sqlite3_stmt *st, const char *what, int *changes,
		     char **cause)
{
	int ret = -1;

	if (store__tx_begin(s, what, cause) == 0 && store__exec(s, st, what, cause) == 0) {
		if (changes)
			*changes = sqlite3_changes(s->db);
		ret = 0;
	}
	ret = store__tx_end(s, ret, what, cause);
	store__done(st);
	return ret;
}

int store__write_row(struct store *s, sqlite3_stmt *st, const char *what, char **cause,
		     const char *missing, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	int changes = 0, ret;

	if (store__write_one(s, st, what, &changes, cause) < 0)
		return -1;
	if (changes)
		return 0;
	va_start(ap, missing);
	buf_vaddf(&b, missing, ap);
	va_end(ap);
	ret = store__fail(cause, "cannot %s: %s", what, b.s);
	buf_release(&b);
	return ret;
}

void store__read_text(sqlite3_stmt *st, void *row)
{
	*(char **)row = store__col_text(st, 0);
}

void store__read_int(sqlite3_stmt *st, void *row)
{
	*(int64_t *)row = sqlite3_column_int64(st, 0);
}

int store__get_row(struct store *s, sqlite3_stmt *st, store__read_fn *read, void *out,
		   const char *what, char **cause)
{
	int rc = sqlite3_step(st), ret;

	if (rc == SQLITE_ROW) {
		read(st, out);
		ret = 0;
	} else {
		ret = rc == SQLITE_DONE ? 1 : store__db_fail(s, what, cause);
	}
	store__done(st);
	return ret;
}

int store__read_rows(struct store *s, sqlite3_stmt *st, const struct store__row_type *type,
		     void **v, size_t *n, const char *what, char **cause)
{
	char *rows = NULL;
	size_t count = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows = grow_array(rows, &cap, count + 1, type->size);
		memset(rows + count * type->size, 0, type->size);
		type->read(st, rows + count++ * type->size);
	}
	if (rc != SQLITE_DONE) {
		store__db_fail(s, what, cause);
		store__done(st);
		store__free_rows(type, rows, count);
		return -1;
	}
	store__done(st);
	*v = rows;
	*n = count;
	return 0;
}

void store__free_rows(const struct store__row_type *type, void *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		type->release((char *)v + i * type->size);
	free(v);
}

int store__each_row(struct store *s, sqlite3_stmt *st, const struct store__row_type *type,
		    const struct store__cb *cb, const char *what, char **cause)
{
	void *v;
	size_t n;
	int ret = 0;

	if (store__read_rows(s, st, type, &v, &n, what, cause) < 0)
		return -1;
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = type->call((char *)v + i * type->size, cb);
	store__free_rows(type, v, n);
	return ret;
}

int store__each_in_run(struct store *s, enum store_stmt id, const char *run_id,
		       const struct store__row_type *type, const struct store__cb *cb,
		       const char *what, char **cause)
{
	sqlite3_stmt *st;

	if (!(st = store__prep(s, id, what, cause)))
		return -1;
	store__bind_text(st, 1, run_id);
	return store__each_row(s, st, type, cb, what, cause);
}
