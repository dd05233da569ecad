/*
 * runner.c: the in-pane runner. Reads its spec with jansson, waits for the
 * log file tmux's pipe-pane creates, then fork/execs the agent directly
 * (no shell), forwards nothing, and writes the exit record atomically.
 * Must not talk to tmux, sqlite or the orchestrator.
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"
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
	json_t *o = json_pack("{s:o,s:o,s:s,s:s,s:s,s:s?}", "argv", strarray(s->argv), "env",
			      strarray(s->env), "cwd", s->cwd, "log_file", s->log_file, "exit_file",
			      s->exit_file, "marker", s->marker);
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

static volatile pid_t child;

/* Passes a hang-up or termination on to the agent, then arms a SIGKILL. */
static void forward_signal(int sig)
{
	if (child <= 0)
		return;
	if (sig == SIGALRM) {
		kill(child, SIGKILL);
		return;
	}
	kill(child, sig);
	alarm(5);
}

int runner_main(int argc, char **argv)
{
	struct strvec args = STRVEC_INIT, env = STRVEC_INIT;
	const char *cwd, *log_file, *exit_file, *marker;
	json_error_t err;
	json_t *spec;
	int wstatus, status, sig = 0;
	pid_t pid;

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
	/* pipe-pane creates the log when it attaches: start only once it logs */
	for (int i = 0; i < 200 && access(log_file, F_OK) < 0; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "automator runner: fork: %s\n", strerror(errno));
		write_exit(exit_file, 127, 0);
		return 127;
	}
	if (pid == 0) {
		if (chdir(cwd) < 0) {
			fprintf(stderr, "automator runner: cannot enter '%s': %s\n", cwd,
				strerror(errno));
			_exit(127);
		}
		for (size_t i = 0; i < env.n; i++)
			putenv(env.v[i]);
		execvp(args.v[0], args.v);
		fprintf(stderr, "automator runner: cannot run '%s': %s\n", args.v[0],
			strerror(errno));
		_exit(127);
	}
	/*
	 * A hang-up (the session killed) or a termination request is passed on
	 * to the agent; if it has not gone 5 s later it is killed. Either way
	 * the runner stays to write the exit record.
	 */
	child = pid;
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = forward_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGALRM, &sa, NULL);
		signal(SIGINT, SIG_IGN);
	}
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	alarm(0);
	if (WIFSIGNALED(wstatus)) {
		sig = WTERMSIG(wstatus);
		status = -1;
	} else {
		status = WEXITSTATUS(wstatus);
	}
	write_exit(exit_file, status, sig);
	/* everything the agent wrote is in the pane before this: the log ends here */
	if (marker) {
		fputs(marker, stdout);
		if (sig)
			printf("\nautomator: the agent was killed by signal %d\n", sig);
		else
			printf("\nautomator: the agent exited with status %d\n", status);
		fflush(stdout);
	}
	json_decref(spec);
	strvec_release(&args);
	strvec_release(&env);
	return sig ? 128 + sig : status;
}
