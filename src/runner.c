/* SPDX-License-Identifier: MIT */
/*
 * runner.c: the in-pane runner. Reads its spec with jansson, starts the
 * agent directly (no shell) through its terminal relay (runner_relay.c),
 * which writes the session log (and the pane, in words for a JSON agent:
 * render.h), then writes the exit record atomically and the end marker.
 * Must not talk to tmux, sqlite or the orchestrator.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "render.h"
#include "runner.h"
#include "runner_int.h"
#include "util.h"

static json_t *strarray(const char *const *v)
{
	json_t *a = json_array();

	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

int runner_write_spec(const char *path, const struct runner_spec *s)
{
	json_t *o = json_pack("{s:o,s:o,s:s,s:s,s:s,s:s?,s:s?}", "argv", strarray(s->argv), "env",
			      strarray(s->env), "cwd", s->cwd, "log_file", s->log_file, "exit_file",
			      s->exit_file, "marker", s->marker, "render", s->render);
	char *text;
	int ret;

	if (!o)
		xdie("cannot build the runner spec (a value is not valid UTF-8?)");
	text = json_dumps(o, JSON_INDENT(1));
	json_decref(o);
	/*
	 * In place: the runner reads it only once it is written, and a spawn
	 * that did not happen is spawned again, spec and all, on resume
	 */
	ret = write_file_plain(path, text, strlen(text), 0600);
	free(text);
	return ret;
}

/* The string key of the spec at path, newly allocated; NULL when it has none. */
static char *spec_string(const char *path, const char *key)
{
	json_error_t err;
	json_t *o = json_load_file(path, 0, &err);
	const char *v = json_string_value(json_object_get(o, key));
	char *ret = v ? xstrdup(v) : NULL;

	json_decref(o);
	return ret;
}

char *runner_spec_render(const char *path)
{
	return spec_string(path, "render");
}

char *runner_spec_cwd(const char *path)
{
	return spec_string(path, "cwd");
}

int runner_read_exit(const char *path, struct runner_exit *out, char **cause)
{
	json_error_t err;
	json_t *o;
	json_int_t st = -1, sig = 0, at = 0;
	struct stat sb;

	if (stat(path, &sb) < 0)
		return errno == ENOENT ? 0 : -1;
	/* created, not yet written (write_exit) */
	if (sb.st_size == 0)
		return 0;
	o = json_load_file(path, 0, &err);
	if (!o) {
		*cause = xstrfmt("unreadable exit record '%s': %s", path, err.text);
		return -1;
	}
	if (json_unpack(o, "{s:I,s:I,s?:I}", "status", &st, "signal", &sig, "ended_at", &at) < 0) {
		json_decref(o);
		*cause = xstrfmt("malformed exit record '%s'", path);
		return -1;
	}
	json_decref(o);
	out->status = (int)st;
	out->signal = (int)sig;
	out->ended_at = at;
	return 1;
}

/* How long a runner waits, its agent ended, for the orchestrator to kill its session. */
#define LINGER_S 2

#define END_EXITED "automator: the agent exited with status "
#define END_KILLED "automator: the agent was killed by signal "

char *runner_end_text(const char *marker, int status, int sig)
{
	if (sig)
		return xstrfmt("%s\r\n" END_KILLED "%d\r\n", marker, sig);
	return xstrfmt("%s\r\n" END_EXITED "%d\r\n", marker, status);
}

/* A decimal number of at most 4 digits, then a line end, at s[0..n). */
static int end_number(const char *s, size_t n, int *out)
{
	size_t i = 0;
	int v = 0;

	while (i < n && i < 4 && s[i] >= '0' && s[i] <= '9')
		v = v * 10 + (s[i++] - '0');
	if (i == 0 || i >= n || (s[i] != '\r' && s[i] != '\n'))
		return -1;
	*out = v;
	return 0;
}

int runner_parse_end(const char *s, size_t n, struct runner_exit *out)
{
	size_t le = strlen(END_EXITED), lk = strlen(END_KILLED);
	int v;

	if (n >= 2 && s[0] == '\r' && s[1] == '\n') {
		s += 2;
		n -= 2;
	} else if (n >= 1 && s[0] == '\n') {
		s++;
		n--;
	} else {
		return -1;
	}
	if (n > le && !memcmp(s, END_EXITED, le) && end_number(s + le, n - le, &v) == 0) {
		*out = (struct runner_exit){ v, 0, (long long)time(NULL) };
		return 0;
	}
	if (n > lk && !memcmp(s, END_KILLED, lk) && end_number(s + lk, n - lk, &v) == 0 && v > 0) {
		*out = (struct runner_exit){ -1, v, (long long)time(NULL) };
		return 0;
	}
	return -1;
}

/*
 * One write(2) of a few dozen bytes into a new file, no temporary and no
 * rename: a reader finds it empty or whole (runner_read_exit takes empty
 * for not yet written). Not fsynced: read by the orchestrator (or a resume
 * after its kill) from the page cache; a power loss takes the session with
 * it anyway.
 */
static void write_exit(const char *path, int status, int sig)
{
	json_t *o = json_pack("{s:i,s:i,s:I}", "status", status, "signal", sig, "ended_at",
			      (json_int_t)time(NULL));
	char *text = json_dumps(o, JSON_COMPACT);

	if (write_file_plain(path, text, strlen(text), 0600) < 0)
		fprintf(stderr, "automator runner: cannot write '%s': %s\n", path, strerror(errno));
	free(text);
	json_decref(o);
}

/* The pane, for the renderer: what the relay would have written there. */
static void pane_out(const char *s, size_t n, void *arg)
{
	struct relay *rl = arg;

	relay_pane(rl, s, n);
}

/*
 * A renderer for the pane when the spec asks for one (a JSON agent); the
 * pane is raw while the agent runs, so lines end in "\r\n". Colour unless
 * NO_COLOR is set (no-color.org).
 */
static struct render *pane_render(struct relay *rl, const char *name, const char *cwd)
{
	const char *nc = getenv("NO_COLOR");
	struct render_opts o = { RENDER_TEXT, !(nc && *nc), true, 0, cwd };

	if (!name || render_mode_parse(name, &o.mode) < 0 || o.mode == RENDER_TEXT)
		return NULL;
	return render_new(&o, pane_out, rl);
}

/* argv or env from the spec as a NULL-terminated vector. */
static int spec_strings(json_t *spec, const char *key, struct strvec *out)
{
	json_t *a = json_object_get(spec, key), *v;
	size_t i;

	if (!json_is_array(a))
		return -1;
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			return -1;
		strvec_push(out, json_string_value(v));
	}
	return 0;
}

int runner_main(int argc, char **argv)
{
	struct strvec args = STRVEC_INIT, env = STRVEC_INIT;
	const char *cwd, *log_file, *exit_file, *marker;
	struct relay rl = { 0 };
	json_error_t err;
	json_t *spec;
	int wstatus, status, sig = 0;
	char *end;

	if (argc != 2) {
		fprintf(stderr, "usage: automator __runner SPEC\n");
		return EXIT_USAGE;
	}
	spec = json_load_file(argv[1], 0, &err);
	if (!spec) {
		fprintf(stderr, "automator runner: cannot read '%s': %s\n", argv[1], err.text);
		return EXIT_DATAERR;
	}
	cwd = json_string_value(json_object_get(spec, "cwd"));
	log_file = json_string_value(json_object_get(spec, "log_file"));
	exit_file = json_string_value(json_object_get(spec, "exit_file"));
	marker = json_string_value(json_object_get(spec, "marker"));
	if (!cwd || !log_file || !exit_file || spec_strings(spec, "argv", &args) < 0 ||
	    spec_strings(spec, "env", &env) < 0 || args.n == 0) {
		fprintf(stderr, "automator runner: malformed spec '%s'\n", argv[1]);
		return EXIT_DATAERR;
	}
	rl.log_fd = open(log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (rl.log_fd < 0)
		fprintf(stderr, "automator runner: cannot open '%s': %s\n", log_file,
			strerror(errno));
	rl.render = pane_render(&rl, json_string_value(json_object_get(spec, "render")), cwd);
	if (relay_spawn(&rl, cwd, args.v, env.v) < 0) {
		char *why = xstrfmt("automator runner: cannot start the agent: %s\r\n",
				    strerror(errno));

		rl.pane_ok = true;
		relay_say(&rl, why);
		free(why);
		wstatus = 127 << 8;
	} else {
		wstatus = relay_run(&rl);
	}
	if (WIFSIGNALED(wstatus)) {
		sig = WTERMSIG(wstatus);
		status = -1;
	} else {
		status = WEXITSTATUS(wstatus);
	}
	/*
	 * Everything the agent wrote is in the log before this: the log ends
	 * with the marker and how the agent ended, in one write, and is closed
	 * (the orchestrator watches for that close and judges at once). The
	 * rest waits for the orchestrator's kill: the pane's last line, the
	 * agent's terminal closed and the exit record (for whoever comes
	 * later: a resume, `log`) would otherwise take CPU from the others'
	 * ends when many sessions end together.
	 */
	end = marker ? runner_end_text(marker, status, sig) : NULL;
	if (end)
		relay_write_all(rl.log_fd, end, strlen(end));
	if (rl.log_fd >= 0)
		close(rl.log_fd);
	rl.log_fd = -1;
	/* the agent's last output, held for a batch, is the pane's now */
	relay_pane_flush(&rl);
	/* the orchestrator kills the session once it has journaled the verdict */
	if (end && !relay_linger(LINGER_S)) {
		/* not killed: the pane, kept after the runner (remain-on-exit), says how it ended */
		relay_pane(&rl, end, strlen(end));
		relay_pane_flush(&rl);
	}
	free(end);
	relay_close(&rl);
	write_exit(exit_file, status, sig);
	render_free(rl.render);
	json_decref(spec);
	strvec_release(&args);
	strvec_release(&env);
	return sig ? 128 + sig : status;
}
