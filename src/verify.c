/* SPDX-License-Identifier: MIT */
/*
 * verify.c: the step verifiers. Reads sprint-status (as YAML, through
 * bmad), story files, globs under the project root and the exit of a
 * command run by argv. Must not write or fix any file, must not count a
 * path outside the project root, and must not hand anything to a shell.
 */
#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "bmad.h"
#include "proc.h"
#include "statusedit.h"
#include "storykey.h"
#include "util.h"
#include "verify.h"
#include "verify_int.h"

void verify_review_release(struct verify_review *r)
{
	free(r->story);
	free(r->sprint_status);
	free(r->story_file);
	free(r->story_file_status);
	free(r->why);
	free(r->file_note);
	diags_release(&r->warnings);
	memset(r, 0, sizeof(*r));
}

char *verify_dump(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	char *copy;

	if (!s)
		xdie("out of memory");
	copy = xstrdup(s);
	free(s);
	json_decref(o);
	return copy;
}

/*
 * The comment after e's value in the sprint-status (s->file), when it says
 * a code review wrote the value ("# Updated by bmad-code-review ..."):
 * the comment's text, newly allocated; else NULL.
 */
static char *review_comment(const struct bmad_status *s, const struct bmad_entry *e)
{
	char *text, *r = NULL;
	size_t len;
	const char *p, *end, *hash;

	if (!s->file || read_file(s->file, &text, &len) < 0)
		return NULL;
	if (e->vend > len) {
		free(text);
		return NULL;
	}
	p = text + e->vend;
	end = strchr(p, '\n');
	if (!end)
		end = text + len;
	/* a closing quote or brace of the value may stand before the comment */
	for (hash = p; hash < end && *hash != '#'; hash++)
		;
	if (hash < end && (hash == text || hash[-1] == ' ' || hash[-1] == '\t' || hash == p)) {
		const char *c = hash + 1 + strspn(hash + 1, " \t#");
		const char *ce = end;

		while (ce > c && (ce[-1] == ' ' || ce[-1] == '\t' || ce[-1] == '\r'))
			ce--;
		if (str_contains_nocase(c, (size_t)(ce - c), "code-review"))
			r = xstrndup(c, (size_t)(ce - c) > 200 ? 200 : (size_t)(ce - c));
	}
	free(text);
	return r;
}

/* ---- the review contract ---- */

static const char *const source_names[] = {
	[VERIFY_SOURCE_SPRINT_STATUS] = "sprint-status.yaml",
	[VERIFY_SOURCE_STORY_FILE] = "story-file",
};

const char *verify_source_name(enum verify_source s)
{
	return (size_t)s < ARRAY_SIZE(source_names) ? source_names[s] : "none";
}

void verify_contract_init(struct verify_contract *c)
{
	memset(c, 0, sizeof(*c));
	c->sources[0] = VERIFY_SOURCE_SPRINT_STATUS;
	c->sources[1] = VERIFY_SOURCE_STORY_FILE;
	c->nsources = 2;
	strvec_push(&c->done, "done");
}

void verify_contract_release(struct verify_contract *c)
{
	strvec_release(&c->done);
	memset(c, 0, sizeof(*c));
}

/* A JSON value as written in a message: "foo", 3, null (newly allocated). */
static char *json_shown(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), *r;

	if (!s)
		return xstrdup("?");
	r = xstrdup(s);
	free(s);
	return r;
}

/* Fills c->sources from the "sources" array v; returns 0 or -1 (*cause). */
static int contract_sources(const json_t *v, struct verify_contract *c, const char *path,
			    char **cause)
{
	if (!json_is_array(v) || json_array_size(v) == 0) {
		*cause = xstrfmt("%s: 'sources' must be a non-empty array of source names", path);
		return -1;
	}
	c->nsources = 0;
	for (size_t i = 0; i < json_array_size(v); i++) {
		const json_t *it = json_array_get(v, i);
		const char *n = json_string_value(it);
		size_t k = ARRAY_SIZE(source_names);
		char *shown;

		for (size_t j = 0; n && j < ARRAY_SIZE(source_names); j++)
			if (!strcmp(n, source_names[j]))
				k = j;
		for (size_t j = 0; k < ARRAY_SIZE(source_names) && j < c->nsources; j++)
			if (c->sources[j] == (enum verify_source)k) {
				*cause = xstrfmt("%s: source '%s' is listed twice in 'sources'",
						 path, source_names[k]);
				return -1;
			}
		if (k == ARRAY_SIZE(source_names)) {
			shown = json_shown(it);
			*cause = xstrfmt("%s: unknown source %s in 'sources' (expected "
					 "\"sprint-status.yaml\" or \"story-file\")",
					 path, shown);
			free(shown);
			return -1;
		}
		c->sources[c->nsources++] = (enum verify_source)k;
	}
	return 0;
}

/* Fills c->done from the "doneValues" array v; returns 0 or -1 (*cause). */
static int contract_done_values(const json_t *v, struct verify_contract *c, const char *path,
				char **cause)
{
	if (!json_is_array(v) || json_array_size(v) == 0) {
		*cause = xstrfmt("%s: 'doneValues' must be a non-empty array of strings", path);
		return -1;
	}
	strvec_release(&c->done);
	for (size_t i = 0; i < json_array_size(v); i++) {
		const json_t *it = json_array_get(v, i);
		const char *d = json_string_value(it);

		if (!d || !*d) {
			char *shown = json_shown(it);

			*cause = xstrfmt("%s: 'doneValues' item %zu is not a non-empty string: %s",
					 path, i + 1, shown);
			free(shown);
			return -1;
		}
		strvec_push(&c->done, d);
	}
	return 0;
}

int verify_contract_load(const char *root, struct verify_contract *c, char **cause)
{
	char *path = path_join(root, VERIFY_CONTRACT_FILE);
	json_error_t err;
	json_t *top;
	struct stat st;
	int ret = -1;

	verify_contract_init(c);
	if (stat(path, &st) < 0 && errno == ENOENT) {
		free(path);
		return 1;
	}
	top = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!top) {
		if (err.line > 0)
			*cause = xstrfmt("%s:%d:%d: %s", path, err.line,
					 err.column > 0 ? err.column : 1, err.text);
		else
			*cause = xstrfmt("%s: %s", path, err.text);
		free(path);
		return -1;
	}
	if (!json_is_object(top)) {
		*cause = xstrfmt("%s: expected an object with 'sources' and 'doneValues'", path);
		goto out;
	}
	for (void *it = json_object_iter(top); it; it = json_object_iter_next(top, it)) {
		const char *key = json_object_iter_key(it);
		const json_t *v = json_object_iter_value(it);

		if (!strcmp(key, "sources")) {
			if (contract_sources(v, c, path, cause) < 0)
				goto out;
		} else if (!strcmp(key, "doneValues")) {
			if (contract_done_values(v, c, path, cause) < 0)
				goto out;
		} else {
			*cause =
				xstrfmt("%s: unknown key '%s' (expected 'sources' or 'doneValues')",
					path, key);
			goto out;
		}
	}
	ret = 0;
out:
	json_decref(top);
	free(path);
	if (ret < 0) {
		verify_contract_release(c);
		verify_contract_init(c);
	}
	return ret;
}

/*
 * Whether status is one of c's done values (any case). With first_word, a
 * story file's "Done.", "done ✅" count too: the first word, without a
 * trailing period.
 */
static bool contract_says_done(const struct verify_contract *c, const char *status, bool first_word)
{
	size_t n = strcspn(status, " \t");

	for (size_t i = 0; i < c->done.n; i++)
		if (!strcasecmp(status, c->done.v[i]))
			return true;
	if (!first_word)
		return false;
	if (n && status[n - 1] == '.')
		n--;
	for (size_t i = 0; i < c->done.n; i++)
		if (n && strlen(c->done.v[i]) == n && !strncasecmp(status, c->done.v[i], n))
			return true;
	return false;
}

/* ---- review completion ---- */

char *verify_status_path(const char *root, const char *status_file)
{
	char *p = NULL;
	struct stat st;

	if (!status_file)
		return statusedit_find_file(root, &p) == 0 ? p : NULL;
	p = path_join(root, status_file);
	if (stat(p, &st) == 0)
		return p;
	free(p);
	return NULL;
}

int verify_load_status(const char *path, struct bmad_status **s, char **cause)
{
	struct diags d = DIAGS_INIT;

	if (bmad_status_load(path, s, &d) < 0) {
		*cause = d.n ? diag_format(&d.v[0]) : xstrfmt("cannot load '%s'", path);
		diags_release(&d);
		return -1;
	}
	diags_release(&d);
	return 0;
}

int verify_review_check(const char *root, const struct bmad_status *s, const char *story_key,
			const struct verify_contract *c, struct verify_review *out)
{
	const struct bmad_entry *e = NULL;
	struct storykey k;
	bool sprint_done, file_done = false;

	memset(out, 0, sizeof(*out));
	if (storykey_parse(story_key, &k) < 0)
		return -1;
	if (s)
		e = bmad_status_find(s, story_key);
	out->story = xstrdup(e ? e->key : story_key);
	out->sprint_status = xstrdup(e ? e->status : "unknown");
	if (storyfile_locate(root, s ? s->file : NULL, out->story, &out->story_file,
			     &out->file_note, &out->warnings) == 0 &&
	    storyfile_status(out->story_file, &out->story_file_status) == 0)
		file_done = contract_says_done(c, out->story_file_status, true);
	if (!out->story_file_status)
		out->story_file_status = xstrdup("unknown");
	sprint_done = e && contract_says_done(c, e->status, false);

	/* the story file must not overrule a code review that said "not done" */
	if (file_done && !sprint_done) {
		char *comment = e ? review_comment(s, e) : NULL;
		int open = storyfile_open_findings(out->story_file);

		if (comment)
			out->why = xstrfmt("sprint-status comment: %s", comment);
		else if (open > 0)
			out->why = xstrfmt("%d unchecked review finding%s in the story file", open,
					   open == 1 ? "" : "s");
		free(comment);
		if (out->why)
			file_done = false;
	}

	for (size_t i = 0; !out->verified && i < c->nsources; i++) {
		if (c->sources[i] == VERIFY_SOURCE_SPRINT_STATUS && sprint_done) {
			out->verified = true;
			out->source = verify_source_name(VERIFY_SOURCE_SPRINT_STATUS);
		} else if (c->sources[i] == VERIFY_SOURCE_STORY_FILE && file_done) {
			out->verified = true;
			out->source = verify_source_name(VERIFY_SOURCE_STORY_FILE);
			if (!sprint_done)
				out->note = "sprint_status_not_updated";
		}
	}
	if (!out->verified)
		out->reason = out->why ? "review_says_not_done" : "workflow_not_complete";
	return 0;
}

int verify_review_status_with(const char *root, const char *status_file, const char *story_key,
			      const struct verify_contract *given, struct verify_review *out,
			      char **cause)
{
	struct verify_contract c;
	struct bmad_status *s = NULL;
	struct storykey k;
	char *spath;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	verify_contract_init(&c);
	if (storykey_parse(story_key, &k) < 0) {
		*cause = xstrfmt("invalid story key '%s'", story_key);
		goto out;
	}
	if (!given) {
		verify_contract_release(&c);
		if (verify_contract_load(root, &c, cause) < 0)
			goto out;
	}
	spath = verify_status_path(root, status_file);
	if (spath && verify_load_status(spath, &s, cause) < 0) {
		free(spath);
		goto out;
	}
	free(spath);
	ret = verify_review_check(root, s, story_key, given ? given : &c, out);
	bmad_status_free(s);
out:
	verify_contract_release(&c);
	return ret;
}

int verify_review_status(const char *root, const char *status_file, const char *story_key,
			 struct verify_review *out, char **cause)
{
	return verify_review_status_with(root, status_file, story_key, NULL, out, cause);
}

int verify_contract_from(const struct strvec *sources, const struct strvec *done,
			 struct verify_contract *c, char **cause)
{
	verify_contract_init(c);
	if (sources && sources->n) {
		c->nsources = 0;
		for (size_t i = 0; i < sources->n; i++) {
			enum verify_source src;

			if (!strcmp(sources->v[i], verify_source_name(VERIFY_SOURCE_SPRINT_STATUS)))
				src = VERIFY_SOURCE_SPRINT_STATUS;
			else if (!strcmp(sources->v[i],
					 verify_source_name(VERIFY_SOURCE_STORY_FILE)))
				src = VERIFY_SOURCE_STORY_FILE;
			else {
				*cause = xstrfmt("unknown review source '%s' (expected "
						 "sprint-status.yaml or story-file)",
						 sources->v[i]);
				return -1;
			}
			for (size_t j = 0; j < c->nsources; j++) {
				if (c->sources[j] == src) {
					*cause = xstrfmt("review source '%s' given twice",
							 sources->v[i]);
					return -1;
				}
			}
			c->sources[c->nsources++] = src;
		}
	}
	if (done && done->n) {
		strvec_release(&c->done);
		for (size_t i = 0; i < done->n; i++)
			strvec_push(&c->done, done->v[i]);
	}
	return 0;
}

json_t *verify_review_object(const struct verify_review *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "verified", json_boolean(r->verified));
	json_object_set_new(o, "story", json_string(r->story));
	json_object_set_new(o, "sprint_status", json_string(r->sprint_status));
	json_object_set_new(o, "story_file_status", json_string(r->story_file_status));
	if (r->source)
		json_object_set_new(o, "source", json_string(r->source));
	if (r->note)
		json_object_set_new(o, "note", json_string(r->note));
	if (r->file_note)
		json_object_set_new(o, r->note ? "story_file_note" : "note",
				    json_string(r->file_note));
	if (r->reason)
		json_object_set_new(o, "reason", json_string(r->reason));
	if (r->why)
		json_object_set_new(o, "why", json_string(r->why));
	return o;
}

char *verify_review_json(const struct verify_review *r)
{
	return verify_dump(verify_review_object(r));
}
