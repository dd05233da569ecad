/* SPDX-License-Identifier: MIT */
/*
 * run_monitor.c: scheduling (dependencies, max_parallel, conflicts) and
 * monitoring of running sessions (timeouts, idleness, prompts, exits).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
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

#include "bmad.h"
#include "bmadinstall.h"
#include "clock.h"
#include "config.h"
#include "fsm.h"
#include "gitx.h"
#include "judge.h"
#include "notify.h"
#include "preflight.h"
#include "project.h"
#include "run.h"
#include "run_int.h"
#include "runner.h"
#include "statusedit.h"
#include "storykey.h"
#include "store.h"
#include "template.h"
#include "tmx.h"
#include "util.h"
#include "verify.h"

static bool deps_done(struct run *r, const struct rstory *s, const struct rstory **failed)
{
	bool ok = true;

	*failed = NULL;
	for (size_t j = 0; j < s->cfg->depends.n; j++) {
		size_t k = s->cfg->dep_index[j];
		const struct rstory *d;

		if (k >= r->n)
			continue;
		d = &r->s[k];
		if (d->cfg == NULL)
			continue;
		if (d->state == SS_DONE)
			continue;
		ok = false;
		if (run__story_final(d))
			*failed = d;
	}
	return ok;
}

/*
 * A BMAD sprint declares no dependencies: a story of an epic may need the
 * one before it. Before one starts while another story of its epic runs,
 * the human is asked (dependency-conflict, PREFERENCE): continue in
 * parallel, run sequentially, or pause. True while s must wait.
 */
static bool parallel_conflict(struct run *r, struct rstory *s)
{
	const struct rstory *other = NULL;

	for (size_t i = 0;
	     i < r->n && !other && (r->sp->bmad || r->sp->from_status) && !r->parallel_ok; i++)
		if (&r->s[i] != s && run__story_busy(&r->s[i]) &&
		    !strcmp(r->s[i].cfg->epic, s->cfg->epic))
			other = &r->s[i];
	if (!other) {
		/*
		 * the story it waited for is done, or parallel stories were
		 * allowed (answering another story's question): it no longer applies
		 */
		if (s->esc_id && s->esc && !strcmp(s->esc->key, "dependency-conflict")) {
			char *at = clock_iso(clock_wall());

			store_escalation_close(r->st, s->esc_id, "no longer applies", at, NULL);
			free(at);
			if (r->prompting == s->esc_id)
				r->prompting = 0;
			run__clear_escalation(s);
		}
		return false;
	}
	if (!s->esc_id) {
		free(s->note);
		s->note = xstrfmt("story %s may depend on story %s of the same epic, which is "
				  "still running",
				  s->cfg->id, other->cfg->id);
		r->cur = (int)(s - r->s);
		run__escalate(r, "dependency-conflict", false);
		r->cur = -1;
	}
	return true;
}

void run__schedule(struct run *r)
{
	int busy = 0;

	for (size_t i = 0; i < r->n; i++)
		busy += run__story_busy(&r->s[i]);
	if (r->state == RS_IN_PROGRESS && !run__interrupted && !r->fatal) {
		run__waits_due(r);
		run__drain(r);
	}
	for (size_t i = 0; i < r->n && !r->fatal; i++) {
		struct rstory *s = &r->s[i];
		const struct rstory *failed;

		if (r->state != RS_IN_PROGRESS || run__interrupted || s->state != SS_PENDING)
			continue;
		if (!deps_done(r, s, &failed)) {
			if (failed) {
				free(s->note);
				s->note =
					failed->outside
						? xstrfmt("dependency %s is not done and not in "
							  "this "
							  "run: select it too, or finish it first",
							  failed->cfg->id)
						: xstrfmt("dependency %s ended %s", failed->cfg->id,
							  fsm_story.state_names[failed->state]);
				run__queue(r, (int)i, SE_ABORT);
			}
			continue;
		}
		if (busy >= r->max_parallel)
			continue;
		/* its agent is held by a limit: stories of other agents go first */
		if (run__agent_held(r, s->agent))
			continue;
		if (parallel_conflict(r, s))
			continue;
		busy++;
		run__queue(r, (int)i, SE_START);
		run__drain(r);
	}
	run__drain(r);
}

static long step_limit(long step_value, long sprint_value)
{
	return step_value > 0 ? step_value : sprint_value;
}

/* The time between the two checks that find a session idle: a tenth of its limit, 1 to 60 s. */
static long long idle_check_ms(struct run *r, const struct step *st)
{
	long long ms = step_limit(st->idle_timeout, r->sp->limits.idle_timeout) * 100;

	return ms < 1000 ? 1000 : ms > 60000 ? 60000 : ms;
}

/*
 * A live session stopped (step timeout, idle limit, retry patience): when
 * its output already shows that the agent's service is the trouble (a CLI
 * that waits for the network without end, or retries a limit), the session
 * is ended and judged by that class (WAIT, NETWORK, UNAVAILABLE) instead of
 * ev, so no code is blamed.
 */
static int limit_event(struct run *r, struct rstory *s, struct session *ss, int ev, const char *why)
{
	enum judge_verdict v;
	char *reason = NULL;

	v = judge_finish(ss->judge, -1, SIGHUP, &reason);
	/* killed once the verdict is journaled (fire) */
	ss->kill_due = true;
	/* what it used counts toward the budgets whatever the verdict */
	run__usage_record(r, s, ss, clock_now_ms() - ss->started_ms);
	if (v != JV_WAIT && v != JV_NETWORK && v != JV_UNAVAILABLE) {
		free(reason);
		return ev;
	}
	free(s->note);
	s->note = xstrfmt("%s (%s)", reason, why);
	free(reason);
	run__session_verdict(r, s, ss, v);
	return run__verdict_event(v);
}

/*
 * What tmux says of the pane: asked when the runner is gone without its
 * exit record (to confirm the death), or every SESSION_CHECK_MS when its
 * pid is not known. A pane dead or gone without the record is an exit.
 */
static void check_pane(struct run *r, struct rstory *s, struct session *ss, long long now)
{
	bool dead = false;
	int st_status = -1, st_signal = 0, gone;
	char *cause = NULL;

	ss->checked_ms = now;
	gone = tmx_has_session(&r->tmx, ss->name, NULL) == 0;
	if (!gone && tmx_pane_state(&r->tmx, ss->name, &dead, &st_status, &st_signal, &cause) < 0) {
		free(cause);
		cause = NULL;
	}
	if (gone || dead)
		ss->pid_dead = true;
	if ((gone || dead) && runner_read_exit(ss->exit_path, &ss->exit, &cause) == 0) {
		ss->exit.status = gone ? -1 : st_signal ? -1 : st_status;
		ss->exit.signal = gone ? SIGKILL : st_signal;
		ss->exited = true;
		ss->vanished = gone;
		ss->exit_seen_ms = now - SETTLE_MS - 1;
		free(s->note);
		s->note = xstrfmt("the session %s without an exit record",
				  gone ? "disappeared" : "died");
	}
	free(cause);
}

/*
 * Whether the runner still runs: its pidfd says (run_events.c); without
 * one, kill(pid, 0), and without a pid, tmux, every SESSION_CHECK_MS.
 * Once it is gone its exit record is read, or the death confirmed by tmux.
 */
static void check_runner(struct run *r, struct rstory *s, struct session *ss, long long now)
{
	char *cause = NULL;

	if (ss->exited)
		return;
	/* the log's end said how the agent ended: the runner's own end is not waited for */
	if (ss->end_known) {
		ss->exit = ss->end_exit;
		ss->exited = true;
		ss->exit_seen_ms = now;
		return;
	}
	if (!ss->pid_dead && ss->pidfd < 0 && now - ss->checked_ms > SESSION_CHECK_MS) {
		if (ss->pid <= 0) {
			check_pane(r, s, ss, now);
			if (ss->exited)
				return;
		} else {
			ss->checked_ms = now;
			ss->pid_dead = kill(ss->pid, 0) < 0 && errno == ESRCH;
		}
	}
	if (!ss->pid_dead)
		return;
	if (runner_read_exit(ss->exit_path, &ss->exit, &cause) == 1) {
		ss->exited = true;
		ss->exit_seen_ms = now;
		/* its end marker may be in the log already: look now */
		run__session_read(r, s, ss);
	} else if (now - ss->checked_ms >= TICK_MS) {
		/* killed before it could write its record; tmux may not know yet */
		check_pane(r, s, ss, now);
	}
	free(cause);
}

static void monitor(struct run *r, struct rstory *s)
{
	struct session *ss = s->sess;
	const struct step *st = run__cur_step(r, s);
	long long now;

	if (!ss || ss->ended || !st)
		return;
	if (ss->output_due || ss->wd < 0) {
		ss->output_due = false;
		run__session_read(r, s, ss);
	}
	now = clock_now_ms();
	/* at most every OFFSET_SAVE_MS, and only when it moved */
	if (ss->id > 0 && ss->offset != ss->offset_saved &&
	    now - ss->offset_saved_ms >= OFFSET_SAVE_MS) {
		store_session_set_offset(r->st, ss->id, ss->offset, NULL);
		ss->offset_saved = ss->offset;
		ss->offset_saved_ms = now;
	}
	check_runner(r, s, ss, now);
	/* while a decision is open the session is watched but not judged */
	if (s->state != SS_SPAWN && s->state != SS_REVIEW)
		return;
	if (ss->exited) {
		if (ss->marker_seen || now - ss->exit_seen_ms > SETTLE_MS) {
			run__session_read(r, s, ss);
			run__session_finish(r, s, ss);
		}
		return;
	}
	if (now - ss->started_ms > step_limit(st->timeout, r->sp->limits.step_timeout) * 1000) {
		free(s->note);
		s->note = xstrfmt("step ran past its timeout of %lds",
				  step_limit(st->timeout, r->sp->limits.step_timeout));
		ss->ended = true;
		run__queue(r, run__story_index(r, s),
			   limit_event(r, s, ss, SE_TIMEOUT, "stopped at the step timeout"));
		return;
	}
	if (now - ss->last_output_ms >
	    step_limit(st->idle_timeout, r->sp->limits.idle_timeout) * 1000) {
		/* corroborated: silent on two checks in a row, idle_check_ms apart */
		if (ss->idle_seen_ms <= ss->last_output_ms) {
			ss->idle_seen_ms = now;
			run__say(r, "%-6s %s printed nothing for %lds: looking again in %llds",
				 s->cfg->id, ss->name,
				 step_limit(st->idle_timeout, r->sp->limits.idle_timeout),
				 idle_check_ms(r, st) / 1000);
			return;
		}
		if (now - ss->idle_seen_ms < idle_check_ms(r, st))
			return;
		free(s->note);
		s->note = xstrfmt("no output for %lds",
				  step_limit(st->idle_timeout, r->sp->limits.idle_timeout));
		ss->ended = true;
		run__queue(r, run__story_index(r, s),
			   limit_event(r, s, ss, SE_IDLE, "stopped when idle"));
		return;
	}
	/*
	 * restarted, and this session worked restart_reset_after without
	 * stalling (it printed, and is not idle): the budget is whole again
	 */
	if (s->crash_retries_used > 0 && !ss->forgiven && ss->last_output_ms > ss->started_ms &&
	    now - ss->started_ms >= r->sp->limits.restart_reset_after * 1000) {
		ss->forgiven = true;
		run__queue(r, run__story_index(r, s), SE_PROGRESSED);
		return;
	}
	/* an agent that only retries is stopped after retry_patience */
	if (judge_progress_count(ss->judge) != ss->progress_seen || !ss->progress_ms) {
		ss->progress_seen = judge_progress_count(ss->judge);
		ss->progress_ms = now;
	}
	if (judge_retrying(ss->judge) &&
	    now - ss->progress_ms > r->sp->limits.retry_patience * 1000) {
		int ev;

		free(s->note);
		s->note = xstrfmt("only retries for %lds", r->sp->limits.retry_patience);
		ev = limit_event(r, s, ss, SE_IDLE, "stopped: it only retried");
		ss->ended = true;
		run__queue(r, run__story_index(r, s), ev);
		return;
	}
	if (!ss->waiting_reported && now - ss->last_output_ms > PROMPT_IDLE_MS &&
	    judge_prompt_waiting(ss->judge)) {
		ss->waiting_reported = true;
		free(s->note);
		s->note = xstrfmt("waiting at a prompt: %s",
				  judge_last_line(ss->judge) ? judge_last_line(ss->judge) : "");
		run__queue(r, run__story_index(r, s), SE_WAITING_INPUT);
		return;
	}
}

void run__monitor_active(struct run *r)
{
	for (size_t k = 0; k < r->nactive && !r->fatal;) {
		struct rstory *s = &r->s[r->active[k]];

		monitor(r, s);
		if (!s->sess || s->sess->ended)
			r->active[k] = r->active[--r->nactive];
		else
			k++;
	}
}

static long long min_ll(long long a, long long b)
{
	return a < b ? a : b;
}

/* When the monitor must look at ss next, whatever the events say (clock_now_ms). */
static long long session_deadline(struct run *r, const struct rstory *s, struct session *ss)
{
	const struct step *st = run__cur_step(r, s);
	long long d = LLONG_MAX;

	if (!ss || ss->ended || !st)
		return d;
	if (ss->output_due || ss->wd < 0)
		return 0;
	if (ss->id > 0 && ss->offset != ss->offset_saved)
		d = ss->offset_saved_ms + OFFSET_SAVE_MS;
	if (!ss->exited && ss->pid_dead)
		d = min_ll(d, ss->checked_ms + TICK_MS);
	else if (!ss->exited && ss->pidfd < 0)
		d = min_ll(d, ss->checked_ms + SESSION_CHECK_MS + 1);
	if (s->state != SS_SPAWN && s->state != SS_REVIEW)
		return d;
	if (ss->exited)
		return min_ll(d, ss->marker_seen ? 0 : ss->exit_seen_ms + SETTLE_MS + 1);
	d = min_ll(d,
		   ss->started_ms + step_limit(st->timeout, r->sp->limits.step_timeout) * 1000 + 1);
	if (ss->idle_seen_ms > ss->last_output_ms)
		d = min_ll(d, ss->idle_seen_ms + idle_check_ms(r, st));
	else
		d = min_ll(d,
			   ss->last_output_ms +
				   step_limit(st->idle_timeout, r->sp->limits.idle_timeout) * 1000 +
				   1);
	if (judge_retrying(ss->judge))
		d = min_ll(d, ss->progress_ms + r->sp->limits.retry_patience * 1000 + 1);
	if (s->crash_retries_used > 0 && !ss->forgiven)
		d = min_ll(d, ss->started_ms + r->sp->limits.restart_reset_after * 1000);
	if (!ss->waiting_reported && judge_prompt_waiting(ss->judge))
		d = min_ll(d, ss->last_output_ms + PROMPT_IDLE_MS + 1);
	return d;
}

long long run__sessions_deadline(struct run *r)
{
	long long d = LLONG_MAX;

	for (size_t k = 0; k < r->nactive; k++) {
		struct rstory *s = &r->s[r->active[k]];

		d = min_ll(d, session_deadline(r, s, s->sess));
	}
	return d;
}

/* True when nothing can move without a decision. */
bool run__waiting_for_decision(struct run *r)
{
	bool open = false;

	/* an integration's end, the operator's answer: events to come */
	if (run__integrating(r) || run__operator_busy(r))
		return false;
	for (size_t i = 0; i < r->n; i++) {
		const struct rstory *s = &r->s[i];
		const struct rstory *failed;

		if (run__story_busy(s) &&
		    !(s->sess && s->sess->ended && s->state != SS_SPAWN && s->state != SS_REVIEW))
			return false;
		if (s->state == SS_AWAITING_DECISION || s->state == SS_BLOCKED)
			open = true;
		/* a wait ends by itself */
		if (s->state == SS_WAITING && r->state == RS_IN_PROGRESS)
			return false;
		if (s->state == SS_PENDING && r->state == RS_IN_PROGRESS &&
		    deps_done(r, s, &failed))
			return false;
	}
	return open;
}
