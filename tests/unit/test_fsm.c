/* SPDX-License-Identifier: MIT */
/*
 * test_fsm.c: the engine (fsm/fsm.c, fsm/fsm_queue.c) on small synthetic
 * tables defined here, and fsm_validate on purpose-built bad tables and on
 * the shipped run and story tables. Must not depend on what the shipped
 * tables say beyond "they validate": their behaviour is covered by the
 * golden traces (test_fsm_golden.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fsm.h"
#include "util.h"

/* ---- a small machine: states A B C T (T terminal), events E1 E2 E3 ---- */

enum { A, B, C, T, NSTATES };
enum { E1, E2, E3, NEVENTS };
enum { G_YES = 1, G_NO, NGUARDS };
enum { X_REC = 1, X_FAIL, NACTIONS };

static const char *const t_states[] = { "A", "B", "C", "T" };
static const char *const t_events[] = { "E1", "E2", "E3" };
static const char *const t_guards[] = { "-", "YES", "NO" };
static const char *const t_actions[] = { "-", "REC", "FAIL" };
static const char *const t_docs[] = { "d", "d", "d", "d" };
static const bool t_terminal[] = { false, false, false, true };

static struct fsm_def t_def(const struct fsm_row *rows, size_t n)
{
	struct fsm_def d = {
		.name = "t",
		.rows = rows,
		.nrows = n,
		.initial = A,
		.nstates = NSTATES,
		.nevents = NEVENTS,
		.nguards = NGUARDS,
		.nactions = NACTIONS,
		.state_names = t_states,
		.state_docs = t_docs,
		.event_names = t_events,
		.event_docs = t_docs,
		.guard_names = t_guards,
		.guard_docs = t_docs,
		.action_names = t_actions,
		.action_docs = t_docs,
		.terminal = t_terminal,
	};
	return d;
}
#define DEF(rows) t_def(rows, ARRAY_SIZE(rows))

struct t_ctx {
	bool yes;
	int *state;      /* the state variable fsm_fire updates */
	int seen_state;  /* *state when the action ran */
	int actions;     /* actions run */
	int journal_ret; /* what the journal returns */
	int journaled;
	int journal_from; /* from as seen by the journal */
	int journal_state;
};

static bool g_yes(void *ctx)
{
	return ((struct t_ctx *)ctx)->yes;
}

static bool g_no(void *ctx)
{
	(void)ctx;
	return false;
}

static int a_rec(void *ctx)
{
	struct t_ctx *t = ctx;

	t->actions++;
	t->seen_state = *t->state;
	return 0;
}

static int a_fail(void *ctx)
{
	((struct t_ctx *)ctx)->actions++;
	return -1;
}

static int t_journal(void *ctx, const struct fsm_def *def, const struct fsm_row *row, int from,
		     int event)
{
	struct t_ctx *t = ctx;

	(void)def;
	(void)row;
	(void)event;
	t->journaled++;
	t->journal_from = from;
	t->journal_state = *t->state;
	return t->journal_ret;
}

static const fsm_guard_fn t_guard_fns[NGUARDS] = { NULL, g_yes, g_no };
static const fsm_action_fn t_action_fns[NACTIONS] = { NULL, a_rec, a_fail };
static const struct fsm_impl t_impl = { t_guard_fns, t_action_fns };

/* The base table: valid, every state reached, every guard and action used. */
/* clang-format off */
static const struct fsm_row good_rows[] = {
/*	state		event	guard		action		next */
	{ A,		E1,	G_YES,		X_REC,		B },
	{ A,		E1,	FSM_NO_GUARD,	FSM_NO_ACTION,	C },
	{ B,		E2,	G_NO,		X_FAIL,		C },
	{ B,		E2,	FSM_NO_GUARD,	X_FAIL,		A },
	{ FSM_ANY,	E3,	FSM_NO_GUARD,	X_REC,		T },
};
/* clang-format on */

/* ---- lookup and fire ---- */

static void test_first_match_wins(void **state)
{
	/* clang-format off */
	static const struct fsm_row rows[] = {
		{ A,		E1,	FSM_NO_GUARD,	X_REC,		B },
		{ A,		E1,	FSM_NO_GUARD,	FSM_NO_ACTION,	C },
		{ FSM_ANY,	E2,	FSM_NO_GUARD,	FSM_NO_ACTION,	B },
		{ A,		E2,	FSM_NO_GUARD,	FSM_NO_ACTION,	C },
	};
	/* clang-format on */
	struct fsm_def d = DEF(rows);

	(void)state;
	assert_ptr_equal(fsm_lookup(&d, NULL, NULL, A, E1), &rows[0]);
	/* an earlier FSM_ANY row wins over a later specific one */
	assert_ptr_equal(fsm_lookup(&d, NULL, NULL, A, E2), &rows[2]);
}

static void test_guard_false_falls_through(void **state)
{
	/* clang-format off */
	static const struct fsm_row rows[] = {
		{ A,	E1,	G_NO,		X_REC,		B },
		{ A,	E1,	G_YES,		X_REC,		C },
		{ A,	E1,	FSM_NO_GUARD,	FSM_NO_ACTION,	T },
	};
	/* clang-format on */
	struct fsm_def d = DEF(rows);
	struct t_ctx t = { 0 };

	(void)state;
	t.yes = true;
	assert_ptr_equal(fsm_lookup(&d, &t_impl, &t, A, E1), &rows[1]);
	t.yes = false;
	assert_ptr_equal(fsm_lookup(&d, &t_impl, &t, A, E1), &rows[2]);
}

static void test_any_skips_terminal(void **state)
{
	/* clang-format off */
	static const struct fsm_row rows[] = {
		{ FSM_ANY,	E3,	FSM_NO_GUARD,	FSM_NO_ACTION,	T },
	};
	/* clang-format on */
	struct fsm_def d = DEF(rows);

	(void)state;
	assert_ptr_equal(fsm_lookup(&d, NULL, NULL, A, E3), &rows[0]);
	assert_ptr_equal(fsm_lookup(&d, NULL, NULL, C, E3), &rows[0]);
	assert_null(fsm_lookup(&d, NULL, NULL, T, E3));
}

static void test_unknown_event(void **state)
{
	struct fsm_def d = DEF(good_rows);
	struct t_ctx t = { 0 };
	const struct fsm_row *row = &good_rows[0];
	int s = C;

	(void)state;
	t.state = &s;
	assert_int_equal(fsm_fire(&d, &t_impl, &t, &s, E1, t_journal, &row), -1);
	assert_int_equal(s, C);
	assert_null(row);
	assert_int_equal(t.journaled, 0);
	assert_int_equal(t.actions, 0);
	/* out-of-range states and events match nothing */
	assert_null(fsm_lookup(&d, NULL, NULL, A, NEVENTS));
	assert_null(fsm_lookup(&d, NULL, NULL, A, -1));
	assert_null(fsm_lookup(&d, NULL, NULL, NSTATES, E3));
	assert_null(fsm_lookup(&d, NULL, NULL, FSM_ANY, E3));
}

static void test_journal_failure_keeps_state(void **state)
{
	struct fsm_def d = DEF(good_rows);
	struct t_ctx t = { 0 };
	int s = A;

	(void)state;
	t.state = &s;
	t.yes = true;
	t.journal_ret = -1;
	assert_int_equal(fsm_fire(&d, &t_impl, &t, &s, E1, t_journal, NULL), -2);
	assert_int_equal(s, A);
	assert_int_equal(t.journaled, 1);
	assert_int_equal(t.actions, 0);
}

static void test_action_runs_after_state_set(void **state)
{
	struct fsm_def d = DEF(good_rows);
	struct t_ctx t = { 0 };
	const struct fsm_row *row = NULL;
	int s = A;

	(void)state;
	t.state = &s;
	t.yes = true;
	t.seen_state = -1;
	assert_int_equal(fsm_fire(&d, &t_impl, &t, &s, E1, t_journal, &row), 0);
	assert_ptr_equal(row, &good_rows[0]);
	assert_int_equal(s, B);
	/* the journal saw the old state, the action the new one */
	assert_int_equal(t.journal_from, A);
	assert_int_equal(t.journal_state, A);
	assert_int_equal(t.actions, 1);
	assert_int_equal(t.seen_state, B);
}

static void test_action_failure(void **state)
{
	struct fsm_def d = DEF(good_rows);
	struct t_ctx t = { 0 };
	int s = B;

	(void)state;
	t.state = &s;
	/* the state is already set when the action fails */
	assert_int_equal(fsm_fire(&d, &t_impl, &t, &s, E2, NULL, NULL), -2);
	assert_int_equal(s, A);
	assert_int_equal(t.actions, 1);
}

static void test_fire_without_impl_is_dry(void **state)
{
	struct fsm_def d = DEF(good_rows);
	int s = B;

	(void)state;
	/* guarded rows never hold without an implementation */
	assert_int_equal(fsm_fire(&d, NULL, NULL, &s, E2, NULL, NULL), 0);
	assert_int_equal(s, A);
	assert_int_equal(fsm_fire(&d, NULL, NULL, &s, E1, NULL, NULL), 0);
	assert_int_equal(s, C);
}

static void test_queue_fifo_and_growth(void **state)
{
	struct fsm_queue q = FSM_QUEUE_INIT;
	struct fsm_qitem it;
	int next_in = 0, next_out = 0;

	(void)state;
	assert_false(fsm_queue_pop(&q, &it));
	/* wrap the ring, then grow it while the head is not at 0 */
	for (; next_in < 12; next_in++)
		assert_int_equal(fsm_queue_push(&q, next_in % 3 - 1, next_in), 0);
	for (; next_out < 10; next_out++) {
		assert_true(fsm_queue_pop(&q, &it));
		assert_int_equal(it.event, next_out);
		assert_int_equal(it.target, next_out % 3 - 1);
	}
	for (; next_in < 100; next_in++)
		assert_int_equal(fsm_queue_push(&q, next_in % 3 - 1, next_in), 0);
	assert_true(q.cap >= 90);
	for (; next_out < 100; next_out++) {
		assert_true(fsm_queue_pop(&q, &it));
		assert_int_equal(it.event, next_out);
		assert_int_equal(it.target, next_out % 3 - 1);
	}
	assert_false(fsm_queue_pop(&q, &it));
	assert_int_equal(fsm_queue_push(&q, 7, 8), 0);
	assert_true(fsm_queue_pop(&q, &it));
	assert_int_equal(it.target, 7);
	assert_int_equal(it.event, 8);
	fsm_queue_release(&q);
	assert_null(q.v);
	assert_int_equal(q.len, 0);
	fsm_queue_release(&q);
}

static void test_find_and_terminal(void **state)
{
	(void)state;
	assert_ptr_equal(fsm_find("run"), &fsm_run);
	assert_ptr_equal(fsm_find("story"), &fsm_story);
	assert_null(fsm_find("Story"));
	assert_null(fsm_find(""));
	assert_null(fsm_find(NULL));
	assert_true(fsm_is_terminal(&fsm_story, SS_DONE));
	assert_true(fsm_is_terminal(&fsm_story, SS_FAILED));
	assert_false(fsm_is_terminal(&fsm_story, SS_BLOCKED));
	assert_false(fsm_is_terminal(&fsm_story, FSM_ANY));
	assert_false(fsm_is_terminal(&fsm_story, SS__COUNT));
	assert_true(fsm_is_terminal(&fsm_run, RS_COMPLETE));
	assert_false(fsm_is_terminal(&fsm_run, RS_PAUSED));
}

/* ---- fsm_validate ---- */

static void collect(void *arg, const char *msg)
{
	buf_addf(arg, "%s\n", msg);
}

/* Validates and compares every message, in order, with want. */
static void check_validate(const struct fsm_def *d, const struct fsm_impl *impl, int nwant,
			   const char *want)
{
	struct buf b = BUF_INIT;
	int n = fsm_validate(d, impl, collect, &b);

	if (strcmp(buf_str(&b), want))
		print_error("got:\n%swant:\n%s", buf_str(&b), want);
	assert_string_equal(buf_str(&b), want);
	assert_int_equal(n, nwant);
	buf_release(&b);
}

static void test_validate_good(void **state)
{
	struct fsm_def d = DEF(good_rows);

	(void)state;
	check_validate(&d, NULL, 0, "");
	check_validate(&d, &t_impl, 0, "");
	assert_int_equal(fsm_validate(&d, &t_impl, NULL, NULL), 0);
}

static void test_validate_unreachable(void **state)
{
	/* clang-format off */
	static const struct fsm_row rows[] = {
		{ A,		E1,	G_YES,		X_REC,		B },
		{ B,		E2,	G_NO,		X_FAIL,		A },
		{ C,		E2,	FSM_NO_GUARD,	FSM_NO_ACTION,	T },
	};
	/* clang-format on */
	struct fsm_def d = DEF(rows);

	(void)state;
	check_validate(&d, NULL, 2,
		       "t: state C is unreachable from A\n"
		       "t: state T is unreachable from A\n");
}

static void test_validate_terminal_exit(void **state)
{
	/* clang-format off */
	static const struct fsm_row rows[] = {
		{ A,		E1,	G_YES,		X_REC,		B },
		{ A,		E1,	FSM_NO_GUARD,	FSM_NO_ACTION,	C },
		{ B,		E2,	G_NO,		X_FAIL,		C },
		{ FSM_ANY,	E3,	FSM_NO_GUARD,	X_REC,		T },
		{ T,		E3,	FSM_NO_GUARD,	FSM_NO_ACTION,	A },
	};
	/* clang-format on */
	struct fsm_def d = DEF(rows);

	(void)state;
	/* the FSM_ANY row before it does not shadow it: ANY skips T */
	check_validate(&d, NULL, 1, "t: row 5 (T, E3) leaves terminal state T\n");
}

static void test_validate_shadowed(void **state)
{
	/* clang-format off */
	static const struct fsm_row rows[] = {
		{ A,		E1,	FSM_NO_GUARD,	FSM_NO_ACTION,	C },
		{ A,		E1,	G_YES,		X_REC,		B },	/* after unguarded */
		{ B,		E2,	G_NO,		X_FAIL,		C },
		{ B,		E2,	G_NO,		X_FAIL,		C },	/* exact duplicate */
		{ B,		E2,	G_NO,		X_REC,		A },	/* same guard */
		{ B,		E2,	G_YES,		X_REC,		A },	/* other guard: fine */
		{ FSM_ANY,	E3,	FSM_NO_GUARD,	X_REC,		T },
		{ C,		E3,	FSM_NO_GUARD,	X_REC,		A },	/* after ANY */
		{ FSM_ANY,	E3,	G_YES,		X_REC,		T },	/* ANY after ANY */
		{ C,		E1,	FSM_NO_GUARD,	X_REC,		A },
		{ FSM_ANY,	E1,	FSM_NO_GUARD,	X_REC,		A },	/* covers more: fine */
	};
	/* clang-format on */
	struct fsm_def d = DEF(rows);

	(void)state;
	check_validate(&d, NULL, 5,
		       "t: row 2 (A, E1) is shadowed by row 1\n"
		       "t: row 4 (B, E2) duplicates row 3\n"
		       "t: row 5 (B, E2) is shadowed by row 3\n"
		       "t: row 8 (C, E3) is shadowed by row 7\n"
		       "t: row 9 (*, E3) is shadowed by row 7\n");
}

static void test_validate_missing_impl(void **state)
{
	static const fsm_guard_fn guards[NGUARDS] = { NULL, g_yes, NULL };
	static const fsm_action_fn actions[NACTIONS] = { NULL, NULL, a_fail };
	const struct fsm_impl half = { guards, actions };
	const struct fsm_impl none = { NULL, NULL };
	struct fsm_def d = DEF(good_rows);

	(void)state;
	check_validate(&d, &half, 2,
		       "t: row 3 (B, E2) uses guard NO, which is not implemented\n"
		       "t: row 1 (A, E1) uses action REC, which is not implemented\n");
	check_validate(&d, &none, 4,
		       "t: row 1 (A, E1) uses guard YES, which is not implemented\n"
		       "t: row 3 (B, E2) uses guard NO, which is not implemented\n"
		       "t: row 1 (A, E1) uses action REC, which is not implemented\n"
		       "t: row 3 (B, E2) uses action FAIL, which is not implemented\n");
}

static void test_validate_out_of_range(void **state)
{
	/* clang-format off */
	static const struct fsm_row rows[] = {
		{ A,		E1,	G_YES,		X_REC,		B },
		{ A,		E1,	FSM_NO_GUARD,	FSM_NO_ACTION,	C },
		{ B,		E2,	G_NO,		X_FAIL,		C },
		{ FSM_ANY,	E3,	FSM_NO_GUARD,	X_REC,		T },
		{ 9,		E1,	FSM_NO_GUARD,	FSM_NO_ACTION,	A },
		{ A,		7,	FSM_NO_GUARD,	FSM_NO_ACTION,	A },
		{ B,		E3,	3,		-1,		4 },
	};
	/* clang-format on */
	struct fsm_def d = DEF(rows);

	(void)state;
	check_validate(&d, NULL, 5,
		       "t: row 5 (9, E1) has state 9 out of range\n"
		       "t: row 6 (A, 7) has event 7 out of range\n"
		       "t: row 7 (B, E3) has guard 3 out of range\n"
		       "t: row 7 (B, E3) has action -1 out of range\n"
		       "t: row 7 (B, E3) has next state 4 out of range\n");
	d.initial = NSTATES;
	check_validate(&d, NULL, 1, "t: initial state 4 is out of range\n");
}

static void test_validate_unused_and_shape(void **state)
{
	/* clang-format off */
	static const struct fsm_row rows[] = {
		{ A,		E1,	G_YES,		X_REC,		B },
		{ A,		E1,	FSM_NO_GUARD,	FSM_NO_ACTION,	C },
		{ FSM_ANY,	E3,	FSM_NO_GUARD,	X_REC,		T },
	};
	/* clang-format on */
	static const char *const holes[] = { "A", NULL, "C", "T" };
	struct fsm_def d = DEF(rows);

	(void)state;
	check_validate(&d, NULL, 2,
		       "t: guard NO is used by no row\n"
		       "t: action FAIL is used by no row\n");
	d = DEF(good_rows);
	d.state_names = holes;
	check_validate(&d, NULL, 1, "t: state name 1 is missing\n");
	d = DEF(good_rows);
	d.event_docs = NULL;
	check_validate(&d, NULL, 1, "t: event doc list missing\n");
}

/* Every guard and action of a shipped machine, as do-nothing stubs. */
static bool stub_guard(void *ctx)
{
	(void)ctx;
	return false;
}

static int stub_action(void *ctx)
{
	(void)ctx;
	return 0;
}

static void test_validate_shipped(void **state)
{
	const struct fsm_def *defs[] = { &fsm_run, &fsm_story };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(defs); i++) {
		const struct fsm_def *d = defs[i];
		fsm_guard_fn *g = xcalloc((size_t)d->nguards, sizeof(*g));
		fsm_action_fn *a = xcalloc((size_t)d->nactions, sizeof(*a));
		struct fsm_impl impl = { g, a };

		for (int k = 1; k < d->nguards; k++)
			g[k] = stub_guard;
		for (int k = 1; k < d->nactions; k++)
			a[k] = stub_action;
		check_validate(d, NULL, 0, "");
		check_validate(d, &impl, 0, "");
		free(g);
		free(a);
	}
	assert_string_equal(fsm_story.name, "story");
	assert_string_equal(fsm_run.name, "run");
	assert_int_equal(fsm_story.initial, SS_PENDING);
	assert_int_equal(fsm_run.initial, RS_INITIALIZING);
	assert_string_equal(fsm_story.guard_names[0], "-");
	assert_string_equal(fsm_story.action_names[SA_NEW_CYCLE], "NEW_CYCLE");
	assert_string_equal(fsm_run.state_names[RS_EXECUTION_COMPLETE], "EXECUTION_COMPLETE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_match_wins),
		cmocka_unit_test(test_guard_false_falls_through),
		cmocka_unit_test(test_any_skips_terminal),
		cmocka_unit_test(test_unknown_event),
		cmocka_unit_test(test_journal_failure_keeps_state),
		cmocka_unit_test(test_action_runs_after_state_set),
		cmocka_unit_test(test_action_failure),
		cmocka_unit_test(test_fire_without_impl_is_dry),
		cmocka_unit_test(test_queue_fifo_and_growth),
		cmocka_unit_test(test_find_and_terminal),
		cmocka_unit_test(test_validate_good),
		cmocka_unit_test(test_validate_unreachable),
		cmocka_unit_test(test_validate_terminal_exit),
		cmocka_unit_test(test_validate_shadowed),
		cmocka_unit_test(test_validate_missing_impl),
		cmocka_unit_test(test_validate_out_of_range),
		cmocka_unit_test(test_validate_unused_and_shape),
		cmocka_unit_test(test_validate_shipped),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
