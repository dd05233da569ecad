/* SPDX-License-Identifier: MIT */
/*
 * render_int.h: the renderer's insides, shared by render.c (bytes to
 * lines, the text mode), render_say.c (the output) and the event
 * renderers render_claude.c and render_codex.c. Not for other modules:
 * they use render.h.
 */
#ifndef AU_RENDER_INT_H
#define AU_RENDER_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ansi.h"
#include "render.h"
#include "util.h"

/* Longest one-line excerpt of a command, path or error (bytes, before "…"). */
#define RENDER_EXCERPT 200
/* Tool calls remembered while they wait for their result (the oldest goes first). */
#define RENDER_CALLS 64
/* Items of a to-do list shown. */
#define RENDER_TODOS 12

/* How an output line looks with colour on. */
enum render_style { RS_PLAIN, RS_TOOL, RS_ERROR, RS_RESULT };

/* A tool call (Claude tool_use, Codex item) seen, its result not yet. */
struct render_call {
	char *id;    /* NULL: a free slot */
	char *name;  /* the tool's name ("Bash"), or the Codex item's type */
	bool denied; /* its denial was told already */
};

struct render {
	struct render_opts o;
	render_out_fn out;
	void *arg;

	/* the line being assembled, as a terminal would show it */
	struct buf line;
	size_t cur;       /* the cursor: a byte offset in line, at most line.len */
	bool escaped;     /* the line had an escape sequence or a control character */
	bool overlong;    /* a JSON line passed line_max: the rest of it is counted, not kept */
	size_t dropped;   /* the bytes of that line */
	struct ansi ansi; /* the escape sequence under way */

	struct render_call calls[RENDER_CALLS];
	size_t next_call; /* the slot the next call takes */
	char *cwd;        /* the agent's directory (Claude's init): paths under it told relative */
	char *last_error; /* the last error told (one line): not told twice */
	struct buf scratch; /* an output line being made */
};

/* Writes s[0..n) as it is as one output line, in style st, with its line end. */
void render__emit(struct render *r, enum render_style st, const char *s, size_t n);
/* Whether s[0..n) holds nothing but spaces, tabs and carriage returns. */
bool render__blank(const char *s, size_t n);
/* One output line of fmt: controls and escape sequences out, newlines as spaces. */
void render__say(struct render *r, enum render_style st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Each line of text as an output line (prefix before the first one),
 * trailing empty lines left out; nothing for NULL or empty text.
 */
void render__lines(struct render *r, enum render_style st, const char *prefix, const char *text);
/* An error's text as render__lines() in RS_ERROR, its first line kept. */
void render__error(struct render *r, const char *prefix, const char *text);
/*
 * Whether text's first line is the last error told, with nothing told
 * since (a result repeats the message just before it).
 */
bool render__repeats(struct render *r, const char *text);
/*
 * The first non-blank line of s trimmed, at most RENDER_EXCERPT bytes
 * (never inside a UTF-8 character) then "…"; newly allocated, "" for NULL.
 */
char *render__oneline(const char *s);
/*
 * The first line of s after skip_lines lines that says "error" (any case),
 * or else the first non-blank one, as render__oneline(); "" when none.
 */
char *render__error_line(const char *s, size_t skip_lines);
/* A line parsed as a JSON object (json_decref it), or NULL: not one. */
json_t *render__event(const char *s, size_t n);
/* A path as the agent's directory (r->cwd) sees it: src/app.ts, not /home/x/p/src/app.ts. */
const char *render__path(const struct render *r, const char *p);
/* Lines of s: its newlines, plus one for an unfinished last line. */
size_t render__count_lines(const char *s);

/* Remembers a tool call (id and name copied; NULL id: nothing). */
void render__call_add(struct render *r, const char *id, const char *name);
/* The call with that id, or NULL. */
struct render_call *render__call_find(struct render *r, const char *id);
/* Forgets a call (its result came). */
void render__call_drop(struct render_call *c);

/*
 * One line of output in an event format, without its line end: told
 * and true when it is a JSON object (an event, shown or skipped), false
 * when it is not (the caller shows it as text).
 */
bool render__claude_line(struct render *r, const char *s, size_t n);
bool render__codex_line(struct render *r, const char *s, size_t n);

#endif
