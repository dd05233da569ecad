/* SPDX-License-Identifier: MIT */
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
	free(e->recommendation);
	memset(e, 0, sizeof(*e));
}

static void read_escalation(sqlite3_stmt *st, void *row)
{
	struct store_escalation *e = row;

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
	e->recommendation = store__col_text(st, 21);
}

static void release_escalation(void *row)
{
	store_escalation_release(row);
}

static int call_escalation(const void *row, const struct store__cb *cb)
{
	return cb->fn.escalation(row, cb->arg);
}

static const struct store__row_type escalation_type = { sizeof(struct store_escalation),
							read_escalation, release_escalation,
							call_escalation };

/*
 * The id of e's live (not closed) escalation, if any, into *id: 0 when
 * there is one, 1 when there is none.
 */
static int escalation_find_live(struct store *s, const struct store_escalation *e, int64_t *id,
				const char *what, char **cause)
{
	sqlite3_stmt *st = s->stmt[ST_ESC_FIND_LIVE];

	store__bind_text(st, 1, e->run_id);
	store__bind_text(st, 2, e->story_id);
	store__bind_text(st, 3, e->trigger);
	return store__get_row(s, st, store__read_int, id, what, cause);
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
	if (store__journal_insert(s, &t, at, what, cause) < 0)
		goto out;
	ret = 0;
out:
	if ((ret = store__tx_end(s, ret, what, cause)) >= 0 && id_out)
		*id_out = id;
	free(now);
	return ret;
}

int store_escalation_get(struct store *s, int64_t id, struct store_escalation *out, char **cause)
{
	const char *what = "read escalation";
	sqlite3_stmt *st;

	if (!(st = store__prep(s, ST_ESC_GET, what, cause)))
		return -1;
	store__bind_int(st, 1, id);
	return store__get_row(s, st, read_escalation, out, what, cause);
}

int store_escalations_foreach(struct store *s, const char *run_id, bool open_only,
			      store_escalation_fn fn, void *arg, char **cause)
{
	const char *what = "list escalations";
	struct store__cb cb = { .fn.escalation = fn, .arg = arg };
	sqlite3_stmt *st;

	if (!(st = store__prep(s, ST_ESC_LIST, what, cause)))
		return -1;
	store__bind_text(st, 1, run_id);
	store__bind_int(st, 2, open_only);
	return store__each_row(s, st, &escalation_type, &cb, what, cause);
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

	if (!(st = store__prep(s, ST_ESC_STATUS, what, cause)) ||
	    store__tx_begin(s, what, cause) < 0)
		return -1;
	store__bind_int(st, 1, id);
	return store__get_row(s, st, store__read_text, status, what, cause);
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
	if (store__exec(s, st, what, cause) < 0)
		goto out;
	ret = 0;
out:
	ret = store__tx_end(s, ret, what, cause);
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
	int64_t did = 0;
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
	ret = 0;
out:
	if ((ret = store__tx_end(s, ret, what, cause)) == 0 && decision_id)
		*decision_id = did;
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
	if (escalation_close(s, id, reason, at ? at : (now = store__iso_now()), what, cause) < 0)
		goto out;
	ret = 0;
out:
	ret = store__tx_end(s, ret, what, cause);
	free(status);
	free(now);
	return ret;
}

int store_escalation_recommend(struct store *s, int64_t id, const char *json, char **cause)
{
	const char *what = "record the operator's recommendation";
	sqlite3_stmt *st;

	if (!(st = store__prep(s, ST_ESC_RECOMMEND, what, cause)))
		return -1;
	store__bind_int(st, 1, id);
	store__bind_text(st, 2, json);
	return store__write_row(s, st, what, cause, "no escalation %lld", (long long)id);
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
	struct store__cb cb = { .fn.escalation = fn, .arg = arg };
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
	ret = store__each_row(s, st, &escalation_type, &cb, what, cause);
out:
	free(now);
	return ret;
}

/* ---- decisions ---- */

static void read_decision(sqlite3_stmt *st, void *row)
{
	struct store_decision *d = row;

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

static void release_decision(void *row)
{
	struct store_decision *d = row;

	free(d->story_id);
	free(d->step);
	free(d->trigger);
	free(d->category);
	free(d->choice);
	free(d->reply);
	free(d->source);
	free(d->at);
}

static int call_decision(const void *row, const struct store__cb *cb)
{
	return cb->fn.decision(row, cb->arg);
}

static const struct store__row_type decision_type = { sizeof(struct store_decision), read_decision,
						      release_decision, call_decision };

int store_decisions_pending(struct store *s, const char *run_id, store_decision_fn fn, void *arg,
			    char **cause)
{
	struct store__cb cb = { .fn.decision = fn, .arg = arg };

	return store__each_in_run(s, ST_DECISION_PENDING, run_id, &decision_type, &cb,
				  "list pending decisions", cause);
}

/* A decision's escalation, whether it is applied, and the escalation's status. */
struct applied_state {
	int64_t esc;
	bool applied;
	char *status;
};

static void read_applied_state(sqlite3_stmt *st, void *row)
{
	struct applied_state *d = row;

	d->esc = sqlite3_column_int64(st, 0);
	d->applied = sqlite3_column_int(st, 1) != 0;
	d->status = store__col_text(st, 2);
}

int store_decision_applied(struct store *s, int64_t decision_id, bool close, const char *at,
			   char **cause)
{
	const char *what = "record decision applied";
	struct applied_state d = { 0 };
	sqlite3_stmt *get, *set, *reopen;
	char *now = NULL;
	int ret = -1;

	if (!(get = store__prep(s, ST_DECISION_GET, what, cause)) ||
	    !(set = store__prep(s, ST_DECISION_SET_APPLIED, what, cause)) ||
	    !(reopen = store__prep(s, ST_ESC_REOPEN, what, cause)))
		return -1;
	at = at ? at : (now = store__iso_now());
	if (store__tx_begin(s, what, cause) < 0)
		goto out;
	store__bind_int(get, 1, decision_id);
	if (store__get_row(s, get, read_applied_state, &d, what, cause) == 1)
		ret = 1;
	if (!d.status)
		goto out;
	if (d.applied) {
		store__fail(cause, "decision %" PRId64 " is already applied", decision_id);
		goto out;
	}
	store__bind_int(set, 1, decision_id);
	store__bind_text(set, 2, at);
	if (store__exec(s, set, what, cause) < 0)
		goto out;
	/* an escalation closed meanwhile stays closed */
	if (strcmp(d.status, "answered") == 0) {
		if (close) {
			if (escalation_close(s, d.esc, "answered", at, what, cause) < 0)
				goto out;
		} else {
			store__bind_int(reopen, 1, d.esc);
			store__bind_text(reopen, 2, at);
			if (store__exec(s, reopen, what, cause) < 0)
				goto out;
		}
	}
	ret = 0;
out:
	ret = store__tx_end(s, ret, what, cause);
	free(d.status);
	free(now);
	return ret;
}
