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
	/* not durable: a spawn that did not happen is spawned again on resume */
	ret = write_file_replace(path, text, strlen(text), 0600);
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

	if (access(path, F_OK) < 0)
		return errno == ENOENT ? 0 : -1;
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

static void write_exit(const char *path, int status, int sig)
{
	json_t *o = json_pack("{s:i,s:i,s:I}", "status", status, "signal", sig, "ended_at",
			      (json_int_t)time(NULL));
	char *text = json_dumps(o, JSON_COMPACT);

	/*
	 * not fsynced: read by the orchestrator (or a resume after its kill)
	 * from the page cache; a power loss takes the session with it anyway
	 */
	if (write_file_replace(path, text, strlen(text), 0600) < 0)
		fprintf(stderr, "automator runner: cannot write '%s': %s\n", path, strerror(errno));
	free(text);
	json_decref(o);
}

/* The pane, for the renderer: what the relay would have written there. */
static void pane_out(const char *s, size_t n, void *arg)
{
	struct relay *rl = arg;

	if (rl->pane_ok)
		relay_write_all(STDOUT_FILENO, s, n);
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
	write_exit(exit_file, status, sig);
	/* everything the agent wrote is in the log before this: the log ends here */
	if (marker) {
		if (sig)
			end = xstrfmt("%s\r\nautomator: the agent was killed by signal %d\r\n",
				      marker, sig);
		else
			end = xstrfmt("%s\r\nautomator: the agent exited with status %d\r\n",
				      marker, status);
		relay_say(&rl, end);
		free(end);
	}
	if (rl.log_fd >= 0)
		close(rl.log_fd);
	render_free(rl.render);
	json_decref(spec);
	strvec_release(&args);
	strvec_release(&env);
	return sig ? 128 + sig : status;
}
