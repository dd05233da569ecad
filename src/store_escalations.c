/*
 * store_escalations.c: escalations (opened once per trigger and story,
 * acknowledged, answered, closed, re-notified) and the decisions answers
 * leave for the run to apply.
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
	if (!store__prep(s, ST_ESC_FIND_LIVE, what, cause) ||
	    !(st = store__prep(s, ST_ESC_INSERT, what, cause)))
		return -1;
	at = at ? at : (now = store__iso_now());
	t.run_id = e->run_id;
	t.machine = e->story_id ? "story" : "run";
	t.story_id = e->story_id;
	t.from_state = state;
	t.event = "ESCALATE";
	t.action = e->trigger;
	t.to_state = state;
	if (store__tx_begin(s, what, cause) < 0)
		goto out;
	/* before the state check: a trigger firing again is no error */
	if ((rc = escalation_find_live(s, e, &id, what, cause)) <= 0) {
		ret = rc == 0 ? 1 : -1;
		goto out;
	}
	if (store__expect_state(s, &t, what, cause) < 0)
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
	if (store__exec(s, st, what, cause) < 0)
		goto out;
	id = sqlite3_last_insert_rowid(s->db);
	if (store__journal_insert(s, &t, at, what, cause) < 0 ||
	    store__tx_commit(s, what, cause) < 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		store__tx_rollback(s);
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

	if (!(st = store__prep(s, ST_ESC_GET, what, cause)))
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

	if (!(st = store__prep(s, ST_ESC_LIST, what, cause)))
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

	if (!(st = store__prep(s, ST_ESC_STATUS, what, cause)) ||
	    store__tx_begin(s, what, cause) < 0)
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
	if (!(st = store__prep(s, ST_ESC_ACK, what, cause)))
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
	if (store__exec(s, st, what, cause) < 0 || store__tx_commit(s, what, cause) < 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		store__tx_rollback(s);
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
	if (!(up = store__prep(s, ST_ESC_ANSWER, what, cause)) ||
	    !(ins = store__prep(s, ST_DECISION_INSERT, what, cause)))
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
	if (store__exec(s, up, what, cause) < 0)
		goto out;
	store__bind_int(ins, 1, id);
	store__bind_text(ins, 2, choice);
	store__bind_text(ins, 3, reply);
	store__bind_text(ins, 4, who);
	store__bind_text(ins, 5, at);
	if (store__exec(s, ins, what, cause) < 0)
		goto out;
	did = sqlite3_last_insert_rowid(s->db);
	if (store__tx_commit(s, what, cause) < 0)
		goto out;
	if (decision_id)
		*decision_id = did;
	ret = 0;
out:
	if (ret != 0)
		store__tx_rollback(s);
	free(status);
	free(now);
	return ret;
}

static int escalation_close(struct store *s, int64_t id, const char *reason, const char *at,
			    const char *what, char **cause)
{
	sqlite3_stmt *st;

	if (!(st = store__prep(s, ST_ESC_CLOSE, what, cause)))
		return -1;
	store__bind_int(st, 1, id);
	store__bind_text(st, 2, reason);
	store__bind_text(st, 3, at);
	return store__exec(s, st, what, cause);
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
	    store__tx_commit(s, what, cause) < 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		store__tx_rollback(s);
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
	if (!(st = store__prep(s, ST_ESC_RENOTIFY, what, cause)))
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

	if (!(st = store__prep(s, ST_TIME_VALID, what, cause)))
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
	if (check_time(s, before, what, cause) < 0 ||
	    !(st = store__prep(s, ST_ESC_STALE, what, cause)))
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

	if (!(st = store__prep(s, ST_DECISION_PENDING, what, cause)))
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

	if (!(get = store__prep(s, ST_DECISION_GET, what, cause)) ||
	    !(set = store__prep(s, ST_DECISION_SET_APPLIED, what, cause)) ||
	    !(reopen = store__prep(s, ST_ESC_REOPEN, what, cause)))
		return -1;
	at = at ? at : (now = store__iso_now());
	if (store__tx_begin(s, what, cause) < 0)
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
	if (store__exec(s, set, what, cause) < 0)
		goto out;
	/* an escalation closed meanwhile stays closed */
	if (strcmp(status, "answered") == 0) {
		if (close) {
			if (escalation_close(s, esc, "answered", at, what, cause) < 0)
				goto out;
		} else {
			store__bind_int(reopen, 1, esc);
			store__bind_text(reopen, 2, at);
			if (store__exec(s, reopen, what, cause) < 0)
				goto out;
		}
	}
	if (store__tx_commit(s, what, cause) < 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		store__tx_rollback(s);
	free(status);
	free(now);
	return ret;
}
