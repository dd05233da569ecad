/* SPDX-License-Identifier: MIT */
/*
 * gitx_snapshot.c: what a story changed: a snapshot of the dirty paths
 * (with content hashes) when it starts, compared with the tree when it is
 * committed. .automator/ never counts. Reads only.
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

static bool under_automator(const char *path)
{
	size_t n = strlen(AUTOMATOR_DIR);

	return !strncmp(path, AUTOMATOR_DIR, n) && (path[n] == '\0' || path[n] == '/');
}

/* Appends path C-quoted, as `git hash-object --stdin-paths` unquotes it. */
static void add_quoted_line(struct buf *b, const char *path)
{
	buf_addc(b, '"');
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p == '"' || *p == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)*p);
		} else if (*p < 0x20 || *p == 0x7f) {
			buf_addf(b, "\\%03o", *p);
		} else {
			buf_addc(b, (char)*p);
		}
	}
	buf_adds(b, "\"\n");
}

/* The hash-object of a symlink's target text, as git stores a link. */
static int hash_link(const char *root, const char *full, char **hash, char **cause)
{
	struct strvec args = STRVEC_INIT;
	struct gitcall c = { 0 };
	struct proc_result r;
	char target[PATH_MAX];
	ssize_t n = readlink(full, target, sizeof(target));
	int ret;

	if (n < 0) {
		*cause = xstrfmt("cannot read link '%s': %s", full, strerror(errno));
		return -1;
	}
	gitx__args_of(&args, "hash-object", "--stdin", (char *)NULL);
	c.input = target;
	c.input_len = (size_t)n;
	ret = gitx__git_ok(root, &args, &c, &r, cause);
	if (ret == 0)
		*hash = xstrndup(buf_str(&r.out), strcspn(buf_str(&r.out), "\n"));
	proc_result_release(&r);
	strvec_release(&args);
	return ret;
}

/* A nested repository (submodule or not): its HEAD, or "dir". */
static char *hash_dir(const char *full)
{
	struct strvec args = STRVEC_INIT;
	char *sha = NULL, *cause = NULL, *h;

	gitx__args_of(&args, "rev-parse", "--verify", "-q", "HEAD", (char *)NULL);
	if (gitx__git_line(full, &args, &sha, &cause) == 0 && *sha)
		h = xstrfmt("sub:%s", sha);
	else
		h = xstrdup("dir");
	strvec_release(&args);
	free(sha);
	free(cause);
	return h;
}

/* Hashes of paths (regular files) in one `git hash-object --stdin-paths`. */
static int hash_files(const char *root, char **paths, size_t n, char **hashes, char **cause)
{
	struct strvec args = STRVEC_INIT;
	struct gitcall c = { 0 };
	struct proc_result r;
	struct buf in = BUF_INIT;
	const char *p;
	size_t i = 0;
	int ret;

	if (!n)
		return 0;
	for (size_t k = 0; k < n; k++)
		add_quoted_line(&in, paths[k]);
	gitx__args_of(&args, "hash-object", "--no-filters", "--stdin-paths", (char *)NULL);
	c.input = in.s;
	c.input_len = in.len;
	ret = gitx__git_ok(root, &args, &c, &r, cause);
	for (p = buf_str(&r.out); ret == 0 && *p && i < n; i++) {
		size_t len = strcspn(p, "\n");

		hashes[i] = xstrndup(p, len);
		p += len + (p[len] == '\n');
	}
	if (ret == 0 && i != n) {
		*cause = xstrfmt("git hash-object: expected %zu hashes, got %zu", n, i);
		ret = -1;
	}
	proc_result_release(&r);
	strvec_release(&args);
	buf_release(&in);
	return ret;
}

/* The dirty paths from `git status`, minus .automator/. */
static int dirty_paths(const char *root, struct strvec *paths, char **cause)
{
	struct strvec args = STRVEC_INIT;
	struct gitcall c = { .no_locks = true };
	struct proc_result r;
	int ret;

	gitx__args_of(&args, "status", "--porcelain=v1", "-z", "--untracked-files=all",
		      "--no-renames", (char *)NULL);
	ret = gitx__git_ok(root, &args, &c, &r, cause);
	for (size_t off = 0; ret == 0 && off < r.out.len;) {
		const char *rec = r.out.s + off;
		size_t len = strlen(rec);

		off += len + 1;
		if (len < 4 || rec[2] != ' ') {
			*cause = xstrfmt("git status: unexpected output '%.40s'", rec);
			ret = -1;
			break;
		}
		if (!strncmp(rec, "!!", 2) || under_automator(rec + 3))
			continue;
		strvec_push(paths, rec + 3);
	}
	proc_result_release(&r);
	strvec_release(&args);
	return ret;
}

/* One try of gitx_snapshot. */
static int snapshot_once(const char *root, struct strvec *out, char **cause)
{
	struct strvec paths = STRVEC_INIT;
	char **hashes = NULL, **files = NULL;
	size_t *fileidx = NULL, nfiles = 0;
	char **fhash = NULL;
	int ret = -1;

	if (dirty_paths(root, &paths, cause) < 0)
		goto out;
	hashes = xcalloc(paths.n + 1, sizeof(*hashes));
	files = xcalloc(paths.n + 1, sizeof(*files));
	fileidx = xcalloc(paths.n + 1, sizeof(*fileidx));
	for (size_t i = 0; i < paths.n; i++) {
		char *full = path_join(root, paths.v[i]);
		struct stat st;
		int rc = 0;

		if (lstat(full, &st) < 0) {
			if (errno == ENOENT || errno == ENOTDIR) {
				hashes[i] = xstrdup("deleted");
			} else {
				*cause = xstrfmt("cannot stat '%s': %s", full, strerror(errno));
				rc = -1;
			}
		} else if (S_ISREG(st.st_mode)) {
			fileidx[nfiles] = i;
			files[nfiles++] = paths.v[i];
		} else if (S_ISLNK(st.st_mode)) {
			rc = hash_link(root, full, &hashes[i], cause);
		} else if (S_ISDIR(st.st_mode)) {
			hashes[i] = hash_dir(full);
		} else {
			hashes[i] = xstrdup("special");
		}
		free(full);
		if (rc < 0)
			goto out;
	}
	fhash = xcalloc(nfiles + 1, sizeof(*fhash));
	if (hash_files(root, files, nfiles, fhash, cause) < 0)
		goto out;
	for (size_t k = 0; k < nfiles; k++) {
		hashes[fileidx[k]] = fhash[k];
		fhash[k] = NULL;
	}
	for (size_t i = 0; i < paths.n; i++)
		strvec_push_nodup(out, xstrfmt("%s\t%s", hashes[i], paths.v[i]));
	ret = 0;
out:
	for (size_t i = 0; hashes && i < paths.n; i++)
		free(hashes[i]);
	for (size_t k = 0; fhash && k < nfiles; k++)
		free(fhash[k]);
	free(fhash);
	free(hashes);
	free(files);
	free(fileidx);
	strvec_release(&paths);
	return ret;
}

/* How often a snapshot is tried when a file vanishes under it. */
#define SNAPSHOT_TRIES 4

int gitx_snapshot(const char *root, struct strvec *out, char **cause)
{
	/*
	 * An agent working in parallel renames its temp files while git lists
	 * and hashes them ("could not open ..."): the next try no longer sees
	 * the file.
	 */
	for (int i = 1;; i++) {
		char *why = NULL;
		size_t before = out->n;
		struct timespec pause = { 0, 20 * 1000 * 1000 * i };

		if (snapshot_once(root, out, &why) == 0)
			return 0;
		while (out->n > before)
			free(out->v[--out->n]);
		if (i == SNAPSHOT_TRIES) {
			if (cause)
				*cause = why;
			else
				free(why);
			return -1;
		}
		free(why);
		nanosleep(&pause, NULL);
	}
}

struct snap_entry {
	const char *path;
	const char *hash;
	size_t hlen;
};

static int snap_cmp(const void *a, const void *b)
{
	return strcmp(((const struct snap_entry *)a)->path, ((const struct snap_entry *)b)->path);
}

/* Splits "HASH\tPATH"; false when the entry has no tab. */
static bool snap_split(const char *s, struct snap_entry *e)
{
	const char *tab = strchr(s, '\t');

	if (!tab)
		return false;
	e->hash = s;
	e->hlen = (size_t)(tab - s);
	e->path = tab + 1;
	return true;
}

int gitx_story_paths(const char *root, const struct strvec *snapshot, struct strvec *out,
		     char **cause)
{
	struct strvec now = STRVEC_INIT;
	struct snap_entry *old = xcalloc(snapshot->n + 1, sizeof(*old));
	size_t nold = 0;
	int ret = -1;

	for (size_t i = 0; i < snapshot->n; i++) {
		if (!snap_split(snapshot->v[i], &old[nold])) {
			*cause = xstrfmt("invalid snapshot entry '%s'", snapshot->v[i]);
			goto out;
		}
		nold++;
	}
	qsort(old, nold, sizeof(*old), snap_cmp);
	if (gitx_snapshot(root, &now, cause) < 0)
		goto out;
	for (size_t i = 0; i < now.n; i++) {
		struct snap_entry e, *was;

		if (!snap_split(now.v[i], &e) || under_automator(e.path))
			continue;
		was = bsearch(&e, old, nold, sizeof(*old), snap_cmp);
		if (was && was->hlen == e.hlen && !strncmp(was->hash, e.hash, e.hlen))
			continue;
		strvec_push(out, e.path);
	}
	ret = 0;
out:
	strvec_release(&now);
	free(old);
	return ret;
}
