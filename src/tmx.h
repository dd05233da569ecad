/* SPDX-License-Identifier: MIT */
/*
 * tmx.h: the tmux adapter. Every call is an argv exec of tmux with a
 * timeout, on a private server (-L SOCKET -f /dev/null), never the user's
 * default server. Nothing from a sprint reaches tmux's command parser:
 * the agent's argv, env and directory travel in a spec file read by the
 * runner (runner.h); tmux only sees the runner's path and the spec path.
 */
#ifndef AU_TMX_H
#define AU_TMX_H

#include <stdbool.h>

#include "util.h"

struct tmx {
	char *socket;    /* -L name */
	long timeout_ms; /* per tmux call */
};

/* socket is copied. */
void tmx_init(struct tmx *t, const char *socket);
void tmx_release(struct tmx *t);
/* True when the tmux program is in PATH. */
bool tmx_available(void);

/*
 * A session name safe for tmux targets: characters outside [A-Za-z0-9_-]
 * become '_'. Newly allocated.
 */
char *tmx_session_name(const char *slug, const char *story, const char *step, int attempt);

struct tmx_spawn {
	const char *name;        /* session name (tmx_session_name) */
	const char *const *argv; /* what the pane runs (the runner and its spec path) */
	const char *const *env;  /* "K=V" set in the session's environment; may be NULL */
};

/*
 * Starts a detached session running argv with remain-on-exit on, in one
 * tmux invocation (so an instant exit still leaves its status; the runner
 * writes the session's log itself). The same invocation sets the server's
 * exit-empty off: from then on the server outlives its last session (give
 * it back with tmx_server_done). A try that meets a server exiting or gone
 * is retried (up to 5 tries, about 300 ms in all); a retry never makes a
 * second session. Returns 0, or -1 with *cause.
 */
int tmx_spawn(struct tmx *t, const struct tmx_spawn *s, int *pane_pid, char **cause);
/*
 * The run's process is done with the server: exit-empty on again (tmux's
 * default), so the server exits at once when it has no session left, else
 * when its last session goes. No server running is success.
 */
int tmx_server_done(struct tmx *t);
/*
 * True when tmux's stderr says the server was exiting or went away under
 * the client ("server exited unexpectedly", "lost server", ...): worth
 * another try. A connect error that lasts (name too long, permission) is
 * not.
 */
bool tmx_server_went_away(const char *err);
/* 1 when the session exists, 0 when not, -1 when tmux failed (*cause). */
int tmx_has_session(struct tmx *t, const char *name, char **cause);
/*
 * Pane state: *dead, and when dead its exit *status (or *signal). Returns
 * 0, or -1 with *cause (no such session, tmux failed).
 */
int tmx_pane_state(struct tmx *t, const char *name, bool *dead, int *status, int *signal,
		   char **cause);
/* Kills the session; a session already gone is success. */
int tmx_kill_session(struct tmx *t, const char *name, char **cause);
/*
 * Starts killing the n sessions without waiting, in one tmux client:
 * returns its pid (reap it with proc_reap), or -1 when it could not be
 * started. tmux stops at the first session that is not there: a client
 * that failed may have left later ones alive (kill those one by one).
 */
int tmx_kill_sessions_start(struct tmx *t, char *const *names, size_t n);
/*
 * The pid of the process the session's pane runs: 0 and *pid set while it
 * runs, 1 when the pane is dead (*pid 0), -1 with *cause when tmux failed
 * or there is no such session.
 */
int tmx_pane_pid(struct tmx *t, const char *name, int *pid, char **cause);
/* Kills the private server; a server not running is success. */
int tmx_kill_server(struct tmx *t);
/*
 * Types text into the pane, then Enter when enter is set: one line with
 * send-keys -l, several through a paste buffer.
 */
int tmx_send_text(struct tmx *t, const char *name, const char *text, bool enter, char **cause);
/* The pane's whole history and screen as text (capture-pane -p -S -). */
int tmx_capture(struct tmx *t, const char *name, struct buf *out, char **cause);
/* Names of the server's sessions starting with prefix. */
int tmx_list_sessions(struct tmx *t, const char *prefix, struct strvec *out, char **cause);
/* Shows text on every client attached to the server (display-message). */
int tmx_banner(struct tmx *t, const char *text);

#endif
