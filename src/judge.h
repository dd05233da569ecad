/* SPDX-License-Identifier: MIT */
/*
 * judge.h: judging one agent session from its output. Pure: the caller reads
 * the session's log and feeds the bytes; the judge assembles lines, strips
 * terminal escapes, matches each complete line once against the precompiled
 * patterns, tracks the AUTOMATOR_RESULT line and, after the process ended,
 * says how the session went as one verdict (a story machine event).
 *
 * Output formats (struct judge_cfg.output):
 *   "text"                every line is the agent's output.
 *   "claude-stream-json"  Claude Code, `claude -p ... --output-format
 *                         stream-json --verbose`: one JSON event a line.
 *   "codex-json"          Codex, `codex exec --json`: one JSON event a line.
 * In the JSON formats a line that is not a JSON object is judged as text
 * (stderr chatter shares the pane). The event shapes read are listed in
 * judge.c. Text found in events is of two kinds:
 *   model text  Claude assistant text blocks (not synthetic), the text of a
 *               result event that is not an error, Codex agent_message items.
 *               Judged for AUTOMATOR_RESULT and the success, failure and
 *               prompt_wait patterns.
 *   error text  a Claude result event that is an error, a synthetic Claude
 *               assistant message (written by the CLI, not the model), Codex
 *               error events, turn.failed and error items. Judged for the
 *               rate_limit and unavailable patterns only.
 * Plain lines (text format, or non-JSON lines) are judged for all of them.
 * So a model that writes about rate limiting is never taken for a rate-limited
 * session; a CLI that says "not logged in" is.
 *
 * The agent's own machine fields come first (judge_events.c): a Claude
 * assistant message's "error" category, the result's is_error,
 * api_error_status and permission_denials, rate_limit_event and api_retry
 * events; Codex error, turn.failed, turn.completed and declined commands.
 * Pattern lists (data/agents.yaml) are the fallback and serve text agents.
 *
 * Verdict, decided by judge_finish in this order (first that applies). The
 * exit is clean when the status is 0, there was no signal and the agent
 * reported no fatal error event (a Claude result with is_error true or an
 * error subtype, a Codex turn.failed, a Codex error event not followed by
 * turn.completed).
 *   1. exit 126 or 127 (the agent's program could not be run): UNAVAILABLE
 *   2. not clean, and the agent's fields or an unavailable pattern say a
 *      human must act (login, billing, plan, account, key): UNAVAILABLE
 *   3. not clean, and the fields or a usage_limit, rate_limit, overloaded or
 *      server_error pattern say the service asks to wait: WAIT
 *   4. not clean, and the fields or a network pattern say the service could
 *      not be reached: NETWORK
 *   5. not clean, and the agent was still retrying (api_retry events, a
 *      retrying pattern) when it ended: the class of its last retry error
 *   6. a failure pattern matched (the step's, then the agent's), or the agent
 *      reported a fatal error event: FAILURE
 *   7. a valid AUTOMATOR_RESULT line (the last one wins): FAILURE when its
 *      "status" is failed, failure or error (any case); else, with exit 0
 *      and no signal: RESULT
 *   8. a success pattern matched (step or agent) and exit 0: SUCCESS
 *   9. a non-zero exit or a signal: EXITED
 *  10. exit 0: NO_RESULT when the step expects a result, else SUCCESS
 * A RESULT or SUCCESS of a session whose agent was denied tools (Claude
 * permission_denials, Codex declined commands) becomes DENIED.
 * This puts failure patterns before the result line (the design's "judging
 * a session" lists the result line first; the order wins).
 */
#ifndef AU_JUDGE_H
#define AU_JUDGE_H

#include <stdbool.h>
#include <stddef.h>

struct agent;
struct patlist;
struct step;
struct strvec;

/* Longest line judged; a longer line is judged in pieces of this size. */
#define JUDGE_LINE_MAX 65536

enum judge_verdict {
	JV_RESULT,      /* a valid AUTOMATOR_RESULT, exit 0 */
	JV_SUCCESS,     /* a success pattern, or exit 0 when nothing is expected */
	JV_FAILURE,     /* a failure pattern, an agent error, a result with a failed status */
	JV_NO_RESULT,   /* exit 0 without the result the step expects */
	JV_EXITED,      /* non-zero exit or a signal, nothing more specific */
	JV_WAIT,        /* the service asks to wait: usage or rate limit, overload, 5xx */
	JV_UNAVAILABLE, /* a human must act: login, billing, plan, a missing program */
	JV_NETWORK,     /* the agent could not reach its service */
	JV_DENIED,      /* it succeeded, but the agent was denied tools */
};

/* Why a session waits (status --json waiting_reason). */
#define WAIT_REASONS(X)                 \
	X(NONE, "none")                 \
	X(USAGE_LIMIT, "usage-limit")   \
	X(RATE_LIMIT, "rate-limit")     \
	X(OVERLOADED, "overloaded")     \
	X(SERVER_ERROR, "server-error") \
	X(NETWORK, "network")           \
	X(COOLDOWN, "restart-cooldown")
#define X_WAIT_ENUM(n, s) WAIT_##n,
enum wait_reason { WAIT_REASONS(X_WAIT_ENUM) WAIT__COUNT };
#undef X_WAIT_ENUM
/* "usage-limit", ...; "none" for WAIT_NONE. */
const char *wait_reason_name(enum wait_reason w);
/* The reason named s, or WAIT_NONE. */
enum wait_reason wait_reason_from_name(const char *s);

/* What the agent reported it used (all zero when it reported nothing). */
struct judge_usage {
	bool seen;     /* any of it was reported */
	bool has_cost; /* cost_usd was reported (Claude's total_cost_usd) */
	double cost_usd;
	long long input_tokens, output_tokens, cache_read_tokens, cache_write_tokens;
	int turns;
	long long duration_ms; /* as the agent reported it; 0: not reported */
};

/*
 * What to judge against. Every pointer is borrowed and must outlive the
 * judge; any of them may be NULL (no patterns, no required keys, "text").
 */
struct judge_cfg {
	const struct patlist *step_success;
	const struct patlist *step_failure;
	const struct patlist *step_prompt_wait;
	const struct patlist *agent_success;
	const struct patlist *agent_failure;
	const struct patlist *agent_prompt_wait;
	const struct patlist *agent_rate_limit;
	const struct patlist *agent_usage_limit;
	const struct patlist *agent_overloaded;
	const struct patlist *agent_server_error;
	const struct patlist *agent_network;
	const struct patlist *agent_retrying;
	const struct patlist *agent_unavailable;
	const struct strvec *result_keys; /* required keys of the AUTOMATOR_RESULT object */
	bool expects_result;              /* the step has a result schema or success patterns */
	const char *output;               /* "text", "claude-stream-json", "codex-json" */
};

/*
 * Fills *cfg from a step and its agent (either may be NULL): their pattern
 * lists, the step's result keys, expects_result when the step has result keys
 * or success patterns, and the agent's output format. *cfg borrows from both.
 */
void judge_cfg_init(struct judge_cfg *cfg, const struct step *step, const struct agent *agent);

/* Returns a new judge (never NULL); *cfg is copied, what it points to is not. */
struct judge *judge_new(const struct judge_cfg *cfg);
/* NULL is a no-op. */
void judge_free(struct judge *j);

/*
 * Feeds the next len bytes of output, cut anywhere (inside a line, an escape
 * sequence or a UTF-8 sequence). Each line is judged once, when its newline
 * arrives. Ignored after judge_finish.
 */
void judge_feed(struct judge *j, const char *data, size_t len);

/*
 * Live queries while the session runs. A returned string is owned by the
 * judge and valid until the next judge_feed, judge_finish or judge_free.
 */

/*
 * The last line with visible text, escapes stripped: the unterminated tail
 * when it is plain text, else the last complete line (in the JSON formats:
 * the last plain or model text line). "" before any.
 */
const char *judge_last_line(const struct judge *j);
/* A rate_limit pattern has matched a plain or error text line. */
bool judge_seen_rate_limit(const struct judge *j);
/* An unavailable pattern has matched a plain or error text line. */
bool judge_seen_unavailable(const struct judge *j);
/*
 * The agent is retrying: its last sign of life was a retry (a Claude
 * api_retry event, a Codex "Reconnecting..." error event, a retrying
 * pattern), not work. Counts of both kinds, for the caller's patience clock.
 */
bool judge_retrying(const struct judge *j);
unsigned judge_progress_count(const struct judge *j);
/*
 * The output ends in a prompt: the unterminated tail, or when it has no
 * visible text the last complete line with visible text, matches a
 * prompt_wait pattern (the step's, then the agent's). Escape sequences and
 * blank lines after it change nothing; anything visible does. The caller adds
 * the idle-time condition.
 */
bool judge_prompt_waiting(const struct judge *j);
/* Bytes fed so far. */
size_t judge_bytes(const struct judge *j);

/*
 * Judges the ended session: flushes the unterminated tail as a last line,
 * then decides (order above). exit_status is the exit code, or -1 with
 * exit_signal > 0 when a signal ended the process (-1 and 0: unknown, not
 * clean). *reason is set to a newly allocated lowercase line saying why (the
 * caller frees it), e.g. "failure pattern 'error:' matched: error: build
 * failed", "exit 2", "killed by signal 9", "no AUTOMATOR_RESULT line"; reason
 * may be NULL when not wanted. Calling it again re-decides with the given
 * exit.
 */
enum judge_verdict judge_finish(struct judge *j, int exit_status, int exit_signal, char **reason);

/* The last valid AUTOMATOR_RESULT object as compact JSON text, or NULL. */
const char *judge_result_json(const struct judge *j);
/* Its "status" member when that is a string, or NULL. */
const char *judge_result_status(const struct judge *j);
/*
 * Why the last invalid AUTOMATOR_RESULT line was refused ("missing key
 * 'summary'", "bad json: ..."), or NULL when there was none.
 */
const char *judge_result_invalid(const struct judge *j);

/*
 * After judge_finish: why a WAIT or NETWORK verdict waits (WAIT_NONE for
 * other verdicts).
 */
enum wait_reason judge_wait_reason(const struct judge *j);
/*
 * When the limit resets (unix seconds): the agent's rate_limit_event
 * resetsAt, else a time read from its limit message (resettime.h) relative
 * to now; 0 when it said nothing.
 */
long long judge_reset_at(const struct judge *j, long long now);
/* Usage the agent reported (Claude result, Codex turn.completed events). */
const struct judge_usage *judge_usage(const struct judge *j);
/* Tools the agent was denied, as "Bash: ./tests/check.sh" lines. */
const struct strvec *judge_denials(const struct judge *j);
/*
 * What a human should read: the agent's last words (model text) and its last
 * error text, never raw JSON. "" when there were none. Owned by the judge.
 */
const char *judge_said(const struct judge *j);
const char *judge_error_text(const struct judge *j);

/* "result", "success", ...: stable names for logs and tests. */
const char *judge_verdict_name(enum judge_verdict v);

#endif
