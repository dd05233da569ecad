/* SPDX-License-Identifier: MIT */
/*
 * config_bmadsprint.c: a BMAD sprint-status as a sprint: which stories are
 * queued (work left), which are skipped and why, and a sprint.yaml's
 * status_file keys and titles.
 * Must not start processes or write files.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bmad.h"
#include "config_int.h"
#include "shellwords.h"
#include "storykey.h"

/*
 * BMAD story statuses that mean "no work here now" (docs/bmad.md, "What is
 * queued"); a trailing '*' matches a prefix. The one list of them.
 */
static const char *const dormant_statuses[] = {
	"cancelled",  "canceled", "removed",    "on-hold", "deferred",
	"superseded", "obsolete", "moved-to-*", NULL,
};

/* status, its surrounding spaces ignored, equals word (any case; "x-*": a prefix). */
static bool status_is(const char *status, const char *word)
{
	size_t n, wn = strlen(word);
	bool prefix = wn && word[wn - 1] == '*';

	while (*status == ' ' || *status == '\t')
		status++;
	n = strlen(status);
	while (n && (status[n - 1] == ' ' || status[n - 1] == '\t'))
		n--;
	while (wn && (word[0] == ' ' || word[0] == '\t')) {
		word++;
		wn--;
	}
	while (wn && (word[wn - 1] == ' ' || word[wn - 1] == '\t'))
		wn--;
	if (prefix)
		return n >= wn - 1 && !strncasecmp(status, word, wn - 1);
	return n == wn && !strncasecmp(status, word, n);
}

bool sprint_status_dormant(const char *status)
{
	if (!status)
		return false;
	for (size_t i = 0; dormant_statuses[i]; i++)
		if (status_is(status, dormant_statuses[i]))
			return true;
	return false;
}

bool sprint_status_listed(const char *status, const struct strvec *list)
{
	for (size_t i = 0; status && list && i < list->n; i++)
		if (list->v[i][0] && status_is(status, list->v[i]))
			return true;
	return false;
}

/* status without its surrounding spaces, newly allocated. */
static char *status_trimmed(const char *status)
{
	size_t n;

	while (*status == ' ' || *status == '\t')
		status++;
	n = strlen(status);
	while (n && (status[n - 1] == ' ' || status[n - 1] == '\t'))
		n--;
	return xstrndup(status, n);
}

static void add_skip(struct sprint *s, const struct bmad_entry *e, char *reason)
{
	struct sprint_skip *k = &s->skipped[s->nskipped++];

	k->key = xstrdup(e->key);
	k->status = xstrdup(e->status ? e->status : "");
	k->reason = reason;
	k->line = e->line;
}

/*
 * Stories from a BMAD sprint-status, in file order: every story key with
 * work left (not done, not dormant), and those whose status include names.
 * Epics, retrospectives and the rest are kept in s->skipped with a reason.
 */
static void stories_of(struct sprint *s, const struct bmad_status *st,
		       const struct strvec *include);

int cfg_bmad_stories(struct lctx *cx, struct sprint *s, const struct ydoc *doc,
		     const struct strvec *include)
{
	struct bmad_status *st;

	/* the file the sprint was loaded from, parsed once: the tree is the reader's */
	if (bmad_status_from_doc(s->file, doc, &st, cx->d) < 0) {
		cx->errors++;
		return -1;
	}
	stories_of(s, st, include);
	bmad_status_free(st);
	return 0;
}

int cfg_status_file_stories(struct lctx *cx, struct sprint *s, const struct strvec *include)
{
	char *path = path_join(s->root, s->status_file);
	struct bmad_status *st;
	int ret = 0;

	if (bmad_status_load(path, &st, cx->d) < 0) {
		cx->errors++;
		ret = -1;
	} else {
		stories_of(s, st, include);
		bmad_status_free(st);
		s->from_status = true;
	}
	free(path);
	return ret;
}

/* The stories of st that are work left (see cfg_bmad_stories) into s. */
static void stories_of(struct sprint *s, const struct bmad_status *st, const struct strvec *include)
{
	for (size_t i = 0; i < st->warnings.n; i++)
		strvec_push_nodup(&s->warnings, diag_format_warning(&st->warnings.v[i]));
	s->stories = xcalloc(st->n + 1, sizeof(*s->stories));
	s->skipped = xcalloc(st->n + 1, sizeof(*s->skipped));
	for (size_t i = 0; i < st->n; i++) {
		const struct bmad_entry *e = &st->v[i];
		const char *status = e->status ? e->status : "";
		struct story *sy;
		struct storykey k;

		if (e->kind != BMAD_STORY) {
			add_skip(s, e, xstrdup(e->kind == BMAD_EPIC ? "epic" : "retrospective"));
			continue;
		}
		if (!sprint_status_listed(status, include)) {
			if (bmad_status_is_done(status) || status_is(status, "done")) {
				add_skip(s, e, xstrdup("done"));
				continue;
			}
			if (sprint_status_dormant(status)) {
				char *t = status_trimmed(status);

				add_skip(s, e,
					 xstrfmt("%s (dormant status; --include-status %s to "
						 "queue it)",
						 t, t));
				free(t);
				continue;
			}
		}
		sy = &s->stories[s->nstories++];
		if (storykey_parse(e->key, &k) < 0)
			memset(&k, 0, sizeof(k));
		/* the short id, unless another story has it too (11-1-a-x, 11-1-b-y) */
		sy->id = xstrdup(k.numeric && bmad_status_match(st, k.id, NULL, 0) == 1 ? k.id
											: e->key);
		sy->key = xstrdup(e->key);
		sy->prefix = xstrdup(k.prefix[0] ? k.prefix : e->key);
		sy->epic = xstrdup(e->epic ? e->epic : "");
		sy->title = xstrdup(k.slug[0] ? k.slug : e->key);
		sy->status = xstrdup(status);
		sy->dep_index = xcalloc(1, sizeof(*sy->dep_index));
		sy->line = e->line;
		sy->col = e->col;
	}
}

/*
 * A sprint.yaml's status_file: each story named there (by any key form)
 * takes its full key from it and, without a title: of its own, the key's
 * slug as title. A file that cannot be read is a warning; nothing changes.
 */
void cfg_status_file_keys(struct sprint *s)
{
	struct diags sub = DIAGS_INIT;
	struct bmad_status *st;
	char *path = path_join(s->root, s->status_file);

	if (bmad_status_load(path, &st, &sub) < 0) {
		char *why = sub.n ? diag_format(&sub.v[0]) : xstrfmt("%s: cannot read", path);
		char *file = diag_escape(s->file), *named = diag_escape(s->status_file);

		strvec_push_nodup(&s->warnings, xstrfmt("%s: warning: status_file '%s' not used "
							"for story keys and "
							"titles: %s",
							file, named, why));
		free(file);
		free(named);
		free(why);
		diags_release(&sub);
		free(path);
		return;
	}
	diags_release(&sub);
	for (size_t i = 0; i < s->nstories; i++) {
		struct story *sy = &s->stories[i];
		const struct bmad_entry *e = bmad_status_find(st, sy->id);
		size_t plen = strlen(sy->prefix);

		if (!e || e->kind != BMAD_STORY || !strcmp(e->key, sy->key))
			continue;
		/* the title was defaulted to the id: the key's slug says more */
		if (!strcmp(sy->title, sy->id) && !strncmp(e->key, sy->prefix, plen) &&
		    e->key[plen] == '-' && e->key[plen + 1]) {
			free(sy->title);
			sy->title = xstrdup(e->key + plen + 1);
		}
		free(sy->key);
		sy->key = xstrdup(e->key);
	}
	bmad_status_free(st);
	free(path);
}
