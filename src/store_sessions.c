/* SPDX-License-Identifier: MIT */
/*
 * store_sessions.c: agent sessions, one row per step attempt.
 * Bound parameters only (store.c has the statements).
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "store_int.h"
#include "util.h"

void store_session_release(struct store_session *ss)
{
	free(ss->run_id);
	free(ss->story_id);
	free(ss->step);
	free(ss->tmux_name);
	free(ss->log_path);
	free(ss->started_at);
	free(ss->ended_at);
	free(ss->spawned_at);
	memset(ss, 0, sizeof(*ss));
}

int store_session_add(struct store *s, const struct store_session *ss, int64_t *id_out,
		      char **cause)
{
	const char *what = "add session";
	char *now = NULL, *err = NULL;
	sqlite3_stmt *st;
	int ret = -1;

	if (!(st = store__prep(s, ST_SESSION_INSERT, what, cause)))
		return -1;
	store__bind_text(st, 1, ss->run_id);
	store__bind_text(st, 2, ss->story_id);
	store__bind_text(st, 3, ss->step);
	store__bind_int(st, 4, ss->attempt);
	store__bind_text(st, 5, ss->tmux_name);
	store__bind_text(st, 6, ss->log_path);
	store__bind_text(st, 7, ss->started_at ? ss->started_at : (now = store__iso_now()));
	if (store__write_one(s, st, what, NULL, &err) == 0) {
		if (id_out)
			*id_out = sqlite3_last_insert_rowid(s->db);
		ret = 0;
	} else if (s->last_error == SQLITE_CONSTRAINT_UNIQUE) {
		ret = 1;
	} else if (s->last_error == SQLITE_CONSTRAINT_FOREIGNKEY) {
		store__fail(cause, "cannot %s: no story '%s' in run '%s'", what, ss->story_id,
			    ss->run_id);
	} else {
		store__fail(cause, "%s", err);
	}
	free(err);
	free(now);
	return ret;
}

/* Reads the current row of a session statement (SESSION_COLUMNS). */
static void read_session(sqlite3_stmt *st, void *row)
{
	struct store_session *out = row;

	out->id = sqlite3_column_int64(st, 0);
	out->run_id = store__col_text(st, 1);
	out->story_id = store__col_text(st, 2);
	out->step = store__col_text(st, 3);
	out->attempt = sqlite3_column_int(st, 4);
	out->tmux_name = store__col_text(st, 5);
	out->log_path = store__col_text(st, 6);
	out->log_offset = sqlite3_column_int64(st, 7);
	out->exit_status = (int)store__col_int(st, 8, -1);
	out->exit_signal = (int)store__col_int(st, 9, 0);
	out->started_at = store__col_text(st, 10);
	out->ended_at = store__col_text(st, 11);
	out->spawned_at = store__col_text(st, 12);
}

static void release_session(void *row)
{
	store_session_release(row);
}

static int call_session(const void *row, const struct store__cb *cb)
{
	return cb->fn.session(row, cb->arg);
}

static const struct store__row_type session_type = { sizeof(struct store_session), read_session,
						     release_session, call_session };

int store_session_get(struct store *s, const char *run_id, const char *story_id, const char *step,
		      int attempt, struct store_session *out, char **cause)
{
	const char *what = "read session";
	sqlite3_stmt *st;

	if (!(st = store__prep(s, ST_SESSION_GET, what, cause)))
		return -1;
	store__bind_text(st, 1, run_id);
	store__bind_text(st, 2, story_id);
	store__bind_text(st, 3, step);
	store__bind_int(st, 4, attempt);
	return store__get_row(s, st, read_session, out, what, cause);
}

int store_sessions_foreach(struct store *s, const char *run_id, store_session_fn fn, void *arg,
			   char **cause)
{
	struct store__cb cb = { .fn.session = fn, .arg = arg };

	return store__each_in_run(s, ST_SESSION_LIST, run_id, &session_type, &cb, "list sessions",
				  cause);
}

int store_session_update_exit(struct store *s, int64_t id, int exit_status, int exit_signal,
			      const char *ended_at, char **cause)
{
	const char *what = "record session exit";
	char *now = NULL;
	sqlite3_stmt *st;
	int ret;

	if (!(st = store__prep(s, ST_SESSION_SET_EXIT, what, cause)))
		return -1;
	store__bind_int(st, 1, id);
	store__bind_int_or_null(st, 2, exit_status, -1);
	store__bind_int_or_null(st, 3, exit_signal, 0);
	store__bind_text(st, 4, ended_at ? ended_at : (now = store__iso_now()));
	ret = store__write_row(s, st, what, cause, "no session %" PRId64, id);
	free(now);
	return ret;
}

int store_session_set_offset(struct store *s, int64_t id, int64_t offset, char **cause)
{
	const char *what = "record log offset";
	sqlite3_stmt *st;

	if (!(st = store__prep(s, ST_SESSION_SET_OFFSET, what, cause)))
		return -1;
	store__bind_int(st, 1, id);
	store__bind_int(st, 2, offset);
	return store__write_row(s, st, what, cause, "no session %" PRId64, id);
}

int store_session_set_spawned(struct store *s, int64_t id, char **cause)
{
	const char *what = "record a spawned session";
	sqlite3_stmt *st;
	char *now;
	int ret;

	if (!(st = store__prep(s, ST_SESSION_SET_SPAWNED, what, cause)))
		return -1;
	now = store__iso_now();
	store__bind_int(st, 1, id);
	store__bind_text(st, 2, now);
	ret = store__write_row(s, st, what, cause, "no session %" PRId64, id);
	free(now);
	return ret;
}
