/* SPDX-License-Identifier: MIT */
/*
 * run_escalate.c: raising an escalation: its message and options, the
 * notification, the prompt on the run's terminal.
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

/*
 * The last n lines of a session log with terminal escapes and carriage
 * returns taken out, for messages; newly allocated ("" when unreadable).
 */
char *run__log_tail(const char *path, int n)
{
	struct buf out = BUF_INIT;
	char *text = NULL, *p, *start;
	size_t len = 0;
	int lines = 0;

	if (!path || read_file(path, &text, &len) < 0)
		return xstrdup("");
	/* count back n non-empty lines */
	start = text;
	for (p = text + len; p > text; p--) {
		if (p[-1] == '\n' && p < text + len && p[0] != '\n' && p[0] != '\r' &&
		    ++lines > n) {
			start = p;
			break;
		}
	}
	for (p = start; p < text + len; p++) {
		if (*p == '\033') {
			/* CSI: ESC [ ... final; OSC: ESC ] ... BEL or ESC \ */
			if (p + 1 < text + len && p[1] == '[') {
				for (p += 2; p < text + len && !(*p >= '@' && *p <= '~'); p++)
					;
			} else if (p + 1 < text + len && p[1] == ']') {
				for (p += 2; p < text + len && *p != '\a' && *p != '\033'; p++)
					;
				if (p < text + len && *p == '\033')
					p++;
			} else if (p + 2 < text + len && strchr("()*+#%", p[1])) {
				p += 2; /* charset designation: ESC ( B */
			} else {
				p++;
			}
			continue;
		}
		if (*p == '\r' || (*p != '\n' && *p != '\t' && (unsigned char)*p < ' '))
			continue;
		buf_addc(&out, *p);
	}
	free(text);
	while (out.len && out.s[out.len - 1] == '\n')
		out.s[--out.len] = '\0';
	return buf_detach(&out);
}

const struct trigger_option *run__find_option(const struct trigger *t, const char *key)
{
	for (size_t i = 0; t && i < t->noptions; i++)
		if (!strcasecmp(t->options[i].key, key))
			return &t->options[i];
	return NULL;
}

/* "1-4", "1-3, X", "1, 3": the keys a prompt accepts. */
char *run__option_range(const struct trigger *t)
{
	struct buf b = BUF_INIT;
	size_t i = 0;

	while (t && i < t->noptions) {
		size_t j = i;

		while (j + 1 < t->noptions &&
		       t->options[j + 1].key[0] == t->options[j].key[0] + 1 &&
		       isdigit((unsigned char)t->options[j].key[0]))
			j++;
		if (b.len)
			buf_adds(&b, ", ");
		if (j > i)
			buf_addf(&b, "%s-%s", t->options[i].key, t->options[j].key);
		else
			buf_adds(&b, t->options[i].key);
		i = j + 1;
	}
	return buf_detach(&b);
}

static char *options_json(const struct trigger *t)
{
	json_t *a = json_array();
	char *text;

	for (size_t i = 0; i < t->noptions; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "key", t->options[i].key,
						   "label", t->options[i].label, "action",
						   trigger_action_names[t->options[i].action]));
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return text;
}

/* Prints an escalation with its options and how to answer it. */
void run__show_escalation(struct run *r, const struct rstory *s)
{
	const struct trigger *t = s->esc;
	char *keys = run__option_range(t);

	run__live_clear(r);
	fprintf(stderr, "\n%s%s", s->esc_msg,
		s->esc_msg[0] && s->esc_msg[strlen(s->esc_msg) - 1] == '\n' ? "" : "\n");
	fprintf(stderr, "(escalation %lld, %s, story %s)\n", (long long)s->esc_id,
		s->esc_critical ? "CRITICAL: the run is paused" : "PREFERENCE", s->cfg->id);
	for (size_t i = 0; i < t->noptions; i++)
		fprintf(stderr, "  %s) %s\n", t->options[i].key, t->options[i].label);
	fprintf(stderr, "answer from any terminal: automator answer %lld <%s>\n",
		(long long)s->esc_id, keys);
	fflush(stderr);
	free(keys);
}

void run__send_notification(struct run *r, const struct rstory *s, enum severity sev, int n,
			    const char *at)
{
	struct buf errors = BUF_INIT;
	struct notify_ctx nc = { 0 };
	struct notify_event e = { 0 };
	const struct step *st = run__cur_step(r, s);

	nc.cfg = &r->sp->notify;
	nc.log_path = r->notify_log;
	nc.tmx = &r->tmx;
	nc.bell_fd = isatty(STDERR_FILENO) ? STDERR_FILENO : -1;
	nc.errors = &errors;
	e.id = s->esc_id;
	e.run_id = r->id;
	e.project_root = r->pj.root;
	e.story = s->cfg->id;
	e.step = st ? st->name : "";
	e.trigger = s->esc->key;
	e.title = s->esc->title;
	e.category = s->esc_critical ? "CRITICAL" : "PREFERENCE";
	e.message = s->esc_msg;
	e.severity = sev;
	e.reescalation = n;
	e.at = at;
	if (notify_send(&nc, &e) > 0) {
		for (char *line = errors.s, *nl; line && *line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			run__say(r, "notify: %s", line);
			if (!nl)
				break;
		}
	}
	buf_release(&errors);
}

void run__notify(struct run *r, const struct rstory *s, const char *title, const char *text)
{
	struct buf errors = BUF_INIT;
	struct notify_ctx nc = { 0 };
	struct notify_event e = { 0 };
	const struct step *st = run__cur_step(r, s);
	char *at = clock_iso(clock_wall());
	char *message = xstrfmt("%s\n%s", title, text);
	char *trigger = xstrfmt("wait:%s", wait_reason_name(s->wait_reason));

	nc.cfg = &r->sp->notify;
	nc.log_path = r->notify_log;
	nc.tmx = &r->tmx;
	nc.bell_fd = -1;
	nc.errors = &errors;
	e.run_id = r->id;
	e.project_root = r->pj.root;
	e.story = s->cfg->id;
	e.step = st ? st->name : "";
	e.trigger = trigger;
	e.title = title;
	e.category = "INFO";
	e.message = message;
	e.severity = SEVERITY_MEDIUM;
	e.at = at;
	if (notify_send(&nc, &e) > 0)
		run__say(r, "notify: %s", buf_str(&errors));
	buf_release(&errors);
	free(trigger);
	free(message);
	free(at);
}

/*
 * What the agent said for an escalation message: for the JSON agents its
 * last words and its last error, never raw events (the full log stays in
 * automator log); for text agents the log's last lines.
 */
static char *session_words(struct run *r, const struct rstory *s)
{
	const struct agent *a = agents_find(r->sp->agents, s->agent);
	struct buf b = BUF_INIT;
	const char *said, *err;

	if (!s->sess)
		return xstrdup("");
	if (!a || !a->output || !strcmp(a->output, "text"))
		return run__log_tail(s->sess->log_path, 10);
	said = judge_said(s->sess->judge);
	err = judge_error_text(s->sess->judge);
	if (*said)
		buf_addf(&b, "The agent said: %s", said);
	if (*err && strcmp(err, said)) {
		if (b.len)
			buf_addc(&b, '\n');
		buf_addf(&b, "Its error: %s", err);
	}
	if (b.len)
		buf_addf(&b, "\n(full output: automator log %s)", s->cfg->id);
	return buf_detach(&b);
}

/* {denied}, {cost} and {waiting}; the strings go to extra[0..2] (the caller frees). */
static void extra_vars(struct run *r, const struct rstory *s, struct tvars *v, char *extra[3])
{
	const struct strvec *denied = s->sess ? judge_denials(s->sess->judge) : NULL;
	struct buf b = BUF_INIT;

	(void)r;
	for (size_t i = 0; denied && i < denied->n; i++)
		buf_addf(&b, "%s  - %s", i ? "\n" : "", denied->v[i]);
	extra[0] = buf_detach(&b);
	if (s->used.has_cost || s->used.input_tokens || s->used.output_tokens) {
		char *u = run__usage_text(&s->used);

		extra[1] = xstrfmt("Story cost so far: %s", u);
		free(u);
	} else {
		extra[1] = xstrdup("");
	}
	extra[2] = run__wait_text(s);
	tvars_set(v, "denied", extra[0]);
	tvars_set(v, "cost", extra[1]);
	tvars_set(v, "waiting", extra[2]);
}

/*
 * Raises trigger key for the current story: the escalation row (one open
 * per story and trigger: raising it again finds the open one), its
 * journal entry, the notification routes, and the message with its
 * numbered options. A CRITICAL one also pauses the run.
 */
void run__escalate(struct run *r, const char *key, bool critical)
{
	struct rstory *s = run__cur(r);
	const struct step *st = run__cur_step(r, s);
	const struct trigger *t = triggers_find(r->sp->triggers, key);
	struct store_escalation e = { 0 };
	char *num[2], *tail, *opts, *at, *cause = NULL, *extra[3] = { NULL, NULL, NULL };
	struct tvars v;
	int64_t id = 0;
	int rc;

	if (!t) {
		run__fail_fatal(r, "unknown trigger", xstrdup(key));
		return;
	}
	/*
	 * A step marked optional that fails is skipped, not escalated; an agent
	 * that asks a question or cannot reach its service still is.
	 */
	if (st && st->optional && strcmp(key, "agent-needs-input") &&
	    strcmp(key, "agent-unavailable") && strcmp(key, "usage-limit") &&
	    strcmp(key, "budget-exceeded")) {
		run__say(r, "%-6s optional step %s skipped (%s%s%s)", s->cfg->id, st->name, key,
			 s->note ? ": " : "", s->note ? s->note : "");
		run__queue(r, run__story_index(r, s), SE_OPTIONAL_FAILED);
		return;
	}
	tail = session_words(r, s);
	run__fill_vars(r, s, &v, num);
	tvars_set(&v, "error", s->note ? s->note : "");
	tvars_set(&v, "output", tail);
	extra_vars(r, s, &v, extra);
	free(s->esc_msg);
	s->esc_msg = template_render(t->message, &v);
	free(num[0]);
	free(num[1]);
	free(tail);
	for (size_t i = 0; i < ARRAY_SIZE(extra); i++)
		free(extra[i]);
	opts = options_json(t);
	at = clock_iso(clock_wall());
	e.run_id = r->id;
	e.story_id = s->cfg->id;
	e.step = st ? st->name : NULL;
	e.trigger = (char *)key;
	e.category = critical ? "CRITICAL" : "PREFERENCE";
	e.severity = (char *)severity_name(t->severity);
	e.message = s->esc_msg;
	e.options = opts;
	rc = store_escalation_open(r->st, &e, fsm_story.state_names[s->state], at, &id, &cause);
	free(opts);
	if (rc < 0) {
		free(at);
		run__fail_fatal(r, "cannot record the escalation", cause);
		return;
	}
	s->esc_id = id;
	s->esc = t;
	s->esc_critical = critical;
	{
		char *note = xstrfmt("%s%s%s", key, s->note ? ": " : "", s->note ? s->note : "");

		free(s->note);
		s->note = note;
	}
	if (rc == 0)
		run__send_notification(r, s, t->severity, 0, at);
	free(at);
	run__show_escalation(r, s);
	if (critical)
		run__queue(r, -1, RE_CRITICAL);
	if (rc == 0)
		run__operator_ask(r, s);
}
