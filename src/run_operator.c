/* SPDX-License-Identifier: MIT */
/*
 * run_operator.c: the operator (a sprint's operator:, issue 14). When an
 * escalation opens and the mode is not off, the operator's agent preset
 * runs headless with a context pack (the escalation's message and
 * options, the story, its step, the last lines of its session log, git
 * diff --stat of its work) and answers with one AUTOMATOR_RESULT object
 * {"option","rationale","confidence"}, judged like any session's output.
 * assist: the recommendation is said and notified, never applied. auto: it
 * is recorded as the answer (answered by "operator", the rationale as its
 * reason) when the option's action is in operator.allow and the escalation
 * is PREFERENCE or its trigger is in operator.triggers; anything else is
 * left to the human with a note, as is a malformed answer, a timeout or a
 * refusal. At most max_calls_per_hour calls; one at a time.
 *
 * The agent runs in a process forked for it (as integrations do,
 * run_integrator.c), so the loop goes on meanwhile; the child sends back
 * one JSON object through a pipe and dies with the loop. The rules went
 * first: an escalation is what they could not decide.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "proc.h"
#include "run_int.h"
#include "template.h"

#define HOUR 3600

/* The context pack: what the agent is asked. Newly allocated. */
static char *context_pack(struct run *r, struct rstory *s)
{
	const struct trigger *t = s->esc;
	const struct step *st = run__cur_step(r, s);
	char *tail = run__log_tail(s->sess ? s->sess->log_path : NULL, 30);
	const char *argv[] = { "git", "diff", "--stat", s->base_commit ? s->base_commit : "HEAD",
			       NULL };
	struct proc_opts po = { .cwd = run__story_root(r, s), .timeout_ms = 10000 };
	struct proc_result pr;
	struct buf b = BUF_INIT;

	buf_addf(&b,
		 "You are the operator of an automated sprint (automator). A decision is "
		 "needed; choose one of the options below. Do not change any file.\n\n"
		 "Escalation %lld: %s (%s, %s)\nStory %s: %s\nStep: %s, attempt %d\n\n"
		 "Message:\n%s\n\nOptions:\n",
		 (long long)s->esc_id, t->title, t->key,
		 s->esc_critical ? "CRITICAL" : "PREFERENCE", s->cfg->id, s->cfg->title,
		 st ? st->name : "-", s->attempt, s->esc_msg ? s->esc_msg : "");
	for (size_t i = 0; i < t->noptions; i++)
		buf_addf(&b, "  %s. %s (%s)\n", t->options[i].key, t->options[i].label,
			 trigger_action_names[t->options[i].action]);
	buf_addf(&b, "\nThe last lines of its session log:\n%s\n", tail[0] ? tail : "(none)");
	if (proc_run(argv, &po, &pr) == 0 && pr.status == 0)
		buf_addf(&b, "\ngit diff --stat of its work:\n%s\n",
			 pr.out.len ? buf_str(&pr.out) : "(no change)");
	proc_result_release(&pr);
	buf_adds(&b, "\nAnswer with exactly one last line, nothing after it:\n"
		     "AUTOMATOR_RESULT {\"option\": \"<key>\", \"rationale\": \"<why, one "
		     "sentence>\", \"confidence\": <0 to 1>}\n");
	free(tail);
	return buf_detach(&b);
}

/* In the child: the agent run and judged; {"result": ...} or {"why": ...} written to fd. */
static void consult(struct run *r, struct rstory *s, int fd)
{
	const struct agent *a =
		agents_find(r->sp->agents, r->sp->op.agent ? r->sp->op.agent : r->sp->agent);
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
	struct proc_result pr;
	struct judge_cfg jc;
	struct judge *j;
	struct tvars v;
	char *num[2], *prompt = context_pack(r, s), *why = NULL, *text;
	json_t *o;

	run__fill_vars(r, s, &v, num);
	tvars_set(&v, "prompt", prompt);
	for (size_t i = 0; i < a->command.n; i++)
		strvec_push_nodup(&argv, template_render(a->command.v[i], &v));
	run__agent_env(r, s, a, &v, &env, "operator");
	{
		struct proc_opts po = { .cwd = run__story_root(r, s),
					.env = (const char *const *)env.v,
					.timeout_ms = r->sp->op.timeout * 1000 };

		if (proc_run((const char *const *)argv.v, &po, &pr) < 0)
			why = xstrfmt("cannot start %s", argv.v[0]);
	}
	judge_cfg_init(&jc, NULL, a);
	j = judge_new(&jc);
	judge_feed(j, pr.out.s ? pr.out.s : "", pr.out.len);
	judge_finish(j, pr.status, pr.signal, NULL);
	o = json_object();
	if (why)
		json_object_set_new(o, "why", json_string(why));
	else if (pr.timed_out)
		json_object_set_new(o, "why", json_string("no answer within its timeout"));
	else if (!judge_result_json(j))
		json_object_set_new(o, "why",
				    json_pack("s", "no AUTOMATOR_RESULT line in its answer"));
	else
		json_object_set_new(o, "result", json_loads(judge_result_json(j), 0, NULL));
	text = json_dumps(o, JSON_COMPACT);
	if (text && write(fd, text, strlen(text)) < 0) {
		/* the loop is gone: nobody to tell */
	}
	_exit(0);
}

static void start(struct run *r, int story)
{
	struct rstory *s = &r->s[story];
	int fd, pid = run__fork_reporter(r, &fd);

	if (pid == 0) {
		r->said = &(struct strvec)STRVEC_INIT;
		consult(r, s, fd);
	}
	if (pid < 0) {
		run__say(r, "%-6s operator: cannot start its agent: %s", s->cfg->id,
			 strerror(errno));
		return;
	}
	r->oper.pid = pid;
	r->oper.fd = fd;
	r->oper.story = story;
	r->oper.esc_id = s->esc_id;
	buf_reset(&r->oper.report);
	run__say(r, "%-6s operator: asking %s about escalation %lld (%s)", s->cfg->id,
		 r->sp->op.agent ? r->sp->op.agent : r->sp->agent, (long long)s->esc_id,
		 r->sp->op.mode == OPERATOR_AUTO ? "auto" : "assist");
}

/* Calls in the last hour, the older ones forgotten. */
static size_t calls_in_hour(struct run *r)
{
	long long now = clock_wall();
	size_t k = 0;

	for (size_t i = 0; i < r->oper.ncalls; i++)
		if (now - r->oper.calls[i] < HOUR)
			r->oper.calls[k++] = r->oper.calls[i];
	r->oper.ncalls = k;
	return k;
}

static void next(struct run *r)
{
	struct run_oper *op = &r->oper;

	while (op->pid == 0 && op->nwaiting && !run__interrupted && !r->fatal) {
		int story = op->waiting[0];
		struct rstory *s = &r->s[story];

		memmove(op->waiting, op->waiting + 1, --op->nwaiting * sizeof(*op->waiting));
		if (!s->esc_id)
			continue; /* answered meanwhile */
		if (calls_in_hour(r) >= (size_t)r->sp->op.max_calls_per_hour) {
			run__say(r,
				 "%-6s operator: its %d calls this hour are spent: escalation "
				 "%lld is yours",
				 s->cfg->id, r->sp->op.max_calls_per_hour, (long long)s->esc_id);
			continue;
		}
		op->calls =
			grow_array(op->calls, &op->calls_cap, op->ncalls + 1, sizeof(*op->calls));
		op->calls[op->ncalls++] = clock_wall();
		start(r, story);
	}
}

void run__operator_ask(struct run *r, struct rstory *s)
{
	struct run_oper *op = &r->oper;

	if (r->sp->op.mode == OPERATOR_OFF || !s->esc_id)
		return;
	op->waiting = grow_array(op->waiting, &op->cap, op->nwaiting + 1, sizeof(*op->waiting));
	op->waiting[op->nwaiting++] = run__story_index(r, s);
	next(r);
}

bool run__operator_busy(const struct run *r)
{
	return r->oper.pid > 0 || r->oper.nwaiting > 0;
}

/* Left to the human: said and notified. */
static void to_human(struct run *r, struct rstory *s, char *why)
{
	char *text = xstrfmt("operator: %s; escalation %lld waits for your answer", why,
			     (long long)s->esc_id);

	run__say(r, "%-6s %s", s->cfg->id, text);
	run__notify(r, s, "Operator left a decision to you", text);
	free(text);
	free(why);
}

/* The recommendation on the escalation's row, for escalations list; a failure is a warning. */
static void record(struct run *r, const struct rstory *s, const char *key, const char *why,
		   double conf)
{
	char *at = clock_iso(clock_wall()), *text, *cause = NULL;
	json_t *o = json_pack("{s:s,s:s,s:s}", "option", key, "rationale", why, "at", at);

	if (conf >= 0)
		json_object_set_new(o, "confidence", json_real(conf));
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (store_escalation_recommend(r->st, s->esc_id, text, &cause) < 0) {
		run__say(r, "%-6s warning: %s", s->cfg->id, cause);
		free(cause);
	}
	free(text);
	free(at);
	json_decref(o);
}

static bool allowed(const struct run *r, const struct rstory *s, const struct trigger_option *o)
{
	const struct operator_cfg *c = &r->sp->op;
	bool listed = false;

	for (size_t i = 0; i < c->triggers.n && !listed; i++)
		listed = !strcmp(c->triggers.v[i], s->esc->key);
	return (c->allow & (1u << o->action)) && (!s->esc_critical || listed);
}

/* The answer, checked against the escalation's options, then shown or applied. */
static void act(struct run *r, struct rstory *s, json_t *res)
{
	json_t *opt = json_object_get(res, "option"), *rat = json_object_get(res, "rationale");
	json_t *cf = json_object_get(res, "confidence");
	const char *why = json_is_string(rat) ? json_string_value(rat) : "";
	double conf = json_is_number(cf) ? json_number_value(cf) : -1;
	const struct trigger_option *o;
	char *text, *cause = NULL, *at, key[32] = "";
	int64_t did = 0;

	/* "1" or 1: an option's key either way */
	if (json_is_string(opt))
		snprintf(key, sizeof(key), "%s", json_string_value(opt));
	else if (json_is_integer(opt))
		snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(opt));
	o = key[0] ? run__find_option(s->esc, key) : NULL;
	if (!o) {
		to_human(r, s,
			 xstrfmt("its answer names no option of the escalation (%s)",
				 key[0] ? key : "none"));
		return;
	}
	if (json_is_number(cf) && (conf < 0 || conf > 1)) {
		to_human(r, s, xstrfmt("its confidence %.2f is not between 0 and 1", conf));
		return;
	}
	text = conf >= 0 ? xstrfmt("operator recommends %s (%s), confidence %.2f: %s", o->key,
				   o->label, conf, why)
			 : xstrfmt("operator recommends %s (%s): %s", o->key, o->label, why);
	run__say(r, "%-6s %s", s->cfg->id, text);
	record(r, s, o->key, why, conf);
	if (r->sp->op.mode != OPERATOR_AUTO) {
		run__notify(r, s, "Operator recommendation", text);
		free(text);
		return;
	}
	free(text);
	if (!allowed(r, s, o)) {
		to_human(r, s,
			 xstrfmt("option %s (%s) is not one auto may take (operator.allow, "
				 "operator.triggers)",
				 o->key, trigger_action_names[o->action]));
		return;
	}
	at = clock_iso(clock_wall());
	if (store_escalation_answer(r->st, s->esc_id, o->key, why, "operator", at, &did, &cause) <
	    0) {
		to_human(r, s, xstrfmt("its answer could not be recorded: %s", cause));
		free(cause);
	}
	free(at);
	run__apply_answers(r);
}

static void finish(struct run *r)
{
	struct run_oper *op = &r->oper;
	struct rstory *s = &r->s[op->story];
	int wstatus = 0;
	json_t *o = NULL, *res;
	const char *why = NULL;

	while (waitpid(op->pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	op->pid = 0;
	if (s->esc_id != op->esc_id) {
		run__say(r, "%-6s operator: escalation %lld was answered before it did", s->cfg->id,
			 (long long)op->esc_id);
	} else if (!(o = json_loads(buf_str(&op->report), 0, NULL))) {
		to_human(r, s, xstrdup("its process ended without an answer"));
	} else if ((res = json_object_get(o, "result")) && json_is_object(res)) {
		act(r, s, res);
	} else {
		json_unpack(o, "{s?s}", "why", &why);
		to_human(r, s, xstrdup(why ? why : "no answer"));
	}
	json_decref(o);
	buf_reset(&op->report);
	next(r);
}

void run__operator_collect(struct run *r)
{
	if (r->oper.pid > 0 && run__read_report(&r->oper.fd, &r->oper.report))
		finish(r);
}

void run__operator_close(struct run *r)
{
	struct run_oper *op = &r->oper;

	if (op->pid > 0) {
		kill(op->pid, SIGKILL);
		while (waitpid(op->pid, NULL, 0) < 0 && errno == EINTR)
			;
		op->pid = 0;
	}
	if (op->fd >= 0)
		close(op->fd);
	op->fd = -1;
	buf_release(&op->report);
	free(op->waiting);
	free(op->calls);
	op->waiting = NULL;
	op->calls = NULL;
	op->nwaiting = op->cap = op->ncalls = op->calls_cap = 0;
}
