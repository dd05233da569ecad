/* SPDX-License-Identifier: MIT */
/*
 * util.c: allocation wrappers, growable strings and file helpers. Must not
 * know about any product concept; must not print except in xdie().
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

void xdie(const char *fmt, ...)
{
	va_list ap;

	fputs("automator: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		xdie("out of memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		xdie("out of memory");
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		xdie("out of memory (%zu bytes)", n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xstrfmt(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return buf_detach(&b);
}

void *grow_array(void *v, size_t *cap, size_t n, size_t sz)
{
	size_t c = *cap;

	if (n <= c)
		return v;
	c = c ? c : 8;
	while (c < n)
		c *= 2;
	if (c > SIZE_MAX / sz)
		xdie("array too large");
	*cap = c;
	return xrealloc(v, c * sz);
}

void buf_init(struct buf *b)
{
	b->s = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_release(struct buf *b)
{
	free(b->s);
	buf_init(b);
}

char *buf_detach(struct buf *b)
{
	char *s = b->s ? b->s : xstrdup("");

	buf_init(b);
	return s;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}

static void buf_reserve(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 > b->cap)
		ALLOC_GROW(b->s, b->len + extra + 1, b->cap);
}

void buf_add(struct buf *b, const void *data, size_t len)
{
	buf_reserve(b, len);
	if (len)
		memcpy(b->s + b->len, data, len);
	b->len += len;
	b->s[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		xdie("bad format string");
	buf_reserve(b, (size_t)n);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

const char *buf_str(const struct buf *b)
{
	return b->s ? b->s : "";
}

void strvec_push_nodup(struct strvec *sv, char *s)
{
	ALLOC_GROW(sv->v, sv->n + 2, sv->cap);
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void strvec_push(struct strvec *sv, const char *s)
{
	strvec_push_nodup(sv, xstrdup(s));
}

void strvec_release(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

size_t utf8_seq_len(const char *s, size_t i, size_t len)
{
	unsigned char c = (unsigned char)s[i];
	size_t need = c < 0x80             ? 0
		      : (c & 0xe0) == 0xc0 ? 1
		      : (c & 0xf0) == 0xe0 ? 2
		      : (c & 0xf8) == 0xf0 ? 3
					   : 4;

	if (need == 4 || (need == 1 && c < 0xc2) || i + need >= len + (need ? 0 : 1))
		return 0;
	for (size_t k = 1; k <= need; k++)
		if (((unsigned char)s[i + k] & 0xc0) != 0x80)
			return 0;
	return need + 1;
}

bool str_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

bool str_contains_nocase(const char *p, size_t len, const char *needle)
{
	size_t nl = strlen(needle);

	for (size_t i = 0; i + nl <= len; i++)
		if (!strncasecmp(p + i, needle, nl))
			return true;
	return false;
}

size_t str_distance(const char *a, const char *b, size_t limit)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row, best, d;

	if ((la > lb ? la - lb : lb - la) > limit)
		return limit + 1;
	row = xmalloc((lb + 1) * sizeof(*row));
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		best = row[0];
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;

			d = diag + cost;
			if (row[j] + 1 < d)
				d = row[j] + 1;
			if (row[j - 1] + 1 < d)
				d = row[j - 1] + 1;
			row[j] = d;
			diag = up;
			if (d < best)
				best = d;
		}
		if (best > limit) {
			free(row);
			return limit + 1;
		}
	}
	d = row[lb];
	free(row);
	return d > limit ? limit + 1 : d;
}

int read_file(const char *path, char **out, size_t *len)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	struct stat st;
	int fd, saved;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return -1;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(&b, chunk, (size_t)n);
	}
	saved = errno;
	close(fd);
	if (n < 0) {
		buf_release(&b);
		errno = saved;
		return -1;
	}
	if (len)
		*len = b.len;
	*out = buf_detach(&b);
	return 0;
}

int read_text_file(const char *path, size_t max, char **out, size_t *len, char **why)
{
	struct stat st = { 0 };
	int fd, ret;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		*why = xstrdup(errno == ENOENT   ? "no such file"
			       : errno == EACCES ? "permission denied"
						 : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*why = xstrdup(S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
		close(fd);
		return -1;
	}
	close(fd);
	if ((unsigned long long)st.st_size > max) {
		*why = xstrfmt("larger than %zu bytes (%lld)", max, (long long)st.st_size);
		return -1;
	}
	ret = read_file(path, out, len);
	if (ret < 0)
		*why = xstrdup(strerror(errno));
	else if (len && *len > max) {
		/* it grew meanwhile */
		free(*out);
		*out = NULL;
		*why = xstrfmt("larger than %zu bytes", max);
		ret = -1;
	}
	return ret;
}

/* fsync of path's directory, so a rename into it survives a power cut. Best effort. */
static void sync_dir_of(const char *path)
{
	char *dir = path_dirname(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

/* All of data to fd; 0, or -1 with errno. */
static int write_fd_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_atomic(const char *path, const void *data, size_t len, int mode, bool durable)
{
	char *tmp = xstrfmt("%s.tmp.%ld", path, (long)getpid());
	int fd, saved;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		goto fail;
	if (write_fd_all(fd, data, len) < 0)
		goto fail_close;
	if (durable && fsync(fd) < 0)
		goto fail_close;
	if (close(fd) < 0) {
		fd = -1;
		goto fail_unlink;
	}
	if (getenv("AUTOMATOR_CRASH_AT")) {
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		char *point = xstrfmt("in-atomic-write:%s", base);

		crash_point(point);
		free(point);
	}
	if (rename(tmp, path) < 0)
		goto fail_unlink;
	free(tmp);
	if (durable)
		sync_dir_of(path);
	return 0;

fail_close:
	saved = errno;
	close(fd);
	errno = saved;
fail_unlink:
	saved = errno;
	unlink(tmp);
	errno = saved;
fail:
	saved = errno;
	free(tmp);
	errno = saved;
	return -1;
}

int write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
	return write_atomic(path, data, len, mode, true);
}

int write_file_replace(const char *path, const void *data, size_t len, int mode)
{
	return write_atomic(path, data, len, mode, false);
}

int write_file_plain(const char *path, const void *data, size_t len, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode), saved;

	if (fd < 0)
		return -1;
	if (getenv("AUTOMATOR_CRASH_AT")) {
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		char *point = xstrfmt("in-plain-write:%s", base);

		crash_point(point); /* the file there, empty */
		free(point);
	}
	if (write_fd_all(fd, data, len) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

int sync_file(const char *path)
{
	char *real = realpath(path, NULL);
	int fd = real ? open(real, O_RDONLY | O_CLOEXEC) : -1, ret = -1;

	if (fd >= 0) {
		ret = fsync(fd);
		close(fd);
		sync_dir_of(real);
	}
	free(real);
	return ret;
}

char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

char *path_join(const char *dir, const char *name)
{
	if (name[0] == '/' || !dir || !*dir)
		return xstrdup(name);
	if (str_ends_with(dir, "/"))
		return xstrfmt("%s%s", dir, name);
	return xstrfmt("%s/%s", dir, name);
}

static pid_t crash_also;

void crash_point_also(long pid)
{
	crash_also = (pid_t)pid;
}

void crash_point(const char *name)
{
	const char *at = getenv("AUTOMATOR_CRASH_AT");

	if (at && !strcmp(at, name)) {
		fflush(NULL);
		if (crash_also > 0)
			kill(crash_also, SIGKILL);
		kill(getpid(), SIGKILL);
	}
}

/*
 * Removes the files of dir whose name has a pid where pid_at(name, arg)
 * says (a pointer to its first digit, or NULL: not such a file) and whose
 * process no longer runs. Returns how many it removed.
 */
static int remove_dead(const char *dir, const char *(*pid_at)(const char *, const void *),
		       const void *arg)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int removed = 0;

	while (d && (de = readdir(d))) {
		const char *p = pid_at(de->d_name, arg);
		char *end, *full;
		long pid;

		if (!p || !isdigit((unsigned char)*p))
			continue;
		errno = 0;
		pid = strtol(p, &end, 10);
		/* PREFIX<pid>.tmp.<pid>: that process's atomic write of the file */
		if (!strncmp(end, ".tmp.", 5) && isdigit((unsigned char)end[5]))
			end += 5 + strspn(end + 5, "0123456789");
		if (*end || errno || pid <= 0 || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue; /* that process still runs */
		full = path_join(dir, de->d_name);
		if (unlink(full) == 0)
			removed++;
		free(full);
	}
	if (d)
		closedir(d);
	return removed;
}

/* PREFIX<pid>: the pid after the prefix. */
static const char *after_prefix(const char *name, const void *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(name, prefix, n) ? NULL : name + n;
}

/* NAME.tmp.<pid>: the pid after the last ".tmp." (not at the start). */
static const char *after_tmp(const char *name, const void *unused)
{
	const char *tmp = strstr(name, ".tmp."), *next;

	(void)unused;
	while (tmp && (next = strstr(tmp + 1, ".tmp.")))
		tmp = next;
	return tmp && tmp != name ? tmp + 5 : NULL;
}

int dead_pid_files_remove(const char *dir, const char *prefix)
{
	return remove_dead(dir, after_prefix, prefix);
}

int dead_tmp_files_remove(const char *dir)
{
	return remove_dead(dir, after_tmp, NULL);
}

int atomic_leftovers_remove(const char *path)
{
	char *dir = path_dirname(path);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *prefix = xstrfmt("%s.tmp.", base);
	int removed = dead_pid_files_remove(dir, prefix);

	free(prefix);
	free(dir);
	return removed;
}

bool path_inside(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "/"))
		return path[0] == '/';
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}
