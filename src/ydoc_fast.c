/* SPDX-License-Identifier: MIT */
/*
 * ydoc_fast.c: the fast reader (ydoc_int.h). Reads the block-style subset
 * of YAML our files and BMAD's are written in straight into a ynode tree,
 * with the positions libyaml's events would give, several times faster
 * than building it from libyaml's tokens and events. Anything outside the
 * subset (tabs, CR, multi-line or escaped scalars, anchors, tags, block
 * scalars, documents markers, duplicate keys, any error) makes it give up
 * at once, and libyaml reads the text as before: the reader never reports
 * anything, so every message stays libyaml's and ydoc.c's.
 *
 * Positions, as libyaml makes them: a scalar starts at its first character
 * (the quote of a quoted one) and ends after its last non-blank one; a
 * block mapping starts at its first key, a block sequence at its first
 * '-'; both end where the next token after them starts (the first
 * character of the next line with content at a lower indentation, or the
 * end of the text); a flow collection spans its brackets; an empty value
 * sits just after its ':'. Columns count characters, not bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "ydoc_int.h"

#define FAST_DEPTH 60     /* below ydoc.c's 64: deeper nesting goes to libyaml */
#define FAST_KEY_MAX 1000 /* libyaml refuses simple keys of 1024 characters */

struct fast {
	struct yarena *a;
	const char *t;
	size_t len;
	size_t pos;        /* where the reader is */
	size_t line_start; /* where the line of pos starts */
	int line;          /* 1-based line of pos */
	bool ascii;        /* no byte >= 0x80: a column is a byte count */
	int depth;
	/*
	 * The children of the open collection at each depth: one array per
	 * kind, since a list and a mapping take turns at a depth and their
	 * capacities count elements of different sizes.
	 */
	struct {
		struct ynode **items;
		struct ypair *pairs;
		size_t icap, pcap;
	} scratch[FAST_DEPTH + 1];
	struct strmap keys[FAST_DEPTH + 1]; /* the keys of the open mapping there */
};

/*
 * Whether libyaml reads every character of text[base..len) as we do: no
 * tab, CR or other control character, no character it calls a line break
 * (U+0085, U+2028, U+2029), nothing it refuses. *ascii: no byte >= 0x80.
 */
static bool text_ok(const char *t, size_t len, size_t base, bool *ascii)
{
	*ascii = true;
	for (size_t i = base; i < len; i++) {
		unsigned char c = (unsigned char)t[i];
		uint32_t cp;
		size_t w;

		if ((c >= 0x20 && c < 0x7f) || c == '\n')
			continue;
		if (c < 0x80)
			return false;
		/* UTF-8 of two to four bytes: ydoc's check_text saw to it */
		*ascii = false;
		w = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		cp = c & (w == 2 ? 0x1f : w == 3 ? 0x0f : 0x07);
		if (i + w > len)
			return false;
		for (size_t k = 1; k < w; k++)
			cp = cp << 6 | ((unsigned char)t[i + k] & 0x3f);
		if (cp < 0xa0 || (w == 3 && cp < 0x800) || (w == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0x2028 ||
		    cp == 0x2029 || cp == 0xfeff || cp == 0xfffe || cp == 0xffff)
			return false;
		i += w - 1;
	}
	return true;
}

/* The 1-based column of off, on the line of f->pos. */
static int col_of(const struct fast *f, size_t off)
{
	int c = 1;

	if (f->ascii)
		return (int)(off - f->line_start) + 1;
	for (size_t i = f->line_start; i < off; i++)
		c += ((unsigned char)f->t[i] & 0xc0) != 0x80;
	return c;
}

static bool blank_at(const struct fast *f, size_t i)
{
	return i >= f->len || f->t[i] == ' ' || f->t[i] == '\n';
}

static size_t skip_spaces(const struct fast *f, size_t i)
{
	while (i < f->len && f->t[i] == ' ')
		i++;
	return i;
}

/*
 * From f->pos, where the rest of the line is blank or a comment, to the
 * first character of the next line with content (not blank, not a
 * comment), or to the end of the text.
 */
static void next_content(struct fast *f)
{
	const char *t = f->t;
	size_t i = f->pos;

	for (;;) {
		const char *nl = memchr(t + i, '\n', f->len - i);

		if (!nl) {
			f->pos = f->len;
			return;
		}
		i = (size_t)(nl - t) + 1;
		f->line++;
		f->line_start = i;
		i = skip_spaces(f, i);
		if (i == f->len || (t[i] != '\n' && t[i] != '#')) {
			f->pos = i;
			return;
		}
	}
}

/*
 * The end (after its last non-blank character) of a plain scalar starting
 * at i, or 0 when there is none the reader takes. In a block it stops
 * before ": ", " #" and the end of the line; in a flow before ",[]{}" and
 * ": ", and any other ':' or '#' is left to libyaml.
 */
static size_t plain_end(const struct fast *f, size_t i, bool flow)
{
	const char *t = f->t;
	size_t end;

	if (i >= f->len || strchr("-?:,[]{}#&*!|>'\"%@` \n", t[i]) ||
	    (i + 2 < f->len && !memcmp(t + i, "...", 3)))
		return 0;
	end = ++i;
	while (i < f->len) {
		char c = t[i];

		if (c == '\n')
			break;
		if (c == ' ') {
			i = skip_spaces(f, i);
			if (i == f->len || t[i] == '\n' || t[i] == '#')
				break;
			continue;
		}
		if (c == ':' && blank_at(f, i + 1))
			break;
		if (flow && (c == ',' || c == '[' || c == ']' || c == '{' || c == '}'))
			break;
		if (flow && (c == ':' || c == '#'))
			return 0;
		end = ++i;
	}
	return end;
}

/* A scalar node spanning [s, e) on the current line, content [cs, ce). */
static struct ynode *scalar(struct fast *f, size_t s, size_t e, size_t cs, size_t ce, bool quoted)
{
	struct ynode *n = ydoc__alloc(f->a, sizeof(*n));

	memset(n, 0, sizeof(*n));
	n->kind = YN_SCALAR;
	n->line = f->line;
	n->col = col_of(f, s);
	n->start = s;
	n->end = e;
	n->str = ydoc__alloc(f->a, ce - cs + 1);
	memcpy(n->str, f->t + cs, ce - cs);
	n->str[ce - cs] = '\0';
	n->len = ce - cs;
	n->quoted = quoted;
	return n;
}

/* A quoted scalar at i on one line, without escapes; *next: after it. */
static struct ynode *quoted(struct fast *f, size_t i, size_t *next)
{
	const char *t = f->t;
	char q = t[i];
	size_t j = i + 1;

	while (j < f->len && t[j] != q) {
		if (t[j] == '\n' || (q == '"' && t[j] == '\\'))
			return NULL;
		j++;
	}
	if (j == f->len || (q == '\'' && j + 1 < f->len && t[j + 1] == '\''))
		return NULL;
	*next = j + 1;
	return scalar(f, i, j + 1, i + 1, j, true);
}

/* A collection node starting at s on the current line; its depth opened. */
static struct ynode *open_coll(struct fast *f, enum ynode_kind kind, size_t s)
{
	struct ynode *n;

	if (f->depth >= FAST_DEPTH)
		return NULL;
	n = ydoc__alloc(f->a, sizeof(*n));
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->line = f->line;
	n->col = col_of(f, s);
	n->start = s;
	f->depth++;
	return n;
}

/* Adds child (a key when n is a mapping): false for a repeated key. */
static bool add_child(struct fast *f, struct ynode *n, struct ynode *child)
{
	size_t first;

	if (n->kind == YN_SEQ) {
		struct ynode **v = f->scratch[f->depth].items;

		ALLOC_GROW(v, n->n + 1, f->scratch[f->depth].icap);
		f->scratch[f->depth].items = v;
		v[n->n++] = child;
		n->items = v;
		return true;
	}
	struct ypair *p = f->scratch[f->depth].pairs;

	ALLOC_GROW(p, n->n + 1, f->scratch[f->depth].pcap);
	f->scratch[f->depth].pairs = p;
	p[n->n].key = child;
	p[n->n].val = NULL;
	n->n++;
	n->pairs = p;
	return !ydoc__key_seen(n, &f->keys[f->depth], &first);
}

/* Ends n at end: its children move from the scratch array to the arena. */
static struct ynode *close_coll(struct fast *f, struct ynode *n, size_t end)
{
	bool seq = n->kind == YN_SEQ;
	size_t size = seq ? sizeof(*n->items) : sizeof(*n->pairs);
	const void *from =
		seq ? (void *)f->scratch[f->depth].items : (void *)f->scratch[f->depth].pairs;
	void *v = NULL;

	if (n->n) {
		v = ydoc__alloc(f->a, n->n * size);
		memcpy(v, from, n->n * size);
	}
	if (seq)
		n->items = v;
	else
		n->pairs = v;
	n->end = end;
	if (f->keys[f->depth].slots) {
		strmap_release(&f->keys[f->depth]);
		f->keys[f->depth] = (struct strmap)STRMAP_INIT;
	}
	f->depth--;
	return n;
}

/* A flow scalar at *i, on one line: plain or quoted. */
static struct ynode *flow_scalar(struct fast *f, size_t *i)
{
	size_t s = *i, e;

	if (f->t[s] == '"' || f->t[s] == '\'')
		return quoted(f, s, i);
	if (!(e = plain_end(f, s, true)))
		return NULL;
	*i = e;
	return scalar(f, s, e, s, e, false);
}

/* A one-line flow list or mapping of scalars at *i ('[' or '{'). */
static struct ynode *flow_coll(struct fast *f, size_t *i)
{
	const char *t = f->t;
	bool map = t[*i] == '{';
	char close = map ? '}' : ']';
	struct ynode *n = open_coll(f, map ? YN_MAP : YN_SEQ, *i), *item;
	size_t j = skip_spaces(f, *i + 1);

	if (!n)
		return NULL;
	if (j < f->len && t[j] == close) {
		*i = j + 1;
		return close_coll(f, n, j + 1);
	}
	for (;;) {
		if (map) {
			/* key: a plain scalar followed by ": " */
			size_t ke = plain_end(f, j, true);

			if (!ke || ke - j > FAST_KEY_MAX || t[ke] != ':' || ke + 1 >= f->len ||
			    t[ke + 1] != ' ')
				return NULL;
			if (!add_child(f, n, scalar(f, j, ke, j, ke, false)))
				return NULL;
			j = skip_spaces(f, ke + 1);
		}
		if (j >= f->len || strchr(",]}\n", t[j]) || !(item = flow_scalar(f, &j)))
			return NULL;
		if (map)
			n->pairs[n->n - 1].val = item;
		else
			add_child(f, n, item);
		j = skip_spaces(f, j);
		if (j < f->len && t[j] == close) {
			*i = j + 1;
			return close_coll(f, n, j + 1);
		}
		if (j >= f->len || t[j] != ',')
			return NULL;
		j = skip_spaces(f, j + 1);
		if (j < f->len && t[j] == close)
			return NULL; /* a trailing comma: libyaml's */
	}
}

/*
 * A value at f->pos that ends its line: a scalar or a flow collection,
 * maybe followed by a comment. Moves to the next content, which must not
 * be indented deeper than indent (a continued plain scalar, or an error).
 */
static struct ynode *inline_value(struct fast *f, int indent)
{
	const char *t = f->t;
	size_t i = f->pos, e;
	struct ynode *n;

	if (t[i] == '"' || t[i] == '\'') {
		n = quoted(f, i, &i);
	} else if (t[i] == '[' || t[i] == '{') {
		n = flow_coll(f, &i);
	} else if ((e = plain_end(f, i, false))) {
		n = scalar(f, i, e, i, e, false);
		i = e;
	} else {
		return NULL;
	}
	if (!n)
		return NULL;
	e = i;
	i = skip_spaces(f, i);
	if (i < f->len && t[i] != '\n' && (t[i] != '#' || i == e))
		return NULL;
	f->pos = i;
	next_content(f);
	if (f->pos < f->len && col_of(f, f->pos) > indent)
		return NULL;
	return n;
}

static struct ynode *block_map(struct fast *f);

/* Whether a plain key and ": " (or ':' at the end of the line) start at i. */
static bool key_at(const struct fast *f, size_t i)
{
	size_t e = plain_end(f, i, false);

	if (!e)
		return false;
	e = skip_spaces(f, e);
	return e < f->len && f->t[e] == ':' && blank_at(f, e + 1);
}

/*
 * A block sequence whose first '-' is at f->pos; indentless: at the
 * column of the mapping whose value it is, and ended by its next key.
 */
static struct ynode *block_seq(struct fast *f, bool indentless)
{
	const char *t = f->t;
	int col = col_of(f, f->pos);
	struct ynode *n = open_coll(f, YN_SEQ, f->pos), *item;

	if (!n)
		return NULL;
	for (;;) {
		/* f->pos: "- " at col */
		size_t j = skip_spaces(f, f->pos + 1);

		if (j == f->pos + 1 || j >= f->len || strchr("\n#-", t[j]))
			return NULL;
		f->pos = j;
		item = key_at(f, j) ? block_map(f) : inline_value(f, col);
		if (!item)
			return NULL;
		add_child(f, n, item);
		if (f->pos == f->len || col_of(f, f->pos) < col)
			break;
		if (col_of(f, f->pos) > col)
			return NULL;
		if (t[f->pos] != '-' || !blank_at(f, f->pos + 1)) {
			if (indentless)
				break;
			return NULL;
		}
	}
	return close_coll(f, n, f->pos);
}

/* A block mapping whose first key is at f->pos. */
static struct ynode *block_map(struct fast *f)
{
	const char *t = f->t;
	int col = col_of(f, f->pos);
	struct ynode *n = open_coll(f, YN_MAP, f->pos), *val;

	if (!n)
		return NULL;
	for (;;) {
		/* f->pos: a key at col */
		size_t ks = f->pos, ke = plain_end(f, ks, false), colon, j;

		if (!ke || ke - ks > FAST_KEY_MAX)
			return NULL;
		colon = skip_spaces(f, ke);
		if (colon >= f->len || t[colon] != ':' || !blank_at(f, colon + 1))
			return NULL;
		if (!add_child(f, n, scalar(f, ks, ke, ks, ke, false)))
			return NULL;
		j = skip_spaces(f, colon + 1);
		if (j < f->len && t[j] != '\n' && t[j] != '#') {
			f->pos = j;
			val = inline_value(f, col);
		} else {
			/* nothing after the ':': a nested block, or an empty value */
			struct ynode *empty =
				scalar(f, colon + 1, colon + 1, colon + 1, colon + 1, false);

			f->pos = j;
			next_content(f);
			if (f->pos < f->len && col_of(f, f->pos) > col) {
				val = t[f->pos] == '-' && blank_at(f, f->pos + 1)
					      ? block_seq(f, false)
					      : block_map(f);
			} else if (f->pos < f->len && col_of(f, f->pos) == col &&
				   t[f->pos] == '-' && blank_at(f, f->pos + 1)) {
				val = block_seq(f, true);
			} else {
				val = empty;
			}
		}
		if (!val)
			return NULL;
		n->pairs[n->n - 1].val = val;
		if (f->pos == f->len || col_of(f, f->pos) < col)
			break;
		if (col_of(f, f->pos) > col)
			return NULL;
	}
	return close_coll(f, n, f->pos);
}

static void fast_release(struct fast *f)
{
	for (size_t i = 0; i <= FAST_DEPTH; i++) {
		free(f->scratch[i].items);
		free(f->scratch[i].pairs);
		strmap_release(&f->keys[i]);
	}
}

int ydoc__fast(struct yarena *a, const char *text, size_t len, size_t base, struct ynode **root)
{
	struct fast f = { .a = a,
			  .t = text,
			  .len = len,
			  .pos = base,
			  .line_start = base,
			  .line = 1 };
	struct ynode *n = NULL;

	*root = NULL;
	if (!text_ok(text, len, base, &f.ascii))
		return 0;
	f.pos = skip_spaces(&f, base);
	if (f.pos < len && (text[f.pos] == '\n' || text[f.pos] == '#'))
		next_content(&f);
	/* a mapping at the left margin; an empty text is libyaml's to judge */
	if (f.pos < len && col_of(&f, f.pos) == 1 && text[f.pos] != '-')
		n = block_map(&f);
	fast_release(&f);
	if (!n || f.pos != len)
		return 0;
	*root = n;
	return 1;
}
