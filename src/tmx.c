/*
 * tmx.c: tmux through argv execs with timeouts (proc.c). Must not build a
 * shell string from anything but paths it quotes itself (the pipe-pane
 * command), and must not pass any argument that ends in ';' (tmux would
 * read it as a command separator).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"
#include "tmx.h"

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
static int tmx_run(struct tmx *t, const char *const *args, struct proc_result *r, char **cause)
{
	struct strvec argv = STRVEC_INIT;
	struct proc_opts o = { .timeout_ms = t->timeout_ms };
	const char *what = args[0] ? args[0] : "";
	int ret = 0;

	strvec_push(&argv, "tmux");
	strvec_push(&argv, "-L");
	strvec_push(&argv, t->socket);
	strvec_push(&argv, "-f");
	strvec_push(&argv, "/dev/null");
	for (; *args; args++) {
		size_t len = strlen(*args);

		if (strcmp(*args, ";") && len && (*args)[len - 1] == ';')
			strvec_push_nodup(&argv, xstrfmt("%.*s\\;", (int)(len - 1), *args));
		else
			strvec_push(&argv, *args);
	}
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

/* sh single-quoting, with '#' doubled because pipe-pane expands formats. */
static char *pipe_command(const char *log_path)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "exec cat >> '");
	for (const char *p = log_path; *p; p++) {
		if (*p == '\'')
			buf_adds(&b, "'\\''");
		else if (*p == '#')
			buf_adds(&b, "##");
		else
			buf_addc(&b, *p);
	}
	buf_addc(&b, '\'');
	return buf_detach(&b);
}

int tmx_spawn(struct tmx *t, const struct tmx_spawn *s, int *pane_pid, char **cause)
{
	struct strvec a = STRVEC_INIT;
	struct proc_result r;
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
	strvec_push(&a, "-w");
	strvec_push(&a, "-t");
	strvec_push(&a, s->name);
	strvec_push(&a, "remain-on-exit");
	strvec_push(&a, "on");
	strvec_push(&a, ";");
	strvec_push(&a, "pipe-pane");
	strvec_push(&a, "-t");
	strvec_push(&a, s->name);
	strvec_push(&a, "-O");
	strvec_push_nodup(&a, pipe_command(s->log_path));
	ret = tmx_run(t, (const char *const *)a.v, &r, cause);
	strvec_release(&a);
	if (ret < 0) {
		proc_result_release(&r);
		return -1;
	}
	if (pane_pid)
		*pane_pid = atoi(buf_str(&r.out));
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
