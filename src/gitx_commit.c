/* SPDX-License-Identifier: MIT */
/*
 * gitx_commit.c: scoped commits: exactly a story's paths, through a scratch
 * index seeded from HEAD (hooks run, never --no-verify, no author set),
 * the real index brought up to the commit for those paths; commits found
 * again by their trailer after a crash. Must not leave the user's index
 * changed by a failed commit.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gitx.h"
#include "gitx_int.h"
#include "proc.h"
#include "util.h"

/* Copies the file src to dst (mode 0600). Returns 0, 1 when src does not exist, -1. */
static int copy_file(const char *src, const char *dst, char **cause)
{
	char *data;
	size_t len;
	int ret = 0;

	if (read_file(src, &data, &len) < 0) {
		if (errno == ENOENT)
			return 1;
		*cause = xstrfmt("cannot read '%s': %s", src, strerror(errno));
		return -1;
	}
	if (write_file_atomic(dst, data, len, 0600) < 0) {
		*cause = xstrfmt("cannot write '%s': %s", dst, strerror(errno));
		ret = -1;
	}
	free(data);
	return ret;
}

/* A scratch index holding HEAD (stat data kept from the real index when there is one). */
static int seed_index(const char *root, const char *real_index, const char *tmp, bool have_head,
		      char **cause)
{
	struct strvec args = STRVEC_INIT;
	struct gitcall c = { .index_file = tmp };
	struct proc_result r;
	int ret = 0;

	if (!have_head)
		gitx__args_of(&args, "read-tree", "--empty", (char *)NULL);
	else if ((ret = copy_file(real_index, tmp, cause)) == 0)
		gitx__args_of(&args, "reset", "-q", (char *)NULL);
	else if (ret == 1)
		gitx__args_of(&args, "read-tree", "HEAD", (char *)NULL);
	if (ret >= 0) {
		ret = gitx__git_ok(root, &args, &c, &r, cause);
		proc_result_release(&r);
	}
	strvec_release(&args);
	return ret;
}

/*
 * The paths worth staging: those in the work tree, and missing ones the
 * scratch index holds (deletions). A path in neither would make `git add`
 * fail with "did not match any files".
 */
static int stageable(const char *root, const char *tmp, const struct strvec *paths,
		     struct strvec *out, char **cause)
{
	struct strvec missing = STRVEC_INIT, args = STRVEC_INIT;
	struct gitcall c = { .index_file = tmp, .literal = true };
	struct proc_result r;
	int ret = 0;

	for (size_t i = 0; i < paths->n; i++) {
		char *full = path_join(root, paths->v[i]);
		struct stat st;

		if (lstat(full, &st) == 0)
			strvec_push(out, paths->v[i]);
		else
			strvec_push(&missing, paths->v[i]);
		free(full);
	}
	if (!missing.n)
		goto out;
	gitx__args_of(&args, "ls-files", "-z", "--", (char *)NULL);
	for (size_t i = 0; i < missing.n; i++)
		strvec_push(&args, missing.v[i]);
	ret = gitx__git_ok(root, &args, &c, &r, cause);
	for (size_t off = 0; ret == 0 && off < r.out.len;) {
		const char *name = r.out.s + off;

		off += strlen(name) + 1;
		for (size_t i = 0; i < missing.n; i++) {
			if (missing.v[i][0] && !strcmp(missing.v[i], name)) {
				strvec_push(out, name);
				missing.v[i][0] = '\0';
			}
		}
	}
	proc_result_release(&r);
out:
	strvec_release(&missing);
	strvec_release(&args);
	return ret;
}

int gitx_commit(const char *root, const struct strvec *paths, const char *message, char **sha_out,
		char **cause)
{
	struct strvec stage = STRVEC_INIT, args = STRVEC_INIT;
	struct proc_result r = { 0 };
	struct gitcall c = { 0 };
	char *head = NULL, *index = NULL, *tmp = NULL, *sha = NULL;
	int have_head, ret = -1;

	if (!paths->n)
		return 1;
	have_head = gitx_head(root, &head, cause);
	if (have_head < 0)
		return -1;
	if (gitx__git_path(root, "index", true, &index, cause) < 0)
		goto out;
	tmp = xstrfmt("%s.automator-%ld", index, (long)getpid());
	if (seed_index(root, index, tmp, have_head == 0, cause) < 0)
		goto out;
	/*
	 * A path may vanish between the listing and `git add` (an agent's temp
	 * file renamed): list the stageable paths again and retry.
	 */
	for (int i = 1;; i++) {
		char *why = NULL;

		strvec_release(&stage);
		if (stageable(root, tmp, paths, &stage, cause) < 0)
			goto out;
		if (!stage.n) {
			ret = 1;
			goto out;
		}
		c.index_file = tmp;
		c.literal = true;
		gitx__args_of(&args, "add", "-A", "--", (char *)NULL);
		for (size_t k = 0; k < stage.n; k++)
			strvec_push(&args, stage.v[k]);
		if (gitx__git_ok(root, &args, &c, &r, &why) == 0) {
			free(why);
			break;
		}
		proc_result_release(&r);
		memset(&r, 0, sizeof(r));
		strvec_release(&args);
		if (i == 4) {
			*cause = why;
			goto out;
		}
		free(why);
		{
			struct timespec pause = { 0, 20 * 1000 * 1000 * i };

			nanosleep(&pause, NULL);
		}
	}
	proc_result_release(&r);
	strvec_release(&args);

	c.literal = false;
	gitx__args_of(&args, "diff", "--cached", "--quiet", (char *)NULL);
	if (gitx__git_exec(root, &args, &c, &r, cause) < 0)
		goto out;
	if (r.status == 0) {
		ret = 1;
		goto out;
	}
	if (r.status != 1) {
		char *o = gitx__output_text(&r);

		*cause = xstrfmt("git diff: exit %d%s%s", r.status, *o ? ": " : "", o);
		free(o);
		goto out;
	}
	proc_result_release(&r);
	strvec_release(&args);

	c.input = message;
	c.input_len = strlen(message);
	c.timeout_ms = GITX_COMMIT_TIMEOUT_MS;
	gitx__args_of(&args, "commit", "-q", "-F", "-", (char *)NULL);
	if (gitx__git_exec(root, &args, &c, &r, cause) < 0)
		goto out;
	if (r.status != 0) {
		char *o = gitx__output_text(&r);

		*cause = xstrfmt("git commit failed (exit %d)%s%s", r.status, *o ? ": " : "", o);
		free(o);
		goto out;
	}
	if (gitx_head(root, &sha, cause) != 0) {
		if (!*cause)
			*cause = xstrfmt("no HEAD after commit");
		goto out;
	}
	proc_result_release(&r);
	strvec_release(&args);
	/* killed here: the commit is made, the real index not yet (gitx_sync_index) */
	crash_point("before-index-reset");

	/*
	 * The real index catches up with the commit for these paths, as
	 * `git commit -- PATHS` leaves it. Best effort: the commit is made.
	 */
	memset(&c, 0, sizeof(c));
	c.literal = true;
	gitx__args_of(&args, "reset", "-q", "--", (char *)NULL);
	for (size_t i = 0; i < stage.n; i++)
		strvec_push(&args, stage.v[i]);
	{
		char *ignored = NULL;

		gitx__git_exec(root, &args, &c, &r, &ignored);
		free(ignored);
	}
	if (sha_out) {
		*sha_out = sha;
		sha = NULL;
	}
	ret = 0;
out:
	proc_result_release(&r);
	if (tmp)
		unlink(tmp);
	strvec_release(&args);
	strvec_release(&stage);
	free(head);
	free(index);
	free(tmp);
	free(sha);
	return ret;
}

/*
 * Calls fn with the value (start, length) of each line `key: value` of
 * body (key without case, blanks around ignored) until fn returns true.
 * Returns whether one did.
 */
static bool each_trailer(const char *body, const char *key,
			 bool (*fn)(const char *v, size_t len, void *arg), void *arg)
{
	size_t klen = strlen(key);

	for (const char *line = body; *line;) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl : line + strlen(line), *p = line;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			end--;
		if ((size_t)(end - p) > klen && !strncasecmp(p, key, klen) && p[klen] == ':') {
			const char *v = p + klen + 1;

			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			if (fn(v, (size_t)(end - v), arg))
				return true;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return false;
}

static bool value_is(const char *v, size_t len, void *arg)
{
	return len == strlen(arg) && !strncmp(v, arg, len);
}

/* True when body has a line `key: value`. */
static bool has_trailer(const char *body, const char *key, const char *value)
{
	return each_trailer(body, key, value_is, (void *)value);
}

static bool value_push(const char *v, size_t len, void *arg)
{
	strvec_push_nodup(arg, xstrndup(v, len));
	return false;
}

static bool is_hex(const char *s)
{
	size_t n = strspn(s, "0123456789abcdefABCDEF");

	return n >= 4 && n <= 64 && s[n] == '\0';
}

int gitx_find_trailer(const char *root, const char *since, const char *key, const char *value,
		      char **sha, char **cause)
{
	struct strvec args = STRVEC_INIT;
	struct proc_result r = { 0 };
	char *head = NULL, *grep = NULL, *range = NULL;
	int rc, ret = -1;

	if (since && !is_hex(since)) {
		*cause = xstrfmt("invalid commit '%s'", since);
		return -1;
	}
	rc = gitx_head(root, &head, cause);
	if (rc != 0)
		return rc;
	grep = xstrfmt("--grep=%s: %s", key, value);
	range = since ? xstrfmt("%s..HEAD", since) : xstrdup("HEAD");
	gitx__args_of(&args, "log", "-z", "--format=%H%n%B", "--fixed-strings",
		      "--regexp-ignore-case", grep, range, "--", (char *)NULL);
	if (gitx__git_ok(root, &args, &(struct gitcall){ .no_locks = true }, &r, cause) < 0)
		goto out;
	ret = 1;
	for (size_t off = 0; off < r.out.len;) {
		const char *rec = r.out.s + off;
		size_t len = strlen(rec), hl = strcspn(rec, "\n");

		off += len + 1;
		if (rec[hl] == '\n' && has_trailer(rec + hl + 1, key, value)) {
			if (sha)
				*sha = xstrndup(rec, hl);
			ret = 0;
			break;
		}
	}
out:
	proc_result_release(&r);
	strvec_release(&args);
	free(head);
	free(grep);
	free(range);
	return ret;
}

int gitx_trailer_values(const char *root, const char *key, const char *branches,
			struct strvec *values, char **cause)
{
	struct strvec args = STRVEC_INIT;
	struct proc_result r = { 0 };
	char *head = NULL, *grep;
	int rc = gitx_head(root, &head, cause);

	free(head);
	if (rc != 0)
		return rc < 0 ? -1 : 0; /* no commit yet: no trailer */
	grep = xstrfmt("--grep=%s:", key);
	gitx__args_of(&args, "log", "-z", "--format=%B", "--fixed-strings", "--regexp-ignore-case",
		      grep, (char *)NULL);
	if (branches) {
		char *b = xstrfmt("--branches=%s", branches);

		strvec_push(&args, b);
		free(b);
	} else {
		strvec_push(&args, "HEAD");
	}
	strvec_push(&args, "--");
	rc = gitx__git_ok(root, &args, &(struct gitcall){ .no_locks = true }, &r, cause);
	for (size_t off = 0; rc == 0 && off < r.out.len;) {
		const char *rec = r.out.s + off;

		off += strlen(rec) + 1;
		each_trailer(rec, key, value_push, values);
	}
	proc_result_release(&r);
	strvec_release(&args);
	free(grep);
	return rc < 0 ? -1 : 0;
}

int gitx_sync_index(const char *root, const char *sha, char **cause)
{
	struct strvec args = STRVEC_INIT;
	struct proc_result r = { 0 };
	int ret = -1;

	if (!is_hex(sha)) {
		*cause = xstrfmt("invalid commit '%s'", sha);
		return -1;
	}
	/* the paths the commit changed (--root: a first commit too) */
	gitx__args_of(&args, "diff-tree", "--no-commit-id", "--name-only", "-r", "-z", "--root",
		      sha, (char *)NULL);
	if (gitx__git_ok(root, &args, &(struct gitcall){ .no_locks = true }, &r, cause) < 0)
		goto out;
	strvec_release(&args);
	gitx__args_of(&args, "reset", "-q", "--", (char *)NULL);
	for (size_t off = 0; off < r.out.len;) {
		const char *p = r.out.s + off;

		off += strlen(p) + 1;
		if (*p)
			strvec_push(&args, p);
	}
	if (args.n == 3) {
		ret = 0;
		goto out;
	}
	proc_result_release(&r);
	memset(&r, 0, sizeof(r));
	ret = gitx__git_ok(root, &args, &(struct gitcall){ .literal = true }, &r, cause);
out:
	proc_result_release(&r);
	strvec_release(&args);
	return ret;
}

int gitx_remove_scratch(const char *root)
{
	char *index = NULL, *cause = NULL, *dir;
	int removed;

	if (gitx__git_path(root, "index", true, &index, &cause) < 0) {
		free(cause);
		return 0;
	}
	dir = path_dirname(index);
	removed = dead_pid_files_remove(dir, "index.automator-");
	free(dir);
	free(index);
	return removed;
}
