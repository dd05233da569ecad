/* SPDX-License-Identifier: MIT */
/*
 * run_story.c: what the loop asks of a story between transitions: its
 * current step and retries, whether it is final or holds a max_parallel
 * slot, its events queued (verdicts ahead of the rest), the template
 * variables of its step, and its key as sprint-status spells it (the file
 * parsed once, again only when it changed). Journals nothing, starts
 * nothing; may call the config, fsm, template and bmad readers.
 */
#include <string.h>
#include <sys/stat.h>

#include "bmad.h"
#include "bmadinstall.h"
#include "config.h"
#include "fsm.h"
#include "run_int.h"
#include "template.h"
#include "util.h"

struct rstory *run__cur(struct run *r)
{
	return &r->s[r->cur];
}

const struct step *run__cur_step(struct run *r, const struct rstory *s)
{
	return workflow_step_at(r->sp->workflow, s->step_index);
}

int run__step_retries(struct run *r, const struct step *st)
{
	return st && st->retries >= 0 ? st->retries : r->sp->limits.crash_retries;
}

bool run__story_final(const struct rstory *s)
{
	return fsm_is_terminal(&fsm_story, s->state);
}

/*
 * The story holds a max_parallel slot. A WAITING story keeps its slot: its
 * work is half done in the shared working tree, so no other story may start
 * over it. So does an INTEGRATE one (its integration runs beside the loop):
 * a story after it starts from a target that holds its work.
 */
bool run__story_busy(const struct rstory *s)
{
	return s->state == SS_SPAWN || s->state == SS_REVIEW || s->state == SS_COMMIT ||
	       s->state == SS_VERIFY || s->state == SS_WAITING || s->state == SS_INTEGRATE;
}

int run__story_index(struct run *r, const struct rstory *s)
{
	return (int)(s - r->s);
}

void run__queue(struct run *r, int target, int event)
{
	if (fsm_queue_push(&r->q, target, event) < 0)
		xdie("out of memory (event queue)");
}

void run__queue_verdict(struct run *r, int target, int event)
{
	if (fsm_queue_has(&r->q, target)) {
		run__queue(r, target, event);
		return;
	}
	/* behind the verdicts queued before it, ahead of everything else */
	if (fsm_queue_insert(&r->q, r->verdicts_ahead, target, event) < 0)
		xdie("out of memory (event queue)");
	r->verdicts_ahead++;
}

/* The ENTER event of the story's current step, or STEPS_DONE. */
void run__queue_step(struct run *r, struct rstory *s)
{
	const struct step *st = run__cur_step(r, s);
	int ev = SE_STEPS_DONE;

	if (st) {
		switch (st->kind) {
		case STEP_SESSION:
			ev = SE_ENTER_SESSION;
			break;
		case STEP_REVIEW:
			ev = SE_ENTER_REVIEW;
			break;
		case STEP_COMMIT:
			ev = SE_ENTER_COMMIT;
			break;
		case STEP_VERIFY:
			ev = SE_ENTER_VERIFY;
			break;
		}
	}
	run__queue(r, run__story_index(r, s), ev);
}

void run__fill_vars(struct run *r, const struct rstory *s, struct tvars *v, char *num[2])
{
	const struct step *st = run__cur_step(r, s);

	num[0] = xstrfmt("%d", s->cycle);
	num[1] = xstrfmt("%d", s->attempt);
	memset(v, 0, sizeof(*v));
	tvars_set(v, "story.id", s->cfg->id);
	tvars_set(v, "story.key", s->cfg->key);
	tvars_set(v, "story.prefix", s->cfg->prefix);
	tvars_set(v, "story.title", s->cfg->title);
	tvars_set(v, "story.epic", s->cfg->epic);
	tvars_set(v, "step", st ? st->name : "");
	tvars_set(v, "cycle", num[0]);
	tvars_set(v, "attempt", num[1]);
	tvars_set(v, "root", run__story_root(r, s));
	tvars_set(v, "datadir", config_datadir());
	/* BMAD as installed in the project, where preflight found it */
	bmadinstall_set_vars(v, r->pj.root, agents_find(r->sp->agents, s->agent));
}

/*
 * The sprint-status as parsed, for the spelling of its keys: parsed once
 * and again only when the file changed (size, mtime or inode); a value
 * edit of ours changes no key and keeps the copy (run__status_edited).
 */
static struct bmad_status *status_doc(struct run *r)
{
	struct bmad_status *bs;
	struct diags d = DIAGS_INIT;
	struct stat st;

	if (!r->status_file || stat(r->status_file, &st) < 0)
		return NULL;
	if (r->status_doc && st.st_ino == r->status_st.st_ino &&
	    st.st_size == r->status_st.st_size &&
	    st.st_mtim.tv_sec == r->status_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == r->status_st.st_mtim.tv_nsec)
		return r->status_doc;
	bmad_status_free(r->status_doc);
	r->status_doc = NULL;
	if (bmad_status_load(r->status_file, &bs, &d) == 0) {
		r->status_doc = bs;
		r->status_st = st;
	}
	diags_release(&d);
	return r->status_doc;
}

void run__status_edited(struct run *r)
{
	if (r->status_doc && stat(r->status_file, &r->status_st) < 0) {
		bmad_status_free(r->status_doc);
		r->status_doc = NULL;
	}
}

/* The story's key as sprint-status spells it, when the file lists it. */
char *run__status_key(struct run *r, const struct rstory *s)
{
	struct bmad_status *bs = status_doc(r);
	const struct bmad_entry *e =
		bs ? bmad_status_find(bs, s->cfg->key ? s->cfg->key : s->cfg->id) : NULL;

	return xstrdup(e ? e->key : s->cfg->key);
}
