/*
 * gitx.c: git through proc_run: repository checks, the .automator/ exclude
 * line, story snapshots and scoped commits. Must not hand git a string
 * for a shell, must not stage anything but the story's paths (no `git add
 * -A` of the whole tree), must not skip hooks (--no-verify) or set an
 * author, and must not leave the user's index changed by a failed commit.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitx.h"
#include "proc.h"
#include "util.h"

#define GITX_TIMEOUT_MS 60000L
/* a commit runs the user's hooks, which may lint or test */
#define GITX_COMMIT_TIMEOUT_MS 600000L
/* the most of a hook's output kept in a cause */
#define GITX_CAUSE_MAX 4000

#define AUTOMATOR_DIR ".automator"

struct gitcall {
	const char *input; /* stdin; NULL: /dev/null */
	size_t input_len;
	const char *index_file; /* GIT_INDEX_FILE, or NULL */
	long timeout_ms;        /* 0: GITX_TIMEOUT_MS */
	bool literal;           /* --literal-pathspecs (not passed on to hooks' env) */
	bool no_locks;          /* GIT_OPTIONAL_LOCKS=0 for read-only commands */
};

/* The stderr (else stdout) of r, trimmed and capped, for a cause. */
static char *output_text(const struct proc_result *r)
{
	const struct buf *b = r->err.len ? &r->err : &r->out;
	const char *s = buf_str(b);
	size_t len = b->len;

	while (len && (*s == '\n' || *s == ' ' || *s == '\r')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\r'))
		len--;
	if (len > GITX_CAUSE_MAX) {
		s += len - GITX_CAUSE_MAX;
		len = GITX_CAUSE_MAX;
	}
	return xstrndup(s, len);
}

/*
 * Runs git -C root args. Returns 0 when git ran to an exit (r->status
 * tells how), -1 with *cause when it could not be started, timed out or
 * was killed. r is always to be released.
 */
static int git_exec(const char *root, const struct strvec *args, const struct gitcall *c,
		    struct proc_result *r, char **cause)
{
	static const struct gitcall none = { 0 };
	struct strvec argv = STRVEC_INIT;
	const char *env[4];
	char *index_env = NULL;
	struct proc_opts o = { 0 };
	size_t ne = 0;
	int ret;

	if (!c)
		c = &none;
	env[ne++] = "GIT_TERMINAL_PROMPT=0";
	if (c->no_locks)
		env[ne++] = "GIT_OPTIONAL_LOCKS=0";
	if (c->index_file) {
		index_env = xstrfmt("GIT_INDEX_FILE=%s", c->index_file);
		env[ne++] = index_env;
	}
	env[ne] = NULL;
	strvec_push(&argv, "git");
	strvec_push(&argv, "-C");
	strvec_push(&argv, root);
	if (c->literal)
		strvec_push(&argv, "--literal-pathspecs");
	for (size_t i = 0; i < args->n; i++)
		strvec_push(&argv, args->v[i]);
	o.env = env;
	o.input = c->input;
	o.input_len = c->input_len;
	o.timeout_ms = c->timeout_ms ? c->timeout_ms : GITX_TIMEOUT_MS;
	ret = proc_run((const char *const *)argv.v, &o, r);
	if (ret < 0) {
		*cause = r->not_found
				 ? xstrfmt("git not found in PATH")
				 : xstrfmt("cannot run git %s: %s", args->v[0], strerror(errno));
	} else if (r->timed_out || r->signal) {
		char *d = proc_describe(r);

		*cause = xstrfmt("git %s: %s", args->v[0], d);
		free(d);
		ret = -1;
	}
	strvec_release(&argv);
	free(index_env);
	return ret;
}

/* git_exec, and an exit other than 0 is an error too. */
static int git_ok(const char *root, const struct strvec *args, const struct gitcall *c,
		  struct proc_result *r, char **cause)
{
	char *out;

	if (git_exec(root, args, c, r, cause) < 0)
		return -1;
	if (r->status == 0)
		return 0;
	out = output_text(r);
	*cause = xstrfmt("git %s: exit %d%s%s", args->v[0], r->status, *out ? ": " : "", out);
	free(out);
	return -1;
}

/* Builds a strvec from a NULL-terminated list. */
static void args_of(struct strvec *sv, const char *first, ...)
{
	va_list ap;

	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *))
		strvec_push(sv, s);
	va_end(ap);
}

/* Runs a git command whose stdout is one line; *out gets it without the newline. */
static int git_line(const char *root, const struct strvec *args, char **out, char **cause)
{
	struct proc_result r;
	size_t len;

	if (git_ok(root, args, NULL, &r, cause) < 0) {
		proc_result_release(&r);
		return -1;
	}
	len = r.out.len;
	while (len && (r.out.s[len - 1] == '\n' || r.out.s[len - 1] == '\r'))
		len--;
	*out = xstrndup(buf_str(&r.out), len);
	proc_result_release(&r);
	return 0;
}

bool gitx_available(void)
{
	return proc_exists("git");
}

bool gitx_is_repo(const char *root)
{
	struct strvec args = STRVEC_INIT;
	char *out = NULL, *cause = NULL;
	bool yes;

	args_of(&args, "rev-parse", "--is-inside-work-tree", (char *)NULL);
	yes = git_line(root, &args, &out, &cause) == 0 && !strcmp(out, "true");
	strvec_release(&args);
	free(out);
	free(cause);
	return yes;
}

int gitx_head(const char *root, char **sha, char **cause)
{
	struct strvec args = STRVEC_INIT;
	struct proc_result r;
	int ret = -1;

	args_of(&args, "rev-parse", "--verify", "-q", "HEAD^{commit}", (char *)NULL);
	if (git_exec(root, &args, NULL, &r, cause) < 0)
		goto out;
	if (r.status == 1 && !r.err.len) {
		/* no commit yet: --verify -q fails quietly; outside a repository git says so */
		ret = 1;
	} else if (r.status != 0) {
		char *o = output_text(&r);

		*cause = xstrfmt("git rev-parse: exit %d%s%s", r.status, *o ? ": " : "", o);
		free(o);
	} else {
		size_t len = r.out.len;

		while (len && r.out.s[len - 1] == '\n')
			len--;
		*sha = xstrndup(buf_str(&r.out), len);
		ret = 0;
	}
out:
	proc_result_release(&r);
	strvec_release(&args);
	return ret;
}

/* The path git names for --git-path what, usable from our directory. */
static int git_path(const char *root, const char *what, bool absolute, char **out, char **cause)
{
	struct strvec args = STRVEC_INIT;
	char *p = NULL;
	int ret;

	args_of(&args, "rev-parse", "--git-path", what, (char *)NULL);
	ret = git_line(root, &args, &p, cause);
	strvec_release(&args);
	if (ret < 0)
		return -1;
	if (p[0] == '/') {
		*out = p;
		return 0;
	}
	if (absolute) {
		char *real = realpath(root, NULL);

		if (!real) {
			*cause = xstrfmt("cannot resolve '%s': %s", root, strerror(errno));
			free(p);
			return -1;
		}
		*out = path_join(real, p);
		free(real);
	} else {
		*out = path_join(root, p);
	}
	free(p);
	return 0;
}

/* True when text has a line naming the .automator directory. */
static bool has_exclude_line(const char *text)
{
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		while (len &&
		       (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
			len--;
		if ((len == 11 && !strncmp(line, AUTOMATOR_DIR "/", 11)) ||
		    (len == 12 && !strncmp(line, "/" AUTOMATOR_DIR "/", 12)))
			return true;
		if (!nl)
			break;
		line = nl + 1;
	}
	return false;
}

int gitx_exclude_automator(const char *root, char **cause)
{
	char *path = NULL, *dir = NULL, *text = NULL;
	struct buf add = BUF_INIT;
	size_t len = 0;
	int fd, ret = -1;

	if (git_path(root, "info/exclude", false, &path, cause) < 0)
		return -1;
	if (read_file(path, &text, &len) < 0) {
		if (errno != ENOENT) {
			*cause = xstrfmt("cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		text = xstrdup("");
		len = 0;
	}
	if (has_exclude_line(text)) {
		ret = 1;
		goto out;
	}
	dir = path_dirname(path);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		*cause = xstrfmt("cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (len && text[len - 1] != '\n')
		buf_addc(&add, '\n');
	buf_adds(&add, AUTOMATOR_DIR "/\n");
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		*cause = xstrfmt("cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	if (write(fd, add.s, add.len) != (ssize_t)add.len) {
		*cause = xstrfmt("cannot write '%s': %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) < 0) {
		*cause = xstrfmt("cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	buf_release(&add);
	free(text);
	free(dir);
	free(path);
	return ret;
}

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
	args_of(&args, "hash-object", "--stdin", (char *)NULL);
	c.input = target;
	c.input_len = (size_t)n;
	ret = git_ok(root, &args, &c, &r, cause);
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

	args_of(&args, "rev-parse", "--verify", "-q", "HEAD", (char *)NULL);
	if (git_line(full, &args, &sha, &cause) == 0 && *sha)
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
	args_of(&args, "hash-object", "--no-filters", "--stdin-paths", (char *)NULL);
	c.input = in.s;
	c.input_len = in.len;
	ret = git_ok(root, &args, &c, &r, cause);
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

	args_of(&args, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames",
		(char *)NULL);
	ret = git_ok(root, &args, &c, &r, cause);
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

int gitx_snapshot(const char *root, struct strvec *out, char **cause)
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
		args_of(&args, "read-tree", "--empty", (char *)NULL);
	else if ((ret = copy_file(real_index, tmp, cause)) == 0)
		args_of(&args, "reset", "-q", (char *)NULL);
	else if (ret == 1)
		args_of(&args, "read-tree", "HEAD", (char *)NULL);
	if (ret >= 0) {
		ret = git_ok(root, &args, &c, &r, cause);
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
	args_of(&args, "ls-files", "-z", "--", (char *)NULL);
	for (size_t i = 0; i < missing.n; i++)
		strvec_push(&args, missing.v[i]);
	ret = git_ok(root, &args, &c, &r, cause);
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
	if (git_path(root, "index", true, &index, cause) < 0)
		goto out;
	tmp = xstrfmt("%s.automator-%ld", index, (long)getpid());
	if (seed_index(root, index, tmp, have_head == 0, cause) < 0)
		goto out;
	if (stageable(root, tmp, paths, &stage, cause) < 0)
		goto out;
	if (!stage.n) {
		ret = 1;
		goto out;
	}

	c.index_file = tmp;
	c.literal = true;
	args_of(&args, "add", "-A", "--", (char *)NULL);
	for (size_t i = 0; i < stage.n; i++)
		strvec_push(&args, stage.v[i]);
	if (git_ok(root, &args, &c, &r, cause) < 0)
		goto out;
	proc_result_release(&r);
	strvec_release(&args);

	c.literal = false;
	args_of(&args, "diff", "--cached", "--quiet", (char *)NULL);
	if (git_exec(root, &args, &c, &r, cause) < 0)
		goto out;
	if (r.status == 0) {
		ret = 1;
		goto out;
	}
	if (r.status != 1) {
		char *o = output_text(&r);

		*cause = xstrfmt("git diff: exit %d%s%s", r.status, *o ? ": " : "", o);
		free(o);
		goto out;
	}
	proc_result_release(&r);
	strvec_release(&args);

	c.input = message;
	c.input_len = strlen(message);
	c.timeout_ms = GITX_COMMIT_TIMEOUT_MS;
	args_of(&args, "commit", "-q", "-F", "-", (char *)NULL);
	if (git_exec(root, &args, &c, &r, cause) < 0)
		goto out;
	if (r.status != 0) {
		char *o = output_text(&r);

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

	/*
	 * The real index catches up with the commit for these paths, as
	 * `git commit -- PATHS` leaves it. Best effort: the commit is made.
	 */
	memset(&c, 0, sizeof(c));
	c.literal = true;
	args_of(&args, "reset", "-q", "--", (char *)NULL);
	for (size_t i = 0; i < stage.n; i++)
		strvec_push(&args, stage.v[i]);
	{
		char *ignored = NULL;

		git_exec(root, &args, &c, &r, &ignored);
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

/* True when body has a line `key: value` (key without case, blanks around ignored). */
static bool has_trailer(const char *body, const char *key, const char *value)
{
	size_t klen = strlen(key), vlen = strlen(value);

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
			if ((size_t)(end - v) == vlen && !strncmp(v, value, vlen))
				return true;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
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
	args_of(&args, "log", "-z", "--format=%H%n%B", "--fixed-strings", "--regexp-ignore-case",
		grep, range, "--", (char *)NULL);
	if (git_ok(root, &args, &(struct gitcall){ .no_locks = true }, &r, cause) < 0)
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
