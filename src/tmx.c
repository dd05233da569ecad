/* SPDX-License-Identifier: MIT */
/*
 * tmx.c: tmux through argv execs with timeouts (proc.c). Must not build a
 * shell string, and must not pass any argument that ends in ';' (tmux
 * would read it as a command separator).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proc.h"
#include "tmx.h"

/*
 * The server exit race. A tmux server exits when its last session goes
 * (exit-empty on, tmux's default). The run kills every finished session,
 * so with one agent at a time each kill empties the server, and a
 * new-session that connects while that server is on its way out fails
 * with "server exited unexpectedly" (or "lost server") and starts nothing.
 *
 * 1. Every spawn sets exit-empty off in the same tmux invocation as its
 *    new-session: from a run's first spawn on, the server outlives its
 *    sessions whoever started it (an older automator, the run being
 *    resumed, a run that was killed). A config passed with -f would reach
 *    only a server we start ourselves (and -f /dev/null keeps the user's
 *    ~/.tmux.conf out); a keeper session would show up in every list of
 *    sessions and in `automator abort`'s count. tmx_server_done hands the
 *    server back to tmux's default when the run's process ends: it exits at
 *    once when it has no session, else when its last session is killed. A
 *    server left empty with exit-empty off (by a run killed with SIGKILL,
 *    or by a version that never gave it back) is harmless: the next run
 *    uses it and gives it back the same way.
 * 2. A spawn that still meets a server that is exiting or gone (the first
 *    spawn of a run, right after a kill of the server's last session left
 *    by a paused run) is retried a few times with a short backoff. A retry
 *    cannot make a second session: new-session refuses a name in use
 *    ("duplicate session"); when the failed attempt did make the session,
 *    has-session says so and the spawn finishes that one.
 */
#define SPAWN_TRIES 5
#define SPAWN_BACKOFF_MS 20 /* doubled after each failed try: 20, 40, 80, 160 */

void tmx_init(struct tmx *t, const char *socket)
{
	t->socket = xstrdup(socket);
	t->timeout_ms = 10000;
}

void tmx_release(struct tmx *t)
{
	free(t->socket);
	t->socket = NULL;
}

bool tmx_available(void)
{
	return proc_exists("tmux");
}

char *tmx_session_name(const char *slug, const char *story, const char *step, int attempt)
{
	char *s = xstrfmt("au-%s-%s-%s-%d", slug, story, step, attempt);

	for (char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			*p = '_';
	return s;
}

/*
 * Runs tmux -L socket -f /dev/null ARGS...; returns 0 when it exited 0. An
 * argument that is exactly ";" separates tmux commands; any other argument
 * ending in ';' is escaped so tmux takes it literally.
 */
static void tmx_argv(struct tmx *t, const char *const *args, struct strvec *argv)
{
	strvec_push(argv, "tmux");
	strvec_push(argv, "-L");
	strvec_push(argv, t->socket);
	strvec_push(argv, "-f");
	strvec_push(argv, "/dev/null");
	for (; *args; args++) {
		size_t len = strlen(*args);

		if (strcmp(*args, ";") && len && (*args)[len - 1] == ';')
			strvec_push_nodup(argv, xstrfmt("%.*s\\;", (int)(len - 1), *args));
		else
			strvec_push(argv, *args);
	}
}

static int tmx_run(struct tmx *t, const char *const *args, struct proc_result *r, char **cause)
{
	struct strvec argv = STRVEC_INIT;
	struct proc_opts o = { .timeout_ms = t->timeout_ms };
	const char *what = args[0] ? args[0] : "";
	int ret = 0;

	tmx_argv(t, args, &argv);
	if (proc_run((const char *const *)argv.v, &o, r) < 0) {
		if (cause)
			*cause =
				xstrdup(r->not_found ? "tmux is not installed" : "cannot run tmux");
		ret = -1;
	} else if (!proc_ok(r)) {
		if (cause) {
			char *d = proc_describe(r);

			*cause = xstrfmt("tmux %s failed: %s", what, d);
			free(d);
		}
		ret = -1;
	}
	strvec_release(&argv);
	return ret;
}

bool tmx_server_went_away(const char *err)
{
	static const char *const signs[] = { "server exited", "lost server", "no server running",
					     "error connecting to", NULL };
	/* connect(2) errors that no retry mends */
	static const char *const lasting[] = { "File name too long", "Permission denied", NULL };
	bool gone = false;

	for (const char *const *p = signs; *p && !gone; p++)
		gone = strstr(err, *p) != NULL;
	for (const char *const *p = lasting; *p && gone; p++)
		gone = strstr(err, *p) == NULL;
	return gone;
}

/* The try failed because the server was exiting or went away under it. */
static bool server_went_away(const struct proc_result *r)
{
	if (r->timed_out || r->not_found || r->signal)
		return false;
	return tmx_server_went_away(buf_str(&r->err));
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

/*
 * A failed new-session made its session after all (the client lost the
 * server after the command ran): set exit-empty and remain-on-exit again,
 * and read the pane's pid.
 */
static int spawn_adopt(struct tmx *t, const struct tmx_spawn *s, int *pane_pid, char **cause)
{
	char *target = xstrfmt("=%s:", s->name);
	/* clang-format off */
	const char *opt[] = {
		"set-option", "-s", "exit-empty", "off", ";",
		"set-option", "-w", "-t", s->name, "remain-on-exit", "on", ";",
		"display-message", "-p", "-t", target, "#{pane_pid}", NULL
	};
	/* clang-format on */
	struct proc_result r;
	int ret = tmx_run(t, opt, &r, cause);

	if (ret == 0 && pane_pid)
		*pane_pid = atoi(buf_str(&r.out));
	proc_result_release(&r);
	free(target);
	return ret;
}

int tmx_spawn(struct tmx *t, const struct tmx_spawn *s, int *pane_pid, char **cause)
{
	struct strvec a = STRVEC_INIT;
	struct proc_result r;
	long backoff = SPAWN_BACKOFF_MS;
	int ret;

	strvec_push(&a, "new-session");
	strvec_push(&a, "-d");
	strvec_push(&a, "-s");
	strvec_push(&a, s->name);
	strvec_push(&a, "-x");
	strvec_push(&a, "200");
	strvec_push(&a, "-y");
	strvec_push(&a, "50");
	for (const char *const *e = s->env; e && *e; e++) {
		strvec_push(&a, "-e");
		strvec_push(&a, *e);
	}
	strvec_push(&a, "-P");
	strvec_push(&a, "-F");
	strvec_push(&a, "#{pane_pid}");
	strvec_push(&a, "--");
	for (const char *const *p = s->argv; *p; p++)
		strvec_push(&a, *p);
	strvec_push(&a, ";");
	strvec_push(&a, "set-option");
	strvec_push(&a, "-s");
	strvec_push(&a, "exit-empty");
	strvec_push(&a, "off");
	strvec_push(&a, ";");
	strvec_push(&a, "set-option");
	strvec_push(&a, "-w");
	strvec_push(&a, "-t");
	strvec_push(&a, s->name);
	strvec_push(&a, "remain-on-exit");
	strvec_push(&a, "on");
	for (int try = 1;; try++) {
		char *why = NULL;

		ret = tmx_run(t, (const char *const *)a.v, &r, &why);
		if (ret == 0) {
			if (pane_pid)
				*pane_pid = atoi(buf_str(&r.out));
			break;
		}
		if (try >= SPAWN_TRIES || !server_went_away(&r)) {
			if (cause)
				*cause = why;
			else
				free(why);
			break;
		}
		free(why);
		proc_result_release(&r);
		sleep_ms(backoff);
		backoff *= 2;
		if (tmx_has_session(t, s->name, NULL) == 1) {
			ret = spawn_adopt(t, s, pane_pid, cause);
			strvec_release(&a);
			return ret;
		}
	}
	proc_result_release(&r);
	strvec_release(&a);
	return ret;
}

int tmx_server_done(struct tmx *t)
{
	const char *args[] = { "set-option", "-s", "exit-empty", "on", NULL };
	struct proc_result r;

	/* fails when no server runs: nothing to give back */
	tmx_run(t, args, &r, NULL);
	proc_result_release(&r);
	return 0;
}

int tmx_has_session(struct tmx *t, const char *name, char **cause)
{
	char *target = xstrfmt("=%s", name);
	const char *args[] = { "has-session", "-t", target, NULL };
	struct proc_result r;
	int ret = tmx_run(t, args, &r, NULL);

	free(target);
	if (ret == 0) {
		proc_result_release(&r);
		return 1;
	}
	/* has-session exits 1 for a missing session, and for no server at all */
	if (!r.timed_out && r.status == 1) {
		proc_result_release(&r);
		return 0;
	}
	if (cause)
		*cause = proc_describe(&r);
	proc_result_release(&r);
	return -1;
}

int tmx_pane_state(struct tmx *t, const char *name, bool *dead, int *status, int *signal,
		   char **cause)
{
	char *target = xstrfmt("=%s:", name);
	const char *args[] = { "display-message",
			       "-p",
			       "-t",
			       target,
			       "#{pane_dead} #{pane_dead_status} #{pane_dead_signal}",
			       NULL };
	struct proc_result r;
	int d = 0, st = -1, sig = 0;

	if (tmx_run(t, args, &r, cause) < 0) {
		free(target);
		proc_result_release(&r);
		return -1;
	}
	free(target);
	if (sscanf(buf_str(&r.out), "%d %d %d", &d, &st, &sig) < 1) {
		*cause = xstrfmt("cannot read the pane state of '%s'", name);
		proc_result_release(&r);
		return -1;
	}
	proc_result_release(&r);
	*dead = d != 0;
	*status = st;
	*signal = sig;
	return 0;
}

int tmx_kill_session(struct tmx *t, const char *name, char **cause)
{
	char *target = xstrfmt("=%s", name);
	const char *args[] = { "kill-session", "-t", target, NULL };
	struct proc_result r;
	int ret = tmx_run(t, args, &r, NULL);

	free(target);
	if (ret < 0 && tmx_has_session(t, name, NULL) == 0)
		ret = 0;
	if (ret < 0 && cause)
		*cause = proc_describe(&r);
	proc_result_release(&r);
	return ret;
}

int tmx_kill_sessions_start(struct tmx *t, char *const *names, size_t n)
{
	struct strvec args = STRVEC_INIT, argv = STRVEC_INIT;
	int pid;

	for (size_t i = 0; i < n; i++) {
		if (i)
			strvec_push(&args, ";");
		strvec_push(&args, "kill-session");
		strvec_push(&args, "-t");
		strvec_push_nodup(&args, xstrfmt("=%s", names[i]));
	}
	tmx_argv(t, (const char *const *)args.v, &argv);
	pid = proc_start((const char *const *)argv.v);
	strvec_release(&argv);
	strvec_release(&args);
	return pid;
}

int tmx_pane_pid(struct tmx *t, const char *name, int *pid, char **cause)
{
	char *target = xstrfmt("=%s:", name);
	const char *args[] = { "display-message",          "-p", "-t", target,
			       "#{pane_dead} #{pane_pid}", NULL };
	struct proc_result r;
	int dead = 0, p = 0, ret;

	ret = tmx_run(t, args, &r, cause);
	free(target);
	if (ret == 0 && sscanf(buf_str(&r.out), "%d %d", &dead, &p) != 2) {
		if (cause)
			*cause = xstrfmt("cannot read the pane of '%s'", name);
		ret = -1;
	}
	proc_result_release(&r);
	if (ret < 0)
		return -1;
	*pid = dead ? 0 : p;
	return dead ? 1 : 0;
}

int tmx_kill_server(struct tmx *t)
{
	const char *args[] = { "kill-server", NULL };
	struct proc_result r;

	tmx_run(t, args, &r, NULL);
	proc_result_release(&r);
	return 0;
}

int tmx_send_text(struct tmx *t, const char *name, const char *text, bool enter, char **cause)
{
	char *target = xstrfmt("=%s:", name);
	struct proc_result r;
	int ret;

	if (strchr(text, '\n')) {
		/* several lines: load a buffer from stdin, paste it, delete it */
		const char *load[] = { "tmux",        "-L", t->socket,         "-f", "/dev/null",
				       "load-buffer", "-b", "automator-reply", "-",  NULL };
		struct proc_opts o = { .input = text,
				       .input_len = strlen(text),
				       .timeout_ms = t->timeout_ms };
		const char *paste[] = { "paste-buffer", "-d",   "-b", "automator-reply",
					"-t",           target, NULL };

		if (proc_run(load, &o, &r) < 0 || !proc_ok(&r)) {
			*cause = proc_describe(&r);
			proc_result_release(&r);
			free(target);
			return -1;
		}
		proc_result_release(&r);
		ret = tmx_run(t, paste, &r, cause);
	} else {
		const char *args[] = { "send-keys", "-t", target, "-l", "--", text, NULL };

		ret = tmx_run(t, args, &r, cause);
	}
	proc_result_release(&r);
	if (ret == 0 && enter) {
		const char *args[] = { "send-keys", "-t", target, "Enter", NULL };

		ret = tmx_run(t, args, &r, cause);
		proc_result_release(&r);
	}
	free(target);
	return ret;
}

int tmx_capture(struct tmx *t, const char *name, struct buf *out, char **cause)
{
	char *target = xstrfmt("=%s:", name);
	const char *args[] = { "capture-pane", "-p", "-J", "-S", "-", "-t", target, NULL };
	struct proc_result r;
	int ret = tmx_run(t, args, &r, cause);

	free(target);
	if (ret == 0)
		buf_add(out, r.out.s ? r.out.s : "", r.out.len);
	proc_result_release(&r);
	return ret;
}

int tmx_list_sessions(struct tmx *t, const char *prefix, struct strvec *out, char **cause)
{
	const char *args[] = { "list-sessions", "-F", "#{session_name}", NULL };
	struct proc_result r;
	char *save = NULL, *copy, *line;

	if (tmx_run(t, args, &r, NULL) < 0) {
		/* no server running: no sessions */
		if (!r.timed_out && r.status == 1) {
			proc_result_release(&r);
			return 0;
		}
		if (cause)
			*cause = proc_describe(&r);
		proc_result_release(&r);
		return -1;
	}
	copy = xstrdup(buf_str(&r.out));
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (str_starts_with(line, prefix))
			strvec_push(out, line);
	free(copy);
	proc_result_release(&r);
	return 0;
}

int tmx_banner(struct tmx *t, const char *text)
{
	const char *list[] = { "list-clients", "-F", "#{client_name}", NULL };
	struct proc_result r;
	char *save = NULL, *copy, *c;

	if (tmx_run(t, list, &r, NULL) < 0) {
		proc_result_release(&r);
		return 0;
	}
	copy = xstrdup(buf_str(&r.out));
	proc_result_release(&r);
	for (c = strtok_r(copy, "\n", &save); c; c = strtok_r(NULL, "\n", &save)) {
		/* -I-less display-message expands formats: escape '#' */
		struct buf msg = BUF_INIT;
		const char *args[] = { "display-message", "-c", c, NULL, NULL };

		for (const char *p = text; *p; p++) {
			if (*p == '#')
				buf_addc(&msg, '#');
			buf_addc(&msg, *p);
		}
		args[3] = msg.s;
		tmx_run(t, args, &r, NULL);
		proc_result_release(&r);
		buf_release(&msg);
	}
	free(copy);
	return 0;
}
