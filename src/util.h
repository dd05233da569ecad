/* SPDX-License-Identifier: MIT */
/*
 * util.h: allocation, growable strings and small helpers shared by all of
 * src/. Allocation failure aborts (the only abort-class exit besides broken
 * invariants); nothing here prints except xdie().
 */
#ifndef AU_UTIL_H
#define AU_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes shared by automator and orchestrator-helper (docs/cli.md). */
enum {
	EXIT_OK = 0,
	EXIT_NEGATIVE = 1,
	EXIT_PAUSED = 3,
	EXIT_USAGE = 64,
	EXIT_DATAERR = 65,
	EXIT_UNAVAILABLE = 69,
	EXIT_SOFTWARE = 70,
	EXIT_IOERR = 74,
	EXIT_TEMPFAIL = 75,
};

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string. */
char *xstrfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void xdie(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *v (of *cap elements of size sz) so it holds at least n elements. */
void *grow_array(void *v, size_t *cap, size_t n, size_t sz);
#define ALLOC_GROW(v, n, cap) ((v) = grow_array((v), &(cap), (n), sizeof(*(v))))

/*
 * A growable, always NUL-terminated string. BUF_INIT or buf_init() before use,
 * buf_release() after; buf_detach() hands the string to the caller.
 */
struct buf {
	char *s;
	size_t len;
	size_t cap;
};
#define BUF_INIT           \
	{                  \
		NULL, 0, 0 \
	}
void buf_init(struct buf *b);
void buf_release(struct buf *b);
char *buf_detach(struct buf *b);
void buf_reset(struct buf *b);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Returns "" for a buffer that was never written. */
const char *buf_str(const struct buf *b);

/* A NULL-terminated, owned vector of owned strings. */
struct strvec {
	char **v;
	size_t n;
	size_t cap;
};
#define STRVEC_INIT        \
	{                  \
		NULL, 0, 0 \
	}
void strvec_push(struct strvec *sv, const char *s);
void strvec_push_nodup(struct strvec *sv, char *s);
void strvec_release(struct strvec *sv);

bool str_starts_with(const char *s, const char *prefix);
/*
 * Length of the UTF-8 sequence starting at s[i] (1 to 4 bytes) when s[0..len)
 * holds it whole and well-formed (lead byte, no C0/C1 overlong lead,
 * continuation bytes), else 0.
 */
size_t utf8_seq_len(const char *s, size_t i, size_t len);
bool str_ends_with(const char *s, const char *suffix);
/* Whether p[0..len) contains needle, compared without regard to ASCII case. */
bool str_contains_nocase(const char *p, size_t len, const char *needle);
/* Whether path is dir or under it (both absolute and resolved: realpath). */
bool path_inside(const char *dir, const char *path);
/* Levenshtein distance, capped at limit + 1 (for did-you-mean hints). */
size_t str_distance(const char *a, const char *b, size_t limit);

/*
 * Reads a whole file into a NUL-terminated buffer. Returns 0, or -1 with
 * errno set; *out untouched on failure.
 */
int read_file(const char *path, char **out, size_t *len);
/*
 * read_file for a file a user's configuration names: only a regular file
 * (a device or FIFO would never end, or block) of at most max bytes.
 * Returns 0, or -1 with *why ("no such file", "not a regular file",
 * "larger than N bytes (M)"; newly allocated).
 */
int read_text_file(const char *path, size_t max, char **out, size_t *len, char **why);
/* The most a YAML file or a prompt file may hold. */
#define CONFIG_FILE_MAX ((size_t)16 << 20)
#define PROMPT_FILE_MAX ((size_t)1 << 20)
/*
 * Writes data to path atomically: a temp file PATH.tmp.<pid> in the same
 * directory, fsync, rename, fsync of the directory. A crash leaves path
 * either old or new, and at most the temp file (atomic_leftovers_remove).
 */
int write_file_atomic(const char *path, const void *data, size_t len, int mode);
/*
 * As write_file_atomic without the fsyncs: readers never see half a file,
 * but a power loss may lose it. For files a crash makes us write again.
 */
int write_file_replace(const char *path, const void *data, size_t len, int mode);
/*
 * Writes data to path in place (created or truncated; no temp file, no
 * rename, no fsync): for a file nobody reads before it is written, and
 * that is written again when a crash cut it short. 0, or -1 with errno.
 */
int write_file_plain(const char *path, const void *data, size_t len, int mode);
/*
 * fsync(2)s the file at path (through a symlink) and its directory: what
 * write_file_atomic does after writing, for a write_file_replace done
 * earlier. Returns 0, or -1 (errno).
 */
int sync_file(const char *path);
/*
 * Removes the temp files write_file_atomic left beside path when a process
 * died inside it (PATH.tmp.<pid> of a pid that no longer runs). Returns how
 * many it removed.
 */
int atomic_leftovers_remove(const char *path);
/*
 * Removes the files PREFIX<pid> (and PREFIX<pid>.tmp.<n>, its atomic write)
 * in dir whose pid no longer runs (a file of this process, or of one that
 * runs, stays). Returns how many it removed.
 */
int dead_pid_files_remove(const char *dir, const char *prefix);
/* Removes every NAME.tmp.<pid> in dir whose pid no longer runs (write_file_atomic's). */
int dead_tmp_files_remove(const char *dir);

/* Directory part of path (newly allocated; "." when there is none). */
char *path_dirname(const char *path);
/* dir + "/" + name, or name when it is absolute. */
char *path_join(const char *dir, const char *name);

#include "banned.h"
/*
 * Fault injection for the crash tests: when $AUTOMATOR_CRASH_AT names this
 * point, the process kills itself with SIGKILL right here (stdio flushed).
 * Points: docs/architecture.md, "Crash points".
 */
void crash_point(const char *name);
/* A process of ours (an integration's) that crash points kill with the one it serves: pid. */
void crash_point_also(long pid);

#endif
