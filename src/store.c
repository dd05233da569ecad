/* SPDX-License-Identifier: MIT */
/*
 * store.c: the state store on sqlite3. With store_runs.c, store_journal.c,
 * store_sessions.c, store_escalations.c and store_usage.c (the only files
 * that include sqlite3.h, with store_rows.c, their statement helpers) it
 * reads and writes runs, stories, sessions,
 * escalations, decisions and the transition journal; this file opens and
 * migrates the database and holds every statement. Every write runs in its
 * own BEGIN IMMEDIATE transaction (a deferred one that upgrades fails at
 * once with SQLITE_BUSY_SNAPSHOT, ignoring the busy timeout).
 *
 * It must not decide which transitions are legal (the fsm tables do; the
 * store only checks the from-state it is told), must not run side effects,
 * must not print, and must never put a value into SQL text: every statement
 * is prepared once per store from a constant and takes bound parameters.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "migrations.h"
#include "store.h"
#include "store_int.h"
#include "util.h"

#define STORE_BUSY_TIMEOUT_MS 5000

#define RUN_COLUMNS                                                                                \
	"id, sprint_file, project, root, state, started_at, updated_at, finished_at, pid, agent, " \
	"target"
#define STORY_COLUMNS                                                                   \
	"story_id, story_key, position, state, step_index, step_name, attempt, cycle, " \
	"retries_used, crash_retries_used, base_commit, updated_at"
#define JOURNAL_COLUMNS                                                                    \
	"seq, run_id, machine, story_id, from_state, event, guard, action, to_state, at, " \
	"intent, intent_status, intent_result"
#define SESSION_COLUMNS                                                                       \
	"id, run_id, story_id, step, attempt, tmux_name, log_path, log_offset, exit_status, " \
	"exit_signal, started_at, ended_at, spawned_at"
#define ESCALATION_COLUMNS                                                                  \
	"id, run_id, story_id, step, \"trigger\", category, severity, message, options, "   \
	"status, chosen, reply, answered_by, answered_at, acked_by, acked_at, created_at, " \
	"notified_at, closed_at, closed_reason, reescalations, recommendation"

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
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?9, ?10)",
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
	/* updated_at: the run's last transition, a story's included */
	[ST_RUN_LIST] =
		"SELECT id, sprint_file, project, root, state, started_at, "
		"max(updated_at, coalesce((SELECT max(at) FROM transitions t "
		"WHERE t.run_id = runs.id), updated_at)), finished_at, pid, agent, target "
		"FROM runs ORDER BY started_at, rowid",
	[ST_STORY_INSERT] =
		"INSERT INTO stories (run_id, " STORY_COLUMNS ") VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[ST_STORY_GET] =
		"SELECT " STORY_COLUMNS " FROM stories "
		"WHERE run_id = ?1 AND story_id = ?2",
	[ST_STORY_LIST] =
		"SELECT " STORY_COLUMNS " FROM stories WHERE run_id = ?1 "
		"ORDER BY position",
	/*
	 * sessions' columns renamed, so the columns name the stories' own; only
	 * what status and log use (store_story_row), a column costs at 10k rows
	 */
	[ST_STORY_ROWS] =
		"SELECT story_id, story_key, position, state, step_name, attempt, cycle, "
		"se_tmux, se_log, wait_until, wait_reason, updated_at FROM stories "
		"LEFT JOIN (SELECT run_id AS se_run, story_id AS se_story, "
		"step AS se_step, attempt AS se_attempt, tmux_name AS se_tmux, "
		"log_path AS se_log FROM sessions) "
		"ON se_run = run_id AND se_story = story_id "
		"AND se_step = step_name AND se_attempt = attempt "
		"WHERE run_id = ?1 ORDER BY position",
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
	[ST_SESSION_SET_SPAWNED] =
		"UPDATE sessions SET spawned_at = ?2 WHERE id = ?1",
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
	[ST_ESC_RECOMMEND] =
		"UPDATE escalations SET recommendation = ?2 WHERE id = ?1",
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
/* The kind of the last failure of a database call in this process. */
static enum store_fault last_fault;

static void note_fault(int code)
{
	switch (code & 0xff) {
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		last_fault = STORE_FAULT_DAMAGED;
		break;
	case SQLITE_FULL:
		last_fault = STORE_FAULT_FULL;
		break;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		last_fault = STORE_FAULT_IO;
		break;
	default:
		last_fault = STORE_FAULT_OTHER;
		break;
	}
}

enum store_fault store_last_fault(void)
{
	return last_fault;
}

int store__db_fail(struct store *s, const char *what, char **cause)
{
	note_fault(sqlite3_extended_errcode(s->db));
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

sqlite3_stmt *store__prep(struct store *s, enum store_stmt id, const char *what, char **cause)
{
	if (!s->stmt[id] &&
	    sqlite3_prepare_v2(s->db, stmt_sql[id], -1, &s->stmt[id], NULL) != SQLITE_OK) {
		store__db_fail(s, what, cause);
		return NULL;
	}
	return s->stmt[id];
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
	sqlite3_stmt *st = store__prep(s, ST_USER_VERSION, what, cause);
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
	int version = 0, ret = -1;

	if (store__tx_begin(s, what, cause) < 0 || read_version(s, &version, cause) < 0)
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
	if (exec_sql(s, bump, what, cause) < 0 || store__tx_commit(s, what, cause) < 0)
		goto out;
	ret = 0;
out:
	store__tx_rollback(s);
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

/*
 * Test hook: with $AUTOMATOR_TEST_DB_MAX_PAGES=N the database may grow by
 * N pages past its size once migrated; a write beyond fails with
 * SQLITE_FULL, as on a full disk. Pragmas take no bound values: the
 * numbers are parsed, then printed.
 */
static int test_limit(struct store *s, char **cause)
{
	const char *env = getenv("AUTOMATOR_TEST_DB_MAX_PAGES");
	char *count = NULL, sql[64];
	long extra, pages;
	int ret;

	if (!env)
		return 0;
	extra = strtol(env, NULL, 10);
	if (query_text(s, "PRAGMA page_count", &count, "limit the database size", cause) < 0)
		return -1;
	pages = strtol(count, NULL, 10) + (extra > 0 ? extra : 0);
	free(count);
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %ld", pages);
	ret = exec_sql(s, sql, "limit the database size", cause);
	return ret;
}

int store_open(const char *path, struct store **out, char **cause)
{
	struct store *s = xcalloc(1, sizeof(*s));
	int rc;

	/* one thread per connection: no per-call mutex (8 % of a 10,000-story status) */
	rc = sqlite3_open_v2(path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		note_fault(rc);
		store__fail(cause, "cannot open database '%s': %s", path,
			    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	if (!store__prep(s, ST_BEGIN, "open the database", cause) ||
	    !store__prep(s, ST_COMMIT, "open the database", cause) ||
	    !store__prep(s, ST_ROLLBACK, "open the database", cause))
		goto fail;
	if (set_pragmas(s, path, cause) < 0 || migrate(s, cause) < 0 || test_limit(s, cause) < 0)
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
