/* SPDX-License-Identifier: MIT */
/*
 * run_session.c: an agent step's tmux session: spawned through the runner
 * (argv and environment in a JSON spec, never a shell), its log read and
 * judged, its end settled.
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
#include <sys/inotify.h>
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

void run__session_free(struct session *ss)
{
	if (!ss)
		return;
	if (ss->fd >= 0)
		close(ss->fd);
	if (ss->pidfd >= 0)
		close(ss->pidfd);
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
struct session *run__session_new(struct run *r, struct rstory *s)
{
	const struct step *st = run__cur_step(r, s);
	struct session *ss = xcalloc(1, sizeof(*ss));
	char *base = xstrfmt("%s-%s-%d", s->cfg->id, st->name, s->attempt);
	char *nonce = xstrfmt("%s-%s", r->id, base);

	ss->fd = ss->wd = ss->pidfd = -1;
	ss->name = tmx_session_name(r->pj.slug, s->cfg->id, st->name, s->attempt);
	ss->log_path = xstrfmt("%s/%s.log", r->logdir, base);
	ss->exit_path = xstrfmt("%s/%s.exit", r->logdir, base);
	ss->spec_path = xstrfmt("%s/%s.json", r->logdir, base);
	ss->marker = xstrfmt(MARKER_PREFIX "%s\a", nonce);
	ss->judge = make_judge(r, s);
	ss->started_ms = ss->last_output_ms = ss->checked_ms = ss->offset_saved_ms = clock_now_ms();
	free(base);
	free(nonce);
	return ss;
}

void run__agent_env(struct run *r, struct rstory *s, const struct agent *a, struct tvars *v,
		    struct strvec *env, const char *step)
{
	char *key = run__status_key(r, s);
	size_t slen = strlen(step);

	for (size_t i = 0; i < a->env.n; i++)
		strvec_push_nodup(env, template_render(a->env.v[i], v));
	strvec_push(env, "AUTOMATOR_CHILD=1");
	strvec_push_nodup(env, xstrfmt("AUTOMATOR_RUN=%s", r->id));
	strvec_push_nodup(env, xstrfmt("AUTOMATOR_STORY=%s", s->cfg->id));
	strvec_push_nodup(env, xstrfmt("AUTOMATOR_STORY_KEY=%s", key));
	strvec_push_nodup(env, xstrfmt("AUTOMATOR_STEP=%s", step));
	strvec_push_nodup(env, xstrfmt("AUTOMATOR_CYCLE=%d", s->cycle));
	strvec_push_nodup(env, xstrfmt("AUTOMATOR_ATTEMPT=%d", s->attempt));
	strvec_push_nodup(env, xstrfmt("AUTOMATOR_PROJECT_ROOT=%s", run__story_root(r, s)));
	if (r->status_file) {
		char *sf = run__story_status_file(r, s);

		strvec_push_nodup(env, xstrfmt("AUTOMATOR_STATUS_FILE=%s", sf));
		free(sf);
	}
	if (s->worktree)
		strvec_push_nodup(env, xstrfmt("AUTOMATOR_WORKTREE=%s", s->worktree));
	for (size_t i = 0; i < s->cfg->fake.n; i++) {
		const char *eq = strchr(s->cfg->fake.v[i], '=');

		if (eq && eq[1] && (size_t)(eq - s->cfg->fake.v[i]) == slen &&
		    !strncmp(s->cfg->fake.v[i], step, slen))
			strvec_push_nodup(env, xstrfmt("AUTOMATOR_FAKE=%s", eq + 1));
	}
	free(key);
}

int run__open_log(struct session *ss)
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
int run__session_spawn(struct run *r, struct rstory *s, struct session *ss, char **cause)
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
	int ret = -1, pid = 0;

	if (!a) {
		*cause = xstrfmt("unknown agent '%s'", s->agent);
		return -1;
	}
	run__fill_vars(r, s, &v, num);
	prompt = template_render(st->prompt ? st->prompt : "", &v);
	tvars_set(&v, "prompt", prompt);
	for (size_t i = 0; i < a->command.n; i++)
		strvec_push_nodup(&argv, template_render(a->command.v[i], &v));
	run__agent_env(r, s, a, &v, &env, st->name);

	/* render: a JSON agent's pane shows words (render.h), its log the bytes */
	spec = (struct runner_spec){ .argv = (const char *const *)argv.v,
				     .env = (const char *const *)env.v,
				     .cwd = run__story_root(r, s),
				     .log_file = ss->log_path,
				     .exit_file = ss->exit_path,
				     .marker = ss->marker,
				     .render = a->output };
	if (runner_write_spec(ss->spec_path, &spec) < 0) {
		*cause = xstrfmt("cannot write '%s': %s", ss->spec_path, strerror(errno));
		goto out;
	}
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

		sp = (struct tmx_spawn){ .name = ss->name, .argv = runner_argv, .env = tenv };
		if (tmx_spawn(&r->tmx, &sp, &pid, cause) < 0)
			goto out;
	}
	/* the runner makes the log: the directory is watched, not the file */
	ret = 0;
	run__session_watch(r, ss, pid);
	run__activate(r, s);
out:
	free(prompt);
	free(num[0]);
	free(num[1]);
	strvec_release(&argv);
	strvec_release(&env);
	return ret;
}

/* Feeds new log bytes to the judge, stopping at the runner's end marker. */
void run__session_read(struct run *r, struct rstory *s, struct session *ss)
{
	char chunk[65536];
	size_t mlen = strlen(ss->marker);
	ssize_t n;
	int rounds = 0;

	if (run__open_log(ss) < 0 || ss->marker_seen)
		return;
	for (n = (ssize_t)sizeof(chunk);
	     n == (ssize_t)sizeof(chunk) && rounds++ < 16 &&
	     (n = pread(ss->fd, chunk, sizeof(chunk), ss->offset)) > 0;) {
		const char *m;
		size_t keep;

		ss->offset += n;
		ss->last_output_ms = clock_now_ms();
		ss->waiting_reported = false;
		buf_add(&ss->pending, chunk, (size_t)n);
		m = memmem(ss->pending.s, ss->pending.len, ss->marker, mlen);
		if (m) {
			const char *tail = m + mlen;

			/* how the agent ended, written with the marker (runner.h) */
			ss->end_known =
				runner_parse_end(tail,
						 (size_t)(ss->pending.s + ss->pending.len - tail),
						 &ss->end_exit) == 0;
			judge_feed(ss->judge, ss->pending.s, (size_t)(m - ss->pending.s));
			buf_reset(&ss->pending);
			ss->marker_seen = true;
			break;
		}
		/* hold back only a tail that is the start of the marker */
		keep = ss->pending.len < mlen ? ss->pending.len : mlen - 1;
		while (keep > 0 &&
		       (ss->pending.s[ss->pending.len - keep] != ss->marker[0] ||
			memcmp(ss->pending.s + ss->pending.len - keep, ss->marker, keep) != 0))
			keep--;
		judge_feed(ss->judge, ss->pending.s, ss->pending.len - keep);
		memmove(ss->pending.s, ss->pending.s + ss->pending.len - keep, keep);
		ss->pending.len = keep;
		ss->pending.s[keep] = '\0';
	}
	(void)r;
	(void)s;
}

int run__verdict_event(enum judge_verdict v)
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
void run__session_verdict(struct run *r, struct rstory *s, struct session *ss, enum judge_verdict v)
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
/*
 * Whether the agent ended because its terminal went away: hung up on
 * (SIGHUP) and its tmux session no longer there (the server was killed,
 * or the session), not something the agent or its work did.
 */
static bool terminal_went_away(struct run *r, const struct session *ss)
{
	char *cause = NULL;
	int alive;

	if (ss->vanished)
		return true;
	if (ss->exit.signal != SIGHUP)
		return false;
	alive = tmx_has_session(&r->tmx, ss->name, &cause);
	free(cause);
	return alive != 1;
}

/* Says once per session which patterns could not be matched (pcre2's limits). */
static void warn_pattern_errors(struct run *r, const struct rstory *s)
{
	const struct agent *a = agents_find(r->sp->agents, s->agent);
	const struct step *st = run__cur_step(r, s);
	const struct patlist *lists[16];
	size_t n = 0;

	if (a) {
		const struct patlist *al[] = { &a->success,    &a->failure,      &a->prompt_wait,
					       &a->rate_limit, &a->unavailable,  &a->usage_limit,
					       &a->overloaded, &a->server_error, &a->network,
					       &a->retrying };

		for (size_t i = 0; i < ARRAY_SIZE(al); i++)
			lists[n++] = al[i];
	}
	if (st) {
		lists[n++] = &st->success;
		lists[n++] = &st->failure;
		lists[n++] = &st->prompt_wait;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < lists[i]->n; j++) {
			char *what = NULL;
			unsigned long k = pattern_take_errors(lists[i]->v[j], &what);

			if (k)
				run__say(r,
					 "%-6s warning: pattern '%s' could not be matched on %lu "
					 "line%s (%s): simplify it",
					 s->cfg->id, pattern_source(lists[i]->v[j]), k,
					 k == 1 ? "" : "s", what);
			free(what);
		}
	}
}

void run__session_finish(struct run *r, struct rstory *s, struct session *ss)
{
	char *reason = NULL, *cause = NULL;
	enum judge_verdict v;
	bool lost;

	judge_feed(ss->judge, ss->pending.s ? ss->pending.s : "", ss->pending.len);
	buf_reset(&ss->pending);
	v = judge_finish(ss->judge, ss->exit.status, ss->exit.signal, &reason);
	warn_pattern_errors(r, s);
	lost = v == JV_EXITED && terminal_went_away(r, ss);
	if (lost) {
		free(reason);
		reason = xstrfmt("the agent's tmux session is gone (signal %d to the agent; tmux "
				 "-L %s: the server or the session was killed)",
				 ss->exit.signal, r->tmx.socket);
	}
	ss->ended = true;
	/* exit, offset and usage: one transaction */
	store_batch_begin(r->st);
	if (ss->id > 0) {
		store_session_update_exit(r->st, ss->id, ss->exit.status, ss->exit.signal, NULL,
					  NULL);
		if (ss->offset != ss->offset_saved)
			store_session_set_offset(r->st, ss->id, ss->offset, NULL);
		ss->offset_saved = ss->offset;
	}
	run__usage_record(r, s, ss, clock_now_ms() - ss->started_ms);
	if (store_batch_end(r->st, &cause) < 0) {
		run__say(r, "warning: cannot record the end of %s: %s", ss->name, cause);
		free(cause);
	}
	run__session_verdict(r, s, ss, v);
	/* journal first: killed once the verdict's transition is written (fire) */
	ss->kill_due = true;
	free(s->note);
	s->note = reason;
	run__queue_verdict(r, run__story_index(r, s), lost ? SE_LOST : run__verdict_event(v));
}
