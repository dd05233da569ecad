/* SPDX-License-Identifier: MIT */
/*
 * render.c: the renderer's core (render.h): bytes to lines as a terminal
 * would leave them (carriage returns, backspaces, erase-in-line and column
 * moves resolved; other escape sequences and controls dropped), the text
 * mode, the dispatch of event lines (render_claude.c, render_codex.c) and
 * the guess of a log's format. Output goes through render_say.c. Must not
 * read files or write anywhere but its callback.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "render.h"
#include "render_int.h"
#include "util.h"

/* clang-format off */
static const struct {
	enum render_mode mode;	const char *name;
} mode_names[] = {
	{ RENDER_TEXT,		"text" },
	{ RENDER_CLAUDE,	"claude-stream-json" },
	{ RENDER_CODEX,		"codex-json" },
};
/* clang-format on */

int render_mode_parse(const char *name, enum render_mode *out)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(mode_names); i++) {
		if (!strcmp(name, mode_names[i].name)) {
			*out = mode_names[i].mode;
			return 0;
		}
	}
	return -1;
}

const char *render_mode_name(enum render_mode m)
{
	for (size_t i = 0; i < ARRAY_SIZE(mode_names); i++)
		if (mode_names[i].mode == m)
			return mode_names[i].name;
	return "text";
}

struct render *render_new(const struct render_opts *o, render_out_fn out, void *arg)
{
	struct render *r = xcalloc(1, sizeof(*r));

	r->o = *o;
	r->o.cwd = NULL;
	r->cwd = o->cwd ? xstrdup(o->cwd) : NULL;
	if (!r->o.line_max)
		r->o.line_max = RENDER_LINE_MAX;
	if (r->o.line_max < 8)
		r->o.line_max = 8; /* room for a UTF-8 character and what it carries */
	r->out = out;
	r->arg = arg;
	return r;
}

void render_free(struct render *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < RENDER_CALLS; i++)
		render__call_drop(&r->calls[i]);
	buf_release(&r->line);
	buf_release(&r->scratch);
	free(r->cwd);
	free(r->last_error);
	free(r);
}

/* ---- bytes to lines ---- */

/* A finished line: shown as text, or as an event in the JSON modes. */
static void deliver(struct render *r, const char *s, size_t n, bool piece)
{
	if (r->o.mode == RENDER_TEXT || piece) {
		render__emit(r, RS_PLAIN, s, n);
		return;
	}
	if (render__blank(s, n))
		return;
	if (r->o.mode == RENDER_CLAUDE && render__claude_line(r, s, n))
		return;
	if (r->o.mode == RENDER_CODEX && render__codex_line(r, s, n))
		return;
	render__emit(r, RS_PLAIN, s, n);
}

static void line_reset(struct render *r)
{
	buf_reset(&r->line);
	r->cur = 0;
	r->escaped = false;
	r->overlong = false;
	r->dropped = 0;
}

static void line_end(struct render *r)
{
	if (r->overlong)
		render__say(r, RS_ERROR,
			    "[a line of %zu bytes, longer than the %zu a line may hold: "
			    "not shown]",
			    r->dropped, r->o.line_max);
	else if (r->line.len || !r->escaped)
		deliver(r, buf_str(&r->line), r->line.len, false);
	line_reset(r);
}

/* Whether the line being assembled (or, when empty, s) starts a JSON object. */
static bool json_line(struct render *r, const char *s, size_t n)
{
	const char *p = r->line.len ? r->line.s : s;
	size_t k = r->line.len ? r->line.len : n;

	if (r->o.mode == RENDER_TEXT)
		return false;
	while (k && (*p == ' ' || *p == '\t'))
		p++, k--;
	return k && *p == '{';
}

/* Passes on a full line as a piece, keeping an unfinished UTF-8 character. */
static void line_split(struct render *r)
{
	size_t keep = 0;
	char carry[4];

	for (size_t i = 1; i <= 3 && i <= r->line.len; i++) {
		unsigned char c = (unsigned char)r->line.s[r->line.len - i];

		if ((c & 0xc0) == 0x80)
			continue;
		if (c >= 0xc0 && (c < 0xe0 ? 2u : c < 0xf0 ? 3u : 4u) > i)
			keep = i;
		break;
	}
	memcpy(carry, r->line.s + r->line.len - keep, keep);
	deliver(r, r->line.s, r->line.len - keep, true);
	buf_reset(&r->line);
	buf_add(&r->line, carry, keep);
	r->cur = keep;
}

/* Appends at the end of the line (the cursor is there), line_max considered. */
static void append(struct render *r, const char *s, size_t n)
{
	while (n) {
		size_t room;

		if (r->overlong) {
			r->dropped += n;
			return;
		}
		room = r->o.line_max - r->line.len;
		if (n <= room) {
			buf_add(&r->line, s, n);
			r->cur = r->line.len;
			return;
		}
		if (json_line(r, s, n)) {
			/* an event that cannot be held is told, not shown in pieces */
			r->overlong = true;
			r->dropped = r->line.len + n;
			buf_release(&r->line);
			r->cur = 0;
			return;
		}
		buf_add(&r->line, s, room);
		s += room;
		n -= room;
		line_split(r);
	}
}

/* Bytes of the character at line offset i (a lone byte that is not one: 1). */
static size_t cell_len(const struct render *r, size_t i)
{
	size_t k = 1;

	while (i + k < r->line.len && k < 4 && ((unsigned char)r->line.s[i + k] & 0xc0) == 0x80)
		k++;
	return k;
}

/* One printable byte at the cursor: appended, or over the character there. */
static void put(struct render *r, unsigned char c)
{
	char ch = (char)c;

	if (r->cur >= r->line.len) {
		append(r, &ch, 1);
		return;
	}
	if ((c & 0xc0) == 0x80) {
		/* the rest of a character being written over one: inserted */
		if (r->line.len >= r->o.line_max)
			return;
		buf_addc(&r->line, '\0');
		memmove(r->line.s + r->cur + 1, r->line.s + r->cur, r->line.len - 1 - r->cur);
	} else {
		size_t k = cell_len(r, r->cur);

		memmove(r->line.s + r->cur + 1, r->line.s + r->cur + k, r->line.len - r->cur - k);
		r->line.len -= k - 1;
		r->line.s[r->line.len] = '\0';
	}
	r->line.s[r->cur++] = ch;
}

/* The number of characters before line offset i. */
static size_t cells_before(const struct render *r, size_t i)
{
	size_t n = 0;

	for (size_t k = 0; k < i && k < r->line.len; k++)
		n += ((unsigned char)r->line.s[k] & 0xc0) != 0x80;
	return n;
}

/* The cursor to character column col (0-based); spaces added past the end. */
static void move_to(struct render *r, size_t col)
{
	size_t i = 0, n = 0;

	while (i < r->line.len && n < col) {
		i += cell_len(r, i);
		n++;
	}
	r->cur = i;
	for (; n < col && !r->overlong && r->line.len < r->o.line_max; n++)
		append(r, " ", 1);
}

/* A CSI sequence's final byte: what acts on one line is done, the rest dropped. */
static void csi(struct render *r, unsigned char final)
{
	size_t arg = 0, col;
	bool given = false;

	for (size_t i = 0;
	     i < r->ansi.nparams && r->ansi.params[i] >= '0' && r->ansi.params[i] <= '9'; i++) {
		if (arg < 100000)
			arg = arg * 10 + (size_t)(r->ansi.params[i] - '0');
		given = true;
	}
	if (r->ansi.nparams && (r->ansi.params[0] < '0' || r->ansi.params[0] > ';'))
		return; /* a private sequence (ESC [ ? 25 h): a mode, not text */
	switch (final) {
	case 'K': /* erase in line */
		if (arg == 0) {
			r->line.len = r->cur;
			if (r->line.s)
				r->line.s[r->line.len] = '\0';
		} else if (arg == 1 && r->line.len) {
			/* from the start to the cursor, the character under it included */
			size_t at =
				r->cur < r->line.len ? r->cur + cell_len(r, r->cur) : r->line.len;
			size_t n = cells_before(r, at);
			struct buf b = BUF_INIT;

			for (size_t i = 0; i < n; i++)
				buf_addc(&b, ' ');
			buf_add(&b, r->line.s + at, r->line.len - at);
			r->cur = cells_before(r, r->cur);
			buf_release(&r->line);
			r->line = b;
		} else if (arg == 2) {
			buf_reset(&r->line);
			r->cur = 0;
		}
		break;
	case 'G': /* to column */
	case '`':
		move_to(r, given && arg ? arg - 1 : 0);
		break;
	case 'C': /* forward */
	case 'a':
		move_to(r, cells_before(r, r->cur) + (given && arg ? arg : 1));
		break;
	case 'D': /* back */
		col = cells_before(r, r->cur);
		arg = given && arg ? arg : 1;
		move_to(r, col > arg ? col - arg : 0);
		break;
	default:
		break; /* colour, cursor up and down, screen modes: not for a log */
	}
}

/* True when c belongs to an escape sequence (and was taken). */
static bool escape(struct render *r, unsigned char c)
{
	switch (ansi_byte(&r->ansi, c)) {
	case ANSI_TEXT:
		return false;
	case ANSI_FINAL:
		csi(r, c);
		return true;
	default:
		return true;
	}
}

static void byte(struct render *r, unsigned char c)
{
	if (escape(r, c))
		return;
	switch (c) {
	case '\n':
		line_end(r);
		break;
	case '\r':
		r->cur = 0;
		break;
	case '\b':
		while (r->cur > 0 && ((unsigned char)r->line.s[--r->cur] & 0xc0) == 0x80)
			;
		break;
	case '\t':
		put(r, c);
		break;
	case 0x1b:
		ansi_begin(&r->ansi);
		r->escaped = true;
		break;
	default:
		if (c < 0x20 || c == 0x7f)
			r->escaped = true; /* BEL, SI, ...: nothing to show */
		else
			put(r, c);
		break;
	}
}

void render_feed(struct render *r, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;

		/* the common case: printable bytes at the end of the line, taken as a run */
		if (r->ansi.state == ANSI_NONE && r->cur == r->line.len)
			while (j < n && (unsigned char)s[j] >= 0x20 && s[j] != 0x7f)
				j++;
		if (j > i) {
			append(r, s + i, j - i);
			i = j;
		} else {
			byte(r, (unsigned char)s[i++]);
		}
	}
}

void render_finish(struct render *r)
{
	r->ansi.state = ANSI_NONE;
	if (r->line.len || r->overlong)
		line_end(r);
	else
		line_reset(r);
}

/* ---- which format a log is in ---- */

/* The format an event's type names, RENDER_TEXT when it names none. */
static enum render_mode mode_of_type(const char *t)
{
	static const char *const claude[] = { "system", "assistant",        "user",
					      "result", "rate_limit_event", "stream_event" };

	if (!t)
		return RENDER_TEXT;
	for (size_t i = 0; i < ARRAY_SIZE(claude); i++)
		if (!strcmp(t, claude[i]))
			return RENDER_CLAUDE;
	if (str_starts_with(t, "thread.") || str_starts_with(t, "turn.") ||
	    str_starts_with(t, "item.") || !strcmp(t, "error"))
		return RENDER_CODEX;
	return RENDER_TEXT;
}

enum render_mode render_detect(const char *s, size_t n)
{
	for (int lines = 0; n && lines < 50; lines++) {
		const char *nl = memchr(s, '\n', n);
		size_t k = nl ? (size_t)(nl - s) : n;
		const char *p = s;
		size_t m = k;
		enum render_mode mode = RENDER_TEXT;

		while (m && (*p == ' ' || *p == '\t'))
			p++, m--;
		if (m && *p == '{') {
			json_error_t err;
			json_t *ev = json_loadb(p, m, 0, &err);

			if (ev) {
				mode = mode_of_type(json_string_value(json_object_get(ev, "type")));
				json_decref(ev);
			} else if (!nl && m > 9 && !memcmp(p, "{\"type\":\"", 9)) {
				/* a first event cut short: its type leads it */
				const char *q = memchr(p + 9, '"', m - 9);
				char *t = q ? xstrndup(p + 9, (size_t)(q - p - 9)) : NULL;

				mode = mode_of_type(t);
				free(t);
			}
		}
		if (mode != RENDER_TEXT)
			return mode;
		s += nl ? k + 1 : k;
		n -= nl ? k + 1 : k;
	}
	return RENDER_TEXT;
}
