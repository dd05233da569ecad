/* SPDX-License-Identifier: MIT */
/*
 * notify.h: telling the human that an escalation needs a decision, on the
 * routes a sprint's notify: config lists for the escalation's severity
 * (log, bell, tmux, desktop, command). Sending never aborts and never exits:
 * a route that fails is counted and described, and the others still run.
 */
#ifndef AU_NOTIFY_H
#define AU_NOTIFY_H

#include <stdint.h>

#include "config.h"
#include "tmx.h"
#include "util.h"

/* One escalation, as sent. Every pointer is borrowed. */
struct notify_event {
	int64_t id; /* the escalation's id (automator answer ID) */
	const char *run_id;
	const char *project_root; /* the command route runs here; NULL: our directory */
	const char *story;        /* NULL: the escalation is about the run */
	const char *step;
	const char *trigger; /* trigger key, e.g. "git-commit-failure" */
	const char *title;
	const char *category; /* "CRITICAL" | "PREFERENCE" */
	const char *message;  /* rendered, may span lines */
	enum severity severity;
	int reescalation; /* 0 the first time, n for the n-th stale re-send */
	const char *at;   /* ISO 8601 UTC, e.g. "2024-05-01T12:00:00Z" */
};

/* Where the routes go. Every pointer is borrowed. */
struct notify_ctx {
	const struct notify_cfg *cfg;
	const char *log_path; /* JSON lines file, e.g. .automator/escalations.jsonl */
	struct tmx *tmx;      /* NULL: the tmux route does nothing */
	int bell_fd;          /* a terminal for the bell, or -1: the bell route does nothing */
	struct buf *errors;   /* NULL, or where failures are appended, one line each */
};

/*
 * Sends e on every route cx->cfg->routes[e->severity] lists, in the order
 * log, bell, tmux, desktop, command, and returns how many of them failed
 * (0 when all went out). A failure is appended to cx->errors as one line,
 * "escalation ID: ROUTE route: what went wrong\n"; it does not stop the
 * other routes.
 *
 * - log: one compact JSON object on one line, appended to cx->log_path
 *   (created 0600, never truncated) with a single write(2), so lines from
 *   concurrent processes never interleave. Fields: id, run, story (null for
 *   the run), step, trigger, title, category, severity, message,
 *   reescalation, at, and routes: the names of the routes attempted for this
 *   event (those configured, minus bell without a bell_fd, tmux without a
 *   tmx and desktop without notify-send). Invalid UTF-8 is replaced by
 *   U+FFFD.
 * - bell: "\a" written to cx->bell_fd.
 * - tmux: a one-line banner on the clients attached to cx->tmx:
 *   "automator: DECISION NEEDED (SEVERITY) story S: TITLE — automator answer ID"
 *   ("run R" instead of "story S" for the run).
 * - desktop: notify-send --app-name=automator --urgency=low|normal|critical
 *   (MEDIUM, HIGH, CRITICAL) SUMMARY BODY, 5 s timeout; skipped, and not a
 *   failure, when notify-send is not in PATH.
 * - command: cfg->command as argv (never a shell), in e->project_root, 10 s
 *   timeout, with AUTOMATOR_ESCALATION_ID, _SEVERITY, _TRIGGER, _STORY
 *   (empty for the run), _MESSAGE, _CATEGORY and _RUN added to our
 *   environment. A missing program, a non-zero exit, a signal or a timeout
 *   is a failure.
 */
int notify_send(const struct notify_ctx *cx, const struct notify_event *e);

/* "MEDIUM", "HIGH", "CRITICAL"; "?" for a value outside the enum. Static. */
const char *severity_name(enum severity s);
/* The next severity up: MEDIUM → HIGH → CRITICAL → CRITICAL. */
enum severity severity_bump(enum severity s);
/*
 * Parses a severity name (any case). Returns 0, or -1 for anything else;
 * *out untouched on failure.
 */
int severity_parse(const char *name, enum severity *out);

#endif
