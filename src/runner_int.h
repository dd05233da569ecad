/* SPDX-License-Identifier: MIT */
/*
 * runner_int.h: between the runner (runner.c: spec, exit record) and its
 * terminal relay (runner_relay.c: the agent's pseudo-terminal, the log).
 */
#ifndef AU_RUNNER_INT_H
#define AU_RUNNER_INT_H

#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

#include "util.h"

struct render;

struct relay {
	int log_fd;   /* the session log, appended to */
	int out_fd;   /* the agent's output: its terminal's master side, or a pipe */
	int in_fd;    /* what is typed into the pane, for the agent; -1: it reads the pane */
	bool pane_ok; /* the pane is there to copy output to */
	bool restore; /* the pane's modes are saved (it is raw while the agent runs) */
	bool kill_armed;
	struct render *render; /* the pane shows the output through it; NULL: as it comes */
	struct termios saved;
	pid_t child;
	struct buf pane;       /* output for the pane not yet written (relay_pane) */
	long long pane_due_ms; /* when it is written at the latest */
	long long typed_ms;    /* when the pane last had input for the agent */
};

/*
 * Starts argv in cwd with env added, on a terminal of its own whose modes
 * and size are the pane's. Returns 0, or -1 (errno) with nothing started.
 */
int relay_spawn(struct relay *rl, const char *cwd, char **argv, char **env);

/*
 * Copies the agent's output to the log and the pane (rendered when
 * rl->render is set, the log always raw) and the pane's input to the
 * agent until the agent has ended and its output is read; hang-ups and
 * terminations go on to the agent. Returns its wait status.
 */
int relay_run(struct relay *rl);

/*
 * Waits until the pane is killed (SIGHUP, SIGTERM) or seconds have passed:
 * the pane's end (the runner's exit, tmux's bookkeeping for the dead pane)
 * comes when the orchestrator has journaled its verdict and kills it, not
 * while it is still reading the ends of others. True when killed.
 */
bool relay_linger(unsigned seconds);

/*
 * After relay_run: the pane's modes back, the agent's terminal and the
 * self-pipe closed. Not before the log's end is written: the orchestrator
 * waits for that, not for this.
 */
void relay_close(struct relay *rl);

/* Writes p[0..n) to fd, whatever write(2) takes at a time; gives up on an error. */
void relay_write_all(int fd, const char *p, size_t n);

/* Writes text to the log and, while it is there, the pane. */
void relay_say(struct relay *rl, const char *text);

/*
 * Output for the pane, while it is there: written within PANE_BATCH_MS
 * (at once while someone types into the pane), so that an agent printing
 * line by line costs tmux one read per batch, not one per line. The log
 * is written as output comes, never batched.
 */
void relay_pane(struct relay *rl, const char *s, size_t n);
/* Writes what relay_pane holds now. */
void relay_pane_flush(struct relay *rl);

#endif
