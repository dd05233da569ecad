/* SPDX-License-Identifier: MIT */
/*
 * run_live.c: the terminal a run prints to, and the live block below its
 * lines: a header with the progress (done, running, waiting, decisions,
 * elapsed time, cost) and one line per active story (step, cycle and
 * attempt, elapsed time, what its agent is doing in words).
 *
 * The block never wraps: every line is measured in columns of the
 * terminal (its width read at each draw, SIGWINCH wakes the loop) and cut
 * to one column less than the width, never inside a UTF-8 character. It is
 * drawn again only when it changed: at once when a story moved on, else at
 * most every LIVE_EVERY_MS. It is taken off by moving the cursor up
 * exactly the lines it took (more when the terminal, narrowed since,
 * wrapped them). No block and no cursor movement unless stdout is a
 * terminal and TERM is not dumb.
 *
 * Must not: print anywhere but stdout, journal, or change a story.
 */
#include <langinfo.h>
#include <locale.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include "clock.h"
#include "config.h"
#include "fsm.h"
#include "run_int.h"
#include "util.h"

#define LIVE_EVERY_MS 250 /* the block is drawn at most this often */

void run__out_init(struct run *r)
{
	const char *term = getenv("TERM"), *nc = getenv("NO_COLOR");
	bool dumb = !term || !*term || !strcmp(term, "dumb");

	if (r->out.ready)
		return;
	r->out.ready = true;
	/*
	 * characters as the terminal has them (lines are measured in columns);
	 * only here: no other command pays for reading the locale at start-up
	 */
	setlocale(LC_CTYPE, "");
	r->out.began = clock_now_ms();
	r->tty = isatty(STDOUT_FILENO);
	r->out.live = r->tty && !dumb;
	if (r->opts.color == RUN_COLOR_ALWAYS)
		r->color = true;
	else if (r->opts.color == RUN_COLOR_NEVER)
		r->color = false;
	else
		r->color = r->tty && !dumb && !(nc && *nc); /* no-color.org: set and not empty */
	r->out.utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
}

void run__live_free(struct run *r)
{
	for (size_t i = 0; r->out.doing && i < r->n; i++) {
		free(r->out.doing[i].log);
		free(r->out.doing[i].text);
	}
	free(r->out.doing);
	r->out.doing = NULL;
	free(r->out.drawn);
	free(r->out.next);
	buf_release(&r->out.shown);
	r->out.drawn = r->out.next = NULL;
	r->out.ndrawn = r->out.drawn_cap = r->out.nnext = r->out.next_cap = 0;
	r->out.live = false;
}

/* ---- text in columns ---- */

/* One character at s (n bytes left): its bytes, its columns, and what shows it (NULL: itself). */
struct ch {
	size_t len;
	int cols;
	const char *as;
};

static struct ch next_char(const struct run *r, const char *s, size_t n)
{
	unsigned char c = (unsigned char)*s;
	size_t k;

	if (c < 0x80) {
		if (c == '\t')
			return (struct ch){ 1, 1, " " };
		if (c < 0x20 || c == 0x7f)
			return (struct ch){ 1, 0, "" };
		return (struct ch){ 1, 1, NULL };
	}
	if (r->out.utf8) {
		mbstate_t ps;
		wchar_t wc;
		int w;

		memset(&ps, 0, sizeof(ps));
		k = mbrtowc(&wc, s, n, &ps);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0)
			return (struct ch){ 1, 1, "?" };
		w = wcwidth(wc);
		if (w < 0)
			return (struct ch){ k, 0, "" }; /* not printable (a C1 control) */
		return (struct ch){ k, w, NULL };
	}
	/* not a UTF-8 terminal: a UTF-8 sequence shows as one '?' */
	for (k = 1; k < n && k < 4 && ((unsigned char)s[k] & 0xc0) == 0x80; k++)
		;
	return (struct ch){ k, 1, "?" };
}

void run__wrap(const struct run *r, struct buf *out, const char *s, int first, int indent)
{
	int width = (r->out.cols > 0 ? r->out.cols : 80) - 1, room = width - first;
	size_t n = strlen(s);

	if (indent > width / 2)
		indent = width / 2;
	for (size_t i = 0; i < n;) {
		size_t end = i, brk = 0;
		int used = 0;

		/* as many characters as fit; back to the last space when the line goes on */
		while (end < n) {
			struct ch c = next_char(r, s + end, n - end);

			if (used + c.cols > room && used > 0)
				break;
			if (s[end] == ' ')
				brk = end;
			used += c.cols;
			end += c.len;
		}
		if (end < n && brk > i)
			end = brk;
		for (size_t k = i; k < end;) {
			struct ch c = next_char(r, s + k, end - k);

			if (c.as)
				buf_adds(out, c.as);
			else
				buf_add(out, s + k, c.len);
			k += c.len;
		}
		buf_addc(out, '\n');
		i = end;
		while (i < n && s[i] == ' ')
			i++;
		if (i < n) {
			for (int k = 0; k < indent; k++)
				buf_addc(out, ' ');
			room = width - indent;
		}
	}
	if (n == 0)
		buf_addc(out, '\n');
}

int run__fit(const struct run *r, struct buf *out, const char *s, int max)
{
	const char *ell = r->out.utf8 ? "\u2026" : ".";
	size_t n = strlen(s);
	int total = 0, used = 0;

	if (max <= 0)
		return 0;
	for (size_t i = 0; i < n;) {
		struct ch c = next_char(r, s + i, n - i);

		total += c.cols;
		i += c.len;
	}
	for (size_t i = 0; i < n;) {
		struct ch c = next_char(r, s + i, n - i);

		/* cut: room is left for the ellipsis (one column) */
		if (total > max && used + c.cols > max - 1)
			break;
		if (c.as)
			buf_adds(out, c.as);
		else
			buf_add(out, s + i, c.len);
		used += c.cols;
		i += c.len;
	}
	if (total > max) {
		buf_adds(out, ell);
		used++;
	}
	return used;
}

char *run__duration(long long ms)
{
	long long s = ms / 1000;

	if (ms < 0)
		ms = s = 0;
	if (ms < 10000)
		return xstrfmt("%lld.%llds", ms / 1000, ms % 1000 / 100);
	if (s < 60)
		return xstrfmt("%llds", s);
	if (s < 3600)
		return xstrfmt("%lldm%02llds", s / 60, s % 60);
	return xstrfmt("%lldh%02lldm", s / 3600, s % 3600 / 60);
}

/* "0:07", "12:34", "1:02:03": an elapsed time on the live block. */
static void add_clock(struct buf *b, long long ms)
{
	long long s = ms > 0 ? ms / 1000 : 0;

	if (s >= 3600)
		buf_addf(b, "%lld:%02lld:%02lld", s / 3600, s % 3600 / 60, s % 60);
	else
		buf_addf(b, "%lld:%02lld", s / 60, s % 60);
}

/* ---- the block ---- */

const char *run__state_sgr(int state)
{
	switch (state) {
	case SS_DONE:
		return SGR_GREEN;
	case SS_AWAITING_DECISION:
	case SS_WAITING:
	case SS_SKIPPED:
		return SGR_YELLOW;
	case SS_BLOCKED:
	case SS_FAILED:
	case SS_ABORTED:
		return SGR_RED;
	default:
		return SGR_CYAN;
	}
}

/* Reads the terminal's size (80x24 when it cannot tell). */
static void read_size(struct run *r)
{
	struct winsize ws;

	r->out.cols = 80;
	r->out.rows = 24;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
		if (ws.ws_col > 0)
			r->out.cols = ws.ws_col;
		if (ws.ws_row > 0)
			r->out.rows = ws.ws_row;
	}
}

/* One line of the block into frame: text cut to the width, its columns noted. */
static void add_line(struct run *r, struct buf *frame, const char *sgr, const char *text)
{
	int max = r->out.cols - 1, cols;

	if (r->color && sgr)
		buf_adds(frame, sgr);
	cols = run__fit(r, frame, text, max);
	if (r->color && sgr)
		buf_adds(frame, SGR_RESET);
	buf_addc(frame, '\n');
	ALLOC_GROW(r->out.next, r->out.nnext + 1, r->out.next_cap);
	r->out.next[r->out.nnext++] = cols;
}

void run__counts(const struct run *r, struct run_counts *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < r->n; i++) {
		const struct rstory *s = &r->s[i];

		if (s->outside)
			continue;
		c->total++;
		c->done += s->state == SS_DONE;
		c->waiting += s->state == SS_WAITING;
		c->running += run__story_busy(s) && s->state != SS_WAITING;
		c->deciding += s->state == SS_AWAITING_DECISION || s->state == SS_BLOCKED;
		c->stopped += run__story_final(s) && s->state != SS_DONE;
		c->costs |= s->used.has_cost;
		c->cost += s->used.cost_usd;
	}
}

static bool shown(const struct rstory *s)
{
	return run__story_busy(s) || s->state == SS_AWAITING_DECISION || s->state == SS_BLOCKED;
}

/* "3/5 done · 2 running · 1 waiting · 1 needs a decision · 1 stopped · 4:12 · $0.4213" */
static void header(struct run *r, struct buf *b)
{
	const char *sep = r->out.utf8 ? " \u00b7 " : " | ";
	struct run_counts c;

	run__counts(r, &c);
	buf_addf(b, "%d/%d done%s%d running", c.done, c.total, sep, c.running);
	if (c.waiting)
		buf_addf(b, "%s%d waiting", sep, c.waiting);
	if (c.deciding)
		buf_addf(b, "%s%d need%s a decision", sep, c.deciding, c.deciding == 1 ? "s" : "");
	if (c.stopped)
		buf_addf(b, "%s%d stopped", sep, c.stopped);
	buf_adds(b, sep);
	add_clock(b, clock_now_ms() - r->out.began);
	if (c.costs)
		buf_addf(b, "%s$%.4f", sep, c.cost);
}

/* The story's session is its current step's (not the one of the step before, ended). */
static bool mine(const struct rstory *s)
{
	return s->sess && (s->state == SS_SPAWN || s->state == SS_REVIEW) &&
	       s->sess->started_ms >= s->step_began_ms;
}

/* What the story is at, in words: its agent's last line, or its state's. */
static char *story_words(struct run *r, const struct rstory *s)
{
	const char *doing;

	switch (s->state) {
	case SS_WAITING:
		return run__wait_text(s);
	case SS_AWAITING_DECISION:
	case SS_BLOCKED:
		if (s->esc_id && s->esc)
			return xstrfmt("needs a decision: escalation %lld, %s",
				       (long long)s->esc_id,
				       s->esc->title ? s->esc->title : s->esc->key);
		return xstrfmt("needs a decision%s%s", s->note ? ": " : "", s->note ? s->note : "");
	case SS_COMMIT:
		return xstrdup("committing");
	case SS_VERIFY:
		return xstrdup("verifying");
	case SS_INTEGRATE:
		return xstrfmt("integrating into %s", r->target ? r->target : "the target");
	default:
		doing = mine(s) ? run__agent_doing(r, s) : NULL;
		return xstrdup(doing ? doing : mine(s) ? "starting" : "");
	}
}

/* The story's line: "  1.2    review c2 a2   0:41  Edit src/app.ts (+12 -3)" */
static void story_line(struct run *r, struct buf *frame, const struct rstory *s, int idw)
{
	const struct step *st = run__cur_step(r, s);
	long long now = clock_now_ms(), since;
	struct buf b = BUF_INIT, step = BUF_INIT;
	int max = r->out.cols - 1, cols;
	char *words;

	if (st && st->kind == STEP_REVIEW)
		buf_addf(&step, "%s c%d a%d", st->name, s->cycle, s->attempt);
	else if (st)
		buf_addf(&step, "%s a%d", st->name, s->attempt);
	since = mine(s) ? s->sess->started_ms : s->step_began_ms;
	buf_addf(&b, "%-*s ", idw, s->cfg->id);
	/* the id in the state's colour, the rest plain */
	buf_adds(frame, "  ");
	if (r->color)
		buf_adds(frame, run__state_sgr(s->state));
	cols = 2 + run__fit(r, frame, buf_str(&b), max - 2);
	if (r->color)
		buf_adds(frame, SGR_RESET);
	buf_reset(&b);
	buf_addf(&b, "%-14s ", buf_str(&step));
	if (since) {
		struct buf c = BUF_INIT;

		add_clock(&c, now - since);
		buf_addf(&b, "%6s  ", buf_str(&c));
		buf_release(&c);
	} else {
		buf_adds(&b, "        ");
	}
	words = story_words(r, s);
	buf_adds(&b, words);
	free(words);
	cols += run__fit(r, frame, buf_str(&b), max - cols);
	buf_addc(frame, '\n');
	ALLOC_GROW(r->out.next, r->out.nnext + 1, r->out.next_cap);
	r->out.next[r->out.nnext++] = cols;
	buf_release(&b);
	buf_release(&step);
}

/* The block, and the columns of its lines in out.next (nnext of them). */
static void frame_build(struct run *r, struct buf *frame)
{
	struct buf b = BUF_INIT;
	size_t active = 0, room, k = 0;
	int idw = 4;

	read_size(r);
	r->out.nnext = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (!shown(&r->s[i]))
			continue;
		active++;
		if ((int)strlen(r->s[i].cfg->id) > idw)
			idw = (int)strlen(r->s[i].cfg->id);
	}
	if (idw > 12)
		idw = 12;
	header(r, &b);
	add_line(r, frame, SGR_BOLD, buf_str(&b));
	/* the block never fills the screen: it would scroll into the history */
	room = r->out.rows > 3 ? (size_t)r->out.rows - 3 : 1;
	for (size_t i = 0; i < r->n; i++) {
		if (!shown(&r->s[i]))
			continue;
		if (active > room && k == room - 1) {
			buf_reset(&b);
			buf_addf(&b, "  %s and %zu more", r->out.utf8 ? "\u2026" : "...",
				 active - k);
			add_line(r, frame, NULL, buf_str(&b));
			break;
		}
		story_line(r, frame, &r->s[i], idw);
		k++;
	}
	buf_release(&b);
}

static unsigned long long fnv(unsigned long long h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 1099511628211ULL;
	return h;
}

static unsigned long long frame_hash(const struct buf *frame, int cols)
{
	return fnv(fnv(1469598103934665603ULL, frame->s, frame->len), &cols, sizeof(cols));
}

/* What the stories are at: a change is drawn at once, not after LIVE_EVERY_MS. */
static unsigned long long shape_hash(const struct run *r)
{
	unsigned long long h = 1469598103934665603ULL;

	for (size_t i = 0; i < r->n; i++) {
		const struct rstory *s = &r->s[i];
		int v[4] = { s->state, s->step_index, s->attempt, s->cycle };

		h = fnv(h, v, sizeof(v));
	}
	return h;
}

void run__live_clear(struct run *r)
{
	run__out_init(r);
	if (r->out.live && r->out.ndrawn) {
		int rows = 0, cols;

		/* a line the terminal wrapped when it narrowed takes more rows now */
		read_size(r);
		cols = r->out.cols;
		for (size_t i = 0; i < r->out.ndrawn; i++)
			rows += r->out.drawn[i] <= cols ? 1 : (r->out.drawn[i] + cols - 1) / cols;
		printf("\r\033[%dA\033[J", rows);
		r->out.ndrawn = 0;
		r->out.hash = 0;
		buf_reset(&r->out.shown);
	}
	/* before anything goes to stderr, or the clear lands after it */
	fflush(stdout);
}

/* Draws the frame built (the block is off the screen): its line columns become out.drawn. */
/* The frame built is on screen now: its line columns become out.drawn. */
static void drawn_now(struct run *r)
{
	int *v = r->out.drawn;
	size_t cap = r->out.drawn_cap;

	r->out.drawn = r->out.next;
	r->out.ndrawn = r->out.nnext;
	r->out.drawn_cap = r->out.next_cap;
	r->out.next = v;
	r->out.nnext = 0;
	r->out.next_cap = cap;
	r->out.at = clock_now_ms();
	r->out.shape = shape_hash(r);
}

static void draw(struct run *r, const struct buf *frame)
{
	drawn_now(r);
	/* too narrow for anything: no block */
	if (r->out.cols < 8) {
		r->out.ndrawn = 0;
		return;
	}
	fwrite(frame->s, 1, frame->len, stdout);
	r->out.hash = frame_hash(frame, r->out.cols);
	buf_reset(&r->out.shown);
	buf_add(&r->out.shown, frame->s, frame->len);
	r->out.shown_cols = r->out.cols;
}

/* The lines of a frame: each ends in '\n'. */
static size_t frame_lines(const struct buf *f)
{
	size_t n = 0;

	for (size_t i = 0; i < f->len; i++)
		n += f->s[i] == '\n';
	return n;
}

/*
 * Draws frame over the block on screen, rewriting only the lines that
 * changed: when both have as many lines, at the same width (no line wraps,
 * so a line is a row). False when it cannot: the caller clears and draws.
 */
static bool draw_changes(struct run *r, const struct buf *frame)
{
	const char *o = r->out.shown.s, *n = frame->s;
	size_t lines = frame_lines(frame);

	if (!r->out.ndrawn || lines != r->out.ndrawn || frame_lines(&r->out.shown) != lines ||
	    r->out.shown_cols != r->out.cols || r->out.cols < 8)
		return false;
	printf("\r\033[%zuA", lines);
	for (size_t k = 0; k < lines; k++) {
		const char *oe = strchr(o, '\n'), *ne = strchr(n, '\n');

		if (oe - o == ne - n && !memcmp(o, n, (size_t)(ne - n)))
			putchar('\n'); /* the same: stepped over */
		else
			printf("\033[2K%.*s\n", (int)(ne - n), n);
		o = oe + 1;
		n = ne + 1;
	}
	drawn_now(r);
	r->out.hash = frame_hash(frame, r->out.cols);
	buf_reset(&r->out.shown);
	buf_add(&r->out.shown, frame->s, frame->len);
	return true;
}

void run__live_draw(struct run *r)
{
	struct buf frame = BUF_INIT;

	run__out_init(r);
	if (!r->out.live || !r->s || r->prompting || r->want_reply)
		return;
	frame_build(r, &frame);
	draw(r, &frame);
	buf_release(&frame);
}

void run__live_refresh(struct run *r)
{
	long long now = clock_now_ms();
	struct buf frame = BUF_INIT;

	run__out_init(r);
	if (!r->out.live || !r->s || r->prompting || r->want_reply)
		return;
	if (!run__resized && now - r->out.at < LIVE_EVERY_MS && shape_hash(r) == r->out.shape)
		return;
	run__resized = 0;
	frame_build(r, &frame);
	if (r->out.ndrawn && frame_hash(&frame, r->out.cols) == r->out.hash) {
		r->out.at = now; /* nothing changed: what is on screen stays */
	} else if (!draw_changes(r, &frame)) {
		run__live_clear(r);
		draw(r, &frame);
	}
	buf_release(&frame);
	fflush(stdout);
}

long long run__live_due(const struct run *r)
{
	return r->out.live ? r->out.at + 1000 : LLONG_MAX;
}
