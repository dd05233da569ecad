/* SPDX-License-Identifier: MIT */
/*
 * fuzz_status_edit.c: statusedit_set (statusedit.h) on any sprint-status
 * bytes. The story and value come from a first line "#fuzz:STORY<TAB>VALUE"
 * (a YAML comment, so it stays part of the file), else the input picks one
 * of the file's entries and a value from a fixed list.
 * Oracles: no crash, leak or UB; only 0 changes the file, and then every
 * byte outside the value's span stays identical, the quoting style is kept,
 * the file reads back with the new value, the other entries unchanged, and
 * a second call writes nothing; 1 exactly when the story is not found (or
 * ambiguous); a file that does not load fails with its first error as
 * "file:line:col: msg"; no temp file is left behind.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bmad.h"
#include "harness.h"
#include "statusedit.h"

static const char *const values[] = {
	"done",    "in-progress", "review",    "ready-for-dev",
	"backlog", "Done",        "it's done", "a: b",
	"#x",      "null",        "~",         "\"q\"",
	"",        "tab\there",   "ünï",       "- x",
	"[x]",     "{x}",         "yes",       "123",
	" lead",   "trail ",      "x\\y",      "a #b",
	"'",       "%x",          "@x",        "`x",
};

static char *read_all(const char *path, size_t *len)
{
	char *text;

	if (read_file(path, &text, len) < 0)
		xdie("fuzz: cannot read %s", path);
	return text;
}

/* What statusedit_set writes: not empty, no control character, no blank at either end. */
static bool value_ok(const char *v)
{
	if (!*v || *v == ' ' || v[strlen(v) - 1] == ' ')
		return false;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static size_t dir_entries(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while (dh && (de = readdir(dh)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	if (dh)
		closedir(dh);
	return n;
}

/* The edit succeeded: only the span changed, and the file reads back right. */
static void check_edit(const char *path, const char *story, const char *value,
		       const struct bmad_status *s0, const struct bmad_entry *e, const char *before,
		       size_t blen, const char *after, size_t alen)
{
	struct diags d = DIAGS_INIT;
	struct bmad_status *s1 = NULL;
	const struct bmad_entry *e1;
	size_t tail = blen - e->vend;
	char *cause = NULL, *again;
	size_t len;

	if (!strcmp(e->status, value)) {
		FUZZ_CHECK(alen == blen && !memcmp(before, after, blen),
			   "the value was already '%s', yet the file changed", value);
		return;
	}
	FUZZ_CHECK(alen > e->vstart + tail, "the edited file is too short");
	FUZZ_CHECK(!memcmp(after, before, e->vstart), "a byte before the value changed");
	FUZZ_CHECK(!memcmp(after + alen - tail, before + e->vend, tail),
		   "a byte after the value changed");
	if (before[e->vstart] == '"' || before[e->vstart] == '\'')
		FUZZ_CHECK(after[e->vstart] == before[e->vstart], "the quoting style changed");
	FUZZ_CHECK(bmad_status_load(path, &s1, &d) == 0, "the edited file does not load");
	e1 = bmad_status_find(s1, story);
	FUZZ_CHECK(e1 && !strcmp(e1->status, value), "the edited file does not say '%s: %s'", story,
		   value);
	FUZZ_CHECK(s1->n == s0->n && !s1->not_yaml, "the edit changed the entries");
	for (size_t i = 0; i < s0->n; i++)
		FUZZ_CHECK(!strcmp(s0->v[i].key, s1->v[i].key) &&
				   (&s0->v[i] == e || !strcmp(s0->v[i].status, s1->v[i].status)),
			   "the edit changed entry '%s'", s0->v[i].key);
	FUZZ_CHECK(statusedit_set(path, story, value, &cause) == 0 && !cause,
		   "a second identical edit failed: %s", cause ? cause : "-");
	again = read_all(path, &len);
	FUZZ_CHECK(len == alen && !memcmp(again, after, len), "a second identical edit wrote");
	free(again);
	bmad_status_free(s1);
	diags_release(&d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *dir;

	(void)argc;
	(void)argv;
	fuzz_setup();
	dir = path_join(fuzz_tmpdir(), "edit");
	if (mkdir(dir, 0700) < 0)
		xdie("fuzz: cannot create %s", dir);
	free(dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = fuzz_write("edit/sprint-status.yaml", data, size);
	char *dir = path_join(fuzz_tmpdir(), "edit");
	char *story = NULL, *value = NULL, *cause = NULL, *after;
	struct diags d = DIAGS_INIT;
	struct bmad_status *s0 = NULL;
	const struct bmad_entry *e = NULL;
	uint64_t h = fuzz_hash(data, size);
	size_t alen;
	int loaded = bmad_status_load(path, &s0, &d) == 0, rc;

	if (size > 6 && !memcmp(data, "#fuzz:", 6)) {
		const char *nl = memchr(data, '\n', size), *tab;
		char *line = xstrndup((const char *)data + 6,
				      (nl ? (size_t)(nl - (const char *)data) : size) - 6);

		tab = strchr(line, '\t');
		story = tab ? xstrndup(line, (size_t)(tab - line)) : xstrdup(line);
		value = xstrdup(tab ? tab + 1 : "done");
		free(line);
	} else {
		story = xstrdup(loaded && s0->n ? s0->v[h % s0->n].key : "1-1");
		value = xstrdup(values[(h >> 32) % ARRAY_SIZE(values)]);
	}
	if (loaded)
		e = bmad_status_find(s0, story);

	rc = statusedit_set(path, story, value, &cause);
	after = read_all(path, &alen);
	FUZZ_CHECK(rc >= -1 && rc <= 1, "statusedit_set returned %d", rc);
	FUZZ_CHECK((rc == -1) == (cause != NULL), "rc %d with cause %s", rc, cause ? cause : "-");
	FUZZ_CHECK(dir_entries(dir) == 1, "statusedit_set left a file behind in %s", dir);
	if (rc != 0)
		FUZZ_CHECK(alen == size && !memcmp(after, data, size),
			   "statusedit_set returned %d and changed the file", rc);
	if (!value_ok(value)) {
		FUZZ_CHECK(rc == -1, "an invalid value '%s' was accepted", value);
	} else if (!loaded) {
		char *first = diag_format(&d.v[0]);

		FUZZ_CHECK(rc == -1, "a file that does not load was edited");
		fuzz_same(cause, first, "the cause and the file's first error");
		free(first);
	} else if (!s0->not_yaml) {
		FUZZ_CHECK(!e == (rc == 1), "story '%s' %s, yet statusedit_set returned %d", story,
			   e ? "found" : "not found", rc);
		if (rc == 0)
			check_edit(path, story, value, s0, e, (const char *)data, size, after,
				   alen);
	} else {
		FUZZ_CHECK(rc == -1, "a file read line by line was not refused (rc %d)", rc);
	}
	bmad_status_free(s0);
	diags_release(&d);
	free(after);
	free(cause);
	free(story);
	free(value);
	free(dir);
	free(path);
	return 0;
}
