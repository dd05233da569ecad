/*
 * project.c: the .automator/ directory, the run lock and the marker file.
 * Must not decide anything about runs; it only keeps the files right.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
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

void project_init(struct project *p, const char *root, const char *name)
{
	const char *sock = getenv("AUTOMATOR_TMUX_SOCKET");

	memset(p, 0, sizeof(*p));
	p->root = xstrdup(root);
	p->dir = path_join(root, ".automator");
	p->db = path_join(p->dir, "state.db");
	p->slug = xstrfmt("%s-%06x", name, fnv1a(root) & 0xffffff);
	p->socket = sock && *sock ? xstrdup(sock) : xstrfmt("automator-%s", p->slug);
	p->lock_fd = -1;
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
	if (ret == 0 && gitx_is_repo(p->root))
		gitx_exclude_automator(p->root, NULL);
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
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
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

char *project_logdir(const struct project *p, const char *run_id)
{
	return xstrfmt("%s/logs/%s", p->dir, run_id);
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
	if (write_file_atomic(path, text, strlen(text), 0600) < 0) {
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
