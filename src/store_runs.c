/* SPDX-License-Identifier: MIT */
/*
 * store_runs.c: runs and their stories in the state store.
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
	free(r->target);
	memset(r, 0, sizeof(*r));
}

/* Inserts run r inside the caller's transaction. */
static int run_insert(struct store *s, const struct store_run *r, const char *what, char **cause)
{
	char *now = NULL, *err = NULL;
	const char *started;
	sqlite3_stmt *st;
	int ret = -1;

	if (!(st = store__prep(s, ST_RUN_INSERT, what, cause)))
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
	store__bind_text(st, 10, r->target);
	if (store__exec(s, st, what, &err) == 0)
		ret = 0;
	else if (s->last_error == SQLITE_CONSTRAINT_PRIMARYKEY)
		store__fail(cause, "run '%s' already exists", r->id);
	else
		store__fail(cause, "%s", err);
	free(err);
	free(now);
	return ret;
}

static void read_run(sqlite3_stmt *st, void *row)
{
	struct store_run *r = row;

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
	r->target = store__col_text(st, 10);
}

int store_run_get(struct store *s, const char *id, struct store_run *out, char **cause)
{
	const char *what = "read run";
	sqlite3_stmt *st;

	if (!(st = store__prep(s, ST_RUN_GET, what, cause)))
		return -1;
	store__bind_text(st, 1, id);
	return store__get_row(s, st, read_run, out, what, cause);
}

static void release_run(void *row)
{
	store_run_release(row);
}

static const struct store__row_type run_type = { sizeof(struct store_run), read_run, release_run,
						 NULL };

int store_runs_list(struct store *s, struct store_run **out, size_t *n, char **cause)
{
	const char *what = "list the runs";
	sqlite3_stmt *st;

	if (!(st = store__prep(s, ST_RUN_LIST, what, cause)))
		return -1;
	return store__read_rows(s, st, &run_type, (void **)out, n, what, cause);
}

void store_runs_free(struct store_run *v, size_t n)
{
	store__free_rows(&run_type, v, n);
}

int store_run_set_pid(struct store *s, const char *id, int64_t pid, char **cause)
{
	const char *what = "record the run's pid";
	sqlite3_stmt *st;

	if (!(st = store__prep(s, ST_RUN_SET_PID, what, cause)))
		return -1;
	store__bind_text(st, 1, id);
	store__bind_int_or_null(st, 2, pid, 0);
	return store__write_row(s, st, what, cause, "no run '%s'", id);
}

static int run_latest(struct store *s, int which, const char *what, char **id_out, char **cause)
{
	sqlite3_stmt *st;

	if (!(st = store__prep(s, which, what, cause)))
		return -1;
	return store__get_row(s, st, store__read_text, id_out, what, cause);
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

/* Inserts story into run run_id inside the caller's transaction. */
static int story_insert(struct store *s, const char *run_id, const struct store_story *story,
			const char *what, char **cause)
{
	char *now = NULL, *err = NULL;
	sqlite3_stmt *st;
	int ret = -1;

	if (!(st = store__prep(s, ST_STORY_INSERT, what, cause)))
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
	if (store__exec(s, st, what, &err) == 0)
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

int store_run_create_with(struct store *s, const struct store_run *r,
			  const struct store_story *stories, size_t n, char **cause)
{
	const char *what = "create run";
	int ret = -1;

	if (store__tx_begin(s, what, cause) < 0)
		return -1;
	if (run_insert(s, r, what, cause) < 0)
		goto out;
	crash_point("in-run-record");
	for (size_t i = 0; i < n; i++)
		if (story_insert(s, r->id, &stories[i], "add story", cause) < 0)
			goto out;
	ret = 0;
out:
	return store__tx_end(s, ret, what, cause);
}

int store_run_create(struct store *s, const struct store_run *r, char **cause)
{
	return store_run_create_with(s, r, NULL, 0, cause);
}

int store_story_add(struct store *s, const char *run_id, const struct store_story *story,
		    char **cause)
{
	const char *what = "add story";

	if (store__tx_begin(s, what, cause) < 0)
		return -1;
	return store__tx_end(s, story_insert(s, run_id, story, what, cause), what, cause);
}

static void read_story(sqlite3_stmt *st, void *row)
{
	struct store_story *story = row;

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

static void release_story(void *row)
{
	store_story_release(row);
}

static int call_story(const void *row, const struct store__cb *cb)
{
	return cb->fn.story(row, cb->arg);
}

static const struct store__row_type story_type = { sizeof(struct store_story), read_story,
						   release_story, call_story };

/*
 * A story with the session of its current step and its wait
 * (ST_STORY_ROWS, store.h says which fields): its strings copied into one
 * block, one allocation a row instead of one a string.
 */
static void read_story_row(sqlite3_stmt *st, void *row)
{
	/* the text columns, and where each goes */
	static const int col[] = { 0, 1, 3, 4, 7, 8, 9, 10, 11 };
	struct store_story_row *r = row;
	char **dst[] = { &r->story.story_id,  &r->story.story_key, &r->story.state,
			 &r->story.step_name, &r->tmux_name,       &r->log_path,
			 &r->wait_until,      &r->wait_reason,     &r->story.updated_at };
	const unsigned char *text[ARRAY_SIZE(col)];
	size_t len[ARRAY_SIZE(col)], total = 0;
	char *p;

	for (size_t i = 0; i < ARRAY_SIZE(col); i++) {
		text[i] = sqlite3_column_text(st, col[i]);
		len[i] = text[i] ? (size_t)sqlite3_column_bytes(st, col[i]) : 0;
		total += text[i] ? len[i] + 1 : 0;
	}
	p = r->strings = xmalloc(total ? total : 1);
	for (size_t i = 0; i < ARRAY_SIZE(col); i++) {
		if (!text[i])
			continue;
		memcpy(p, text[i], len[i]);
		p[len[i]] = '\0';
		*dst[i] = p;
		p += len[i] + 1;
	}
	r->story.position = sqlite3_column_int(st, 2);
	r->story.attempt = sqlite3_column_int(st, 5);
	r->story.cycle = sqlite3_column_int(st, 6);
}

static void release_story_row(void *row)
{
	free(((struct store_story_row *)row)->strings);
}

static const struct store__row_type story_row_type = { sizeof(struct store_story_row),
						       read_story_row, release_story_row, NULL };

int store_story_get(struct store *s, const char *run_id, const char *story_id,
		    struct store_story *out, char **cause)
{
	const char *what = "read story";
	sqlite3_stmt *st;

	if (!(st = store__prep(s, ST_STORY_GET, what, cause)))
		return -1;
	store__bind_text(st, 1, run_id);
	store__bind_text(st, 2, story_id);
	return store__get_row(s, st, read_story, out, what, cause);
}

int store_stories_foreach(struct store *s, const char *run_id, store_story_fn fn, void *arg,
			  char **cause)
{
	struct store__cb cb = { .fn.story = fn, .arg = arg };

	return store__each_in_run(s, ST_STORY_LIST, run_id, &story_type, &cb, "list stories",
				  cause);
}

int store_story_rows(struct store *s, const char *run_id, struct store_story_row **out,
		     size_t *nout, char **cause)
{
	const char *what = "list stories";
	sqlite3_stmt *st;
	void *v;

	if (!(st = store__prep(s, ST_STORY_ROWS, what, cause)))
		return -1;
	store__bind_text(st, 1, run_id);
	if (store__read_rows(s, st, &story_row_type, &v, nout, what, cause) < 0)
		return -1;
	*out = v;
	return 0;
}

void store_story_rows_free(struct store_story_row *v, size_t n)
{
	store__free_rows(&story_row_type, v, n);
}
