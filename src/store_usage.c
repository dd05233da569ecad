/* SPDX-License-Identifier: MIT */
/*
 * store_usage.c: the state store's record of what agents used (cost,
 * tokens, turns, time per session) and of waits for their services (per
 * story, and holds per agent preset). Part of the store: bound parameters
 * only, every write in its own BEGIN IMMEDIATE transaction (store_int.h).
 *
 * Must not decide anything: what counts as a wait or a budget is run_wait.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

/* clang-format off */
static const char *const sql[STORE_EXT_SLOTS] = {
	[SX_SESSION_USAGE] =
		"UPDATE sessions SET cost_usd = ?2, input_tokens = ?3, output_tokens = ?4, "
		"cache_read_tokens = ?5, cache_write_tokens = ?6, turns = ?7, duration_ms = ?8 "
		"WHERE id = ?1",
	[SX_USAGE_BY_STORY] =
		"SELECT story_id, count(ended_at), count(cost_usd), total(cost_usd), "
		"total(input_tokens), total(output_tokens), total(cache_read_tokens), "
		"total(cache_write_tokens), total(turns), total(duration_ms) "
		"FROM sessions WHERE run_id = ?1 GROUP BY story_id ORDER BY min(id)",
	[SX_STORY_SET_WAIT] =
		"UPDATE stories SET wait_until = ?3, wait_reason = ?4, wait_since = ?5 "
		"WHERE run_id = ?1 AND story_id = ?2",
	[SX_STORY_SET_BUDGET] =
		"UPDATE stories SET budget_usd = ?3 WHERE run_id = ?1 AND story_id = ?2",
	[SX_WAIT_LIST] =
		"SELECT story_id, wait_until, wait_reason, wait_since, budget_usd FROM stories "
		"WHERE run_id = ?1 AND (wait_until IS NOT NULL OR wait_since IS NOT NULL "
		"OR budget_usd IS NOT NULL) "
		"ORDER BY position",
	[SX_HOLD_SET] =
		"INSERT INTO agent_holds (run_id, agent, until, reason) VALUES (?1, ?2, ?3, ?4) "
		"ON CONFLICT (run_id, agent) DO UPDATE SET until = ?3, reason = ?4",
	[SX_HOLD_LIST] =
		"SELECT agent, until, reason FROM agent_holds WHERE run_id = ?1 ORDER BY agent",
};
/* clang-format on */

static sqlite3_stmt *prep(struct store *s, enum store_ext_slot slot, const char *what, char **cause)
{
	return store__prep_ext(s, slot, sql[slot], what, cause);
}

/*
 * Calls row on each row of slot's statement for run_id while stepping,
 * until it returns nonzero, which it returns; -1 when stepping fails.
 */
static int each_in_run(struct store *s, enum store_ext_slot slot, const char *run_id,
		       int (*row)(sqlite3_stmt *st, const struct store__cb *cb),
		       const struct store__cb *cb, const char *what, char **cause)
{
	sqlite3_stmt *st;
	int rc = SQLITE_DONE, ret = 0;

	if (!(st = prep(s, slot, what, cause)))
		return -1;
	store__bind_text(st, 1, run_id);
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ret = row(st, cb);
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store__db_fail(s, what, cause);
	store__done(st);
	return ret;
}

int store_session_set_usage(struct store *s, int64_t id, const struct store_usage *u, char **cause)
{
	const char *what = "record session usage";
	sqlite3_stmt *st;

	if (!(st = prep(s, SX_SESSION_USAGE, what, cause)))
		return -1;
	store__bind_int(st, 1, id);
	if (u->has_cost)
		sqlite3_bind_double(st, 2, u->cost_usd);
	else
		sqlite3_bind_null(st, 2);
	store__bind_int(st, 3, u->input_tokens);
	store__bind_int(st, 4, u->output_tokens);
	store__bind_int(st, 5, u->cache_read_tokens);
	store__bind_int(st, 6, u->cache_write_tokens);
	store__bind_int(st, 7, u->turns);
	store__bind_int(st, 8, u->duration_ms);
	return store__write_row(s, st, what, cause, "no such row");
}

static int usage_row(sqlite3_stmt *st, const struct store__cb *cb)
{
	struct store_usage u = { 0 };

	u.sessions = sqlite3_column_int(st, 1);
	u.has_cost = sqlite3_column_int(st, 2) > 0;
	u.cost_usd = sqlite3_column_double(st, 3);
	u.input_tokens = (int64_t)sqlite3_column_double(st, 4);
	u.output_tokens = (int64_t)sqlite3_column_double(st, 5);
	u.cache_read_tokens = (int64_t)sqlite3_column_double(st, 6);
	u.cache_write_tokens = (int64_t)sqlite3_column_double(st, 7);
	u.turns = (int64_t)sqlite3_column_double(st, 8);
	u.duration_ms = (int64_t)sqlite3_column_double(st, 9);
	return cb->fn.usage((const char *)sqlite3_column_text(st, 0), &u, cb->arg);
}

int store_usage_foreach(struct store *s, const char *run_id, store_usage_fn fn, void *arg,
			char **cause)
{
	struct store__cb cb = { .fn.usage = fn, .arg = arg };

	return each_in_run(s, SX_USAGE_BY_STORY, run_id, usage_row, &cb, "sum usage", cause);
}

void store_wait_release(struct store_wait *w)
{
	free(w->story_id);
	free(w->until);
	free(w->reason);
	free(w->since);
	memset(w, 0, sizeof(*w));
}

int store_story_set_wait(struct store *s, const char *run_id, const char *story_id,
			 const char *until, const char *reason, const char *since, char **cause)
{
	const char *what = "record a story's wait";
	sqlite3_stmt *st;

	if (!(st = prep(s, SX_STORY_SET_WAIT, what, cause)))
		return -1;
	store__bind_text(st, 1, run_id);
	store__bind_text(st, 2, story_id);
	store__bind_text(st, 3, until);
	store__bind_text(st, 4, until ? reason : NULL);
	store__bind_text(st, 5, since);
	return store__write_row(s, st, what, cause, "no such row");
}

int store_story_set_budget(struct store *s, const char *run_id, const char *story_id, double budget,
			   char **cause)
{
	const char *what = "record a story's budget";
	sqlite3_stmt *st;

	if (!(st = prep(s, SX_STORY_SET_BUDGET, what, cause)))
		return -1;
	store__bind_text(st, 1, run_id);
	store__bind_text(st, 2, story_id);
	sqlite3_bind_double(st, 3, budget);
	return store__write_row(s, st, what, cause, "no such row");
}

static int wait_row(sqlite3_stmt *st, const struct store__cb *cb)
{
	struct store_wait w = { 0 };
	int ret;

	w.story_id = store__col_text(st, 0);
	w.until = store__col_text(st, 1);
	w.reason = store__col_text(st, 2);
	w.since = store__col_text(st, 3);
	w.budget = sqlite3_column_double(st, 4);
	ret = cb->fn.wait(&w, cb->arg);
	store_wait_release(&w);
	return ret;
}

int store_waits_foreach(struct store *s, const char *run_id, store_wait_fn fn, void *arg,
			char **cause)
{
	struct store__cb cb = { .fn.wait = fn, .arg = arg };

	return each_in_run(s, SX_WAIT_LIST, run_id, wait_row, &cb, "list waits", cause);
}

int store_hold_set(struct store *s, const char *run_id, const char *agent, const char *until,
		   const char *reason, char **cause)
{
	const char *what = "record an agent hold";
	sqlite3_stmt *st;

	if (!(st = prep(s, SX_HOLD_SET, what, cause)))
		return -1;
	store__bind_text(st, 1, run_id);
	store__bind_text(st, 2, agent);
	store__bind_text(st, 3, until);
	store__bind_text(st, 4, reason);
	return store__write_one(s, st, what, NULL, cause);
}

static int hold_row(sqlite3_stmt *st, const struct store__cb *cb)
{
	return cb->fn.hold((const char *)sqlite3_column_text(st, 0),
			   (const char *)sqlite3_column_text(st, 1),
			   (const char *)sqlite3_column_text(st, 2), cb->arg);
}

int store_holds_foreach(struct store *s, const char *run_id, store_hold_fn fn, void *arg,
			char **cause)
{
	struct store__cb cb = { .fn.hold = fn, .arg = arg };

	return each_in_run(s, SX_HOLD_LIST, run_id, hold_row, &cb, "list agent holds", cause);
}
