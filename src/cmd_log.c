/* SPDX-License-Identifier: MIT */
/*
 * cmd_log.c: automator log: a story's latest session log (of a step), in
 * words through render.h or as the bytes (--raw), followed as it grows
 * (--follow), or its attempts as JSON (--json). Reads the journal and the
 * logs; must not change a run's state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_view.h"
#include "commands.h"
#include "jsonw.h"
#include "render.h"
#include "runner.h"
#include "store.h"
#include "util.h"

/*
 * A story's sessions (of one step, when step is set), walked in the order
 * they were added: the last one's log is kept and, with w, each is written
 * as a log --json object (exit fields null while it runs).
 */
struct attempts {
	const char *story, *step;
	struct jsonw *w;
	char *last_log;
	char *last_step; /* the step and attempt of last_log's session */
	int last_attempt;
};

static int add_attempt(const struct store_session *s, void *arg)
{
	struct attempts *a = arg;

	if (strcmp(s->story_id, a->story) || (a->step && strcmp(s->step, a->step)))
		return 0;
	free(a->last_log);
	free(a->last_step);
	a->last_log = s->log_path ? xstrdup(s->log_path) : NULL;
	a->last_step = xstrdup(s->step);
	a->last_attempt = s->attempt;
	if (!a->w)
		return 0;
	jsonw_obj(a->w, NULL);
	jsonw_str(a->w, "step", s->step);
	jsonw_int(a->w, "attempt", s->attempt);
	jsonw_str(a->w, "session", s->tmux_name);
	jsonw_str(a->w, "log_path", s->log_path);
	jsonw_str(a->w, "started_at", s->started_at);
	jsonw_str(a->w, "ended_at", s->ended_at);
	if (s->ended_at) {
		jsonw_int(a->w, "exit_status", s->exit_status);
		jsonw_int(a->w, "exit_signal", s->exit_signal);
	} else {
		jsonw_null(a->w, "exit_status");
		jsonw_null(a->w, "exit_signal");
	}
	jsonw_end(a->w);
	return 0;
}

/* --jsonl: each rendered line as {"story", "step", "attempt", "line"}, one a line. */
struct jsonl_out {
	const char *story, *step;
	int attempt;
	struct buf line;
};

static void to_stdout(const char *s, size_t n, void *arg)
{
	struct jsonl_out *jl = arg;

	if (!jl) {
		fwrite(s, 1, n, stdout);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct jsonw w = { BUF_INIT, 0, { false }, { 0 } };

		if (s[i] != '\n') {
			if (s[i] != '\r')
				buf_addc(&jl->line, s[i]);
			continue;
		}
		jsonw_obj(&w, NULL);
		jsonw_str(&w, "story", jl->story);
		jsonw_str(&w, "step", jl->step);
		jsonw_int(&w, "attempt", jl->attempt);
		jsonw_str(&w, "line", buf_str(&jl->line));
		jsonw_end(&w);
		printf("%s\n", buf_str(&w.b));
		buf_release(&w.b);
		buf_reset(&jl->line);
	}
}

/* A renderer to stdout (jl: as JSON lines); colour on a terminal without NO_COLOR. */
static struct render *log_render(enum render_mode m, struct jsonl_out *jl, const char *cwd)
{
	const char *nc = getenv("NO_COLOR");
	struct render_opts o = { m, !jl && isatty(STDOUT_FILENO) && !(nc && *nc), false, 0, cwd };

	return render_new(&o, to_stdout, jl);
}

/* The format the runner's spec beside the log (NAME.json) names: 0, or -1 when none. */
static int spec_mode(const char *path, enum render_mode *m)
{
	char *spec = xstrfmt("%.*s.json", (int)(strlen(path) - 4), path);
	char *fmt = runner_spec_render(spec);
	int ret = render_mode_parse(fmt, m);

	free(fmt);
	free(spec);
	return ret;
}

/*
 * The format guessed from the log's start (head, then rendered and
 * released): once an event says it, or 50 lines or 256 KiB say none, or
 * (force) the log will not grow.
 */
static struct render *guess_render(struct buf *head, bool force, struct jsonl_out *jl,
				   const char *cwd)
{
	enum render_mode m = render_detect(buf_str(head), head->len);
	size_t lines = 0;
	struct render *rd;

	for (const char *p = buf_str(head); (p = strchr(p, '\n')); p++)
		lines++;
	if (m == RENDER_TEXT && !force && lines < 50 && head->len < 256 * 1024)
		return NULL;
	rd = log_render(m, jl, cwd);
	render_feed(rd, buf_str(head), head->len);
	buf_release(head);
	return rd;
}

/*
 * Prints the log at path: the bytes (raw), or in words (as JSON lines with
 * jl). follow: until the session's exit record exists and everything
 * before it is printed.
 */
static void print_log(const char *path, bool raw, bool follow, struct jsonl_out *jl)
{
	char *exitp = xstrfmt("%.*s.exit", (int)(strlen(path) - 4), path);
	struct render *rd = NULL;
	struct buf head = BUF_INIT;
	enum render_mode m;
	off_t off = 0;
	/* the spec beside the log names the agent's directory: paths under it relative */
	char *spec = xstrfmt("%.*s.json", (int)(strlen(path) - 4), path);
	char *cwd = runner_spec_cwd(spec);

	if (!raw && spec_mode(path, &m) == 0)
		rd = log_render(m, jl, cwd);
	for (;;) {
		char chunk[65536];
		size_t n;
		struct stat stt;
		bool ended = access(exitp, F_OK) == 0;
		FILE *f = fopen(path, "re");

		if (f) {
			fseeko(f, off, SEEK_SET);
			while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
				off += (off_t)n;
				if (raw) {
					fwrite(chunk, 1, n, stdout);
				} else if (rd) {
					render_feed(rd, chunk, n);
				} else {
					buf_add(&head, chunk, n);
					rd = guess_render(&head, false, jl, cwd);
				}
			}
			fclose(f);
		}
		if (!raw && !rd && (ended || !follow))
			rd = guess_render(&head, true, jl, cwd);
		fflush(stdout);
		if (!follow || (ended && stat(path, &stt) == 0 && stt.st_size == off))
			break;
		nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
	}
	if (rd) {
		render_finish(rd);
		render_free(rd);
	}
	fflush(stdout);
	buf_release(&head);
	free(exitp);
	free(spec);
	free(cwd);
}

int cmd_log_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("log");
	struct cmd_opt opts[] = { { "step", 1, NULL, 0 }, { "follow", 0, NULL, 0 },
				  { "run", 1, NULL, 0 },  { "raw", 0, NULL, 0 },
				  { "json", 0, NULL, 0 }, { "jsonl", 0, NULL, 0 } };
	struct jsonl_out jl = { NULL, NULL, 0, BUF_INIT };
	struct jsonw w = { BUF_INIT, 0, { 0 }, { 0 } };
	struct attempts a = { 0 };
	char **pos, *story, *cause = NULL;
	struct view v;
	int npos, ret;

	ret = cmd_parse(c, argc, argv, opts, ARRAY_SIZE(opts), &pos, &npos);
	if (ret)
		return ret;
	if (npos != 1) {
		free(pos);
		return cmd_usage_error(c, "expected one story");
	}
	if (opts[4].seen && (opts[1].seen || opts[3].seen || opts[5].seen)) {
		free(pos);
		return cmd_usage_error(
			c, "--json lists the attempts: no --follow, --raw or --jsonl with it");
	}
	if (opts[5].seen && opts[3].seen) {
		free(pos);
		return cmd_usage_error(c, "--jsonl is the log in words: no --raw with it");
	}
	if ((ret = view_open(&v, opts[2].value)) != 0 || !v.have_run) {
		free(pos);
		if (!ret)
			fprintf(stderr, "%s: no runs yet\n", progname);
		view_close(&v);
		return ret ? ret : EXIT_NEGATIVE;
	}
	story = view_find_story(&v, pos[0]);
	if (!story) {
		fprintf(stderr, "%s: no story %s in this run\n", progname, pos[0]);
		ret = EXIT_NEGATIVE;
		goto out;
	}
	a = (struct attempts){ story, opts[0].value, opts[4].seen ? &w : NULL, NULL, NULL, 0 };
	jsonw_arr(&w, NULL);
	if (store_sessions_foreach(v.st, v.run.id, add_attempt, &a, &cause) < 0) {
		fprintf(stderr, "%s: %s\n", progname, cause);
		free(cause);
		ret = EXIT_SOFTWARE;
	} else if (opts[4].seen) {
		jsonw_end(&w);
		buf_addc(&w.b, '\n');
		fwrite(w.b.s, 1, w.b.len, stdout);
	} else if (!a.last_log) {
		fprintf(stderr, "%s: no session log for story %s%s%s\n", progname, story,
			opts[0].seen ? " step " : "", opts[0].seen ? opts[0].value : "");
		ret = EXIT_NEGATIVE;
	} else {
		jl = (struct jsonl_out){ story, a.last_step, a.last_attempt, BUF_INIT };
		print_log(a.last_log, opts[3].seen, opts[1].seen, opts[5].seen ? &jl : NULL);
		if (jl.line.len)
			to_stdout("\n", 1, &jl); /* a last line without its newline */
	}
out:
	buf_release(&w.b);
	buf_release(&jl.line);
	free(a.last_log);
	free(a.last_step);
	free(story);
	free(pos);
	view_close(&v);
	return ret;
}
