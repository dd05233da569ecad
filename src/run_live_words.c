/* SPDX-License-Identifier: MIT */
/*
 * run_live_words.c: what an active story's agent is doing, in words, for
 * its line of the live block: the last line of its session log as
 * `automator log` shows it. The log's tail (up to the runner's end
 * marker) goes through the renderer of the agent preset's output
 * (render.h): Claude's and Codex's JSON events told in words, a text
 * agent's escape sequences and carriage-return redraws resolved, and an
 * AUTOMATOR_RESULT line said as "finished: SUMMARY". A log is read again
 * only when it grew, and never more than its last LIVE_TAIL bytes.
 *
 * Must not: write anywhere, or keep more than the one line per story.
 */
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "render.h"
#include "run_int.h"
#include "util.h"

#define LIVE_TAIL (64 << 10) /* the bytes of a session log read for its last line */

struct last_line {
	struct buf line;
};

static void keep_last(const char *s, size_t n, void *arg)
{
	struct last_line *l = arg;
	size_t a = 0;

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		n--;
	while (a < n && (s[a] == ' ' || s[a] == '\t'))
		a++;
	if (a == n)
		return;
	buf_reset(&l->line);
	buf_add(&l->line, s + a, n - a);
}

/* "AUTOMATOR_RESULT {json}" in words: "finished: SUMMARY", "gave up: SUMMARY". */
static char *result_words(const char *line)
{
	json_t *o = json_loads(line + strlen("AUTOMATOR_RESULT"), JSON_DISABLE_EOF_CHECK, NULL);
	const char *st = o ? json_string_value(json_object_get(o, "status")) : NULL;
	const char *sum = o ? json_string_value(json_object_get(o, "summary")) : NULL;
	char *w;

	if (!st)
		w = xstrdup("reported its result");
	else
		w = xstrfmt("%s%s%s", !strcmp(st, "done") ? "finished" : "gave up",
			    sum && *sum ? ": " : "", sum && *sum ? sum : "");
	json_decref(o);
	return w;
}

const char *run__agent_doing(struct run *r, const struct rstory *s)
{
	struct run_doing *d;
	const struct session *ss = s->sess;
	const struct agent *a;
	struct render_opts ro = { 0 };
	struct last_line l = { BUF_INIT };
	struct render *rd;
	struct stat st;
	char *tail, *start, *end;
	long long off;
	ssize_t got;
	int fd;

	if (!ss || !ss->log_path)
		return NULL;
	if (!r->out.doing)
		r->out.doing = xcalloc(r->n, sizeof(*r->out.doing));
	d = &r->out.doing[s - r->s];
	if (!d->log || strcmp(d->log, ss->log_path)) {
		free(d->log);
		free(d->text);
		d->log = xstrdup(ss->log_path);
		d->text = NULL;
		d->size = -1;
	}
	if (stat(ss->log_path, &st) < 0 || st.st_size == d->size)
		return d->text;
	fd = open(ss->log_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return d->text;
	off = st.st_size > LIVE_TAIL ? st.st_size - LIVE_TAIL : 0;
	tail = xcalloc(1, LIVE_TAIL + 1);
	got = pread(fd, tail, LIVE_TAIL, off);
	close(fd);
	if (got < 0)
		got = 0;
	d->size = off + got;
	start = tail;
	end = tail + got;
	/* the runner's own lines come after its end marker */
	{
		const char *mk = ss->marker ? ss->marker : MARKER_PREFIX;
		const char *m = memmem(tail, (size_t)got, mk, strlen(mk));

		if (m)
			end = (char *)m;
	}
	if (off > 0) {
		char *nl = memchr(start, '\n', (size_t)(end - start));

		start = nl ? nl + 1 : end;
	}
	a = agents_find(r->sp->agents, s->agent);
	if (!a || !a->output || render_mode_parse(a->output, &ro.mode) < 0)
		ro.mode = render_detect(start, (size_t)(end - start));
	ro.line_max = LIVE_TAIL;
	ro.cwd = run__story_root(r, s);
	rd = render_new(&ro, keep_last, &l);
	render_feed(rd, start, (size_t)(end - start));
	render_finish(rd);
	render_free(rd);
	free(tail);
	if (l.line.len) {
		free(d->text);
		if (!strncmp(buf_str(&l.line), "AUTOMATOR_RESULT", strlen("AUTOMATOR_RESULT")))
			d->text = result_words(buf_str(&l.line));
		else
			d->text = buf_detach(&l.line);
	}
	buf_release(&l.line);
	return d->text;
}
