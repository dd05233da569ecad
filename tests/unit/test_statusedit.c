/* SPDX-License-Identifier: MIT */
/*
 * test_statusedit.c: in-place edits of sprint-status.yaml in a temp
 * directory under $TMPDIR (removed afterwards). Every check compares the
 * whole file with the expected bytes, so a changed comment, line ending or
 * neighbour fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"
#include "statusedit.h"
#include "util.h"

struct fx {
	char *dir;
	char *path; /* dir/sprint-status.yaml */
};

static const char crlf_text[] = "# Sprint status, kept by hand\r\n"
				"project: demo\r\n"
				"generated: 2024-01-01\r\n"
				"\r\n"
				"development_status:\r\n"
				"  # epic one\r\n"
				"  epic-1: in-progress\r\n"
				"  1-1-login: done   # finished early\r\n"
				"  1-2-reset: review\r\n"
				"\r\n"
				"  1-3-profile: \"ready-for-dev\"\r\n"
				"  1-4-prefs: 'backlog'\r\n"
				"  1-5-nested: {status: review, owner: ann}\r\n"
				"  1-6-block:\r\n"
				"    status: in-progress   # nested, block style\r\n"
				"  epic-1-retrospective: optional\r\n";

static void write_text(const char *path, const char *text)
{
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
}

static char *slurp(const char *path)
{
	char *text = NULL;

	assert_int_equal(read_file(path, &text, NULL), 0);
	return text;
}

/* crlf_text with the first occurrence of from replaced by to. */
static char *expect_with(const char *from, const char *to)
{
	const char *at = strstr(crlf_text, from);
	struct buf b = BUF_INIT;

	assert_non_null(at);
	buf_add(&b, crlf_text, (size_t)(at - crlf_text));
	buf_adds(&b, to);
	buf_adds(&b, at + strlen(from));
	return buf_detach(&b);
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct fx *f = xcalloc(1, sizeof(*f));

	f->dir = xstrfmt("%s/au-test-statusedit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	f->path = path_join(f->dir, "sprint-status.yaml");
	write_text(f->path, crlf_text);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	const char *argv[] = { "rm", "-rf", f->dir, NULL };
	struct proc_result r;

	proc_run(argv, NULL, &r);
	proc_result_release(&r);
	free(f->path);
	free(f->dir);
	free(f);
	return 0;
}

/* Sets story to value and checks the whole file against crlf_text with from → to. */
static void check_edit(struct fx *f, const char *story, const char *value, const char *from,
		       const char *to)
{
	char *cause = NULL, *want = expect_with(from, to), *got;

	write_text(f->path, crlf_text);
	assert_int_equal(statusedit_set(f->path, story, value, &cause), 0);
	assert_null(cause);
	got = slurp(f->path);
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static void test_plain_value_crlf_kept(void **state)
{
	struct fx *f = *state;

	check_edit(f, "1-2-reset", "done", "1-2-reset: review", "1-2-reset: done");
	/* any key form; a trailing comment stays */
	check_edit(f, "1.1", "review", "1-1-login: done   #", "1-1-login: review   #");
	check_edit(f, "1-2", "in-progress", "1-2-reset: review", "1-2-reset: in-progress");
	/* a value that cannot be plain gets double quotes */
	check_edit(f, "1.2", "needs: work", "1-2-reset: review", "1-2-reset: \"needs: work\"");
	check_edit(f, "1.2", "null", "1-2-reset: review", "1-2-reset: \"null\"");
}

static void test_quoted_styles_kept(void **state)
{
	struct fx *f = *state;

	check_edit(f, "1.3", "done", "\"ready-for-dev\"", "\"done\"");
	check_edit(f, "1.3", "say \"hi\"", "\"ready-for-dev\"", "\"say \\\"hi\\\"\"");
	check_edit(f, "1.4", "review", "'backlog'", "'review'");
	check_edit(f, "1.4", "it's", "'backlog'", "'it''s'");
}

static void test_nested_forms(void **state)
{
	struct fx *f = *state;

	check_edit(f, "1.5", "done", "{status: review, owner: ann}", "{status: done, owner: ann}");
	check_edit(f, "1.6", "done", "    status: in-progress   #", "    status: done   #");
}

/*
 * Non-ASCII text before the value (libyaml counts characters, the edit
 * needs bytes), and a UTF-8 byte order mark at the start: the value is
 * found and replaced, every other byte kept.
 */
static void test_non_ascii_and_bom(void **state)
{
	static const char text[] = "\xef\xbb\xbf# sprint \xc3\xa9t\xc3\xa9\n"
				   "development_status:\n"
				   "  epic-1: in-progress   # \xe6\x9d\x83\xe9\x99\x90\n"
				   "  1-1-\xe6\x9d\x83\xe9\x99\x90\xe9\x97\xa8: review\n"
				   "  1-2-b: review\n";
	static const char want[] = "\xef\xbb\xbf# sprint \xc3\xa9t\xc3\xa9\n"
				   "development_status:\n"
				   "  epic-1: in-progress   # \xe6\x9d\x83\xe9\x99\x90\n"
				   "  1-1-\xe6\x9d\x83\xe9\x99\x90\xe9\x97\xa8: done\n"
				   "  1-2-b: done\n";
	struct fx *f = *state;
	char *cause = NULL, *got;

	write_text(f->path, text);
	assert_int_equal(statusedit_set(f->path, "1-2-b", "done", &cause), 0);
	assert_null(cause);
	assert_int_equal(statusedit_set(f->path, "1.1", "done", &cause), 0);
	assert_null(cause);
	got = slurp(f->path);
	assert_string_equal(got, want);
	free(got);
}

/* The epics: list form is read, never rewritten: the edit names why. */
static void test_epics_list_read_only(void **state)
{
	static const char text[] = "epics:\n"
				   "  - id: epic-1\n"
				   "    status: in-progress\n"
				   "    stories:\n"
				   "      - id: story-1.1\n"
				   "        status: review\n";
	struct fx *f = *state;
	char *cause = NULL, *got;

	write_text(f->path, text);
	assert_int_equal(statusedit_set(f->path, "1.1", "done", &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "not rewritten: its stories are in an epics: list"));
	free(cause);
	got = slurp(f->path);
	assert_string_equal(got, text);
	free(got);
}

static void test_idempotent_no_write(void **state)
{
	struct fx *f = *state;
	struct stat a, b;
	char *cause = NULL, *got;

	assert_int_equal(stat(f->path, &a), 0);
	assert_int_equal(statusedit_set(f->path, "1-2-reset", "review", &cause), 0);
	assert_int_equal(statusedit_set(f->path, "1.3", "ready-for-dev", &cause), 0);
	assert_int_equal(stat(f->path, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
	assert_int_equal(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
	assert_null(cause);

	/* a real change replaces the file (rename): a new inode, the same mode */
	assert_int_equal(chmod(f->path, 0666), 0);
	assert_int_equal(statusedit_set(f->path, "1-2-reset", "done", &cause), 0);
	assert_int_equal(stat(f->path, &b), 0);
	assert_int_not_equal(a.st_ino, b.st_ino);
	assert_int_equal(b.st_mode & 07777, 0666);
	/* and setting it again writes nothing */
	assert_int_equal(stat(f->path, &a), 0);
	assert_int_equal(statusedit_set(f->path, "1.2", "done", &cause), 0);
	assert_int_equal(stat(f->path, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	got = slurp(f->path);
	assert_non_null(strstr(got, "1-2-reset: done\r\n"));
	free(got);
}

static void test_missing_and_errors(void **state)
{
	struct fx *f = *state;
	char *cause = NULL, *got, *bad = path_join(f->dir, "bad.yaml");

	assert_int_equal(statusedit_set(f->path, "9-9", "done", &cause), 1);
	assert_null(cause);
	/* epics are not stories */
	assert_int_equal(statusedit_set(f->path, "epic-1", "done", &cause), 1);
	got = slurp(f->path);
	assert_string_equal(got, crlf_text);
	free(got);

	assert_int_equal(statusedit_set(f->path, "1.2", "", &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_int_equal(statusedit_set(f->path, "1.2", "a\nb", &cause), -1);
	free(cause);
	cause = NULL;

	/* a duplicate key: the last one, the one readers use, is edited */
	write_text(bad, "development_status:\n  1-1-a: done\n  1-1-a: review\n");
	assert_int_equal(statusedit_set(bad, "1.1", "review", &cause), 0);
	assert_int_equal(statusedit_set(bad, "1.1", "done", &cause), 0);
	assert_null(cause);
	got = slurp(bad);
	assert_string_equal(got, "development_status:\n  1-1-a: done\n  1-1-a: done\n");
	free(got);

	/* a number two stories share names neither */
	write_text(bad, "development_status:\n  1-1-a: review\n  1-1-b: review\n");
	assert_int_equal(statusedit_set(bad, "1.1", "done", &cause), 1);
	assert_int_equal(statusedit_set(bad, "1-1-b", "done", &cause), 0);
	got = slurp(bad);
	assert_string_equal(got, "development_status:\n  1-1-a: review\n  1-1-b: done\n");
	free(got);

	/* a file only read line by line (not valid YAML) is never rewritten */
	write_text(bad, "last_updated: 2026-03-29 (Epic 18 added: X story)\n"
			"development_status:\n  18-1-a: review\n");
	assert_int_equal(statusedit_set(bad, "18.1", "done", &cause), -1);
	assert_non_null(cause);
	assert_true(str_starts_with(cause, bad));
	assert_non_null(strstr(cause, ": not rewritten: it is not valid YAML (line 1: yaml syntax "
				      "error: mapping values are not allowed"));
	free(cause);
	cause = NULL;
	got = slurp(bad);
	assert_string_equal(got, "last_updated: 2026-03-29 (Epic 18 added: X story)\n"
				 "development_status:\n  18-1-a: review\n");
	free(got);

	/* an error the tolerant reader cannot get around: its first error */
	write_text(bad, "project: [x\n");
	assert_int_equal(statusedit_set(bad, "1.1", "done", &cause), -1);
	assert_non_null(cause);
	assert_true(str_starts_with(cause, bad));
	free(cause);
	cause = NULL;
	assert_int_equal(statusedit_set("/nonexistent/sprint-status.yaml", "1.1", "done", &cause),
			 -1);
	assert_non_null(cause);
	free(cause);
	free(bad);
}

static void test_symlink_target_edited(void **state)
{
	struct fx *f = *state;
	char *cause = NULL, *link = path_join(f->dir, "link.yaml"), *got;
	struct stat st;

	assert_int_equal(symlink("sprint-status.yaml", link), 0);
	assert_int_equal(statusedit_set(link, "1.2", "done", &cause), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	got = slurp(f->path);
	assert_non_null(strstr(got, "1-2-reset: done\r\n"));
	free(got);
	free(link);
}

static void test_500_stories(void **state)
{
	struct fx *f = *state;
	struct buf text = BUF_INIT, want = BUF_INIT;
	char *cause = NULL, *got;

	buf_adds(&text, "# big sprint\ndevelopment_status:\n");
	buf_adds(&want, "# big sprint\ndevelopment_status:\n");
	for (int e = 1; e <= 10; e++) {
		buf_addf(&text, "  epic-%d: in-progress\n", e);
		buf_addf(&want, "  epic-%d: in-progress\n", e);
		for (int s = 1; s <= 50; s++) {
			const char *v = (e == 7 && s == 42) ? "done" : "backlog";

			buf_addf(&text, "  %d-%d-story-number-%d: backlog # n\n", e, s, s);
			buf_addf(&want, "  %d-%d-story-number-%d: %s # n\n", e, s, s, v);
		}
	}
	write_text(f->path, text.s);
	assert_int_equal(statusedit_set(f->path, "7.42", "done", &cause), 0);
	assert_null(cause);
	got = slurp(f->path);
	assert_string_equal(got, want.s);
	free(got);
	buf_release(&text);
	buf_release(&want);
}

static void test_find_file(void **state)
{
	struct fx *f = *state;
	char *out = NULL, *d1 = path_join(f->dir, "_bmad-output");
	char *d2 = path_join(d1, "implementation-artifacts");
	char *old = path_join(d1, "sprint-status.yaml"), *cur = path_join(d2, "sprint-status.yaml");

	assert_int_equal(statusedit_find_file(f->dir, &out), 1);
	assert_null(out);
	assert_int_equal(mkdir(d1, 0755), 0);
	write_text(old, crlf_text);
	assert_int_equal(statusedit_find_file(f->dir, &out), 0);
	assert_string_equal(out, old);
	free(out);
	assert_int_equal(mkdir(d2, 0755), 0);
	write_text(cur, crlf_text);
	assert_int_equal(statusedit_find_file(f->dir, &out), 0);
	assert_string_equal(out, cur);
	free(out);
	free(d1);
	free(d2);
	free(old);
	free(cur);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain_value_crlf_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quoted_styles_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_ascii_and_bom, setup, teardown),
		cmocka_unit_test_setup_teardown(test_epics_list_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotent_no_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_target_edited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_500_stories, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
