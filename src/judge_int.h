/* SPDX-License-Identifier: MIT */
/*
 * judge_int.h: the judge's insides, shared by judge.c (lines and patterns),
 * judge_feed.c (bytes to lines),
 * judge_events.c (the agents' JSON events) and judge_verdict.c (the
 * decision and what callers read of it). Not for other modules: they use
 * judge.h.
 */
#ifndef AU_JUDGE_INT_H
#define AU_JUDGE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "ansi.h"
#include "judge.h"
#include "util.h"

/* Longest excerpt of output quoted in a reason (bytes, before "..."). */
#define EXCERPT_MAX 200
/* Longest text kept of the agent's last words or last error. */
#define SAID_MAX 1200

enum judge_format { FMT_TEXT, FMT_CLAUDE, FMT_CODEX };

/* Where a line of text came from (judge.h: plain, model and error text). */
enum judge_src { SRC_PLAIN, SRC_MODEL, SRC_ERROR };

/* The first line that matched a list, or the first event of a kind. */
struct judge_hit {
	bool seen;
	char *pattern; /* pattern source (excerpt), NULL for events */
	char *text;    /* excerpt of the line or message */
};

/*
 * A class the agent's own fields gave the session (first of each kind
 * wins): verdict JV_WAIT, JV_UNAVAILABLE or JV_NETWORK, with the wait
 * reason and the text that said so.
 */
struct judge_class {
	enum judge_verdict v; /* JV_FAILURE: none */
	enum wait_reason reason;
	char *why;
};

struct judge {
	struct judge_cfg cfg;
	enum judge_format fmt;

	/* line assembly */
	char line[JUDGE_LINE_MAX + 1]; /* the current line, stripped, NUL-terminated */
	size_t len;
	struct ansi ansi; /* the escape sequence under way */
	bool pending_cr;  /* a \r was seen: the next visible byte starts the line over */
	bool split;       /* the current line has been judged in pieces */
	bool opaque;      /* ... and it is an overlong JSON event: not judged */
	size_t bytes;
	bool finished;

	/* what was seen */
	struct buf last;  /* last complete line with visible text */
	bool prompt_last; /* ... and it matched a prompt_wait pattern */
	struct judge_hit step_failure, agent_failure;
	struct judge_hit step_success, agent_success;
	struct judge_hit rate_limit, usage_limit, overloaded, server_error;
	struct judge_hit network, unavailable;
	struct judge_hit agent_error;   /* Claude error result, Codex turn.failed */
	struct judge_hit codex_pending; /* Codex error event without turn.completed yet */

	/* the agents' own fields (judge_events.c) */
	struct judge_class field; /* from an error category or an API status */
	struct judge_class retry; /* the last retry's error */
	long long resets_at;      /* a rejected rate_limit_event's resetsAt */
	bool retrying;            /* the last sign of life was a retry */
	unsigned progress;        /* events and lines that were not retries */
	struct judge_usage usage;
	struct strvec denials;
	struct buf said, error_text;

	/* decided by judge_finish */
	enum wait_reason wait;

	char *result_json;    /* last valid AUTOMATOR_RESULT, compact */
	char *result_status;  /* its "status" when a string */
	char *result_invalid; /* why the last invalid one was refused */
};

/* judge.c */
char *judge__excerpt(const char *s, size_t n);
bool judge__visible(const char *s, size_t n);
void judge__hit_release(struct judge_hit *h);
/* Text that may hold several lines (from a JSON string). */
void judge__block(struct judge *j, const char *text, enum judge_src src);
/*
 * True when s[0..n) matches the agent's retrying patterns; the retry's class
 * is then that of the text (the agent's other pattern lists).
 */
bool judge__retry_text(struct judge *j, const char *s, size_t n);
/* Records the first fatal agent error (reason "<what>: <first line of text>"). */
void judge__agent_error(struct judge_hit *h, const char *what, const char *text);

/* Ends the stream: the unterminated tail is judged as a last line (once). */
void judge__flush(struct judge *j);
/* judge.c: judges the line in j->line[0..n) (piece: a part of an overlong line). */
void judge__line_emit(struct judge *j, size_t n, bool piece);

/* judge_events.c */
/* Judges s[0..n) as a JSON event; false when it is not a JSON object. */
bool judge__event(struct judge *j, const char *s, size_t n);
/* Sets c (when not set yet) to verdict v with reason w, why "<what>: text". */
void judge__classify(struct judge_class *c, enum judge_verdict v, enum wait_reason w,
		     const char *what, const char *text);
void judge__class_release(struct judge_class *c);

#endif
