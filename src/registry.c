/* SPDX-License-Identifier: MIT */
/*
 * registry.c: the per-user list of runs, so that `automator runs --all`
 * and `watch --all` find every project on the machine. One sqlite file,
 * $XDG_STATE_HOME/automator/runs.db (~/.local/state/automator/runs.db):
 * a row per run (its project's root, its id, when it was registered) and
 * a row per restart `watch --restart-dead` made. The truth about a run
 * stays in its project's journal: the registry only says where to look.
 *
 * Best effort for runs: a registry that cannot be written is a warning,
 * never a reason not to run. Statements take bound parameters only.
 */
#include <errno.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "registry.h"
#include "util.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS runs ("
	" root TEXT NOT NULL, run_id TEXT NOT NULL, registered_at TEXT NOT NULL,"
	" PRIMARY KEY (root, run_id));"
	"CREATE TABLE IF NOT EXISTS restarts ("
	" root TEXT NOT NULL, run_id TEXT NOT NULL, at INTEGER NOT NULL);";

char *registry_path(void)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	/* the XDG spec: a relative path is invalid and ignored */
	if (xdg && xdg[0] == '/')
		return xstrfmt("%s/automator/runs.db", xdg);
	if (home && home[0] == '/')
		return xstrfmt("%s/.local/state/automator/runs.db", home);
	return NULL;
}

static int mkdirs(char *dir)
{
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return mkdir(dir, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

/* The registry opened (made when create), or NULL with *cause. */
static sqlite3 *open_db(bool create, char **cause)
{
	char *path = registry_path(), *dir;
	sqlite3 *db = NULL;
	struct stat st;

	if (!path) {
		*cause = xstrdup("neither XDG_STATE_HOME nor HOME is set");
		return NULL;
	}
	if (!create && stat(path, &st) < 0) {
		free(path);
		return NULL; /* nothing registered yet: no cause */
	}
	dir = path_dirname(path);
	if (create && mkdirs(dir) < 0) {
		*cause = xstrfmt("cannot create '%s': %s", dir, strerror(errno));
		goto fail;
	}
	if (sqlite3_open_v2(path, &db,
			    create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
				   : SQLITE_OPEN_READWRITE,
			    NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db, 2000) != SQLITE_OK ||
	    sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		*cause = xstrfmt("%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		goto fail;
	}
	free(dir);
	free(path);
	return db;
fail:
	sqlite3_close(db);
	free(dir);
	free(path);
	return NULL;
}

/* Runs sql with the text parameters given (NULL-terminated); 0 or -1 with *cause. */
static int exec_bound(sqlite3 *db, const char *sql, char **cause, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	const char *v;
	int i = 1, rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		*cause = xstrdup(sqlite3_errmsg(db));
		return -1;
	}
	va_start(ap, cause);
	while ((v = va_arg(ap, const char *)))
		sqlite3_bind_text(st, i++, v, -1, SQLITE_TRANSIENT);
	va_end(ap);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		*cause = xstrdup(sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

int registry_add(const char *root, const char *run_id, char **cause)
{
	sqlite3 *db = open_db(true, cause);
	char *now;
	int rc;

	if (!db)
		return -1;
	now = clock_iso(clock_wall());
	rc = exec_bound(db,
			"INSERT OR IGNORE INTO runs (root, run_id, registered_at) VALUES (?, ?, ?)",
			cause, root, run_id, now, (char *)NULL);
	free(now);
	sqlite3_close(db);
	return rc;
}

int registry_list(struct strvec *roots, char **cause)
{
	sqlite3 *db = open_db(false, cause);
	sqlite3_stmt *st = NULL;
	int rc;

	if (!db)
		return *cause ? -1 : 0;
	if (sqlite3_prepare_v2(
		    db, "SELECT root FROM runs GROUP BY root ORDER BY min(registered_at), root", -1,
		    &st, NULL) != SQLITE_OK) {
		*cause = xstrdup(sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		strvec_push(roots, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		*cause = xstrdup(sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc == SQLITE_DONE ? 0 : -1;
}

int registry_restarts(const char *root, const char *run_id, long long *last, char **cause)
{
	sqlite3 *db = open_db(false, cause);
	sqlite3_stmt *st = NULL;
	int n = -1;

	*last = 0;
	if (!db)
		return *cause ? -1 : 0;
	if (sqlite3_prepare_v2(
		    db, "SELECT count(*), max(at) FROM restarts WHERE root = ? AND run_id = ?", -1,
		    &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, root, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, run_id, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW) {
			n = sqlite3_column_int(st, 0);
			*last = sqlite3_column_int64(st, 1);
		}
	}
	if (n < 0)
		*cause = xstrdup(sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

int registry_restart_add(const char *root, const char *run_id, char **cause)
{
	sqlite3 *db = open_db(true, cause);
	char at[32];
	int rc;

	if (!db)
		return -1;
	snprintf(at, sizeof(at), "%lld", clock_wall());
	rc = exec_bound(db, "INSERT INTO restarts (root, run_id, at) VALUES (?, ?, ?)", cause, root,
			run_id, at, (char *)NULL);
	sqlite3_close(db);
	return rc;
}
