/* SPDX-License-Identifier: MIT */
/*
 * run_int.h: the orchestrator's insides, shared by its files: run.c (the
 * loop, sessions, actions, escalations, replay) and run_wait.c (waits for
 * the agents' services, holds per agent preset, cost budgets and usage).
 * Not for other modules: they use run.h.
 */
#ifndef AU_RUN_INT_H
#define AU_RUN_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "bmad.h"
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
	long long idle_seen_ms; /* the first check that found it silent past idle_timeout; 0: none */
	bool forgiven;          /* PROGRESSED was queued for it */
	bool vanished;          /* gone from tmux without an exit record (server killed) */
	/* event sources (run_events.c) */
	int wd;         /* the run's watch of the log directory (-1: none, read every tick) */
	bool end_known; /* the log's end says how the agent ended: end_exit */
	struct runner_exit end_exit;
	int pid, pidfd;       /* the runner's pid (0: unknown) and its pidfd (-1: none) */
	bool output_due;      /* the log changed since it was last read */
	bool pid_dead;        /* the runner has exited (pidfd, or kill(pid, 0)) */
	bool kill_due;        /* judged: killed once the verdict is journaled */
	int64_t offset_saved; /* the log offset last written to the store */
	long long offset_saved_ms;
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
	/* isolation: worktree (run_worktree.c); NULL: the project's own tree */
	char *worktree, *branch;
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
	/* for the display: clock_now_ms when this process saw it begin, its step begin, it end; 0: not seen */
	long long began_ms, step_began_ms, ended_ms;
};

/* What an active story's agent is doing, in words (run_live.c): its log's tail rendered. */
struct run_doing {
	char *log;      /* the session log it was read from */
	long long size; /* that log's size when read */
	char *text;     /* its last line in words; NULL: none yet */
};

/* What the run prints (run_output.c) and its live block (run_live.c). */
struct run_out {
	bool ready;     /* tty, color, live and utf8 decided (run__out_init) */
	bool live;      /* the live block is drawn: a terminal that moves its cursor */
	bool utf8;      /* the terminal's characters are UTF-8 (the locale's) */
	int cols, rows; /* the terminal's size when last read */
	int *drawn;     /* the columns of each line of the live block on screen */
	size_t ndrawn, drawn_cap;
	int *next; /* the same of the block being built */
	size_t nnext, next_cap;
	struct buf shown;         /* the block on screen, its lines as drawn */
	int shown_cols;           /* the width it was drawn for */
	unsigned long long hash;  /* of the block on screen with its width */
	unsigned long long shape; /* of the stories' states and steps it shows */
	long long at;             /* when it was last drawn (clock_now_ms) */
	long long began;          /* when this process began the run (clock_now_ms) */
	struct run_doing *doing;  /* one per story, or NULL */
};

struct run_events {
	int ino;     /* inotify: the session logs (-1 when missing: read every TICK_MS) */
	int ino_end; /* inotify: the logs' closes, the runners' ends (always read) */
	int log_wd, log_wd_end; /* their watches of the log directory (-1: not yet) */
	int sig[2];             /* self-pipe written by the signal handler */
	int wake;               /* the FIFO other terminals write to after an answer (-1: none) */
	char *wake_path;
	long long output_ms; /* when inotify was last read (coalescing) */
	bool test_clock;     /* $AUTOMATOR_TEST_CLOCK: time moves without an event */
};

/* An integration's process (run_integrator.c). */
struct run_integrator {
	int pid;           /* 0: none running */
	int fd;            /* its report's pipe; -1 once read to its end */
	int story;         /* whose integration it is */
	struct buf report; /* what it wrote so far */
	int *waiting;      /* stories whose integration waits for its turn, in order */
	size_t nwaiting, cap;
};

/* The operator's agent at work, and the escalations waiting for it (run_operator.c). */
struct run_oper {
	int pid; /* 0: none running */
	int fd;  /* its answer's pipe */
	int story;
	int64_t esc_id; /* the escalation it was asked about */
	struct buf report;
	int *waiting; /* stories whose escalation waits for it, in order */
	size_t nwaiting, cap;
	long long *calls; /* when it was called (unix seconds), for max_calls_per_hour */
	size_t ncalls, calls_cap;
};

/* One tmux client killing sessions (run_events.c). */
struct kill_batch {
	int pid;
	struct strvec names;
};

struct run {
	struct sprint *sp;
	struct project pj;
	struct store *st;
	struct tmx tmx;
	char *id;
	char *logdir;
	char *status_file;              /* absolute, or NULL */
	struct bmad_status *status_doc; /* status_file parsed, for its keys (run.c) */
	struct stat status_st;          /* status_file when it was parsed */
	int state;
	int64_t pending_seq;
	struct rstory *s;
	size_t n;
	struct fsm_queue q;
	size_t verdicts_ahead; /* the first items of q are session verdicts */
	char *target;          /* isolation: worktree: the branch stories integrate into */
	bool marker_due;       /* the run marker is to be written before the loop sleeps */
	bool status_sync_due;  /* the sprint-status is to be fsynced before the loop sleeps */
	struct run_opts opts;
	int max_parallel;
	int cur; /* the story whose guard or action runs; -1: the run */
	long long started_wall;
	long long last_heartbeat;
	bool tty, color;    /* stdout is a terminal; colour is on (run__out_init) */
	struct run_out out; /* what is printed and the live block (run_output.c, run_live.c) */
	int exit_code;
	bool fatal;
	bool fatal_told; /* how to go on was printed */
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
	/* the loop (run.c, run_events.c) */
	struct run_events ev;
	size_t *active; /* stories that have a session not yet ended */
	size_t nactive, active_cap;
	struct strvec kills;     /* sessions to kill once the transition is journaled */
	long long kills_due_ms;  /* when to start them: a while after the first was asked for */
	struct kill_batch *reap; /* tmux clients killing sessions, not yet reaped */
	size_t nreap, reap_cap;
	unsigned long transitions;  /* fired so far */
	unsigned long scheduled_at; /* transitions when the scheduler last ran */
	unsigned long decided_at;   /* transitions when "needs a decision" was last asked */
	/* the integration running beside the loop, and those waiting (run_integrator.c) */
	struct run_integrator integ;
	struct run_oper oper; /* the operator (run_operator.c) */
	struct strvec *said;  /* in an integration's process: what run__say is given */
	/* holds: no new session of an agent preset before its limit resets (run_wait.c) */
	struct run_hold *holds;
	size_t nholds, holds_cap;
};

/* run.c */
void run__say(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* run__say in the colour sgr (when colour is on; NULL: none). */
void run__say_sgr(struct run *r, const char *sgr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct rstory *run__cur(struct run *r);
const struct step *run__cur_step(struct run *r, const struct rstory *s);
int run__story_index(struct run *r, const struct rstory *s);

/* run_plan.c */
struct preflight;
/* --dry-run: prints the plan (text, or JSON); returns the exit status (69: preflight errors). */
int run__plan(struct run *r, const struct preflight *pf, bool json);
void run__queue(struct run *r, int target, int event);
/* The sprint-status fsync and marker rewrite put off until the loop is idle. */
void run__idle_work(struct run *r);
/*
 * A session's verdict: ahead of other stories' follow-ups (their commits,
 * status edits), so that it is journaled first; behind its own story's.
 */
void run__queue_verdict(struct run *r, int target, int event);
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

/* ---- shared between run.c and its run_*.c files (split by responsibility) ---- */

#define TICK_MS 100
#define SETTLE_MS 3000      /* how long to wait for the end marker after the exit record */
#define PROMPT_IDLE_MS 1500 /* a prompt-looking last line this quiet means "waiting" */
#define SESSION_CHECK_MS 2000
#define OFFSET_SAVE_MS 5000 /* a session's log offset is written at most this often */
#define MARKER_PREFIX "\033]777;automator-end;"

/* run.c */
/* A SIGINT or SIGTERM arrived: stop dispatching, exit 3 (sessions keep running). */
extern volatile sig_atomic_t run__interrupted;
int run__step_retries(struct run *r, const struct step *st);
bool run__story_final(const struct rstory *s);
/*
 * The story holds a max_parallel slot. A WAITING story keeps its slot: its
 * work is half done in the shared working tree, so no other story may start
 * over it.
 */
bool run__story_busy(const struct rstory *s);
void run__fill_vars(struct run *r, const struct rstory *s, struct tvars *v, char *num[2]);
/* The story's key as sprint-status spells it, when the file lists it. */
char *run__status_key(struct run *r, const struct rstory *s);
/* Our own value edit of the sprint-status: the parsed copy stays good. */
void run__status_edited(struct run *r);
void run__drain(struct run *r);
/* The main loop: returns the exit code. */
int run__loop(struct run *r);

/* run_events.c */
#define RUN_WOKE_STDIN 1
#define RUN_WOKE_ANSWER 2
#define RUN_WOKE_CHILD 4 /* an integration or the operator reported */
/* Signals, inotify, the wake FIFO. Without inotify the logs are read every TICK_MS. */
void run__events_open(struct run *r);
void run__events_close(struct run *r);
/* s has a session to watch: it joins the active list (once). */
void run__activate(struct run *r, struct rstory *s);
/*
 * Watches ss: its log (inotify) and its runner pid (a pidfd); pid 0 asks
 * tmux for it (a re-attached session).
 */
void run__session_watch(struct run *r, struct session *ss, int pid);
/* Kills the tmux session name without waiting, after the transition being fired. */
void run__kill_session(struct run *r, const char *name);
/* Starts the kills asked for (not waiting for them) and reaps those done. */
void run__kills_start(struct run *r);
/* Starts the kills asked for and waits for all (before the process exits). */
void run__kills_wait(struct run *r);
/*
 * Waits in poll(2) until an event or deadline (clock_now_ms): marks
 * sessions with new output or a dead runner, reads the FIFO and the
 * self-pipe. Returns RUN_WOKE_* bits for the caller.
 */
int run__events_wait(struct run *r, long long deadline, bool want_stdin);

/* run_actions.c */
/* Writes the marker file: the story running, how many remain, a heartbeat. */
void run__write_marker(struct run *r);
void run__check_all_final(struct run *r);
extern const fsm_action_fn run__story_actions[SA__COUNT];
extern const struct fsm_impl run__story_impl;
extern const struct fsm_impl run__run_impl;

/* run_steps.c: the actions that run a step */
int run__a_run_session(void *ctx);
int run__a_verify_step(void *ctx);
int run__a_run_verify(void *ctx);
int run__a_run_commit(void *ctx);

/* run_answer.c */
struct rstory *run__story_of_escalation(struct run *r, int64_t id);
void run__prompt_show(struct run *r);
void run__clear_escalation(struct rstory *s);
/* Marks decision did applied; when close, the escalation is over. */
void run__decision_done(struct run *r, int64_t did, bool close);
/* Applies every answer recorded and not yet acted on (this terminal's or another's). */
void run__apply_answers(struct run *r);
/* Reads what stdin has; whole lines are answers. EOF: nobody will answer here. */
void run__read_stdin(struct run *r);
/*
 * Stale re-escalation: an open, unacknowledged escalation not notified for
 * stale_after is sent again one severity higher, at most
 * max_reescalations times (measured from the last notification).
 */
void run__check_stale(struct run *r);
/* Open escalations of the run (on resume), back on their stories. */
int run__restore_escalation(const struct store_escalation *e, void *arg);

/* run_escalate.c */
/*
 * The last n lines of a session log with terminal escapes and carriage
 * returns taken out, for messages; newly allocated ("" when unreadable).
 */
char *run__log_tail(const char *path, int n);
const struct trigger_option *run__find_option(const struct trigger *t, const char *key);
/* "1-4", "1-3, X", "1, 3": the keys a prompt accepts. */
char *run__option_range(const struct trigger *t);
/* Prints an escalation with its options and how to answer it. */
void run__show_escalation(struct run *r, const struct rstory *s);
void run__send_notification(struct run *r, const struct rstory *s, enum severity sev, int n,
			    const char *at);
/*
 * Raises trigger key for the current story: the escalation row (one open
 * per story and trigger: raising it again finds the open one), its
 * journal entry, the notification routes, and the message with its
 * numbered options. A CRITICAL one also pauses the run.
 */
void run__escalate(struct run *r, const char *key, bool critical);

/* run_monitor.c */
void run__schedule(struct run *r);
/* Looks at every active session: output, end, deadlines; leaves ended ones out. */
void run__monitor_active(struct run *r);
/* The earliest deadline of the active sessions (clock_now_ms), or LLONG_MAX. */
long long run__sessions_deadline(struct run *r);
/* True when nothing can move without a decision. */
bool run__waiting_for_decision(struct run *r);

/* run_output.c */
void run__fail_fatal(struct run *r, const char *what, char *cause);
/*
 * What a story's transition means to a person, said as a story-level
 * line (started, a step done, a review asking for changes, a retry,
 * integrated, a decision needed, done or failed with the count done).
 * Called with acted false before the transition's action runs and with
 * acted true after it; step_index, attempt and cycle are the story's
 * before the transition. Also keeps the story's clock for the display.
 */
void run__tell(struct run *r, int target, const struct fsm_row *row, int from, int event,
	       int step_index, int attempt, int cycle, bool acted);
void run__print_summary(struct run *r);
/* Lists the open escalations and how to answer them (before exit 3). */
void run__print_open_escalations(struct run *r);

/* run_output.c */
/* Prints a line above the live block, timestamped (sgr: its colour when colour is on, or NULL). */
void run__say_line(struct run *r, const char *sgr, const char *text);
/*
 * The story's commit, short (7 hex digits, newly allocated): found by its
 * trailer on the target (a rebase made it anew there) or, not integrated,
 * where the story works. NULL when there is none.
 */
char *run__story_commit(struct run *r, const struct rstory *s);

/* run_live_words.c */
/* The last line of s's session log in words (borrowed, till the next call); NULL: none yet. */
const char *run__agent_doing(struct run *r, const struct rstory *s);

/* run_live.c: the terminal and the live block */
#define SGR_RESET "\033[0m"
#define SGR_BOLD "\033[1m"
#define SGR_DIM "\033[2m"
#define SGR_RED "\033[31m"
#define SGR_GREEN "\033[32m"
#define SGR_YELLOW "\033[33m"
#define SGR_CYAN "\033[36m"
/* The colour of a story state (SGR). */
const char *run__state_sgr(int state);
/* A SIGWINCH arrived: the live block is drawn again at the new width. */
extern volatile sig_atomic_t run__resized;
/*
 * Decides once, at the first output: whether stdout is a terminal, colour
 * (--color, NO_COLOR, TERM=dumb), the live block (a terminal but not
 * TERM=dumb) and UTF-8 (the locale).
 */
void run__out_init(struct run *r);
/* Takes the live block off the screen: the cursor goes back up exactly the lines it took. */
void run__live_clear(struct run *r);
/* Draws the live block below the cursor (after run__live_clear or a line printed). */
void run__live_draw(struct run *r);
/* Draws it again when it changed, at most every 250 ms (at once after a resize). */
void run__live_refresh(struct run *r);
/* When the live block is next due (clock_now_ms), or LLONG_MAX without one. */
long long run__live_due(const struct run *r);
void run__live_free(struct run *r);
/* The run's stories (those selected) by where they are; cost as the agents reported it. */
struct run_counts {
	int total, done, running, waiting, deciding;
	int stopped; /* failed, skipped or aborted */
	double cost;
	bool costs; /* some agent reported a cost */
};
void run__counts(const struct run *r, struct run_counts *c);
/*
 * Appends s to out cut to at most max columns of the terminal: control
 * characters and invalid UTF-8 shown as '?' or dropped, a UTF-8 character
 * never split, a wide one counted as 2, and a cut ended by an ellipsis.
 * Returns the columns appended.
 */
int run__fit(const struct run *r, struct buf *out, const char *s, int max);
/*
 * Appends s as lines of the terminal's width at most (one column spare),
 * broken at spaces (a word longer than a line is cut), each ended by '\n':
 * the first has first columns taken already, the others are indented by
 * indent spaces. For log lines above the live block: the terminal never
 * wraps a line itself, and nothing of it is lost.
 */
void run__wrap(const struct run *r, struct buf *out, const char *s, int first, int indent);
/* "4.2s", "42s", "3m07s", "1h02m": a duration of ms. */
char *run__duration(long long ms);

/* run_resume.c */
/* The agent preset a story starts with: run --agent, else its own, else the sprint's. */
const char *run__base_agent(const struct run *r, const struct story *cfg);
/*
 * Redoes, idempotently, the side effect whose intent was journaled but not
 * known to have finished: spawn or re-attach a session, re-run a verifier,
 * commit (or find the commit made before the crash), re-queue a step.
 */
int run__a_reattach(void *ctx);

/* run_session.c */
void run__session_free(struct session *ss);
/* A session object for the story's current step attempt (not yet spawned). */
struct session *run__session_new(struct run *r, struct rstory *s);
int run__open_log(struct session *ss);
/*
 * Spawns the session: the runner spec, then tmux. Returns 0, or -1 with
 * *cause (the story gets SPAWN_FAILED).
 */
int run__session_spawn(struct run *r, struct rstory *s, struct session *ss, char **cause);
/* Feeds new log bytes to the judge, stopping at the runner's end marker. */
void run__session_read(struct run *r, struct rstory *s, struct session *ss);
int run__verdict_event(enum judge_verdict v);
/*
 * What a verdict means beyond its event: a wait needs its reset time, and
 * anything else than a wait ends a row of waits (max_wait counts afresh).
 */
void run__session_verdict(struct run *r, struct rstory *s, struct session *ss,
			  enum judge_verdict v);
/* The session ended: judge it and queue the verdict. */
void run__session_finish(struct run *r, struct rstory *s, struct session *ss);

/* run_setup.c */
struct run *run__new(void);
void run__free(struct run *r);
/* Opens the project: tools present, .automator/ ready, lock taken, store open. */
int run__open_project(struct run *r);
void run__build_stories(struct run *r);
/*
 * Stories done before the run (run_done.c): `done` in the sprint-status
 * at status_file (may be NULL), or committed with their Automator-Story
 * trailer on HEAD, become DONE and outside the run. starting: the pending
 * stories of a new run too, each said on stdout; else (resume) only those
 * outside it. Returns how many.
 */
size_t run__done_before(struct run *r, const char *status_file, bool starting);
/*
 * isolation: worktree (run_worktree.c): the target branch (target, as
 * journaled, else the one checked out) and each story's worktree path and
 * branch name; EXIT_UNAVAILABLE when HEAD is detached and none is given.
 */
int run__worktrees_init(struct run *r, const char *target);
/* Where the story works: its worktree, or the project root. */
const char *run__story_root(const struct run *r, const struct rstory *s);
/* The sprint-status's path relative to the project root; NULL: none, or outside it. */
const char *run__status_rel(const struct run *r);
/* The sprint-status the story's steps see (its worktree's copy); newly allocated or NULL. */
char *run__story_status_file(const struct run *r, const struct rstory *s);
/*
 * Before a step works in the story's root: its worktree made again if it
 * is gone (removed by hand, pruned). False, with ERROR queued and the note
 * set, when it cannot be.
 */
bool run__story_root_ready(struct run *r, struct rstory *s);
/*
 * The ref a story's worktree starts from: the target's, or with integrate:
 * none its first dependency's branch. Newly allocated.
 */
char *run__story_base(struct run *r, struct rstory *s);
/*
 * BEGIN_STORY's worktree: made (run__story_root_ready), and with
 * integrate: none its other dependencies' branches merged in. False, with
 * ERROR queued and the note set, when it cannot be.
 */
bool run__begin_worktree(struct run *r, struct rstory *s);
/* Makes the story's worktree unless it exists. Returns 0, or -1 with *cause. */
int run__worktree_ensure(struct run *r, struct rstory *s, char **cause);
/*
 * Removes the lock files a git killed with an earlier process of ours left
 * in the project's repository (none while a git works there), saying so.
 */
void run__clear_git_locks(struct run *r);
/*
 * The current story's integration, done here and now: its events queued,
 * its note set, what it has to say said. Every step can be repeated after
 * a kill and ends the same way.
 */
int run__integrate_now(struct run *r);
int run__a_resolve_conflict(void *ctx);
/*
 * The cooldown before a restart that follows `restarts` (1 or more) in a
 * row: limits.restart_cooldown doubled for each one after the first,
 * at most limits.restart_cooldown_max. Seconds.
 */
long run__cooldown_seconds(const struct run *r, int restarts);
int run__a_cooldown_restart(void *ctx);
/*
 * The environment of an agent of s running step (a workflow step's name, or
 * "operator"): the preset's entries rendered with v, then AUTOMATOR_*
 * (the fake agent's AUTOMATOR_FAKE from the story's fake: map), into env.
 */
void run__agent_env(struct run *r, struct rstory *s, const struct agent *a, struct tvars *v,
		    struct strvec *env, const char *step);
/* run_operator.c: the operator (a sprint's operator:) */
/* A new escalation of s: the operator asked about it, unless the mode is off. */
void run__operator_ask(struct run *r, struct rstory *s);
/* The operator is at work or has escalations waiting for it. */
bool run__operator_busy(const struct run *r);
/* Its answer read; once complete, shown or applied. */
void run__operator_collect(struct run *r);
/* At the end: its agent stopped. */
void run__operator_close(struct run *r);
/* run_changelog.c: the changelog route */
/* The decisions file of s (NULL: the run), relative to its root; newly allocated. */
char *run__changelog_rel(const struct run *r, const struct rstory *s);
/* An answered escalation of s, appended to its decisions file when its severity routes there. */
void run__changelog(struct run *r, struct rstory *s, const struct trigger_option *o,
		    const struct store_decision *d);
/* Notes the run in the per-user registry (registry.h); a failure is a warning. */
void run__register(struct run *r);
/* run_integrator.c: integrations beside the loop, one at a time */
/*
 * A child that works beside the loop and reports through a pipe: 0 in the
 * child (*fd its pipe's write end; it dies with the loop, its crash points
 * kill the loop too, it holds no run lock), its pid in the loop (*fd the
 * read end, non-blocking), -1 when there is no process to spare.
 */
int run__fork_reporter(struct run *r, int *fd);
/* Reads what *fd has into report; true once the pipe has ended (*fd closed, -1). */
bool run__read_report(int *fd, struct buf *report);
/* INTEGRATE: the current story's integration started, or queued behind the one running. */
int run__a_integrate(void *ctx);
/* An integration is running or waiting for its turn. */
bool run__integrating(const struct run *r);
/* The running integration's report read; once it is complete, applied. */
void run__integrator_collect(struct run *r);
/*
 * Waits for the running integration and applies its report (events
 * queued); the waiting ones stay queued for a resume, which integrates
 * them again, when the run is interrupted.
 */
void run__integrator_wait(struct run *r);
/* At the end: the running integration waited for and dropped (a resume does it again). */
void run__integrator_close(struct run *r);
/* Lists the worktrees and branches left: stories not done, or kept (keep_branches). */
void run__print_kept(const struct run *r);
bool run__g_isolated(void *ctx);
bool run__g_integrating(void *ctx);
/* The sprint-status the sprint names, else where BMAD puts it; NULL: none. */
char *run__status_path(const struct sprint *sp);

#endif
