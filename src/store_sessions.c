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
static void read_session(sqlite3_stmt *st, struct store_session *out)
{
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

int store_session_get(struct store *s, const char *run_id, const char *story_id, const char *step,
		      int attempt, struct store_session *out, char **cause)
{
	const char *what = "read session";
	sqlite3_stmt *st;
	int rc, ret;

	if (!(st = store__prep(s, ST_SESSION_GET, what, cause)))
		return -1;
	store__bind_text(st, 1, run_id);
	store__bind_text(st, 2, story_id);
	store__bind_text(st, 3, step);
	store__bind_int(st, 4, attempt);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_session(st, out);
		ret = 0;
	} else {
		ret = rc == SQLITE_DONE ? 1 : store__db_fail(s, what, cause);
	}
	store__done(st);
	return ret;
}

int store_sessions_foreach(struct store *s, const char *run_id, store_session_fn fn, void *arg,
			   char **cause)
{
	const char *what = "list sessions";
	struct store_session *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (!(st = store__prep(s, ST_SESSION_LIST, what, cause)))
		return -1;
	store__bind_text(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ALLOC_GROW(v, n + 1, cap);
		read_session(st, &v[n++]);
	}
	if (rc != SQLITE_DONE)
		ret = store__db_fail(s, what, cause);
	store__done(st);
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = fn(&v[i], arg);
	for (size_t i = 0; i < n; i++)
		store_session_release(&v[i]);
	free(v);
	return ret;
}

int store_session_update_exit(struct store *s, int64_t id, int exit_status, int exit_signal,
			      const char *ended_at, char **cause)
{
	const char *what = "record session exit";
	char *now = NULL;
	sqlite3_stmt *st;
	int changes = 0, ret = -1;

	if (!(st = store__prep(s, ST_SESSION_SET_EXIT, what, cause)))
		return -1;
	store__bind_int(st, 1, id);
	store__bind_int_or_null(st, 2, exit_status, -1);
	store__bind_int_or_null(st, 3, exit_signal, 0);
	store__bind_text(st, 4, ended_at ? ended_at : (now = store__iso_now()));
	if (store__write_one(s, st, what, &changes, cause) == 0)
		ret = changes ? 0 : store__fail(cause, "cannot %s: no session %" PRId64, what, id);
	free(now);
	return ret;
}

int store_session_set_offset(struct store *s, int64_t id, int64_t offset, char **cause)
{
	const char *what = "record log offset";
	sqlite3_stmt *st;
	int changes = 0;

	if (!(st = store__prep(s, ST_SESSION_SET_OFFSET, what, cause)))
		return -1;
	store__bind_int(st, 1, id);
	store__bind_int(st, 2, offset);
	if (store__write_one(s, st, what, &changes, cause) < 0)
		return -1;
	return changes ? 0 : store__fail(cause, "cannot %s: no session %" PRId64, what, id);
}

int store_session_set_spawned(struct store *s, int64_t id, char **cause)
{
	const char *what = "record a spawned session";
	sqlite3_stmt *st;
	char *now;
	int changes = 0, ret;

	if (!(st = store__prep(s, ST_SESSION_SET_SPAWNED, what, cause)))
		return -1;
	now = store__iso_now();
	store__bind_int(st, 1, id);
	store__bind_text(st, 2, now);
	ret = store__write_one(s, st, what, &changes, cause);
	free(now);
	if (ret < 0)
		return -1;
	return changes ? 0 : store__fail(cause, "cannot %s: no session %" PRId64, what, id);
}
