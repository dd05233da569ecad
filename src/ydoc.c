/* SPDX-License-Identifier: MIT */
/*
 * ydoc.c: libyaml events to a ynode tree with positions. This file is the
 * only one that includes <yaml.h>. It must not know about sprints, workflows
 * or any other schema: it checks YAML-level rules only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "strmap.h"
#include "util.h"
#include "ydoc.h"
#include "ydoc_int.h"

/*
 * The nodes and scalar strings of a document come from big blocks freed
 * all at once (a 10,000-story sprint has 100,000 nodes); the pairs and
 * items arrays, which grow, are kept in a list and freed with them. Each
 * block is twice the one before, up to 4 MiB: a small file takes one
 * 64 KiB block, a big one a few blocks large enough for malloc to map them
 * apart, so that freeing the document gives their pages back at once.
 */
struct yblock {
	struct yblock *next;
	size_t used, cap;
	max_align_t data[];
};

struct yarena {
	struct yblock *head;
	size_t nblocks;
	void **arrays;
	size_t narrays, cap;
};

void *ydoc__alloc(struct yarena *a, size_t n)
{
	struct yblock *blk = a->head;
	void *p;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (!blk || blk->cap - blk->used < n) {
		size_t cap = (size_t)65536 << (a->nblocks < 6 ? a->nblocks : 6);

		if (cap < n)
			cap = n;
		a->nblocks++;

		blk = xmalloc(sizeof(*blk) + cap);
		blk->next = a->head;
		blk->used = 0;
		blk->cap = cap;
		a->head = blk;
	}
	p = (char *)blk->data + blk->used;
	blk->used += n;
	return p;
}

static void arena_keep(struct yarena *a, void *array)
{
	if (!array)
		return;
	ALLOC_GROW(a->arrays, a->narrays + 1, a->cap);
	a->arrays[a->narrays++] = array;
}

void ydoc__reset(struct yarena *a)
{
	while (a->head) {
		struct yblock *next = a->head->next;

		free(a->head);
		a->head = next;
	}
	for (size_t i = 0; i < a->narrays; i++)
		free(a->arrays[i]);
	free(a->arrays);
	memset(a, 0, sizeof(*a));
}

static void arena_free(struct yarena *a)
{
	if (!a)
		return;
	ydoc__reset(a);
	free(a);
}

struct builder {
	struct yarena *arena; /* the document's */
	yaml_parser_t parser;
	const char *file;
	const char *text;
	size_t len;
	struct diags *d;
	int depth;
	unsigned flags;
	bool duplicates; /* YDOC_DUPLICATE_KEYS: a mapping repeated a key */
	/*
	 * libyaml's mark.index counts characters; ynodes hold byte offsets
	 * (an in-place edit needs them). base: the BOM skipped at the start.
	 * cur_char/cur_byte: the last conversion, for the next one. ascii:
	 * no byte >= 0x80, so a character index is a byte count.
	 */
	size_t base, cur_char, cur_byte;
	bool ascii;
};

/* The byte offset in b->text of libyaml's character index ci. */
static size_t byte_of(struct builder *b, size_t ci)
{
	if (b->ascii)
		return b->base + ci < b->len ? b->base + ci : b->len;
	if (ci < b->cur_char) {
		b->cur_char = 0;
		b->cur_byte = b->base;
	}
	while (b->cur_char < ci && b->cur_byte < b->len) {
		size_t w = utf8_seq_len(b->text, b->cur_byte, b->len);

		b->cur_byte += w ? w : 1;
		b->cur_char++;
	}
	return b->cur_byte;
}

void ydoc_release(struct ydoc *doc)
{
	arena_free(doc->arena);
	free(doc->file);
	free(doc->text);
	memset(doc, 0, sizeof(*doc));
}

static struct ynode *ynode_new(struct builder *b, enum ynode_kind kind, const yaml_event_t *ev)
{
	struct ynode *n = ydoc__alloc(b->arena, sizeof(*n));

	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->line = (int)ev->start_mark.line + 1;
	n->col = (int)ev->start_mark.column + 1;
	n->start = byte_of(b, ev->start_mark.index);
	n->end = byte_of(b, ev->end_mark.index);
	return n;
}

/* Position (1-based line and column) of byte offset off in the text. */
static void text_position(const char *text, size_t off, int *line, int *col)
{
	int l = 1, c = 1;

	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

static int parser_error(struct builder *b)
{
	yaml_parser_t *p = &b->parser;
	size_t off = byte_of(b, p->problem_mark.index);
	const char *problem = p->problem ? p->problem : "unknown error";
	int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;

	/* libyaml's word for a tab in indentation is not helpful; say so plainly. */
	if (off < b->len && b->text[off] == '\t')
		return diag_error(b->d, b->file, line, col,
				  "tab character in indentation (use spaces)");
	for (size_t i = off; i > 0 && b->text[i - 1] != '\n'; i--) {
		if (b->text[i - 1] == '\t' && strstr(problem, "cannot start any token"))
			return diag_error(b->d, b->file, line, col,
					  "tab character in indentation (use spaces)");
	}
	if (p->error == YAML_READER_ERROR) {
		text_position(b->text, p->problem_offset + b->base, &line, &col);
		return diag_error(b->d, b->file, line, col, "not valid UTF-8 text (%s)", problem);
	}
	/* the usual cause of libyaml's most puzzling message */
	if (!strcmp(problem, "mapping values are not allowed in this context"))
		return diag_error(b->d, b->file, line, col,
				  "yaml syntax error: %s (quote a value that holds ': ')", problem);
	/* name the line where the unfinished collection began when it is another one */
	if (p->context && p->context_mark.line != p->problem_mark.line)
		return diag_error(b->d, b->file, line, col,
				  "yaml syntax error: %s %s started at line %d", problem,
				  p->context, (int)p->context_mark.line + 1);
	if (p->context)
		return diag_error(b->d, b->file, line, col, "yaml syntax error: %s %s", problem,
				  p->context);
	return diag_error(b->d, b->file, line, col, "yaml syntax error: %s", problem);
}

static int next_event(struct builder *b, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&b->parser, ev))
		return parser_error(b);
	return 0;
}

static int build_node(struct builder *b, yaml_event_t *ev, struct ynode **out);

/*
 * Whether the last key of mapping n repeats an earlier one (*first: its
 * index): compared one by one in a small mapping, through keys (filled on
 * the way) once it has more than eight.
 */
bool ydoc__key_seen(const struct ynode *n, struct strmap *keys, size_t *first)
{
	const struct ynode *k = n->pairs[n->n - 1].key;

	if (n->n <= 8) {
		for (size_t i = 0; i + 1 < n->n; i++) {
			const struct ynode *o = n->pairs[i].key;

			if (o->len == k->len && !memcmp(o->str, k->str, k->len)) {
				*first = i;
				return true;
			}
		}
		return false;
	}
	if (n->n == 9)
		for (size_t i = 0; i < 8; i++)
			strmap_put(keys, n->pairs[i].key->str, n->pairs[i].key->len, i, NULL);
	return !strmap_put(keys, k->str, k->len, n->n - 1, first);
}

static int build_children(struct builder *b, struct ynode *n, yaml_event_type_t end)
{
	yaml_event_t ev;
	struct ynode *child;
	struct strmap keys = STRMAP_INIT; /* a mapping's keys so far: duplicates in O(1) */
	size_t cap = 0, first;
	int ret = -1;

	for (;;) {
		if (next_event(b, &ev) < 0)
			goto out;
		if (ev.type == end) {
			n->end = byte_of(b, ev.end_mark.index);
			yaml_event_delete(&ev);
			ret = 0;
			goto out;
		}
		if (build_node(b, &ev, &child) < 0)
			goto out; /* child, attached or not, is the arena's */
		if (n->kind == YN_SEQ) {
			ALLOC_GROW(n->items, n->n + 1, cap);
			n->items[n->n++] = child;
			continue;
		}
		/* a mapping: child is the key; the value follows */
		ALLOC_GROW(n->pairs, n->n + 1, cap);
		n->pairs[n->n].key = child;
		n->pairs[n->n].val = NULL;
		n->n++;
		if (child->kind != YN_SCALAR) {
			diag_error(b->d, b->file, child->line, child->col,
				   "a mapping key must be a plain value, not %s",
				   ynode_kind_name(child));
			goto out;
		}
		if (ydoc__key_seen(n, &keys, &first)) {
			if (b->flags & YDOC_DUPLICATE_KEYS) {
				b->duplicates = true; /* kept: the caller's reader decides */
			} else {
				diag_error(b->d, b->file, child->line, child->col,
					   "duplicate key '%s' (first at line %d)", child->str,
					   n->pairs[first].key->line);
				goto out;
			}
		}
		if (next_event(b, &ev) < 0 || build_node(b, &ev, &n->pairs[n->n - 1].val) < 0)
			goto out;
	}
out:
	arena_keep(b->arena, n->kind == YN_SEQ ? (void *)n->items : (void *)n->pairs);
	strmap_release(&keys);
	return ret;
}

/*
 * An explicit tag (!!python/object/apply:..., !custom) asks for a type or a
 * constructor this reader will never apply: refused like anchors, shown as
 * written (libyaml expands !! to tag:yaml.org,2002:).
 */
static int tag_error(struct builder *b, const struct ynode *n, const yaml_char_t *tag)
{
	static const char std[] = "tag:yaml.org,2002:";
	const char *t = (const char *)tag;

	if (!strncmp(t, std, sizeof(std) - 1))
		return diag_error(b->d, b->file, n->line, n->col, "tags are not supported '!!%s'",
				  t + sizeof(std) - 1);
	return diag_error(b->d, b->file, n->line, n->col, "tags are not supported '%s'", t);
}

/* Consumes ev (deleted on every path). */
static int build_node(struct builder *b, yaml_event_t *ev, struct ynode **out)
{
	struct ynode *n;
	int ret = 0;

	*out = NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = ynode_new(b, YN_SCALAR, ev);
		n->str = ydoc__alloc(b->arena, ev->data.scalar.length + 1);
		memcpy(n->str, ev->data.scalar.value, ev->data.scalar.length);
		n->str[ev->data.scalar.length] = '\0';
		/* "\0" in a quoted scalar: C strings would cut it there */
		if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length)) {
			*out = n;
			ret = diag_error(b->d, b->file, n->line, n->col,
					 "a NUL character (\\0) in a value '%s'", n->str);
			break;
		}
		n->len = ev->data.scalar.length;
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		*out = n;
		if (ev->data.scalar.anchor)
			ret = diag_error(b->d, b->file, n->line, n->col,
					 "anchors are not supported '&%s'",
					 (const char *)ev->data.scalar.anchor);
		else if (ev->data.scalar.tag)
			ret = tag_error(b, n, ev->data.scalar.tag);
		break;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT: {
		bool map = ev->type == YAML_MAPPING_START_EVENT;
		const yaml_char_t *anchor =
			map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;

		n = ynode_new(b, map ? YN_MAP : YN_SEQ, ev);
		*out = n;
		if (anchor) {
			ret = diag_error(b->d, b->file, n->line, n->col,
					 "anchors are not supported '&%s'", (const char *)anchor);
			break;
		}
		if (map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag) {
			ret = tag_error(b, n,
					map ? ev->data.mapping_start.tag
					    : ev->data.sequence_start.tag);
			break;
		}
		if (++b->depth > 64) {
			ret = diag_error(b->d, b->file, n->line, n->col,
					 "nesting deeper than 64 levels");
			break;
		}
		yaml_event_delete(ev);
		ret = build_children(b, n, map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT);
		b->depth--;
		return ret;
	}
	case YAML_ALIAS_EVENT:
		ret = diag_error(b->d, b->file, (int)ev->start_mark.line + 1,
				 (int)ev->start_mark.column + 1, "aliases are not supported '*%s'",
				 (const char *)ev->data.alias.anchor);
		break;
	default:
		ret = diag_error(b->d, b->file, (int)ev->start_mark.line + 1,
				 (int)ev->start_mark.column + 1, "unexpected yaml event");
		break;
	}
	yaml_event_delete(ev);
	return ret;
}

/*
 * Byte-level checks libyaml would report less clearly: NUL bytes (binary
 * files) and invalid UTF-8 are refused with their position.
 */
static int check_text(const char *file, const char *text, size_t len, bool *ascii, struct diags *d)
{
	int line, col;
	const char *nul = memchr(text, '\0', len);

	*ascii = true;
	if (nul) {
		text_position(text, (size_t)(nul - text), &line, &col);
		return diag_error(d, file, line, col, "binary data (NUL byte) in a text file");
	}
	for (size_t i = 0; i < len;) {
		size_t seq;

		if ((unsigned char)text[i] < 0x80) {
			i++;
			continue;
		}
		*ascii = false;
		seq = utf8_seq_len(text, i, len);

		if (!seq) {
			text_position(text, i, &line, &col);
			return diag_error(d, file, line, col, "not valid UTF-8 text (byte 0x%02x)",
					  (unsigned char)text[i]);
		}
		i += seq;
	}
	return 0;
}

int ydoc_parse(struct ydoc *doc, const char *name, const char *text, size_t len, struct diags *d)
{
	return ydoc_parse_flags(doc, name, text, len, 0, d);
}

int ydoc_parse_flags(struct ydoc *doc, const char *name, const char *text, size_t len,
		     unsigned flags, struct diags *d)
{
	struct builder b = { .file = name, .text = text, .len = len, .d = d, .flags = flags };
	yaml_event_t ev;
	struct ynode *root = NULL;
	int ret = -1;

	memset(doc, 0, sizeof(*doc));
	doc->arena = b.arena = xcalloc(1, sizeof(*b.arena));
	doc->file = xstrdup(name);
	doc->text = xstrndup(text, len);
	doc->textlen = len;
	if (check_text(name, text, len, &b.ascii, d) < 0)
		goto out;
	/* a UTF-8 byte order mark is no content: columns count from after it */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		b.base = b.cur_byte = 3;
	/* the common subset without libyaml; anything else is libyaml's to judge */
	if (!(flags & YDOC__NO_FAST)) {
		if (ydoc__fast(b.arena, doc->text, len, b.base, &root)) {
			doc->root = root;
			return 0;
		}
		ydoc__reset(b.arena);
		root = NULL;
	}
	if (!yaml_parser_initialize(&b.parser))
		xdie("cannot initialise the yaml parser");
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)doc->text + b.base,
				     len - b.base);
	yaml_parser_set_encoding(&b.parser, YAML_UTF8_ENCODING);

	for (;;) {
		if (next_event(&b, &ev) < 0)
			goto out_parser;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			if (root) {
				diag_error(d, name, (int)ev.start_mark.line + 1,
					   (int)ev.start_mark.column + 1,
					   "more than one yaml document in the file");
				yaml_event_delete(&ev);
				goto out_parser;
			}
			yaml_event_delete(&ev);
			if (next_event(&b, &ev) < 0)
				goto out_parser;
			if (build_node(&b, &ev, &root) < 0)
				goto out_parser;
			continue;
		}
		yaml_event_delete(&ev);
	}
	doc->root = root;
	doc->duplicates = b.duplicates;
	root = NULL;
	ret = 0;
out_parser:
	yaml_parser_delete(&b.parser);
out:
	/* a root not kept is the arena's, freed with the document */
	(void)root;
	if (ret < 0) {
		char *file = doc->file;

		doc->file = NULL;
		ydoc_release(doc);
		free(file);
	}
	return ret;
}

int ydoc_load(struct ydoc *doc, const char *path, struct diags *d)
{
	return ydoc_load_flags(doc, path, 0, d);
}

int ydoc_read(const char *path, char **text, size_t *len, struct diags *d)
{
	char *why = NULL;
	int ret = 0;

	if (read_text_file(path, CONFIG_FILE_MAX, text, len, &why) < 0) {
		ret = diag_error(d, path, 0, 0, "cannot read file: %s", why);
		free(why);
	}
	return ret;
}

int ydoc_load_flags(struct ydoc *doc, const char *path, unsigned flags, struct diags *d)
{
	char *text;
	size_t len;
	int ret;

	memset(doc, 0, sizeof(*doc));
	if (ydoc_read(path, &text, &len, d) < 0)
		return -1;
	ret = ydoc_parse_flags(doc, path, text, len, flags, d);
	free(text);
	return ret;
}

const struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YN_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (!strcmp(map->pairs[i].key->str, key))
			return map->pairs[i].val;
	return NULL;
}

const char *ynode_kind_name(const struct ynode *n)
{
	if (!n)
		return "nothing";
	switch (n->kind) {
	case YN_MAP:
		return "a mapping";
	case YN_SEQ:
		return "a list";
	default:
		return ynode_is_null(n) ? "an empty value" : "a plain value";
	}
}

bool ynode_is_null(const struct ynode *n)
{
	if (!n || n->kind != YN_SCALAR || n->quoted)
		return false;
	return n->len == 0 || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
	       !strcmp(n->str, "Null") || !strcmp(n->str, "NULL");
}
