/* SPDX-License-Identifier: MIT */
/*
 * run_done.c: work done before the run. A story is done already when the
 * sprint-status says `done` for it, or a commit reachable from HEAD
 * carries its `Automator-Story: RUN/ID` trailer (a story automator
 * committed in an earlier run; with integrate: none, on its branch) and
 * the sprint-status does not say otherwise: a story set back to another status there is to be done again
 * (it still satisfies stories outside the run that depend on it). Such a
 * story is not run again: it is left out of the run (not recorded, not in
 * the exit status), and stories that depend on it may start. May read the
 * sprint-status and ask git; must not write anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bmad.h"
#include "gitx.h"
#include "run_int.h"
#include "util.h"

/*
 * Story ids of the Automator-Story trailers ("RUN/ID" -> "ID") from HEAD,
 * or from the branches matching glob.
 */
static void committed_ids(struct run *r, const char *glob, struct strvec *ids)
{
	struct strvec vals = STRVEC_INIT;
	char *cause = NULL;

	if (gitx_trailer_values(r->sp->root, "Automator-Story", glob, &vals, &cause) < 0) {
		/* git cannot tell: only the sprint-status counts */
		fprintf(stderr, "automator: warning: cannot read earlier commits: %s\n", cause);
		free(cause);
	}
	for (size_t i = 0; i < vals.n; i++) {
		const char *slash = strrchr(vals.v[i], '/');

		strvec_push(ids, slash ? slash + 1 : vals.v[i]);
	}
	strvec_release(&vals);
}

static bool has(const struct strvec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return true;
	return false;
}

/*
 * Why story s counts as done already, or NULL. A commit of an earlier run
 * counts unless the sprint-status gives the story another status (to run:
 * the selected stories); for a dependency outside the run it always does.
 */
static const char *done_why(const struct rstory *s, struct bmad_status *bs,
			    const struct strvec *committed, const struct strvec *on_branch)
{
	const struct bmad_entry *e =
		bs ? bmad_status_find(bs, s->cfg->key ? s->cfg->key : s->cfg->id) : NULL;

	if (e && (bmad_status_is_done(e->status) || !strcmp(e->status, "done")))
		return "done in the sprint-status";
	/* integrate: none: the sprint-status the user has is not ours to set */
	if (has(on_branch, s->cfg->id))
		return "committed on its branch, not integrated (integrate: none)";
	if (e && !s->outside)
		return NULL;
	if (has(committed, s->cfg->id))
		return "committed by an earlier run";
	return NULL;
}

size_t run__done_before(struct run *r, const char *status_file, bool starting)
{
	struct strvec committed = STRVEC_INIT, on_branch = STRVEC_INIT;
	struct bmad_status *bs = NULL;
	struct diags d = DIAGS_INIT;
	size_t n = 0;

	if (status_file && bmad_status_load(status_file, &bs, &d) < 0)
		bs = NULL; /* unreadable now: the run says so where it uses it */
	diags_release(&d);
	committed_ids(r, NULL, &committed);
	if (r->sp->isolation == ISOLATION_WORKTREE && r->sp->integrate == INTEGRATE_NONE) {
		char *glob =
			xstrfmt("%s*", r->sp->branch_prefix ? r->sp->branch_prefix : "automator/");

		committed_ids(r, glob, &on_branch);
		free(glob);
	}
	for (size_t i = 0; i < r->n; i++) {
		struct rstory *s = &r->s[i];
		const char *why;

		if (!(s->outside && s->state == SS_SKIPPED) &&
		    !(starting && s->state == SS_PENDING))
			continue;
		why = done_why(s, bs, &committed, &on_branch);
		if (!why)
			continue;
		if (starting && !s->outside)
			printf("%-6s done already (%s): not run again\n", s->cfg->id, why);
		s->state = SS_DONE;
		s->outside = true;
		n++;
	}
	bmad_status_free(bs);
	strvec_release(&committed);
	strvec_release(&on_branch);
	return n;
}
