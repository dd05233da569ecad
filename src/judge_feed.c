/* SPDX-License-Identifier: MIT */
/*
 * judge_feed.c: bytes to lines for the judge: terminal escape sequences
 * taken out, a carriage return starting the line again, an overlong line
 * judged in pieces (never inside a UTF-8 sequence); each line goes to
 * judge__line_emit (judge.c). Plain text is copied a run at a time.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "judge_int.h"
#include "util.h"

/* Bytes at the end of s[0..n) that begin a UTF-8 sequence not yet complete. */
static size_t utf8_incomplete_tail(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 1; i <= 3 && i <= n; i++) {
		unsigned char c = u[n - i];
		size_t need;

		if ((c & 0xc0) == 0x80)
			continue;
		if (c < 0xc0)
			return 0;
		need = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		return need > i ? i : 0;
	}
	return 0;
}

/*
 * A one-line excerpt of s[0..n) for a reason: trimmed, control characters
 * as spaces, invalid UTF-8 as '?', at most EXCERPT_MAX bytes then "...".
 */

static void line_end(struct judge *j)
{
	judge__line_emit(j, j->len, false);
	j->len = 0;
	j->line[0] = '\0';
	j->pending_cr = false;
	j->split = false;
	j->opaque = false;
}

/* Judges a full buffer as a piece, keeping an unfinished UTF-8 sequence. */
static void line_split(struct judge *j)
{
	size_t keep = utf8_incomplete_tail(j->line, j->len);
	char carry[4];

	memcpy(carry, j->line + j->len - keep, keep);
	judge__line_emit(j, j->len - keep, true);
	memcpy(j->line, carry, keep);
	j->len = keep;
	j->line[j->len] = '\0';
}

static void line_put(struct judge *j, char c)
{
	if (j->pending_cr) {
		j->pending_cr = false;
		j->len = 0;
	}
	if (j->len == JUDGE_LINE_MAX)
		line_split(j);
	j->line[j->len++] = c;
	j->line[j->len] = '\0';
}

static bool plain_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* line_put for a run of plain bytes, copied in pieces (the line splits when full). */
static void line_put_run(struct judge *j, const char *p, size_t n)
{
	while (n) {
		size_t room;

		if (j->len == JUDGE_LINE_MAX)
			line_split(j);
		room = JUDGE_LINE_MAX - j->len;
		if (room > n)
			room = n;
		memcpy(j->line + j->len, p, room);
		j->len += room;
		p += room;
		n -= room;
	}
	j->line[j->len] = '\0';
}

void judge_feed(struct judge *j, const char *data, size_t len)
{
	if (j->finished)
		return;
	j->bytes += len;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];

		/* outside an escape sequence, plain text is copied a run at a time */
		if (j->ansi.state == ANSI_NONE && !j->pending_cr && plain_byte(c)) {
			size_t end = i + 1;

			while (end < len && plain_byte((unsigned char)data[end]))
				end++;
			line_put_run(j, data + i, end - i);
			i = end - 1;
			continue;
		}

		if (ansi_byte(&j->ansi, c) != ANSI_TEXT)
			continue;
		if (c == 0x1b)
			ansi_begin(&j->ansi);
		else if (c == '\n')
			line_end(j);
		else if (c == '\r')
			j->pending_cr = true;
		else if (c == '\t' || (c >= 0x20 && c != 0x7f))
			line_put(j, (char)c); /* other controls are dropped */
	}
}

void judge__flush(struct judge *j)
{
	if (j->finished)
		return;
	if (j->len || j->split)
		line_end(j);
	j->ansi.state = ANSI_NONE;
	j->pending_cr = false;
	j->finished = true;
}
