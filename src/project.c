/* SPDX-License-Identifier: MIT */
/*
 * project.c: the .automator/ directory, the run lock and the marker file.
 * Must not decide anything about runs; it only keeps the files right.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "gitx.h"
#include "project.h"
#include "util.h"

/* FNV-1a: a short, stable hash of the root path for names. */
static unsigned fnv1a(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

void project_init_slug(struct project *p, const char *root, const char *slug)
{
	const char *sock = getenv("AUTOMATOR_TMUX_SOCKET");

	memset(p, 0, sizeof(*p));
	p->root = xstrdup(root);
	p->dir = path_join(root, ".automator");
	p->db = path_join(p->dir, "state.db");
	p->slug = xstrdup(slug);
	p->socket = sock && *sock ? xstrdup(sock) : xstrfmt("automator-%s", p->slug);
	p->lock_fd = -1;
}

char *project_root_hash(const char *root)
{
	return xstrfmt("%06x", fnv1a(root) & 0xffffff);
}

void project_init(struct project *p, const char *root, const char *name)
{
	/*
	 * The name's first PROJECT_SLUG_NAME_MAX bytes (cut on a character) and
	 * a hash of the root: the tmux socket path must fit sun_path (108
	 * bytes) whatever the directory is called.
	 */
	size_t n = strlen(name), cut = 0;
	char *hash = project_root_hash(root), *slug;

	while (cut < n) {
		size_t w = utf8_seq_len(name, cut, n);

		if (!w || cut + w > PROJECT_SLUG_NAME_MAX)
			break;
		cut += w;
	}
	slug = xstrfmt("%.*s-%s", (int)cut, name, hash);
	project_init_slug(p, root, slug);
	free(slug);
	free(hash);
}

void project_release(struct project *p)
{
	project_unlock(p);
	free(p->root);
	free(p->dir);
	free(p->db);
	free(p->slug);
	free(p->socket);
	memset(p, 0, sizeof(*p));
	p->lock_fd = -1;
}

static int mkdir_p(const char *path, char **cause)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		*cause = xstrfmt("cannot create '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int project_prepare(struct project *p, char **cause)
{
	char *logs = path_join(p->dir, "logs");
	int ret = 0;

	if (mkdir_p(p->dir, cause) < 0 || mkdir_p(logs, cause) < 0)
		ret = -1;
	free(logs);
	if (ret == 0 && gitx_is_repo(p->root)) {
		char *why = NULL;

		/* best effort: git may be missing; preflight says so */
		gitx_exclude_automator(p->root, &why);
		free(why);
	}
	return ret;
}

int project_lock(struct project *p, long *holder, char **cause)
{
	char *path = path_join(p->dir, "lock");
	char pid[32];
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		*cause = xstrfmt("cannot open '%s': %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	/*
	 * A POSIX record lock, not flock(2): it belongs to this process, so a
	 * child forked without exec (an integration) never holds it. With
	 * flock a child that had not yet run when the loop was killed kept
	 * the lock, and the resume that followed was refused.
	 */
	if (fcntl(fd, F_SETLK, &(struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET }) < 0) {
		ssize_t n = read(fd, pid, sizeof(pid) - 1);

		*holder = n > 0 ? (pid[n] = '\0', atol(pid)) : 0;
		close(fd);
		return 1;
	}
	if (ftruncate(fd, 0) == 0) {
		int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

		/* the pid is informative only: a failed write is not an error */
		(void)!pwrite(fd, pid, (size_t)n, 0);
	}
	p->lock_fd = fd;
	return 0;
}

void project_unlock(struct project *p)
{
	if (p->lock_fd >= 0)
		close(p->lock_fd);
	p->lock_fd = -1;
}

char *project_find_state(void)
{
	char *dir = realpath(".", NULL);

	while (dir) {
		char *db = path_join(dir, ".automator/state.db"), *up;
		bool found = access(db, F_OK) == 0;

		free(db);
		if (found)
			return dir;
		if (!strcmp(dir, "/"))
			break;
		up = path_dirname(dir);
		free(dir);
		dir = up;
	}
	free(dir);
	return NULL;
}

char *project_logdir(const struct project *p, const char *run_id)
{
	return xstrfmt("%s/logs/%s", p->dir, run_id);
}

char *project_wake_path(const struct project *p)
{
	return path_join(p->dir, "wake");
}

void project_wake(const struct project *p)
{
	char *path = project_wake_path(p);
	struct stat st;
	int fd = -1;

	/* a FIFO only, never blocking: no reader is ENXIO */
	if (lstat(path, &st) == 0 && S_ISFIFO(st.st_mode))
		fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "a", 1) < 0) {
			/* full: the run has been woken already */
		}
		close(fd);
	}
	free(path);
}

static char *marker_path(const struct project *p)
{
	return path_join(p->dir, "active");
}

int project_marker_write(const struct project *p, const struct marker *m, char **cause)
{
	char *started = clock_iso(m->started_at), *beat = clock_iso(m->heartbeat);
	char *path = marker_path(p), *text;
	json_t *o;
	int ret = 0;

	o = json_pack("{s:s?,s:s?,s:i,s:s,s:s,s:s,s:I,s:s}", "epic", m->epic, "currentStory",
		      m->current_story, "storiesRemaining", m->stories_remaining, "stateFile",
		      m->state_file, "startedAt", started, "heartbeat", beat, "pid",
		      (json_int_t)m->pid, "projectSlug", m->project_slug);
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	/*
	 * atomic for its readers, not fsynced: it is rewritten at every
	 * heartbeat, and a power loss that loses it loses a hint, not work
	 */
	if (write_file_replace(path, text, strlen(text), 0600) < 0) {
		*cause = xstrfmt("cannot write '%s': %s", path, strerror(errno));
		ret = -1;
	}
	free(text);
	json_decref(o);
	free(path);
	free(started);
	free(beat);
	return ret;
}

int project_marker_remove(const struct project *p)
{
	char *path = marker_path(p);
	int ret = unlink(path) < 0 && errno != ENOENT ? -1 : 0;

	free(path);
	return ret;
}

bool project_marker_exists(const struct project *p)
{
	char *path = marker_path(p);
	bool ret = access(path, F_OK) == 0;

	free(path);
	return ret;
}

/*
 * Parses an ISO 8601 time as the marker holds it ("2026-11-22T03:04:05Z");
 * fractional seconds and a "+HH:MM" / "+HHMM" offset are accepted too, a
 * missing zone is read as UTC. Returns 0 with *t (unix seconds), or -1.
 */
static int parse_iso(const char *s, long long *t)
{
	struct tm tm = { 0 };
	const char *e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	long long off = 0;

	if (!e)
		return -1;
	if (*e == '.') {
		for (e++; *e >= '0' && *e <= '9'; e++)
			;
	}
	if (*e == 'Z') {
		e++;
	} else if (*e == '+' || *e == '-') {
		int hh, mm, n = 0;

		if (sscanf(e + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 &&
		    sscanf(e + 1, "%2d%2d%n", &hh, &mm, &n) != 2)
			return -1;
		if (hh > 23 || mm > 59)
			return -1;
		off = (*e == '-' ? -1 : 1) * (hh * 3600LL + mm * 60LL);
		e += 1 + n;
	}
	if (*e)
		return -1;
	*t = (long long)timegm(&tm) - off;
	return 0;
}

/* The field key of o as an owned string (NULL for null or missing); -1 on a wrong type. */
static int field_str(json_t *o, const char *key, bool required, bool allow_int, char **out,
		     char **cause)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (!required)
			return 0;
		*cause = xstrfmt(v ? "field '%s' is null" : "missing field '%s'", key);
		return -1;
	}
	if (json_is_string(v)) {
		*out = xstrdup(json_string_value(v));
		return 0;
	}
	if (allow_int && json_is_integer(v)) {
		*out = xstrfmt("%lld", (long long)json_integer_value(v));
		return 0;
	}
	*cause = xstrfmt("field '%s' is not a string", key);
	return -1;
}

static int field_int(json_t *o, const char *key, long long min, long long max, long long *out,
		     char **cause)
{
	json_t *v = json_object_get(o, key);

	if (!v) {
		*cause = xstrfmt("missing field '%s'", key);
		return -1;
	}
	if (!json_is_integer(v)) {
		*cause = xstrfmt("field '%s' is not an integer", key);
		return -1;
	}
	*out = (long long)json_integer_value(v);
	if (*out < min || *out > max) {
		*cause = xstrfmt("field '%s' is out of range (%lld)", key, *out);
		return -1;
	}
	return 0;
}

static int field_time(json_t *o, const char *key, long long *out, char **cause)
{
	char *s;
	int ret;

	if (field_str(o, key, true, false, &s, cause) < 0)
		return -1;
	ret = parse_iso(s, out);
	if (ret < 0)
		*cause = xstrfmt("field '%s' is not an ISO 8601 time '%s'", key, s);
	free(s);
	return ret;
}

int project_marker_read(const struct project *p, struct marker *m, char **cause)
{
	char *path = marker_path(p), *text = NULL, *epic = NULL, *story = NULL;
	char *state = NULL, *slug = NULL;
	long long remaining = 0, started = 0, beat = 0, pid = 0;
	json_error_t err;
	json_t *o = NULL;
	size_t len;
	int ret = -1;

	if (read_file(path, &text, &len) < 0) {
		if (errno == ENOENT) {
			ret = 1;
		} else {
			*cause = xstrfmt("cannot read '%s': %s", path, strerror(errno));
		}
		goto out;
	}
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!o) {
		*cause = xstrfmt("not JSON: %s at line %d column %d", err.text, err.line,
				 err.column);
		goto out;
	}
	if (!json_is_object(o)) {
		*cause = xstrdup("not a JSON object");
		goto out;
	}
	if (field_str(o, "epic", false, true, &epic, cause) < 0 ||
	    field_str(o, "currentStory", false, false, &story, cause) < 0 ||
	    field_int(o, "storiesRemaining", 0, INT_MAX, &remaining, cause) < 0 ||
	    field_str(o, "stateFile", true, false, &state, cause) < 0 ||
	    field_time(o, "startedAt", &started, cause) < 0 ||
	    field_time(o, "heartbeat", &beat, cause) < 0 ||
	    field_int(o, "pid", 1, INT_MAX, &pid, cause) < 0 ||
	    field_str(o, "projectSlug", true, false, &slug, cause) < 0)
		goto out;
	memset(m, 0, sizeof(*m));
	m->epic = epic;
	m->current_story = story;
	m->stories_remaining = (int)remaining;
	m->state_file = state;
	m->started_at = started;
	m->heartbeat = beat;
	m->pid = (long)pid;
	m->project_slug = slug;
	epic = story = state = slug = NULL;
	ret = 0;
out:
	free(epic);
	free(story);
	free(state);
	free(slug);
	json_decref(o);
	free(text);
	free(path);
	return ret;
}

void project_marker_clear(struct marker *m)
{
	/* the strings are ours when the marker came from project_marker_read() */
	free((char *)m->epic);
	free((char *)m->current_story);
	free((char *)m->state_file);
	free((char *)m->project_slug);
	memset(m, 0, sizeof(*m));
}

static char *abort_note_path(const struct project *p)
{
	return path_join(p->dir, "aborting");
}

void project_abort_note(const struct project *p, bool on)
{
	char *path = abort_note_path(p);

	if (on) {
		char *pid = xstrfmt("%ld\n", (long)getpid());

		(void)write_file_replace(path, pid, strlen(pid), 0600);
		free(pid);
	} else {
		unlink(path);
	}
	free(path);
}

long project_abort_noted(const struct project *p)
{
	char *path = abort_note_path(p), *text = NULL, *why = NULL;
	size_t len;
	long pid = 0;

	if (read_text_file(path, 64, &text, &len, &why) == 0)
		pid = atol(text);
	else
		free(why);
	/* an abort killed before it removed its note says nothing */
	if (pid <= 0 || pid > INT_MAX || (kill((pid_t)pid, 0) < 0 && errno != EPERM))
		pid = 0;
	free(text);
	free(path);
	return pid;
}

bool project_run_alive(long pid)
{
	char path[64], comm[32] = "";
	FILE *fp;

	if (pid <= 0 || pid > INT_MAX || (kill((pid_t)pid, 0) < 0 && errno != EPERM))
		return false;
	/* a pid used again by another program is no run */
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if (!(fp = fopen(path, "r")))
		return true; /* no /proc: the pid is all there is to go by */
	if (!fgets(comm, sizeof(comm), fp))
		comm[0] = '\0';
	fclose(fp);
	return strncmp(comm, "automator", 9) == 0;
}

bool project_marker_fresh(const struct marker *m, long long now, bool *pid_alive)
{
	bool alive = false;

	/* never kill(0) or kill(-1): those name process groups */
	if (m->pid > 0 && m->pid <= INT_MAX)
		alive = kill((pid_t)m->pid, 0) == 0 || errno == EPERM;
	if (pid_alive)
		*pid_alive = alive;
	return alive || now - m->heartbeat < MARKER_STALE_SECONDS;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether dir holds one of the files that mark a project root. */
static bool looks_like_root(const char *dir)
{
	static const char *const dirs[] = { "_bmad-output", ".automator" };
	char *git = path_join(dir, ".git");
	bool found = access(git, F_OK) == 0;

	free(git);
	for (size_t i = 0; !found && i < ARRAY_SIZE(dirs); i++) {
		char *sub = path_join(dir, dirs[i]);

		found = is_dir(sub);
		free(sub);
	}
	return found;
}

int project_find_root(const char *given, char **out, char **cause)
{
	const char *env = getenv("PROJECT_ROOT");
	char *dir;

	if (!given && env && *env)
		given = env;
	if (given) {
		dir = realpath(given, NULL);
		if (!dir || !is_dir(dir)) {
			*cause = xstrfmt("project root is not a directory '%s'", given);
			free(dir);
			return -1;
		}
		*out = dir;
		return 0;
	}
	dir = realpath(".", NULL);
	if (!dir) {
		*cause = xstrfmt("cannot resolve the current directory: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		char *up;

		if (looks_like_root(dir)) {
			*out = dir;
			return 0;
		}
		if (!strcmp(dir, "/"))
			break;
		up = path_dirname(dir);
		free(dir);
		dir = up;
	}
	free(dir);
	*cause = xstrdup("no project root found (no _bmad-output/, .automator/ or .git in the "
			 "current directory or above); use --project-root DIR");
	return -1;
}

char *project_root_name(const char *root)
{
	const char *base = strrchr(root, '/');

	return xstrdup(base && base[1] ? base + 1 : "project");
}
