/* SPDX-License-Identifier: MIT */
/*
 * run_answer.c: answers to escalations, from the run's terminal or from
 * `automator answer` through the store, applied to the stories; stale
 * escalations re-notified.
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
#include "run_int.h"
#include "runner.h"
#include "statusedit.h"
#include "storykey.h"
#include "store.h"
#include "template.h"
#include "tmx.h"
#include "util.h"
#include "verify.h"

struct rstory *run__story_of_escalation(struct run *r, int64_t id)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->s[i].esc_id == id)
			return &r->s[i];
	return NULL;
}

/* The oldest open escalation, or NULL. */
static struct rstory *oldest_escalation(struct run *r)
{
	struct rstory *best = NULL;

	for (size_t i = 0; i < r->n; i++)
		if (r->s[i].esc_id && (!best || r->s[i].esc_id < best->esc_id))
			best = &r->s[i];
	return best;
}

void run__prompt_show(struct run *r)
{
	struct rstory *s;
	char *keys;

	if (!r->interactive || r->stdin_eof || r->prompting || !(s = oldest_escalation(r)))
		return;
	r->prompting = s->esc_id;
	keys = run__option_range(s->esc);
	run__live_clear(r);
	printf("Select option [%s]: ", keys);
	fflush(stdout);
	free(keys);
}

void run__clear_escalation(struct rstory *s)
{
	s->esc_id = 0;
	s->esc = NULL;
	s->esc_critical = false;
}

static int option_event(enum trigger_action a)
{
	switch (a) {
	case TA_retry:
		return SE_CHOSE_RETRY;
	case TA_retry_fallback:
		return SE_CHOSE_RETRY_FALLBACK;
	case TA_continue:
	case TA_sequential:
		return SE_CHOSE_CONTINUE;
	case TA_mark_success:
		return SE_CHOSE_MARK_SUCCESS;
	case TA_mark_failure:
		return SE_CHOSE_MARK_FAILURE;
	case TA_skip_step:
		return SE_CHOSE_SKIP_STEP;
	case TA_skip_story:
		return SE_CHOSE_SKIP_STORY;
	case TA_abort_story:
		return SE_CHOSE_ABORT_STORY;
	case TA_send_reply:
	case TA_attach:
		return SE_CHOSE_REPLY;
	case TA_keep_waiting:
		return SE_CHOSE_KEEP_WAITING;
	case TA_raise_budget:
		return SE_CHOSE_RAISE_BUDGET;
	case TA_resolve:
		return SE_CHOSE_RESOLVE;
	default:
		return -1;
	}
}

/* Marks decision did applied; when close, the escalation is over. */
void run__decision_done(struct run *r, int64_t did, bool close)
{
	char *at = clock_iso(clock_wall()), *cause = NULL;

	if (store_decision_applied(r->st, did, close, at, &cause) < 0) {
		run__say(r, "warning: cannot mark decision %lld applied: %s", (long long)did,
			 cause);
		free(cause);
	}
	free(at);
}

/*
 * Acts on one recorded answer: the chosen option's action becomes a story
 * event (or, for view_output, pause and abort_run, something the run
 * does); answering the last open CRITICAL escalation resumes the run.
 */
static void apply_decision(struct run *r, const struct store_decision *d)
{
	struct rstory *s = run__story_of_escalation(r, d->escalation_id);
	const struct trigger_option *o;
	bool critical;
	int ev;

	if (!s) {
		/* closed meanwhile, or of a story this run no longer waits on */
		run__decision_done(r, d->id, true);
		return;
	}
	o = run__find_option(s->esc, d->choice);
	if (!o) {
		run__say(r, "escalation %lld: option '%s' does not exist", (long long)s->esc_id,
			 d->choice);
		run__decision_done(r, d->id, false);
		return;
	}
	if (r->prompting == s->esc_id) {
		r->prompting = 0;
		if (r->interactive)
			putchar('\n');
	}
	run__say(r, "%-6s escalation %lld answered %s (%s)%s%s", s->cfg->id, (long long)s->esc_id,
		 o->key, o->label, d->source ? " from " : "", d->source ? d->source : "");
	critical = s->esc_critical;
	if (!strcmp(s->esc->key, "dependency-conflict") && s->state == SS_PENDING) {
		/* asked before the story started: the answer is about scheduling */
		if (o->action == TA_pause) {
			run__decision_done(r, d->id, false);
			r->human_pause = true;
			return;
		}
		if (o->action == TA_sequential)
			r->max_parallel = 1;
		else
			r->parallel_ok = true;
		run__decision_done(r, d->id, true);
		run__clear_escalation(s);
		return;
	}
	switch (o->action) {
	case TA_view_output: {
		char *tail = run__log_tail(s->sess ? s->sess->log_path : NULL, 40);

		run__live_clear(r);
		printf("---- last lines of %s's session ----\n%s\n----\n", s->cfg->id,
		       tail[0] ? tail : "(no output)");
		free(tail);
		run__decision_done(r, d->id, false);
		run__show_escalation(r, s);
		return;
	}
	case TA_pause:
		run__decision_done(r, d->id, false);
		r->human_pause = true;
		return;
	case TA_abort_run:
		run__decision_done(r, d->id, true);
		run__clear_escalation(s);
		for (size_t i = 0; i < r->n; i++)
			if (!run__story_final(&r->s[i]))
				run__queue(r, (int)i, SE_ABORT);
		run__queue(r, -1, RE_ABORT);
		run__drain(r);
		return;
	case TA_send_reply:
		if (!d->reply || !*d->reply) {
			run__say(r, "%-6s option %s sends a reply: answer with --reply TEXT",
				 s->cfg->id, o->key);
			run__decision_done(r, d->id, false);
			run__show_escalation(r, s);
			return;
		}
		if (!s->sess || s->sess->ended || s->sess->exited ||
		    !judge_prompt_waiting(s->sess->judge)) {
			run__say(r,
				 "%-6s the agent is no longer waiting at a prompt: reply not sent",
				 s->cfg->id);
			run__decision_done(r, d->id, false);
			run__show_escalation(r, s);
			return;
		} else {
			char *cause = NULL;

			if (tmx_send_text(&r->tmx, s->sess->name, d->reply, true, &cause) < 0) {
				run__say(r, "%-6s cannot type the reply: %s", s->cfg->id, cause);
				free(cause);
				run__decision_done(r, d->id, false);
				run__show_escalation(r, s);
				return;
			}
		}
		break;
	case TA_attach:
		run__say(r, "%-6s attach with: automator attach %s", s->cfg->id, s->cfg->id);
		break;
	case TA_sequential:
		r->max_parallel = 1;
		break;
	default:
		break;
	}
	ev = option_event(o->action);
	/* before its event: a step it queues (the commit) takes the entry */
	run__changelog(r, s, o, d);
	run__decision_done(r, d->id, true);
	run__clear_escalation(s);
	if (ev >= 0)
		run__queue(r, run__story_index(r, s), ev);
	if (critical && r->state == RS_PAUSED)
		run__queue(r, -1, RE_RESOLVED);
	run__drain(r);
}

struct decision_list {
	struct store_decision *v;
	size_t n;
};

static int collect_decision(const struct store_decision *d, void *arg)
{
	struct decision_list *l = arg;
	struct store_decision *c;

	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	c = &l->v[l->n++];
	memset(c, 0, sizeof(*c));
	c->id = d->id;
	c->escalation_id = d->escalation_id;
	c->choice = d->choice ? xstrdup(d->choice) : NULL;
	c->reply = d->reply ? xstrdup(d->reply) : NULL;
	c->source = d->source ? xstrdup(d->source) : NULL;
	return 0;
}

/* Applies every answer recorded and not yet acted on (this terminal's or another's). */
void run__apply_answers(struct run *r)
{
	struct decision_list l = { 0 };
	char *cause = NULL;

	r->polled_ms = clock_now_ms();
	if (store_decisions_pending(r->st, r->id, collect_decision, &l, &cause) < 0) {
		run__say(r, "warning: cannot read answers: %s", cause);
		free(cause);
		return;
	}
	for (size_t i = 0; i < l.n && !r->fatal; i++) {
		apply_decision(r, &l.v[i]);
		free(l.v[i].choice);
		free(l.v[i].reply);
		free(l.v[i].source);
	}
	free(l.v);
}

/* Records an answer typed at the prompt, then acts on it. */
static void answer_from_terminal(struct run *r, struct rstory *s, const char *key,
				 const char *reply)
{
	char *at = clock_iso(clock_wall()), *cause = NULL, *who;
	int64_t did;
	int rc;

	who = xstrfmt("terminal (pid %ld)", (long)getpid());
	rc = store_escalation_answer(r->st, s->esc_id, key, reply, who, at, &did, &cause);
	free(who);
	free(at);
	if (rc != 0) {
		run__say(r, "escalation %lld: %s", (long long)s->esc_id,
			 cause ? cause : "not found");
		free(cause);
		r->prompting = 0;
		return;
	}
	run__apply_answers(r);
}

static void handle_line(struct run *r, char *line)
{
	struct rstory *s = run__story_of_escalation(r, r->prompting);
	const struct trigger_option *o;
	size_t len = strlen(line);
	char *p = line;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		line[--len] = '\0';
	if (r->want_reply) {
		char *choice = r->pending_choice;

		r->want_reply = false;
		r->pending_choice = NULL;
		if (s)
			answer_from_terminal(r, s, choice, line);
		free(choice);
		return;
	}
	while (*p == ' ')
		p++;
	if (!s) {
		r->prompting = 0;
		return;
	}
	o = *p ? run__find_option(s->esc, p) : NULL;
	if (!o) {
		char *keys = run__option_range(s->esc);

		printf("'%s' is not an option: answer with %s\nSelect option [%s]: ", p, keys,
		       keys);
		fflush(stdout);
		free(keys);
		return;
	}
	if (o->action == TA_send_reply) {
		r->want_reply = true;
		r->pending_choice = xstrdup(o->key);
		printf("Reply to type into the agent's pane: ");
		fflush(stdout);
		return;
	}
	answer_from_terminal(r, s, o->key, NULL);
}

/* Reads what stdin has; whole lines are answers. EOF: nobody will answer here. */
void run__read_stdin(struct run *r)
{
	char chunk[1024];
	ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
	char *nl;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		r->stdin_eof = true;
		if (r->prompting)
			printf("\n(no answer: escalation %lld stays open; answer it with "
			       "'automator answer %lld CHOICE')\n",
			       (long long)r->prompting, (long long)r->prompting);
		r->prompting = 0;
		return;
	}
	buf_add(&r->inbuf, chunk, (size_t)n);
	while ((nl = memchr(r->inbuf.s, '\n', r->inbuf.len)) != NULL) {
		size_t len = (size_t)(nl - r->inbuf.s);
		char *line = xstrndup(r->inbuf.s, len);

		memmove(r->inbuf.s, nl + 1, r->inbuf.len - len - 1);
		r->inbuf.len -= len + 1;
		r->inbuf.s[r->inbuf.len] = '\0';
		handle_line(r, line);
		free(line);
	}
}

struct stale_list {
	int64_t *id;
	char **severity;
	int *count;
	size_t n;
};

static int collect_stale(const struct store_escalation *e, void *arg)
{
	struct stale_list *l = arg;

	l->id = xrealloc(l->id, (l->n + 1) * sizeof(*l->id));
	l->severity = xrealloc(l->severity, (l->n + 1) * sizeof(*l->severity));
	l->count = xrealloc(l->count, (l->n + 1) * sizeof(*l->count));
	l->id[l->n] = e->id;
	l->severity[l->n] = xstrdup(e->severity);
	l->count[l->n] = e->reescalations;
	l->n++;
	return 0;
}

/*
 * Stale re-escalation: an open, unacknowledged escalation not notified for
 * stale_after is sent again one severity higher, at most
 * max_reescalations times (measured from the last notification).
 */
void run__check_stale(struct run *r)
{
	const struct notify_cfg *nc = &r->sp->notify;
	struct stale_list l = { 0 };
	char *before, *cause = NULL;

	r->stale_ms = clock_now_ms();
	if (!nc->stale_after || nc->max_reescalations <= 0)
		return;
	before = clock_iso(clock_wall() - nc->stale_after);
	if (store_escalations_stale(r->st, r->id, before, nc->max_reescalations, collect_stale, &l,
				    &cause) < 0) {
		run__say(r, "warning: cannot look for stale escalations: %s", cause);
		free(cause);
	}
	free(before);
	for (size_t i = 0; i < l.n; i++) {
		struct rstory *s = run__story_of_escalation(r, l.id[i]);
		enum severity sev = SEVERITY_MEDIUM;
		char *at = clock_iso(clock_wall());

		severity_parse(l.severity[i], &sev);
		sev = severity_bump(sev);
		if (store_escalation_renotify(r->st, l.id[i], severity_name(sev), at, NULL) == 0 &&
		    s) {
			run__say(r, "%-6s escalation %lld is still open: sent again as %s",
				 s->cfg->id, (long long)l.id[i], severity_name(sev));
			run__send_notification(r, s, sev, l.count[i] + 1, at);
		}
		free(at);
		free(l.severity[i]);
	}
	free(l.id);
	free(l.severity);
	free(l.count);
}

/* Open escalations of the run (on resume), back on their stories. */
int run__restore_escalation(const struct store_escalation *e, void *arg)
{
	struct run *r = arg;
	int i = e->story_id ? sprint_find_story(r->sp, e->story_id) : -1;
	struct rstory *s;

	if (i < 0)
		return 0;
	s = &r->s[i];
	s->esc_id = e->id;
	s->esc = triggers_find(r->sp->triggers, e->trigger);
	s->esc_critical = e->category && !strcmp(e->category, "CRITICAL");
	free(s->esc_msg);
	s->esc_msg = xstrdup(e->message ? e->message : "");
	if (!s->esc)
		run__clear_escalation(s);
	return 0;
}
