/* SPDX-License-Identifier: MIT */
/*
 * test_bmad.c: BMAD sprint-status.yaml reading (src/bmad.c): file order,
 * quoted, commented and nested values, epic and retrospective keys, CRLF
 * files, the byte span of each value, lookups by any key form, a large
 * file, and the tolerant reading: warnings, UTF-8 and long keys,
 * sub-stories, named epics, duplicate keys (last wins), stories numbered
 * alike, and the line-by-line reading of a file libyaml refuses. Files are written to a private directory under $TMPDIR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bmad.h"
#include "diag.h"
#include "util.h"

struct fixture {
	char *dir;
	char *path; /* dir/sprint-status.yaml */
};

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->dir = xstrfmt("%s/test_bmad.XXXXXX", tmp);
	if (!mkdtemp(f->dir))
		return -1;
	f->path = xstrfmt("%s/sprint-status.yaml", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	free(f->path);
	free(f->dir);
	free(f);
	return 0;
}

static void put(const struct fixture *f, const char *text)
{
	FILE *fp = fopen(f->path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
}

/* Loads f->path and expects success with no diagnostics. */
static struct bmad_status *load_ok(const struct fixture *f)
{
	struct diags d = DIAGS_INIT;
	struct bmad_status *s = NULL;
	int ret = bmad_status_load(f->path, &s, &d);

	for (size_t i = 0; i < d.n; i++)
		print_error("unexpected diag: %d:%d: %s\n", d.v[i].line, d.v[i].col, d.v[i].msg);
	assert_int_equal(ret, 0);
	assert_int_equal(d.n, 0);
	assert_non_null(s);
	diags_release(&d);
	return s;
}

/* The bytes text[vstart..vend) of entry e, newly allocated. */
static char *span(const char *text, const struct bmad_entry *e)
{
	assert_true(e->vstart < e->vend);
	assert_true(e->vend <= strlen(text));
	return xstrndup(text + e->vstart, e->vend - e->vstart);
}

static void assert_span(const char *text, const struct bmad_entry *e, const char *want)
{
	char *got = span(text, e);

	assert_string_equal(got, want);
	free(got);
}

static const char forms[] = "# sprint-status for plant-family\n"
			    "generated: 2025-06-01\n"
			    "project: plant-family\n"
			    "development_status:\n"
			    "  epic-1: in-progress\n"
			    "  1-1-user-login: done  # finished early\n"
			    "  1-2-password-reset: \"done\"\n"
			    "  1-3-profile-page: 'review'\n"
			    "  1-4b-profile-photos: {status: done}\n"
			    "  epic-1-retrospective: optional\n"
			    "  epic-2: backlog\n"
			    "  2-1-garden-map:\n"
			    "    owner: sam\n"
			    "    status: ready-for-dev\n"
			    "  5a: drafted\n"
			    "  epic-12b: backlog\n";

static void test_forms_and_order(void **state)
{
	struct fixture *f = *state;
	struct bmad_status *s;
	static const char *const keys[] = {
		"epic-1",           "1-1-user-login",      "1-2-password-reset",
		"1-3-profile-page", "1-4b-profile-photos", "epic-1-retrospective",
		"epic-2",           "2-1-garden-map",      "5a",
		"epic-12b",
	};
	static const char *const statuses[] = {
		"in-progress", "done",    "done",          "review",  "done",
		"optional",    "backlog", "ready-for-dev", "drafted", "backlog",
	};
	static const enum bmad_kind kinds[] = {
		BMAD_EPIC,  BMAD_STORY, BMAD_STORY, BMAD_STORY, BMAD_STORY,
		BMAD_RETRO, BMAD_EPIC,  BMAD_STORY, BMAD_STORY, BMAD_EPIC,
	};
	/* NULL: not checked ('5a' has no separate epic part) */
	static const char *const epics[] = { "1", "1", "1", "1", "1", "1", "2", "2", NULL, "12b" };
	static const int lines[] = { 5, 6, 7, 8, 9, 10, 11, 12, 15, 16 };

	put(f, forms);
	s = load_ok(f);
	assert_string_equal(s->file, f->path);
	assert_int_equal(s->n, ARRAY_SIZE(keys));
	for (size_t i = 0; i < s->n; i++) {
		assert_string_equal(s->v[i].key, keys[i]);
		assert_string_equal(s->v[i].status, statuses[i]);
		assert_int_equal(s->v[i].kind, kinds[i]);
		if (epics[i])
			assert_string_equal(s->v[i].epic, epics[i]);
		assert_int_equal(s->v[i].line, lines[i]);
		assert_int_equal(s->v[i].col, 3);
	}
	assert_false(s->v[1].nested);
	assert_true(s->v[4].nested);
	assert_true(s->v[7].nested);

	/* a quoted "done" is done; a commented one too */
	assert_true(bmad_status_is_done(s->v[1].status));
	assert_true(bmad_status_is_done(s->v[2].status));
	assert_false(bmad_status_is_done(s->v[3].status));
	assert_true(bmad_status_is_done("DONE"));
	assert_false(bmad_status_is_done("done "));
	assert_false(bmad_status_is_done(NULL));
	bmad_status_free(s);
}

static void test_value_spans(void **state)
{
	struct fixture *f = *state;
	struct bmad_status *s;

	put(f, forms);
	s = load_ok(f);
	assert_span(forms, &s->v[0], "in-progress");
	/* a plain value: the word only, not the spaces or the comment after it */
	assert_span(forms, &s->v[1], "done");
	/* a quoted value: the whole scalar with its quotes */
	assert_span(forms, &s->v[2], "\"done\"");
	assert_span(forms, &s->v[3], "'review'");
	/* nested forms: the status scalar inside */
	assert_span(forms, &s->v[4], "done");
	assert_span(forms, &s->v[7], "ready-for-dev");
	assert_span(forms, &s->v[9], "backlog");
	/* exact offsets of one value, counted by hand */
	{
		const char *line = strstr(forms, "  1-1-user-login: done");

		assert_non_null(line);
		assert_int_equal(s->v[1].vstart, (size_t)(line - forms) + 18);
		assert_int_equal(s->v[1].vend, (size_t)(line - forms) + 22);
	}
	bmad_status_free(s);
}

static void test_crlf(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "# windows\r\n"
				   "development_status:\r\n"
				   "  epic-1: in-progress\r\n"
				   "  1-1-user-login: done\r\n"
				   "  1-2-password-reset: \"review\"   # quoted\r\n"
				   "  1-3-x: {status: backlog}\r\n";
	struct bmad_status *s;

	put(f, text);
	s = load_ok(f);
	assert_int_equal(s->n, 4);
	assert_string_equal(s->v[1].key, "1-1-user-login");
	assert_string_equal(s->v[1].status, "done");
	assert_int_equal(s->v[1].line, 4);
	assert_string_equal(s->v[2].status, "review");
	assert_string_equal(s->v[3].status, "backlog");
	assert_span(text, &s->v[0], "in-progress");
	assert_span(text, &s->v[1], "done");
	assert_span(text, &s->v[2], "\"review\"");
	assert_span(text, &s->v[3], "backlog");
	bmad_status_free(s);
}

static void test_find(void **state)
{
	struct fixture *f = *state;
	struct bmad_status *s;
	const struct bmad_entry *e;

	put(f, forms);
	s = load_ok(f);
	e = bmad_status_find(s, "1.2");
	assert_non_null(e);
	assert_string_equal(e->key, "1-2-password-reset");
	assert_ptr_equal(bmad_status_find(s, "1-2"), e);
	assert_ptr_equal(bmad_status_find(s, "1-2-password-reset"), e);
	assert_ptr_equal(bmad_status_find(s, "1-2-another-slug"), e);

	e = bmad_status_find(s, "1.4b");
	assert_non_null(e);
	assert_string_equal(e->key, "1-4b-profile-photos");
	assert_ptr_equal(bmad_status_find(s, "1-4b"), e);
	assert_null(bmad_status_find(s, "1.4"));
	assert_null(bmad_status_find(s, "1.4a"));

	e = bmad_status_find(s, "5a");
	assert_non_null(e);
	assert_string_equal(e->status, "drafted");

	e = bmad_status_find(s, "2.1");
	assert_non_null(e);
	assert_string_equal(e->status, "ready-for-dev");

	/* epics and retrospectives are not stories */
	assert_null(bmad_status_find(s, "epic-1"));
	assert_null(bmad_status_find(s, "epic-1-retrospective"));
	assert_null(bmad_status_find(s, "9.9"));
	assert_null(bmad_status_find(s, "1.20"));
	assert_null(bmad_status_find(s, "not a key"));
	bmad_status_free(s);
}

static void test_large(void **state)
{
	struct fixture *f = *state;
	struct bmad_status *s;
	struct buf b = BUF_INIT;
	const struct bmad_entry *e;
	size_t stories = 0;

	buf_adds(&b, "development_status:\n");
	for (int epic = 1; epic <= 20; epic++) {
		buf_addf(&b, "  epic-%d: in-progress\n", epic);
		for (int st = 1; st <= 25; st++) {
			buf_addf(&b, "  %d-%d-story-number-%d: %s\n", epic, st, st,
				 st % 3 ? "done" : "backlog");
			stories++;
		}
		buf_addf(&b, "  epic-%d-retrospective: optional\n", epic);
	}
	assert_int_equal(stories, 500);
	put(f, b.s);
	s = load_ok(f);
	assert_int_equal(s->n, 540);
	assert_string_equal(s->v[0].key, "epic-1");
	assert_string_equal(s->v[1].key, "1-1-story-number-1");
	assert_string_equal(s->v[539].key, "epic-20-retrospective");
	assert_int_equal(s->v[539].kind, BMAD_RETRO);
	e = bmad_status_find(s, "20.25");
	assert_non_null(e);
	assert_string_equal(e->key, "20-25-story-number-25");
	assert_string_equal(e->status, "done");
	assert_string_equal(e->epic, "20");
	e = bmad_status_find(s, "7-3");
	assert_non_null(e);
	assert_string_equal(e->status, "backlog");
	assert_span(b.s, e, "backlog");
	bmad_status_free(s);
	buf_release(&b);
}

/* The shipped good fixture: comments, quotes, nested forms, suffixes. */
static void test_good_fixture(void **state)
{
	struct diags d = DIAGS_INIT;
	struct bmad_status *s = NULL;
	const struct bmad_entry *e;

	(void)state;
	assert_int_equal(
		bmad_status_load(TEST_SOURCE_DIR "/tests/fixtures/good/sprint-status.yaml", &s, &d),
		0);
	assert_int_equal(d.n, 0);
	assert_int_equal(s->n, 10);
	e = bmad_status_find(s, "1.4b");
	assert_non_null(e);
	assert_true(e->nested);
	assert_string_equal(e->status, "in-progress");
	e = bmad_status_find(s, "1.2");
	assert_non_null(e);
	assert_string_equal(e->status, "review");
	assert_string_equal(s->v[9].key, "epic-2-retrospective");
	assert_int_equal(s->v[9].kind, BMAD_RETRO);
	assert_string_equal(s->v[9].status, "optional");
	bmad_status_free(s);
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	struct diags d = DIAGS_INIT;
	struct bmad_status *s = (struct bmad_status *)&d; /* must stay untouched */

	put(f, "project: x\nstory_location: here\n");
	assert_int_equal(bmad_status_load(f->path, &s, &d), -1);
	assert_ptr_equal(s, (struct bmad_status *)&d);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, 1);
	assert_string_equal(d.v[0].msg, "missing required key 'development_status'");
	diags_release(&d);

	/* bad entries are warnings and skipped; stories numbered alike both load */
	put(f, "development_status:\n"
	       "  1-1-a: done\n"
	       "  1-2 b: done\n"
	       "  1-3-c: [done]\n"
	       "  1-4-d: {state: done}\n"
	       "  1-1: review\n");
	assert_int_equal(bmad_status_load(f->path, &s, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(s->n, 2);
	assert_int_equal(s->warnings.n, 4);
	assert_int_equal(s->warnings.v[0].line, 3);
	assert_string_equal(s->warnings.v[0].msg,
			    "invalid story key '1-2 b' (character ' ' not allowed): skipped");
	assert_int_equal(s->warnings.v[1].line, 4);
	assert_int_equal(s->warnings.v[1].col, 10);
	assert_string_equal(s->warnings.v[1].msg,
			    "expected a status value for '1-3-c', got a list: skipped");
	assert_int_equal(s->warnings.v[2].line, 5);
	assert_string_equal(s->warnings.v[2].msg, "missing key 'status' in '1-4-d': skipped");
	assert_int_equal(s->warnings.v[3].line, 6);
	assert_string_equal(s->warnings.v[3].msg, "story '1-1' has the same number as '1-1-a' "
						  "(line 2): '1.1' names both, "
						  "use the full key");
	/* the number names both: ambiguous; each full key names one */
	assert_null(bmad_status_find(s, "1.1"));
	assert_int_equal(bmad_status_match(s, "1.1", NULL, 0), 2);
	assert_string_equal(bmad_status_find(s, "1-1-a")->status, "done");
	assert_string_equal(bmad_status_find(s, "1-1")->status, "review");
	bmad_status_free(s);

	/* a file that cannot be read, binary data, not UTF-8: errors */
	put(f, "development_status:\n  1-1-a: done\xff\n");
	assert_int_equal(bmad_status_load(f->path, &s, &d), -1);
	assert_int_equal(d.n, 1);
	assert_true(str_starts_with(d.v[0].msg, "not valid UTF-8"));
	diags_release(&d);
	put(f, "# not yaml: at all: here\nproject: [x\n");
	assert_int_equal(bmad_status_load(f->path, &s, &d), -1);
	assert_true(d.n >= 1);
	assert_true(str_starts_with(d.v[0].msg, "yaml syntax error"));
	diags_release(&d);

	put(f, "development_status: [1-1-a]\n");
	assert_int_equal(bmad_status_load(f->path, &s, &d), -1);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].msg, "expected a mapping for development_status, got a list");
	diags_release(&d);

	put(f, "");
	assert_int_equal(bmad_status_load(f->path, &s, &d), -1);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].msg, "empty file");
	diags_release(&d);
}

static void test_tolerant_keys(void **state)
{
	struct fixture *f = *state;
	struct diags d = DIAGS_INIT;
	struct bmad_status *s;
	const struct bmad_entry *e;
	static const char long_key[] =
		"22-2-rewrite-readme-with-ai-agent-section-and-competitive-positioning";

	put(f, "development_status:\n"
	       "  epic-1: in-progress\n"
	       "  1-6-mcp-player-profile-\xe6\x9d\x83\xe9\x99\x90\xe9\x97\xa8: done\n"
	       "  22-2-rewrite-readme-with-ai-agent-section-and-competitive-positioning: review\n"
	       "  0-6-set-up-ci-cd: done\n"
	       "  0-6-1-boost-test-coverage: review\n"
	       "  10-5-a-dns: done\n"
	       "  10-5-dns-cutover: backlog\n"
	       "  epic-auth: backlog\n"
	       "  supp-epic-3: backlog\n"
	       "  supp-epic-3-retrospective: optional\n"
	       "  sprint-2-retrospective: done\n"
	       "  epic-1-retrospective: optional\n");
	assert_int_equal(bmad_status_load(f->path, &s, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(s->warnings.n, 0);
	assert_int_equal(s->n, 12);
	assert_null(s->not_yaml);
	e = bmad_status_find(s, "1.6");
	assert_non_null(e);
	assert_string_equal(e->status, "done");
	e = bmad_status_find(s, "22-2");
	assert_non_null(e);
	assert_string_equal(e->key, long_key);
	assert_string_equal(e->epic, "22");
	/* sub-stories are distinct from their parent */
	assert_string_equal(bmad_status_find(s, "0.6")->key, "0-6-set-up-ci-cd");
	assert_string_equal(bmad_status_find(s, "0.6.1")->key, "0-6-1-boost-test-coverage");
	assert_string_equal(bmad_status_find(s, "0-6-1")->key, "0-6-1-boost-test-coverage");
	assert_string_equal(bmad_status_find(s, "10.5.a")->key, "10-5-a-dns");
	assert_string_equal(bmad_status_find(s, "10-5-a")->key, "10-5-a-dns");
	assert_string_equal(bmad_status_find(s, "10-5")->key, "10-5-dns-cutover");
	assert_string_equal(s->v[5].epic, "10");
	/* named epics and retrospectives are never stories */
	assert_int_equal(s->v[7].kind, BMAD_EPIC);
	assert_string_equal(s->v[7].epic, "auth");
	assert_int_equal(s->v[8].kind, BMAD_EPIC);
	assert_int_equal(s->v[9].kind, BMAD_RETRO);
	assert_string_equal(s->v[9].epic, "supp-epic-3");
	assert_int_equal(s->v[10].kind, BMAD_RETRO);
	assert_int_equal(s->v[11].kind, BMAD_RETRO);
	assert_string_equal(s->v[11].epic, "1");
	assert_null(bmad_status_find(s, "epic-auth"));
	bmad_status_free(s);
}

static void test_duplicate_keys(void **state)
{
	struct fixture *f = *state;
	struct diags d = DIAGS_INIT;
	struct bmad_status *s;
	const struct bmad_entry *e;

	put(f, "project: a\n"
	       "development_status:\n"
	       "  epic-32: in-progress\n"
	       "  32-1-export: review\n"
	       "  epic-32-retrospective: optional\n"
	       "  32-1-export: done\n"
	       "  epic-32-retrospective: done\n"
	       "project: b\n");
	assert_int_equal(bmad_status_load(f->path, &s, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(s->n, 3);
	/* the last value wins, in the first one's place; its span is the last one's */
	assert_string_equal(s->v[1].key, "32-1-export");
	assert_string_equal(s->v[1].status, "done");
	assert_int_equal(s->v[1].line, 6);
	assert_string_equal(s->v[2].status, "done");
	assert_int_equal(s->warnings.n, 3);
	assert_string_equal(s->warnings.v[0].msg, "duplicate key '32-1-export' (first at line 4): "
						  "the last value is used");
	assert_int_equal(s->warnings.v[1].line, 7);
	assert_int_equal(s->warnings.v[2].line, 8);
	assert_string_equal(s->warnings.v[2].msg,
			    "duplicate key 'project' (first at line 1): the last value is used");
	e = bmad_status_find(s, "32.1");
	assert_non_null(e);
	assert_string_equal(e->status, "done");
	bmad_status_free(s);
}

static void test_line_by_line(void **state)
{
	struct fixture *f = *state;
	struct diags d = DIAGS_INIT;
	struct bmad_status *s;
	const char *text =
		"# generated by BMAD\n"
		"last_updated: 2026-03-29 (Epic 18 added: ANALYTICS-001 story completed)\n"
		"development_status:\n"
		"  # epic 18\n"
		"  epic-18: in-progress\n"
		"  18-1-events: done   # shipped\n"
		"  \"18-2-dashboard\": \"review\"\n"
		"  18-3-export: {status: done, owner: ann}\n"
		"  18-4-alerts:\n"
		"    status: 'ready-for-dev'\n"
		"  18-5-x: value: other\n"
		"  18-6-y: [done\n"
		"  no colon here\n"
		"  18-7-z:\n"
		"other_key: 1\n"
		"  18-8-not-in-block: done\n";

	put(f, text);
	assert_int_equal(bmad_status_load(f->path, &s, &d), 0);
	assert_int_equal(d.n, 0);
	assert_non_null(s->not_yaml);
	assert_string_equal(s->not_yaml, "line 2: yaml syntax error: mapping values are not "
					 "allowed in this context (quote a value that holds ': ')");
	assert_int_equal(s->n, 5);
	assert_string_equal(s->v[1].key, "18-1-events");
	assert_string_equal(s->v[1].status, "done");
	assert_int_equal(s->v[1].line, 6);
	assert_int_equal(s->v[1].col, 3);
	assert_string_equal(s->v[2].key, "18-2-dashboard");
	assert_string_equal(s->v[2].status, "review");
	/* the span is the scalar's, quotes included, as the YAML reader gives it */
	assert_memory_equal(text + s->v[2].vstart, "\"review\"", 8);
	assert_int_equal(s->v[2].vend - s->v[2].vstart, 8);
	assert_string_equal(s->v[3].status, "done");
	assert_true(s->v[3].nested);
	assert_memory_equal(text + s->v[3].vstart, "done", 4);
	assert_int_equal(s->v[3].vend - s->v[3].vstart, 4);
	assert_string_equal(s->v[4].key, "18-4-alerts");
	assert_string_equal(s->v[4].status, "ready-for-dev");
	assert_true(s->v[4].nested);
	assert_memory_equal(text + s->v[1].vstart, "done", 4);
	assert_int_equal(s->v[1].vend - s->v[1].vstart, 4);
	/* the YAML error, then one warning per line skipped, in file order */
	assert_int_equal(s->warnings.n, 5);
	assert_int_equal(s->warnings.v[0].line, 2);
	assert_true(
		str_ends_with(s->warnings.v[0].msg, "; development_status was read line by line"));
	assert_string_equal(s->warnings.v[1].msg,
			    "the value of '18-5-x' holds ': ' ('value: other'): skipped");
	assert_int_equal(s->warnings.v[2].line, 12);
	assert_string_equal(s->warnings.v[2].msg, "expected a status value for '18-6-y': skipped");
	assert_int_equal(s->warnings.v[3].line, 13);
	assert_string_equal(s->warnings.v[3].msg,
			    "expected 'key: value' in development_status: skipped");
	assert_int_equal(s->warnings.v[4].line, 14);
	assert_string_equal(s->warnings.v[4].msg,
			    "expected a status value for '18-7-z', got nothing: skipped");
	bmad_status_free(s);

	/* a tab in the indentation */
	put(f, "development_status:\n\t1-1-a: done\n  1-2-b: review\n");
	assert_int_equal(bmad_status_load(f->path, &s, &d), 0);
	assert_int_equal(s->n, 2);
	assert_string_equal(s->v[1].status, "review");
	assert_int_equal(s->warnings.n, 1);
	assert_true(str_starts_with(s->warnings.v[0].msg, "tab character in indentation"));
	bmad_status_free(s);

	/* no development_status line at all: the YAML error is the error */
	put(f, "project: x: y\n");
	assert_int_equal(bmad_status_load(f->path, &s, &d), -1);
	assert_int_equal(d.n, 1);
	assert_true(str_starts_with(d.v[0].msg, "yaml syntax error"));
	diags_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_forms_and_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_value_spans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crlf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large, setup, teardown),
		cmocka_unit_test(test_good_fixture),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tolerant_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_by_line, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
