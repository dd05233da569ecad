/* SPDX-License-Identifier: MIT */
/*
 * statusedit.c: rewriting one value of a BMAD sprint-status.yaml. The new
 * value is spliced into the byte span the parser reported for the old one,
 * the result is parsed again in memory and checked before it replaces the
 * file atomically. Must not reformat, re-serialise or touch any other byte
 * (comments, key order, CRLF), and must not write when nothing changes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bmad.h"
#include "diag.h"
#include "bmadcfg.h"
#include "statusedit.h"
#include "util.h"
#include "ydoc.h"

enum qstyle { Q_PLAIN, Q_DOUBLE, Q_SINGLE };

/* The value of the last pair with key in map (what the BMAD reader uses), or NULL. */
static const struct ynode *last_get(const struct ynode *map, const char *key)
{
	const struct ynode *v = NULL;

	for (size_t i = 0; map && map->kind == YN_MAP && i < map->n; i++)
		if (!strcmp(map->pairs[i].key->str, key))
			v = map->pairs[i].val;
	return v;
}

/* The status scalar of key in a parsed sprint-status, and the number of entries. */
static const struct ynode *value_node(const struct ydoc *doc, const char *key, size_t *nentries)
{
	const struct ynode *dev = last_get(doc->root, "development_status"), *v;

	if (!dev || dev->kind != YN_MAP)
		return NULL;
	*nentries = dev->n;
	v = last_get(dev, key);
	if (v && v->kind == YN_MAP)
		v = last_get(v, "status");
	return v && v->kind == YN_SCALAR ? v : NULL;
}

/* True when value reads back as itself written as a plain scalar, anywhere. */
static bool plain_ok(const char *value)
{
	static const char *const nulls[] = { "null", "Null", "NULL", "~" };

	if (!isalnum((unsigned char)value[0]))
		return false;
	for (const char *p = value; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
			return false;
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
		if (!strcmp(value, nulls[i]))
			return false;
	return true;
}

static void encode(struct buf *b, const char *value, enum qstyle q)
{
	if (q == Q_PLAIN) {
		buf_adds(b, value);
		return;
	}
	buf_addc(b, q == Q_DOUBLE ? '"' : '\'');
	for (const char *p = value; *p; p++) {
		if (q == Q_DOUBLE && (*p == '"' || *p == '\\'))
			buf_addc(b, '\\');
		else if (q == Q_SINGLE && *p == '\'')
			buf_addc(b, '\'');
		buf_addc(b, *p);
	}
	buf_addc(b, q == Q_DOUBLE ? '"' : '\'');
}

static int check_value(const char *value, char **cause)
{
	if (!*value) {
		*cause = xstrfmt("empty status value");
		return -1;
	}
	/* read back without them (bmad.c), so never written with them */
	if (*value == ' ' || value[strlen(value) - 1] == ' ') {
		*cause = xstrfmt("invalid status value '%s' (blanks around it)", value);
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			*cause = xstrfmt("invalid status value '%s' (control character)", value);
			return -1;
		}
	}
	return 0;
}

/* a equals b once the blanks around a are left out (bmad.c reads values so). */
static bool same_trimmed(const char *a, const char *b)
{
	size_t s = strspn(a, " \t\r\n"), e = strlen(a);

	while (e > s && strchr(" \t\r\n", a[e - 1]))
		e--;
	return e - s == strlen(b) && !strncmp(a + s, b, e - s);
}

/*
 * The text with the new value spliced in, checked by parsing it again.
 * text is the file as read; e the entry bmad_status_load found in it.
 */
static int splice(const char *path, const char *text, size_t len, const struct bmad_entry *e,
		  const char *value, struct buf *out, char **cause)
{
	struct diags d = DIAGS_INIT;
	struct ydoc doc;
	const struct ynode *n;
	size_t before = 0, after = 0;
	enum qstyle q;
	int ret = -1;

	if (e->vstart < len && (text[e->vstart] == '|' || text[e->vstart] == '>')) {
		*cause = xstrfmt("%s:%d:%d: cannot rewrite a block scalar for '%s'", path, e->line,
				 e->col, e->key);
		goto out;
	}
	/* the span must still be the one the loader saw (the file may have changed since) */
	if (ydoc_parse_flags(&doc, path, text, len, YDOC_DUPLICATE_KEYS, &d) < 0 ||
	    !(n = value_node(&doc, e->key, &before)) || n->start != e->vstart ||
	    n->end != e->vend || e->vend > len || !same_trimmed(n->str, e->status)) {
		ydoc_release(&doc);
		*cause = xstrfmt("%s: changed while it was read", path);
		goto out;
	}
	ydoc_release(&doc);
	switch (text[e->vstart]) {
	case '"':
		q = Q_DOUBLE;
		break;
	case '\'':
		q = Q_SINGLE;
		break;
	case '|':
	case '>':
		*cause = xstrfmt("%s:%d:%d: cannot rewrite a block scalar for '%s'", path, e->line,
				 e->col, e->key);
		goto out;
	default:
		q = plain_ok(value) ? Q_PLAIN : Q_DOUBLE;
		break;
	}
	buf_add(out, text, e->vstart);
	encode(out, value, q);
	buf_add(out, text + e->vend, len - e->vend);

	if (ydoc_parse_flags(&doc, path, out->s, out->len, YDOC_DUPLICATE_KEYS, &d) < 0) {
		char *msg = d.n ? diag_format(&d.v[0]) : xstrfmt("%s: does not parse", path);

		*cause = xstrfmt("edited file would not load: %s", msg);
		free(msg);
		goto out;
	}
	n = value_node(&doc, e->key, &after);
	if (!n || strcmp(n->str, value) || ynode_is_null(n) || after != before) {
		*cause = xstrfmt("%s: edited file does not read '%s: %s'", path, e->key, value);
		ydoc_release(&doc);
		goto out;
	}
	ydoc_release(&doc);
	ret = 0;
out:
	diags_release(&d);
	return ret;
}

int statusedit_set(const char *path, const char *story, const char *value, char **cause)
{
	return statusedit_set_opt(path, story, value, true, cause);
}

int statusedit_set_opt(const char *path, const char *story, const char *value, bool durable,
		       char **cause)
{
	struct diags d = DIAGS_INIT;
	struct bmad_status *s = NULL;
	const struct bmad_entry *e;
	struct buf out = BUF_INIT;
	char *real = NULL, *text = NULL;
	struct stat st;
	size_t len;
	int ret = -1;

	if (check_value(value, cause) < 0)
		return -1;
	if (bmad_status_load(path, &s, &d) < 0) {
		*cause = d.n ? diag_format(&d.v[0]) : xstrfmt("cannot load '%s'", path);
		goto out;
	}
	if (s->read_only) {
		*cause = xstrfmt("%s: not rewritten: %s", path, s->read_only);
		goto out;
	}
	if (s->not_yaml) {
		/* read line by line: there is no parse to check an edit against */
		*cause = xstrfmt("%s: not rewritten: it is not valid YAML (%s)", path, s->not_yaml);
		goto out;
	}
	e = bmad_status_find(s, story);
	if (!e) {
		ret = 1;
		goto out;
	}
	if (!strcmp(e->status, value)) {
		ret = 0;
		goto out;
	}
	/* write through a symlink to its target rather than replacing the link */
	real = realpath(path, NULL);
	if (!real || stat(real, &st) < 0 || read_file(real, &text, &len) < 0) {
		*cause = xstrfmt("cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if (splice(path, text, len, e, value, &out, cause) < 0)
		goto out;
	if ((durable ? write_file_atomic : write_file_replace)(real, out.s, out.len,
							       (int)(st.st_mode & 07777)) < 0) {
		*cause = xstrfmt("cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	/* open(2) applied the umask to the mode */
	chmod(real, st.st_mode & 07777);
	ret = 0;
out:
	buf_release(&out);
	free(text);
	free(real);
	bmad_status_free(s);
	diags_release(&d);
	return ret;
}

int statusedit_find_file(const char *root, char **out)
{
	char *p = bmadcfg_status_file(root);

	if (!p)
		return 1;
	*out = p;
	return 0;
}
