/*
 * store.c: the state store on sqlite3, the only file that includes
 * sqlite3.h. It opens and migrates the database, and reads and writes runs,
 * stories, sessions, escalations, decisions and the transition journal,
 * every write in its own BEGIN IMMEDIATE transaction (a deferred one that
 * upgrades fails at once with SQLITE_BUSY_SNAPSHOT, ignoring the busy
 * timeout).
 *
 * It must not decide which transitions are legal (the fsm tables do; the
 * store only checks the from-state it is told), must not run side effects,
 * must not print, and must never put a value into SQL text: every statement
 * is prepared once per store from a constant and takes bound parameters.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "migrations.h"
#include "store.h"
#include "store_int.h"
#include "util.h"

#define STORE_BUSY_TIMEOUT_MS 5000

/* Every statement the store runs, prepared on first use and kept. */
enum stmt {
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

#define RUN_COLUMNS \
	"id, sprint_file, project, root, state, started_at, updated_at, finished_at, pid, agent"
#define STORY_COLUMNS                                                                   \
	"story_id, story_key, position, state, step_index, step_name, attempt, cycle, " \
	"retries_used, crash_retries_used, base_commit, updated_at"
#define JOURNAL_COLUMNS                                                                    \
	"seq, run_id, machine, story_id, from_state, event, guard, action, to_state, at, " \
	"intent, intent_status, intent_result"
#define SESSION_COLUMNS                                                                       \
	"id, run_id, story_id, step, attempt, tmux_name, log_path, log_offset, exit_status, " \
	"exit_signal, started_at, ended_at"
#define ESCALATION_COLUMNS                                                                  \
	"id, run_id, story_id, step, \"trigger\", category, severity, message, options, "   \
	"status, chosen, reply, answered_by, answered_at, acked_by, acked_at, created_at, " \
	"notified_at, closed_at, closed_reason, reescalations"

/* clang-format off */
_Static_assert(ST__COUNT <= 64, "struct store (store_int.h) holds 64 statements");

static const char *const stmt_sql[ST__COUNT] = {
	/* statement: its SQL (prepared once per store, on first use) */
	[ST_BEGIN] =
		"BEGIN IMMEDIATE",
	[ST_COMMIT] =
		"COMMIT",
	[ST_ROLLBACK] =
		"ROLLBACK",
	[ST_USER_VERSION] =
		"PRAGMA user_version",
	[ST_RUN_INSERT] =
		"INSERT INTO runs (" RUN_COLUMNS ") "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?9)",
	[ST_RUN_GET] =
		"SELECT " RUN_COLUMNS " FROM runs WHERE id = ?1",
	[ST_RUN_STATE] =
		"SELECT state FROM runs WHERE id = ?1",
	[ST_RUN_SET_STATE] =
		"UPDATE runs SET state = ?2, updated_at = ?3, "
		"finished_at = CASE WHEN ?2 IN ('COMPLETE', 'ABORTED') "
		"THEN ?3 ELSE finished_at END WHERE id = ?1",
	[ST_RUN_SET_PID] =
		"UPDATE runs SET pid = ?2 WHERE id = ?1",
	[ST_RUN_LATEST_UNFINISHED] =
		"SELECT id FROM runs WHERE state NOT IN ('COMPLETE', 'ABORTED') "
		"ORDER BY started_at DESC, rowid DESC LIMIT 1",
	[ST_RUN_LATEST] =
		"SELECT id FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1",
	[ST_STORY_INSERT] =
		"INSERT INTO stories (run_id, " STORY_COLUMNS ") VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[ST_STORY_GET] =
		"SELECT " STORY_COLUMNS " FROM stories "
		"WHERE run_id = ?1 AND story_id = ?2",
	[ST_STORY_LIST] =
		"SELECT " STORY_COLUMNS " FROM stories WHERE run_id = ?1 "
		"ORDER BY position",
	[ST_STORY_STATE] =
		"SELECT state FROM stories WHERE run_id = ?1 AND story_id = ?2",
	/* ?2k+3 says whether to set a column, ?2k+4 holds its value */
	[ST_STORY_SET_STATE] =
		"UPDATE stories SET state = ?3, updated_at = ?4, "
		"step_index = CASE WHEN ?5 THEN ?6 ELSE step_index END, "
		"step_name = CASE WHEN ?7 THEN ?8 ELSE step_name END, "
		"attempt = CASE WHEN ?9 THEN ?10 ELSE attempt END, "
		"cycle = CASE WHEN ?11 THEN ?12 ELSE cycle END, "
		"retries_used = CASE WHEN ?13 THEN ?14 ELSE retries_used END, "
		"crash_retries_used = CASE WHEN ?15 THEN ?16 "
		"ELSE crash_retries_used END, "
		"base_commit = CASE WHEN ?17 THEN ?18 ELSE base_commit END "
		"WHERE run_id = ?1 AND story_id = ?2",
	[ST_JOURNAL_INSERT] =
		"INSERT INTO transitions (run_id, machine, story_id, from_state, "
		"event, guard, action, to_state, at, intent, intent_status) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
		"CASE WHEN ?10 IS NULL THEN 'none' ELSE 'pending' END)",
	[ST_JOURNAL_LIST] =
		"SELECT " JOURNAL_COLUMNS " FROM transitions WHERE run_id = ?1 "
		"ORDER BY seq",
	[ST_JOURNAL_PENDING] =
		"SELECT " JOURNAL_COLUMNS " FROM transitions WHERE run_id = ?1 "
		"AND intent_status = 'pending' ORDER BY seq",
	[ST_INTENT_STATUS] =
		"SELECT intent_status FROM transitions WHERE seq = ?1",
	[ST_INTENT_FINISH] =
		"UPDATE transitions SET intent_status = ?2, intent_result = ?3 "
		"WHERE seq = ?1",
	[ST_SESSION_INSERT] =
		"INSERT INTO sessions (run_id, story_id, step, attempt, tmux_name, "
		"log_path, started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_SESSION_GET] =
		"SELECT " SESSION_COLUMNS " FROM sessions WHERE run_id = ?1 "
		"AND story_id = ?2 AND step = ?3 AND attempt = ?4",
	[ST_SESSION_LIST] =
		"SELECT " SESSION_COLUMNS " FROM sessions WHERE run_id = ?1 ORDER BY id",
	[ST_SESSION_SET_EXIT] =
		"UPDATE sessions SET exit_status = ?2, exit_signal = ?3, "
		"ended_at = ?4 WHERE id = ?1",
	[ST_SESSION_SET_OFFSET] =
		"UPDATE sessions SET log_offset = ?2 WHERE id = ?1",
	[ST_TIME_VALID] =
		"SELECT julianday(?1) IS NOT NULL",
	/* the rule of the unique index escalations_one_live (002) */
	[ST_ESC_FIND_LIVE] =
		"SELECT id FROM escalations WHERE run_id = ?1 "
		"AND coalesce(story_id, '') = coalesce(?2, '') AND \"trigger\" = ?3 "
		"AND status != 'closed'",
	[ST_ESC_INSERT] =
		"INSERT INTO escalations (run_id, story_id, step, \"trigger\", category, "
		"severity, message, options, status, created_at, notified_at) VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce(?8, '[]'), 'open', ?9, ?9)",
	[ST_ESC_GET] =
		"SELECT " ESCALATION_COLUMNS " FROM escalations WHERE id = ?1",
	/* ?1 NULL: every run; ?2: open only */
	[ST_ESC_LIST] =
		"SELECT " ESCALATION_COLUMNS " FROM escalations "
		"WHERE (?1 IS NULL OR run_id = ?1) AND (?2 = 0 OR status != 'closed') "
		"ORDER BY id",
	/* compared as times, not text: "05Z" and "05.000Z" are the same second */
	[ST_ESC_STALE] =
		"SELECT " ESCALATION_COLUMNS " FROM escalations "
		"WHERE (?1 IS NULL OR run_id = ?1) AND status = 'open' "
		"AND julianday(notified_at) < julianday(?2) AND reescalations < ?3 "
		"ORDER BY id",
	[ST_ESC_STATUS] =
		"SELECT status FROM escalations WHERE id = ?1",
	[ST_ESC_ACK] =
		"UPDATE escalations SET status = 'acked', acked_by = ?2, acked_at = ?3 "
		"WHERE id = ?1",
	[ST_ESC_ANSWER] =
		"UPDATE escalations SET status = 'answered', chosen = ?2, reply = ?3, "
		"answered_by = ?4, answered_at = ?5 WHERE id = ?1",
	[ST_ESC_CLOSE] =
		"UPDATE escalations SET status = 'closed', closed_reason = ?2, "
		"closed_at = ?3 WHERE id = ?1",
	[ST_ESC_REOPEN] =
		"UPDATE escalations SET status = 'open', notified_at = ?2 WHERE id = ?1",
	[ST_ESC_RENOTIFY] =
		"UPDATE escalations SET severity = ?2, notified_at = ?3, "
		"reescalations = reescalations + 1 WHERE id = ?1 AND status = 'open'",
	[ST_DECISION_INSERT] =
		"INSERT INTO decisions (escalation_id, choice, reply, source, at) "
		"VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_DECISION_GET] =
		"SELECT d.escalation_id, d.applied_at IS NOT NULL, e.status "
		"FROM decisions d JOIN escalations e ON e.id = d.escalation_id "
		"WHERE d.id = ?1",
	[ST_DECISION_SET_APPLIED] =
		"UPDATE decisions SET applied_at = ?2 WHERE id = ?1",
	[ST_DECISION_PENDING] =
		"SELECT d.id, d.escalation_id, e.story_id, e.step, e.\"trigger\", "
		"e.category, d.choice, d.reply, d.source, d.at "
		"FROM decisions d JOIN escalations e ON e.id = d.escalation_id "
		"WHERE e.run_id = ?1 AND d.applied_at IS NULL AND e.status = 'answered' "
		"ORDER BY d.id",
};

/* Indexed by enum store_intent_status; the CHECK of transitions.intent_status. */
static const char *const intent_status_names[] = {
	[STORE_INTENT_NONE] =		"none",
	[STORE_INTENT_PENDING] =	"pending",
	[STORE_INTENT_DONE] =		"done",
	[STORE_INTENT_FAILED] =		"failed",
};
/* clang-format on */

sqlite3_stmt *store__prep_ext(struct store *s, int slot, const char *sql, const char *what,
			      char **cause)
{
	if (slot < 0 || slot >= STORE_EXT_SLOTS)
		xdie("store: bad statement slot %d", slot);
	if (!s->ext[slot] && sqlite3_prepare_v2(s->db, sql, -1, &s->ext[slot], NULL) != SQLITE_OK) {
		store__db_fail(s, what, cause);
		return NULL;
	}
	return s->ext[slot];
}

int store__fail(char **cause, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (!cause)
		return -1;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	*cause = buf_detach(&b);
	return -1;
}

/* "cannot WHAT: sqlite's message"; call it before anything else touches the db. */
int store__db_fail(struct store *s, const char *what, char **cause)
{
	return store__fail(cause, "cannot %s: %s", what, sqlite3_errmsg(s->db));
}

char *store__iso_now(void)
{
	struct timespec ts;
	struct tm tm;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || !gmtime_r(&ts.tv_sec, &tm))
		xdie("cannot read the clock");
	return xstrfmt("%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

static sqlite3_stmt *prep(struct store *s, enum stmt id, const char *what, char **cause)
{
	if (!s->stmt[id] &&
	    sqlite3_prepare_v2(s->db, stmt_sql[id], -1, &s->stmt[id], NULL) != SQLITE_OK) {
		store__db_fail(s, what, cause);
		return NULL;
	}
	return s->stmt[id];
}

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
static int exec_stmt(struct store *s, sqlite3_stmt *st, const char *what, char **cause)
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

static int tx_begin(struct store *s, const char *what, char **cause)
{
	return exec_stmt(s, s->stmt[ST_BEGIN], what, cause);
}

static int tx_commit(struct store *s, const char *what, char **cause)
{
	return exec_stmt(s, s->stmt[ST_COMMIT], what, cause);
}

/* Undoes the open transaction, if any; the caller already holds the cause. */
static void tx_rollback(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return; /* none open, or sqlite rolled it back itself */
	sqlite3_step(s->stmt[ST_ROLLBACK]);
	sqlite3_reset(s->stmt[ST_ROLLBACK]);
}

/*
 * Runs one bound write statement in its own BEGIN IMMEDIATE transaction.
 * *changes (may be NULL) gets the number of rows it changed. Always resets st.
 */
int store__write_one(struct store *s, sqlite3_stmt *st, const char *what, int *changes,
		     char **cause)
{
	int ret = -1;

	if (tx_begin(s, what, cause) < 0)
		goto out;
	if (exec_stmt(s, st, what, cause) < 0)
		goto out;
	if (changes)
		*changes = sqlite3_changes(s->db);
	if (tx_commit(s, what, cause) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		tx_rollback(s);
	store__done(st);
	return ret;
}

/* Runs constant SQL (pragmas, migrations) that takes no values. */
static int exec_sql(struct store *s, const char *sql, const char *what, char **cause)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store__db_fail(s, what, cause);
	return 0;
}

/* Steps a one-off statement expected to return one text row, e.g. a pragma. */
static int query_text(struct store *s, const char *sql, char **out, const char *what, char **cause)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		store__db_fail(s, what, cause);
		goto out;
	}
	*out = store__col_text(st, 0);
	ret = *out ? 0 : store__fail(cause, "cannot %s: no value", what);
out:
	sqlite3_finalize(st);
	return ret;
}

static int read_version(struct store *s, int *version, char **cause)
{
	const char *what = "read the schema version";
	sqlite3_stmt *st = prep(s, ST_USER_VERSION, what, cause);
	int ret = 0;

	if (!st)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	else
		ret = store__db_fail(s, what, cause);
	store__done(st);
	return ret;
}

static int set_pragmas(struct store *s, const char *path, char **cause)
{
	char *mode = NULL, *fk = NULL;
	int ret = -1;

	if (query_text(s, "PRAGMA journal_mode = WAL", &mode, "set the journal mode", cause) < 0)
		goto out;
	/* an in-memory database cannot use WAL and needs nothing from it */
	if (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0) {
		store__fail(cause, "cannot use wal journal mode for '%s' (got %s)", path, mode);
		goto out;
	}
	if (exec_sql(s, "PRAGMA synchronous = NORMAL", "set synchronous mode", cause) < 0 ||
	    exec_sql(s, "PRAGMA foreign_keys = ON", "enable foreign keys", cause) < 0 ||
	    query_text(s, "PRAGMA foreign_keys", &fk, "enable foreign keys", cause) < 0)
		goto out;
	if (strcmp(fk, "1") != 0) {
		store__fail(cause, "this sqlite does not enforce foreign keys");
		goto out;
	}
	ret = 0;
out:
	free(mode);
	free(fk);
	return ret;
}

/*
 * Applies the next migration, if any, in one transaction with its version
 * bump; *finished is set when the schema is already the latest. The version
 * is read under the write lock, so two processes opening a fresh database
 * at once cannot both apply a migration.
 */
static int migrate_one(struct store *s, bool *finished, char **cause)
{
	const char *what = "migrate the database";
	char *bump = NULL;
	int version, ret = -1;

	if (tx_begin(s, what, cause) < 0 || read_version(s, &version, cause) < 0)
		goto out;
	if (version < 0) {
		store__fail(cause, "database schema version %d is not valid", version);
		goto out;
	}
	if (version > migrations_count) {
		store__fail(cause, "database schema version %d is newer than this automator (%d)",
			    version, migrations_count);
		goto out;
	}
	if (version == migrations_count) {
		*finished = true;
		ret = 0;
		goto out; /* rolls back the empty transaction */
	}
	if (sqlite3_exec(s->db, migrations[version].sql, NULL, NULL, NULL) != SQLITE_OK) {
		store__fail(cause, "cannot apply migration %s: %s", migrations[version].name,
			    sqlite3_errmsg(s->db));
		goto out;
	}
	/* pragmas take no parameters; the value is our own counter, not input */
	bump = xstrfmt("PRAGMA user_version = %d", version + 1);
	if (exec_sql(s, bump, what, cause) < 0 || tx_commit(s, what, cause) < 0)
		goto out;
	ret = 0;
out:
	tx_rollback(s);
	free(bump);
	return ret;
}

static int migrate(struct store *s, char **cause)
{
	bool finished = false;

	while (!finished)
		if (migrate_one(s, &finished, cause) < 0)
			return -1;
	return 0;
}

int store_open(const char *path, struct store **out, char **cause)
{
	struct store *s = xcalloc(1, sizeof(*s));
	int rc;

	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		store__fail(cause, "cannot open database '%s': %s", path,
			    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	if (!prep(s, ST_BEGIN, "open the database", cause) ||
	    !prep(s, ST_COMMIT, "open the database", cause) ||
	    !prep(s, ST_ROLLBACK, "open the database", cause))
		goto fail;
	if (set_pragmas(s, path, cause) < 0 || migrate(s, cause) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	store_close(s);
	return -1;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(s->stmt); i++)
		sqlite3_finalize(s->stmt[i]);
	for (size_t i = 0; i < ARRAY_SIZE(s->ext); i++)
		sqlite3_finalize(s->ext[i]);
	sqlite3_close(s->db);
	free(s);
}

void store_set_busy_timeout(struct store *s, int ms)
{
	sqlite3_busy_timeout(s->db, ms);
}

int store_schema_version(struct store *s, int *version, char **cause)
{
	return read_version(s, version, cause);
}

int store_schema_latest(void)
{
	return migrations_count;
}

/* ---- runs ---- */

void store_run_release(struct store_run *r)
{
	free(r->id);
	free(r->sprint_file);
	free(r->project);
	free(r->root);
	free(r->state);
	free(r->started_at);
	free(r->updated_at);
	free(r->finished_at);
	free(r->agent);
	memset(r, 0, sizeof(*r));
}

int store_run_create(struct store *s, const struct store_run *r, char **cause)
{
	const char *what = "create run";
	char *now = NULL, *err = NULL;
	const char *started;
	sqlite3_stmt *st;
	int ret = -1;

	if (!(st = prep(s, ST_RUN_INSERT, what, cause)))
		return -1;
	started = r->started_at ? r->started_at : (now = store__iso_now());
	store__bind_text(st, 1, r->id);
	store__bind_text(st, 2, r->sprint_file);
	store__bind_text(st, 3, r->project);
	store__bind_text(st, 4, r->root);
	store__bind_text(st, 5, r->state);
	store__bind_text(st, 6, started);
	store__bind_text(st, 7, r->updated_at ? r->updated_at : started);
	store__bind_int_or_null(st, 8, r->pid, 0);
	store__bind_text(st, 9, r->agent);
	if (store__write_one(s, st, what, NULL, &err) == 0)
		ret = 0;
	else if (s->last_error == SQLITE_CONSTRAINT_PRIMARYKEY)
		store__fail(cause, "run '%s' already exists", r->id);
	else
		store__fail(cause, "%s", err);
	free(err);
	free(now);
	return ret;
}

static void read_run(sqlite3_stmt *st, struct store_run *r)
{
	r->id = store__col_text(st, 0);
	r->sprint_file = store__col_text(st, 1);
	r->project = store__col_text(st, 2);
	r->root = store__col_text(st, 3);
	r->state = store__col_text(st, 4);
	r->started_at = store__col_text(st, 5);
	r->updated_at = store__col_text(st, 6);
	r->finished_at = store__col_text(st, 7);
	r->pid = store__col_int(st, 8, 0);
	r->agent = store__col_text(st, 9);
}

int store_run_get(struct store *s, const char *id, struct store_run *out, char **cause)
{
	const char *what = "read run";
	sqlite3_stmt *st;
	int rc, ret;

	if (!(st = prep(s, ST_RUN_GET, what, cause)))
		return -1;
	store__bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_run(st, out);
		ret = 0;
	} else {
		ret = rc == SQLITE_DONE ? 1 : store__db_fail(s, what, cause);
	}
	store__done(st);
	return ret;
}

int store_run_set_pid(struct store *s, const char *id, int64_t pid, char **cause)
{
	const char *what = "record the run's pid";
	sqlite3_stmt *st;
	int changes = 0;

	if (!(st = prep(s, ST_RUN_SET_PID, what, cause)))
		return -1;
	store__bind_text(st, 1, id);
	store__bind_int_or_null(st, 2, pid, 0);
	if (store__write_one(s, st, what, &changes, cause) < 0)
		return -1;
	return changes ? 0 : store__fail(cause, "cannot %s: no run '%s'", what, id);
}

static int run_latest(struct store *s, int which, const char *what, char **id_out, char **cause)
{
	sqlite3_stmt *st;
	int rc, ret;

	if (!(st = prep(s, which, what, cause)))
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id_out = store__col_text(st, 0);
		ret = 0;
	} else {
		ret = rc == SQLITE_DONE ? 1 : store__db_fail(s, what, cause);
	}
	store__done(st);
	return ret;
}

int store_run_latest_unfinished(struct store *s, char **id_out, char **cause)
{
	return run_latest(s, ST_RUN_LATEST_UNFINISHED, "find an unfinished run", id_out, cause);
}

int store_run_latest(struct store *s, char **id_out, char **cause)
{
	return run_latest(s, ST_RUN_LATEST, "find the latest run", id_out, cause);
}

/* ---- stories ---- */

void store_story_release(struct store_story *st)
{
	free(st->story_id);
	free(st->story_key);
	free(st->state);
	free(st->step_name);
	free(st->base_commit);
	free(st->updated_at);
	memset(st, 0, sizeof(*st));
}

int store_story_add(struct store *s, const char *run_id, const struct store_story *story,
		    char **cause)
{
	const char *what = "add story";
	char *now = NULL, *err = NULL;
	sqlite3_stmt *st;
	int ret = -1;

	if (!(st = prep(s, ST_STORY_INSERT, what, cause)))
		return -1;
	store__bind_text(st, 1, run_id);
	store__bind_text(st, 2, story->story_id);
	store__bind_text(st, 3, story->story_key);
	store__bind_int(st, 4, story->position);
	store__bind_text(st, 5, story->state);
	store__bind_int(st, 6, story->step_index);
	store__bind_text(st, 7, story->step_name);
	store__bind_int(st, 8, story->attempt);
	store__bind_int(st, 9, story->cycle);
	store__bind_int(st, 10, story->retries_used);
	store__bind_int(st, 11, story->crash_retries_used);
	store__bind_text(st, 12, story->base_commit);
	store__bind_text(st, 13, story->updated_at ? story->updated_at : (now = store__iso_now()));
	if (store__write_one(s, st, what, NULL, &err) == 0)
		ret = 0;
	else if (s->last_error == SQLITE_CONSTRAINT_PRIMARYKEY)
		store__fail(cause, "story '%s' already exists in run '%s'", story->story_id,
			    run_id);
	else if (s->last_error == SQLITE_CONSTRAINT_FOREIGNKEY)
		store__fail(cause, "cannot add story '%s': no run '%s'", story->story_id, run_id);
	else
		store__fail(cause, "%s", err);
	free(err);
	free(now);
	return ret;
}

static void read_story(sqlite3_stmt *st, struct store_story *story)
{
	story->story_id = store__col_text(st, 0);
	story->story_key = store__col_text(st, 1);
	story->position = sqlite3_column_int(st, 2);
	story->state = store__col_text(st, 3);
	story->step_index = sqlite3_column_int(st, 4);
	story->step_name = store__col_text(st, 5);
	story->attempt = sqlite3_column_int(st, 6);
	story->cycle = sqlite3_column_int(st, 7);
	story->retries_used = sqlite3_column_int(st, 8);
	story->crash_retries_used = sqlite3_column_int(st, 9);
	story->base_commit = store__col_text(st, 10);
	story->updated_at = store__col_text(st, 11);
}

int store_story_get(struct store *s, const char *run_id, const char *story_id,
		    struct store_story *out, char **cause)
{
	const char *what = "read story";
	sqlite3_stmt *st;
	int rc, ret;

	if (!(st = prep(s, ST_STORY_GET, what, cause)))
		return -1;
	store__bind_text(st, 1, run_id);
	store__bind_text(st, 2, story_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_story(st, out);
		ret = 0;
	} else {
		ret = rc == SQLITE_DONE ? 1 : store__db_fail(s, what, cause);
	}
	store__done(st);
	return ret;
}

int store_stories_foreach(struct store *s, const char *run_id, store_story_fn fn, void *arg,
			  char **cause)
{
	const char *what = "list stories";
	struct store_story *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (!(st = prep(s, ST_STORY_LIST, what, cause)))
		return -1;
	store__bind_text(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ALLOC_GROW(v, n + 1, cap);
		read_story(st, &v[n++]);
	}
	if (rc != SQLITE_DONE)
		ret = store__db_fail(s, what, cause);
	store__done(st);
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = fn(&v[i], arg);
	for (size_t i = 0; i < n; i++)
		store_story_release(&v[i]);
	free(v);
	return ret;
}

/* ---- transitions ---- */

/* The current state of t's story (or run), newly allocated into *state. */
static int current_state(struct store *s, const struct store_transition *t, char **state,
			 const char *what, char **cause)
{
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (!(st = prep(s, t->story_id ? ST_STORY_STATE : ST_RUN_STATE, what, cause)))
		return -1;
	store__bind_text(st, 1, t->run_id);
	if (t->story_id)
		store__bind_text(st, 2, t->story_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*state = store__col_text(st, 0);
	else if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = store__db_fail(s, what, cause);
	else if (t->story_id)
		ret = store__fail(cause, "cannot %s: no story '%s' in run '%s'", what, t->story_id,
				  t->run_id);
	else
		ret = store__fail(cause, "cannot %s: no run '%s'", what, t->run_id);
	store__done(st);
	return ret;
}

/* Fails unless the current state of t's story (or run) is t->from_state. */
static int expect_state(struct store *s, const struct store_transition *t, const char *what,
			char **cause)
{
	char *state = NULL;
	int ret = 0;

	if (current_state(s, t, &state, what, cause) < 0)
		return -1;
	if (strcmp(state, t->from_state) != 0) {
		if (t->story_id)
			ret = store__fail(cause, "state of story '%s' is %s, not %s", t->story_id,
					  state, t->from_state);
		else
			ret = store__fail(cause, "state of run '%s' is %s, not %s", t->run_id,
					  state, t->from_state);
	}
	free(state);
	return ret;
}

/* Binds "set this column?" at i and its value at i + 1. */
static void bind_maybe_int(sqlite3_stmt *st, int i, bool set, int v)
{
	store__bind_int(st, i, set);
	if (set)
		store__bind_int(st, i + 1, v);
	else
		bind_check(st, i + 1, sqlite3_bind_null(st, i + 1));
}

static void bind_maybe_text(sqlite3_stmt *st, int i, bool set, const char *v)
{
	store__bind_int(st, i, set);
	store__bind_text(st, i + 1, set ? v : NULL);
}

static int set_state(struct store *s, const struct store_transition *t, const char *at,
		     const char *what, char **cause)
{
	sqlite3_stmt *st;

	if (!t->story_id) {
		if (!(st = prep(s, ST_RUN_SET_STATE, what, cause)))
			return -1;
		store__bind_text(st, 1, t->run_id);
		store__bind_text(st, 2, t->to_state);
		store__bind_text(st, 3, at);
		return exec_stmt(s, st, what, cause);
	}
	if (!(st = prep(s, ST_STORY_SET_STATE, what, cause)))
		return -1;
	store__bind_text(st, 1, t->run_id);
	store__bind_text(st, 2, t->story_id);
	store__bind_text(st, 3, t->to_state);
	store__bind_text(st, 4, at);
	bind_maybe_int(st, 5, t->set & STORE_SET_STEP_INDEX, t->step_index);
	bind_maybe_text(st, 7, t->set & STORE_SET_STEP_NAME, t->step_name);
	bind_maybe_int(st, 9, t->set & STORE_SET_ATTEMPT, t->attempt);
	bind_maybe_int(st, 11, t->set & STORE_SET_CYCLE, t->cycle);
	bind_maybe_int(st, 13, t->set & STORE_SET_RETRIES_USED, t->retries_used);
	bind_maybe_int(st, 15, t->set & STORE_SET_CRASH_RETRIES_USED, t->crash_retries_used);
	bind_maybe_text(st, 17, t->set & STORE_SET_BASE_COMMIT, t->base_commit);
	return exec_stmt(s, st, what, cause);
}

static int journal_insert(struct store *s, const struct store_transition *t, const char *at,
			  const char *what, char **cause)
{
	sqlite3_stmt *st;

	if (!(st = prep(s, ST_JOURNAL_INSERT, what, cause)))
		return -1;
	store__bind_text(st, 1, t->run_id);
	store__bind_text(st, 2, t->machine);
	store__bind_text(st, 3, t->story_id);
	store__bind_text(st, 4, t->from_state);
	store__bind_text(st, 5, t->event);
	store__bind_text(st, 6, t->guard);
	store__bind_text(st, 7, t->action);
	store__bind_text(st, 8, t->to_state);
	store__bind_text(st, 9, at);
	store__bind_text(st, 10, t->intent);
	return exec_stmt(s, st, what, cause);
}

int store_transition(struct store *s, const struct store_transition *t, int64_t *seq_out,
		     char **cause)
{
	const char *what = "record transition";
	char *now = NULL;
	const char *at;
	int64_t seq;
	int ret = -1;

	if (!t->run_id || !t->machine || !t->from_state || !t->event || !t->to_state)
		return store__fail(cause, "cannot %s: run, machine, event and states are required",
				   what);
	if (!t->story_id && t->set)
		return store__fail(cause, "cannot %s: story fields set on a run transition", what);
	at = t->at ? t->at : (now = store__iso_now());
	if (tx_begin(s, what, cause) < 0 || expect_state(s, t, what, cause) < 0)
		goto out;
	if (set_state(s, t, at, what, cause) < 0 || journal_insert(s, t, at, what, cause) < 0)
		goto out;
	seq = sqlite3_last_insert_rowid(s->db);
	if (tx_commit(s, what, cause) < 0)
		goto out;
	if (seq_out)
		*seq_out = seq;
	ret = 0;
out:
	if (ret < 0)
		tx_rollback(s);
	free(now);
	return ret;
}

static enum store_intent_status intent_status_parse(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(intent_status_names); i++)
		if (name && strcmp(name, intent_status_names[i]) == 0)
			return (enum store_intent_status)i;
	xdie("store: unknown intent status '%s'", name ? name : "(null)");
}

int store_intent_finish(struct store *s, int64_t seq, bool ok, const char *result_json,
			char **cause)
{
	const char *what = "finish intent";
	sqlite3_stmt *st;
	char *status = NULL;
	int rc, ret = -1;

	if (!prep(s, ST_INTENT_STATUS, what, cause) || !prep(s, ST_INTENT_FINISH, what, cause))
		return -1;
	if (tx_begin(s, what, cause) < 0)
		goto out;
	st = s->stmt[ST_INTENT_STATUS];
	store__bind_int(st, 1, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		status = store__col_text(st, 0);
	else if (rc == SQLITE_DONE)
		store__fail(cause, "cannot %s: no transition %" PRId64, what, seq);
	else
		store__db_fail(s, what, cause);
	store__done(st);
	if (!status)
		goto out;
	if (strcmp(status, "pending") != 0) {
		if (strcmp(status, "none") == 0)
			store__fail(cause, "cannot %s: transition %" PRId64 " has no intent", what,
				    seq);
		else
			store__fail(cause,
				    "cannot %s: intent of transition %" PRId64 " is already %s",
				    what, seq, status);
		goto out;
	}
	st = s->stmt[ST_INTENT_FINISH];
	store__bind_int(st, 1, seq);
	store__bind_text(st, 2, intent_status_names[ok ? STORE_INTENT_DONE : STORE_INTENT_FAILED]);
	store__bind_text(st, 3, result_json);
	if (exec_stmt(s, st, what, cause) < 0 || tx_commit(s, what, cause) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		tx_rollback(s);
	free(status);
	return ret;
}

static void read_entry(sqlite3_stmt *st, struct store_journal_entry *e)
{
	char *status;

	e->seq = sqlite3_column_int64(st, 0);
	e->run_id = store__col_text(st, 1);
	e->machine = store__col_text(st, 2);
	e->story_id = store__col_text(st, 3);
	e->from_state = store__col_text(st, 4);
	e->event = store__col_text(st, 5);
	e->guard = store__col_text(st, 6);
	e->action = store__col_text(st, 7);
	e->to_state = store__col_text(st, 8);
	e->at = store__col_text(st, 9);
	e->intent = store__col_text(st, 10);
	status = store__col_text(st, 11);
	e->intent_status = intent_status_parse(status);
	free(status);
	e->intent_result = store__col_text(st, 12);
}

static void release_entry(struct store_journal_entry *e)
{
	free(e->run_id);
	free(e->machine);
	free(e->story_id);
	free(e->from_state);
	free(e->event);
	free(e->guard);
	free(e->action);
	free(e->to_state);
	free(e->at);
	free(e->intent);
	free(e->intent_result);
}

static int journal_walk(struct store *s, enum stmt id, const char *run_id, store_journal_fn fn,
			void *arg, char **cause)
{
	const char *what = "read the journal";
	struct store_journal_entry *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (!(st = prep(s, id, what, cause)))
		return -1;
	store__bind_text(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ALLOC_GROW(v, n + 1, cap);
		read_entry(st, &v[n++]);
	}
	if (rc != SQLITE_DONE)
		ret = store__db_fail(s, what, cause);
	store__done(st);
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = fn(&v[i], arg);
	for (size_t i = 0; i < n; i++)
		release_entry(&v[i]);
	free(v);
	return ret;
}

int store_pending_intents(struct store *s, const char *run_id, store_journal_fn fn, void *arg,
			  char **cause)
{
	return journal_walk(s, ST_JOURNAL_PENDING, run_id, fn, arg, cause);
}

int store_journal_foreach(struct store *s, const char *run_id, store_journal_fn fn, void *arg,
			  char **cause)
{
	return journal_walk(s, ST_JOURNAL_LIST, run_id, fn, arg, cause);
}

/* ---- sessions ---- */

void store_session_release(struct store_session *ss)
{
	free(ss->run_id);
	free(ss->story_id);
	free(ss->step);
	free(ss->tmux_name);
	free(ss->log_path);
	free(ss->started_at);
	free(ss->ended_at);
	memset(ss, 0, sizeof(*ss));
}

int store_session_add(struct store *s, const struct store_session *ss, int64_t *id_out,
		      char **cause)
{
	const char *what = "add session";
	char *now = NULL, *err = NULL;
	sqlite3_stmt *st;
	int ret = -1;

	if (!(st = prep(s, ST_SESSION_INSERT, what, cause)))
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

int store_session_get(struct store *s, const char *run_id, const char *story_id, const char *step,
		      int attempt, struct store_session *out, char **cause)
{
	const char *what = "read session";
	sqlite3_stmt *st;
	int rc, ret;

	if (!(st = prep(s, ST_SESSION_GET, what, cause)))
		return -1;
	store__bind_text(st, 1, run_id);
	store__bind_text(st, 2, story_id);
	store__bind_text(st, 3, step);
	store__bind_int(st, 4, attempt);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
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
		ret = 0;
	} else {
		ret = rc == SQLITE_DONE ? 1 : store__db_fail(s, what, cause);
	}
	store__done(st);
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
}

int store_sessions_foreach(struct store *s, const char *run_id, store_session_fn fn, void *arg,
			   char **cause)
{
	const char *what = "list sessions";
	struct store_session *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (!(st = prep(s, ST_SESSION_LIST, what, cause)))
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

	if (!(st = prep(s, ST_SESSION_SET_EXIT, what, cause)))
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

	if (!(st = prep(s, ST_SESSION_SET_OFFSET, what, cause)))
		return -1;
	store__bind_int(st, 1, id);
	store__bind_int(st, 2, offset);
	if (store__write_one(s, st, what, &changes, cause) < 0)
		return -1;
	return changes ? 0 : store__fail(cause, "cannot %s: no session %" PRId64, what, id);
}

/* ---- escalations ---- */

void store_escalation_release(struct store_escalation *e)
{
	free(e->run_id);
	free(e->story_id);
	free(e->step);
	free(e->trigger);
	free(e->category);
	free(e->severity);
	free(e->message);
	free(e->options);
	free(e->status);
	free(e->chosen);
	free(e->reply);
	free(e->answered_by);
	free(e->answered_at);
	free(e->acked_by);
	free(e->acked_at);
	free(e->created_at);
	free(e->notified_at);
	free(e->closed_at);
	free(e->closed_reason);
	memset(e, 0, sizeof(*e));
}

static void read_escalation(sqlite3_stmt *st, struct store_escalation *e)
{
	e->id = sqlite3_column_int64(st, 0);
	e->run_id = store__col_text(st, 1);
	e->story_id = store__col_text(st, 2);
	e->step = store__col_text(st, 3);
	e->trigger = store__col_text(st, 4);
	e->category = store__col_text(st, 5);
	e->severity = store__col_text(st, 6);
	e->message = store__col_text(st, 7);
	e->options = store__col_text(st, 8);
	e->status = store__col_text(st, 9);
	e->chosen = store__col_text(st, 10);
	e->reply = store__col_text(st, 11);
	e->answered_by = store__col_text(st, 12);
	e->answered_at = store__col_text(st, 13);
	e->acked_by = store__col_text(st, 14);
	e->acked_at = store__col_text(st, 15);
	e->created_at = store__col_text(st, 16);
	e->notified_at = store__col_text(st, 17);
	e->closed_at = store__col_text(st, 18);
	e->closed_reason = store__col_text(st, 19);
	e->reescalations = sqlite3_column_int(st, 20);
}

/*
 * Steps a bound escalation query, reading every row before the first
 * callback; as store_stories_foreach() otherwise. Always resets st.
 */
static int escalation_walk(struct store *s, sqlite3_stmt *st, const char *what,
			   store_escalation_fn fn, void *arg, char **cause)
{
	struct store_escalation *v = NULL;
	size_t n = 0, cap = 0;
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ALLOC_GROW(v, n + 1, cap);
		read_escalation(st, &v[n++]);
	}
	if (rc != SQLITE_DONE)
		ret = store__db_fail(s, what, cause);
	store__done(st);
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = fn(&v[i], arg);
	for (size_t i = 0; i < n; i++)
		store_escalation_release(&v[i]);
	free(v);
	return ret;
}

/*
 * The id of e's live (not closed) escalation, if any, into *id: 0 when
 * there is one, 1 when there is none.
 */
static int escalation_find_live(struct store *s, const struct store_escalation *e, int64_t *id,
				const char *what, char **cause)
{
	sqlite3_stmt *st = s->stmt[ST_ESC_FIND_LIVE];
	int rc, ret;

	store__bind_text(st, 1, e->run_id);
	store__bind_text(st, 2, e->story_id);
	store__bind_text(st, 3, e->trigger);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		ret = 0;
	} else {
		ret = rc == SQLITE_DONE ? 1 : store__db_fail(s, what, cause);
	}
	store__done(st);
	return ret;
}

int store_escalation_open(struct store *s, const struct store_escalation *e, const char *state,
			  const char *at, int64_t *id_out, char **cause)
{
	const char *what = "open escalation";
	struct store_transition t = { 0 };
	char *now = NULL;
	sqlite3_stmt *st;
	int64_t id = 0;
	int rc, ret = -1;

	if (!e->run_id || !e->trigger || !e->category || !e->severity || !e->message || !state)
		return store__fail(
			cause,
			"cannot %s: run, trigger, category, severity, message and state are "
			"required",
			what);
	if (!prep(s, ST_ESC_FIND_LIVE, what, cause) || !(st = prep(s, ST_ESC_INSERT, what, cause)))
		return -1;
	at = at ? at : (now = store__iso_now());
	t.run_id = e->run_id;
	t.machine = e->story_id ? "story" : "run";
	t.story_id = e->story_id;
	t.from_state = state;
	t.event = "ESCALATE";
	t.action = e->trigger;
	t.to_state = state;
	if (tx_begin(s, what, cause) < 0)
		goto out;
	/* before the state check: a trigger firing again is no error */
	if ((rc = escalation_find_live(s, e, &id, what, cause)) <= 0) {
		ret = rc == 0 ? 1 : -1;
		goto out;
	}
	if (expect_state(s, &t, what, cause) < 0)
		goto out;
	store__bind_text(st, 1, e->run_id);
	store__bind_text(st, 2, e->story_id);
	store__bind_text(st, 3, e->step);
	store__bind_text(st, 4, e->trigger);
	store__bind_text(st, 5, e->category);
	store__bind_text(st, 6, e->severity);
	store__bind_text(st, 7, e->message);
	store__bind_text(st, 8, e->options);
	store__bind_text(st, 9, at);
	if (exec_stmt(s, st, what, cause) < 0)
		goto out;
	id = sqlite3_last_insert_rowid(s->db);
	if (journal_insert(s, &t, at, what, cause) < 0 || tx_commit(s, what, cause) < 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		tx_rollback(s);
	if (ret >= 0 && id_out)
		*id_out = id;
	free(now);
	return ret;
}

int store_escalation_get(struct store *s, int64_t id, struct store_escalation *out, char **cause)
{
	const char *what = "read escalation";
	sqlite3_stmt *st;
	int rc, ret;

	if (!(st = prep(s, ST_ESC_GET, what, cause)))
		return -1;
	store__bind_int(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_escalation(st, out);
		ret = 0;
	} else {
		ret = rc == SQLITE_DONE ? 1 : store__db_fail(s, what, cause);
	}
	store__done(st);
	return ret;
}

int store_escalations_foreach(struct store *s, const char *run_id, bool open_only,
			      store_escalation_fn fn, void *arg, char **cause)
{
	const char *what = "list escalations";
	sqlite3_stmt *st;

	if (!(st = prep(s, ST_ESC_LIST, what, cause)))
		return -1;
	store__bind_text(st, 1, run_id);
	store__bind_int(st, 2, open_only);
	return escalation_walk(s, st, what, fn, arg, cause);
}

/*
 * Begins a write transaction and reads the status of escalation id into
 * *status (newly allocated): 0, or 1 when there is no such escalation. The
 * transaction is left open either way (the caller rolls back unless it
 * commits).
 */
static int escalation_begin(struct store *s, int64_t id, char **status, const char *what,
			    char **cause)
{
	sqlite3_stmt *st;
	int rc, ret;

	if (!(st = prep(s, ST_ESC_STATUS, what, cause)) || tx_begin(s, what, cause) < 0)
		return -1;
	store__bind_int(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*status = store__col_text(st, 0);
		ret = 0;
	} else {
		ret = rc == SQLITE_DONE ? 1 : store__db_fail(s, what, cause);
	}
	store__done(st);
	return ret;
}

int store_escalation_ack(struct store *s, int64_t id, const char *who, const char *at, char **cause)
{
	const char *what = "acknowledge escalation";
	char *now = NULL, *status = NULL;
	sqlite3_stmt *st;
	int ret;

	if (!who)
		return store__fail(cause, "cannot %s: who acknowledges is required", what);
	if (!(st = prep(s, ST_ESC_ACK, what, cause)))
		return -1;
	if ((ret = escalation_begin(s, id, &status, what, cause)) != 0)
		goto out;
	ret = -1;
	if (strcmp(status, "open") != 0) {
		store__fail(cause, "escalation %" PRId64 " is %s, not open", id, status);
		goto out;
	}
	store__bind_int(st, 1, id);
	store__bind_text(st, 2, who);
	store__bind_text(st, 3, at ? at : (now = store__iso_now()));
	if (exec_stmt(s, st, what, cause) < 0 || tx_commit(s, what, cause) < 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		tx_rollback(s);
	free(status);
	free(now);
	return ret;
}

int store_escalation_answer(struct store *s, int64_t id, const char *choice, const char *reply,
			    const char *who, const char *at, int64_t *decision_id, char **cause)
{
	const char *what = "answer escalation";
	char *now = NULL, *status = NULL;
	sqlite3_stmt *up, *ins;
	int64_t did;
	int ret;

	if (!choice || !who)
		return store__fail(cause, "cannot %s: a choice and who answers are required", what);
	if (!(up = prep(s, ST_ESC_ANSWER, what, cause)) ||
	    !(ins = prep(s, ST_DECISION_INSERT, what, cause)))
		return -1;
	at = at ? at : (now = store__iso_now());
	if ((ret = escalation_begin(s, id, &status, what, cause)) != 0)
		goto out;
	ret = -1;
	if (strcmp(status, "answered") == 0) {
		store__fail(cause, "escalation %" PRId64 " is already answered", id);
		goto out;
	}
	if (strcmp(status, "open") != 0 && strcmp(status, "acked") != 0) {
		store__fail(cause, "escalation %" PRId64 " is %s", id, status);
		goto out;
	}
	store__bind_int(up, 1, id);
	store__bind_text(up, 2, choice);
	store__bind_text(up, 3, reply);
	store__bind_text(up, 4, who);
	store__bind_text(up, 5, at);
	if (exec_stmt(s, up, what, cause) < 0)
		goto out;
	store__bind_int(ins, 1, id);
	store__bind_text(ins, 2, choice);
	store__bind_text(ins, 3, reply);
	store__bind_text(ins, 4, who);
	store__bind_text(ins, 5, at);
	if (exec_stmt(s, ins, what, cause) < 0)
		goto out;
	did = sqlite3_last_insert_rowid(s->db);
	if (tx_commit(s, what, cause) < 0)
		goto out;
	if (decision_id)
		*decision_id = did;
	ret = 0;
out:
	if (ret != 0)
		tx_rollback(s);
	free(status);
	free(now);
	return ret;
}

static int escalation_close(struct store *s, int64_t id, const char *reason, const char *at,
			    const char *what, char **cause)
{
	sqlite3_stmt *st;

	if (!(st = prep(s, ST_ESC_CLOSE, what, cause)))
		return -1;
	store__bind_int(st, 1, id);
	store__bind_text(st, 2, reason);
	store__bind_text(st, 3, at);
	return exec_stmt(s, st, what, cause);
}

int store_escalation_close(struct store *s, int64_t id, const char *reason, const char *at,
			   char **cause)
{
	const char *what = "close escalation";
	char *now = NULL, *status = NULL;
	int ret;

	if (!reason)
		return store__fail(cause, "cannot %s: a reason is required", what);
	if ((ret = escalation_begin(s, id, &status, what, cause)) != 0)
		goto out;
	ret = -1;
	if (strcmp(status, "closed") == 0) {
		store__fail(cause, "escalation %" PRId64 " is already closed", id);
		goto out;
	}
	if (escalation_close(s, id, reason, at ? at : (now = store__iso_now()), what, cause) < 0 ||
	    tx_commit(s, what, cause) < 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		tx_rollback(s);
	free(status);
	free(now);
	return ret;
}

int store_escalation_renotify(struct store *s, int64_t id, const char *new_severity, const char *at,
			      char **cause)
{
	const char *what = "re-notify escalation";
	char *now = NULL;
	sqlite3_stmt *st;
	int changes = 0, ret = -1;

	if (!new_severity)
		return store__fail(cause, "cannot %s: a severity is required", what);
	if (!(st = prep(s, ST_ESC_RENOTIFY, what, cause)))
		return -1;
	store__bind_int(st, 1, id);
	store__bind_text(st, 2, new_severity);
	store__bind_text(st, 3, at ? at : (now = store__iso_now()));
	if (store__write_one(s, st, what, &changes, cause) == 0)
		ret = changes ? 0 : 1;
	free(now);
	return ret;
}

/* Fails unless sqlite reads t as a time. */
static int check_time(struct store *s, const char *t, const char *what, char **cause)
{
	sqlite3_stmt *st;
	int rc, ret;

	if (!(st = prep(s, ST_TIME_VALID, what, cause)))
		return -1;
	store__bind_text(st, 1, t);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		ret = store__db_fail(s, what, cause);
	else if (sqlite3_column_int(st, 0) == 0)
		ret = store__fail(cause, "cannot %s: '%s' is not a time", what, t);
	else
		ret = 0;
	store__done(st);
	return ret;
}

int store_escalations_stale(struct store *s, const char *run_id, const char *before,
			    int max_reescalations, store_escalation_fn fn, void *arg, char **cause)
{
	const char *what = "list stale escalations";
	char *now = NULL;
	sqlite3_stmt *st;
	int ret = -1;

	before = before ? before : (now = store__iso_now());
	if (check_time(s, before, what, cause) < 0 || !(st = prep(s, ST_ESC_STALE, what, cause)))
		goto out;
	store__bind_text(st, 1, run_id);
	store__bind_text(st, 2, before);
	store__bind_int(st, 3, max_reescalations);
	ret = escalation_walk(s, st, what, fn, arg, cause);
out:
	free(now);
	return ret;
}

/* ---- decisions ---- */

static void release_decision(struct store_decision *d)
{
	free(d->story_id);
	free(d->step);
	free(d->trigger);
	free(d->category);
	free(d->choice);
	free(d->reply);
	free(d->source);
	free(d->at);
}

int store_decisions_pending(struct store *s, const char *run_id, store_decision_fn fn, void *arg,
			    char **cause)
{
	const char *what = "list pending decisions";
	struct store_decision *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (!(st = prep(s, ST_DECISION_PENDING, what, cause)))
		return -1;
	store__bind_text(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_decision *d;

		ALLOC_GROW(v, n + 1, cap);
		d = &v[n++];
		d->id = sqlite3_column_int64(st, 0);
		d->escalation_id = sqlite3_column_int64(st, 1);
		d->story_id = store__col_text(st, 2);
		d->step = store__col_text(st, 3);
		d->trigger = store__col_text(st, 4);
		d->category = store__col_text(st, 5);
		d->choice = store__col_text(st, 6);
		d->reply = store__col_text(st, 7);
		d->source = store__col_text(st, 8);
		d->at = store__col_text(st, 9);
	}
	if (rc != SQLITE_DONE)
		ret = store__db_fail(s, what, cause);
	store__done(st);
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = fn(&v[i], arg);
	for (size_t i = 0; i < n; i++)
		release_decision(&v[i]);
	free(v);
	return ret;
}

int store_decision_applied(struct store *s, int64_t decision_id, bool close, const char *at,
			   char **cause)
{
	const char *what = "record decision applied";
	char *now = NULL, *status = NULL;
	sqlite3_stmt *get, *set, *reopen;
	int64_t esc = 0;
	bool applied = false;
	int rc, ret = -1;

	if (!(get = prep(s, ST_DECISION_GET, what, cause)) ||
	    !(set = prep(s, ST_DECISION_SET_APPLIED, what, cause)) ||
	    !(reopen = prep(s, ST_ESC_REOPEN, what, cause)))
		return -1;
	at = at ? at : (now = store__iso_now());
	if (tx_begin(s, what, cause) < 0)
		goto out;
	store__bind_int(get, 1, decision_id);
	rc = sqlite3_step(get);
	if (rc == SQLITE_ROW) {
		esc = sqlite3_column_int64(get, 0);
		applied = sqlite3_column_int(get, 1) != 0;
		status = store__col_text(get, 2);
	} else if (rc == SQLITE_DONE) {
		ret = 1;
	} else {
		store__db_fail(s, what, cause);
	}
	store__done(get);
	if (!status)
		goto out;
	if (applied) {
		store__fail(cause, "decision %" PRId64 " is already applied", decision_id);
		goto out;
	}
	store__bind_int(set, 1, decision_id);
	store__bind_text(set, 2, at);
	if (exec_stmt(s, set, what, cause) < 0)
		goto out;
	/* an escalation closed meanwhile stays closed */
	if (strcmp(status, "answered") == 0) {
		if (close) {
			if (escalation_close(s, esc, "answered", at, what, cause) < 0)
				goto out;
		} else {
			store__bind_int(reopen, 1, esc);
			store__bind_text(reopen, 2, at);
			if (exec_stmt(s, reopen, what, cause) < 0)
				goto out;
		}
	}
	if (tx_commit(s, what, cause) < 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		tx_rollback(s);
	free(status);
	free(now);
	return ret;
}
