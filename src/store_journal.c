/* SPDX-License-Identifier: MIT */
/*
 * store_journal.c: the transition journal: each transition with its
 * from-state checked and its intent, in one transaction with the state
 * change; intents finished; the journal read back.
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

/* Indexed by enum store_intent_status; the CHECK of transitions.intent_status. */
static const char *const intent_status_names[] = {
	[STORE_INTENT_NONE] = "none",
	[STORE_INTENT_PENDING] = "pending",
	[STORE_INTENT_DONE] = "done",
	[STORE_INTENT_FAILED] = "failed",
};

/* The current state of t's story (or run), newly allocated into *state. */
static int current_state(struct store *s, const struct store_transition *t, char **state,
			 const char *what, char **cause)
{
	sqlite3_stmt *st;
	int rc;

	if (!(st = store__prep(s, t->story_id ? ST_STORY_STATE : ST_RUN_STATE, what, cause)))
		return -1;
	store__bind_text(st, 1, t->run_id);
	if (t->story_id)
		store__bind_text(st, 2, t->story_id);
	if ((rc = store__get_row(s, st, store__read_text, state, what, cause)) < 0)
		return -1;
	if (rc == 0 && *state)
		return 0;
	if (t->story_id)
		return store__fail(cause, "cannot %s: no story '%s' in run '%s'", what, t->story_id,
				   t->run_id);
	return store__fail(cause, "cannot %s: no run '%s'", what, t->run_id);
}

/* Fails unless the current state of t's story (or run) is t->from_state. */
int store__expect_state(struct store *s, const struct store_transition *t, const char *what,
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
		store__bind_text(st, i + 1, NULL);
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
		if (!(st = store__prep(s, ST_RUN_SET_STATE, what, cause)))
			return -1;
		store__bind_text(st, 1, t->run_id);
		store__bind_text(st, 2, t->to_state);
		store__bind_text(st, 3, at);
		return store__exec(s, st, what, cause);
	}
	if (!(st = store__prep(s, ST_STORY_SET_STATE, what, cause)))
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
	return store__exec(s, st, what, cause);
}

int store__journal_insert(struct store *s, const struct store_transition *t, const char *at,
			  const char *what, char **cause)
{
	sqlite3_stmt *st;

	if (!(st = store__prep(s, ST_JOURNAL_INSERT, what, cause)))
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
	return store__exec(s, st, what, cause);
}

int store_transition(struct store *s, const struct store_transition *t, int64_t *seq_out,
		     char **cause)
{
	const char *what = "record transition";
	char *now = NULL;
	const char *at;
	int64_t seq = 0;
	int ret = -1;

	if (!t->run_id || !t->machine || !t->from_state || !t->event || !t->to_state)
		return store__fail(cause, "cannot %s: run, machine, event and states are required",
				   what);
	if (!t->story_id && t->set)
		return store__fail(cause, "cannot %s: story fields set on a run transition", what);
	at = t->at ? t->at : (now = store__iso_now());
	if (store__tx_begin(s, what, cause) < 0 || store__expect_state(s, t, what, cause) < 0)
		goto out;
	if (set_state(s, t, at, what, cause) < 0 ||
	    store__journal_insert(s, t, at, what, cause) < 0)
		goto out;
	seq = sqlite3_last_insert_rowid(s->db);
	ret = 0;
out:
	if ((ret = store__tx_end(s, ret, what, cause)) == 0 && seq_out)
		*seq_out = seq;
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
	int ret = -1;

	if (!store__prep(s, ST_INTENT_STATUS, what, cause) ||
	    !store__prep(s, ST_INTENT_FINISH, what, cause))
		return -1;
	if (store__tx_begin(s, what, cause) < 0)
		goto out;
	st = s->stmt[ST_INTENT_STATUS];
	store__bind_int(st, 1, seq);
	if (store__get_row(s, st, store__read_text, &status, what, cause) == 1)
		store__fail(cause, "cannot %s: no transition %" PRId64, what, seq);
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
	if (store__exec(s, st, what, cause) < 0)
		goto out;
	ret = 0;
out:
	ret = store__tx_end(s, ret, what, cause);
	free(status);
	return ret;
}

static void read_entry(sqlite3_stmt *st, void *row)
{
	struct store_journal_entry *e = row;
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

static void release_entry(void *row)
{
	struct store_journal_entry *e = row;

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

static int call_entry(const void *row, const struct store__cb *cb)
{
	return cb->fn.journal(row, cb->arg);
}

static const struct store__row_type entry_type = { sizeof(struct store_journal_entry), read_entry,
						   release_entry, call_entry };

static int journal_walk(struct store *s, enum store_stmt id, const char *run_id,
			store_journal_fn fn, void *arg, char **cause)
{
	struct store__cb cb = { .fn.journal = fn, .arg = arg };

	return store__each_in_run(s, id, run_id, &entry_type, &cb, "read the journal", cause);
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
