/* SPDX-License-Identifier: MIT */
/*
 * run_output.c: what a run prints line by line: the timestamped lines
 * above the live block (run__say; the story-level ones are
 * run_live_log.c's), a fatal error and how to go on, the closing summary
 * table and the open escalations. Timestamps are RFC 3339 with the date
 * when stdout is not a terminal, the time alone on one.
 *
 * Must not: print a line without taking the live block off first
 * (run__live_clear), or move the cursor but to write over the prompt line
 * (run_live.c moves it for the block).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "fsm.h"
#include "gitx.h"
#include "recover.h"
#include "run.h"
#include "run_int.h"
#include "store.h"
#include "util.h"

/* "17:08:38Z " on a terminal, "2026-12-04T17:08:38Z " elsewhere (RFC 3339 with the date). */
static void add_stamp(struct run *r, struct buf *b)
{
	char *t = clock_iso(clock_wall());

	if (r->color)
		buf_adds(b, SGR_DIM);
	buf_adds(b, r->tty ? t + 11 : t);
	if (r->color)
		buf_adds(b, SGR_RESET);
	buf_addc(b, ' ');
	free(t);
}

void run__say_line(struct run *r, const char *sgr, const char *text)
{
	struct buf b = BUF_INIT;

	if (r->said) {
		/* an integration's process: the loop says it (run_integrator.c) */
		strvec_push(r->said, text);
		return;
	}
	run__live_clear(r);
	/* the prompt line is redrawn below */
	if (r->prompting || r->want_reply)
		fputs(r->out.live ? "\r\033[K" : "\n", stdout);
	add_stamp(r, &b);
	if (r->out.live) {
		/* "HH:MM:SSZ " then the story column: continuation lines start under the text */
		int first = r->tty ? 10 : 21;

		if (sgr && r->color)
			buf_adds(&b, sgr);
		run__wrap(r, &b, text, first, first + 7);
		if (sgr && r->color) {
			b.len--; /* the SGR reset before the last newline */
			buf_addf(&b, "%s\n", SGR_RESET);
		}
	} else if (sgr && r->color) {
		buf_addf(&b, "%s%s%s\n", sgr, text, SGR_RESET);
	} else {
		buf_adds(&b, text);
		buf_addc(&b, '\n');
	}
	fputs(buf_str(&b), stdout);
	buf_release(&b);
	if (r->prompting && !r->want_reply) {
		struct rstory *s = run__story_of_escalation(r, r->prompting);
		char *keys = s ? run__option_range(s->esc) : NULL;

		if (keys)
			printf("Select option [%s]: ", keys);
		free(keys);
	} else if (r->want_reply) {
		fputs("Reply to type into the agent's pane: ", stdout);
	}
	run__live_draw(r);
	fflush(stdout);
}

static void sayv(struct run *r, const char *sgr, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;

	run__out_init(r);
	buf_vaddf(&b, fmt, ap);
	run__say_line(r, sgr, buf_str(&b));
	buf_release(&b);
}

void run__say(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sayv(r, NULL, fmt, ap);
	va_end(ap);
}

void run__say_sgr(struct run *r, const char *sgr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sayv(r, sgr, fmt, ap);
	va_end(ap);
}

void run__fail_fatal(struct run *r, const char *what, char *cause)
{
	enum store_fault f = store_last_fault();

	run__live_clear(r);
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

char *run__story_commit(struct run *r, const struct rstory *s)
{
	char *trailer = xstrfmt("%s/%s", r->id, s->cfg->id), *sha = NULL, *cause = NULL, *out;
	const char *root = s->worktree && r->sp->integrate != INTEGRATE_NONE && s->state == SS_DONE
				   ? r->pj.root
				   : run__story_root(r, s);

	if (gitx_find_trailer(root, s->base_commit, "Automator-Story", trailer, &sha, &cause) != 0)
		sha = NULL;
	free(cause);
	free(trailer);
	out = sha ? xstrndup(sha, 7) : NULL;
	free(sha);
	return out;
}

/* ---- the summary ---- */

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

/* Per story: the first BEGIN_STORY and the last transition (unix seconds), from the journal. */
struct spans {
	struct run *r;
	long long *first, *last;
};

static int span_row(const struct store_journal_entry *e, void *arg)
{
	struct spans *sp = arg;
	long long t;

	if (!e->story_id || !e->at)
		return 0;
	t = clock_iso_seconds(e->at);
	for (size_t i = 0; i < sp->r->n; i++) {
		if (strcmp(sp->r->s[i].cfg->id, e->story_id))
			continue;
		if (!sp->first[i] && e->action && !strcmp(e->action, "BEGIN_STORY"))
			sp->first[i] = t;
		if (sp->first[i])
			sp->last[i] = t;
		break;
	}
	return 0;
}

/* "1m12s", how long each story took (to now when it goes on): this process's clock, else the journal's. */
static char **story_times(struct run *r)
{
	char **t = xcalloc(r->n, sizeof(*t));
	long long now = clock_now_ms(), *first = NULL, *last = NULL;
	bool journal = false;

	for (size_t i = 0; i < r->n; i++)
		journal |= !r->s[i].outside && !r->s[i].began_ms && r->s[i].state != SS_PENDING;
	if (journal && r->st && r->id) {
		struct spans sp = { r, xcalloc(r->n, sizeof(long long)),
				    xcalloc(r->n, sizeof(long long)) };
		char *cause = NULL;

		first = sp.first;
		last = sp.last;
		if (store_journal_foreach(r->st, r->id, span_row, &sp, &cause) < 0)
			memset(first, 0, r->n * sizeof(long long));
		free(cause);
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct rstory *s = &r->s[i];

		if (s->began_ms)
			t[i] = run__duration((s->ended_ms ? s->ended_ms : now) - s->began_ms);
		else if (first && first[i]) {
			long long secs = (run__story_final(s) ? last[i] : clock_wall()) - first[i];

			/* whole seconds: "3s", not "3.0s" */
			t[i] = secs < 60 ? xstrfmt("%llds", secs) : run__duration(secs * 1000);
		}
	}
	free(first);
	free(last);
	return t;
}

void run__print_summary(struct run *r)
{
	int done = 0, idw = 5;
	size_t shown = 0;
	bool costs = false;
	char **times;

	run__live_clear(r);
	for (size_t i = 0; i < r->n; i++) {
		costs |= r->s[i].used.has_cost;
		if (!r->s[i].outside && (int)strlen(r->s[i].cfg->id) > idw)
			idw = (int)strlen(r->s[i].cfg->id);
	}
	times = story_times(r);
	printf("\n%-*s  %-17s  %-10s  %-7s  %-7s  %s%s\n", idw, "story", "state", "step", "time",
	       "commit", costs ? "cost       " : "", "note");
	for (size_t i = 0; i < r->n; i++) {
		const struct rstory *s = &r->s[i];
		const struct step *st = run__cur_step(r, s);
		char *commit;

		if (s->outside)
			continue;
		shown++;
		done += s->state == SS_DONE;
		commit = s->state != SS_PENDING ? run__story_commit(r, s) : NULL;
		printf("%-*s  %s%-17s%s  %-10s  %-7s  %-7s  ", idw, s->cfg->id,
		       r->color ? run__state_sgr(s->state) : "", fsm_story.state_names[s->state],
		       r->color ? SGR_RESET : "",
		       s->state == SS_DONE ? "-"
		       : st                ? st->name
					   : "-",
		       times[i] ? times[i] : "-", commit ? commit : "-");
		if (costs && s->used.has_cost)
			printf("$%-10.4f ", s->used.cost_usd);
		else if (costs)
			printf("%-11s ", "-");
		printf("%s\n", s->state == SS_DONE ? "" : s->note ? s->note : "");
		free(commit);
		free(times[i]);
	}
	free(times);
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
