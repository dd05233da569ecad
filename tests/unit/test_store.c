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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_database_migrates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_is_idempotent, setup, teardown),
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
