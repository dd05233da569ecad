/* SPDX-License-Identifier: MIT */
/*
 * test_project_lock.c: the project lock (src/project.c) in real processes.
 * One process holds it; a second is refused and told the holder's pid; it
 * is free again once the holder dies, even while a child the holder forked
 * without exec (an integration) still lives: a resume right after a
 * kill -9 must never be refused by what the killed run left running.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "project.h"
#include "util.h"

static char root[] = "/tmp/automator-lock-XXXXXX";

/* A project of root with .automator/ created. */
static void open_project(struct project *p)
{
	char *cause = NULL;

	project_init(p, root, "lock");
	assert_int_equal(project_prepare(p, &cause), 0);
}

/* Waits for pid and returns its exit status (-1 when it did not exit). */
static int exit_of(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* project_lock's result in a new process; *holder as it saw it. */
static int lock_elsewhere(long *holder)
{
	int p[2];
	pid_t pid;
	int rc;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct project pj;
		char *cause = NULL;
		long h = 0;
		int lk;

		open_project(&pj);
		lk = project_lock(&pj, &h, &cause);
		if (write(p[1], &h, sizeof(h)) != (ssize_t)sizeof(h))
			_exit(9);
		_exit(lk < 0 ? 2 : lk);
	}
	close(p[1]);
	rc = exit_of(pid);
	assert_int_equal(read(p[0], holder, sizeof(*holder)), (ssize_t)sizeof(*holder));
	close(p[0]);
	return rc;
}

static void test_one_holder(void **state)
{
	struct project pj;
	char *cause = NULL;
	long holder = 0;

	(void)state;
	open_project(&pj);
	assert_int_equal(project_lock(&pj, &holder, &cause), 0);
	assert_int_equal(lock_elsewhere(&holder), 1);
	assert_int_equal(holder, (long)getpid());
	project_unlock(&pj);
	assert_int_equal(lock_elsewhere(&holder), 0);
	project_release(&pj);
}

/*
 * The holder forks a child that keeps every descriptor it inherited and
 * never execs, then dies by SIGKILL: the lock is free at once.
 */
static void test_forked_child_does_not_hold(void **state)
{
	int p[2];
	pid_t holder_pid, child = 0;
	long holder = 0;
	bool alive;
	int lk;

	(void)state;
	assert_int_equal(pipe(p), 0);
	holder_pid = fork();
	assert_true(holder_pid >= 0);
	if (holder_pid == 0) {
		struct project pj;
		char *cause = NULL;
		long h;
		pid_t c;

		open_project(&pj);
		if (project_lock(&pj, &h, &cause) != 0)
			_exit(3);
		c = fork();
		if (c == 0) {
			close(p[1]);
			pause(); /* the lock's descriptor inherited and kept */
			_exit(0);
		}
		if (write(p[1], &c, sizeof(c)) != (ssize_t)sizeof(c))
			_exit(9);
		raise(SIGKILL);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &child, sizeof(child)), (ssize_t)sizeof(child));
	close(p[0]);
	assert_int_equal(exit_of(holder_pid), -1);
	alive = kill(child, 0) == 0; /* still there, holding the descriptor */
	lk = lock_elsewhere(&holder);
	kill(child, SIGKILL);
	assert_true(alive);
	assert_int_equal(lk, 0);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(root) ? 0 : -1;
}

/* What project_prepare and project_lock create, and root. */
static int teardown(void **state)
{
	static const char *const made[] = { ".automator/lock", ".automator/logs", ".automator" };
	int rc = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(made); i++) {
		char *p = path_join(root, made[i]);

		rc |= i == 0 ? unlink(p) : rmdir(p);
		free(p);
	}
	return rc | rmdir(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_holder),
		cmocka_unit_test(test_forked_child_does_not_hold),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
