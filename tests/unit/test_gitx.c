/* SPDX-License-Identifier: MIT */
/*
 * test_gitx.c: git operations against real repositories made with `git
 * init` in a temp directory under $TMPDIR (removed afterwards). HOME points
 * at the temp directory and system config is off, so git reads no user
 * configuration; each repository sets its own user.name/email.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitx.h"
#include "proc.h"
#include "util.h"

#define EVIL_NAME "$(touch pwned)"

struct fx {
	char *dir;  /* the temp directory */
	char *repo; /* dir/repo */
};

/*
 * Runs argv (NULL-terminated list) in cwd; asserts exit 0; returns stdout
 * (which may hold NUL bytes: *len is its length when len is given).
 */
static char *run_vlen(const char *cwd, size_t *len, const char *first, va_list ap)
{
	struct strvec argv = STRVEC_INIT;
	struct proc_opts o = { .cwd = cwd, .timeout_ms = 30000 };
	struct proc_result r;
	char *out;

	for (const char *s = first; s; s = va_arg(ap, const char *))
		strvec_push(&argv, s);
	assert_int_equal(proc_run((const char *const *)argv.v, &o, &r), 0);
	if (!proc_ok(&r))
		fprintf(stderr, "%s %s: %s\n", argv.v[0], argv.v[1], buf_str(&r.err));
	assert_true(proc_ok(&r));
	if (len)
		*len = r.out.len;
	out = buf_detach(&r.out);
	proc_result_release(&r);
	strvec_release(&argv);
	return out;
}

static char *run_in(const char *cwd, const char *first, ...)
{
	va_list ap;
	char *out;

	va_start(ap, first);
	out = run_vlen(cwd, NULL, first, ap);
	va_end(ap);
	return out;
}

static char *run_len(const char *cwd, size_t *len, const char *first, ...)
{
	va_list ap;
	char *out;

	va_start(ap, first);
	out = run_vlen(cwd, len, first, ap);
	va_end(ap);
	return out;
}

#define GIT(f, ...) free(run_in((f)->repo, "git", __VA_ARGS__, (char *)NULL))

static void put(const char *dir, const char *rel, const char *text)
{
	char *p = path_join(dir, rel);
	FILE *fp = fopen(p, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	free(p);
}

static bool exists(const char *dir, const char *rel)
{
	char *p = path_join(dir, rel);
	struct stat st;
	bool yes = lstat(p, &st) == 0;

	free(p);
	return yes;
}

static void init_repo(const char *repo)
{
	free(run_in(NULL, "git", "init", "-q", repo, (char *)NULL));
	free(run_in(repo, "git", "config", "user.name", "Test", (char *)NULL));
	free(run_in(repo, "git", "config", "user.email", "test@example.com", (char *)NULL));
	free(run_in(repo, "git", "config", "commit.gpgsign", "false", (char *)NULL));
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct fx *f = xcalloc(1, sizeof(*f));

	f->dir = xstrfmt("%s/au-test-gitx-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	setenv("HOME", f->dir, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("XDG_CONFIG_HOME", f->dir, 1);
	unsetenv("GIT_DIR");
	unsetenv("GIT_WORK_TREE");
	unsetenv("GIT_INDEX_FILE");
	f->repo = path_join(f->dir, "repo");
	init_repo(f->repo);
	put(f->repo, "a.txt", "a\n");
	put(f->repo, "b.txt", "b\n");
	put(f->repo, "gone.txt", "gone\n");
	put(f->repo, "unrelated.txt", "u\n");
	GIT(f, "add", "-A");
	GIT(f, "commit", "-q", "-m", "initial");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(run_in(NULL, "rm", "-rf", f->dir, (char *)NULL));
	free(f->repo);
	free(f->dir);
	free(f);
	return 0;
}

static bool has(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return true;
	return false;
}

static void test_available_and_repo(void **state)
{
	struct fx *f = *state;
	char *sha = NULL, *cause = NULL, *empty = path_join(f->dir, "empty");

	assert_true(gitx_available());
	assert_true(gitx_is_repo(f->repo));
	assert_false(gitx_is_repo(f->dir));
	assert_int_equal(gitx_head(f->repo, &sha, &cause), 0);
	assert_int_equal(strlen(sha), 40);
	free(sha);
	sha = NULL;
	assert_int_equal(gitx_head(f->dir, &sha, &cause), -1);
	assert_non_null(cause);
	assert_null(sha);
	free(cause);
	cause = NULL;
	init_repo(empty);
	assert_int_equal(gitx_head(empty, &sha, &cause), 1);
	assert_null(sha);
	assert_null(cause);
	free(empty);
}

static void test_exclude_once(void **state)
{
	struct fx *f = *state;
	char *cause = NULL, *text = NULL, *ex = path_join(f->repo, ".git/info/exclude");
	char *wt = path_join(f->dir, "wt"), *status;
	const char *p;
	int count = 0;

	free(run_in(NULL, "rm", "-rf", ex, (char *)NULL));
	/* info/ itself may be missing */
	free(run_in(f->repo, "rm", "-rf", ".git/info", (char *)NULL));
	assert_int_equal(gitx_exclude_automator(f->repo, &cause), 0);
	assert_int_equal(gitx_exclude_automator(f->repo, &cause), 1);
	assert_null(cause);
	assert_int_equal(read_file(ex, &text, NULL), 0);
	for (p = text; (p = strstr(p, ".automator/\n")); p++)
		count++;
	assert_int_equal(count, 1);
	assert_false(exists(f->repo, ".gitignore"));
	free(text);

	/* an existing file without a final newline keeps its lines */
	put(f->repo, ".git/info/exclude", "*.log");
	assert_int_equal(gitx_exclude_automator(f->repo, &cause), 0);
	assert_int_equal(read_file(ex, &text, NULL), 0);
	assert_string_equal(text, "*.log\n.automator/\n");
	free(text);

	/* it works: .automator/ never shows in status */
	free(run_in(f->repo, "mkdir", "-p", ".automator/logs", (char *)NULL));
	put(f->repo, ".automator/state.db", "x");
	status = run_in(f->repo, "git", "status", "--porcelain", (char *)NULL);
	assert_string_equal(status, "");
	free(status);

	/* a worktree shares the common exclude file */
	GIT(f, "worktree", "add", "-q", wt);
	assert_int_equal(gitx_exclude_automator(wt, &cause), 1);
	assert_null(cause);
	free(wt);
	free(ex);
}

/* The story's changes made after a snapshot with pre-existing dirt. */
static void make_story_changes(struct fx *f)
{
	put(f->repo, "new file.txt", "new\n");
	put(f->repo, "-rf", "dash\n");
	put(f->repo, EVIL_NAME, "evil\n");
	put(f->repo, "q\"uote.txt", "quote\n");
	put(f->repo, "b.txt", "b changed\n");
	free(run_in(f->repo, "rm", "gone.txt", (char *)NULL));
	free(run_in(f->repo, "mkdir", "-p", ".automator", (char *)NULL));
	put(f->repo, ".automator/state.db", "state");
}

static void test_snapshot_story_paths(void **state)
{
	struct fx *f = *state;
	struct strvec snap = STRVEC_INIT, paths = STRVEC_INIT;
	char *cause = NULL;

	/* dirt from before the story: a modified file and an untracked one */
	put(f->repo, "a.txt", "a dirty\n");
	put(f->repo, "pre.txt", "pre\n");
	put(f->repo, "pre-again.txt", "pre\n");
	assert_int_equal(gitx_snapshot(f->repo, &snap, &cause), 0);
	assert_int_equal(snap.n, 3);
	assert_true(str_ends_with(snap.v[0], "\ta.txt"));

	make_story_changes(f);
	put(f->repo, "pre-again.txt", "changed by the story\n");
	assert_int_equal(gitx_story_paths(f->repo, &snap, &paths, &cause), 0);
	assert_null(cause);
	for (size_t i = 0; i < paths.n; i++)
		fprintf(stderr, "story path: '%s'\n", paths.v[i]);
	assert_true(has(&paths, "new file.txt"));
	assert_true(has(&paths, "-rf"));
	assert_true(has(&paths, EVIL_NAME));
	assert_true(has(&paths, "q\"uote.txt"));
	assert_true(has(&paths, "b.txt"));
	assert_true(has(&paths, "gone.txt"));
	assert_true(has(&paths, "pre-again.txt"));
	assert_false(has(&paths, "a.txt"));
	assert_false(has(&paths, "pre.txt"));
	assert_false(has(&paths, ".automator/state.db"));
	assert_int_equal(paths.n, 7);
	assert_false(exists(f->repo, "pwned"));
	assert_false(exists(".", "pwned"));
	strvec_release(&snap);
	strvec_release(&paths);
}

static void test_commit_scoped(void **state)
{
	struct fx *f = *state;
	struct strvec snap = STRVEC_INIT, paths = STRVEC_INIT;
	char *cause = NULL, *sha = NULL, *found = NULL, *show, *status, *head;
	size_t showlen = 0;

	/* the user's own work: an unrelated edit and a staged new file */
	put(f->repo, "unrelated.txt", "user edit\n");
	put(f->repo, "staged.txt", "staged by the user\n");
	GIT(f, "add", "staged.txt");
	assert_int_equal(gitx_snapshot(f->repo, &snap, &cause), 0);
	make_story_changes(f);
	assert_int_equal(gitx_story_paths(f->repo, &snap, &paths, &cause), 0);
	assert_int_equal(gitx_commit(f->repo, &paths,
				     "feat: story 1.2\n\nAutomator-Story: run1/1.2\n", &sha,
				     &cause),
			 0);
	assert_null(cause);
	assert_non_null(sha);
	head = run_in(f->repo, "git", "rev-parse", "HEAD", (char *)NULL);
	assert_int_equal(strncmp(head, sha, 40), 0);
	free(head);

	show = run_len(f->repo, &showlen, "git", "show", "-z", "--name-status", "--format=", "HEAD",
		       (char *)NULL);
	{
		/* records are "S\0PATH\0" */
		struct strvec got = STRVEC_INIT;
		const char *all = show;
		size_t off = 0;

		while (off < showlen && all[off] == '\n')
			off++;
		while (off < showlen && all[off]) {
			const char *st = all + off, *path = st + strlen(st) + 1;

			strvec_push_nodup(&got, xstrfmt("%s %s", st, path));
			off = (size_t)(path - all) + strlen(path) + 1;
		}
		for (size_t i = 0; i < got.n; i++)
			fprintf(stderr, "committed: %s\n", got.v[i]);
		assert_int_equal(got.n, 6);
		assert_true(has(&got, "A new file.txt"));
		assert_true(has(&got, "A -rf"));
		assert_true(has(&got, "A " EVIL_NAME));
		assert_true(has(&got, "A q\"uote.txt"));
		assert_true(has(&got, "M b.txt"));
		assert_true(has(&got, "D gone.txt"));
		strvec_release(&got);
	}
	free(show);
	assert_false(exists(f->repo, "pwned"));

	/*
	 * The user's work is still there, unstaged and staged as it was; so is
	 * .automator/ (this repository has no exclude line), never committed.
	 */
	status = run_in(f->repo, "git", "status", "--porcelain", (char *)NULL);
	assert_string_equal(status, "A  staged.txt\n M unrelated.txt\n?? .automator/\n");
	free(status);

	/* the trailer names the commit; nothing after it */
	assert_int_equal(
		gitx_find_trailer(f->repo, NULL, "Automator-Story", "run1/1.2", &found, &cause), 0);
	assert_string_equal(found, sha);
	free(found);
	found = NULL;
	assert_int_equal(
		gitx_find_trailer(f->repo, NULL, "automator-story", "run1/1.2", NULL, &cause), 0);
	assert_int_equal(
		gitx_find_trailer(f->repo, sha, "Automator-Story", "run1/1.2", &found, &cause), 1);
	assert_int_equal(
		gitx_find_trailer(f->repo, NULL, "Automator-Story", "run1/1.3", &found, &cause), 1);
	assert_int_equal(
		gitx_find_trailer(f->repo, NULL, "Automator-Story", "run1/1", &found, &cause), 1);
	assert_null(found);
	assert_int_equal(gitx_find_trailer(f->repo, "--all", "K", "v", &found, &cause), -1);
	free(cause);
	cause = NULL;

	/* again: nothing to commit */
	free(sha);
	sha = NULL;
	assert_int_equal(gitx_commit(f->repo, &paths, "again\n", &sha, &cause), 1);
	assert_null(sha);
	assert_null(cause);
	strvec_release(&paths);
	assert_int_equal(gitx_commit(f->repo, &paths, "empty\n", &sha, &cause), 1);
	strvec_release(&snap);
}

static void test_commit_hook_fails(void **state)
{
	struct fx *f = *state;
	struct strvec snap = STRVEC_INIT, paths = STRVEC_INIT;
	char *cause = NULL, *sha = NULL, *hook = path_join(f->repo, ".git/hooks/pre-commit");
	char *before_idx, *before_cached, *before_head, *after;

	put(f->repo, "staged.txt", "staged by the user\n");
	GIT(f, "add", "staged.txt");
	assert_int_equal(gitx_snapshot(f->repo, &snap, &cause), 0);
	make_story_changes(f);
	free(run_in(f->repo, "mkdir", "-p", ".git/hooks", (char *)NULL));
	put(f->repo, ".git/hooks/pre-commit", "#!/bin/sh\necho 'lint failed'\nexit 1\n");
	assert_int_equal(chmod(hook, 0755), 0);
	before_idx = run_in(f->repo, "git", "ls-files", "-s", (char *)NULL);
	before_cached = run_in(f->repo, "git", "diff", "--cached", "--name-status", (char *)NULL);
	before_head = run_in(f->repo, "git", "rev-parse", "HEAD", (char *)NULL);

	assert_int_equal(gitx_story_paths(f->repo, &snap, &paths, &cause), 0);
	assert_int_equal(gitx_commit(f->repo, &paths, "story\n", &sha, &cause), -1);
	assert_non_null(cause);
	fprintf(stderr, "cause: %s\n", cause);
	assert_non_null(strstr(cause, "lint failed"));
	assert_null(sha);

	after = run_in(f->repo, "git", "ls-files", "-s", (char *)NULL);
	assert_string_equal(after, before_idx);
	free(after);
	after = run_in(f->repo, "git", "diff", "--cached", "--name-status", (char *)NULL);
	assert_string_equal(after, before_cached);
	free(after);
	after = run_in(f->repo, "git", "rev-parse", "HEAD", (char *)NULL);
	assert_string_equal(after, before_head);
	free(after);
	/* no scratch index left behind */
	after = run_in(f->repo, "ls", "-a", ".git", (char *)NULL);
	assert_null(strstr(after, "index.automator"));
	free(after);

	free(cause);
	free(before_idx);
	free(before_cached);
	free(before_head);
	free(hook);
	strvec_release(&snap);
	strvec_release(&paths);
}

static void test_commit_unborn(void **state)
{
	struct fx *f = *state;
	struct strvec snap = STRVEC_INIT, paths = STRVEC_INIT;
	char *cause = NULL, *sha = NULL, *repo = path_join(f->dir, "fresh"), *log;

	init_repo(repo);
	put(repo, "keep.txt", "before\n");
	assert_int_equal(gitx_snapshot(repo, &snap, &cause), 0);
	assert_int_equal(snap.n, 1);
	put(repo, "first.txt", "first\n");
	assert_int_equal(gitx_story_paths(repo, &snap, &paths, &cause), 0);
	assert_int_equal(paths.n, 1);
	assert_string_equal(paths.v[0], "first.txt");
	assert_int_equal(gitx_commit(repo, &paths, "first\n", &sha, &cause), 0);
	log = run_in(repo, "git", "ls-tree", "--name-only", "HEAD", (char *)NULL);
	assert_string_equal(log, "first.txt\n");
	free(log);
	log = run_in(repo, "git", "status", "--porcelain", (char *)NULL);
	assert_string_equal(log, "?? keep.txt\n");
	free(log);
	free(sha);
	free(repo);
	strvec_release(&snap);
	strvec_release(&paths);
}

/*
 * A worktree is made only to the end: a `worktree add` killed before git
 * wrote its admin dir's gitdir (git prunes such an entry) or while it is
 * locked "initializing" is half made, and gitx_worktree_add makes it again
 * (work in a half-made one would be set aside with it).
 */
static void test_worktree_ready(void **state)
{
	struct fx *f = *state;
	char *wt = path_join(f->dir, "wt"), *cause = NULL;
	char *gitdir = path_join(f->repo, ".git/worktrees/wt/gitdir");
	char *locked = path_join(f->repo, ".git/worktrees/wt/locked");

	assert_false(gitx_worktree_ready(wt));
	assert_int_equal(gitx_worktree_add(f->repo, wt, "story/x", "HEAD", &cause), 0);
	assert_true(gitx_worktree_ready(wt));
	/* half made: no gitdir */
	assert_int_equal(unlink(gitdir), 0);
	assert_false(gitx_worktree_ready(wt));
	assert_int_equal(gitx_worktree_add(f->repo, wt, "story/x", "HEAD", &cause), 0);
	assert_true(gitx_worktree_ready(wt));
	/* half made: locked "initializing" */
	put(f->repo, ".git/worktrees/wt/locked", "initializing");
	assert_false(gitx_worktree_ready(wt));
	assert_int_equal(gitx_worktree_add(f->repo, wt, "story/x", "HEAD", &cause), 0);
	assert_true(gitx_worktree_ready(wt));
	assert_false(access(locked, F_OK) == 0);
	assert_null(cause);
	free(locked);
	free(gitdir);
	free(wt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_available_and_repo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exclude_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_story_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_scoped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_hook_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_unborn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worktree_ready, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
