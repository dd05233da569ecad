/* SPDX-License-Identifier: MIT */
/*
 * run_plan.c: `automator run --dry-run`: the plan of a run that is not
 * started. The stories queued in dependency waves (a wave starts once the
 * waves before it are done; stories done before and those not selected
 * count as done), each story's agent and its workflow's steps (with the
 * agent a step names), what was skipped and why, and what preflight found;
 * as text, or as one JSON object (--json). Writes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jsonw.h"
#include "preflight.h"
#include "run_int.h"
#include "util.h"

/* wave[i]: 1 + the highest wave of the queued stories i depends on; 0: not queued. */
static int *waves(struct run *r, int *nwaves)
{
	int *w = xcalloc(r->n + 1, sizeof(*w));
	bool moved = true;

	*nwaves = 0;
	for (size_t i = 0; i < r->n; i++)
		w[i] = r->s[i].state == SS_PENDING ? 1 : 0;
	/* at most n rounds: the sprint loader refuses dependency cycles */
	for (size_t round = 0; moved && round <= r->n; round++) {
		moved = false;
		for (size_t i = 0; i < r->n; i++) {
			const struct story *c = r->s[i].cfg;

			if (!w[i])
				continue;
			for (size_t k = 0; c->dep_index && k < c->depends.n; k++) {
				size_t d = c->dep_index[k];

				if (d < r->n && w[d] && w[d] + 1 > w[i]) {
					w[i] = w[d] + 1;
					moved = true;
				}
			}
		}
	}
	for (size_t i = 0; i < r->n; i++)
		if (w[i] > *nwaves)
			*nwaves = w[i];
	return w;
}

/* The preset a step runs; NULL for commit and verify steps, which run no agent. */
static const char *step_agent(const struct step *st, const char *story_agent)
{
	if (st->kind != STEP_SESSION && st->kind != STEP_REVIEW)
		return NULL;
	return st->agent ? st->agent : story_agent;
}

static void plan_text(struct run *r, const int *w, int nwaves, const struct preflight *pf)
{
	const struct workflow *wf = r->sp->workflow;

	printf("project %s at %s, workflow %s, max_parallel %d, isolation %s\n", r->sp->project,
	       r->sp->root, wf->name, r->max_parallel,
	       r->sp->isolation == ISOLATION_SHARED ? "shared" : "worktree");
	printf("steps:");
	for (size_t k = 0; k < wf->nsteps; k++)
		printf(" %s%s(%s)", k ? "→ " : "", wf->steps[k].name,
		       step_kind_name(wf->steps[k].kind));
	putchar('\n');
	for (int wave = 1; wave <= nwaves; wave++) {
		printf("wave %d:\n", wave);
		for (size_t i = 0; i < r->n; i++) {
			const struct story *c = r->s[i].cfg;

			if (w[i] != wave)
				continue;
			printf("  %-8s %-10s %s", c->id, r->s[i].agent, c->title);
			if (c->depends.n) {
				printf("  (after");
				for (size_t k = 0; k < c->depends.n; k++)
					printf(" %s", c->depends.v[k]);
				putchar(')');
			}
			for (size_t k = 0; k < wf->nsteps; k++)
				if (wf->steps[k].agent && strcmp(wf->steps[k].agent, r->s[i].agent))
					printf("  [%s: %s]", wf->steps[k].name, wf->steps[k].agent);
			putchar('\n');
		}
	}
	if (r->sp->nskipped) {
		int width = 0;

		for (size_t i = 0; i < r->sp->nskipped; i++)
			if ((int)strlen(r->sp->skipped[i].key) > width)
				width = (int)strlen(r->sp->skipped[i].key);
		printf("skipped:\n");
		for (size_t i = 0; i < r->sp->nskipped; i++)
			printf("  %-*s  %s\n", width > 40 ? 40 : width, r->sp->skipped[i].key,
			       r->sp->skipped[i].reason);
	}
	printf("preflight: %s\n", pf->n == 0   ? "nothing to fix"
				  : pf->errors ? "errors (below)"
					       : "warnings (below)");
	fflush(stdout);
	preflight_print(pf, stderr, "automator", false);
}

static void plan_json(struct run *r, const int *w, int nwaves, const struct preflight *pf)
{
	const struct workflow *wf = r->sp->workflow;
	struct jsonw j = { BUF_INIT, 0, { false }, { 0 } };

	jsonw_obj(&j, NULL);
	jsonw_str(&j, "project", r->sp->project);
	jsonw_str(&j, "root", r->sp->root);
	jsonw_str(&j, "sprint", r->sp->file);
	jsonw_str(&j, "workflow", wf->name);
	jsonw_int(&j, "max_parallel", r->max_parallel);
	jsonw_str(&j, "isolation", r->sp->isolation == ISOLATION_SHARED ? "shared" : "worktree");
	jsonw_arr(&j, "steps");
	for (size_t k = 0; k < wf->nsteps; k++) {
		jsonw_obj(&j, NULL);
		jsonw_str(&j, "name", wf->steps[k].name);
		jsonw_str(&j, "kind", step_kind_name(wf->steps[k].kind));
		jsonw_str(&j, "agent", wf->steps[k].agent);
		jsonw_end(&j);
	}
	jsonw_end(&j);
	jsonw_arr(&j, "waves");
	for (int wave = 1; wave <= nwaves; wave++) {
		jsonw_arr(&j, NULL);
		for (size_t i = 0; i < r->n; i++)
			if (w[i] == wave)
				jsonw_str(&j, NULL, r->s[i].cfg->id);
		jsonw_end(&j);
	}
	jsonw_end(&j);
	jsonw_arr(&j, "stories");
	for (size_t i = 0; i < r->n; i++) {
		const struct story *c = r->s[i].cfg;

		if (!w[i])
			continue;
		jsonw_obj(&j, NULL);
		jsonw_str(&j, "id", c->id);
		jsonw_str(&j, "key", c->key);
		jsonw_str(&j, "title", c->title);
		jsonw_str(&j, "agent", r->s[i].agent);
		jsonw_int(&j, "wave", w[i]);
		jsonw_arr(&j, "depends_on");
		for (size_t k = 0; k < c->depends.n; k++)
			jsonw_str(&j, NULL, c->depends.v[k]);
		jsonw_end(&j);
		jsonw_arr(&j, "steps");
		for (size_t k = 0; k < wf->nsteps; k++) {
			jsonw_obj(&j, NULL);
			jsonw_str(&j, "name", wf->steps[k].name);
			jsonw_str(&j, "agent", step_agent(&wf->steps[k], r->s[i].agent));
			jsonw_end(&j);
		}
		jsonw_end(&j);
		jsonw_end(&j);
	}
	jsonw_end(&j);
	jsonw_arr(&j, "skipped");
	for (size_t i = 0; i < r->sp->nskipped; i++) {
		jsonw_obj(&j, NULL);
		jsonw_str(&j, "key", r->sp->skipped[i].key);
		jsonw_str(&j, "status", r->sp->skipped[i].status);
		jsonw_str(&j, "reason", r->sp->skipped[i].reason);
		jsonw_end(&j);
	}
	jsonw_end(&j);
	jsonw_arr(&j, "preflight");
	for (size_t i = 0; i < pf->n; i++) {
		jsonw_obj(&j, NULL);
		jsonw_str(&j, "severity",
			  pf->v[i].severity == PREFLIGHT_ERROR ? "error" : "warning");
		jsonw_str(&j, "message", pf->v[i].message);
		jsonw_str(&j, "hint", pf->v[i].hint);
		jsonw_end(&j);
	}
	jsonw_end(&j);
	jsonw_end(&j);
	printf("%s\n", buf_str(&j.b));
	buf_release(&j.b);
	fflush(stdout);
}

int run__plan(struct run *r, const struct preflight *pf, bool json)
{
	int nwaves, *w = waves(r, &nwaves);

	if (json)
		plan_json(r, w, nwaves, pf);
	else
		plan_text(r, w, nwaves, pf);
	free(w);
	return pf->errors ? EXIT_UNAVAILABLE : EXIT_OK;
}
