/* SPDX-License-Identifier: MIT */
/*
 * test_util.c: the removal of files that processes killed inside a write
 * left behind (dead_pid_files_remove, dead_tmp_files_remove,
 * atomic_leftovers_remove), in a temp directory: only a dead pid's files
 * go, a live one's stay; and write_file_plain, which writes in place.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* A pid no process has now. */
static long dead_pid(void)
{
	for (long p = 4000000; p > 1000; p -= 7919)
		if (kill((pid_t)p, 0) < 0 && errno == ESRCH)
			return p;
	fail_msg("no free pid found");
	return 0;
}

static void touch(const char *dir, const char *name)
{
	char *p = path_join(dir, name);

	assert_int_equal(write_file_atomic(p, "x", 1, 0600), 0);
	free(p);
}

static bool exists(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	bool yes = access(p, F_OK) == 0;

	free(p);
	return yes;
}

/* Removes dir and the files in it. */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *p;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = path_join(dir, de->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	assert_int_equal(rmdir(dir), 0);
}

static void test_dead_files_removed(void **state)
{
	char tmpl[] = "/tmp/test_util.XXXXXX";
	char *dir = mkdtemp(tmpl), *dead, *live, *idx, *idx_tmp, *spec, *spec_live;
	long d = dead_pid(), l = (long)getppid();

	(void)state;
	assert_non_null(dir);
	dead = xstrfmt("index.automator-%ld", d);
	idx_tmp = xstrfmt("index.automator-%ld.tmp.%ld", d, d);
	live = xstrfmt("index.automator-%ld", l);
	idx = xstrfmt("index.automator-%ldx", d); /* not a pid */
	spec = xstrfmt("1.2-dev-1.json.tmp.%ld", d);
	spec_live = xstrfmt("1.2-dev-2.json.tmp.%ld", l);
	touch(dir, dead);
	touch(dir, idx_tmp);
	touch(dir, live);
	touch(dir, idx);
	touch(dir, spec);
	touch(dir, spec_live);
	touch(dir, "sprint-status.yaml");

	assert_int_equal(dead_pid_files_remove(dir, "index.automator-"), 2);
	assert_false(exists(dir, dead));
	assert_false(exists(dir, idx_tmp));
	assert_true(exists(dir, live));
	assert_true(exists(dir, idx));
	assert_int_equal(dead_tmp_files_remove(dir), 1);
	assert_false(exists(dir, spec));
	assert_true(exists(dir, spec_live));
	assert_true(exists(dir, "sprint-status.yaml"));

	{
		char *st = path_join(dir, "sprint-status.yaml");
		char *left = xstrfmt("sprint-status.yaml.tmp.%ld", d);

		touch(dir, left);
		assert_int_equal(atomic_leftovers_remove(st), 1);
		assert_false(exists(dir, left));
		free(left);
		free(st);
	}
	remove_dir(dir);
	free(dead);
	free(idx_tmp);
	free(live);
	free(idx);
	free(spec);
	free(spec_live);
}

/* The file's content, newly allocated. */
static char *content(const char *path)
{
	char *text = NULL, *why = NULL;
	size_t len;

	assert_int_equal(read_text_file(path, 1024, &text, &len, &why), 0);
	return text;
}

/* write_file_plain: created, then truncated and rewritten in place; an error with errno. */
static void test_plain_write(void **state)
{
	char tmpl[] = "/tmp/test_util.XXXXXX";
	char *dir = mkdtemp(tmpl), *p, *q, *text;
	ino_t ino;
	struct stat st;

	(void)state;
	assert_non_null(dir);
	p = path_join(dir, "1.1-dev-1.json");
	assert_int_equal(write_file_plain(p, "a longer first text", 19, 0600), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	ino = st.st_ino;
	assert_int_equal(write_file_plain(p, "short", 5, 0600), 0);
	text = content(p);
	assert_string_equal(text, "short");
	free(text);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_ino, ino); /* in place: no rename */
	q = path_join(dir, "no/such/dir");
	errno = 0;
	assert_int_equal(write_file_plain(q, "x", 1, 0600), -1);
	assert_int_equal(errno, ENOENT);
	free(q);
	remove_dir(dir);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dead_files_removed),
		cmocka_unit_test(test_plain_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
