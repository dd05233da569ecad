/* SPDX-License-Identifier: MIT */
/*
 * test_store.c: the state store against a real sqlite file in a temp
 * directory under $TMPDIR (removed afterwards; never $HOME). Every check
 * reads data back, through the store or through a raw sqlite3 connection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "migrations.h"
#include "store.h"
#include "util.h"

#define EVIL_STORY "1.1'\"; '); DROP TABLE runs; --"
#define EVIL_RUN "run'); DELETE FROM runs; --"

struct fx {
	char *dir;
	char *path;
	struct store *st;
};

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *p;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = path_join(dir, de->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	remove_tree(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct fx *f = xcalloc(1, sizeof(*f));
	char *cause = NULL;

	f->dir = xstrfmt("%s/au-test-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	f->path = path_join(f->dir, "state.db");
	*state = f;
	if (store_open(f->path, &f->st, &cause) < 0) {
		/* cmocka skips the teardown of a failed setup */
		fprintf(stderr, "store_open: %s\n", cause);
		free(cause);
		teardown(state);
		return -1;
	}
	return 0;
}

/* ---- raw sqlite3 reads, independent of the store ---- */

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static int64_t raw_int(const char *path, const char *sql, const char *arg)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static char *raw_text(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *st = NULL;
	char *v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("raw sql '%s': %s", sql, err);
}

static int64_t count_tables(const char *path)
{
	return raw_int(path,
		       "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
		       "('runs', 'stories', 'sessions', 'transitions', 'escalations', "
		       "'decisions', 'restart_budgets')",
		       NULL);
}

static int64_t count_journal(const char *path)
{
	return raw_int(path, "SELECT count(*) FROM transitions", NULL);
}

static double elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* ---- store helpers ---- */

static void add_run(struct store *st, const char *id, const char *state, const char *started)
{
	struct store_run r = { 0 };
	char *cause = NULL;

	r.id = (char *)id;
	r.sprint_file = "sprint.yaml";
	r.project = "demo";
	r.root = "/src/demo";
	r.state = (char *)state;
	r.started_at = (char *)started;
	if (store_run_create(st, &r, &cause) != 0)
		fail_msg("store_run_create: %s", cause);
}

static void add_story(struct store *st, const char *run, const char *id, int pos, const char *state)
{
	struct store_story s = { 0 };
	char *cause = NULL;

	s.story_id = (char *)id;
	s.story_key = (char *)id;
	s.position = pos;
	s.state = (char *)state;
	if (store_story_add(st, run, &s, &cause) != 0)
		fail_msg("store_story_add: %s", cause);
}

static char *story_state(struct store *st, const char *run, const char *id)
{
	struct store_story s = { 0 };
	char *cause = NULL, *state;

	if (store_story_get(st, run, id, &s, &cause) != 0)
		fail_msg("store_story_get '%s': %s", id, cause ? cause : "not found");
	state = s.state;
	s.state = NULL;
	store_story_release(&s);
	return state;
}

static void assert_story_state(struct store *st, const char *run, const char *id, const char *want)
{
	char *got = story_state(st, run, id);

	assert_string_equal(got, want);
	free(got);
}

static struct store_transition story_t(const char *run, const char *story, const char *from,
				       const char *event, const char *to)
{
	struct store_transition t = { 0 };

	t.run_id = run;
	t.machine = "story";
	t.story_id = story;
	t.from_state = from;
	t.event = event;
	t.to_state = to;
	return t;
}

static struct store_transition run_t(const char *run, const char *from, const char *event,
				     const char *to)
{
	struct store_transition t = { 0 };

	t.run_id = run;
	t.machine = "run";
	t.from_state = from;
	t.event = event;
	t.to_state = to;
	return t;
}

static int64_t apply(struct store *st, const struct store_transition *t)
{
	char *cause = NULL;
	int64_t seq = -1;

	if (store_transition(st, t, &seq, &cause) != 0)
		fail_msg("store_transition: %s", cause);
	assert_true(seq > 0);
	return seq;
}

/* Applies t expecting failure; returns the cause. seq_out must stay untouched. */
static char *apply_fails(struct store *st, const struct store_transition *t)
{
	char *cause = NULL;
	int64_t seq = -7;

	assert_int_equal(store_transition(st, t, &seq, &cause), -1);
	assert_int_equal(seq, -7);
	assert_non_null(cause);
	return cause;
}

/* Deep copies of journal entries, collected by a callback. */
struct journal {
	struct store_journal_entry e[32];
	int n;
};

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int collect_entry(const struct store_journal_entry *e, void *arg)
{
	struct journal *j = arg;
	struct store_journal_entry *c;

	assert_true(j->n < (int)ARRAY_SIZE(j->e));
	c = &j->e[j->n++];
	c->seq = e->seq;
	c->run_id = dup_or_null(e->run_id);
	c->machine = dup_or_null(e->machine);
	c->story_id = dup_or_null(e->story_id);
	c->from_state = dup_or_null(e->from_state);
	c->event = dup_or_null(e->event);
	c->guard = dup_or_null(e->guard);
	c->action = dup_or_null(e->action);
	c->to_state = dup_or_null(e->to_state);
	c->at = dup_or_null(e->at);
	c->intent = dup_or_null(e->intent);
	c->intent_status = e->intent_status;
	c->intent_result = dup_or_null(e->intent_result);
	return 0;
}

static void journal_release(struct journal *j)
{
	for (int i = 0; i < j->n; i++) {
		struct store_journal_entry *c = &j->e[i];

		free(c->run_id);
		free(c->machine);
		free(c->story_id);
		free(c->from_state);
		free(c->event);
		free(c->guard);
		free(c->action);
		free(c->to_state);
		free(c->at);
		free(c->intent);
		free(c->intent_result);
	}
	j->n = 0;
}

static void read_journal(struct store *st, const char *run, struct journal *j)
{
	char *cause = NULL;

	if (store_journal_foreach(st, run, collect_entry, j, &cause) != 0)
		fail_msg("store_journal_foreach: %s", cause);
}

static void read_pending(struct store *st, const char *run, struct journal *j)
{
	char *cause = NULL;

	if (store_pending_intents(st, run, collect_entry, j, &cause) != 0)
		fail_msg("store_pending_intents: %s", cause);
}

/* ---- tests ---- */

static void test_fresh_database_migrates(void **state)
{
	struct fx *f = *state;
	char *cause = NULL;
	int version = -1;

	assert_true(migrations_count >= 1);
	assert_int_equal(store_schema_latest(), migrations_count);
	assert_int_equal(store_schema_version(f->st, &version, &cause), 0);
	assert_int_equal(version, migrations_count);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version", NULL), migrations_count);
	assert_int_equal(count_tables(f->path), 7);
}

static void test_reopen_is_idempotent(void **state)
{
	struct fx *f = *state;
	struct store_run r = { 0 };
	char *cause = NULL;
	int version = -1;

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	for (int i = 0; i < 3; i++) {
		store_close(f->st);
		f->st = NULL;
		if (store_open(f->path, &f->st, &cause) != 0)
			fail_msg("reopen %d: %s", i, cause);
	}
	assert_int_equal(store_schema_version(f->st, &version, &cause), 0);
	assert_int_equal(version, migrations_count);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version", NULL), migrations_count);
	assert_int_equal(count_tables(f->path), 7);
	assert_int_equal(store_run_get(f->st, "r1", &r, &cause), 0);
	assert_string_equal(r.state, "IN_PROGRESS");
	assert_string_equal(r.sprint_file, "sprint.yaml");
	assert_null(r.finished_at);
	assert_null(r.agent);
	store_run_release(&r);
}

/* run --agent NAME is kept with the run, for resume */
static void test_run_agent_kept(void **state)
{
	struct fx *f = *state;
	struct store_run r = { 0 };
	char *cause = NULL;

	r.id = "ra";
	r.sprint_file = "sprint.yaml";
	r.project = "demo";
	r.root = "/src/demo";
	r.state = "INITIALIZING";
	r.agent = "codex-o'brien";
	assert_int_equal(store_run_create(f->st, &r, &cause), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_run_get(f->st, "ra", &r, &cause), 0);
	assert_string_equal(r.agent, "codex-o'brien");
	store_run_release(&r);
}

static void test_newer_schema_is_refused(void **state)
{
	struct fx *f = *state;
	struct store *sentinel = (struct store *)&sentinel;
	struct store *out = sentinel;
	char *cause = NULL, *want;
	sqlite3 *db;

	store_close(f->st);
	f->st = NULL;
	db = raw_open(f->path);
	raw_exec(db, "PRAGMA user_version = 9");
	sqlite3_close(db);

	assert_int_equal(store_open(f->path, &out, &cause), -1);
	assert_ptr_equal(out, sentinel);
	want = xstrfmt("database schema version 9 is newer than this automator (%d)",
		       migrations_count);
	assert_string_equal(cause, want);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version", NULL), 9);
	free(want);
	free(cause);
}

static void test_open_failure(void **state)
{
	struct fx *f = *state;
	struct store *sentinel = (struct store *)&sentinel;
	struct store *out = sentinel;
	char *cause = NULL, *path = path_join(f->dir, "missing/state.db");

	assert_int_equal(store_open(path, &out, &cause), -1);
	assert_ptr_equal(out, sentinel);
	assert_true(str_starts_with(cause, "cannot open database '"));
	free(cause);
	free(path);
	store_close(NULL);
}

static void test_wal_and_foreign_keys(void **state)
{
	struct fx *f = *state;
	struct store_story s = { 0 };
	struct store_session ss = { 0 };
	char *mode = raw_text(f->path, "PRAGMA journal_mode");
	char *cause = NULL;

	assert_string_equal(mode, "wal");
	free(mode);

	/* foreign keys: a story of a run that does not exist is refused */
	s.story_id = "1.1";
	s.story_key = "1-1";
	s.state = "PENDING";
	assert_int_equal(store_story_add(f->st, "nope", &s, &cause), -1);
	assert_string_equal(cause, "cannot add story '1.1': no run 'nope'");
	free(cause);
	cause = NULL;
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM stories", NULL), 0);

	/* ... and so is a session of a story that does not exist */
	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	ss.run_id = "r1";
	ss.story_id = "9.9";
	ss.step = "dev";
	ss.tmux_name = "au-x";
	ss.log_path = "x.log";
	assert_int_equal(store_session_add(f->st, &ss, NULL, &cause), -1);
	assert_string_equal(cause, "cannot add session: no story '9.9' in run 'r1'");
	free(cause);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sessions", NULL), 0);
}

static void test_transition_writes_state_journal_intent(void **state)
{
	struct fx *f = *state;
	struct store_transition t;
	struct store_story s = { 0 };
	struct journal j = { 0 };
	const char *intent = "{\"action\":\"BEGIN_STORY\",\"story\":\"1.1\"}";
	char *cause = NULL;
	int64_t seq1, seq2, seq3;

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	add_story(f->st, "r1", "1.1", 0, "PENDING");

	t = story_t("r1", "1.1", "PENDING", "START", "SPAWN");
	t.action = "BEGIN_STORY";
	t.intent = intent;
	t.at = "2024-05-01T12:00:00.000Z";
	t.set = STORE_SET_STEP_INDEX | STORE_SET_STEP_NAME | STORE_SET_ATTEMPT |
		STORE_SET_BASE_COMMIT;
	t.set |= STORE_SET_RETRIES_USED | STORE_SET_CRASH_RETRIES_USED;
	t.step_index = 0;
	t.step_name = "dev";
	t.attempt = 1;
	t.retries_used = 2;
	t.crash_retries_used = 3;
	t.base_commit = "abc123";
	t.cycle = 99; /* not in set: must not be written */
	seq1 = apply(f->st, &t);

	assert_int_equal(store_story_get(f->st, "r1", "1.1", &s, &cause), 0);
	assert_string_equal(s.state, "SPAWN");
	assert_string_equal(s.step_name, "dev");
	assert_int_equal(s.attempt, 1);
	assert_int_equal(s.retries_used, 2);
	assert_int_equal(s.crash_retries_used, 3);
	assert_int_equal(s.cycle, 0);
	assert_string_equal(s.base_commit, "abc123");
	assert_string_equal(s.updated_at, "2024-05-01T12:00:00.000Z");
	store_story_release(&s);

	/* fields not in set keep their values */
	t = story_t("r1", "1.1", "SPAWN", "VERIFIED", "REVIEW");
	t.set = STORE_SET_CYCLE | STORE_SET_STEP_INDEX;
	t.cycle = 1;
	t.step_index = 1;
	seq2 = apply(f->st, &t);
	assert_int_equal(store_story_get(f->st, "r1", "1.1", &s, &cause), 0);
	assert_string_equal(s.state, "REVIEW");
	assert_int_equal(s.cycle, 1);
	assert_int_equal(s.step_index, 1);
	assert_string_equal(s.step_name, "dev");
	assert_int_equal(s.attempt, 1);
	assert_int_equal(s.retries_used, 2);
	assert_int_equal(s.crash_retries_used, 3);
	assert_string_equal(s.base_commit, "abc123");
	store_story_release(&s);

	/* a transition that sets nothing keeps every counter */
	t = story_t("r1", "1.1", "REVIEW", "NOT_VERIFIED", "REVIEW");
	t.cycle = 0;
	t.step_name = NULL;
	apply(f->st, &t);
	assert_int_equal(store_story_get(f->st, "r1", "1.1", &s, &cause), 0);
	assert_int_equal(s.step_index, 1);
	assert_string_equal(s.step_name, "dev");
	assert_int_equal(s.attempt, 1);
	assert_int_equal(s.cycle, 1);
	assert_int_equal(s.retries_used, 2);
	assert_int_equal(s.crash_retries_used, 3);
	assert_string_equal(s.base_commit, "abc123");
	store_story_release(&s);

	t = run_t("r1", "IN_PROGRESS", "CRITICAL", "PAUSED");
	t.action = "PAUSE";
	seq3 = apply(f->st, &t);
	assert_true(seq1 < seq2 && seq2 < seq3);

	read_journal(f->st, "r1", &j);
	assert_int_equal(j.n, 4);
	assert_int_equal(j.e[0].seq, seq1);
	assert_string_equal(j.e[0].run_id, "r1");
	assert_string_equal(j.e[0].machine, "story");
	assert_string_equal(j.e[0].story_id, "1.1");
	assert_string_equal(j.e[0].from_state, "PENDING");
	assert_string_equal(j.e[0].event, "START");
	assert_null(j.e[0].guard);
	assert_string_equal(j.e[0].action, "BEGIN_STORY");
	assert_string_equal(j.e[0].to_state, "SPAWN");
	assert_string_equal(j.e[0].at, "2024-05-01T12:00:00.000Z");
	assert_string_equal(j.e[0].intent, intent);
	assert_int_equal(j.e[0].intent_status, STORE_INTENT_PENDING);
	assert_null(j.e[0].intent_result);
	assert_int_equal(j.e[1].seq, seq2);
	assert_string_equal(j.e[1].to_state, "REVIEW");
	assert_null(j.e[1].intent);
	assert_int_equal(j.e[1].intent_status, STORE_INTENT_NONE);
	assert_true(str_ends_with(j.e[1].at, "Z"));
	assert_int_equal(j.e[3].seq, seq3);
	assert_string_equal(j.e[3].machine, "run");
	assert_null(j.e[3].story_id);
	assert_string_equal(j.e[3].to_state, "PAUSED");
	journal_release(&j);

	read_pending(f->st, "r1", &j);
	assert_int_equal(j.n, 1);
	assert_int_equal(j.e[0].seq, seq1);
	assert_string_equal(j.e[0].intent, intent);
	journal_release(&j);

	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs WHERE state = 'PAUSED'", NULL),
			 1);
}

static void test_transition_from_state_mismatch(void **state)
{
	struct fx *f = *state;
	struct store_transition t;
	struct store_story s = { 0 };
	char *cause = NULL;

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	add_story(f->st, "r1", "1.1", 0, "PENDING");
	t = story_t("r1", "1.1", "PENDING", "START", "SPAWN");
	t.intent = "{}";
	t.set = STORE_SET_ATTEMPT;
	t.attempt = 1;
	apply(f->st, &t);

	/* the same transition applied twice */
	t.attempt = 5;
	cause = apply_fails(f->st, &t);
	assert_string_equal(cause, "state of story '1.1' is SPAWN, not PENDING");
	free(cause);
	assert_int_equal(store_story_get(f->st, "r1", "1.1", &s, &cause), 0);
	assert_string_equal(s.state, "SPAWN");
	assert_int_equal(s.attempt, 1);
	store_story_release(&s);
	assert_int_equal(count_journal(f->path), 1);

	t = run_t("r1", "READY", "START", "IN_PROGRESS");
	cause = apply_fails(f->st, &t);
	assert_string_equal(cause, "state of run 'r1' is IN_PROGRESS, not READY");
	free(cause);

	t = story_t("r1", "9.9", "PENDING", "START", "SPAWN");
	cause = apply_fails(f->st, &t);
	assert_string_equal(cause, "cannot record transition: no story '9.9' in run 'r1'");
	free(cause);

	t = run_t("r9", "READY", "START", "IN_PROGRESS");
	cause = apply_fails(f->st, &t);
	assert_string_equal(cause, "cannot record transition: no run 'r9'");
	free(cause);

	assert_int_equal(count_journal(f->path), 1);
	assert_int_equal(
		raw_int(f->path, "SELECT count(*) FROM runs WHERE state = 'IN_PROGRESS'", NULL), 1);
}

static void test_transition_is_atomic(void **state)
{
	struct fx *f = *state;
	struct store_transition t;
	struct store_story s = { 0 };
	char *cause;

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	add_story(f->st, "r1", "1.1", 0, "PENDING");

	/* the state update succeeds, then the journal insert violates a CHECK */
	t = story_t("r1", "1.1", "PENDING", "START", "SPAWN");
	t.machine = "bogus";
	t.intent = "{\"a\":1}";
	t.set = STORE_SET_ATTEMPT | STORE_SET_STEP_NAME;
	t.attempt = 3;
	t.step_name = "dev";
	cause = apply_fails(f->st, &t);
	assert_non_null(strstr(cause, "CHECK constraint failed"));
	free(cause);

	/* the story update violates a CHECK (counters are never negative) */
	t.machine = "story";
	t.attempt = -1;
	cause = apply_fails(f->st, &t);
	assert_non_null(strstr(cause, "CHECK constraint failed"));
	free(cause);
	t.attempt = 3;

	/* a story transition journaled as the run machine */
	t.machine = "run";
	free(apply_fails(f->st, &t));

	/* an intent that is not JSON */
	t.machine = "story";
	t.intent = "{not json";
	free(apply_fails(f->st, &t));

	/* a run transition journaled as the story machine */
	t = run_t("r1", "IN_PROGRESS", "CRITICAL", "PAUSED");
	t.machine = "story";
	free(apply_fails(f->st, &t));

	assert_int_equal(store_story_get(f->st, "r1", "1.1", &s, &cause), 0);
	assert_string_equal(s.state, "PENDING");
	assert_int_equal(s.attempt, 0);
	assert_null(s.step_name);
	store_story_release(&s);
	assert_int_equal(count_journal(f->path), 0);
	assert_int_equal(
		raw_int(f->path, "SELECT count(*) FROM runs WHERE state = 'IN_PROGRESS'", NULL), 1);

	/* no transaction was left open: the store still writes */
	t = story_t("r1", "1.1", "PENDING", "START", "SPAWN");
	apply(f->st, &t);
	assert_story_state(f->st, "r1", "1.1", "SPAWN");
	assert_int_equal(count_journal(f->path), 1);
}

static void test_intents_finish(void **state)
{
	struct fx *f = *state;
	struct store_transition t;
	struct journal j = { 0 };
	char *cause = NULL, *want;
	int64_t seq[4];

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	add_story(f->st, "r1", "1.1", 0, "PENDING");
	add_story(f->st, "r1", "1.2", 1, "PENDING");
	t = story_t("r1", "1.1", "PENDING", "START", "SPAWN");
	t.intent = "{\"spawn\":\"1.1\"}";
	seq[0] = apply(f->st, &t);
	t = story_t("r1", "1.2", "PENDING", "START", "SPAWN");
	t.intent = "{\"spawn\":\"1.2\"}";
	seq[1] = apply(f->st, &t);
	t = story_t("r1", "1.1", "SPAWN", "OUTPUT_SUCCESS", "COMMIT");
	t.intent = "{\"commit\":\"1.1\"}";
	seq[2] = apply(f->st, &t);
	t = run_t("r1", "IN_PROGRESS", "CRITICAL", "PAUSED");
	seq[3] = apply(f->st, &t);

	read_pending(f->st, "r1", &j);
	assert_int_equal(j.n, 3);
	journal_release(&j);

	assert_int_equal(store_intent_finish(f->st, seq[0], true, "{\"session\":\"au-1\"}", &cause),
			 0);
	assert_int_equal(store_intent_finish(f->st, seq[1], false, NULL, &cause), 0);

	read_pending(f->st, "r1", &j);
	assert_int_equal(j.n, 1);
	assert_int_equal(j.e[0].seq, seq[2]);
	journal_release(&j);

	read_journal(f->st, "r1", &j);
	assert_int_equal(j.n, 4);
	assert_int_equal(j.e[0].intent_status, STORE_INTENT_DONE);
	assert_string_equal(j.e[0].intent_result, "{\"session\":\"au-1\"}");
	assert_int_equal(j.e[1].intent_status, STORE_INTENT_FAILED);
	assert_null(j.e[1].intent_result);
	assert_int_equal(j.e[2].intent_status, STORE_INTENT_PENDING);
	assert_int_equal(j.e[3].intent_status, STORE_INTENT_NONE);
	journal_release(&j);

	assert_int_equal(store_intent_finish(f->st, seq[0], true, NULL, &cause), -1);
	want = xstrfmt("cannot finish intent: intent of transition %" PRId64 " is already done",
		       seq[0]);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	assert_int_equal(store_intent_finish(f->st, seq[3], true, NULL, &cause), -1);
	want = xstrfmt("cannot finish intent: transition %" PRId64 " has no intent", seq[3]);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	assert_int_equal(store_intent_finish(f->st, 9999, true, NULL, &cause), -1);
	assert_string_equal(cause, "cannot finish intent: no transition 9999");
	free(cause);
	/* a result that is not JSON is refused and the intent stays pending */
	assert_int_equal(store_intent_finish(f->st, seq[2], true, "not json", &cause), -1);
	free(cause);

	read_pending(f->st, "r1", &j);
	assert_int_equal(j.n, 1);
	assert_int_equal(j.e[0].seq, seq[2]);
	journal_release(&j);
	read_pending(f->st, "other", &j);
	assert_int_equal(j.n, 0);
}

static int collect_story_ids(const struct store_story *s, void *arg)
{
	struct buf *b = arg;

	buf_addf(b, "%s@%d;", s->story_id, s->position);
	return 0;
}

static void test_hostile_strings_round_trip(void **state)
{
	struct fx *f = *state;
	struct store_run r = { 0 };
	struct store_story s = { 0 };
	struct store_session ss = { 0 };
	struct store_transition t;
	struct journal j = { 0 };
	struct buf b = BUF_INIT;
	const char *intent = "{\"note\":\"it's \\\"quoted\\\"; DROP TABLE runs; --\"}";
	char *cause = NULL;

	add_run(f->st, EVIL_RUN, "IN_PROGRESS", NULL);
	s.story_id = EVIL_STORY;
	s.story_key = "key'); DROP TABLE stories; --";
	s.state = "PENDING";
	s.step_name = "step\"; --";
	assert_int_equal(store_story_add(f->st, EVIL_RUN, &s, &cause), 0);

	memset(&s, 0, sizeof(s));
	assert_int_equal(store_story_get(f->st, EVIL_RUN, EVIL_STORY, &s, &cause), 0);
	assert_string_equal(s.story_id, EVIL_STORY);
	assert_string_equal(s.story_key, "key'); DROP TABLE stories; --");
	assert_string_equal(s.step_name, "step\"; --");
	store_story_release(&s);

	assert_int_equal(store_stories_foreach(f->st, EVIL_RUN, collect_story_ids, &b, &cause), 0);
	assert_string_equal(buf_str(&b), EVIL_STORY "@0;");
	buf_release(&b);

	t = story_t(EVIL_RUN, EVIL_STORY, "PENDING", "START", "SPAWN");
	t.intent = intent;
	apply(f->st, &t);
	read_journal(f->st, EVIL_RUN, &j);
	assert_int_equal(j.n, 1);
	assert_string_equal(j.e[0].run_id, EVIL_RUN);
	assert_string_equal(j.e[0].story_id, EVIL_STORY);
	assert_string_equal(j.e[0].intent, intent);
	journal_release(&j);

	ss.run_id = EVIL_RUN;
	ss.story_id = EVIL_STORY;
	ss.step = "dev'; --";
	ss.attempt = 1;
	ss.tmux_name = "au-'x'";
	ss.log_path = "/tmp/it's.log";
	assert_int_equal(store_session_add(f->st, &ss, NULL, &cause), 0);
	memset(&ss, 0, sizeof(ss));
	assert_int_equal(store_session_get(f->st, EVIL_RUN, EVIL_STORY, "dev'; --", 1, &ss, &cause),
			 0);
	assert_string_equal(ss.log_path, "/tmp/it's.log");
	store_session_release(&ss);

	assert_int_equal(store_run_get(f->st, EVIL_RUN, &r, &cause), 0);
	assert_string_equal(r.id, EVIL_RUN);
	store_run_release(&r);
	assert_int_equal(count_tables(f->path), 7);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs WHERE id = ?1", EVIL_RUN), 1);
	assert_int_equal(
		raw_int(f->path, "SELECT count(*) FROM stories WHERE story_id = ?1", EVIL_STORY),
		1);
}

/* Records the session of story's step attempt in run. */
static void add_session(struct store *st, const char *run, const char *story, const char *step,
			int attempt, const char *tmux_name)
{
	struct store_session ss = { 0 };
	char *cause = NULL;

	ss.run_id = (char *)run;
	ss.story_id = (char *)story;
	ss.step = (char *)step;
	ss.attempt = attempt;
	ss.tmux_name = (char *)tmux_name;
	ss.log_path = (char *)tmux_name;
	if (store_session_add(st, &ss, NULL, &cause) != 0)
		fail_msg("store_session_add: %s", cause);
}

static void test_story_rows_with_current_session(void **state)
{
	struct fx *f = *state;
	struct store_transition t = story_t("r1", "a", "PENDING", "START", "SPAWN");
	struct store_story_row *v = NULL;
	size_t n = 7;
	char *cause = NULL;

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	add_run(f->st, "r2", "IN_PROGRESS", NULL);
	add_story(f->st, "r1", "c", 2, "PENDING");
	add_story(f->st, "r1", "a", 0, "PENDING");
	add_story(f->st, "r1", "b", 1, "PENDING");
	add_story(f->st, "r2", "a", 0, "PENDING");
	/* a: dev, attempt 2 now; b: review with no session yet; c: no step */
	t.set = STORE_SET_STEP_NAME | STORE_SET_ATTEMPT;
	t.step_name = "dev";
	t.attempt = 2;
	apply(f->st, &t);
	t = story_t("r1", "b", "PENDING", "START", "REVIEW");
	t.set = STORE_SET_STEP_NAME | STORE_SET_ATTEMPT;
	t.step_name = "review";
	t.attempt = 1;
	apply(f->st, &t);
	add_session(f->st, "r1", "a", "dev", 1, "a-dev-1");
	add_session(f->st, "r1", "a", "dev", 2, "a-dev-2");
	add_session(f->st, "r1", "b", "dev", 1, "b-dev-1");
	add_session(f->st, "r2", "a", "dev", 2, "r2-a-dev-2");
	/* b waits; c waited once (its until cleared, its since kept) */
	assert_int_equal(store_story_set_wait(f->st, "r1", "b", "2026-12-03T10:57:00Z",
					      "usage-limit", "2026-12-03T10:00:00Z", &cause),
			 0);
	assert_int_equal(store_story_set_wait(f->st, "r1", "c", NULL, "network",
					      "2026-12-03T10:00:00Z", &cause),
			 0);

	assert_int_equal(store_story_rows(f->st, "r1", &v, &n, &cause), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].story.story_id, "a");
	assert_string_equal(v[0].story.state, "SPAWN");
	assert_int_equal(v[0].story.attempt, 2);
	assert_string_equal(v[0].tmux_name, "a-dev-2");
	assert_string_equal(v[0].log_path, "a-dev-2");
	assert_string_equal(v[1].story.story_id, "b");
	assert_string_equal(v[1].story.step_name, "review");
	assert_null(v[1].tmux_name);
	assert_null(v[1].log_path);
	assert_string_equal(v[1].wait_until, "2026-12-03T10:57:00Z");
	assert_string_equal(v[1].wait_reason, "usage-limit");
	assert_string_equal(v[2].story.story_id, "c");
	assert_string_equal(v[2].story.story_key, "c");
	assert_int_equal(v[2].story.position, 2);
	assert_null(v[2].story.step_name);
	assert_null(v[2].tmux_name);
	assert_null(v[2].wait_until);
	assert_null(v[2].wait_reason);
	assert_null(v[0].wait_until);
	store_story_rows_free(v, n);

	v = (struct store_story_row *)1;
	n = 7;
	assert_int_equal(store_story_rows(f->st, "none", &v, &n, &cause), 0);
	assert_null(v);
	assert_int_equal(n, 0);
	store_story_rows_free(NULL, 0);
}

static void test_session_attempt_spawned_once(void **state)
{
	struct fx *f = *state;
	struct store_session ss = { 0 }, got = { 0 };
	char *cause = NULL;
	int64_t id1 = 0, id2 = 0, id3 = 0, untouched = -5;

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	add_story(f->st, "r1", "1.1", 0, "SPAWN");
	ss.run_id = "r1";
	ss.story_id = "1.1";
	ss.step = "dev";
	ss.attempt = 1;
	ss.tmux_name = "au-demo-1.1-dev-1";
	ss.log_path = ".automator/logs/r1/1.1-dev-1.log";
	ss.started_at = "2024-05-01T12:00:00.000Z";
	assert_int_equal(store_session_add(f->st, &ss, &id1, &cause), 0);
	assert_true(id1 > 0);

	/* the same attempt again: refused with the distinct code, nothing written */
	ss.tmux_name = "au-other";
	assert_int_equal(store_session_add(f->st, &ss, &untouched, &cause), 1);
	assert_null(cause);
	assert_int_equal(untouched, -5);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sessions", NULL), 1);

	ss.attempt = 2;
	assert_int_equal(store_session_add(f->st, &ss, &id2, &cause), 0);
	ss.step = "review";
	ss.attempt = 1;
	assert_int_equal(store_session_add(f->st, &ss, &id3, &cause), 0);
	assert_true(id1 != id2 && id2 != id3 && id1 != id3);

	assert_int_equal(store_session_get(f->st, "r1", "1.1", "dev", 1, &got, &cause), 0);
	assert_int_equal(got.id, id1);
	assert_string_equal(got.tmux_name, "au-demo-1.1-dev-1");
	assert_string_equal(got.log_path, ".automator/logs/r1/1.1-dev-1.log");
	assert_string_equal(got.started_at, "2024-05-01T12:00:00.000Z");
	assert_int_equal(got.exit_status, -1);
	assert_int_equal(got.exit_signal, 0);
	assert_int_equal(got.log_offset, 0);
	assert_null(got.ended_at);
	store_session_release(&got);

	assert_int_equal(
		store_session_update_exit(f->st, id1, 3, 0, "2024-05-01T12:05:00.000Z", &cause), 0);
	assert_int_equal(store_session_update_exit(f->st, id2, -1, 9, NULL, &cause), 0);
	assert_int_equal(store_session_set_offset(f->st, id1, 4096, &cause), 0);

	assert_int_equal(store_session_get(f->st, "r1", "1.1", "dev", 1, &got, &cause), 0);
	assert_int_equal(got.exit_status, 3);
	assert_int_equal(got.exit_signal, 0);
	assert_int_equal(got.log_offset, 4096);
	assert_string_equal(got.ended_at, "2024-05-01T12:05:00.000Z");
	store_session_release(&got);
	assert_int_equal(store_session_get(f->st, "r1", "1.1", "dev", 2, &got, &cause), 0);
	assert_int_equal(got.exit_status, -1);
	assert_int_equal(got.exit_signal, 9);
	assert_non_null(got.ended_at);
	store_session_release(&got);

	assert_int_equal(store_session_get(f->st, "r1", "1.1", "dev", 7, &got, &cause), 1);
	assert_null(got.run_id);
	assert_int_equal(store_session_update_exit(f->st, 9999, 0, 0, NULL, &cause), -1);
	assert_string_equal(cause, "cannot record session exit: no session 9999");
	free(cause);
	assert_int_equal(store_session_set_offset(f->st, id1, -1, &cause), -1);
	free(cause);
	assert_int_equal(raw_int(f->path,
				 "SELECT log_offset FROM sessions WHERE step = 'dev' "
				 "AND attempt = 1",
				 NULL),
			 4096);
}

static void test_reader_while_another_writes(void **state)
{
	struct fx *f = *state;
	struct store *b = NULL;
	struct store_transition t;
	struct store_run r = { 0 };
	struct timespec t0;
	char *cause = NULL;
	sqlite3 *w;
	double ms;

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	add_story(f->st, "r1", "1.1", 0, "PENDING");
	if (store_open(f->path, &b, &cause) != 0)
		fail_msg("second store_open: %s", cause);

	/* a third connection holds the write lock with an uncommitted change */
	w = raw_open(f->path);
	raw_exec(w, "BEGIN IMMEDIATE");
	raw_exec(w, "UPDATE runs SET pid = 42");

	/* readers are not blocked and see the last committed data */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_story_state(b, "r1", "1.1", "PENDING");
	assert_int_equal(store_run_get(b, "r1", &r, &cause), 0);
	assert_int_equal(r.pid, 0);
	store_run_release(&r);
	assert_true(elapsed_ms(&t0) < 1000);

	/* a writer waits for the busy timeout, then fails and writes nothing */
	store_set_busy_timeout(f->st, 150);
	t = story_t("r1", "1.1", "PENDING", "START", "SPAWN");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cause = apply_fails(f->st, &t);
	ms = elapsed_ms(&t0);
	assert_string_equal(cause, "cannot record transition: database is locked");
	free(cause);
	assert_true(ms >= 120);
	assert_story_state(b, "r1", "1.1", "PENDING");
	assert_int_equal(count_journal(f->path), 0);

	raw_exec(w, "ROLLBACK");
	sqlite3_close(w);

	/* once the lock is gone the first store writes and the second sees it */
	apply(f->st, &t);
	assert_story_state(b, "r1", "1.1", "SPAWN");
	store_close(b);
}

struct holder {
	const char *path;
	int fd; /* write end: one byte once the lock is held */
	int rc;
};

/* Holds the write lock of another connection for 300 ms, then commits. */
static void *hold_lock(void *arg)
{
	struct holder *h = arg;
	struct timespec nap = { 0, 300 * 1000 * 1000 };
	sqlite3 *db = NULL;

	h->rc = -1;
	if (sqlite3_open_v2(h->path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "UPDATE runs SET pid = 7", NULL, NULL, NULL) != SQLITE_OK) {
		if (write(h->fd, "x", 1) != 1)
			h->rc = -2;
		sqlite3_close(db);
		return NULL;
	}
	if (write(h->fd, "x", 1) == 1) {
		nanosleep(&nap, NULL);
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
			h->rc = 0;
	}
	sqlite3_close(db);
	return NULL;
}

static void test_begin_immediate_waits_for_busy_timeout(void **state)
{
	struct fx *f = *state;
	struct store_transition t;
	struct store_run r = { 0 };
	struct holder h = { 0 };
	struct timespec t0;
	pthread_t thread;
	char *cause = NULL, c;
	int pipefd[2];
	double ms;

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	add_story(f->st, "r1", "1.1", 0, "PENDING");
	assert_int_equal(pipe(pipefd), 0);
	h.path = f->path;
	h.fd = pipefd[1];
	assert_int_equal(pthread_create(&thread, NULL, hold_lock, &h), 0);
	assert_int_equal(read(pipefd[0], &c, 1), 1);

	/* the default busy timeout (5000 ms) outlasts the 300 ms hold */
	t = story_t("r1", "1.1", "PENDING", "START", "SPAWN");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (store_transition(f->st, &t, NULL, &cause) != 0)
		fail_msg("store_transition while another writer holds the lock: %s", cause);
	ms = elapsed_ms(&t0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	close(pipefd[0]);
	close(pipefd[1]);
	assert_int_equal(h.rc, 0);
	assert_true(ms >= 250);
	assert_story_state(f->st, "r1", "1.1", "SPAWN");
	assert_int_equal(store_run_get(f->st, "r1", &r, &cause), 0);
	assert_int_equal(r.pid, 7);
	store_run_release(&r);
}

static void test_runs_latest_unfinished(void **state)
{
	struct fx *f = *state;
	struct store_transition t;
	struct store_run r = { 0 };
	char *cause = NULL, *id = (char *)"untouched";

	assert_int_equal(store_run_latest_unfinished(f->st, &id, &cause), 1);
	assert_string_equal(id, "untouched");

	add_run(f->st, "a", "IN_PROGRESS", "2024-01-01T00:00:00.000Z");
	add_run(f->st, "b", "PAUSED", "2024-02-01T00:00:00.000Z");
	add_run(f->st, "c", "ABORTED", "2024-03-01T00:00:00.000Z");
	assert_int_equal(store_run_latest_unfinished(f->st, &id, &cause), 0);
	assert_string_equal(id, "b");
	free(id);

	t = run_t("b", "PAUSED", "ABORT", "ABORTED");
	t.at = "2024-02-02T00:00:00.000Z";
	apply(f->st, &t);
	assert_int_equal(store_run_get(f->st, "b", &r, &cause), 0);
	assert_string_equal(r.state, "ABORTED");
	assert_string_equal(r.finished_at, "2024-02-02T00:00:00.000Z");
	assert_string_equal(r.updated_at, "2024-02-02T00:00:00.000Z");
	store_run_release(&r);
	assert_int_equal(store_run_latest_unfinished(f->st, &id, &cause), 0);
	assert_string_equal(id, "a");
	free(id);

	t = run_t("a", "IN_PROGRESS", "ALL_FINAL", "EXECUTION_COMPLETE");
	apply(f->st, &t);
	assert_int_equal(store_run_get(f->st, "a", &r, &cause), 0);
	assert_null(r.finished_at);
	store_run_release(&r);
	t = run_t("a", "EXECUTION_COMPLETE", "FINALIZED", "COMPLETE");
	apply(f->st, &t);
	id = (char *)"untouched";
	assert_int_equal(store_run_latest_unfinished(f->st, &id, &cause), 1);
	assert_string_equal(id, "untouched");

	assert_int_equal(store_run_set_pid(f->st, "a", 1234, &cause), 0);
	assert_int_equal(store_run_get(f->st, "a", &r, &cause), 0);
	assert_int_equal(r.pid, 1234);
	assert_string_equal(r.project, "demo");
	assert_string_equal(r.root, "/src/demo");
	assert_string_equal(r.started_at, "2024-01-01T00:00:00.000Z");
	assert_non_null(r.finished_at);
	store_run_release(&r);
	assert_int_equal(store_run_set_pid(f->st, "zz", 1, &cause), -1);
	assert_string_equal(cause, "cannot record the run's pid: no run 'zz'");
	free(cause);
	assert_int_equal(store_run_get(f->st, "zz", &r, &cause), 1);
	assert_null(r.id);

	r.id = "a";
	r.sprint_file = "s";
	r.project = "p";
	r.root = "/";
	r.state = "READY";
	assert_int_equal(store_run_create(f->st, &r, &cause), -1);
	assert_string_equal(cause, "run 'a' already exists");
	free(cause);
}

struct walk {
	struct store *st;
	int visited;
};

static int stop_at_second(const struct store_story *s, void *arg)
{
	struct walk *w = arg;
	char *state;

	/* the callback may use the store while the walk is on */
	state = story_state(w->st, "r1", s->story_id);
	assert_string_equal(state, s->state);
	free(state);
	return ++w->visited == 2 ? 5 : 0;
}

static void test_stories_in_position_order(void **state)
{
	struct fx *f = *state;
	struct store_story s = { 0 };
	struct buf b = BUF_INIT;
	struct walk w = { f->st, 0 };
	char *cause = NULL;

	add_run(f->st, "r1", "READY", NULL);
	add_story(f->st, "r1", "c", 2, "PENDING");
	add_story(f->st, "r1", "a", 0, "PENDING");
	add_story(f->st, "r1", "b", 1, "SKIPPED");
	assert_int_equal(store_stories_foreach(f->st, "r1", collect_story_ids, &b, &cause), 0);
	assert_string_equal(buf_str(&b), "a@0;b@1;c@2;");
	buf_release(&b);

	assert_int_equal(store_stories_foreach(f->st, "r1", stop_at_second, &w, &cause), 5);
	assert_int_equal(w.visited, 2);

	assert_int_equal(store_story_get(f->st, "r1", "zz", &s, &cause), 1);
	assert_null(s.story_id);
	s.story_id = "a";
	s.story_key = "a";
	s.position = 7;
	s.state = "PENDING";
	assert_int_equal(store_story_add(f->st, "r1", &s, &cause), -1);
	assert_string_equal(cause, "story 'a' already exists in run 'r1'");
	free(cause);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM stories", NULL), 3);
}

/* ---- escalations ---- */

#define OPTIONS                                                                 \
	"[{\"key\":\"1\",\"label\":\"Retry\",\"action\":\"retry\"},"            \
	"{\"key\":\"2\",\"label\":\"View output\",\"action\":\"view_output\"}," \
	"{\"key\":\"X\",\"label\":\"Abort\",\"action\":\"abort_story\"}]"
#define T0 "2024-05-01T12:00:00.000Z"
#define T1 "2024-05-01T12:10:00.000Z"
#define T2 "2024-05-01T12:20:00.000Z"
#define T3 "2024-05-01T12:30:00.000Z"

static struct store_escalation esc_in(const char *run, const char *story, const char *trigger)
{
	struct store_escalation e = { 0 };

	e.run_id = (char *)run;
	e.story_id = (char *)story;
	e.step = story ? "dev" : NULL;
	e.trigger = (char *)trigger;
	e.category = "PREFERENCE";
	e.severity = "MEDIUM";
	e.message = "Story 1.1: the output of 'dev' could not be parsed";
	e.options = OPTIONS;
	return e;
}

static int64_t open_esc(struct store *st, const struct store_escalation *e, const char *state,
			const char *at)
{
	char *cause = NULL;
	int64_t id = -1;

	if (store_escalation_open(st, e, state, at, &id, &cause) != 0)
		fail_msg("store_escalation_open: %s", cause ? cause : "deduplicated");
	assert_true(id > 0);
	return id;
}

static struct store_escalation get_esc(struct store *st, int64_t id)
{
	struct store_escalation e = { 0 };
	char *cause = NULL;

	if (store_escalation_get(st, id, &e, &cause) != 0)
		fail_msg("store_escalation_get %" PRId64 ": %s", id, cause ? cause : "not found");
	return e;
}

/* Asserts the status of escalation id. */
static void assert_esc_status(struct store *st, int64_t id, const char *want)
{
	struct store_escalation e = get_esc(st, id);

	assert_string_equal(e.status, want);
	store_escalation_release(&e);
}

static int64_t count_escalations(const char *path)
{
	return raw_int(path, "SELECT count(*) FROM escalations", NULL);
}

/* Appends "id:story:trigger:status:severity:reescalations;" for each escalation. */
static int describe_esc(const struct store_escalation *e, void *arg)
{
	struct buf *b = arg;

	buf_addf(b, "%" PRId64 ":%s:%s:%s:%s:%d;", e->id, e->story_id ? e->story_id : "-",
		 e->trigger, e->status, e->severity, e->reescalations);
	return 0;
}

static char *list_esc(struct store *st, const char *run, bool open_only)
{
	struct buf b = BUF_INIT;
	char *cause = NULL;

	if (store_escalations_foreach(st, run, open_only, describe_esc, &b, &cause) != 0)
		fail_msg("store_escalations_foreach: %s", cause);
	return buf_detach(&b);
}

static char *list_stale(struct store *st, const char *run, const char *before, int max)
{
	struct buf b = BUF_INIT;
	char *cause = NULL;

	if (store_escalations_stale(st, run, before, max, describe_esc, &b, &cause) != 0)
		fail_msg("store_escalations_stale: %s", cause);
	return buf_detach(&b);
}

static void assert_list(char *got, const char *want)
{
	assert_string_equal(got, want);
	free(got);
}

/*
 * Expects a call's -1 and its cause, read through a pointer: the call is an
 * argument too, and argument order is unspecified. Frees the cause and
 * resets it to NULL.
 */
static void assert_cause(int rc, char **cause, const char *want)
{
	assert_int_equal(rc, -1);
	assert_non_null(*cause);
	assert_string_equal(*cause, want);
	free(*cause);
	*cause = NULL;
}

static void test_escalation_open_get_and_journal(void **state)
{
	struct fx *f = *state;
	struct store_escalation in, e = { 0 }, untouched = { 0 };
	struct journal j = { 0 };
	char *cause = NULL;
	int64_t story_esc, run_esc;

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	add_story(f->st, "r1", "1.1", 0, "AWAITING_DECISION");

	in = esc_in("r1", "1.1", "cannot-parse-output");
	in.message = "it's \"odd\"; DROP TABLE escalations; --";
	in.status = "closed"; /* ignored on open */
	in.reescalations = 4; /* ignored on open */
	story_esc = open_esc(f->st, &in, "AWAITING_DECISION", T0);

	e = get_esc(f->st, story_esc);
	assert_int_equal(e.id, story_esc);
	assert_string_equal(e.run_id, "r1");
	assert_string_equal(e.story_id, "1.1");
	assert_string_equal(e.step, "dev");
	assert_string_equal(e.trigger, "cannot-parse-output");
	assert_string_equal(e.category, "PREFERENCE");
	assert_string_equal(e.severity, "MEDIUM");
	assert_string_equal(e.message, "it's \"odd\"; DROP TABLE escalations; --");
	assert_string_equal(e.options, OPTIONS);
	assert_string_equal(e.status, "open");
	assert_null(e.chosen);
	assert_null(e.reply);
	assert_null(e.answered_by);
	assert_null(e.answered_at);
	assert_null(e.acked_by);
	assert_null(e.acked_at);
	assert_string_equal(e.created_at, T0);
	assert_string_equal(e.notified_at, T0);
	assert_null(e.closed_at);
	assert_null(e.closed_reason);
	assert_int_equal(e.reescalations, 0);
	store_escalation_release(&e);

	/* an escalation of the run: no story, no step, no options */
	in = esc_in("r1", NULL, "git-commit-failure");
	in.category = "CRITICAL";
	in.severity = "HIGH";
	in.options = NULL;
	run_esc = open_esc(f->st, &in, "IN_PROGRESS", T1);
	assert_true(run_esc > story_esc);
	e = get_esc(f->st, run_esc);
	assert_string_equal(e.run_id, "r1");
	assert_null(e.story_id);
	assert_null(e.step);
	assert_string_equal(e.category, "CRITICAL");
	assert_string_equal(e.severity, "HIGH");
	assert_string_equal(e.options, "[]");
	assert_string_equal(e.created_at, T1);
	store_escalation_release(&e);

	/* a NULL time is now */
	in = esc_in("r1", "1.1", "agent-needs-input");
	e = get_esc(f->st, open_esc(f->st, &in, "AWAITING_DECISION", NULL));
	assert_true(str_starts_with(e.created_at, "20") && str_ends_with(e.created_at, "Z"));
	assert_string_equal(e.notified_at, e.created_at);
	store_escalation_release(&e);

	/* each is journaled: from and to the current state, event ESCALATE */
	read_journal(f->st, "r1", &j);
	assert_int_equal(j.n, 3);
	assert_string_equal(j.e[0].machine, "story");
	assert_string_equal(j.e[0].story_id, "1.1");
	assert_string_equal(j.e[0].from_state, "AWAITING_DECISION");
	assert_string_equal(j.e[0].to_state, "AWAITING_DECISION");
	assert_string_equal(j.e[0].event, "ESCALATE");
	assert_string_equal(j.e[0].action, "cannot-parse-output");
	assert_null(j.e[0].guard);
	assert_null(j.e[0].intent);
	assert_int_equal(j.e[0].intent_status, STORE_INTENT_NONE);
	assert_string_equal(j.e[0].at, T0);
	assert_string_equal(j.e[1].machine, "run");
	assert_null(j.e[1].story_id);
	assert_string_equal(j.e[1].from_state, "IN_PROGRESS");
	assert_string_equal(j.e[1].to_state, "IN_PROGRESS");
	assert_string_equal(j.e[1].event, "ESCALATE");
	assert_string_equal(j.e[1].action, "git-commit-failure");
	assert_string_equal(j.e[1].at, T1);
	assert_string_equal(j.e[2].action, "agent-needs-input");
	journal_release(&j);
	/* the states themselves are untouched */
	assert_story_state(f->st, "r1", "1.1", "AWAITING_DECISION");
	assert_int_equal(
		raw_int(f->path, "SELECT count(*) FROM runs WHERE state = 'IN_PROGRESS'", NULL), 1);

	/* an unknown id */
	untouched.id = -3;
	assert_int_equal(store_escalation_get(f->st, 9999, &untouched, &cause), 1);
	assert_null(cause);
	assert_int_equal(untouched.id, -3);
	assert_null(untouched.run_id);
}

static void test_escalation_open_refusals(void **state)
{
	struct fx *f = *state;
	struct store_escalation in;
	char *cause = NULL;
	int64_t id = -9;

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	add_story(f->st, "r1", "1.1", 0, "REVIEW");

	/* the state given is not the story's (or run's) */
	in = esc_in("r1", "1.1", "review-loop-exceeded");
	assert_cause(store_escalation_open(f->st, &in, "SPAWN", T0, &id, &cause), &cause,
		     "state of story '1.1' is REVIEW, not SPAWN");
	in = esc_in("r1", NULL, "unexpected-error");
	assert_cause(store_escalation_open(f->st, &in, "PAUSED", T0, &id, &cause), &cause,
		     "state of run 'r1' is IN_PROGRESS, not PAUSED");

	/* no such story or run */
	in = esc_in("r1", "9.9", "review-loop-exceeded");
	assert_cause(store_escalation_open(f->st, &in, "REVIEW", T0, &id, &cause), &cause,
		     "cannot open escalation: no story '9.9' in run 'r1'");
	in = esc_in("r9", NULL, "unexpected-error");
	assert_cause(store_escalation_open(f->st, &in, "IN_PROGRESS", T0, &id, &cause), &cause,
		     "cannot open escalation: no run 'r9'");

	/* required fields */
	in = esc_in("r1", "1.1", "review-loop-exceeded");
	in.message = NULL;
	assert_cause(store_escalation_open(f->st, &in, "REVIEW", T0, &id, &cause), &cause,
		     "cannot open escalation: run, trigger, category, severity, message and "
		     "state are required");
	in = esc_in("r1", "1.1", "review-loop-exceeded");
	assert_int_equal(store_escalation_open(f->st, &in, NULL, T0, &id, &cause), -1);
	free(cause);
	cause = NULL;

	/* values the schema refuses */
	in.category = "URGENT";
	assert_int_equal(store_escalation_open(f->st, &in, "REVIEW", T0, &id, &cause), -1);
	assert_non_null(strstr(cause, "CHECK constraint failed"));
	free(cause);
	cause = NULL;
	in = esc_in("r1", "1.1", "review-loop-exceeded");
	in.options = "[{not json";
	assert_int_equal(store_escalation_open(f->st, &in, "REVIEW", T0, &id, &cause), -1);
	assert_non_null(strstr(cause, "CHECK constraint failed"));
	free(cause);
	cause = NULL;

	assert_int_equal(id, -9);
	assert_int_equal(count_escalations(f->path), 0);
	assert_int_equal(count_journal(f->path), 0);

	/* no transaction was left open */
	in = esc_in("r1", "1.1", "review-loop-exceeded");
	open_esc(f->st, &in, "REVIEW", T0);
	assert_int_equal(count_escalations(f->path), 1);
	assert_int_equal(count_journal(f->path), 1);
}

static void test_escalation_dedupe(void **state)
{
	struct fx *f = *state;
	struct store_escalation in, e;
	struct journal j = { 0 };
	char *cause = NULL;
	int64_t first, run_esc, other, id;

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	add_run(f->st, "r2", "IN_PROGRESS", NULL);
	add_story(f->st, "r1", "1.1", 0, "SPAWN");
	add_story(f->st, "r1", "1.2", 1, "SPAWN");
	add_story(f->st, "r2", "1.1", 0, "SPAWN");

	in = esc_in("r1", "1.1", "cannot-parse-output");
	first = open_esc(f->st, &in, "SPAWN", T0);

	/* the same run, story and trigger: the existing id, nothing written */
	in.message = "another message";
	in.severity = "CRITICAL";
	id = -1;
	assert_int_equal(store_escalation_open(f->st, &in, "SPAWN", T1, &id, &cause), 1);
	assert_null(cause);
	assert_int_equal(id, first);
	/* even when the story has moved on since (no state check for a duplicate) */
	id = -1;
	assert_int_equal(store_escalation_open(f->st, &in, "DONE", T1, &id, &cause), 1);
	assert_int_equal(id, first);
	assert_int_equal(store_escalation_open(f->st, &in, "SPAWN", T1, NULL, &cause), 1);
	assert_int_equal(count_escalations(f->path), 1);
	assert_int_equal(count_journal(f->path), 1);
	e = get_esc(f->st, first);
	assert_string_equal(e.message, "Story 1.1: the output of 'dev' could not be parsed");
	assert_string_equal(e.severity, "MEDIUM");
	assert_string_equal(e.notified_at, T0);
	store_escalation_release(&e);

	/* another trigger, story or run is another escalation */
	in = esc_in("r1", "1.1", "agent-needs-input");
	other = open_esc(f->st, &in, "SPAWN", T0);
	in = esc_in("r1", "1.2", "cannot-parse-output");
	assert_true(open_esc(f->st, &in, "SPAWN", T0) != other);
	in = esc_in("r2", "1.1", "cannot-parse-output");
	open_esc(f->st, &in, "SPAWN", T0);
	in = esc_in("r1", NULL, "cannot-parse-output");
	run_esc = open_esc(f->st, &in, "IN_PROGRESS", T0);
	assert_int_equal(count_escalations(f->path), 5);

	/* a run escalation dedupes too (its story is NULL) */
	id = -1;
	assert_int_equal(store_escalation_open(f->st, &in, "IN_PROGRESS", T1, &id, &cause), 1);
	assert_int_equal(id, run_esc);

	/* acked and answered are still live */
	assert_int_equal(store_escalation_ack(f->st, first, "ann", T1, &cause), 0);
	in = esc_in("r1", "1.1", "cannot-parse-output");
	id = -1;
	assert_int_equal(store_escalation_open(f->st, &in, "SPAWN", T1, &id, &cause), 1);
	assert_int_equal(id, first);
	assert_int_equal(store_escalation_answer(f->st, first, "1", NULL, "ann", T1, NULL, &cause),
			 0);
	id = -1;
	assert_int_equal(store_escalation_open(f->st, &in, "SPAWN", T1, &id, &cause), 1);
	assert_int_equal(id, first);
	assert_int_equal(count_escalations(f->path), 5);
	assert_int_equal(count_journal(f->path), 5);

	/* a closed one no longer dedupes: the trigger fires anew */
	assert_int_equal(store_escalation_close(f->st, first, "fixed by hand", T2, &cause), 0);
	id = open_esc(f->st, &in, "SPAWN", T3);
	assert_true(id > first);
	assert_esc_status(f->st, first, "closed");
	assert_esc_status(f->st, id, "open");
	assert_int_equal(count_escalations(f->path), 6);

	read_journal(f->st, "r1", &j);
	assert_int_equal(j.n, 5);
	assert_string_equal(j.e[4].event, "ESCALATE");
	assert_string_equal(j.e[4].story_id, "1.1");
	assert_string_equal(j.e[4].action, "cannot-parse-output");
	assert_string_equal(j.e[4].at, T3);
	journal_release(&j);
}

static void test_escalation_dedupe_across_stores(void **state)
{
	struct fx *f = *state;
	struct store_escalation in;
	struct store *b = NULL;
	char *cause = NULL, *err = NULL;
	int64_t first, id = -1;
	sqlite3 *db;

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	add_story(f->st, "r1", "1.1", 0, "SPAWN");
	if (store_open(f->path, &b, &cause) != 0)
		fail_msg("second store_open: %s", cause);

	in = esc_in("r1", "1.1", "session-incomplete");
	first = open_esc(f->st, &in, "SPAWN", T0);
	assert_int_equal(store_escalation_open(b, &in, "SPAWN", T1, &id, &cause), 1);
	assert_int_equal(id, first);
	in = esc_in("r1", NULL, "restart-loop");
	id = open_esc(b, &in, "IN_PROGRESS", T0);
	first = -1;
	assert_int_equal(store_escalation_open(f->st, &in, "IN_PROGRESS", T1, &first, &cause), 1);
	assert_int_equal(first, id);
	assert_int_equal(count_escalations(f->path), 2);
	assert_int_equal(count_journal(f->path), 2);
	store_close(b);

	/* the index holds the rule against any writer, for a story or the run */
	db = raw_open(f->path);
	assert_int_not_equal(
		sqlite3_exec(db,
			     "INSERT INTO escalations (run_id, story_id, \"trigger\", "
			     "category, severity, message, created_at) VALUES ('r1', "
			     "'1.1', 'session-incomplete', 'PREFERENCE', 'MEDIUM', 'm', "
			     "'t')",
			     NULL, NULL, &err),
		SQLITE_OK);
	assert_non_null(strstr(err, "UNIQUE constraint failed"));
	sqlite3_free(err);
	err = NULL;
	assert_int_not_equal(sqlite3_exec(db,
					  "INSERT INTO escalations (run_id, \"trigger\", category, "
					  "severity, message, created_at, status) VALUES ('r1', "
					  "'restart-loop', 'CRITICAL', 'HIGH', 'm', 't', 'acked')",
					  NULL, NULL, &err),
			     SQLITE_OK);
	assert_non_null(strstr(err, "UNIQUE constraint failed"));
	sqlite3_free(err);
	/* closed rows are outside it */
	raw_exec(db, "INSERT INTO escalations (run_id, story_id, \"trigger\", category, severity, "
		     "message, created_at, status) VALUES ('r1', '1.1', 'session-incomplete', "
		     "'PREFERENCE', 'MEDIUM', 'm', 't', 'closed')");
	sqlite3_close(db);
	assert_int_equal(count_escalations(f->path), 3);
}

static void test_escalation_ack(void **state)
{
	struct fx *f = *state;
	struct store_escalation in, e;
	char *cause = NULL, *want;
	int64_t a, b, c;

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	add_story(f->st, "r1", "1.1", 0, "SPAWN");
	in = esc_in("r1", "1.1", "cannot-parse-output");
	a = open_esc(f->st, &in, "SPAWN", T0);
	in.trigger = "agent-needs-input";
	b = open_esc(f->st, &in, "SPAWN", T0);
	in.trigger = "session-incomplete";
	c = open_esc(f->st, &in, "SPAWN", T0);

	assert_int_equal(store_escalation_ack(f->st, a, "ann@host", T1, &cause), 0);
	e = get_esc(f->st, a);
	assert_string_equal(e.status, "acked");
	assert_string_equal(e.acked_by, "ann@host");
	assert_string_equal(e.acked_at, T1);
	assert_string_equal(e.notified_at, T0);
	assert_null(e.answered_by);
	store_escalation_release(&e);

	/* only from open */
	want = xstrfmt("escalation %" PRId64 " is acked, not open", a);
	assert_cause(store_escalation_ack(f->st, a, "bob", T2, &cause), &cause, want);
	free(want);
	assert_int_equal(store_escalation_answer(f->st, b, "1", NULL, "bob", T1, NULL, &cause), 0);
	want = xstrfmt("escalation %" PRId64 " is answered, not open", b);
	assert_cause(store_escalation_ack(f->st, b, "bob", T2, &cause), &cause, want);
	free(want);
	assert_int_equal(store_escalation_close(f->st, c, "obsolete", T1, &cause), 0);
	want = xstrfmt("escalation %" PRId64 " is closed, not open", c);
	assert_cause(store_escalation_ack(f->st, c, "bob", T2, &cause), &cause, want);
	free(want);
	assert_int_equal(store_escalation_ack(f->st, 9999, "bob", T2, &cause), 1);
	assert_null(cause);
	assert_cause(store_escalation_ack(f->st, a, NULL, T2, &cause), &cause,
		     "cannot acknowledge escalation: who acknowledges is required");

	/* the refusals changed nothing */
	e = get_esc(f->st, a);
	assert_string_equal(e.acked_by, "ann@host");
	assert_string_equal(e.acked_at, T1);
	store_escalation_release(&e);
	assert_esc_status(f->st, b, "answered");
	assert_esc_status(f->st, c, "closed");
	e = get_esc(f->st, b);
	assert_null(e.acked_by);
	store_escalation_release(&e);
}

static void test_escalation_answer(void **state)
{
	struct fx *f = *state;
	struct store_escalation in, e;
	char *cause = NULL, *want;
	int64_t a, b, c, d1 = -1, d2 = -1, untouched = -4;

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	add_story(f->st, "r1", "1.1", 0, "AWAITING_DECISION");
	in = esc_in("r1", "1.1", "agent-needs-input");
	a = open_esc(f->st, &in, "AWAITING_DECISION", T0);
	in.trigger = "cannot-parse-output";
	b = open_esc(f->st, &in, "AWAITING_DECISION", T0);
	in.trigger = "session-incomplete";
	c = open_esc(f->st, &in, "AWAITING_DECISION", T0);

	/* from open, with a reply */
	assert_int_equal(store_escalation_answer(f->st, a, "1", "yes, it's \"fine\"", "tty", T1,
						 &d1, &cause),
			 0);
	assert_true(d1 > 0);
	e = get_esc(f->st, a);
	assert_string_equal(e.status, "answered");
	assert_string_equal(e.chosen, "1");
	assert_string_equal(e.reply, "yes, it's \"fine\"");
	assert_string_equal(e.answered_by, "tty");
	assert_string_equal(e.answered_at, T1);
	assert_null(e.closed_at);
	store_escalation_release(&e);
	{
		char *q = xstrfmt("SELECT count(*) FROM decisions WHERE id = %" PRId64
				  " AND escalation_id = %" PRId64 " AND choice = '1' AND reply = "
				  "'yes, it''s \"fine\"' AND source = 'tty' AND at = '" T1
				  "' AND applied_at IS NULL",
				  d1, a);

		assert_int_equal(raw_int(f->path, q, NULL), 1);
		free(q);
	}

	/* from acked, no reply, the choice is not validated here */
	assert_int_equal(store_escalation_ack(f->st, b, "ann", T1, &cause), 0);
	assert_int_equal(store_escalation_answer(f->st, b, "X", NULL, "cli:ann", T2, &d2, &cause),
			 0);
	assert_true(d2 > d1);
	e = get_esc(f->st, b);
	assert_string_equal(e.status, "answered");
	assert_string_equal(e.chosen, "X");
	assert_null(e.reply);
	assert_string_equal(e.answered_by, "cli:ann");
	assert_string_equal(e.acked_by, "ann");
	store_escalation_release(&e);

	/* answered, closed, unknown */
	want = xstrfmt("escalation %" PRId64 " is already answered", a);
	assert_cause(store_escalation_answer(f->st, a, "2", NULL, "tty", T3, &untouched, &cause),
		     &cause, want);
	free(want);
	assert_int_equal(store_escalation_close(f->st, c, "obsolete", T1, &cause), 0);
	want = xstrfmt("escalation %" PRId64 " is closed", c);
	assert_cause(store_escalation_answer(f->st, c, "1", NULL, "tty", T3, &untouched, &cause),
		     &cause, want);
	free(want);
	assert_int_equal(
		store_escalation_answer(f->st, 9999, "1", NULL, "tty", T3, &untouched, &cause), 1);
	assert_null(cause);
	assert_cause(store_escalation_answer(f->st, a, NULL, NULL, "tty", T3, &untouched, &cause),
		     &cause, "cannot answer escalation: a choice and who answers are required");
	assert_int_equal(untouched, -4);

	/* the refusals changed nothing */
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM decisions", NULL), 2);
	e = get_esc(f->st, a);
	assert_string_equal(e.chosen, "1");
	assert_string_equal(e.answered_at, T1);
	store_escalation_release(&e);
	e = get_esc(f->st, c);
	assert_string_equal(e.status, "closed");
	assert_null(e.chosen);
	store_escalation_release(&e);
}

struct decisions {
	struct buf b;
	int64_t ids[8];
	int n;
};

static int describe_decision(const struct store_decision *d, void *arg)
{
	struct decisions *ds = arg;

	assert_true(ds->n < (int)ARRAY_SIZE(ds->ids));
	ds->ids[ds->n++] = d->id;
	buf_addf(&ds->b, "%" PRId64 ":%s:%s:%s:%s:%s:%s:%s:%s;", d->escalation_id,
		 d->story_id ? d->story_id : "-", d->step ? d->step : "-", d->trigger, d->category,
		 d->choice, d->reply ? d->reply : "-", d->source, d->at);
	return 0;
}

static char *pending(struct store *st, const char *run, struct decisions *ds)
{
	char *cause = NULL;

	memset(ds, 0, sizeof(*ds));
	buf_init(&ds->b);
	if (store_decisions_pending(st, run, describe_decision, ds, &cause) != 0)
		fail_msg("store_decisions_pending: %s", cause);
	return buf_detach(&ds->b);
}

static void test_decisions_pending_and_applied(void **state)
{
	struct fx *f = *state;
	struct store_escalation in, e;
	struct decisions ds;
	char *cause = NULL, *want;
	int64_t a, b, c, o, da, db, dc, da2, dopen;

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	add_run(f->st, "r2", "IN_PROGRESS", NULL);
	add_story(f->st, "r1", "1.1", 0, "AWAITING_DECISION");
	add_story(f->st, "r2", "1.1", 0, "AWAITING_DECISION");
	in = esc_in("r1", "1.1", "cannot-parse-output");
	a = open_esc(f->st, &in, "AWAITING_DECISION", T0);
	in = esc_in("r1", NULL, "git-commit-failure");
	in.category = "CRITICAL";
	b = open_esc(f->st, &in, "IN_PROGRESS", T0);
	in = esc_in("r1", "1.1", "session-incomplete");
	c = open_esc(f->st, &in, "AWAITING_DECISION", T0);
	in = esc_in("r2", "1.1", "cannot-parse-output");
	o = open_esc(f->st, &in, "AWAITING_DECISION", T0);

	assert_list(pending(f->st, "r1", &ds), "");
	assert_int_equal(ds.n, 0);

	assert_int_equal(store_escalation_answer(f->st, b, "1", NULL, "cli", T1, &db, &cause), 0);
	assert_int_equal(store_escalation_answer(f->st, a, "2", "look", "tty", T2, &da, &cause), 0);
	assert_int_equal(store_escalation_answer(f->st, c, "1", NULL, "tty", T2, &dc, &cause), 0);
	assert_int_equal(store_escalation_answer(f->st, o, "1", NULL, "tty", T2, NULL, &cause), 0);

	/* in decision id order, with what they answer; only this run's */
	want = xstrfmt("%" PRId64 ":-:-:git-commit-failure:CRITICAL:1:-:cli:" T1 ";"
		       "%" PRId64 ":1.1:dev:cannot-parse-output:PREFERENCE:2:look:tty:" T2 ";"
		       "%" PRId64 ":1.1:dev:session-incomplete:PREFERENCE:1:-:tty:" T2 ";",
		       b, a, c);
	assert_list(pending(f->st, "r1", &ds), want);
	free(want);
	assert_int_equal(ds.n, 3);
	assert_int_equal(ds.ids[0], db);
	assert_int_equal(ds.ids[1], da);
	assert_int_equal(ds.ids[2], dc);

	/* applied and closing: the escalation is closed as answered */
	assert_int_equal(store_decision_applied(f->st, db, true, T3, &cause), 0);
	e = get_esc(f->st, b);
	assert_string_equal(e.status, "closed");
	assert_string_equal(e.closed_reason, "answered");
	assert_string_equal(e.closed_at, T3);
	assert_string_equal(e.chosen, "1");
	store_escalation_release(&e);
	want = xstrfmt("SELECT applied_at FROM decisions WHERE id = %" PRId64, db);
	{
		char *got = raw_text(f->path, want);

		assert_string_equal(got, T3);
		free(got);
	}
	free(want);

	/* applied without closing (view output): open again, notified now */
	assert_int_equal(store_decision_applied(f->st, da, false, T3, &cause), 0);
	e = get_esc(f->st, a);
	assert_string_equal(e.status, "open");
	assert_null(e.closed_reason);
	assert_null(e.closed_at);
	assert_string_equal(e.notified_at, T3);
	assert_string_equal(e.chosen, "2"); /* the last answer is kept */
	assert_string_equal(e.created_at, T0);
	store_escalation_release(&e);

	want = xstrfmt("%" PRId64 ":1.1:dev:session-incomplete:PREFERENCE:1:-:tty:" T2 ";", c);
	assert_list(pending(f->st, "r1", &ds), want);
	free(want);

	/* applied twice, unknown */
	want = xstrfmt("decision %" PRId64 " is already applied", db);
	assert_cause(store_decision_applied(f->st, db, true, T3, &cause), &cause, want);
	free(want);
	assert_int_equal(store_decision_applied(f->st, 9999, true, T3, &cause), 1);
	assert_null(cause);

	/* the reopened escalation takes a new answer, and a new decision */
	assert_int_equal(store_escalation_answer(f->st, a, "1", NULL, "tty", T3, &da2, &cause), 0);
	assert_true(da2 > dc);
	want = xstrfmt("%" PRId64 ":1.1:dev:session-incomplete:PREFERENCE:1:-:tty:" T2 ";"
		       "%" PRId64 ":1.1:dev:cannot-parse-output:PREFERENCE:1:-:tty:" T3 ";",
		       c, a);
	assert_list(pending(f->st, "r1", &ds), want);
	free(want);

	/* closing an answered escalation withdraws its answer */
	assert_int_equal(store_escalation_close(f->st, c, "resolved by hand", T3, &cause), 0);
	want = xstrfmt("%" PRId64 ":1.1:dev:cannot-parse-output:PREFERENCE:1:-:tty:" T3 ";", a);
	assert_list(pending(f->st, "r1", &ds), want);
	free(want);
	/* and applying it anyway leaves it closed with its own reason */
	assert_int_equal(store_decision_applied(f->st, dc, false, T3, &cause), 0);
	e = get_esc(f->st, c);
	assert_string_equal(e.status, "closed");
	assert_string_equal(e.closed_reason, "resolved by hand");
	assert_string_equal(e.notified_at, T0);
	store_escalation_release(&e);

	assert_int_equal(store_decision_applied(f->st, da2, true, NULL, &cause), 0);
	assert_esc_status(f->st, a, "closed");
	assert_list(pending(f->st, "r1", &ds), "");
	assert_int_equal(
		raw_int(f->path, "SELECT count(*) FROM decisions WHERE applied_at IS NULL", NULL),
		1); /* r2's */
	/* a decision of an open escalation is not pending (none can exist through the API) */
	in = esc_in("r1", "1.1", "cannot-parse-output");
	dopen = open_esc(f->st, &in, "AWAITING_DECISION", T3);
	{
		sqlite3 *raw = raw_open(f->path);
		char *q = xstrfmt("INSERT INTO decisions (escalation_id, choice, source, at) "
				  "VALUES (%" PRId64 ", '1', 'x', 't')",
				  dopen);

		raw_exec(raw, q);
		free(q);
		sqlite3_close(raw);
	}
	assert_list(pending(f->st, "r1", &ds), "");
}

static void test_escalation_close(void **state)
{
	struct fx *f = *state;
	struct store_escalation in, e;
	char *cause = NULL, *want;
	int64_t a, b, c;

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	add_story(f->st, "r1", "1.1", 0, "SPAWN");
	in = esc_in("r1", "1.1", "cannot-parse-output");
	a = open_esc(f->st, &in, "SPAWN", T0);
	in.trigger = "agent-needs-input";
	b = open_esc(f->st, &in, "SPAWN", T0);
	in.trigger = "session-incomplete";
	c = open_esc(f->st, &in, "SPAWN", T0);
	assert_int_equal(store_escalation_ack(f->st, b, "ann", T1, &cause), 0);
	assert_int_equal(store_escalation_answer(f->st, c, "1", NULL, "ann", T1, NULL, &cause), 0);

	/* open, acked and answered all close */
	assert_int_equal(store_escalation_close(f->st, a, "fixed the hook", T2, &cause), 0);
	assert_int_equal(store_escalation_close(f->st, b, "dup of 7", T2, &cause), 0);
	assert_int_equal(store_escalation_close(f->st, c, "story skipped", NULL, &cause), 0);
	e = get_esc(f->st, a);
	assert_string_equal(e.status, "closed");
	assert_string_equal(e.closed_reason, "fixed the hook");
	assert_string_equal(e.closed_at, T2);
	store_escalation_release(&e);
	e = get_esc(f->st, b);
	assert_string_equal(e.status, "closed");
	assert_string_equal(e.closed_reason, "dup of 7");
	assert_string_equal(e.acked_by, "ann");
	store_escalation_release(&e);
	e = get_esc(f->st, c);
	assert_string_equal(e.closed_reason, "story skipped");
	assert_true(str_ends_with(e.closed_at, "Z"));
	assert_string_equal(e.chosen, "1");
	store_escalation_release(&e);

	want = xstrfmt("escalation %" PRId64 " is already closed", a);
	assert_cause(store_escalation_close(f->st, a, "again", T3, &cause), &cause, want);
	free(want);
	assert_int_equal(store_escalation_close(f->st, 9999, "x", T3, &cause), 1);
	assert_null(cause);
	assert_cause(store_escalation_close(f->st, a, NULL, T3, &cause), &cause,
		     "cannot close escalation: a reason is required");
	e = get_esc(f->st, a);
	assert_string_equal(e.closed_reason, "fixed the hook");
	assert_string_equal(e.closed_at, T2);
	store_escalation_release(&e);
	assert_list(list_esc(f->st, "r1", true), "");
}

static void test_escalation_stale_and_renotify(void **state)
{
	struct fx *f = *state;
	struct store_escalation in, e;
	char *cause = NULL, *want;
	int64_t a, b, c, d, r2;

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	add_run(f->st, "r2", "IN_PROGRESS", NULL);
	add_story(f->st, "r1", "1.1", 0, "SPAWN");
	add_story(f->st, "r2", "1.1", 0, "SPAWN");
	in = esc_in("r1", "1.1", "cannot-parse-output");
	a = open_esc(f->st, &in, "SPAWN", T0);
	in.trigger = "agent-needs-input";
	b = open_esc(f->st, &in, "SPAWN", T1);
	in.trigger = "session-incomplete";
	c = open_esc(f->st, &in, "SPAWN", T0); /* to be acked */
	in.trigger = "restart-loop";
	d = open_esc(f->st, &in, "SPAWN", T0); /* to be answered */
	in = esc_in("r2", "1.1", "cannot-parse-output");
	r2 = open_esc(f->st, &in, "SPAWN", T0);
	assert_int_equal(store_escalation_ack(f->st, c, "ann", T1, &cause), 0);
	assert_int_equal(store_escalation_answer(f->st, d, "1", NULL, "ann", T1, NULL, &cause), 0);

	/* before is exclusive; acked and answered ones are not stale */
	assert_list(list_stale(f->st, "r1", T0, 3), "");
	want = xstrfmt("%" PRId64 ":1.1:cannot-parse-output:open:MEDIUM:0;", a);
	assert_list(list_stale(f->st, "r1", T1, 3), want);
	free(want);
	want = xstrfmt("%" PRId64 ":1.1:cannot-parse-output:open:MEDIUM:0;"
		       "%" PRId64 ":1.1:agent-needs-input:open:MEDIUM:0;",
		       a, b);
	assert_list(list_stale(f->st, "r1", T2, 3), want);
	free(want);
	/* every run */
	want = xstrfmt("%" PRId64 ":1.1:cannot-parse-output:open:MEDIUM:0;"
		       "%" PRId64 ":1.1:cannot-parse-output:open:MEDIUM:0;",
		       a, r2);
	assert_list(list_stale(f->st, NULL, T1, 3), want);
	free(want);
	/* times compare as times, whatever the precision */
	assert_list(list_stale(f->st, "r1", "2024-05-01T12:00:00Z", 3), "");
	want = xstrfmt("%" PRId64 ":1.1:cannot-parse-output:open:MEDIUM:0;", a);
	assert_list(list_stale(f->st, "r1", "2024-05-01T12:00:01Z", 3), want);
	free(want);
	assert_cause(
		store_escalations_stale(f->st, "r1", "yesterday", 3, describe_esc, NULL, &cause),
		&cause, "cannot list stale escalations: 'yesterday' is not a time");

	/* renotify: one severity up, notified now, counted */
	assert_int_equal(store_escalation_renotify(f->st, a, "HIGH", T1, &cause), 0);
	e = get_esc(f->st, a);
	assert_string_equal(e.severity, "HIGH");
	assert_string_equal(e.notified_at, T1);
	assert_int_equal(e.reescalations, 1);
	assert_string_equal(e.created_at, T0);
	assert_string_equal(e.status, "open");
	store_escalation_release(&e);
	/* stale is measured from the last notification */
	assert_list(list_stale(f->st, "r1", T1, 3), "");
	want = xstrfmt("%" PRId64 ":1.1:cannot-parse-output:open:HIGH:1;"
		       "%" PRId64 ":1.1:agent-needs-input:open:MEDIUM:0;",
		       a, b);
	assert_list(list_stale(f->st, "r1", T2, 3), want);
	free(want);
	/* the cap: a re-escalated once is out at max 1 */
	want = xstrfmt("%" PRId64 ":1.1:agent-needs-input:open:MEDIUM:0;", b);
	assert_list(list_stale(f->st, "r1", T2, 1), want);
	free(want);
	assert_list(list_stale(f->st, "r1", T2, 0), "");
	assert_int_equal(store_escalation_renotify(f->st, a, "CRITICAL", T2, &cause), 0);
	e = get_esc(f->st, a);
	assert_string_equal(e.severity, "CRITICAL");
	assert_string_equal(e.notified_at, T2);
	assert_int_equal(e.reescalations, 2);
	store_escalation_release(&e);
	want = xstrfmt("%" PRId64 ":1.1:agent-needs-input:open:MEDIUM:0;", b);
	assert_list(list_stale(f->st, "r1", T3, 2), want);
	free(want);

	/* not open: acked, answered, closed, unknown are left alone */
	assert_int_equal(store_escalation_renotify(f->st, c, "HIGH", T2, &cause), 1);
	assert_int_equal(store_escalation_renotify(f->st, d, "HIGH", T2, &cause), 1);
	assert_int_equal(store_escalation_close(f->st, r2, "done", T1, &cause), 0);
	assert_int_equal(store_escalation_renotify(f->st, r2, "HIGH", T2, &cause), 1);
	assert_int_equal(store_escalation_renotify(f->st, 9999, "HIGH", T2, &cause), 1);
	assert_null(cause);
	e = get_esc(f->st, c);
	assert_string_equal(e.severity, "MEDIUM");
	assert_string_equal(e.notified_at, T0);
	assert_int_equal(e.reescalations, 0);
	store_escalation_release(&e);
	assert_int_equal(raw_int(f->path, "SELECT sum(reescalations) FROM escalations", NULL), 2);

	/* a severity the schema refuses */
	assert_int_equal(store_escalation_renotify(f->st, b, "URGENT", T2, &cause), -1);
	assert_non_null(strstr(cause, "CHECK constraint failed"));
	free(cause);
	assert_esc_status(f->st, b, "open");
	e = get_esc(f->st, b);
	assert_string_equal(e.severity, "MEDIUM");
	assert_int_equal(e.reescalations, 0);
	store_escalation_release(&e);
}

struct renotify_walk {
	struct store *st;
	int seen;
};

/* Re-notifies from inside the stale walk, stopping after the first. */
static int renotify_first(const struct store_escalation *e, void *arg)
{
	struct renotify_walk *w = arg;
	char *cause = NULL;

	if (store_escalation_renotify(w->st, e->id, "HIGH", T2, &cause) != 0)
		fail_msg("renotify in walk: %s", cause ? cause : "not open");
	return ++w->seen == 1 ? 7 : 0;
}

static void test_escalations_foreach(void **state)
{
	struct fx *f = *state;
	struct store_escalation in, e;
	struct renotify_walk w = { f->st, 0 };
	char *cause = NULL, *want;
	int64_t a, b, c, r2;

	add_run(f->st, "r1", "IN_PROGRESS", NULL);
	add_run(f->st, "r2", "IN_PROGRESS", NULL);
	add_story(f->st, "r1", "1.1", 0, "SPAWN");
	add_story(f->st, "r2", "2.1", 0, "SPAWN");
	in = esc_in("r1", "1.1", "cannot-parse-output");
	a = open_esc(f->st, &in, "SPAWN", T0);
	in = esc_in("r2", "2.1", "session-incomplete");
	r2 = open_esc(f->st, &in, "SPAWN", T0);
	in = esc_in("r1", NULL, "unexpected-error");
	b = open_esc(f->st, &in, "IN_PROGRESS", T0);
	in = esc_in("r1", "1.1", "agent-needs-input");
	c = open_esc(f->st, &in, "SPAWN", T0);
	assert_int_equal(store_escalation_ack(f->st, b, "ann", T1, &cause), 0);
	assert_int_equal(store_escalation_close(f->st, c, "gone", T1, &cause), 0);

	want = xstrfmt("%" PRId64 ":1.1:cannot-parse-output:open:MEDIUM:0;"
		       "%" PRId64 ":-:unexpected-error:acked:MEDIUM:0;"
		       "%" PRId64 ":1.1:agent-needs-input:closed:MEDIUM:0;",
		       a, b, c);
	assert_list(list_esc(f->st, "r1", false), want);
	free(want);
	want = xstrfmt("%" PRId64 ":1.1:cannot-parse-output:open:MEDIUM:0;"
		       "%" PRId64 ":-:unexpected-error:acked:MEDIUM:0;",
		       a, b);
	assert_list(list_esc(f->st, "r1", true), want);
	free(want);
	want = xstrfmt("%" PRId64 ":1.1:cannot-parse-output:open:MEDIUM:0;"
		       "%" PRId64 ":2.1:session-incomplete:open:MEDIUM:0;"
		       "%" PRId64 ":-:unexpected-error:acked:MEDIUM:0;",
		       a, r2, b);
	assert_list(list_esc(f->st, NULL, true), want);
	free(want);
	assert_list(list_esc(f->st, "nope", false), "");

	/* the callback may write through the store; its non-zero return stops the walk */
	assert_int_equal(store_escalations_stale(f->st, NULL, T1, 3, renotify_first, &w, &cause),
			 7);
	assert_int_equal(w.seen, 1);
	e = get_esc(f->st, a);
	assert_string_equal(e.severity, "HIGH");
	assert_int_equal(e.reescalations, 1);
	store_escalation_release(&e);
	e = get_esc(f->st, r2);
	assert_string_equal(e.severity, "MEDIUM");
	assert_int_equal(e.reescalations, 0);
	store_escalation_release(&e);
}

static void test_escalations_migrate_from_version_1(void **state)
{
	struct fx *f = *state;
	struct store_escalation in, e;
	char *path = path_join(f->dir, "v1.db");
	struct store *st = NULL;
	char *cause = NULL;
	int64_t id = -1;
	sqlite3 *db;

	/* a database left by the first schema, with an escalation in it */
	assert_true(migrations_count >= 2);
	assert_int_equal(
		sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
		SQLITE_OK);
	raw_exec(db, migrations[0].sql);
	raw_exec(db, "PRAGMA user_version = 1");
	raw_exec(db, "INSERT INTO runs (id, sprint_file, project, root, state, started_at, "
		     "updated_at) VALUES ('r1', 's', 'p', '/', 'IN_PROGRESS', 't', 't')");
	raw_exec(db, "INSERT INTO escalations (id, run_id, \"trigger\", category, severity, "
		     "message, created_at, notified_at) VALUES (5, 'r1', 'unexpected-error', "
		     "'CRITICAL', 'HIGH', 'm', '" T0 "', '" T0 "')");
	sqlite3_close(db);

	if (store_open(path, &st, &cause) != 0)
		fail_msg("store_open of a version 1 database: %s", cause);
	assert_int_equal(raw_int(path, "PRAGMA user_version", NULL), migrations_count);
	e = get_esc(st, 5);
	assert_string_equal(e.status, "open");
	assert_string_equal(e.trigger, "unexpected-error");
	assert_null(e.acked_by);
	assert_null(e.closed_at);
	store_escalation_release(&e);
	/* and it dedupes like one opened by this version */
	in = esc_in("r1", NULL, "unexpected-error");
	assert_int_equal(store_escalation_open(st, &in, "IN_PROGRESS", T1, &id, &cause), 1);
	assert_int_equal(id, 5);
	assert_int_equal(store_escalation_ack(st, 5, "ann", T1, &cause), 0);
	e = get_esc(st, 5);
	assert_string_equal(e.acked_by, "ann");
	store_escalation_release(&e);
	store_close(st);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_database_migrates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_is_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_agent_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_and_foreign_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transition_writes_state_journal_intent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_transition_from_state_mismatch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_transition_is_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intents_finish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_strings_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_attempt_spawned_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_while_another_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_begin_immediate_waits_for_busy_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_runs_latest_unfinished, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stories_in_position_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_story_rows_with_current_session, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_escalation_open_get_and_journal, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_escalation_open_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escalation_dedupe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escalation_dedupe_across_stores, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_escalation_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escalation_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decisions_pending_and_applied, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_escalation_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escalation_stale_and_renotify, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_escalations_foreach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escalations_migrate_from_version_1, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
