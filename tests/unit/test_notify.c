/* SPDX-License-Identifier: MIT */
/*
 * test_notify.c: escalation routes against a temp directory under $TMPDIR
 * (removed afterwards): the JSON lines log read back with jansson, routes
 * chosen by severity, the command route's environment (a message a shell
 * would run arrives intact and runs nothing), failures counted and described
 * while the other routes still go out, the bell on a pipe, and desktop and
 * tmux through fake programs in a PATH of our own (no tmux is started).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "notify.h"
#include "proc.h"
#include "tmx.h"
#include "util.h"

#define MESSAGE                                                                 \
	"the hook said \"no\" and 'never'\n"                                    \
	"then $(touch pwned) and `touch pwned2`; $HOME | rm -rf x & echo \\n\n" \
	"\ttabbed line"

static const char env_hook[] = "#!/bin/sh\n"
			       "d=${0%/*}\n"
			       "LC_ALL=C; export LC_ALL\n"
			       "env | grep '^AUTOMATOR_ESCALATION_' | sort > \"$d/env.txt\"\n"
			       "printf '%s' \"$AUTOMATOR_ESCALATION_MESSAGE\" > \"$d/msg.txt\"\n"
			       "pwd -P > \"$d/cwd.txt\"\n"
			       "echo ran >> \"$d/ran.txt\"\n";

static const char fail_hook[] = "#!/bin/sh\n"
				"echo 'hook broke' >&2\n"
				"echo 'second line' >&2\n"
				"exit 3\n";

/* A notify-send that records its arguments, one per [line]. */
static const char fake_notify_send[] = "#!/bin/sh\n"
				       "printf '[%s]\\n' \"$@\" > \"${0%/*}/../desktop.txt\"\n";

/* A tmux with two attached clients that records each display-message. */
static const char fake_tmux[] = "#!/bin/sh\n"
				"case \"$5\" in\n"
				"list-clients) printf '/dev/pts/9\\n/dev/pts/10\\n' ;;\n"
				"display-message) printf '%s|%s|%s\\n' \"$5\" \"$7\" \"$8\" "
				">> \"${0%/*}/../tmux.txt\" ;;\n"
				"esac\n";

struct fx {
	char *dir;      /* temp directory */
	char *root;     /* dir/project: the command route's directory */
	char *log;      /* dir/escalations.jsonl */
	char *old_path; /* $PATH before a test changed it, or NULL */
	struct notify_cfg cfg;
	struct buf errors;
	struct notify_ctx cx;
	struct notify_event ev;
};

static char *at(const struct fx *f, const char *rel)
{
	return path_join(f->dir, rel);
}

static void put(const struct fx *f, const char *rel, const char *text, int mode)
{
	char *p = at(f, rel);

	assert_int_equal(write_file_atomic(p, text, strlen(text), mode), 0);
	free(p);
}

/* The file's contents, or NULL when it does not exist. Caller frees. */
static char *slurp(const struct fx *f, const char *rel)
{
	char *p = at(f, rel), *text = NULL;
	size_t len;

	if (read_file(p, &text, &len) < 0)
		assert_int_equal(errno, ENOENT);
	free(p);
	return text;
}

static bool exists(const struct fx *f, const char *rel)
{
	char *p = at(f, rel);
	struct stat st;
	bool yes = lstat(p, &st) == 0;

	free(p);
	return yes;
}

static void set_path(struct fx *f, const char *rel)
{
	char *p = at(f, rel);

	if (!f->old_path)
		f->old_path = xstrdup(getenv("PATH") ? getenv("PATH") : "");
	mkdir(p, 0755);
	assert_int_equal(setenv("PATH", p, 1), 0);
	free(p);
}

static void restore_path(struct fx *f)
{
	if (!f->old_path)
		return;
	assert_int_equal(setenv("PATH", f->old_path, 1), 0);
	free(f->old_path);
	f->old_path = NULL;
}

static void set_command(struct fx *f, const char *prog, const char *script)
{
	strvec_release(&f->cfg.command);
	strvec_push(&f->cfg.command, prog);
	if (script)
		strvec_push_nodup(&f->cfg.command, at(f, script));
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct fx *f = xcalloc(1, sizeof(*f));
	static const char *const names[] = { "ID",      "SEVERITY", "TRIGGER", "STORY",
					     "MESSAGE", "CATEGORY", "RUN",     "OTHER" };

	f->dir = path_join(tmp, "test_notify.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->root = at(f, "project");
	f->log = at(f, "escalations.jsonl");
	if (mkdir(f->root, 0755) < 0)
		return -1;
	/* The command route must see only what notify adds. */
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *k = xstrfmt("AUTOMATOR_ESCALATION_%s", names[i]);

		unsetenv(k);
		free(k);
	}
	buf_init(&f->errors);
	f->cx.cfg = &f->cfg;
	f->cx.log_path = f->log;
	f->cx.tmx = NULL;
	f->cx.bell_fd = -1;
	f->cx.errors = &f->errors;
	f->ev = (struct notify_event){
		.id = 42,
		.run_id = "run-20240501-1200",
		.project_root = f->root,
		.story = "1.2",
		.step = "dev",
		.trigger = "git-commit-failure",
		.title = "Git commit failed",
		.category = "CRITICAL",
		.message = MESSAGE,
		.severity = SEVERITY_HIGH,
		.reescalation = 0,
		.at = "2024-05-01T12:00:00Z",
	};
	put(f, "hook.sh", env_hook, 0644);
	put(f, "fail.sh", fail_hook, 0644);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	const char *argv[] = { "rm", "-rf", f->dir, NULL };
	struct proc_result r;

	restore_path(f);
	proc_run(argv, NULL, &r);
	proc_result_release(&r);
	strvec_release(&f->cfg.command);
	buf_release(&f->errors);
	free(f->log);
	free(f->root);
	free(f->dir);
	free(f);
	return 0;
}

/* Line i (from 0) of the log, parsed; fails the test unless the log has nlines lines. */
static json_t *log_line(const struct fx *f, size_t nlines, size_t i)
{
	char *text = slurp(f, "escalations.jsonl");
	const char *p = text, *nl;
	json_error_t err;
	json_t *j = NULL;
	size_t n = 0;

	assert_non_null(text);
	for (; (nl = strchr(p, '\n')); p = nl + 1, n++)
		if (n == i) {
			j = json_loadb(p, (size_t)(nl - p), 0, &err);
			if (!j)
				fail_msg("line %zu: %s", i + 1, err.text);
		}
	assert_string_equal(p, ""); /* ends with a newline */
	assert_int_equal(n, nlines);
	free(text);
	assert_non_null(j);
	return j;
}

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

/* The "routes" array joined with ','. */
static char *jroutes(const json_t *o)
{
	const json_t *a = json_object_get(o, "routes");
	struct buf b = BUF_INIT;

	assert_true(json_is_array(a));
	for (size_t i = 0; i < json_array_size(a); i++) {
		assert_true(json_is_string(json_array_get(a, i)));
		buf_addf(&b, "%s%s", i ? "," : "", json_string_value(json_array_get(a, i)));
	}
	return buf_detach(&b);
}

static void assert_routes(const json_t *o, const char *want)
{
	char *got = jroutes(o);

	assert_string_equal(got, want);
	free(got);
}

static void test_severity(void **state)
{
	enum severity s = SEVERITY_MEDIUM;

	(void)state;
	assert_string_equal(severity_name(SEVERITY_MEDIUM), "MEDIUM");
	assert_string_equal(severity_name(SEVERITY_HIGH), "HIGH");
	assert_string_equal(severity_name(SEVERITY_CRITICAL), "CRITICAL");
	assert_string_equal(severity_name((enum severity)7), "?");
	assert_int_equal(severity_bump(SEVERITY_MEDIUM), SEVERITY_HIGH);
	assert_int_equal(severity_bump(SEVERITY_HIGH), SEVERITY_CRITICAL);
	assert_int_equal(severity_bump(SEVERITY_CRITICAL), SEVERITY_CRITICAL);
	assert_int_equal(severity_parse("CRITICAL", &s), 0);
	assert_int_equal(s, SEVERITY_CRITICAL);
	assert_int_equal(severity_parse("high", &s), 0);
	assert_int_equal(s, SEVERITY_HIGH);
	assert_int_equal(severity_parse("Medium", &s), 0);
	assert_int_equal(s, SEVERITY_MEDIUM);
	assert_int_equal(severity_parse("LOW", &s), -1);
	assert_int_equal(severity_parse("", &s), -1);
	assert_int_equal(severity_parse("HIGHER", &s), -1);
	assert_int_equal(severity_parse(NULL, &s), -1);
	assert_int_equal(s, SEVERITY_MEDIUM); /* untouched on failure */
}

static void test_log_line_fields_and_append(void **state)
{
	struct fx *f = *state;
	struct stat st;
	json_t *o;

	f->cfg.routes[SEVERITY_HIGH] = 1u << NR_log;
	f->cfg.routes[SEVERITY_CRITICAL] = 1u << NR_log;
	assert_int_equal(notify_send(&f->cx, &f->ev), 0);
	assert_string_equal(buf_str(&f->errors), "");
	assert_int_equal(stat(f->log, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	o = log_line(f, 1, 0);
	assert_int_equal(json_object_size(o), 12);
	assert_int_equal(json_integer_value(json_object_get(o, "id")), 42);
	assert_string_equal(jstr(o, "run"), "run-20240501-1200");
	assert_string_equal(jstr(o, "story"), "1.2");
	assert_string_equal(jstr(o, "step"), "dev");
	assert_string_equal(jstr(o, "trigger"), "git-commit-failure");
	assert_string_equal(jstr(o, "title"), "Git commit failed");
	assert_string_equal(jstr(o, "category"), "CRITICAL");
	assert_string_equal(jstr(o, "severity"), "HIGH");
	assert_string_equal(jstr(o, "message"), MESSAGE);
	assert_true(json_is_integer(json_object_get(o, "reescalation")));
	assert_int_equal(json_integer_value(json_object_get(o, "reescalation")), 0);
	assert_string_equal(jstr(o, "at"), "2024-05-01T12:00:00Z");
	assert_routes(o, "log");
	json_decref(o);

	/* A second event about the run is appended; the first line stays. */
	f->ev.id = 43;
	f->ev.story = NULL;
	f->ev.severity = SEVERITY_CRITICAL;
	f->ev.reescalation = 2;
	f->ev.message = "bad \xff byte, then \xc3\xa9";
	assert_int_equal(notify_send(&f->cx, &f->ev), 0);
	assert_string_equal(buf_str(&f->errors), "");
	o = log_line(f, 2, 0);
	assert_int_equal(json_integer_value(json_object_get(o, "id")), 42);
	assert_string_equal(jstr(o, "message"), MESSAGE);
	json_decref(o);
	o = log_line(f, 2, 1);
	assert_int_equal(json_integer_value(json_object_get(o, "id")), 43);
	assert_true(json_is_null(json_object_get(o, "story")));
	assert_string_equal(jstr(o, "severity"), "CRITICAL");
	assert_int_equal(json_integer_value(json_object_get(o, "reescalation")), 2);
	assert_string_equal(jstr(o, "message"), "bad \xef\xbf\xbd byte, then \xc3\xa9");
	json_decref(o);
}

static void test_log_existing_file_appended(void **state)
{
	struct fx *f = *state;
	char *text;

	put(f, "escalations.jsonl", "{\"id\":1}\n", 0600);
	f->cfg.routes[SEVERITY_HIGH] = 1u << NR_log;
	f->ev.message = "one line";
	assert_int_equal(notify_send(&f->cx, &f->ev), 0);
	text = slurp(f, "escalations.jsonl");
	assert_string_equal(text,
			    "{\"id\":1}\n"
			    "{\"id\":42,\"run\":\"run-20240501-1200\",\"story\":\"1.2\","
			    "\"step\":\"dev\",\"trigger\":\"git-commit-failure\","
			    "\"title\":\"Git commit failed\",\"category\":\"CRITICAL\","
			    "\"severity\":\"HIGH\",\"message\":\"one line\",\"reescalation\":0,"
			    "\"at\":\"2024-05-01T12:00:00Z\",\"routes\":[\"log\"]}\n");
	free(text);
}

static void test_routes_by_severity(void **state)
{
	struct fx *f = *state;
	char *ran;
	json_t *o;

	f->cfg.routes[SEVERITY_MEDIUM] = 1u << NR_log;
	f->cfg.routes[SEVERITY_HIGH] = 1u << NR_log | 1u << NR_command;
	f->cfg.routes[SEVERITY_CRITICAL] = 0;
	set_command(f, "/bin/sh", "hook.sh");

	f->ev.severity = SEVERITY_MEDIUM;
	assert_int_equal(notify_send(&f->cx, &f->ev), 0);
	assert_false(exists(f, "ran.txt"));
	o = log_line(f, 1, 0);
	assert_string_equal(jstr(o, "severity"), "MEDIUM");
	assert_routes(o, "log");
	json_decref(o);

	f->ev.severity = SEVERITY_HIGH;
	assert_int_equal(notify_send(&f->cx, &f->ev), 0);
	ran = slurp(f, "ran.txt");
	assert_string_equal(ran, "ran\n");
	free(ran);
	o = log_line(f, 2, 1);
	assert_string_equal(jstr(o, "severity"), "HIGH");
	assert_routes(o, "log,command");
	json_decref(o);

	/* No route for CRITICAL: nothing at all happens. */
	f->ev.severity = SEVERITY_CRITICAL;
	assert_int_equal(notify_send(&f->cx, &f->ev), 0);
	ran = slurp(f, "ran.txt");
	assert_string_equal(ran, "ran\n");
	free(ran);
	json_decref(log_line(f, 2, 1));
	assert_string_equal(buf_str(&f->errors), "");
}

static void test_command_env(void **state)
{
	struct fx *f = *state;
	char *env, *msg, *cwd, *want, real[PATH_MAX];

	f->cfg.routes[SEVERITY_HIGH] = 1u << NR_command;
	set_command(f, "/bin/sh", "hook.sh");
	assert_int_equal(notify_send(&f->cx, &f->ev), 0);
	assert_string_equal(buf_str(&f->errors), "");

	env = slurp(f, "env.txt");
	assert_string_equal(env, "AUTOMATOR_ESCALATION_CATEGORY=CRITICAL\n"
				 "AUTOMATOR_ESCALATION_ID=42\n"
				 "AUTOMATOR_ESCALATION_MESSAGE=the hook said \"no\" and 'never'\n"
				 "AUTOMATOR_ESCALATION_RUN=run-20240501-1200\n"
				 "AUTOMATOR_ESCALATION_SEVERITY=HIGH\n"
				 "AUTOMATOR_ESCALATION_STORY=1.2\n"
				 "AUTOMATOR_ESCALATION_TRIGGER=git-commit-failure\n");
	free(env);
	msg = slurp(f, "msg.txt");
	assert_string_equal(msg, MESSAGE);
	free(msg);
	assert_non_null(realpath(f->root, real));
	want = xstrfmt("%s\n", real);
	cwd = slurp(f, "cwd.txt");
	assert_string_equal(cwd, want);
	free(cwd);
	free(want);
	assert_false(exists(f, "pwned"));
	assert_false(exists(f, "pwned2"));
	assert_false(exists(f, "project/pwned"));
	assert_false(exists(f, "project/pwned2"));
	assert_false(exists(f, "escalations.jsonl")); /* log not configured for HIGH */

	/* About the run: the story is empty. */
	f->ev.story = NULL;
	f->ev.id = 7;
	f->ev.severity = SEVERITY_MEDIUM;
	f->ev.category = "PREFERENCE";
	f->ev.trigger = "agent-unavailable";
	f->ev.message = "no agent";
	f->cfg.routes[SEVERITY_MEDIUM] = 1u << NR_command;
	assert_int_equal(notify_send(&f->cx, &f->ev), 0);
	env = slurp(f, "env.txt");
	assert_string_equal(env, "AUTOMATOR_ESCALATION_CATEGORY=PREFERENCE\n"
				 "AUTOMATOR_ESCALATION_ID=7\n"
				 "AUTOMATOR_ESCALATION_MESSAGE=no agent\n"
				 "AUTOMATOR_ESCALATION_RUN=run-20240501-1200\n"
				 "AUTOMATOR_ESCALATION_SEVERITY=MEDIUM\n"
				 "AUTOMATOR_ESCALATION_STORY=\n"
				 "AUTOMATOR_ESCALATION_TRIGGER=agent-unavailable\n");
	free(env);
	assert_string_equal(buf_str(&f->errors), "");
}

static void test_command_failures_counted(void **state)
{
	struct fx *f = *state;
	json_t *o;

	f->cfg.routes[SEVERITY_CRITICAL] = 1u << NR_log | 1u << NR_command;
	f->ev.severity = SEVERITY_CRITICAL;

	set_command(f, "/bin/sh", "fail.sh");
	assert_int_equal(notify_send(&f->cx, &f->ev), 1);
	assert_string_equal(buf_str(&f->errors),
			    "escalation 42: command route: '/bin/sh' failed: exit 3: hook broke\n");
	o = log_line(f, 1, 0);
	assert_routes(o, "log,command");
	json_decref(o);

	buf_reset(&f->errors);
	set_command(f, "/nonexistent/automator-hook", NULL);
	assert_int_equal(notify_send(&f->cx, &f->ev), 1);
	assert_string_equal(buf_str(&f->errors), "escalation 42: command route: program not found "
						 "'/nonexistent/automator-hook'\n");
	o = log_line(f, 2, 1);
	assert_int_equal(json_integer_value(json_object_get(o, "id")), 42);
	assert_routes(o, "log,command");
	json_decref(o);

	/* No command configured at all: described too. */
	buf_reset(&f->errors);
	strvec_release(&f->cfg.command);
	assert_int_equal(notify_send(&f->cx, &f->ev), 1);
	assert_string_equal(buf_str(&f->errors), "escalation 42: command route: no command "
						 "configured (notify.command)\n");
	json_decref(log_line(f, 3, 2));

	/* Without an errors buffer the count is the same. */
	f->cx.errors = NULL;
	set_command(f, "/bin/sh", "fail.sh");
	assert_int_equal(notify_send(&f->cx, &f->ev), 1);
	json_decref(log_line(f, 4, 3));
}

static void test_failures_do_not_stop_others(void **state)
{
	struct fx *f = *state;
	char c = 0;
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	f->cx.bell_fd = fds[1];
	f->cx.log_path = "/nonexistent/dir/escalations.jsonl";
	f->cfg.routes[SEVERITY_HIGH] = 1u << NR_log | 1u << NR_bell | 1u << NR_command;
	set_command(f, "/nonexistent/automator-hook", NULL);
	assert_int_equal(notify_send(&f->cx, &f->ev), 2);
	assert_string_equal(buf_str(&f->errors),
			    "escalation 42: log route: cannot open "
			    "'/nonexistent/dir/escalations.jsonl': No such file or directory\n"
			    "escalation 42: command route: program not found "
			    "'/nonexistent/automator-hook'\n");
	assert_int_equal(read(fds[0], &c, 1), 1);
	assert_int_equal(c, '\a');

	/* And a failing command does not stop the bell after the log. */
	buf_reset(&f->errors);
	f->cx.log_path = f->log;
	set_command(f, "/bin/sh", "fail.sh");
	assert_int_equal(notify_send(&f->cx, &f->ev), 1);
	assert_string_equal(buf_str(&f->errors),
			    "escalation 42: command route: '/bin/sh' failed: exit 3: hook broke\n");
	assert_int_equal(read(fds[0], &c, 1), 1);
	assert_int_equal(c, '\a');
	json_decref(log_line(f, 1, 0));
	close(fds[0]);
	close(fds[1]);
}

static void test_bell(void **state)
{
	struct fx *f = *state;
	char got[4] = { 0 };
	int fds[2];
	json_t *o;

	assert_int_equal(pipe(fds), 0);
	f->cfg.routes[SEVERITY_HIGH] = 1u << NR_log | 1u << NR_bell;
	f->cx.bell_fd = fds[1];
	assert_int_equal(notify_send(&f->cx, &f->ev), 0);
	assert_int_equal(notify_send(&f->cx, &f->ev), 0);
	close(fds[1]);
	assert_int_equal(read(fds[0], got, sizeof(got)), 2);
	assert_string_equal(got, "\a\a");
	close(fds[0]);
	o = log_line(f, 2, 1);
	assert_routes(o, "log,bell");
	json_decref(o);

	/* No terminal: the bell does nothing and is not listed. */
	f->cx.bell_fd = -1;
	assert_int_equal(notify_send(&f->cx, &f->ev), 0);
	o = log_line(f, 3, 2);
	assert_routes(o, "log");
	json_decref(o);
	assert_string_equal(buf_str(&f->errors), "");

	/* A descriptor that cannot be written is a described failure. */
	assert_int_equal(pipe(fds), 0);
	f->cx.bell_fd = fds[0];
	assert_int_equal(notify_send(&f->cx, &f->ev), 1);
	assert_string_equal(buf_str(&f->errors),
			    "escalation 42: bell route: cannot write to the terminal: "
			    "Bad file descriptor\n");
	close(fds[0]);
	close(fds[1]);
}

static void test_desktop_skipped_without_notify_send(void **state)
{
	struct fx *f = *state;
	const char *path;
	json_t *o;

	f->cfg.routes[SEVERITY_CRITICAL] = 1u << NR_log | 1u << NR_desktop;
	f->ev.severity = SEVERITY_CRITICAL;
	set_path(f, "emptybin");
	assert_false(proc_exists("notify-send"));
	assert_int_equal(notify_send(&f->cx, &f->ev), 0);
	assert_string_equal(buf_str(&f->errors), "");
	o = log_line(f, 1, 0);
	assert_routes(o, "log");
	json_decref(o);
	restore_path(f);
	path = getenv("PATH");
	assert_non_null(path);
	assert_null(strstr(path, "emptybin"));
}

static void test_desktop_argv(void **state)
{
	struct fx *f = *state;
	char *got;
	json_t *o;

	f->cfg.routes[SEVERITY_CRITICAL] = 1u << NR_log | 1u << NR_desktop;
	f->cfg.routes[SEVERITY_MEDIUM] = 1u << NR_desktop;
	f->ev.severity = SEVERITY_CRITICAL;
	f->ev.message = "-u low\n$(touch pwned)";
	set_path(f, "bin");
	put(f, "bin/notify-send", fake_notify_send, 0755);
	assert_int_equal(notify_send(&f->cx, &f->ev), 0);
	assert_string_equal(buf_str(&f->errors), "");
	got = slurp(f, "desktop.txt");
	assert_string_equal(got,
			    "[--app-name=automator]\n"
			    "[--urgency=critical]\n"
			    "[automator: DECISION NEEDED (CRITICAL) story 1.2: Git commit failed]\n"
			    "[story 1.2, step dev (git-commit-failure)\n"
			    "\n"
			    "-u low\n"
			    "$(touch pwned)\n"
			    "\n"
			    "automator answer 42]\n");
	free(got);
	o = log_line(f, 1, 0);
	assert_routes(o, "log,desktop");
	json_decref(o);

	f->ev.severity = SEVERITY_MEDIUM;
	f->ev.story = NULL;
	f->ev.message = "m";
	assert_int_equal(notify_send(&f->cx, &f->ev), 0);
	got = slurp(f, "desktop.txt");
	assert_string_equal(got, "[--app-name=automator]\n"
				 "[--urgency=low]\n"
				 "[automator: DECISION NEEDED (MEDIUM) run run-20240501-1200: "
				 "Git commit failed]\n"
				 "[run run-20240501-1200, step dev (git-commit-failure)\n"
				 "\n"
				 "m\n"
				 "\n"
				 "automator answer 42]\n");
	free(got);

	/* A notify-send that fails is counted. */
	f->ev.severity = SEVERITY_HIGH;
	f->cfg.routes[SEVERITY_HIGH] = 1u << NR_desktop;
	put(f, "bin/notify-send", "#!/bin/sh\necho 'no bus' >&2\nexit 1\n", 0755);
	assert_int_equal(notify_send(&f->cx, &f->ev), 1);
	assert_string_equal(buf_str(&f->errors),
			    "escalation 42: desktop route: 'notify-send' failed: exit 1: no bus\n");
	restore_path(f);
	assert_false(exists(f, "pwned"));
	assert_false(exists(f, "project/pwned"));
}

static void test_tmux_banner(void **state)
{
	struct fx *f = *state;
	struct tmx t;
	char *got;
	json_t *o;

	f->cfg.routes[SEVERITY_CRITICAL] = 1u << NR_log | 1u << NR_tmux;
	f->ev.severity = SEVERITY_CRITICAL;

	/* No tmux server: the route does nothing and is not listed. */
	f->cx.tmx = NULL;
	assert_int_equal(notify_send(&f->cx, &f->ev), 0);
	assert_string_equal(buf_str(&f->errors), "");
	o = log_line(f, 1, 0);
	assert_routes(o, "log");
	json_decref(o);

	/* A fake tmux: the banner is one line, '#' escaped for display-message. */
	set_path(f, "bin");
	put(f, "bin/tmux", fake_tmux, 0755);
	tmx_init(&t, "au-test");
	f->cx.tmx = &t;
	f->ev.title = "Commit #12 failed\nsee log";
	assert_int_equal(notify_send(&f->cx, &f->ev), 0);
	assert_string_equal(buf_str(&f->errors), "");
	got = slurp(f, "tmux.txt");
	assert_string_equal(got,
			    "display-message|/dev/pts/9|automator: DECISION NEEDED (CRITICAL) "
			    "story 1.2: Commit ##12 failed see log \xe2\x80\x94 automator "
			    "answer 42\n"
			    "display-message|/dev/pts/10|automator: DECISION NEEDED (CRITICAL) "
			    "story 1.2: Commit ##12 failed see log \xe2\x80\x94 automator "
			    "answer 42\n");
	free(got);
	o = log_line(f, 2, 1);
	assert_routes(o, "log,tmux");
	json_decref(o);
	tmx_release(&t);
	restore_path(f);
}

static void test_concurrent_appends_never_interleave(void **state)
{
	enum { NPROC = 4, NEACH = 25, MSGLEN = 16384 };
	struct fx *f = *state;
	char *big = xmalloc(MSGLEN + 1);
	pid_t pids[NPROC];

	f->cfg.routes[SEVERITY_HIGH] = 1u << NR_log;
	f->cx.errors = NULL;
	for (int p = 0; p < NPROC; p++) {
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0) {
			int failed = 0;

			memset(big, 'a' + p, MSGLEN);
			big[MSGLEN] = 0;
			f->ev.message = big;
			for (int i = 0; i < NEACH; i++) {
				f->ev.id = p * 1000 + i;
				failed += notify_send(&f->cx, &f->ev);
			}
			_exit(failed ? 1 : 0);
		}
	}
	for (int p = 0; p < NPROC; p++) {
		int st;

		assert_int_equal(waitpid(pids[p], &st, 0), pids[p]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	for (size_t i = 0; i < NPROC * NEACH; i++) {
		json_t *o = log_line(f, NPROC * NEACH, i);
		json_int_t id = json_integer_value(json_object_get(o, "id"));
		const char *m = jstr(o, "message");

		assert_int_equal(strlen(m), MSGLEN);
		assert_int_equal(strspn(m, (char[]){ (char)('a' + id / 1000), 0 }), MSGLEN);
		json_decref(o);
	}
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_severity),
		cmocka_unit_test_setup_teardown(test_log_line_fields_and_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_existing_file_appended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routes_by_severity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_failures_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_do_not_stop_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bell, setup, teardown),
		cmocka_unit_test_setup_teardown(test_desktop_skipped_without_notify_send, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_desktop_argv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmux_banner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_appends_never_interleave, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
