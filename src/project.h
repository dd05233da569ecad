/* SPDX-License-Identifier: MIT */
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
/* The same with the slug known (from a marker). */
void project_init_slug(struct project *p, const char *root, const char *slug);
/* The hash of root that ends every slug of it ("1a2b3c"), newly allocated. */
char *project_root_hash(const char *root);
void project_release(struct project *p);
/*
 * Creates .automator/ (0700) and its logs/ directory and lists .automator/
 * in .git/info/exclude. Returns 0, or -1 with *cause.
 */
int project_prepare(struct project *p, char **cause);
/*
 * Takes the project lock (a POSIX record lock on .automator/lock: this
 * process's alone, never a forked child's; O_CLOEXEC) and writes our pid
 * into it. Returns 0; 1 when another live process holds it (*holder gets
 * its pid, or 0 when unknown); -1 (*cause).
 */
int project_lock(struct project *p, long *holder, char **cause);
void project_unlock(struct project *p);
/*
 * The root of the project holding an automator state database: the
 * nearest directory at or above the current one with .automator/state.db.
 * Newly allocated, or NULL when there is none.
 */
char *project_find_state(void);
/* The log directory of a run, newly allocated: dir/logs/RUN. */
char *project_logdir(const struct project *p, const char *run_id);
/* dir/wake: the FIFO a live run reads; newly allocated. */
char *project_wake_path(const struct project *p);
/*
 * Wakes the project's live run (an answer was recorded, an abort): one
 * byte into its FIFO. Nothing happens when no run listens.
 */
void project_wake(const struct project *p);

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
/*
 * Reads and checks the marker. Returns 0 with *m filled, its strings newly
 * allocated (release them with project_marker_clear()); 1 when there is no
 * marker; -1 when it cannot be read or is corrupt: not JSON, not an object,
 * a required field missing or of the wrong type, a time that is not ISO
 * 8601, a pid that is not positive (*cause says which, lowercase, e.g.
 * "field 'pid' is not an integer"). *m is untouched unless 0 is returned.
 * epic may be a string, an integer (read as its decimal string) or null;
 * currentStory a string or null; both may be missing (NULL).
 */
int project_marker_read(const struct project *p, struct marker *m, char **cause);
/* Frees the strings of a marker filled by project_marker_read() and zeroes it. */
void project_marker_clear(struct marker *m);

/* A marker whose pid is dead and heartbeat is this old is stale (DESIGN section 5). */
#define MARKER_STALE_SECONDS (30 * 60)

/*
 * `automator abort` stopping a live run: .automator/aborting (holding the
 * abort's pid) is written before it signals the run (on) and removed once
 * it holds the project (off). project_abort_noted: that pid, or 0.
 */
void project_abort_note(const struct project *p, bool on);
long project_abort_noted(const struct project *p);
/*
 * Whether pid is a live automator process (the run's, as journaled): it
 * exists and, where /proc tells, runs a program named automator.
 */
bool project_run_alive(long pid);
/*
 * Whether the marker still stands for a live run: its pid is alive
 * (kill(pid, 0) succeeds or fails with EPERM) or its heartbeat is younger
 * than MARKER_STALE_SECONDS at now (unix seconds, e.g. clock_wall()).
 * *pid_alive, when not NULL, gets the pid check alone.
 */
bool project_marker_fresh(const struct marker *m, long long now, bool *pid_alive);

/*
 * Finds a project root: given (--project-root) when not NULL, else
 * $PROJECT_ROOT when set and not empty, else the nearest directory at or
 * above the current one holding _bmad-output/, .automator/ or .git (a
 * directory, or a file as in a git worktree). Returns 0 with *out the
 * resolved absolute path (newly allocated), or -1 with *cause (newly
 * allocated), e.g. when the given directory does not exist or the search
 * reaches / without a match; *out untouched on failure.
 */
int project_find_root(const char *given, char **out, char **cause);
/*
 * The default project name for root, newly allocated: its base name, or
 * "project" for "/" (the rule the sprint loader uses without 'project:').
 */
char *project_root_name(const char *root);

/* The most bytes of the project name a slug (socket, session names) keeps. */
#define PROJECT_SLUG_NAME_MAX 24

#endif
