/*
 * run.c: the orchestrator loop. Binds the fsm tables' guards and actions to
 * real side effects (tmux sessions, verifiers, git, sprint-status), journals
 * every transition with the intent of its side effect before running it,
 * and rebuilds itself from the journal on resume. One process, one thread,
 * one poll(2) loop. Must not print except through the progress functions,
 * and must not run anything through a shell.
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

#define TICK_MS 100
#define SETTLE_MS 3000      /* how long to wait for the end marker after the exit record */
#define PROMPT_IDLE_MS 1500 /* a prompt-looking last line this quiet means "waiting" */
#define SESSION_CHECK_MS 2000
#define MARKER_PREFIX "\033]777;automator-end;"

static volatile sig_atomic_t interrupted;

void run__crash_point(const char *name)
{
	const char *at = getenv("AUTOMATOR_CRASH_AT");

	if (at && !strcmp(at, name)) {
		fflush(NULL);
		kill(getpid(), SIGKILL);
	}
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* ---- progress output ---- */

/*
 * Without a terminal every transition is one timestamped line. On a
 * terminal the same lines scroll above a live block holding one line per
 * active story, redrawn in place.
 */
static void live_clear(struct run *r);
static void live_draw(struct run *r);
static struct rstory *story_of_escalation(struct run *r, int64_t id);
static char *option_range(const struct trigger *t);

void run__say(struct run *r, const char *fmt, ...)
{
	char *t = clock_iso(clock_wall());
	va_list ap;

	live_clear(r);
	if (r->prompting || r->want_reply)
		fputs("\r\033[K", stdout); /* the prompt line is redrawn below */
	printf("%s ", t + 11);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (r->prompting && !r->want_reply) {
		struct rstory *s = story_of_escalation(r, r->prompting);
		char *keys = s ? option_range(s->esc) : NULL;

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

static void fail_fatal(struct run *r, const char *what, char *cause)
{
	fprintf(stderr, "automator: %s: %s\n", what, cause ? cause : "unknown error");
	free(cause);
	r->fatal = true;
	r->exit_code = EXIT_SOFTWARE;
}

/* ---- story helpers ---- */

struct rstory *run__cur(struct run *r)
{
	return &r->s[r->cur];
}

const struct step *run__cur_step(struct run *r, const struct rstory *s)
{
	const struct workflow *w = r->sp->workflow;

	return (size_t)s->step_index < w->nsteps ? &w->steps[s->step_index] : NULL;
}

static int step_retries(struct run *r, const struct step *st)
{
	return st && st->retries >= 0 ? st->retries : r->sp->limits.crash_retries;
}

static bool story_final(const struct rstory *s)
{
	return fsm_is_terminal(&fsm_story, s->state);
}

/*
 * The story holds a max_parallel slot. A WAITING story keeps its slot: its
 * work is half done in the shared working tree, so no other story may start
 * over it.
 */
static bool story_busy(const struct rstory *s)
{
	return s->state == SS_SPAWN || s->state == SS_REVIEW || s->state == SS_COMMIT ||
	       s->state == SS_VERIFY || s->state == SS_WAITING;
}

int run__story_index(struct run *r, const struct rstory *s)
{
	return (int)(s - r->s);
}

void run__queue(struct run *r, int target, int event)
{
	if (fsm_queue_push(&r->q, target, event) < 0)
		xdie("out of memory (event queue)");
}

/* The ENTER event of the story's current step, or STEPS_DONE. */
void run__queue_step(struct run *r, struct rstory *s)
{
	const struct step *st = run__cur_step(r, s);
	int ev = SE_STEPS_DONE;

	if (st) {
		switch (st->kind) {
		case STEP_SESSION:
			ev = SE_ENTER_SESSION;
			break;
		case STEP_REVIEW:
			ev = SE_ENTER_REVIEW;
			break;
		case STEP_COMMIT:
			ev = SE_ENTER_COMMIT;
			break;
		case STEP_VERIFY:
			ev = SE_ENTER_VERIFY;
			break;
		}
	}
	run__queue(r, run__story_index(r, s), ev);
}

static void fill_vars(struct run *r, const struct rstory *s, struct tvars *v, char *num[2])
{
	const struct step *st = run__cur_step(r, s);

	num[0] = xstrfmt("%d", s->cycle);
	num[1] = xstrfmt("%d", s->attempt);
	memset(v, 0, sizeof(*v));
	tvars_set(v, "story.id", s->cfg->id);
	tvars_set(v, "story.key", s->cfg->key);
	tvars_set(v, "story.prefix", s->cfg->prefix);
	tvars_set(v, "story.title", s->cfg->title);
	tvars_set(v, "story.epic", s->cfg->epic);
	tvars_set(v, "step", st ? st->name : "");
	tvars_set(v, "cycle", num[0]);
	tvars_set(v, "attempt", num[1]);
	tvars_set(v, "root", r->pj.root);
	tvars_set(v, "datadir", config_datadir());
	bmadinstall_set_vars(v, r->pj.root, agents_find(r->sp->agents, s->agent));
}

/* The story's key as sprint-status spells it, when the file lists it. */
static char *status_key(struct run *r, const struct rstory *s)
{
	struct bmad_status *bs;
	const struct bmad_entry *e;
	struct diags d = DIAGS_INIT;
	char *key = NULL;

	if (r->status_file && bmad_status_load(r->status_file, &bs, &d) == 0) {
		e = bmad_status_find(bs, s->cfg->key ? s->cfg->key : s->cfg->id);
		if (e)
			key = xstrdup(e->key);
		bmad_status_free(bs);
	}
	diags_release(&d);
	return key ? key : xstrdup(s->cfg->key);
}

/* ---- the live block (terminals only) ---- */

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

static void live_clear(struct run *r)
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

		if (!(story_busy(s) || s->state == SS_AWAITING_DECISION || s->state == SS_BLOCKED ||
		      s->state == SS_WAITING))
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

static void live_refresh(struct run *r)
{
	long long now = clock_now_ms();

	if (!r->tty || now - r->live_at < 250)
		return;
	r->live_at = now;
	live_clear(r);
	live_draw(r);
	fflush(stdout);
}

/* ---- sessions ---- */

static void session_free(struct session *ss)
{
	if (!ss)
		return;
	if (ss->fd >= 0)
		close(ss->fd);
	judge_free(ss->judge);
	free(ss->name);
	free(ss->log_path);
	free(ss->exit_path);
	free(ss->spec_path);
	free(ss->marker);
	buf_release(&ss->pending);
	free(ss);
}

static struct judge *make_judge(struct run *r, const struct rstory *s)
{
	struct judge_cfg c;

	judge_cfg_init(&c, run__cur_step(r, s), agents_find(r->sp->agents, s->agent));
	return judge_new(&c);
}

/* A session object for the story's current step attempt (not yet spawned). */
static struct session *session_new(struct run *r, struct rstory *s)
{
	const struct step *st = run__cur_step(r, s);
	struct session *ss = xcalloc(1, sizeof(*ss));
	char *base = xstrfmt("%s-%s-%d", s->cfg->id, st->name, s->attempt);
	char *nonce = xstrfmt("%s-%s", r->id, base);

	ss->fd = -1;
	ss->name = tmx_session_name(r->pj.slug, s->cfg->id, st->name, s->attempt);
	ss->log_path = xstrfmt("%s/%s.log", r->logdir, base);
	ss->exit_path = xstrfmt("%s/%s.exit", r->logdir, base);
	ss->spec_path = xstrfmt("%s/%s.json", r->logdir, base);
	ss->marker = xstrfmt(MARKER_PREFIX "%s\a", nonce);
	ss->judge = make_judge(r, s);
	ss->started_ms = ss->last_output_ms = ss->checked_ms = clock_now_ms();
	free(base);
	free(nonce);
	return ss;
}

/* Env for the agent: the preset's, then ours. */
static void agent_env(struct run *r, struct rstory *s, const struct agent *a, struct tvars *v,
		      struct strvec *env)
{
	const struct step *st = run__cur_step(r, s);
	char *key = status_key(r, s);

	for (size_t i = 0; i < a->env.n; i++)
		strvec_push_nodup(env, template_render(a->env.v[i], v));
	strvec_push(env, "AUTOMATOR_CHILD=1");
	strvec_push_nodup(env, xstrfmt("AUTOMATOR_RUN=%s", r->id));
	strvec_push_nodup(env, xstrfmt("AUTOMATOR_STORY=%s", s->cfg->id));
	strvec_push_nodup(env, xstrfmt("AUTOMATOR_STORY_KEY=%s", key));
	strvec_push_nodup(env, xstrfmt("AUTOMATOR_STEP=%s", st->name));
	strvec_push_nodup(env, xstrfmt("AUTOMATOR_CYCLE=%d", s->cycle));
	strvec_push_nodup(env, xstrfmt("AUTOMATOR_ATTEMPT=%d", s->attempt));
	strvec_push_nodup(env, xstrfmt("AUTOMATOR_PROJECT_ROOT=%s", r->pj.root));
	if (r->status_file)
		strvec_push_nodup(env, xstrfmt("AUTOMATOR_STATUS_FILE=%s", r->status_file));
	for (size_t i = 0; i < s->cfg->fake.n; i++) {
		const char *eq = strchr(s->cfg->fake.v[i], '=');

		if (eq && eq[1] && (size_t)(eq - s->cfg->fake.v[i]) == strlen(st->name) &&
		    !strncmp(s->cfg->fake.v[i], st->name, strlen(st->name)))
			strvec_push_nodup(env, xstrfmt("AUTOMATOR_FAKE=%s", eq + 1));
	}
	free(key);
}

static int open_log(struct session *ss)
{
	if (ss->fd >= 0)
		return 0;
	ss->fd = open(ss->log_path, O_RDONLY | O_CLOEXEC);
	return ss->fd < 0 ? -1 : 0;
}

/*
 * Spawns the session: the runner spec, then tmux. Returns 0, or -1 with
 * *cause (the story gets SPAWN_FAILED).
 */
static int session_spawn(struct run *r, struct rstory *s, struct session *ss, char **cause)
{
	const struct step *st = run__cur_step(r, s);
	const struct agent *a = agents_find(r->sp->agents, s->agent);
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
	struct tvars v;
	char *num[2], *prompt, exe[4096];
	const char *runner_argv[4];
	struct runner_spec spec;
	struct tmx_spawn sp;
	ssize_t n;
	int ret = -1, fd;

	if (!a) {
		*cause = xstrfmt("unknown agent '%s'", s->agent);
		return -1;
	}
	fill_vars(r, s, &v, num);
	prompt = template_render(st->prompt ? st->prompt : "", &v);
	tvars_set(&v, "prompt", prompt);
	for (size_t i = 0; i < a->command.n; i++)
		strvec_push_nodup(&argv, template_render(a->command.v[i], &v));
	agent_env(r, s, a, &v, &env);

	spec = (struct runner_spec){ .argv = (const char *const *)argv.v,
				     .env = (const char *const *)env.v,
				     .cwd = r->pj.root,
				     .log_file = ss->log_path,
				     .exit_file = ss->exit_path,
				     .marker = ss->marker };
	if (runner_write_spec(ss->spec_path, &spec) < 0) {
		*cause = xstrfmt("cannot write '%s': %s", ss->spec_path, strerror(errno));
		goto out;
	}
	/* the log exists (empty, 0600) before tmux appends to it */
	fd = open(ss->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		*cause = xstrdup("cannot find the automator binary");
		goto out;
	}
	exe[n] = '\0';
	runner_argv[0] = exe;
	runner_argv[1] = "__runner";
	runner_argv[2] = ss->spec_path;
	runner_argv[3] = NULL;
	{
		const char *tenv[] = { "AUTOMATOR_CHILD=1", NULL };

		sp = (struct tmx_spawn){ .name = ss->name,
					 .argv = runner_argv,
					 .log_path = ss->log_path,
					 .env = tenv };
		if (tmx_spawn(&r->tmx, &sp, NULL, cause) < 0)
			goto out;
	}
	ret = open_log(ss);
	if (ret < 0)
		*cause = xstrfmt("cannot open '%s': %s", ss->log_path, strerror(errno));
out:
	free(prompt);
	free(num[0]);
	free(num[1]);
	strvec_release(&argv);
	strvec_release(&env);
	return ret;
}

/* Feeds new log bytes to the judge, stopping at the runner's end marker. */
static void session_read(struct run *r, struct rstory *s, struct session *ss)
{
	char chunk[65536];
	size_t mlen = strlen(ss->marker);
	ssize_t n;
	int rounds = 0;

	if (open_log(ss) < 0 || ss->marker_seen)
		return;
	while (rounds++ < 16 && (n = pread(ss->fd, chunk, sizeof(chunk), ss->offset)) > 0) {
		const char *m;
		size_t keep;

		ss->offset += n;
		ss->last_output_ms = clock_now_ms();
		ss->waiting_reported = false;
		buf_add(&ss->pending, chunk, (size_t)n);
		m = memmem(ss->pending.s, ss->pending.len, ss->marker, mlen);
		if (m) {
			judge_feed(ss->judge, ss->pending.s, (size_t)(m - ss->pending.s));
			buf_reset(&ss->pending);
			ss->marker_seen = true;
			break;
		}
		/* hold back only a tail that is the start of the marker */
		keep = ss->pending.len < mlen ? ss->pending.len : mlen - 1;
		while (keep > 0 &&
		       memcmp(ss->pending.s + ss->pending.len - keep, ss->marker, keep) != 0)
			keep--;
		judge_feed(ss->judge, ss->pending.s, ss->pending.len - keep);
		memmove(ss->pending.s, ss->pending.s + ss->pending.len - keep, keep);
		ss->pending.len = keep;
		ss->pending.s[keep] = '\0';
	}
	if (ss->id > 0)
		store_session_set_offset(r->st, ss->id, ss->offset, NULL);
	(void)s;
}

static int verdict_event(enum judge_verdict v)
{
	switch (v) {
	case JV_RESULT:
		return SE_RESULT;
	case JV_SUCCESS:
		return SE_OUTPUT_SUCCESS;
	case JV_FAILURE:
		return SE_OUTPUT_FAILURE;
	case JV_NO_RESULT:
		return SE_NO_RESULT;
	case JV_WAIT:
		return SE_WAIT;
	case JV_NETWORK:
		return SE_NETWORK;
	case JV_UNAVAILABLE:
		return SE_UNAVAILABLE;
	case JV_DENIED:
		return SE_PERMISSION_DENIED;
	case JV_EXITED:
	default:
		return SE_EXITED;
	}
}

/*
 * What a verdict means beyond its event: a wait needs its reset time, and
 * anything else than a wait ends a row of waits (max_wait counts afresh).
 */
static void session_verdict(struct run *r, struct rstory *s, struct session *ss,
			    enum judge_verdict v)
{
	if (v == JV_WAIT || v == JV_NETWORK) {
		run__wait_from_judge(r, s, ss->judge);
		return;
	}
	s->backoffs = 0;
	s->wait_until = 0;
	if (s->wait_since) {
		s->wait_since = 0;
		store_story_set_wait(r->st, r->id, s->cfg->id, NULL, NULL, NULL, NULL);
	}
}

/* The session ended: judge it and queue the verdict. */
static void session_finish(struct run *r, struct rstory *s, struct session *ss)
{
	char *reason = NULL;
	enum judge_verdict v;

	judge_feed(ss->judge, ss->pending.s ? ss->pending.s : "", ss->pending.len);
	buf_reset(&ss->pending);
	v = judge_finish(ss->judge, ss->exit.status, ss->exit.signal, &reason);
	ss->ended = true;
	if (ss->id > 0)
		store_session_update_exit(r->st, ss->id, ss->exit.status, ss->exit.signal, NULL,
					  NULL);
	run__usage_record(r, s, ss, clock_now_ms() - ss->started_ms);
	session_verdict(r, s, ss, v);
	tmx_kill_session(&r->tmx, ss->name, NULL);
	free(s->note);
	s->note = reason;
	run__queue(r, run__story_index(r, s), verdict_event(v));
}

/* ---- guards ---- */

static bool g_retries_left(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);

	return s->retries_used < step_retries(r, run__cur_step(r, s));
}

static bool g_crash_retries_left(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);

	return s->crash_retries_used < step_retries(r, run__cur_step(r, s));
}

static bool g_cycles_left(void *ctx)
{
	struct run *r = ctx;

	return run__cur(r)->cycle < r->sp->limits.review_cycles;
}

static bool g_restarts_left(void *ctx)
{
	struct run *r = ctx;

	return run__cur(r)->crash_retries_used < r->sp->limits.crash_retries;
}

static bool g_has_dependents(void *ctx)
{
	struct run *r = ctx;
	size_t me = (size_t)r->cur;

	for (size_t i = 0; i < r->n; i++)
		for (size_t j = 0; j < r->s[i].cfg->depends.n; j++)
			if (r->s[i].cfg->dep_index[j] == me && !story_final(&r->s[i]))
				return true;
	return false;
}

static bool g_is_review_step(void *ctx)
{
	struct run *r = ctx;
	const struct step *st = run__cur_step(r, run__cur(r));

	return st && st->kind == STEP_REVIEW;
}

static bool g_more_critical(void *ctx)
{
	struct run *r = ctx;

	for (size_t i = 0; i < r->n; i++)
		if (r->s[i].esc_id && r->s[i].esc_critical)
			return true;
	return false;
}

/* ---- escalations ---- */

/*
 * The last n lines of a session log with terminal escapes and carriage
 * returns taken out, for messages; newly allocated ("" when unreadable).
 */
static char *log_tail(const char *path, int n)
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

static const struct trigger_option *find_option(const struct trigger *t, const char *key)
{
	for (size_t i = 0; t && i < t->noptions; i++)
		if (!strcasecmp(t->options[i].key, key))
			return &t->options[i];
	return NULL;
}

/* "1-4", "1-3, X", "1, 3": the keys a prompt accepts. */
static char *option_range(const struct trigger *t)
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
static void show_escalation(struct run *r, const struct rstory *s)
{
	const struct trigger *t = s->esc;
	char *keys = option_range(t);

	live_clear(r);
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

static void send_notification(struct run *r, const struct rstory *s, enum severity sev, int n,
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
		return log_tail(s->sess->log_path, 10);
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
static void escalate(struct run *r, const char *key, bool critical)
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
		fail_fatal(r, "unknown trigger", xstrdup(key));
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
	fill_vars(r, s, &v, num);
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
		fail_fatal(r, "cannot record the escalation", cause);
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
		send_notification(r, s, t->severity, 0, at);
	free(at);
	show_escalation(r, s);
	if (critical)
		run__queue(r, -1, RE_CRITICAL);
}

/* ---- story actions ---- */

static int a_begin_story(void *ctx)
{
	struct run *r = ctx;

	run__queue_step(r, run__cur(r));
	return 0;
}

static void verify_ctx_fill(struct run *r, struct rstory *s, struct verify_ctx *vc, struct tvars *v,
			    char *num[2])
{
	fill_vars(r, s, v, num);
	memset(vc, 0, sizeof(*vc));
	vc->root = r->pj.root;
	vc->status_file = r->status_file;
	vc->story = s->cfg;
	vc->step = run__cur_step(r, s) ? run__cur_step(r, s)->name : "";
	vc->cycle = s->cycle;
	vc->attempt = s->attempt;
	vc->exit_status = s->sess && s->sess->exited ? s->sess->exit.status : 0;
	vc->exit_signal = s->sess && s->sess->exited ? s->sess->exit.signal : 0;
	vc->vars = v;
	vc->timeout_ms = 10 * 60 * 1000;
	vc->contract = r->has_contract ? &r->contract : NULL;
}

/* A session row exists for the story's current step attempt. */
static bool attempt_recorded(struct run *r, const struct rstory *s, const struct step *st)
{
	struct store_session old;

	if (store_session_get(r->st, r->id, s->cfg->id, st->name, s->attempt, &old, NULL) != 0)
		return false;
	store_session_release(&old);
	return true;
}

static int a_run_session(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);
	const struct step *st = run__cur_step(r, s);
	struct store_session row = { 0 };
	struct session *ss;
	char *cause = NULL;
	int64_t id = 0;
	int ret;

	session_free(s->sess);
	s->sess = NULL;
	/* skip_if_verified: the step's work is already there (a story file, say) */
	if (st->skip_if_artifact && st->verifier.kind != VERIFIER_NONE) {
		struct verify_result res = { 0 };
		struct verify_ctx vc;
		struct tvars v;
		char *num[2], *why = NULL;
		bool done;

		verify_ctx_fill(r, s, &vc, &v, num);
		done = verify_run(&st->verifier, &vc, &res, &why) == 0 && res.verified;
		verify_result_release(&res);
		free(why);
		free(num[0]);
		free(num[1]);
		if (done) {
			run__say(r, "%-6s step %s skipped: its verifier already passes", s->cfg->id,
				 st->name);
			run__queue(r, run__story_index(r, s), SE_VERIFIED);
			return 0;
		}
	}
	/*
	 * A held agent preset or a spent budget: no session starts. Only for a
	 * fresh attempt: one spawned before (a resume) is re-attached below.
	 */
	if (!attempt_recorded(r, s, st) && run__session_blocked(r, s))
		return 0;
	s->sess = ss = session_new(r, s);
	row.run_id = r->id;
	row.story_id = s->cfg->id;
	row.step = st->name;
	row.attempt = s->attempt;
	row.tmux_name = ss->name;
	row.log_path = ss->log_path;
	ret = store_session_add(r->st, &row, &id, &cause);
	if (ret < 0) {
		fail_fatal(r, "cannot record the session", cause);
		return -1;
	}
	if (ret == 1) {
		/* resumed: this attempt was spawned before; never spawn it twice */
		struct store_session old;

		if (store_session_get(r->st, r->id, s->cfg->id, st->name, s->attempt, &old, NULL) ==
		    0) {
			ss->id = old.id;
			ss->offset = old.log_offset;
			store_session_release(&old);
		}
		open_log(ss);
		run__say(r, "%-6s re-attached %s (log offset %lld)", s->cfg->id, ss->name,
			 (long long)ss->offset);
		/* the judge needs the output it has not seen: replay from the start */
		ss->offset = 0;
		return 0;
	}
	ss->id = id;
	if (session_spawn(r, s, ss, &cause) < 0) {
		free(s->note);
		s->note = cause;
		ss->ended = true;
		run__queue(r, run__story_index(r, s), SE_SPAWN_FAILED);
		return 0;
	}
	run__crash_point("after-spawn");
	return 0;
}

/* Runs the current step's verifier and queues VERIFIED or NOT_VERIFIED. */
static int run_verifier(struct run *r)
{
	struct rstory *s = run__cur(r);
	const struct step *st = run__cur_step(r, s);
	struct verify_result res = { 0 };
	struct verify_ctx vc;
	struct tvars v;
	char *num[2], *cause = NULL;
	int ev;

	if (!st || st->verifier.kind == VERIFIER_NONE) {
		run__queue(r, r->cur, SE_VERIFIED);
		return 0;
	}
	verify_ctx_fill(r, s, &vc, &v, num);
	if (verify_run(&st->verifier, &vc, &res, &cause) < 0) {
		/* the check could not be made at all: not a verdict on the work */
		free(s->note);
		s->note = xstrfmt("the %s verifier could not run: %s", st->name, cause);
		free(cause);
		ev = SE_ERROR;
	} else {
		ev = res.verified ? SE_VERIFIED : SE_NOT_VERIFIED;
		if (!res.verified) {
			free(s->note);
			s->note = xstrfmt("not verified (%s): %s", res.source ? res.source : "-",
					  res.reason ? res.reason : "-");
		}
	}
	verify_result_release(&res);
	free(num[0]);
	free(num[1]);
	run__queue(r, r->cur, ev);
	return 0;
}

static int a_verify_step(void *ctx)
{
	return run_verifier(ctx);
}

static int a_run_verify(void *ctx)
{
	run__crash_point("before-verify");
	return run_verifier(ctx);
}

static int a_run_commit(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);
	const struct step *st = run__cur_step(r, s);
	struct strvec paths = STRVEC_INIT;
	char *trailer = xstrfmt("%s/%s", r->id, s->cfg->id), *sha = NULL, *cause = NULL;
	char *msg, *num[2], *body;
	struct tvars v;
	int ret;

	/* idempotent: a commit made before a crash is found by its trailer */
	if (gitx_find_trailer(r->pj.root, s->base_commit, "Automator-Story", trailer, &sha, NULL) ==
	    0) {
		run__say(r, "%-6s already committed as %.12s", s->cfg->id, sha);
		free(sha);
		free(trailer);
		run__queue(r, r->cur, SE_COMMITTED);
		return 0;
	}
	if (gitx_story_paths(r->pj.root, &s->snapshot, &paths, &cause) < 0) {
		free(s->note);
		s->note = xstrfmt("cannot list the story's changes: %s", cause);
		free(cause);
		free(trailer);
		run__queue(r, r->cur, SE_ERROR);
		return 0;
	}
	fill_vars(r, s, &v, num);
	body = template_render(st->message ? st->message : "{story.id}: {story.title}", &v);
	msg = xstrfmt("%s\n\nAutomator-Story: %s\n", body, trailer);
	free(body);
	free(num[0]);
	free(num[1]);
	ret = paths.n ? gitx_commit(r->pj.root, &paths, msg, &sha, &cause) : 1;
	if (ret < 0) {
		free(s->note);
		s->note = cause;
		run__queue(r, r->cur, SE_COMMIT_FAILED);
	} else if (ret == 1) {
		run__say(r, "%-6s nothing to commit", s->cfg->id);
		run__queue(r, r->cur, SE_COMMITTED);
	} else {
		run__say(r, "%-6s committed %.12s (%zu file%s)", s->cfg->id, sha, paths.n,
			 paths.n == 1 ? "" : "s");
		run__crash_point("after-commit");
		run__queue(r, r->cur, SE_COMMITTED);
	}
	free(sha);
	free(msg);
	free(trailer);
	strvec_release(&paths);
	return 0;
}

static int a_requeue_step(void *ctx)
{
	struct run *r = ctx;

	run__queue_step(r, run__cur(r));
	return 0;
}

static int a_restart_step(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);

	if (s->sess)
		tmx_kill_session(&r->tmx, s->sess->name, NULL);
	run__queue_step(r, s);
	return 0;
}

static int a_resume_session(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);

	if (s->sess)
		s->sess->waiting_reported = false;
	return 0;
}

static int a_fallback_retry(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);
	const struct agent *a = agents_find(r->sp->agents, s->agent);

	if (a && a->fallback)
		s->agent = agents_find(r->sp->agents, a->fallback)->name;
	run__queue_step(r, s);
	return 0;
}

static void check_all_final(struct run *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (!story_final(&r->s[i]))
			return;
	run__queue(r, -1, RE_ALL_FINAL);
}

static int a_mark_done(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);
	char *cause = NULL;
	int rc;

	/* by the full key: a short id two stories share names neither */
	rc = r->status_file ? statusedit_set(r->status_file, s->cfg->key ? s->cfg->key : s->cfg->id,
					     "done", &cause)
			    : 0;
	if (rc < 0) {
		run__say(r, "%-6s cannot set sprint-status to done: %s", s->cfg->id, cause);
		free(cause);
	} else if (rc == 1) {
		run__say(r, "%-6s is not in %s: its status there is not set", s->cfg->id,
			 r->status_file);
	}
	session_free(s->sess);
	s->sess = NULL;
	check_all_final(r);
	return 0;
}

static int a_close_story(void *ctx)
{
	struct run *r = ctx;
	struct rstory *s = run__cur(r);

	if (s->sess) {
		tmx_kill_session(&r->tmx, s->sess->name, NULL);
		session_free(s->sess);
		s->sess = NULL;
	}
	check_all_final(r);
	return 0;
}

#define ESCALATION(fn, key, crit)         \
	static int fn(void *ctx)          \
	{                                 \
		escalate(ctx, key, crit); \
		return 0;                 \
	}
ESCALATION(a_esc_cannot_parse, "cannot-parse-output", false)
ESCALATION(a_esc_spawn_failure, "session-spawn-failure", true)
ESCALATION(a_esc_impl_failure, "dev-implementation-failure", false)
ESCALATION(a_esc_impl_blocking, "dev-implementation-failure", true)
ESCALATION(a_esc_review_loop, "code-review-loop-exceeded", true)
ESCALATION(a_esc_incomplete, "session-incomplete", true)
ESCALATION(a_esc_commit_failure, "git-commit-failure", true)
ESCALATION(a_esc_needs_input, "agent-needs-input", false)
ESCALATION(a_esc_restart_loop, "restart-loop", true)
ESCALATION(a_esc_unavailable, "agent-unavailable", true)
ESCALATION(a_esc_usage_limit, "usage-limit", false)
ESCALATION(a_esc_denied, "agent-permission-denied", false)
ESCALATION(a_esc_budget, "budget-exceeded", false)
ESCALATION(a_esc_unexpected, "unexpected-error", true)

/* ---- run actions ---- */

static void write_marker(struct run *r)
{
	struct marker m = { 0 };
	char *cause = NULL;
	int remaining = 0;
	const char *current = NULL;

	for (size_t i = 0; i < r->n; i++) {
		if (!story_final(&r->s[i]))
			remaining++;
		if (!current && story_busy(&r->s[i]))
			current = r->s[i].cfg->id;
	}
	m.epic = r->n ? r->s[0].cfg->epic : NULL;
	m.current_story = current;
	m.stories_remaining = remaining;
	m.state_file = r->pj.db;
	m.started_at = r->started_wall;
	m.heartbeat = clock_wall();
	m.pid = (long)getpid();
	m.project_slug = r->pj.slug;
	if (project_marker_write(&r->pj, &m, &cause) < 0) {
		run__say(r, "warning: %s", cause);
		free(cause);
	}
	r->last_heartbeat = clock_now_ms();
}

static int a_prepare(void *ctx)
{
	(void)ctx;
	return 0;
}

static int a_create_marker(void *ctx)
{
	write_marker(ctx);
	/* nothing to do at all (every story selected out): the run is over */
	check_all_final(ctx);
	return 0;
}

static int a_pause(void *ctx)
{
	struct run *r = ctx;

	project_marker_remove(&r->pj);
	run__say(r, "run paused: a decision is needed (marker removed)");
	return 0;
}

static int a_unpause(void *ctx)
{
	write_marker(ctx);
	return 0;
}

static int a_reattach(void *ctx);

static int a_finalize(void *ctx)
{
	struct run *r = ctx;

	project_marker_remove(&r->pj);
	run__queue(r, -1, RE_FINALIZED);
	return 0;
}

static int a_abort_run(void *ctx)
{
	struct run *r = ctx;

	for (size_t i = 0; i < r->n; i++)
		if (r->s[i].sess)
			tmx_kill_session(&r->tmx, r->s[i].sess->name, NULL);
	project_marker_remove(&r->pj);
	return 0;
}

static const fsm_guard_fn story_guards[SG__COUNT] = {
	[SG_RETRIES_LEFT] = g_retries_left,     [SG_CRASH_RETRIES_LEFT] = g_crash_retries_left,
	[SG_CYCLES_LEFT] = g_cycles_left,       [SG_RESTARTS_LEFT] = g_restarts_left,
	[SG_HAS_DEPENDENTS] = g_has_dependents, [SG_IS_REVIEW_STEP] = g_is_review_step,
	[SG_WAIT_LEFT] = run__g_wait_left,
};

static const fsm_action_fn story_actions[SA__COUNT] = {
	[SA_BEGIN_STORY] = a_begin_story,
	[SA_RUN_SESSION] = a_run_session,
	[SA_RUN_COMMIT] = a_run_commit,
	[SA_RUN_VERIFY] = a_run_verify,
	[SA_VERIFY_STEP] = a_verify_step,
	[SA_NEXT_STEP] = a_requeue_step,
	[SA_RETRY_STEP] = a_requeue_step,
	[SA_NEW_CYCLE] = a_requeue_step,
	[SA_RESTART_STEP] = a_restart_step,
	[SA_WAIT] = run__a_wait,
	[SA_BACKOFF_RETRY] = run__a_backoff_retry,
	[SA_RESUME_STEP] = run__a_resume_step,
	[SA_RAISE_BUDGET] = run__a_raise_budget,
	[SA_RESUME_SESSION] = a_resume_session,
	[SA_FALLBACK_RETRY] = a_fallback_retry,
	[SA_MARK_DONE] = a_mark_done,
	[SA_CLOSE_STORY] = a_close_story,
	[SA_ESCALATE_CANNOT_PARSE] = a_esc_cannot_parse,
	[SA_ESCALATE_SPAWN_FAILURE] = a_esc_spawn_failure,
	[SA_ESCALATE_IMPL_FAILURE] = a_esc_impl_failure,
	[SA_ESCALATE_IMPL_BLOCKING] = a_esc_impl_blocking,
	[SA_ESCALATE_REVIEW_LOOP] = a_esc_review_loop,
	[SA_ESCALATE_INCOMPLETE] = a_esc_incomplete,
	[SA_ESCALATE_COMMIT_FAILURE] = a_esc_commit_failure,
	[SA_ESCALATE_NEEDS_INPUT] = a_esc_needs_input,
	[SA_ESCALATE_RESTART_LOOP] = a_esc_restart_loop,
	[SA_ESCALATE_UNAVAILABLE] = a_esc_unavailable,
	[SA_ESCALATE_USAGE_LIMIT] = a_esc_usage_limit,
	[SA_ESCALATE_DENIED] = a_esc_denied,
	[SA_ESCALATE_BUDGET] = a_esc_budget,
	[SA_ESCALATE_UNEXPECTED] = a_esc_unexpected,
};

static const fsm_guard_fn run_guards[RG__COUNT] = {
	[RG_MORE_CRITICAL] = g_more_critical,
};

static const fsm_action_fn run_actions[RA__COUNT] = {
	[RA_PREPARE] = a_prepare,     [RA_CREATE_MARKER] = a_create_marker,
	[RA_PAUSE] = a_pause,         [RA_UNPAUSE] = a_unpause,
	[RA_REATTACH] = a_reattach,   [RA_FINALIZE] = a_finalize,
	[RA_ABORT_RUN] = a_abort_run,
};

static const struct fsm_impl story_impl = { story_guards, story_actions };
static const struct fsm_impl run_impl = { run_guards, run_actions };

/* ---- transitions ---- */

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
		if (gitx_head(r->pj.root, &s->base_commit, NULL) != 0)
			s->base_commit = NULL;
		strvec_release(&s->snapshot);
		gitx_snapshot(r->pj.root, &s->snapshot, NULL);
		break;
	case SA_NEXT_STEP:
		*c = (struct counters){ s->step_index + 1, 1, 1, 0, 0 };
		break;
	case SA_RETRY_STEP:
		c->attempt++;
		if (event == SE_EXITED)
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
	st = (size_t)c->step_index < r->sp->workflow->nsteps
		     ? &r->sp->workflow->steps[c->step_index]
		     : NULL;
	o = json_pack("{s:s,s:s?,s:i,s:i}", "action", fsm_story.action_names[row->action], "step",
		      st ? st->name : NULL, "attempt", c->attempt, "cycle", c->cycle);
	if (row->action == SA_BEGIN_STORY) {
		json_object_set_new(o, "base",
				    s->base_commit ? json_string(s->base_commit) : json_null());
		json_object_set_new(o, "snapshot", snapshot_json(&s->snapshot));
	}
	if ((row->action == SA_WAIT || row->action == SA_BACKOFF_RETRY ||
	     row->action == SA_ESCALATE_USAGE_LIMIT) &&
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

static void print_transition(struct run *r, int target, const struct fsm_def *def,
			     const struct fsm_row *row, int from, int event)
{
	const char *who = target < 0 ? "run" : r->s[target].cfg->id;
	const char *g = row->guard ? def->guard_names[row->guard] : NULL;
	const char *a = row->action ? def->action_names[row->action] : NULL;
	struct buf extra = BUF_INIT;

	if (target >= 0) {
		const struct rstory *s = &r->s[target];
		const struct step *st = run__cur_step(r, s);

		if (st && !story_final(s) && s->state != SS_PENDING)
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
	const struct fsm_impl *impl = target < 0 ? &run_impl : &story_impl;
	struct rstory *s = target < 0 ? NULL : &r->s[target];
	int *state = s ? &s->state : &r->state;
	int64_t *pending = s ? &s->pending_seq : &r->pending_seq;
	const struct fsm_row *row;
	struct store_transition t = { 0 };
	struct counters c = { 0 };
	char *intent = NULL, *cause = NULL;
	int64_t seq = 0;
	int from = *state;

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
		const struct step *st = (size_t)c.step_index < r->sp->workflow->nsteps
						? &r->sp->workflow->steps[c.step_index]
						: NULL;

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
		fail_fatal(r, "cannot journal a transition", cause);
		return;
	}
	free(intent);
	/* the previous side effect is complete once the next transition is journaled */
	if (*pending)
		store_intent_finish(r->st, *pending, true, NULL, NULL);
	*pending = t.intent ? seq : 0;
	if (s) {
		s->step_index = c.step_index;
		s->attempt = c.attempt;
		s->cycle = c.cycle;
		s->retries_used = c.retries_used;
		s->crash_retries_used = c.crash_retries_used;
		s->last_event = event;
	}
	*state = row->next;
	print_transition(r, target, def, row, from, event);
	if (row->action != FSM_NO_ACTION)
		impl->actions[row->action](r);
	/* the marker says which story runs and how many remain */
	if (s && r->state == RS_IN_PROGRESS &&
	    (row->action == SA_BEGIN_STORY || fsm_is_terminal(def, *state)))
		write_marker(r);
	if (fsm_is_terminal(def, *state) && *pending) {
		store_intent_finish(r->st, *pending, true, NULL, NULL);
		*pending = 0;
	}
}

static void write_marker(struct run *r);

static void drain(struct run *r)
{
	struct fsm_qitem it;

	while (!r->fatal && fsm_queue_pop(&r->q, &it))
		fire(r, it.target, it.event);
}

/* ---- scheduling and monitoring ---- */

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
		if (story_final(d))
			*failed = d;
	}
	return ok;
}

static void escalate(struct run *r, const char *key, bool critical);
static void decision_done(struct run *r, int64_t did, bool close);
static void clear_escalation(struct rstory *s);

/*
 * A BMAD sprint declares no dependencies: a story of an epic may need the
 * one before it. Before one starts while another story of its epic runs,
 * the human is asked (dependency-conflict, PREFERENCE): continue in
 * parallel, run sequentially, or pause. True while s must wait.
 */
static bool parallel_conflict(struct run *r, struct rstory *s)
{
	const struct rstory *other = NULL;

	for (size_t i = 0; i < r->n && !other && r->sp->bmad && !r->parallel_ok; i++)
		if (&r->s[i] != s && story_busy(&r->s[i]) &&
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
			clear_escalation(s);
		}
		return false;
	}
	if (!s->esc_id) {
		free(s->note);
		s->note = xstrfmt("story %s may depend on story %s of the same epic, which is "
				  "still running",
				  s->cfg->id, other->cfg->id);
		r->cur = (int)(s - r->s);
		escalate(r, "dependency-conflict", false);
		r->cur = -1;
	}
	return true;
}

static void schedule(struct run *r)
{
	int busy = 0;

	for (size_t i = 0; i < r->n; i++)
		busy += story_busy(&r->s[i]);
	if (r->state == RS_IN_PROGRESS && !interrupted && !r->fatal) {
		run__waits_due(r);
		drain(r);
	}
	for (size_t i = 0; i < r->n && !r->fatal; i++) {
		struct rstory *s = &r->s[i];
		const struct rstory *failed;

		if (r->state != RS_IN_PROGRESS || interrupted || s->state != SS_PENDING)
			continue;
		if (!deps_done(r, s, &failed)) {
			if (failed) {
				free(s->note);
				s->note = xstrfmt("dependency %s ended %s", failed->cfg->id,
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
		drain(r);
	}
	drain(r);
}

static long step_limit(long step_value, long sprint_value)
{
	return step_value > 0 ? step_value : sprint_value;
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
	tmx_kill_session(&r->tmx, ss->name, NULL);
	/* what it used counts toward the budgets whatever the verdict */
	run__usage_record(r, s, ss, clock_now_ms() - ss->started_ms);
	if (v != JV_WAIT && v != JV_NETWORK && v != JV_UNAVAILABLE) {
		free(reason);
		return ev;
	}
	free(s->note);
	s->note = xstrfmt("%s (%s)", reason, why);
	free(reason);
	session_verdict(r, s, ss, v);
	return verdict_event(v);
}

static void monitor(struct run *r, struct rstory *s)
{
	struct session *ss = s->sess;
	const struct step *st = run__cur_step(r, s);
	long long now;
	char *cause = NULL;

	if (!ss || ss->ended || !st)
		return;
	session_read(r, s, ss);
	now = clock_now_ms();
	if (!ss->exited) {
		int rc = runner_read_exit(ss->exit_path, &ss->exit, &cause);

		if (rc == 1) {
			ss->exited = true;
			ss->exit_seen_ms = now;
		}
		free(cause);
	}
	/* while a decision is open the session is watched but not judged */
	if (s->state != SS_SPAWN && s->state != SS_REVIEW)
		return;
	if (ss->exited) {
		if (ss->marker_seen || now - ss->exit_seen_ms > SETTLE_MS) {
			session_read(r, s, ss);
			session_finish(r, s, ss);
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
		free(s->note);
		s->note = xstrfmt("no output for %lds",
				  step_limit(st->idle_timeout, r->sp->limits.idle_timeout));
		ss->ended = true;
		run__queue(r, run__story_index(r, s),
			   limit_event(r, s, ss, SE_IDLE, "stopped when idle"));
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
	if (now - ss->checked_ms > SESSION_CHECK_MS) {
		bool dead = false;
		int st_status = -1, st_signal = 0, gone;

		ss->checked_ms = now;
		gone = tmx_has_session(&r->tmx, ss->name, NULL) == 0;
		if (!gone &&
		    tmx_pane_state(&r->tmx, ss->name, &dead, &st_status, &st_signal, &cause) < 0) {
			free(cause);
			cause = NULL;
		}
		/* the pane died (or vanished) without the runner's exit record */
		if ((gone || dead) && runner_read_exit(ss->exit_path, &ss->exit, &cause) == 0) {
			ss->exit.status = gone ? -1 : st_signal ? -1 : st_status;
			ss->exit.signal = gone ? SIGKILL : st_signal;
			ss->exited = true;
			ss->exit_seen_ms = now - SETTLE_MS - 1;
			free(s->note);
			s->note = xstrfmt("the session %s without an exit record",
					  gone ? "disappeared" : "died");
		}
		free(cause);
	}
}

/* True when nothing can move without a decision. */
static bool waiting_for_decision(struct run *r)
{
	bool open = false;

	for (size_t i = 0; i < r->n; i++) {
		const struct rstory *s = &r->s[i];
		const struct rstory *failed;

		if (story_busy(s) &&
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

/* ---- answers ---- */

static struct rstory *story_of_escalation(struct run *r, int64_t id)
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

static void prompt_show(struct run *r)
{
	struct rstory *s;
	char *keys;

	if (!r->interactive || r->stdin_eof || r->prompting || !(s = oldest_escalation(r)))
		return;
	r->prompting = s->esc_id;
	keys = option_range(s->esc);
	live_clear(r);
	printf("Select option [%s]: ", keys);
	fflush(stdout);
	free(keys);
}

static void clear_escalation(struct rstory *s)
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
	default:
		return -1;
	}
}

/* Marks decision did applied; when close, the escalation is over. */
static void decision_done(struct run *r, int64_t did, bool close)
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
	struct rstory *s = story_of_escalation(r, d->escalation_id);
	const struct trigger_option *o;
	bool critical;
	int ev;

	if (!s) {
		/* closed meanwhile, or of a story this run no longer waits on */
		decision_done(r, d->id, true);
		return;
	}
	o = find_option(s->esc, d->choice);
	if (!o) {
		run__say(r, "escalation %lld: option '%s' does not exist", (long long)s->esc_id,
			 d->choice);
		decision_done(r, d->id, false);
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
			decision_done(r, d->id, false);
			r->human_pause = true;
			return;
		}
		if (o->action == TA_sequential)
			r->max_parallel = 1;
		else
			r->parallel_ok = true;
		decision_done(r, d->id, true);
		clear_escalation(s);
		return;
	}
	switch (o->action) {
	case TA_view_output: {
		char *tail = log_tail(s->sess ? s->sess->log_path : NULL, 40);

		live_clear(r);
		printf("---- last lines of %s's session ----\n%s\n----\n", s->cfg->id,
		       tail[0] ? tail : "(no output)");
		free(tail);
		decision_done(r, d->id, false);
		show_escalation(r, s);
		return;
	}
	case TA_pause:
		decision_done(r, d->id, false);
		r->human_pause = true;
		return;
	case TA_abort_run:
		decision_done(r, d->id, true);
		clear_escalation(s);
		for (size_t i = 0; i < r->n; i++)
			if (!story_final(&r->s[i]))
				run__queue(r, (int)i, SE_ABORT);
		run__queue(r, -1, RE_ABORT);
		drain(r);
		return;
	case TA_send_reply:
		if (!d->reply || !*d->reply) {
			run__say(r, "%-6s option %s sends a reply: answer with --reply TEXT",
				 s->cfg->id, o->key);
			decision_done(r, d->id, false);
			show_escalation(r, s);
			return;
		}
		if (!s->sess || s->sess->ended || s->sess->exited ||
		    !judge_prompt_waiting(s->sess->judge)) {
			run__say(r,
				 "%-6s the agent is no longer waiting at a prompt: reply not sent",
				 s->cfg->id);
			decision_done(r, d->id, false);
			show_escalation(r, s);
			return;
		} else {
			char *cause = NULL;

			if (tmx_send_text(&r->tmx, s->sess->name, d->reply, true, &cause) < 0) {
				run__say(r, "%-6s cannot type the reply: %s", s->cfg->id, cause);
				free(cause);
				decision_done(r, d->id, false);
				show_escalation(r, s);
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
	decision_done(r, d->id, true);
	clear_escalation(s);
	if (ev >= 0)
		run__queue(r, run__story_index(r, s), ev);
	if (critical && r->state == RS_PAUSED)
		run__queue(r, -1, RE_RESOLVED);
	drain(r);
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
static void apply_answers(struct run *r)
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
	apply_answers(r);
}

static void handle_line(struct run *r, char *line)
{
	struct rstory *s = story_of_escalation(r, r->prompting);
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
	o = *p ? find_option(s->esc, p) : NULL;
	if (!o) {
		char *keys = option_range(s->esc);

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
static void read_stdin(struct run *r)
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
static void check_stale(struct run *r)
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
		struct rstory *s = story_of_escalation(r, l.id[i]);
		enum severity sev = SEVERITY_MEDIUM;
		char *at = clock_iso(clock_wall());

		severity_parse(l.severity[i], &sev);
		sev = severity_bump(sev);
		if (store_escalation_renotify(r->st, l.id[i], severity_name(sev), at, NULL) == 0 &&
		    s) {
			run__say(r, "%-6s escalation %lld is still open: sent again as %s",
				 s->cfg->id, (long long)l.id[i], severity_name(sev));
			send_notification(r, s, sev, l.count[i] + 1, at);
		}
		free(at);
		free(l.severity[i]);
	}
	free(l.id);
	free(l.severity);
	free(l.count);
}

/* Open escalations of the run (on resume), back on their stories. */
static int restore_escalation(const struct store_escalation *e, void *arg)
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
		clear_escalation(s);
	return 0;
}

/* ---- resume ---- */

static int action_index(const char *name)
{
	for (int i = 1; i < SA__COUNT; i++)
		if (!strcmp(fsm_story.action_names[i], name))
			return i;
	return -1;
}

struct replay {
	struct run *r;
};

/* The agent preset a story starts with: run --agent, else its own, else the sprint's. */
static const char *base_agent(const struct run *r, const struct story *cfg)
{
	if (r->opts.agent)
		return r->opts.agent;
	return cfg->agent ? cfg->agent : r->sp->agent;
}

/* Restores what the journal knows beyond the story rows: snapshots, agents. */
static int replay_entry(const struct store_journal_entry *e, void *arg)
{
	struct replay *rp = arg;
	struct run *r = rp->r;
	json_t *o, *snap, *v;
	int i;
	size_t k;

	if (!e->story_id || !e->intent || (i = sprint_find_story(r->sp, e->story_id)) < 0)
		return 0;
	o = json_loads(e->intent, 0, NULL);
	if (!o)
		return 0;
	if (e->action && !strcmp(e->action, "BEGIN_STORY")) {
		strvec_release(&r->s[i].snapshot);
		snap = json_object_get(o, "snapshot");
		json_array_foreach(snap, k, v) strvec_push(&r->s[i].snapshot, json_string_value(v));
		r->s[i].agent = base_agent(r, r->s[i].cfg);
	}
	if (e->action && !strcmp(e->action, "FALLBACK_RETRY") &&
	    json_is_string(json_object_get(o, "agent"))) {
		const struct agent *a =
			agents_find(r->sp->agents, json_string_value(json_object_get(o, "agent")));

		if (a)
			r->s[i].agent = a->name;
	}
	/* the wait as journaled: a resume waits for the same reset even when
	 * the process died before the story's row recorded it */
	if (e->action &&
	    (!strcmp(e->action, "WAIT") || !strcmp(e->action, "BACKOFF_RETRY") ||
	     !strcmp(e->action, "ESCALATE_USAGE_LIMIT")) &&
	    json_is_string(json_object_get(o, "until"))) {
		r->s[i].wait_until = run__iso_time(json_string_value(json_object_get(o, "until")));
		r->s[i].wait_reason =
			wait_reason_from_name(json_string_value(json_object_get(o, "reason")));
	} else if (e->action && strcmp(e->action, "WAIT") && strcmp(e->action, "BACKOFF_RETRY")) {
		/* the wait is over once anything else was done */
		r->s[i].wait_until = 0;
	}
	if (e->intent_status == STORE_INTENT_PENDING) {
		if (e->machine && !strcmp(e->machine, "story"))
			r->s[i].pending_seq = e->seq;
	}
	json_decref(o);
	return 0;
}

static int replay_run_entry(const struct store_journal_entry *e, void *arg)
{
	struct run *r = arg;

	if (!e->story_id && e->intent_status == STORE_INTENT_PENDING)
		r->pending_seq = e->seq;
	return 0;
}

/* The journal row seq's action name, newly allocated (NULL when none). */
struct find_seq {
	int64_t seq;
	char *action;
};

static int find_seq_entry(const struct store_journal_entry *e, void *arg)
{
	struct find_seq *f = arg;

	if (e->seq == f->seq && e->action) {
		f->action = xstrdup(e->action);
		return 1;
	}
	return 0;
}

/*
 * Redoes, idempotently, the side effect whose intent was journaled but not
 * known to have finished: spawn or re-attach a session, re-run a verifier,
 * commit (or find the commit made before the crash), re-queue a step.
 */
static int a_reattach(void *ctx)
{
	struct run *r = ctx;

	for (size_t i = 0; i < r->n && !r->fatal; i++) {
		struct rstory *s = &r->s[i];
		struct find_seq f = { s->pending_seq, NULL };
		int a;

		if (story_final(s) || !s->pending_seq)
			continue;
		store_journal_foreach(r->st, r->id, find_seq_entry, &f, NULL);
		if (!f.action)
			continue;
		a = action_index(f.action);
		run__say(r, "%-6s resuming %s in %s", s->cfg->id, f.action,
			 fsm_story.state_names[s->state]);
		free(f.action);
		r->cur = (int)i;
		if (a == SA_VERIFY_STEP || a == SA_RESUME_SESSION) {
			/* the session of this attempt ran before: look at it again */
			story_actions[SA_RUN_SESSION](r);
			if (a == SA_VERIFY_STEP && s->sess) {
				runner_read_exit(s->sess->exit_path, &s->sess->exit, NULL);
				s->sess->exited = true;
				s->sess->ended = true;
			}
		}
		if (a > 0 && story_actions[a] && a != SA_RESUME_SESSION)
			story_actions[a](r);
		drain(r);
	}
	r->cur = -1;
	/* killed after the last story ended but before the run did */
	check_all_final(r);
	return 0;
}

/* ---- setup ---- */

static struct run *run_new(void)
{
	struct run *r = xcalloc(1, sizeof(*r));

	r->cur = -1;
	r->pj.lock_fd = -1;
	r->tty = isatty(STDOUT_FILENO);
	r->color = r->tty && !getenv("NO_COLOR");
	return r;
}

static void run_free(struct run *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		session_free(r->s[i].sess);
		free(r->s[i].base_commit);
		free(r->s[i].note);
		free(r->s[i].esc_msg);
		strvec_release(&r->s[i].snapshot);
	}
	free(r->s);
	run__holds_free(r);
	fsm_queue_release(&r->q);
	store_close(r->st);
	/*
	 * Spawns kept the server up (exit-empty off); give it back while the
	 * lock is held: it exits now if no session is left, else with the last.
	 */
	if (r->tmx.socket && r->pj.lock_fd >= 0)
		tmx_server_done(&r->tmx);
	tmx_release(&r->tmx);
	project_release(&r->pj);
	sprint_free(r->sp);
	free(r->id);
	free(r->logdir);
	free(r->status_file);
	free(r->notify_log);
	if (r->has_contract)
		verify_contract_release(&r->contract);
	free(r->pending_choice);
	buf_release(&r->inbuf);
	free(r);
}

/*
 * The sprint of a run being resumed. A BMAD sprint-status is read with
 * every story (as --include-status '*'): which stories belong to the run is
 * what the run recorded, not what the file queues now (a story the run
 * started with --include-status, or one its review already marked done
 * before it was committed).
 */
static int load_sprint(const char *path, struct sprint **out)
{
	struct diags d = DIAGS_INIT;
	struct strvec every = STRVEC_INIT;
	int rc;

	strvec_push(&every, "*");
	rc = sprint_load_with(path, &every, out, &d);
	strvec_release(&every);
	if (rc < 0) {
		diags_sort(&d);
		diags_print(&d, stderr, isatty(STDERR_FILENO));
		diags_release(&d);
		return EXIT_DATAERR;
	}
	diags_release(&d);
	return 0;
}

/* Opens the project: tools present, .automator/ ready, lock taken, store open. */
static int open_project(struct run *r)
{
	char *cause = NULL;
	long holder = 0;
	int rc;

	if (!tmx_available()) {
		fprintf(stderr, "automator: tmux is not installed (apt-get install tmux)\n");
		return EXIT_UNAVAILABLE;
	}
	if (!gitx_available()) {
		fprintf(stderr, "automator: git is not installed (apt-get install git)\n");
		return EXIT_UNAVAILABLE;
	}
	project_init(&r->pj, r->sp->root, r->sp->project);
	if (project_prepare(&r->pj, &cause) < 0) {
		fprintf(stderr, "automator: %s\n", cause);
		free(cause);
		return EXIT_SOFTWARE;
	}
	rc = project_lock(&r->pj, &holder, &cause);
	if (rc == 1) {
		fprintf(stderr,
			"automator: project %s is locked by another automator run (pid %ld)\n",
			r->pj.root, holder);
		return EXIT_TEMPFAIL;
	}
	if (rc < 0) {
		fprintf(stderr, "automator: %s\n", cause);
		free(cause);
		return EXIT_SOFTWARE;
	}
	if (store_open(r->pj.db, &r->st, &cause) < 0) {
		fprintf(stderr, "automator: %s: %s\n", r->pj.db, cause);
		free(cause);
		return EXIT_SOFTWARE;
	}
	tmx_init(&r->tmx, r->pj.socket);
	r->notify_log = path_join(r->pj.dir, "escalations.jsonl");
	if (r->sp->review_sources.n || r->sp->review_done.n) {
		/* checked when the sprint loaded; a failure here is a bug */
		if (verify_contract_from(&r->sp->review_sources, &r->sp->review_done, &r->contract,
					 &cause) < 0) {
			fprintf(stderr, "automator: %s\n", cause);
			free(cause);
			return EXIT_SOFTWARE;
		}
		r->has_contract = true;
	}
	r->interactive = !r->opts.no_input && isatty(STDIN_FILENO);
	if (r->sp->status_file) {
		r->status_file = path_join(r->sp->root, r->sp->status_file);
	} else if (statusedit_find_file(r->sp->root, &r->status_file) != 0) {
		r->status_file = NULL;
	}
	return 0;
}

static void build_stories(struct run *r)
{
	r->n = r->sp->nstories;
	r->s = xcalloc(r->n + 1, sizeof(*r->s));
	for (size_t i = 0; i < r->n; i++) {
		r->s[i].cfg = &r->sp->stories[i];
		r->s[i].state = SS_PENDING;
		r->s[i].agent = base_agent(r, r->s[i].cfg);
		r->s[i].attempt = 1;
		r->s[i].cycle = 1;
	}
}

static char *new_run_id(void)
{
	char *t = clock_iso(clock_wall());
	char *id;

	/* 2026-11-22T03:04:05Z -> 20261122-030405-<pid> */
	id = xstrfmt("%.4s%.2s%.2s-%.2s%.2s%.2s-%04x", t, t + 5, t + 8, t + 11, t + 14, t + 17,
		     (unsigned)getpid() & 0xffff);
	free(t);
	return id;
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

static void print_summary(struct run *r)
{
	int done = 0;
	size_t shown = 0;
	bool costs = false;

	for (size_t i = 0; i < r->n; i++)
		costs |= r->s[i].used.has_cost;
	live_clear(r);
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
	print_usage(r);
	fflush(stdout);
}

/* Lists the open escalations and how to answer them (before exit 3). */
static void print_open_escalations(struct run *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct rstory *s = &r->s[i];
		char *keys;

		if (!s->esc_id)
			continue;
		keys = option_range(s->esc);
		printf("  escalation %lld (%s, story %s, %s): automator answer %lld <%s>\n",
		       (long long)s->esc_id, s->esc->key, s->cfg->id,
		       s->esc_critical ? "CRITICAL" : "PREFERENCE", (long long)s->esc_id, keys);
		free(keys);
	}
}

/* The main loop: returns the exit code. */
static int loop(struct run *r)
{
	for (;;) {
		struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
		long long now;

		drain(r);
		if (r->fatal)
			return r->exit_code;
		if (fsm_is_terminal(&fsm_run, r->state))
			break;
		if (interrupted || r->human_pause) {
			live_clear(r);
			printf("\n%s: sessions keep running; continue with:\n  automator resume\n",
			       interrupted ? "interrupted" : "paused for manual work");
			print_summary(r);
			print_open_escalations(r);
			return EXIT_PAUSED;
		}
		schedule(r);
		for (size_t i = 0; i < r->n; i++)
			monitor(r, &r->s[i]);
		drain(r);
		now = clock_now_ms();
		if (now - r->polled_ms >= 500)
			apply_answers(r);
		if (now - r->stale_ms >= 1000)
			check_stale(r);
		if (fsm_is_terminal(&fsm_run, r->state))
			break;
		prompt_show(r);
		live_refresh(r);
		if (r->state == RS_IN_PROGRESS && now - r->last_heartbeat > 30000)
			write_marker(r);
		if (r->q.len == 0 && waiting_for_decision(r) &&
		    !(r->interactive && !r->stdin_eof)) {
			live_clear(r);
			printf("\ndecision needed: the run is paused until these are answered; "
			       "then "
			       "continue with:\n  automator resume\n");
			print_summary(r);
			print_open_escalations(r);
			return EXIT_PAUSED;
		}
		if (r->interactive && !r->stdin_eof) {
			if (poll(&pfd, 1, TICK_MS) > 0 && (pfd.revents & (POLLIN | POLLHUP)))
				read_stdin(r);
		} else {
			poll(NULL, 0, TICK_MS);
		}
	}
	print_summary(r);
	for (size_t i = 0; i < r->n; i++)
		if (!r->s[i].outside && r->s[i].state != SS_DONE)
			return EXIT_NEGATIVE;
	return EXIT_OK;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Keeps only the stories named by --stories / --epic (dependencies outside count as done). */
static int select_stories(struct run *r)
{
	const char *sel = r->opts.stories, *epic = r->opts.epic;
	size_t kept = 0;

	if (!sel && !epic)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		struct rstory *s = &r->s[i];
		bool keep = true;

		if (epic && strcmp(s->cfg->epic, epic))
			keep = false;
		if (sel && keep) {
			char *copy = xstrdup(sel), *save = NULL, *tok;

			keep = false;
			for (tok = strtok_r(copy, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				char *dash = strchr(tok, '-');
				int lo, hi, me;

				if (storykey_same(tok, s->cfg->id)) {
					keep = true;
					break;
				}
				/* a range 1.4-1.6 within one epic */
				if (dash && sscanf(tok, "%*[0-9].%d-%*[0-9].%d", &lo, &hi) == 2 &&
				    sscanf(s->cfg->id, "%*[0-9].%d", &me) == 1 &&
				    !strncmp(tok, s->cfg->id, strcspn(tok, ".")) && me >= lo &&
				    me <= hi)
					keep = true;
			}
			free(copy);
		}
		if (!keep) {
			s->state = SS_SKIPPED;
			s->outside = true;
		}
		kept += keep;
	}
	if (kept == 0) {
		fprintf(stderr, "automator: no story matches the selection\n");
		return EXIT_USAGE;
	}
	return 0;
}

int run_start(const char *sprint_path, const struct run_opts *o)
{
	struct run *r = run_new();
	char *abs = realpath(sprint_path, NULL), *cause = NULL, *unfinished = NULL;
	struct store_run rec = { 0 };
	struct preflight pf = PREFLIGHT_INIT;
	bool *selected = NULL;
	struct strvec include = STRVEC_INIT;
	struct diags d = DIAGS_INIT;
	int rc;

	r->opts = *o;
	if (o->include_status) {
		char *copy = xstrdup(o->include_status), *save = NULL, *tok;

		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (tok[strspn(tok, " \t")])
				strvec_push(&include, tok);
		free(copy);
	}
	rc = sprint_load_with(sprint_path, &include, &r->sp, &d);
	if (rc < 0) {
		diags_sort(&d);
		diags_print(&d, stderr, isatty(STDERR_FILENO));
	}
	diags_release(&d);
	if (rc < 0) {
		rc = EXIT_DATAERR;
		goto out;
	}
	for (size_t i = 0; i < r->sp->warnings.n; i++)
		fprintf(stderr, "%s\n", r->sp->warnings.v[i]);
	if (o->agent && !agents_find(r->sp->agents, o->agent)) {
		fprintf(stderr, "automator: unknown agent '%s'\n", o->agent);
		rc = EXIT_USAGE;
		goto out;
	}
	r->max_parallel = o->max_parallel > 0 ? o->max_parallel : r->sp->max_parallel;
	build_stories(r);
	if ((rc = select_stories(r)) != 0)
		goto out;
	/* before anything is written: what the run needs from this machine */
	selected = xcalloc(r->n + 1, sizeof(*selected));
	for (size_t i = 0; i < r->n; i++)
		selected[i] = r->s[i].state == SS_PENDING;
	preflight_check(r->sp, o->agent, selected, &pf);
	if (o->dry_run) {
		printf("project %s at %s, workflow %s, max_parallel %d\n", r->sp->project,
		       r->sp->root, r->sp->workflow->name, r->max_parallel);
		for (size_t i = 0; i < r->n; i++)
			if (r->s[i].state == SS_PENDING)
				printf("  %-8s %-10s %s\n", r->s[i].cfg->id, r->s[i].agent,
				       r->s[i].cfg->title);
		if (r->sp->nskipped) {
			int w = 0;

			for (size_t i = 0; i < r->sp->nskipped; i++)
				if ((int)strlen(r->sp->skipped[i].key) > w)
					w = (int)strlen(r->sp->skipped[i].key);
			printf("skipped:\n");
			for (size_t i = 0; i < r->sp->nskipped; i++)
				printf("  %-*s  %s\n", w > 40 ? 40 : w, r->sp->skipped[i].key,
				       r->sp->skipped[i].reason);
		}
		fflush(stdout);
		preflight_print(&pf, stderr, "automator", false);
		rc = pf.errors ? EXIT_UNAVAILABLE : EXIT_OK;
		goto out;
	}
	preflight_print(&pf, stderr, "automator", false);
	if (pf.errors) {
		rc = EXIT_UNAVAILABLE;
		goto out;
	}
	if ((rc = open_project(r)) != 0)
		goto out;
	if (store_run_latest_unfinished(r->st, &unfinished, &cause) == 0) {
		fprintf(stderr,
			"automator: run %s of this project is unfinished: continue it with\n"
			"  automator resume\nor abort it with\n  automator abort\n",
			unfinished);
		free(unfinished);
		rc = EXIT_TEMPFAIL;
		goto out;
	}
	r->id = new_run_id();
	r->logdir = project_logdir(&r->pj, r->id);
	if (mkdir(r->logdir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "automator: cannot create '%s': %s\n", r->logdir, strerror(errno));
		rc = EXIT_SOFTWARE;
		goto out;
	}
	rec.id = r->id;
	rec.sprint_file = abs ? abs : (char *)sprint_path;
	rec.project = r->sp->project;
	rec.root = r->sp->root;
	rec.state = (char *)fsm_run.state_names[RS_INITIALIZING];
	rec.pid = getpid();
	rec.agent = (char *)o->agent;
	if (store_run_create(r->st, &rec, &cause) < 0) {
		fail_fatal(r, "cannot record the run", cause);
		rc = EXIT_SOFTWARE;
		goto out;
	}
	for (size_t i = 0; i < r->n; i++) {
		struct store_story ss = { 0 };

		ss.story_id = r->s[i].cfg->id;
		ss.story_key = r->s[i].cfg->key;
		ss.position = (int)i;
		ss.state = (char *)fsm_story.state_names[r->s[i].state];
		if (store_story_add(r->st, r->id, &ss, &cause) < 0) {
			fail_fatal(r, "cannot record a story", cause);
			rc = EXIT_SOFTWARE;
			goto out;
		}
	}
	r->started_wall = clock_wall();
	run__say(r, "run %s: %zu stories, workflow %s, agent %s, logs in %s", r->id, r->n,
		 r->sp->workflow->name, r->sp->agent, r->logdir);
	install_signals();
	run__queue(r, -1, RE_LOADED);
	run__queue(r, -1, RE_START);
	rc = loop(r);
out:
	free(abs);
	free(selected);
	strvec_release(&include);
	preflight_release(&pf);
	run_free(r);
	return rc;
}

static int restore_story(const struct store_story *st, void *arg)
{
	struct run *r = arg;
	int i = sprint_find_story(r->sp, st->story_id);

	if (i < 0)
		return 0;
	r->s[i].outside = false;
	for (int k = 0; k < SS__COUNT; k++)
		if (!strcmp(fsm_story.state_names[k], st->state))
			r->s[i].state = k;
	r->s[i].step_index = st->step_index;
	r->s[i].attempt = st->attempt ? st->attempt : 1;
	r->s[i].cycle = st->cycle ? st->cycle : 1;
	r->s[i].retries_used = st->retries_used;
	r->s[i].crash_retries_used = st->crash_retries_used;
	free(r->s[i].base_commit);
	r->s[i].base_commit = st->base_commit ? xstrdup(st->base_commit) : NULL;
	return 0;
}

int run_resume(const struct run_opts *o)
{
	struct run *r = run_new();
	char *root = project_find_state(), *db = NULL, *cause = NULL, *id = NULL;
	struct store_run rec = { 0 };
	struct replay rp = { r };
	struct store *peek = NULL;
	struct preflight pf = PREFLIGHT_INIT;
	const char **agents = NULL;
	bool *selected = NULL;
	int rc;

	r->opts = *o;
	if (!root) {
		fprintf(stderr, "automator: no automator project here (no .automator/state.db "
				"in this directory or above)\n");
		rc = EXIT_USAGE;
		goto out;
	}
	db = path_join(root, ".automator/state.db");
	if (store_open(db, &peek, &cause) < 0) {
		fprintf(stderr, "automator: %s: %s\n", db, cause);
		free(cause);
		rc = EXIT_SOFTWARE;
		goto out;
	}
	if (o->run_id) {
		id = xstrdup(o->run_id);
	} else if (store_run_latest_unfinished(peek, &id, &cause) != 0) {
		fprintf(stderr, "automator: nothing to resume: every run of this project is "
				"finished\n");
		free(cause);
		rc = EXIT_NEGATIVE;
		goto out;
	}
	if (store_run_get(peek, id, &rec, &cause) != 0) {
		fprintf(stderr, "automator: no run '%s'\n", id);
		free(cause);
		rc = EXIT_USAGE;
		goto out;
	}
	store_close(peek);
	peek = NULL;
	if ((rc = load_sprint(rec.sprint_file, &r->sp)) != 0)
		goto out;
	/* started with --agent NAME: every story runs with it again */
	if (rec.agent && !agents_find(r->sp->agents, rec.agent)) {
		fprintf(stderr,
			"automator: the run was started with --agent %s, which is no "
			"longer an agent preset\n",
			rec.agent);
		rc = EXIT_DATAERR;
		goto out;
	}
	r->opts.agent = rec.agent;
	r->max_parallel = o->max_parallel > 0 ? o->max_parallel : r->sp->max_parallel;
	build_stories(r);
	if ((rc = open_project(r)) != 0)
		goto out;
	r->id = xstrdup(id);
	r->logdir = project_logdir(&r->pj, r->id);
	for (int k = 0; k < RS__COUNT; k++)
		if (!strcmp(fsm_run.state_names[k], rec.state))
			r->state = k;
	if (fsm_is_terminal(&fsm_run, r->state)) {
		fprintf(stderr, "automator: run %s is %s\n", r->id, rec.state);
		rc = EXIT_NEGATIVE;
		goto out;
	}
	/* stories not recorded in the run were not selected (restore_story takes the rest) */
	for (size_t i = 0; i < r->n; i++) {
		r->s[i].state = SS_SKIPPED;
		r->s[i].outside = true;
	}
	if (store_stories_foreach(r->st, r->id, restore_story, r, &cause) < 0 ||
	    store_journal_foreach(r->st, r->id, replay_entry, &rp, &cause) < 0 ||
	    store_journal_foreach(r->st, r->id, replay_run_entry, r, &cause) < 0) {
		fail_fatal(r, "cannot read the run's journal", cause);
		rc = EXIT_SOFTWARE;
		goto out;
	}
	if (store_escalations_foreach(r->st, r->id, true, restore_escalation, r, &cause) < 0) {
		fail_fatal(r, "cannot read the run's escalations", cause);
		rc = EXIT_SOFTWARE;
		goto out;
	}
	/* waits go on until the same reset; usage and raised budgets carry over */
	run__waits_restore(r);
	/* before the first write to the run: what its unfinished stories need */
	selected = xcalloc(r->n + 1, sizeof(*selected));
	agents = xcalloc(r->n + 1, sizeof(*agents));
	for (size_t i = 0; i < r->n; i++) {
		selected[i] =
			r->s[i].state != SS_SKIPPED && !fsm_is_terminal(&fsm_story, r->s[i].state);
		agents[i] = r->s[i].agent;
	}
	preflight_check_agents(r->sp, agents, selected, &pf);
	preflight_print(&pf, stderr, "automator", false);
	if (pf.errors) {
		rc = EXIT_UNAVAILABLE;
		goto out;
	}
	store_run_set_pid(r->st, r->id, getpid(), NULL);
	r->started_wall = clock_wall();
	run__say(r, "resuming run %s (%s)", r->id, rec.state);
	install_signals();
	if (r->state == RS_INITIALIZING)
		run__queue(r, -1, RE_LOADED);
	if (r->state == RS_INITIALIZING || r->state == RS_READY)
		run__queue(r, -1, RE_START);
	else if (r->state == RS_IN_PROGRESS || r->state == RS_PAUSED)
		run__queue(r, -1, RE_RESUME);
	if (r->state == RS_EXECUTION_COMPLETE)
		run__queue(r, -1, RE_FINALIZED);
	if (r->state == RS_IN_PROGRESS)
		write_marker(r);
	else
		project_marker_remove(&r->pj);
	for (size_t i = 0; i < r->n; i++)
		if (r->s[i].esc_id)
			show_escalation(r, &r->s[i]);
	rc = loop(r);
out:
	free(selected);
	free(agents);
	preflight_release(&pf);
	store_close(peek);
	store_run_release(&rec);
	free(root);
	free(db);
	free(id);
	run_free(r);
	return rc;
}
