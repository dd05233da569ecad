/* SPDX-License-Identifier: MIT */
/*
 * run.c: the orchestrator loop: journals every transition with the intent
 * of its side effect before running it (fire), drains the event queue and
 * polls. One thread, one poll(2) loop, the one writer of the journal: the
 * children that work beside it (an integration, run_integrator.c; the
 * operator's agent, run_operator.c) journal nothing and report through a
 * pipe. Must not print except through the progress functions
 * (run_output.c), and must not run anything through a shell.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "fsm.h"
#include "gitx.h"
#include "project.h"
#include "run.h"
#include "run_int.h"
#include "store.h"
#include "util.h"

/* The next event; false when none is queued. */
static bool next_event(struct run *r, struct fsm_qitem *it)
{
	if (!fsm_queue_pop(&r->q, it))
		return false;
	if (r->verdicts_ahead)
		r->verdicts_ahead--;
	return true;
}

struct counters {
	int step_index, attempt, cycle, retries_used, crash_retries_used;
};

static json_t *snapshot_json(const struct strvec *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

/*
 * What a story action changes before it runs: its counters, and for
 * BEGIN_STORY the base commit and the snapshot of files dirty at the start.
 * Returns the intent JSON (newly allocated) for the journal.
 */
static char *story_pre_effect(struct run *r, struct rstory *s, const struct fsm_row *row, int event,
			      struct counters *c)
{
	const struct step *st;
	json_t *o;
	char *text;

	*c = (struct counters){ s->step_index, s->attempt, s->cycle, s->retries_used,
				s->crash_retries_used };
	switch (row->action) {
	case SA_BEGIN_STORY:
		*c = (struct counters){ 0, 1, 1, 0, 0 };
		free(s->base_commit);
		s->base_commit = NULL;
		{
			char *why = NULL, *ref = s->worktree ? run__story_base(r, s) : NULL;

			/* its worktree starts from the target's last commit (or a dependency's branch) */
			if ((ref ? gitx_rev(r->pj.root, ref, &s->base_commit, &why)
				 : gitx_head(r->pj.root, &s->base_commit, &why)) != 0)
				s->base_commit = NULL;
			free(why);
			free(ref);
		}
		strvec_release(&s->snapshot);
		if (!s->worktree) {
			char *why = NULL;

			if (gitx_snapshot(r->pj.root, &s->snapshot, &why) < 0) {
				run__say(r,
					 "%-6s warning: the work tree could not be listed at its "
					 "start (%s): its commit may take others' changes",
					 s->cfg->id, why);
				free(why);
			}
		}
		break;
	case SA_NEXT_STEP:
		*c = (struct counters){ s->step_index + 1, 1, 1, 0, 0 };
		break;
	case SA_RESOLVE_CONFLICT:
		/* the resolve session, then the workflow's verify steps again */
		*c = (struct counters){ workflow_resolve_index(r->sp->workflow), 1, 1, 0, 0 };
		break;
	case SA_RETRY_STEP:
		c->attempt++;
		if (event == SE_EXITED || event == SE_LOST)
			c->crash_retries_used++;
		else if (event == SE_CHOSE_RETRY)
			c->retries_used = c->crash_retries_used = 0;
		else
			c->retries_used++;
		break;
	case SA_NEW_CYCLE:
		c->cycle++;
		c->attempt++;
		break;
	case SA_RESTART_STEP:
		c->attempt++;
		c->crash_retries_used++;
		break;
	case SA_COOLDOWN_RESTART:
		/* the restarts before it in a row set how long (journaled: a resume waits the same) */
		s->wait_until = clock_wall() + run__cooldown_seconds(r, c->crash_retries_used);
		s->wait_reason = WAIT_COOLDOWN;
		c->attempt++;
		c->crash_retries_used++;
		break;
	case SA_RESET_RESTARTS:
		c->crash_retries_used = 0;
		break;
	case SA_WAIT:
		/* a new session number (a number is never used twice), no retry spent */
		c->attempt++;
		break;
	case SA_BACKOFF_RETRY:
		c->attempt++;
		c->retries_used++;
		break;
	case SA_FALLBACK_RETRY:
		c->attempt++;
		c->cycle = 1;
		c->retries_used = c->crash_retries_used = 0;
		break;
	default:
		break;
	}
	if (row->action == FSM_NO_ACTION)
		return NULL;
	st = workflow_step_at(r->sp->workflow, c->step_index);
	o = json_pack("{s:s,s:s?,s:i,s:i}", "action", fsm_story.action_names[row->action], "step",
		      st ? st->name : NULL, "attempt", c->attempt, "cycle", c->cycle);
	if (row->action == SA_BEGIN_STORY) {
		json_object_set_new(o, "base",
				    s->base_commit ? json_string(s->base_commit) : json_null());
		json_object_set_new(o, "snapshot", snapshot_json(&s->snapshot));
	}
	if ((row->action == SA_WAIT || row->action == SA_BACKOFF_RETRY ||
	     row->action == SA_ESCALATE_USAGE_LIMIT || row->action == SA_COOLDOWN_RESTART) &&
	    s->wait_until) {
		char *until = clock_iso(s->wait_until);

		json_object_set_new(o, "until", json_string(until));
		json_object_set_new(o, "reason", json_string(wait_reason_name(s->wait_reason)));
		free(until);
	}
	if (row->action == SA_FALLBACK_RETRY) {
		const struct agent *a = agents_find(r->sp->agents, s->agent);

		json_object_set_new(o, "agent",
				    json_string(a && a->fallback ? a->fallback : s->agent));
	}
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

/* --trace: the transition as the state machine sees it ("1.1 SPAWN --RESULT / VERIFY_STEP--> SPAWN"). */
static void print_transition(struct run *r, int target, const struct fsm_def *def,
			     const struct fsm_row *row, int from, int event)
{
	const char *who = target < 0 ? "run" : r->s[target].cfg->id;
	const char *g = row->guard ? def->guard_names[row->guard] : NULL;
	const char *a = row->action ? def->action_names[row->action] : NULL;
	struct buf extra = BUF_INIT;

	if (!r->opts.trace)
		return;
	if (target >= 0) {
		const struct rstory *s = &r->s[target];
		const struct step *st = run__cur_step(r, s);

		if (st && !run__story_final(s) && s->state != SS_PENDING)
			buf_addf(&extra, "  [%s #%d%s]", st->name, s->attempt,
				 st->kind == STEP_REVIEW ? "" : "");
		if (st && st->kind == STEP_REVIEW && s->state == SS_REVIEW)
			buf_addf(&extra, " cycle %d", s->cycle);
	}
	run__say(r, "%-6s %s --%s%s%s%s%s%s--> %s%s", who, def->state_names[from],
		 def->event_names[event], g ? " [" : "", g ? g : "", g ? "]" : "", a ? " / " : "",
		 a ? a : "", def->state_names[row->next], buf_str(&extra));
	buf_release(&extra);
}

/* Looks the event up, journals the transition with its intent, then acts. */
static void fire(struct run *r, int target, int event)
{
	const struct fsm_def *def = target < 0 ? &fsm_run : &fsm_story;
	const struct fsm_impl *impl = target < 0 ? &run__run_impl : &run__story_impl;
	struct rstory *s = target < 0 ? NULL : &r->s[target];
	int *state = s ? &s->state : &r->state;
	int64_t *pending = s ? &s->pending_seq : &r->pending_seq;
	const struct fsm_row *row;
	struct store_transition t = { 0 };
	struct counters c = { 0 };
	char *intent = NULL, *cause = NULL;
	int64_t seq = 0;
	int from = *state;
	struct counters was = { 0 };

	r->cur = target;
	row = fsm_lookup(def, impl, r, *state, event);
	if (!row) {
		run__say(r, "%-6s ignored %s in %s", s ? s->cfg->id : "run",
			 def->event_names[event], def->state_names[*state]);
		return;
	}
	if (s)
		intent = story_pre_effect(r, s, row, event, &c);
	else if (row->action != FSM_NO_ACTION)
		intent = xstrfmt("{\"action\":\"%s\"}", def->action_names[row->action]);

	t.run_id = r->id;
	t.machine = def->name;
	t.story_id = s ? s->cfg->id : NULL;
	t.from_state = def->state_names[from];
	t.event = def->event_names[event];
	t.guard = row->guard ? def->guard_names[row->guard] : NULL;
	t.action = row->action ? def->action_names[row->action] : NULL;
	t.to_state = def->state_names[row->next];
	t.intent = intent;
	if (s) {
		const struct step *st = workflow_step_at(r->sp->workflow, c.step_index);

		t.set = STORE_SET_STEP_INDEX | STORE_SET_ATTEMPT | STORE_SET_CYCLE |
			STORE_SET_RETRIES_USED | STORE_SET_CRASH_RETRIES_USED;
		t.step_index = c.step_index;
		t.attempt = c.attempt;
		t.cycle = c.cycle;
		t.retries_used = c.retries_used;
		t.crash_retries_used = c.crash_retries_used;
		if (st) {
			t.set |= STORE_SET_STEP_NAME;
			t.step_name = st->name;
		}
		if (row->action == SA_BEGIN_STORY && s->base_commit) {
			t.set |= STORE_SET_BASE_COMMIT;
			t.base_commit = s->base_commit;
		}
	}
	if (store_transition(r->st, &t, &seq, &cause) < 0) {
		free(intent);
		run__fail_fatal(r, "cannot journal a transition", cause);
		return;
	}
	free(intent);
	/* the previous side effect is complete once the next transition is journaled */
	if (*pending)
		store_intent_finish(r->st, *pending, true, NULL, NULL);
	*pending = t.intent ? seq : 0;
	/* journal first, then act: the session whose verdict this was is killed now */
	if (s && s->sess && s->sess->kill_due) {
		crash_point("before-session-kill");
		s->sess->kill_due = false;
		run__kill_session(r, s->sess->name);
	}
	if (s) {
		was = (struct counters){ s->step_index, s->attempt, s->cycle, s->retries_used,
					 s->crash_retries_used };
		s->step_index = c.step_index;
		s->attempt = c.attempt;
		s->cycle = c.cycle;
		s->retries_used = c.retries_used;
		s->crash_retries_used = c.crash_retries_used;
		s->last_event = event;
	}
	*state = row->next;
	r->transitions++;
	print_transition(r, target, def, row, from, event);
	if (s)
		run__tell(r, target, row, from, event, was.step_index, was.attempt, was.cycle,
			  false);
	if (row->action != FSM_NO_ACTION)
		impl->actions[row->action](r);
	if (s && !r->fatal)
		run__tell(r, target, row, from, event, was.step_index, was.attempt, was.cycle,
			  true);
	/* the marker says which story runs and how many remain */
	if (s && r->state == RS_IN_PROGRESS &&
	    (row->action == SA_BEGIN_STORY || fsm_is_terminal(def, *state)))
		r->marker_due = true;
	if (fsm_is_terminal(def, *state) && *pending) {
		store_intent_finish(r->st, *pending, true, NULL, NULL);
		*pending = 0;
	}
}

void run__drain(struct run *r)
{
	struct fsm_qitem it;

	while (!r->fatal && next_event(r, &it))
		fire(r, it.target, it.event);
}

/* How often the loop looks around without an event: waits, holds, stale escalations. */
#define HOUSEKEEP_MS 1000
/*
 * Answers are also looked for without a wake-up: every 30 s in case a
 * writer could not reach the FIFO, every 500 ms when there is no FIFO.
 */
#define ANSWER_POLL_MS(r) ((r)->ev.wake >= 0 ? 30000 : 500)
#define HEARTBEAT_MS 30000

static long long min_ll(long long a, long long b)
{
	return a < b ? a : b;
}

/*
 * Drains the queue, looking every LOOK_MS meanwhile for sessions that
 * ended: their verdicts go ahead of the queue (run__queue_verdict) instead
 * of after every step of the stories already in it (twenty stories ending
 * together each commit, verify and edit the sprint-status).
 */
#define LOOK_MS 2
static int drain_watching(struct run *r)
{
	long long look = clock_now_ms() + LOOK_MS;
	struct fsm_qitem it;
	int woke = 0;

	while (!r->fatal && next_event(r, &it)) {
		fire(r, it.target, it.event);
		if (r->q.len && !r->fatal && clock_now_ms() >= look) {
			woke |= run__events_wait(r, 0, false);
			run__integrator_collect(r);
			run__monitor_active(r);
			look = clock_now_ms() + LOOK_MS;
		}
	}
	return woke;
}

/*
 * What waits until nothing else is due: the sprint-status fsynced after
 * our edits, the run marker rewritten after stories began or ended.
 */
void run__idle_work(struct run *r)
{
	if (r->status_sync_due && r->status_file) {
		if (sync_file(r->status_file) < 0)
			run__say(r, "warning: cannot sync '%s': %s", r->status_file,
				 strerror(errno));
		r->status_sync_due = false;
	}
	if (r->marker_due && r->state == RS_IN_PROGRESS)
		run__write_marker(r);
}

/* Returns EXIT_PAUSED after saying why and how to go on. */
static int pause_exit(struct run *r, const char *why)
{
	run__idle_work(r);
	run__live_clear(r);
	printf("%s", why);
	run__print_summary(r);
	run__print_open_escalations(r);
	return EXIT_PAUSED;
}

/*
 * `automator abort` from another terminal stops the run: it kills the
 * sessions and journals the run ABORTED once this process is gone.
 */
static int aborted_exit(struct run *r, long by)
{
	run__idle_work(r);
	run__live_clear(r);
	printf("\naborted by `automator abort` (pid %ld) from another terminal: it stops the "
	       "agents' sessions and records the run ABORTED; the journal is kept\n",
	       by);
	run__print_summary(r);
	return EXIT_NEGATIVE;
}

/*
 * The main loop: returns the exit code. It sleeps in poll(2) until
 * something happens (run_events.c) or something is due: no tick, no
 * process and no write while sessions run and nothing changes.
 */
int run__loop(struct run *r)
{
	long long housekeep_ms = 0;
	int woke = 0;

	for (;;) {
		long long now, deadline;
		bool want_stdin, housekept = false;

		run__integrator_collect(r);
		run__operator_collect(r);
		run__drain(r);
		if (r->fatal) {
			run__idle_work(r);
			return r->exit_code;
		}
		if (fsm_is_terminal(&fsm_run, r->state))
			break;
		if ((run__interrupted || r->human_pause) && r->integ.pid > 0) {
			/* the integration under way ends and is journaled first */
			run__integrator_wait(r);
			continue;
		}
		if (run__interrupted && project_abort_noted(&r->pj) > 0)
			return aborted_exit(r, project_abort_noted(&r->pj));
		if (run__interrupted || r->human_pause)
			return pause_exit(
				r, run__interrupted
					   ? "\ninterrupted: sessions keep running; "
					     "continue with:\n  automator resume\n"
					   : "\npaused for manual work: sessions keep "
					     "running; continue with:\n  automator resume\n");
		now = clock_now_ms();
		if (r->scheduled_at != r->transitions || now >= housekeep_ms) {
			r->scheduled_at = r->transitions;
			run__schedule(r);
		}
		run__monitor_active(r);
		woke |= drain_watching(r);
		now = clock_now_ms();
		if ((woke & RUN_WOKE_ANSWER) || now - r->polled_ms >= ANSWER_POLL_MS(r))
			run__apply_answers(r);
		woke = 0;
		if (now >= housekeep_ms) {
			run__check_stale(r);
			housekeep_ms = now + HOUSEKEEP_MS;
			housekept = true;
		}
		if (fsm_is_terminal(&fsm_run, r->state))
			continue;
		run__prompt_show(r);
		run__live_refresh(r);
		if (r->state == RS_IN_PROGRESS && now - r->last_heartbeat > HEARTBEAT_MS)
			run__write_marker(r);
		if (r->q.len == 0 && (r->decided_at != r->transitions || housekept)) {
			r->decided_at = r->transitions;
			if (run__waiting_for_decision(r) && !(r->interactive && !r->stdin_eof))
				return pause_exit(r, "\ndecision needed: the run is paused until "
						     "these are answered; then continue "
						     "with:\n  automator resume\n");
		}
		if (r->q.len || r->scheduled_at != r->transitions)
			continue;
		/* sessions whose verdicts are journaled: killed once nothing else is due */
		if ((r->kills.n && now >= r->kills_due_ms) || r->nreap)
			run__kills_start(r);
		run__idle_work(r);
		deadline = min_ll(housekeep_ms, run__sessions_deadline(r));
		deadline = min_ll(deadline, r->polled_ms + ANSWER_POLL_MS(r));
		if (r->state == RS_IN_PROGRESS)
			deadline = min_ll(deadline, r->last_heartbeat + HEARTBEAT_MS + 1);
		deadline = min_ll(deadline, run__live_due(r));
		if (r->kills.n)
			deadline = min_ll(deadline, r->kills_due_ms);
		want_stdin = r->interactive && !r->stdin_eof;
		woke = run__events_wait(r, deadline, want_stdin);
		if (woke & RUN_WOKE_STDIN)
			run__read_stdin(r);
	}
	run__idle_work(r);
	run__print_summary(r);
	for (size_t i = 0; i < r->n; i++)
		if (!r->s[i].outside && r->s[i].state != SS_DONE)
			return EXIT_NEGATIVE;
	return EXIT_OK;
}
