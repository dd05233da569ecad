/* SPDX-License-Identifier: MIT */
/*
 * proc.h: running other programs. Always argv (execvp, never a shell),
 * always with a timeout, stdin from /dev/null unless given, stdout and
 * stderr captured. The child gets no descriptor of ours (everything we open
 * is O_CLOEXEC).
 */
#ifndef AU_PROC_H
#define AU_PROC_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct proc_result {
	int status;     /* exit status when exited, else -1 */
	int signal;     /* terminating signal, else 0 */
	bool timed_out; /* killed because the timeout passed */
	bool not_found; /* the program could not be executed (ENOENT) */
	struct buf out; /* captured stdout */
	struct buf err; /* captured stderr */
};

struct proc_opts {
	const char *cwd;        /* NULL: ours */
	const char *const *env; /* extra "K=V" entries, NULL-terminated; may be NULL */
	const char *input;      /* written to stdin; NULL: /dev/null */
	size_t input_len;
	long timeout_ms; /* 0: 30 s */
};

/*
 * Runs argv[0] (searched in PATH) with argv. Returns 0 when it ran (look at
 * r->status), -1 when it could not be started at all (r->not_found set when
 * the program does not exist). r must be released with proc_result_release.
 */
int proc_run(const char *const *argv, const struct proc_opts *opts, struct proc_result *r);
void proc_result_release(struct proc_result *r);

/* One program for proc_run_all. */
struct proc_call {
	const char *const *argv;
	const struct proc_opts *opts; /* may be NULL */
	struct proc_result r;         /* out: as proc_run's; release it */
	int ret;                      /* out: proc_run's return value */
	int err;                      /* out: errno when ret is -1 */
};
/*
 * Runs the n programs at the same time, each as proc_run would, and
 * returns once every one has ended (or been killed at its timeout).
 */
void proc_run_all(struct proc_call *calls, size_t n);
/* True when r says the program exited 0. */
bool proc_ok(const struct proc_result *r);
/*
 * Starts argv[0] (searched in PATH) without waiting for it: stdin, stdout
 * and stderr on /dev/null. Returns its pid (reap it with proc_reap), or -1.
 * For what the caller must not block on (killing a tmux session).
 */
int proc_start(const char *const *argv);
/*
 * Reaps pid started by proc_start: 1 when it has ended (or is not our
 * child), 0 when it still runs (block false). block true waits for it.
 * *ok (may be NULL): whether it exited 0.
 */
int proc_reap(int pid, bool block, bool *ok);
/* True when the program is found in PATH (or is an executable path). */
bool proc_exists(const char *prog);
/* A one-line description of how r ended, for messages: "exit 1: <stderr line>". */
char *proc_describe(const struct proc_result *r);

#endif
