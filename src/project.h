/*
 * project.h: a project's automator directory (.automator/ under the root):
 * its layout, the lock that allows one live run per project, the marker
 * file, and the names derived from the root (slug, tmux socket).
 */
#ifndef AU_PROJECT_H
#define AU_PROJECT_H

#include <stdbool.h>

struct project {
	char *root;   /* absolute */
	char *dir;    /* root/.automator */
	char *db;     /* dir/state.db */
	char *slug;   /* name-hash: names sessions; unique per checkout */
	char *socket; /* tmux -L name: automator-<slug>, or $AUTOMATOR_TMUX_SOCKET */
	int lock_fd;  /* -1 when not locked */
};

/*
 * Fills p for root (absolute) and name (the project name). Creates nothing.
 */
void project_init(struct project *p, const char *root, const char *name);
void project_release(struct project *p);
/*
 * Creates .automator/ (0700) and its logs/ directory and lists .automator/
 * in .git/info/exclude. Returns 0, or -1 with *cause.
 */
int project_prepare(struct project *p, char **cause);
/*
 * Takes the project lock (flock on .automator/lock, O_CLOEXEC so tmux never
 * inherits it) and writes our pid into it. Returns 0; 1 when another live
 * process holds it (*holder gets its pid, or 0 when unknown); -1 (*cause).
 */
int project_lock(struct project *p, long *holder, char **cause);
void project_unlock(struct project *p);
/* The log directory of a run, newly allocated: dir/logs/RUN. */
char *project_logdir(const struct project *p, const char *run_id);

/* The marker file .automator/active (DESIGN section 5). */
struct marker {
	const char *epic;
	const char *current_story;
	int stories_remaining;
	const char *state_file;
	long long started_at; /* unix seconds */
	long long heartbeat;
	long pid;
	const char *project_slug;
};
/* Writes the marker atomically. Returns 0 or -1 (*cause). */
int project_marker_write(const struct project *p, const struct marker *m, char **cause);
/* Removes the marker; a missing one is success. */
int project_marker_remove(const struct project *p);
bool project_marker_exists(const struct project *p);

#endif
