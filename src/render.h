/* SPDX-License-Identifier: MIT */
/*
 * render.h: an agent's output in words, for people: the session pane and
 * `automator log`. Streaming and line-based: bytes go in as they come
 * (a chunk may end inside a line, an escape sequence or a UTF-8
 * character) and finished lines come out through a callback.
 *
 * Modes:
 *   RENDER_TEXT    the output as a log shows it: a carriage return or a
 *                  backspace redraws the line (what is left is the line's
 *                  final state, as a terminal would show it), erase-in-line
 *                  and column moves act on it; every other escape sequence
 *                  (colour, cursor up or down, screen modes, titles, the
 *                  runner's end marker) and control character is dropped,
 *                  and a line that held nothing but those is left out.
 *   RENDER_CLAUDE  claude-stream-json: each line goes through RENDER_TEXT's
 *   RENDER_CODEX   codex-json         terminal handling, then a JSON event
 *                  is told in a line or a few (render_claude.c and
 *                  render_codex.c list what is shown); a line that is not
 *                  a JSON object is shown as it is, empty lines are left
 *                  out, and events of a type not listed there (or that
 *                  carry nothing to show) are skipped without a word: the
 *                  raw log has them (`automator log --raw`).
 *
 * Memory: a line is held up to line_max bytes. A longer line is passed on
 * in pieces of line_max bytes in text (never inside a UTF-8 character); a
 * longer JSON event cannot be read, and is told by one line saying so.
 * Nothing is ever refused: malformed JSON and invalid UTF-8 are shown as
 * they are (the text mode) or skipped (a malformed member of an event).
 * Must not: read files, write anywhere but the callback, keep anything
 * between lines but the few tool calls still waiting for their result.
 */
#ifndef AU_RENDER_H
#define AU_RENDER_H

#include <stdbool.h>
#include <stddef.h>

enum render_mode { RENDER_TEXT, RENDER_CLAUDE, RENDER_CODEX };

/* The longest line held by default: 4 MiB. */
#define RENDER_LINE_MAX (4u << 20)

/* Gets each finished output line, its line end included (s is not NUL-terminated). */
typedef void (*render_out_fn)(const char *s, size_t n, void *arg);

struct render_opts {
	enum render_mode mode;
	bool color;      /* a little ANSI colour: tool calls cyan, errors red, the result bold */
	bool crlf;       /* end lines with "\r\n" (a raw terminal), not "\n" */
	size_t line_max; /* 0: RENDER_LINE_MAX */
	/*
	 * The agent's directory (copied): paths under it are told relative.
	 * NULL: Claude's init event names it; Codex's stream never does.
	 */
	const char *cwd;
};

struct render;

/* A renderer writing to out(…, arg); render_free() it. */
struct render *render_new(const struct render_opts *o, render_out_fn out, void *arg);
/* Takes the next n bytes of output. */
void render_feed(struct render *r, const char *s, size_t n);
/* The output ended: an unfinished last line is rendered as if it had ended. */
void render_finish(struct render *r);
/* render_free(NULL) is a no-op. */
void render_free(struct render *r);

/*
 * The mode of an agent preset's output name ("text", "claude-stream-json",
 * "codex-json"). Returns 0, or -1 (*out untouched) for any other name.
 */
int render_mode_parse(const char *name, enum render_mode *out);
const char *render_mode_name(enum render_mode m);

/*
 * Guesses the mode from the start of a log (s[0..n), any length): the
 * first line that is a JSON object with a "type" names it (Claude's
 * "system", "assistant", "user", "result", "rate_limit_event",
 * "stream_event"; Codex's "thread.*", "turn.*", "item.*", "error");
 * RENDER_TEXT when none of the first 50 lines is one.
 */
enum render_mode render_detect(const char *s, size_t n);

#endif
