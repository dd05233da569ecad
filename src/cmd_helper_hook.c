/* SPDX-License-Identifier: MIT */
/*
 * cmd_helper_hook.c: orchestrator-helper stop-hook: Claude Code's Stop
 * hook asks whether a run still needs the agent (install-stop-hook is
 * cmd_helper_install.c). stop-hook must never trap an agent: anything broken about its input or
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
