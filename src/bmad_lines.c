/* SPDX-License-Identifier: MIT */
/*
 * bmad_lines.c: the line-by-line reading of a sprint-status.yaml that
 * libyaml refuses (an LLM's broken indentation, a tab, a stray quote):
 * its development_status block alone, one "key: value" line (or a key
 * with a nested status: line) at a time, every line it cannot read a
 * warning. Must not write files.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bmad.h"
#include "bmad_int.h"
#include "storykey.h"
#include "util.h"

struct lines {
	struct bmad_status *s;
	const char *text;
	size_t cap;
	/* a key whose value is on the next, deeper lines (key:\n  status: x) */
	char *pending;
	int pline, pcol, pkind;
	char pepic[STORYKEY_MAX];
};

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * A scalar at text[i..end): plain (up to a comment), "double" or 'single'
 * quoted. Returns its value (newly allocated) with its span in *vs and *ve
 * (quotes included), or NULL for what is not a scalar (flow collections,
 * block scalars, anchors, an empty value, an unclosed quote).
 */
static char *line_scalar(const char *text, size_t i, size_t end, size_t *vs, size_t *ve)
{
	struct buf b = BUF_INIT;
	char q = text[i];
	size_t j;

	if (i >= end || strchr("[{|>&*!#%@`", q))
		return NULL;
	*vs = i;
	if (q == '"' || q == '\'') {
		for (j = i + 1; j < end; j++) {
			if (q == '"' && text[j] == '\\' && j + 1 < end) {
				buf_addc(&b, text[++j]);
			} else if (q == '\'' && text[j] == '\'' && j + 1 < end &&
				   text[j + 1] == '\'') {
				buf_addc(&b, '\'');
				j++;
			} else if (text[j] == q) {
				*ve = j + 1;
				return buf_detach(&b);
			} else {
				buf_addc(&b, text[j]);
			}
		}
		buf_release(&b);
		return NULL;
	}
	for (j = i; j < end && !(text[j] == '#' && blank(text[j - 1])); j++)
		;
	while (j > i && blank(text[j - 1]))
		j--;
	if (j == i)
		return NULL;
	*ve = j;
	return xstrndup(text + i, j - i);
}

/* The value of a flow mapping's status key at text[i] ('{'), as line_scalar. */
static char *flow_status(const char *text, size_t i, size_t end, size_t *vs, size_t *ve)
{
	size_t close = i, j;
	char *v;

	while (close < end && text[close] != '}')
		close++;
	for (j = i + 1; j + 7 <= close; j++) {
		if (strncmp(text + j, "status:", 7) ||
		    (text[j - 1] != '{' && text[j - 1] != ',' && !blank(text[j - 1])))
			continue;
		j += 7;
		while (j < close && blank(text[j]))
			j++;
		{
			size_t stop = j;
			bool quoted = text[j] == '"' || text[j] == '\'';

			while (stop < close && (quoted || text[stop] != ','))
				stop++;
			v = line_scalar(text, j, stop, vs, ve);
			if (v && !quoted) {
				while (*ve > *vs && blank(text[*ve - 1]))
					(*ve)--;
				v[*ve - *vs] = '\0';
			}
			return v;
		}
	}
	return NULL;
}

static void flush_pending(struct lines *L)
{
	if (!L->pending)
		return;
	diags_add(&L->s->warnings, L->s->file, L->pline, L->pcol,
		  "expected a status value for '%s', got nothing: skipped", L->pending);
	free(L->pending);
	L->pending = NULL;
}

/* One "key: value" line of the block; i is at the key, end at the end of the line. */
static void read_entry(struct lines *L, size_t i, size_t end, int line, int col)
{
	struct bmad_status *s = L->s;
	const char *t = L->text;
	size_t k0 = i, k1, j, vs = 0, ve = 0;
	char *key, *val;
	char epic[STORYKEY_MAX] = "";
	bool nested = false;
	int kind;

	flush_pending(L);
	if (t[i] == '"' || t[i] == '\'') {
		for (j = i + 1; j < end && t[j] != t[i]; j++)
			;
		k0 = i + 1;
		k1 = j;
		j = j < end ? j + 1 : j;
		while (j < end && blank(t[j]))
			j++;
		if (j >= end || t[j] != ':')
			j = end;
	} else {
		for (j = i; j < end && !(t[j] == ':' && (j + 1 == end || blank(t[j + 1]))); j++)
			;
		k1 = j;
		while (k1 > k0 && blank(t[k1 - 1]))
			k1--;
	}
	if (j >= end) {
		diags_add(&s->warnings, s->file, line, col,
			  "expected 'key: value' in development_status: skipped");
		return;
	}
	key = xstrndup(t + k0, k1 - k0);
	kind = bmad__classify(s, key, line, col, epic, sizeof(epic));
	if (kind < 0)
		goto out;
	for (j++; j < end && blank(t[j]); j++)
		;
	if (j >= end || t[j] == '#') {
		/* the block form: the status on the next, deeper lines */
		L->pending = key;
		L->pline = line;
		L->pcol = col;
		L->pkind = kind;
		memcpy(L->pepic, epic, sizeof(epic));
		return;
	}
	if (t[j] == '{') {
		nested = true;
		val = flow_status(t, j, end, &vs, &ve);
	} else {
		val = line_scalar(t, j, end, &vs, &ve);
	}
	if (val && !nested && (t[vs] != '"' && t[vs] != '\'') && strstr(val, ": ")) {
		diags_add(&s->warnings, s->file, line, col,
			  "the value of '%s' holds ': ' ('%s'): skipped", key, val);
	} else if (!val || !*val) {
		diags_add(&s->warnings, s->file, line, col,
			  "expected a status value for '%s': skipped", key);
	} else {
		bmad__add_entry(s, &L->cap, key, kind, epic, val, line, col, vs, ve, nested);
	}
	free(val);
out:
	free(key);
}

/* A deeper line under a pending key: "status: x" gives its value. */
static void read_nested(struct lines *L, size_t i, size_t end)
{
	size_t vs = 0, ve = 0;
	char *val;

	if (!L->pending || strncmp(L->text + i, "status:", 7))
		return;
	for (i += 7; i < end && blank(L->text[i]); i++)
		;
	val = line_scalar(L->text, i, end, &vs, &ve);
	if (val && *val) {
		bmad__add_entry(L->s, &L->cap, L->pending, L->pkind, L->pepic, val, L->pline,
				L->pcol, vs, ve, true);
		free(L->pending);
		L->pending = NULL;
	}
	free(val);
}

/* Reads the development_status block of text line by line; -1 when there is none. */
int bmad__read_lines(struct bmad_status *s, const char *text, size_t len)
{
	struct lines L = { .s = s, .text = text };
	bool in = false, found = false;
	int line = 0, indent = -1;

	for (size_t p = 0; p < len;) {
		size_t eol = p, end, i;

		while (eol < len && text[eol] != '\n')
			eol++;
		end = eol > p && text[eol - 1] == '\r' ? eol - 1 : eol;
		line++;
		for (i = p; i < end && blank(text[i]); i++)
			;
		if (i == end || text[i] == '#') {
			/* blank or a comment */
		} else if (i == p) {
			flush_pending(&L);
			in = false;
			if (end - p >= 19 && !strncmp(text + p, "development_status:", 19)) {
				size_t j = p + 19;

				while (j < end && blank(text[j]))
					j++;
				in = j == end || text[j] == '#';
				found |= in;
				indent = -1;
			}
		} else if (in) {
			int ind = (int)(i - p);

			if (L.pending && ind > indent) {
				read_nested(&L, i, end);
			} else {
				indent = ind;
				read_entry(&L, i, end, line, ind + 1);
			}
		}
		p = eol < len ? eol + 1 : eol;
	}
	flush_pending(&L);
	return found ? 0 : -1;
}
