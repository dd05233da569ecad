/*
 * run_int.h: the orchestrator's insides, shared by its files: run.c (the
 * loop, sessions, actions, escalations, replay) and run_wait.c (waits for
 * the agents' services, holds per agent preset, cost budgets and usage).
 * Not for other modules: they use run.h.
 */
#ifndef AU_RUN_INT_H
#define AU_RUN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "fsm.h"
#include "judge.h"
#include "project.h"
#include "run.h"
#include "runner.h"
#include "store.h"
#include "tmx.h"
#include "util.h"
#include "verify.h"

struct run_hold {
	char *agent;
	long long until; /* unix seconds */
	long long since; /* when the limit was first met */
	enum wait_reason reason;
};

struct session {
	int64_t id;
	char *name;
	char *log_path;
	char *exit_path;
	char *spec_path;
	char *marker; /* MARKER_PREFIX nonce BEL */
	int fd;
	int64_t offset;
	struct judge *judge;
	long long started_ms, last_output_ms, exit_seen_ms, checked_ms;
	bool exited, ended, marker_seen, waiting_reported;
	struct runner_exit exit;
	struct buf pending;     /* bytes that may be the start of the marker */
	unsigned progress_seen; /* judge_progress_count at progress_ms */
	long long progress_ms;  /* when the agent last did something other than retry */
};

struct rstory {
	const struct story *cfg;
	int state;
	/*
	 * Not a story of this run: not selected when it started (--stories,
	 * --epic), or not recorded in it (resume). SKIPPED, and left out of
	 * the summary and the exit status.
	 */
	bool outside;
	int step_index, attempt, cycle, retries_used, crash_retries_used;
	char *base_commit;
	struct strvec snapshot;
	const char *agent; /* current agent preset name */
	struct session *sess;
	int64_t pending_seq;
	int last_event;
	int backoffs; /* network waits in a row, for the backoff */
	/* waiting for the agent's service (state WAITING; run_wait.c) */
	long long wait_until; /* unix seconds; 0: not waiting */
	long long wait_since; /* waiting without progress since (unix seconds) */
	enum wait_reason wait_reason;
	bool held;               /* the wait is another story's limit on its agent */
	double budget;           /* the story's raised cost budget; 0: the sprint's */
	struct store_usage used; /* what its sessions reported, summed */
	char *note;              /* the last escalation or error, for status */
	/* the story's open escalation (0: none) */
	int64_t esc_id;
	const struct trigger *esc;
	bool esc_critical;
	char *esc_msg; /* rendered message, to show it again */
};

struct run {
	struct sprint *sp;
	struct project pj;
	struct store *st;
	struct tmx tmx;
	char *id;
	char *logdir;
	char *status_file; /* absolute, or NULL */
	int state;
	int64_t pending_seq;
	struct rstory *s;
	size_t n;
	struct fsm_queue q;
	struct run_opts opts;
	int max_parallel;
	int cur; /* the story whose guard or action runs; -1: the run */
	long long started_wall;
	long long last_heartbeat;
	bool tty, color;
	int live_lines;    /* lines of the live block on screen */
	long long live_at; /* when it was last drawn */
	int exit_code;
	bool fatal;
	/* answering */
	bool interactive;                /* prompts on the terminal (stdin is one, no --no-input) */
	bool stdin_eof;                  /* stdin ended: nobody is there to answer */
	int64_t prompting;               /* the escalation the prompt asks about (0: none) */
	bool want_reply;                 /* the next line is the reply text */
	char *pending_choice;            /* the send_reply option waiting for its text */
	struct buf inbuf;                /* a partial line from stdin */
	bool human_pause;                /* a decision said "pause" */
	long long polled_ms;             /* last look for answers from other terminals */
	long long stale_ms;              /* last look for stale escalations */
	char *notify_log;                /* .automator/escalations.jsonl */
	struct verify_contract contract; /* the sprint's review contract */
	bool has_contract;
	bool parallel_ok; /* the human said parallel stories of an epic are fine */
	/* holds: no new session of an agent preset before its limit resets (run_wait.c) */
	struct run_hold *holds;
	size_t nholds, holds_cap;
};

/* run.c */
/*
 * Fault injection for the resume tests: when $AUTOMATOR_CRASH_AT names this
 * point, the process kills itself with SIGKILL right here.
 */
void run__crash_point(const char *name);
void run__say(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct rstory *run__cur(struct run *r);
const struct step *run__cur_step(struct run *r, const struct rstory *s);
int run__story_index(struct run *r, const struct rstory *s);
void run__queue(struct run *r, int target, int event);
/* The ENTER event of the story's current step, or STEPS_DONE. */
void run__queue_step(struct run *r, struct rstory *s);
/* Sends the notification routes of severity sev about s (a wait, a budget). */
void run__notify(struct run *r, const struct rstory *s, const char *title, const char *text);

/* run_wait.c: actions and guards */
int run__a_wait(void *ctx);
int run__a_backoff_retry(void *ctx);
int run__a_resume_step(void *ctx);
int run__a_raise_budget(void *ctx);
bool run__g_wait_left(void *ctx);
/*
 * The monitor's verdict of a WAIT or NETWORK session: records what the
 * story waits for (from the judge) so that SA_WAIT can act on it.
 */
void run__wait_from_judge(struct run *r, struct rstory *s, const struct judge *j);
/*
 * Before a session of s starts: true (and the event queued) when its agent
 * preset is held (SE_WAIT) or a cost budget is spent (SE_OVER_BUDGET).
 */
bool run__session_blocked(struct run *r, struct rstory *s);
/* Scheduler: queues WAIT_OVER for stories whose wait ended (they kept their slot). */
void run__waits_due(struct run *r);
/* A limit holds agent: no session of it may start now. */
bool run__agent_held(struct run *r, const char *agent);
/* After a session ended: its usage, recorded and added to the story's. */
void run__usage_record(struct run *r, struct rstory *s, const struct session *ss,
		       long long wall_ms);
/* Rebuilds waits, holds, budgets and usage from the store (resume). */
void run__waits_restore(struct run *r);
/* "waits until 10:57 UTC (usage-limit)" for the display; "" when s does not wait. */
char *run__wait_text(const struct rstory *s);
/* "$0.0123, 1200 in / 340 out tokens, 3 turns" of s's usage so far. */
char *run__usage_text(const struct store_usage *u);
void run__holds_free(struct run *r);
/* "2026-12-03T10:57:00Z" (or with milliseconds) as unix seconds; 0 when not a time. */
long long run__iso_time(const char *iso);

#endif
