/* SPDX-License-Identifier: MIT */
/*
 * run_live_log.c: what a story's transition means to a person, as the
 * line printed for it by default: started, a step done and how long it
 * took, a review asking for changes, a retry and why, integrated,
 * a decision needed (its escalation), done or failed with the count of
 * stories done. The transitions themselves are printed only with --trace
 * (run.c), and are in the journal whatever is printed. Lines that an
 * action says itself (committed, waiting until, an answer) are not said
 * again here.
 *
 * Must not: change a story but its display clocks (began_ms,
 * step_began_ms, ended_ms), journal, or print but through run__say_line.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "fsm.h"
#include "run_int.h"
#include "util.h"

/* "3/5 done", "3/5 done, 1 stopped" (failed, skipped or aborted): the stories of the run. */
static char *progress(const struct run *r)
{
	struct run_counts c;

	run__counts(r, &c);
	if (c.stopped)
		return xstrfmt("%d/%d done, %d stopped", c.done, c.total, c.stopped);
	return xstrfmt("%d/%d done", c.done, c.total);
}

/* Why an attempt ended, for a retry line; NULL: not one of those. */
static const char *ended_why(int event)
{
	switch (event) {
	case SE_EXITED:
		return "exited without a result";
	case SE_LOST:
		return "lost its session";
	case SE_NOT_VERIFIED:
		return "did not pass its check";
	case SE_OUTPUT_FAILURE:
		return "reported a failure";
	case SE_SPAWN_FAILED:
		return "could not start";
	case SE_IDLE:
		return "printed nothing for too long";
	case SE_TIMEOUT:
		return "ran past its timeout";
	case SE_NETWORK:
		return "could not reach its service";
	default:
		return NULL;
	}
}

/* " in 1m12s" since ms (clock_now_ms), or "" when this process did not see it begin. */
static char *took(long long since, long long now)
{
	char *d, *t;

	if (!since)
		return xstrdup("");
	d = run__duration(now - since);
	t = xstrfmt(" in %s", d);
	free(d);
	return t;
}

/* The step st (at cycle, begun at began) is over by event: "1.2 review done in 41s after 2 cycles". */
static void step_done(struct run *r, struct rstory *s, const struct step *st, int event, int cycle,
		      long long began, long long now)
{
	char *t;

	/* a commit says its hash; a skipped step was said by the escalation or the answer */
	if (!st || (st->kind == STEP_COMMIT && event == SE_COMMITTED) ||
	    event == SE_OPTIONAL_FAILED || event == SE_CHOSE_SKIP_STEP)
		return;
	t = took(began, now);
	if (st->kind == STEP_REVIEW && cycle > 1)
		run__say_sgr(r, NULL, "%-6s %s done%s after %d cycles%s", s->cfg->id, st->name, t,
			     cycle, event == SE_VERIFIED ? "" : " (as decided)");
	else
		run__say_sgr(r, NULL, "%-6s %s done%s%s", s->cfg->id, st->name, t,
			     event == SE_VERIFIED || event == SE_COMMITTED ? "" : " (as decided)");
	free(t);
}

/* The story ended: done, failed, skipped or aborted, with the run's count. */
static void story_final(struct run *r, struct rstory *s, long long now)
{
	char *p = progress(r), *t = took(s->began_ms, now);
	char *word = xstrdup(fsm_story.state_names[s->state]);

	for (char *c = word; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (s->state == SS_DONE)
		run__say_sgr(r, SGR_GREEN, "%-6s done%s: %s", s->cfg->id, t, p);
	else
		run__say_sgr(r, s->state == SS_SKIPPED ? SGR_YELLOW : SGR_RED, "%-6s %s%s%s%s: %s",
			     s->cfg->id, word, s->note ? " (" : "", s->note ? s->note : "",
			     s->note ? ")" : "", p);
	free(word);
	free(p);
	free(t);
}

void run__tell(struct run *r, int target, const struct fsm_row *row, int from, int event,
	       int step_index, int attempt, int cycle, bool acted)
{
	struct rstory *s = &r->s[target];
	const struct step *was = workflow_step_at(r->sp->workflow, step_index);
	const char *action = row->action ? fsm_story.action_names[row->action] : "";
	long long now = clock_now_ms();
	const char *why;

	if (acted) {
		/* an escalation has its id and title once its action ran */
		if (!strncmp(action, "ESCALATE_", 9) && s->esc_id && s->esc &&
		    (s->state == SS_AWAITING_DECISION || s->state == SS_BLOCKED))
			run__say_sgr(r, SGR_YELLOW, "%-6s decision needed: escalation %lld, %s%s",
				     s->cfg->id, (long long)s->esc_id,
				     s->esc->title ? s->esc->title : s->esc->key,
				     s->esc_critical ? " (critical: the run pauses)" : "");
		return;
	}
	switch (row->action) {
	case SA_BEGIN_STORY:
		s->began_ms = s->step_began_ms = now;
		s->ended_ms = 0;
		run__say_sgr(r, NULL, "%-6s started: %s", s->cfg->id,
			     s->cfg->title ? s->cfg->title : "");
		break;
	case SA_NEXT_STEP: {
		long long began = s->step_began_ms;

		/* the next step's clock starts before the line is drawn with it */
		s->step_began_ms = now;
		step_done(r, s, was, event, cycle, began, now);
		break;
	}
	case SA_RESOLVE_CONFLICT:
		s->step_began_ms = now;
		break;
	case SA_NEW_CYCLE:
		run__say_sgr(r, NULL, "%-6s %s asks for changes: cycle %d of %d", s->cfg->id,
			     was ? was->name : "review", s->cycle, r->sp->limits.review_cycles);
		break;
	case SA_RETRY_STEP:
	case SA_RESTART_STEP:
	case SA_COOLDOWN_RESTART:
	case SA_BACKOFF_RETRY:
		/* a retry a human chose was said with the answer */
		why = ended_why(event);
		if (!why || !was)
			break;
		if (row->action == SA_RETRY_STEP || row->action == SA_RESTART_STEP)
			run__say_sgr(r, NULL, "%-6s %s attempt %d %s: attempt %d", s->cfg->id,
				     was->name, attempt, why, s->attempt);
		else
			run__say_sgr(r, NULL, "%-6s %s attempt %d %s: attempt %d after a pause",
				     s->cfg->id, was->name, attempt, why, s->attempt);
		break;
	case SA_RESUME_STEP:
		run__say_sgr(r, NULL, "%-6s wait over: %s goes on", s->cfg->id,
			     was ? was->name : "its step");
		break;
	case SA_MARK_DONE:
		if (event == SE_INTEGRATED && s->worktree && r->sp->integrate != INTEGRATE_NONE) {
			/* a rebase made its commit anew on the target */
			char *c = r->sp->integrate == INTEGRATE_MERGE ? NULL
								      : run__story_commit(r, s);

			run__say_sgr(r, NULL, "%-6s %s into %s%s%s", s->cfg->id,
				     r->sp->integrate == INTEGRATE_MERGE ? "merged" : "integrated",
				     r->target ? r->target : "the target", c ? " as " : "",
				     c ? c : "");
			free(c);
		}
		break;
	default:
		break;
	}
	if (fsm_is_terminal(&fsm_story, s->state) && !fsm_is_terminal(&fsm_story, from)) {
		s->ended_ms = now;
		story_final(r, s, now);
	}
}
