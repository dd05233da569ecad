/* SPDX-License-Identifier: MIT */
/*
 * runner.h: the small process that runs an agent inside a tmux pane. The
 * orchestrator writes a spec file (argv, env, directory, log and exit file
 * paths) and starts `automator __runner SPEC` in the pane; the runner runs
 * the agent with no shell on a terminal of its own, appends its output to
 * the log while copying it to the pane (in words, render.h, for an agent
 * that writes JSON events), ends the log with the marker and how the agent
 * ended (runner_end_text), and records that in the exit file too, so the
 * outcome survives the orchestrator dying. Then it waits, 2 s at most,
 * for its session to be killed.
 */
#ifndef AU_RUNNER_H
#define AU_RUNNER_H

#include <stdbool.h>

struct runner_spec {
	const char *const *argv; /* NULL-terminated */
	const char *const *env;  /* "K=V", NULL-terminated; may be NULL */
	const char *cwd;
	const char *log_file;  /* the agent's output is appended here */
	const char *exit_file; /* {"status":N,"signal":S,...} */
	const char *marker; /* printed after the agent ended (may be NULL): the end of its output */
	/*
	 * The agent's output format when the pane is to show it in words
	 * (render.h: "claude-stream-json", "codex-json"); NULL or "text": the
	 * pane shows the bytes as they come. The log gets the bytes either way.
	 */
	const char *render;
};

/* Writes the spec as JSON to path (atomically, 0600). Returns 0 or -1 (errno). */
int runner_write_spec(const char *path, const struct runner_spec *s);

struct runner_exit {
	int status;         /* exit status, or -1 when killed by a signal */
	int signal;         /* the signal, or 0 */
	long long ended_at; /* unix seconds */
};

/*
 * Reads an exit file. Returns 1 when it exists and is complete, 0 when it
 * does not exist yet, -1 when it is unreadable (*cause).
 */
int runner_read_exit(const char *path, struct runner_exit *out, char **cause);

/*
 * The "render" of the spec at path (newly allocated), for whoever reads the
 * session's log later; NULL when the spec is not there, not readable or
 * has none (a session spawned before the key existed).
 */
char *runner_spec_render(const char *path);
/* The directory the spec at path runs its agent in, newly allocated; NULL: unreadable. */
char *runner_spec_cwd(const char *path);

/*
 * What the runner writes after the agent ended, in one write: the marker,
 * then "automator: the agent exited with status N" or "... was killed by
 * signal N", each line ending in CRLF (newly allocated).
 */
char *runner_end_text(const char *marker, int status, int sig);
/*
 * How the agent ended, from the bytes that follow the marker in the log
 * (s[0..n)); 0, or -1 when they are not (yet) a whole end line. ended_at
 * is now.
 */
int runner_parse_end(const char *s, size_t n, struct runner_exit *out);

/* `automator __runner SPEC`: never returns to the command table. */
int runner_main(int argc, char **argv);

#endif
