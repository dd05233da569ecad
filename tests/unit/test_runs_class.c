/* SPDX-License-Identifier: MIT */
/*
 * test_runs_class.c: how `runs` and `watch` classify a run
 * (src/runs_class.c): a dead process is never running, stale runs are
 * quarantined, a run waiting for answers needs a decision.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "runs_class.h"

#define DAY 86400L

static void test_finished(void **state)
{
	(void)state;
	assert_int_equal(runs_classify(false, "COMPLETE", false, 0, 10, DAY), RC_COMPLETE);
	assert_int_equal(runs_classify(false, "ABORTED", false, 0, 10, DAY), RC_ABORTED);
	/* old and finished: still what it is, not stale */
	assert_int_equal(runs_classify(false, "COMPLETE", false, 0, 30 * DAY, DAY), RC_COMPLETE);
	assert_false(runs_class_quarantined(RC_COMPLETE));
}

static void test_unfinished(void **state)
{
	(void)state;
	assert_int_equal(runs_classify(true, "IN_PROGRESS", true, 0, 5, DAY), RC_RUNNING);
	/* alive and quiet for long: still running (a long step), never stale */
	assert_int_equal(runs_classify(true, "IN_PROGRESS", true, 2, 3 * DAY, DAY), RC_RUNNING);
	assert_int_equal(runs_classify(true, "IN_PROGRESS", false, 0, 5, DAY), RC_INTERRUPTED);
	assert_int_equal(runs_classify(true, "IN_PROGRESS", false, 1, 5, DAY), RC_NEEDS_DECISION);
	assert_int_equal(runs_classify(true, "PAUSED", false, 0, 5, DAY), RC_NEEDS_DECISION);
	assert_int_equal(runs_classify(true, "IN_PROGRESS", false, 1, DAY + 1, DAY), RC_STALE);
	assert_true(runs_class_quarantined(RC_STALE));
	assert_true(runs_class_quarantined(RC_GONE));
	assert_false(runs_class_quarantined(RC_INTERRUPTED));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(runs_class_name(RC_RUNNING), "running");
	assert_string_equal(runs_class_name(RC_NEEDS_DECISION), "needs_decision");
	assert_string_equal(runs_class_name(RC_INTERRUPTED), "interrupted");
	assert_string_equal(runs_class_name(RC_STALE), "stale");
	assert_string_equal(runs_class_name(RC_GONE), "gone");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finished),
		cmocka_unit_test(test_unfinished),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
