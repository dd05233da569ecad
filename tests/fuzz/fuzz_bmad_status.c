/* SPDX-License-Identifier: MIT */
/*
 * fuzz_bmad_status.c: bmad_status_load (a BMAD sprint-status.yaml, bmad.h)
 * on any bytes: YAML, or line by line when libyaml refuses the file.
 * Oracles: no crash, leak or UB; errors and warnings positioned within the
 * file as "file:line:col: msg"; -1 with errors and *out untouched, 0
 * without; a second load gives the same result; entries have usable,
 * distinct keys of the kind storykey_classify gives, each story is found by
 * its key, and each value's byte span lies in the file and holds the value
 * (quoted: between its quotes; plain on one line: exactly its text).
 */
#include <stdlib.h>
#include <string.h>

#include "bmad.h"
#include "harness.h"
#include "storykey.h"

static void summary(struct buf *b, const struct bmad_status *s)
{
	buf_addf(b, "not_yaml=%s\n", s->not_yaml ? s->not_yaml : "-");
	for (size_t i = 0; i < s->n; i++) {
		const struct bmad_entry *e = &s->v[i];

		buf_addf(b, "%s kind=%d epic=%s status=%s %d:%d [%zu,%zu) nested=%d\n", e->key,
			 (int)e->kind, e->epic, e->status, e->line, e->col, e->vstart, e->vend,
			 e->nested);
	}
	fuzz_diags_text(b, &s->warnings);
}

static bool has_break(const uint8_t *p, size_t n)
{
	return memchr(p, '\n', n) || memchr(p, '\r', n) || memmem(p, n, "\xc2\x85", 2) ||
	       memmem(p, n, "\xe2\x80\xa8", 3) || memmem(p, n, "\xe2\x80\xa9", 3);
}

static void check_entry(const struct bmad_status *s, const struct bmad_entry *e,
			const uint8_t *data, size_t size)
{
	char epic[STORYKEY_MAX];
	int kind = storykey_classify(e->key, epic, sizeof(epic));
	const uint8_t *v = data + e->vstart;
	size_t n = e->vend - e->vstart;

	fuzz_check_position((const char *)data, size, e->line, e->col, e->key);
	FUZZ_CHECK(storykey_key_ok(e->key), "entry key '%s' is not a usable key", e->key);
	FUZZ_CHECK(kind == (e->kind == BMAD_EPIC    ? 1
			    : e->kind == BMAD_RETRO ? 2
						    : 0),
		   "entry '%s' of kind %d, storykey_classify says %d", e->key, (int)e->kind, kind);
	FUZZ_CHECK(e->status && e->epic, "entry '%s' lacks a status or an epic", e->key);
	FUZZ_CHECK(e->vstart < e->vend && e->vend <= size,
		   "entry '%s': span [%zu,%zu) of %zu bytes", e->key, e->vstart, e->vend, size);
	for (size_t i = 0; i < s->n; i++)
		FUZZ_CHECK(&s->v[i] == e || strcmp(s->v[i].key, e->key), "key '%s' listed twice",
			   e->key);
	if (e->kind == BMAD_STORY)
		FUZZ_CHECK(bmad_status_find(s, e->key) == e, "story '%s' not found by its key",
			   e->key);
	if (v[0] == '"' || v[0] == '\'')
		FUZZ_CHECK(n >= 2 && v[n - 1] == v[0], "entry '%s': quoted span '%.*s' not closed",
			   e->key, (int)n, (const char *)v);
	else if (!strchr("|>", v[0]) && (s->not_yaml || !has_break(v, n)))
		FUZZ_CHECK(strlen(e->status) == n && !memcmp(v, e->status, n),
			   "entry '%s': plain span '%.*s' is not its value '%s'", e->key, (int)n,
			   (const char *)v, e->status);
}

static struct bmad_status *load(const char *path, const uint8_t *data, size_t size, struct buf *out)
{
	struct diags d = DIAGS_INIT;
	struct bmad_status *s = (struct bmad_status *)&d; /* a sentinel: must stay untouched */
	int ret = bmad_status_load(path, &s, &d);

	if (fuzz_check_load(ret, s == (struct bmad_status *)&d, &d, "bmad_status_load", path, data,
			    size, out)) {
		fuzz_check_diags(&s->warnings, path, (const char *)data, size);
		summary(out, s);
	} else {
		s = NULL;
	}
	diags_release(&d);
	return s;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = fuzz_write("sprint-status.yaml", data, size);
	struct buf first = BUF_INIT, second = BUF_INIT;
	struct bmad_status *s = load(path, data, size, &first);
	struct bmad_status *s2 = load(path, data, size, &second);

	fuzz_same(first.s, second.s, "two loads of the same sprint-status");
	if (s && s->not_yaml) {
		char *end;
		long line = strtol(s->not_yaml + 5, &end, 10);

		FUZZ_CHECK(!strncmp(s->not_yaml, "line ", 5) && *end == ':',
			   "not_yaml is not 'line N: ...': %s", s->not_yaml);
		fuzz_check_position((const char *)data, size, (int)line, 1, s->not_yaml);
	}
	for (size_t i = 0; s && i < s->n; i++)
		check_entry(s, &s->v[i], data, size);
	bmad_status_free(s);
	bmad_status_free(s2);
	buf_release(&first);
	buf_release(&second);
	free(path);
	return 0;
}
