/*
 * cmd_helper_hook.c: orchestrator-helper stop-hook and install-stop-hook:
 * Claude Code's Stop hook asks whether a run still needs the agent.
 * install-stop-hook writes .claude/settings.json and nothing else.
 * stop-hook must never trap an agent: anything broken about its input or
 * the project allows the stop, and it exits 0 unless its own command line
 * is wrong (and never with 2, which Claude Code reads as "block").
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "cmd_helper_int.h"
#include "commands.h"
#include "jsonx.h"
#include "project.h"
#include "recover.h"
#include "shellwords.h"
#include "store.h"
#include "tmx.h"
#include "util.h"

/* ---- stop-hook ---- */

/*
 * Reads all of stdin (nothing from a terminal). Returns 0, or -1 with errno
 * when it cannot be read.
 */
static int read_stdin(struct buf *b)
{
	char chunk[4096];

	if (isatty(STDIN_FILENO))
		return 0;
	for (;;) {
		ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EBADF ? 0 : -1; /* a closed stdin is an empty one */
		if (n == 0)
			return 0;
		buf_add(b, chunk, (size_t)n);
	}
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * The hook's input: Claude Code's Stop event. Returns 0 with *active set
 * from stop_hook_active (every field may be missing), or -1 after a
 * diagnostic when stdin is not a JSON object.
 */
static int read_hook_input(const struct cmd *c, bool *active)
{
	struct buf b = BUF_INIT;
	json_error_t err;
	json_t *in;

	*active = false;
	if (read_stdin(&b) < 0) {
		fprintf(stderr, "%s %s: cannot read stdin: %s\n", progname, c->name,
			strerror(errno));
		buf_release(&b);
		return -1;
	}
	if (blank(buf_str(&b), b.len)) {
		buf_release(&b);
		return 0;
	}
	in = json_loadb(b.s, b.len, 0, &err);
	buf_release(&b);
	if (!in) {
		fprintf(stderr, "%s %s: stdin:%d:%d: %s; allowing the stop\n", progname, c->name,
			err.line, err.column, err.text);
		return -1;
	}
	if (!json_is_object(in)) {
		fprintf(stderr, "%s %s: stdin: not a JSON object; allowing the stop\n", progname,
			c->name);
		json_decref(in);
		return -1;
	}
	*active = json_is_true(json_object_get(in, "stop_hook_active"));
	json_decref(in);
	return 0;
}

/* Why the agent may not stop yet, and what to do instead; newly allocated. */
static char *block_reason(const struct marker *m)
{
	const char *stories = m->stories_remaining == 1 ? "story" : "stories";
	struct buf b = BUF_INIT;

	buf_addf(&b, "automator run (pid %ld) is still working", m->pid);
	if (m->current_story)
		buf_addf(&b, " on story %s", m->current_story);
	buf_addf(&b,
		 " (%d %s remaining). Do not stop yet: continue with the next story, or "
		 "follow the run with `automator status` and answer its questions with "
		 "`automator answer`. To stop the run, ask the user to stop it with "
		 "`automator abort`.",
		 m->stories_remaining, stories);
	return buf_detach(&b);
}

/*
 * What says the run moved on: the journal's last change (an automator run
 * writes .automator/state.db only when something happens), else the
 * marker's heartbeat (a marker of orchestrator-helper's, refreshed as an
 * orchestration goes on).
 */
static long long progress_token(const struct project *pj, const struct marker *m)
{
	static const char *const files[] = { "state.db", "state.db-wal" };
	long long t = 0;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *p = path_join(pj->dir, files[i]);
		struct stat st;

		if (stat(p, &st) == 0) {
			long long ns =
				(long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;

			t = ns > t ? ns : t;
		}
		free(p);
	}
	return t ? t : m->heartbeat;
}

/*
 * stop_hook_active policy: the first stop is blocked; once Claude goes on
 * because of a block (stop_hook_active), the next is blocked only when the
 * run made progress since the last block (.automator/stop-hook-last holds
 * "PID TOKEN"). So an agent waiting on a run that moves is kept, and one
 * waiting on a run that does not is let go well before Claude Code
 * overrides the hook (after 8 blocks in a row).
 */
static bool progressed(const struct project *pj, const struct marker *m, bool active)
{
	char *path = path_join(pj->dir, "stop-hook-last"), *text = NULL, *cause = NULL;
	long long token = progress_token(pj, m), last = -1;
	long pid = -1;
	size_t len;
	bool moved = true;

	if (active && read_text_file(path, 256, &text, &len, &cause) == 0 &&
	    sscanf(text, "%ld %lld", &pid, &last) == 2 && pid == m->pid)
		moved = token != last;
	free(text);
	free(cause);
	if (moved) {
		char *line = xstrfmt("%ld %lld\n", m->pid, token);

		/* a hook that cannot write it still blocks: Claude's own cap bounds that */
		(void)write_file_replace(path, line, strlen(line), 0600);
		free(line);
	}
	free(path);
	return moved;
}

static int block(const char *reason)
{
	jsonx_print(json_pack("{s:s,s:s}", "decision", "block", "reason", reason));
	return EXIT_OK;
}

int cmd_stop_hook_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("stop-hook");
	struct project pj;
	struct marker m;
	const char *given;
	char *root = NULL, *name, *cause = NULL, *reason;
	long long now = clock_wall();
	bool active, alive;
	int ret, rc;

	if ((ret = helper_parse_root_args(c, argc, argv, &given)) != 0)
		return ret;
	/* drain stdin first, whatever the answer: the writer must not see EPIPE */
	if (read_hook_input(c, &active) < 0)
		return EXIT_OK;
	/* the run's own agents must be able to finish */
	if (getenv("AUTOMATOR_CHILD"))
		return EXIT_OK;
	if (project_find_root(given, &root, &cause) < 0) {
		fprintf(stderr, "%s %s: %s; allowing the stop\n", progname, c->name, cause);
		free(cause);
		return EXIT_OK;
	}
	name = project_root_name(root);
	project_init(&pj, root, name);
	free(name);
	rc = project_marker_read(&pj, &m, &cause);
	if (rc < 0) {
		char *path = path_join(pj.dir, "active");

		fprintf(stderr, "%s %s: corrupt marker '%s': %s\n", progname, c->name, path, cause);
		reason = xstrfmt("The automator run marker %s is corrupt or unreadable (%s), so "
				 "whether a run is still active is unknown. If no automator run "
				 "is active in this project, clear it with `orchestrator-helper "
				 "marker remove`, then stop again.",
				 path, cause);
		block(reason);
		free(reason);
		free(path);
		free(cause);
	} else if (rc == 0) {
		project_marker_fresh(&m, now, &alive);
		if (m.stories_remaining <= 0) {
			/* the run is finishing: nothing left to continue with */
		} else if (m.pid > 0 && !alive) {
			/* never for a dead process: nothing works on the run */
			fprintf(stderr,
				"%s %s: the run's process (pid %ld) is not running; allowing the "
				"stop "
				"(continue the run with `automator resume`)\n",
				progname, c->name, m.pid);
		} else if (!progressed(&pj, &m, active)) {
			fprintf(stderr,
				"%s %s: stop_hook_active and the run made no progress since the "
				"last "
				"block; allowing the stop\n",
				progname, c->name);
		} else {
			reason = block_reason(&m);
			block(reason);
			free(reason);
		}
		project_marker_clear(&m);
	}
	project_release(&pj);
	free(root);
	return EXIT_OK;
}

/* ---- install-stop-hook ---- */

static const char hook_suffix[] = "orchestrator-helper stop-hook";

/* Whether a hook command is ours: it runs "...orchestrator-helper stop-hook". */
static bool hook_is_ours(const char *cmd)
{
	/* the path may be quoted: '/a b/orchestrator-helper' stop-hook */
	static const char *const quotes[] = { "", "'", "\"" };
	size_t n = strlen(cmd), tail = strlen(" stop-hook");
	size_t head = strlen(hook_suffix) - tail;

	while (n && isspace((unsigned char)cmd[n - 1]))
		n--;
	if (n < tail || memcmp(cmd + n - tail, hook_suffix + head, tail))
		return false;
	n -= tail;
	for (size_t i = 0; i < ARRAY_SIZE(quotes); i++) {
		size_t q = strlen(quotes[i]);

		if (n >= head + q && !memcmp(cmd + n - q, quotes[i], q) &&
		    !memcmp(cmd + n - q - head, hook_suffix, head))
			return true;
	}
	return false;
}

/* Whether path is an executable that is the same file as exe. */
static bool is_us(const char *path, const struct stat *exe)
{
	struct stat st;

	return access(path, X_OK) == 0 && stat(path, &st) == 0 && st.st_dev == exe->st_dev &&
	       st.st_ino == exe->st_ino;
}

/*
 * The absolute path of orchestrator-helper that runs this program: the one
 * next to the executable, else the first in $PATH. The name matters (the
 * binary dispatches on it), so the link itself is kept, not its target.
 * Newly allocated, or NULL with *cause.
 */
static char *helper_path(char **cause)
{
	const char *p = getenv("PATH");
	char *exe = realpath("/proc/self/exe", NULL), *dir, *cand;
	struct stat st;

	if (!exe || stat(exe, &st) != 0) {
		*cause = xstrfmt("cannot find this program: /proc/self/exe: %s", strerror(errno));
		free(exe);
		return NULL;
	}
	dir = path_dirname(exe);
	cand = path_join(dir, "orchestrator-helper");
	free(dir);
	if (is_us(cand, &st)) {
		free(exe);
		return cand;
	}
	free(cand);
	while (p && *p) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		char *d = xstrndup(p, len), *abs = len ? realpath(d, NULL) : NULL;

		free(d);
		cand = abs ? path_join(abs, "orchestrator-helper") : NULL;
		free(abs);
		if (cand && is_us(cand, &st)) {
			free(exe);
			return cand;
		}
		free(cand);
		p = colon ? colon + 1 : p + len;
	}
	*cause = xstrfmt("no orchestrator-helper next to '%s' or in PATH runs this program", exe);
	free(exe);
	return NULL;
}

/*
 * Finds our hook in settings (an object). Returns 1 with *found the command
 * of ours, 0 when there is none, -1 with *cause when hooks or hooks.Stop has
 * the wrong type. Entries of another shape are left alone.
 */
static int find_hook(json_t *settings, const char **found, char **cause)
{
	json_t *hooks = json_object_get(settings, "hooks"), *stop, *entry;
	size_t i, j;

	if (!hooks)
		return 0;
	if (!json_is_object(hooks)) {
		*cause = xstrdup("'hooks' is not an object");
		return -1;
	}
	stop = json_object_get(hooks, "Stop");
	if (!stop)
		return 0;
	if (!json_is_array(stop)) {
		*cause = xstrdup("'hooks.Stop' is not an array");
		return -1;
	}
	json_array_foreach(stop, i, entry)
	{
		json_t *list = json_object_get(entry, "hooks"), *h;

		json_array_foreach(list, j, h)
		{
			const char *cmd = json_string_value(json_object_get(h, "command"));

			if (cmd && hook_is_ours(cmd)) {
				*found = cmd;
				return 1;
			}
		}
	}
	return 0;
}

/* Adds {"hooks":[{type, command, timeout}]} to hooks.Stop, making both when missing. */
static void add_hook(json_t *settings, const char *command)
{
	json_t *hooks = json_object_get(settings, "hooks"), *stop;

	if (!hooks) {
		hooks = json_object();
		json_object_set_new(settings, "hooks", hooks);
	}
	stop = json_object_get(hooks, "Stop");
	if (!stop) {
		stop = json_array();
		json_object_set_new(hooks, "Stop", stop);
	}
	json_array_append_new(stop, json_pack("{s:[{s:s,s:s,s:i}]}", "hooks", "type", "command",
					      "command", command, "timeout", 10));
}

int cmd_install_stop_hook_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("install-stop-hook");
	const char *given, *found = NULL;
	char *root = NULL, *dir = NULL, *file = NULL, *text = NULL, *cause = NULL;
	char *helper = NULL, *word = NULL, *command = NULL, *out = NULL;
	json_t *settings = NULL;
	json_error_t err;
	struct stat st;
	size_t len = 0;
	int ret, rc = 0, mode = 0644;

	if ((ret = helper_parse_root_args(c, argc, argv, &given)) != 0)
		return ret;
	if (project_find_root(given, &root, &cause) < 0) {
		fprintf(stderr, "%s %s: %s\n", progname, c->name, cause);
		ret = helper_fail("no_project_root", EXIT_USAGE);
		goto out;
	}
	dir = path_join(root, ".claude");
	file = path_join(dir, "settings.json");
	/* write through a symlinked settings file, not over the link */
	if (lstat(file, &st) == 0 && S_ISLNK(st.st_mode)) {
		char *target = realpath(file, NULL);

		if (target) {
			free(file);
			file = target;
		}
	}
	if (read_file(file, &text, &len) < 0) {
		if (errno != ENOENT) {
			fprintf(stderr, "%s %s: cannot read '%s': %s\n", progname, c->name, file,
				strerror(errno));
			ret = helper_fail("unreadable_settings", EXIT_DATAERR);
			goto out;
		}
	} else if (stat(file, &st) == 0) {
		mode = (int)(st.st_mode & 07777);
	}
	/* a missing or empty file is an empty object */
	if (!text || blank(text, len)) {
		settings = json_object();
	} else if (!(settings = json_loadb(text, len, 0, &err))) {
		fprintf(stderr, "%s %s: %s:%d:%d: %s\n", progname, c->name, file, err.line,
			err.column, err.text);
		ret = helper_fail("bad_settings", EXIT_DATAERR);
		goto out;
	} else if (!json_is_object(settings)) {
		cause = xstrdup("not a JSON object");
	}
	if (cause || (rc = find_hook(settings, &found, &cause)) < 0) {
		fprintf(stderr, "%s %s: %s: %s\n", progname, c->name, file, cause);
		ret = helper_fail("bad_settings", EXIT_DATAERR);
		goto out;
	}
	if (rc == 1) {
		jsonx_print(json_pack("{s:b,s:b,s:s,s:s}", "ok", 1, "installed", 0, "file", file,
				      "command", found));
		ret = EXIT_OK;
		goto out;
	}
	if (!(helper = helper_path(&cause))) {
		fprintf(stderr, "%s %s: %s\n", progname, c->name, cause);
		ret = helper_fail("no_helper_path", EXIT_UNAVAILABLE);
		goto out;
	}
	word = shellwords_quote(helper);
	command = xstrfmt("%s stop-hook", word);
	add_hook(settings, command);
	out = json_dumps(settings, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!out)
		xdie("cannot encode json");
	{
		struct buf b = BUF_INIT;

		buf_adds(&b, out);
		buf_addc(&b, '\n');
		free(out);
		out = buf_detach(&b);
	}
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) ||
	    write_file_atomic(file, out, strlen(out), mode) < 0) {
		fprintf(stderr, "%s %s: cannot write '%s': %s\n", progname, c->name, file,
			strerror(errno));
		ret = helper_fail("write_failed", EXIT_SOFTWARE);
		goto out;
	}
	jsonx_print(json_pack("{s:b,s:b,s:s,s:s}", "ok", 1, "installed", 1, "file", file, "command",
			      command));
	ret = EXIT_OK;
out:
	json_decref(settings);
	free(out);
	free(command);
	free(word);
	free(helper);
	free(text);
	free(cause);
	free(file);
	free(dir);
	free(root);
	return ret;
}
