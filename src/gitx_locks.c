/* SPDX-License-Identifier: MIT */
/*
 * gitx_locks.c: the lock files a git process killed with us leaves behind.
 * git creates NAME.lock before it changes NAME (a ref, the index, HEAD)
 * and renames it over NAME when done; killed in between, the .lock stays
 * and every later git that needs NAME fails ("Unable to create
 * '...lock': File exists"), as git itself says, until it is removed. They
 * are removed here only when no git process works in the repository,
 * with packed-refs.new, the one temporary file of git's that stops it so.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gitx.h"
#include "gitx_int.h"

/* Whether a process named git* works in a directory under one of dirs. */
static bool git_running_in(const struct strvec *dirs)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool found = false;

	if (!d)
		return true; /* cannot tell: assume one is */
	while (!found && (e = readdir(d))) {
		char path[300], comm[32] = "", cwd[PATH_MAX];
		FILE *fp;
		ssize_t n;

		if (!isdigit((unsigned char)e->d_name[0]) || atoi(e->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		if (!(fp = fopen(path, "r")))
			continue;
		if (!fgets(comm, sizeof(comm), fp))
			comm[0] = '\0';
		fclose(fp);
		if (strncmp(comm, "git", 3) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cwd", e->d_name);
		n = readlink(path, cwd, sizeof(cwd) - 1);
		if (n < 0) {
			found = errno !=
				ENOENT; /* gone meanwhile: fine; unreadable: assume it counts */
			continue;
		}
		cwd[n] = '\0';
		for (size_t i = 0; i < dirs->n && !found; i++)
			found = path_inside(dirs->v[i], cwd);
	}
	closedir(d);
	return found;
}

/* Removes the *.lock files in dir (recursing when deep), noting each in removed. */
static void remove_locks(const char *dir, bool deep, struct strvec *removed)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *p;
		struct stat st;

		if (e->d_name[0] == '.' &&
		    (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		p = path_join(dir, e->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (deep)
				remove_locks(p, true, removed);
		} else if (str_ends_with(e->d_name, ".lock") && unlink(p) == 0) {
			strvec_push(removed, p);
		}
		free(p);
	}
	closedir(d);
}

int gitx_wait_idle(const char *root, int timeout_ms)
{
	struct strvec dirs = STRVEC_INIT;
	struct timespec step = { 0, 50 * 1000 * 1000 };
	int ret;

	strvec_push(&dirs, root);
	for (int waited = 0; (ret = git_running_in(&dirs)) && waited < timeout_ms; waited += 50)
		nanosleep(&step, NULL);
	strvec_release(&dirs);
	return ret ? 1 : 0;
}

int gitx_clear_stale_locks(const char *root, const struct strvec *dirs, struct strvec *removed,
			   char **cause)
{
	struct strvec args = STRVEC_INIT;
	char *common = NULL, *sub;
	DIR *d;
	struct dirent *e;
	int rc;

	if (git_running_in(dirs))
		return 1;
	gitx__args_of(&args, "rev-parse", "--git-common-dir", (char *)NULL);
	rc = gitx__git_line(root, &args, &sub, cause);
	strvec_release(&args);
	if (rc < 0)
		return -1;
	common = sub[0] == '/' ? xstrdup(sub) : path_join(root, sub);
	free(sub);
	/* the repository's own (index, HEAD, ORIG_HEAD, packed-refs) and its refs' */
	remove_locks(common, false, removed);
	/* packed-refs is written to packed-refs.new (under packed-refs.lock), then renamed */
	sub = path_join(common, "packed-refs.new");
	if (unlink(sub) == 0)
		strvec_push(removed, sub);
	free(sub);
	sub = path_join(common, "refs");
	remove_locks(sub, true, removed);
	free(sub);
	/* each worktree's own: HEAD, index, ORIG_HEAD, a rebase's */
	sub = path_join(common, "worktrees");
	if ((d = opendir(sub))) {
		while ((e = readdir(d))) {
			char *w;

			if (e->d_name[0] == '.')
				continue;
			w = path_join(sub, e->d_name);
			remove_locks(w, true, removed);
			free(w);
		}
		closedir(d);
	}
	free(sub);
	free(common);
	return 0;
}
