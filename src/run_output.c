/* SPDX-License-Identifier: MIT */
/*
 * run_output.c: what a run prints: progress lines, the live block on a
 * terminal, the closing summary.
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
#include "recover.h"
#include "run_int.h"
#include "runner.h"
#include "statusedit.h"
#include "storykey.h"
#include "store.h"
#include "template.h"
#include "tmx.h"
#include "util.h"
#include "verify.h"

static void live_draw(struct run *r);

void run__say(struct run *r, const char *fmt, ...)
{
	char *t;
	va_list ap;

	if (r->said) {
		/* an integration's process: the loop says it (run_integrator.c) */
		struct buf b = BUF_INIT;

		va_start(ap, fmt);
		buf_vaddf(&b, fmt, ap);
		va_end(ap);
		strvec_push_nodup(r->said, buf_detach(&b));
		return;
	}
	t = clock_iso(clock_wall());
	run__live_clear(r);
	if (r->prompting || r->want_reply)
		fputs("\r\033[K", stdout); /* the prompt line is redrawn below */
	printf("%s ", t + 11);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (r->prompting && !r->want_reply) {
		struct rstory *s = run__story_of_escalation(r, r->prompting);
		char *keys = s ? run__option_range(s->esc) : NULL;

		if (keys)
			printf("Select option [%s]: ", keys);
		free(keys);
	} else if (r->want_reply) {
		fputs("Reply to type into the agent's pane: ", stdout);
	}
	live_draw(r);
	fflush(stdout);
	free(t);
}

void run__fail_fatal(struct run *r, const char *what, char *cause)
{
	enum store_fault f = store_last_fault();

	fprintf(stderr, "automator: %s: %s\n", what, cause ? cause : "unknown error");
	free(cause);
	r->fatal = true;
	r->exit_code = EXIT_SOFTWARE;
	if (r->fatal_told)
		return;
	r->fatal_told = true;
	/* what stopped the run and how to go on: nothing done so far is lost */
	if (f == STORE_FAULT_FULL)
		fprintf(stderr,
			"  the disk is full: free some space, then continue with: automator "
			"resume\n");
	else if (f == STORE_FAULT_IO)
		fprintf(stderr,
			"  an I/O error: once it is fixed, continue with: automator resume\n");
	else if (f == STORE_FAULT_DAMAGED)
		recover_advice(stderr, "automator", r->pj.root ? r->pj.root : ".",
			       "the database is damaged");
	else
		fprintf(stderr, "  the agents' sessions keep running; continue with: automator "
				"resume\n");
	if (f == STORE_FAULT_FULL || f == STORE_FAULT_IO || f == STORE_FAULT_DAMAGED)
		r->exit_code = EXIT_IOERR;
}

static const char *state_color(int state)
{
	switch (state) {
	case SS_DONE:
		return "\033[32m";
	case SS_AWAITING_DECISION:
		return "\033[33m";
	case SS_BLOCKED:
	case SS_FAILED:
	case SS_ABORTED:
		return "\033[31m";
	case SS_SPAWN:
	case SS_REVIEW:
	case SS_COMMIT:
	case SS_VERIFY:
		return "\033[36m";
	default:
		return "";
	}
}

void run__live_clear(struct run *r)
{
	if (r->tty && r->live_lines) {
		printf("\033[%dF\033[J", r->live_lines);
		r->live_lines = 0;
	}
	/* before anything goes to stderr, or the clear lands after it */
	fflush(stdout);
}

static void live_draw(struct run *r)
{
	long long now = clock_now_ms();

	if (!r->tty || !r->s || r->prompting || r->want_reply)
		return;
	for (size_t i = 0; i < r->n; i++) {
		const struct rstory *s = &r->s[i];
		const struct step *st = run__cur_step(r, s);
		const char *last = s->sess ? judge_last_line(s->sess->judge) : NULL;
		long long el = s->sess ? (now - s->sess->started_ms) / 1000 : 0;
		char stepbuf[64] = "";

		if (!(run__story_busy(s) || s->state == SS_AWAITING_DECISION ||
		      s->state == SS_BLOCKED || s->state == SS_WAITING))
			continue;
		if (s->state == SS_WAITING) {
			char *w = run__wait_text(s);

			printf("  %s%-6s %-17s%s %s\n", r->color ? state_color(s->state) : "",
			       s->cfg->id, fsm_story.state_names[s->state],
			       r->color ? "\033[0m" : "", w);
			free(w);
			r->live_lines++;
			continue;
		}
		if (st && st->kind == STEP_REVIEW)
			snprintf(stepbuf, sizeof(stepbuf), "%s c%d/a%d", st->name, s->cycle,
				 s->attempt);
		else if (st)
			snprintf(stepbuf, sizeof(stepbuf), "%s a%d", st->name, s->attempt);
		printf("  %s%-6s %-17s%s %-14s %3lld:%02lld  %.*s\n",
		       r->color ? state_color(s->state) : "", s->cfg->id,
		       fsm_story.state_names[s->state], r->color ? "\033[0m" : "", stepbuf, el / 60,
		       el % 60, 60, last ? last : "");
		r->live_lines++;
	}
}

void run__live_refresh(struct run *r)
{
	long long now = clock_now_ms();

	if (!r->tty || now - r->live_at < 250)
		return;
	r->live_at = now;
	run__live_clear(r);
	live_draw(r);
	fflush(stdout);
}

/* Cost and tokens per story and in all, when any agent reported usage. */
static void print_usage(struct run *r)
{
	struct store_usage all = { 0 };

	for (size_t i = 0; i < r->n; i++) {
		const struct store_usage *u = &r->s[i].used;

		if (!u->sessions)
			continue;
		all.sessions += u->sessions;
		all.has_cost |= u->has_cost;
		all.cost_usd += u->cost_usd;
		all.input_tokens += u->input_tokens;
		all.output_tokens += u->output_tokens;
		all.cache_read_tokens += u->cache_read_tokens;
		all.cache_write_tokens += u->cache_write_tokens;
		all.turns += u->turns;
	}
	if (all.has_cost || all.input_tokens || all.output_tokens) {
		char *t = run__usage_text(&all);

		printf("usage: %s in %d sessions\n", t, all.sessions);
		free(t);
	}
}

void run__print_summary(struct run *r)
{
	int done = 0;
	size_t shown = 0;
	bool costs = false;

	for (size_t i = 0; i < r->n; i++)
		costs |= r->s[i].used.has_cost;
	run__live_clear(r);
	printf("\n%-8s %-18s %-10s %s%s\n", "story", "state", "step", costs ? "cost      " : "",
	       "note");
	for (size_t i = 0; i < r->n; i++) {
		const struct rstory *s = &r->s[i];
		const struct step *st = run__cur_step(r, s);
		char cost[32] = "";

		if (s->outside)
			continue;
		shown++;
		done += s->state == SS_DONE;
		if (costs)
			snprintf(cost, sizeof(cost), "$%-9.4f", s->used.cost_usd);
		printf("%-8s %-18s %-10s %s%s\n", s->cfg->id, fsm_story.state_names[s->state],
		       s->state == SS_DONE ? "-"
		       : st                ? st->name
					   : "-",
		       cost,
		       s->state == SS_DONE ? ""
		       : s->note           ? s->note
					   : "");
	}
	printf("\n%d of %zu stories done (run %s)\n", done, shown, r->id);
	run__print_kept(r);
	print_usage(r);
	fflush(stdout);
}

/* Lists the open escalations and how to answer them (before exit 3). */
void run__print_open_escalations(struct run *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct rstory *s = &r->s[i];
		char *keys;

		if (!s->esc_id)
			continue;
		keys = run__option_range(s->esc);
		printf("  escalation %lld (%s, story %s, %s): automator answer %lld <%s>\n",
		       (long long)s->esc_id, s->esc->key, s->cfg->id,
		       s->esc_critical ? "CRITICAL" : "PREFERENCE", (long long)s->esc_id, keys);
		free(keys);
	}
}
