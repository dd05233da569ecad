/* SPDX-License-Identifier: MIT */
/*
 * run_resume.c: `automator resume`: the run rebuilt from its story rows and
 * journal, and every side effect whose intent was journaled but not known
 * to have finished redone idempotently.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bmad.h"
#include "bmadinstall.h"
#include "clock.h"
#include "config.h"
#include "fsm.h"
#include "gitx.h"
#include "judge.h"
#include "notify.h"
#include "preflight.h"
#include "project.h"
#include "run.h"
#include "recover.h"
#include "run_int.h"
#include "runner.h"
#include "statusedit.h"
#include "storykey.h"
#include "store.h"
#include "strmap.h"
#include "template.h"
#include "tmx.h"
#include "util.h"
#include "verify.h"

static int action_index(const char *name)
{
	for (int i = 1; i < SA__COUNT; i++)
		if (!strcmp(fsm_story.action_names[i], name))
			return i;
	return -1;
}

struct replay {
	struct run *r;
};

/* The agent preset a story starts with: run --agent, else its own, else the sprint's. */
const char *run__base_agent(const struct run *r, const struct story *cfg)
{
	if (r->opts.agent)
		return r->opts.agent;
	return cfg->agent ? cfg->agent : r->sp->agent;
}

/* Restores what the journal knows beyond the story rows: snapshots, agents. */
static int replay_entry(const struct store_journal_entry *e, void *arg)
{
	struct replay *rp = arg;
	struct run *r = rp->r;
	json_t *o, *snap, *v;
	int i;
	size_t k;

	if (!e->story_id || (i = sprint_find_story(r->sp, e->story_id)) < 0)
		return 0;
	/*
	 * a side effect is complete once a later transition of its story is
	 * journaled: one left pending by a kill between the two writes is
	 * finished here, as fire would have
	 */
	if (r->s[i].pending_seq && r->s[i].pending_seq != e->seq) {
		store_intent_finish(r->st, r->s[i].pending_seq, true, NULL, NULL);
		r->s[i].pending_seq = 0;
	}
	if (e->intent_status == STORE_INTENT_PENDING && e->machine && !strcmp(e->machine, "story"))
		r->s[i].pending_seq = e->seq;
	if (!e->intent)
		return 0;
	o = json_loads(e->intent, 0, NULL);
	if (!o)
		return 0;
	if (e->action && !strcmp(e->action, "BEGIN_STORY")) {
		strvec_release(&r->s[i].snapshot);
		snap = json_object_get(o, "snapshot");
		json_array_foreach(snap, k, v) strvec_push(&r->s[i].snapshot, json_string_value(v));
		r->s[i].agent = run__base_agent(r, r->s[i].cfg);
	}
	if (e->action && !strcmp(e->action, "FALLBACK_RETRY") &&
	    json_is_string(json_object_get(o, "agent"))) {
		const struct agent *a =
			agents_find(r->sp->agents, json_string_value(json_object_get(o, "agent")));

		if (a)
			r->s[i].agent = a->name;
	}
	/* the wait as journaled: a resume waits for the same reset even when
	 * the process died before the story's row recorded it */
	if (e->action &&
	    (!strcmp(e->action, "WAIT") || !strcmp(e->action, "BACKOFF_RETRY") ||
	     !strcmp(e->action, "ESCALATE_USAGE_LIMIT")) &&
	    json_is_string(json_object_get(o, "until"))) {
		r->s[i].wait_until =
			clock_iso_seconds(json_string_value(json_object_get(o, "until")));
		r->s[i].wait_reason =
			wait_reason_from_name(json_string_value(json_object_get(o, "reason")));
	} else if (e->action && strcmp(e->action, "WAIT") && strcmp(e->action, "BACKOFF_RETRY")) {
		/* the wait is over once anything else was done */
		r->s[i].wait_until = 0;
	}
	json_decref(o);
	return 0;
}

static int replay_run_entry(const struct store_journal_entry *e, void *arg)
{
	struct run *r = arg;

	if (e->story_id)
		return 0;
	if (r->pending_seq && r->pending_seq != e->seq) {
		store_intent_finish(r->st, r->pending_seq, true, NULL, NULL);
		r->pending_seq = 0;
	}
	if (e->intent_status == STORE_INTENT_PENDING)
		r->pending_seq = e->seq;
	return 0;
}

/* The journal row seq's action name, newly allocated (NULL when none). */
/* The pending intents of a run: journal seq and action name, in seq order. */
struct pending {
	struct pending_one {
		int64_t seq;
		char *action;
	} * v;
	size_t n, cap;
};

static int collect_pending(const struct store_journal_entry *e, void *arg)
{
	struct pending *p = arg;

	if (!e->action)
		return 0;
	ALLOC_GROW(p->v, p->n + 1, p->cap);
	p->v[p->n].seq = e->seq;
	p->v[p->n++].action = xstrdup(e->action);
	return 0;
}

/* The action of pending intent seq, or NULL. */
static const char *pending_action(const struct pending *p, int64_t seq)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].seq == seq)
			return p->v[i].action;
	return NULL;
}

struct stale_ctx {
	struct run *r;
	struct strmap ids;   /* story id -> index */
	struct strvec names; /* tmux names of attempts the stories have left (owned) */
	struct strmap stale; /* the same names, keys borrowed from names */
};

static int collect_stale(const struct store_session *ss, void *arg)
{
	struct stale_ctx *c = arg;
	const struct rstory *s;
	const struct step *st;
	size_t i;

	if (!strmap_get(&c->ids, ss->story_id, strlen(ss->story_id), &i))
		return 0;
	s = &c->r->s[i];
	st = run__cur_step(c->r, s);
	/* the attempt the story is at keeps its session (a reply may be typed into it) */
	if (!run__story_final(s) && st && !strcmp(st->name, ss->step) && s->attempt == ss->attempt)
		return 0;
	/* the row is the store's only during this call: keep a copy */
	strvec_push(&c->names, ss->tmux_name);
	return 0;
}

/*
 * Sessions of attempts this run's stories have left that tmux still has:
 * the verdict was journaled, then the process killed before the kill that
 * follows it (journal first). Killed now, so that no agent of an old
 * attempt keeps working beside the new one.
 */
static void kill_stale_sessions(struct run *r)
{
	struct stale_ctx c = { r, STRMAP_INIT, STRVEC_INIT, STRMAP_INIT };
	struct strvec live = STRVEC_INIT;
	char *prefix = xstrfmt("au-%s-", r->pj.slug);

	for (size_t i = 0; i < r->n; i++)
		strmap_put(&c.ids, r->s[i].cfg->id, strlen(r->s[i].cfg->id), i, NULL);
	store_sessions_foreach(r->st, r->id, collect_stale, &c, NULL);
	for (size_t i = 0; i < c.names.n; i++)
		strmap_put(&c.stale, c.names.v[i], strlen(c.names.v[i]), i, NULL);
	if (c.stale.n)
		tmx_list_sessions(&r->tmx, prefix, &live, NULL);
	for (size_t i = 0; i < live.n; i++) {
		size_t v;

		if (strmap_get(&c.stale, live.v[i], strlen(live.v[i]), &v)) {
			run__say(r, "killing %s: an attempt its story has left", live.v[i]);
			run__kill_session(r, live.v[i]);
		}
	}
	run__kills_start(r);
	strvec_release(&live);
	strmap_release(&c.ids);
	strmap_release(&c.stale);
	strvec_release(&c.names);
	free(prefix);
}

/*
 * Redoes, idempotently, the side effect whose intent was journaled but not
 * known to have finished: spawn or re-attach a session, re-run a verifier,
 * commit (or find the commit made before the crash), re-queue a step.
 */
int run__a_reattach(void *ctx)
{
	struct run *r = ctx;
	struct pending pend = { 0 };

	/* one pass over the pending intents, not one over the journal per story */
	store_pending_intents(r->st, r->id, collect_pending, &pend, NULL);
	for (size_t i = 0; i < r->n && !r->fatal; i++) {
		struct rstory *s = &r->s[i];
		const char *action;
		int a;

		if (!s->pending_seq || !(action = pending_action(&pend, s->pending_seq)))
			continue;
		a = action_index(action);
		run__say(r, "%-6s resuming %s in %s", s->cfg->id, action,
			 fsm_story.state_names[s->state]);
		r->cur = (int)i;
		if (run__story_final(s)) {
			/*
			 * Killed between the final transition and its side effect
			 * (the sprint-status set to done, say): redo it; no later
			 * transition will mark the intent finished, so do it here.
			 */
			if (a == SA_MARK_DONE || a == SA_CLOSE_STORY)
				run__story_actions[a](r);
			store_intent_finish(r->st, s->pending_seq, true, NULL, NULL);
			s->pending_seq = 0;
			continue;
		}
		if (a == SA_VERIFY_STEP || a == SA_RESUME_SESSION) {
			/* the session of this attempt ran before: look at it again */
			run__story_actions[SA_RUN_SESSION](r);
			if (a == SA_VERIFY_STEP && s->sess) {
				runner_read_exit(s->sess->exit_path, &s->sess->exit, NULL);
				s->sess->exited = true;
				s->sess->ended = true;
				/* judged before the kill: the kill that was to follow */
				run__kill_session(r, s->sess->name);
			}
		}
		if (a > 0 && run__story_actions[a] && a != SA_RESUME_SESSION)
			run__story_actions[a](r);
		run__drain(r);
	}
	r->cur = -1;
	for (size_t i = 0; i < pend.n; i++)
		free(pend.v[i].action);
	free(pend.v);
	kill_stale_sessions(r);
	/* killed after the last story ended but before the run did */
	run__check_all_final(r);
	return 0;
}

/*
 * The sprint of a run being resumed. A BMAD sprint-status is read with
 * every story (as --include-status '*'): which stories belong to the run is
 * what the run recorded, not what the file queues now (a story the run
 * started with --include-status, or one its review already marked done
 * before it was committed).
 */
static int load_sprint(const char *path, struct sprint **out)
{
	struct diags d = DIAGS_INIT;
	struct strvec every = STRVEC_INIT;
	int rc;

	strvec_push(&every, "*");
	rc = sprint_load_with(path, &every, out, &d);
	strvec_release(&every);
	if (rc < 0) {
		diags_sort(&d);
		diags_print(&d, stderr, isatty(STDERR_FILENO));
		diags_release(&d);
		return EXIT_DATAERR;
	}
	diags_release(&d);
	return 0;
}

static int restore_story(const struct store_story *st, void *arg)
{
	struct run *r = arg;
	int i = sprint_find_story(r->sp, st->story_id);

	if (i < 0)
		return 0;
	r->s[i].outside = false;
	for (int k = 0; k < SS__COUNT; k++)
		if (!strcmp(fsm_story.state_names[k], st->state))
			r->s[i].state = k;
	r->s[i].step_index = st->step_index;
	r->s[i].attempt = st->attempt ? st->attempt : 1;
	r->s[i].cycle = st->cycle ? st->cycle : 1;
	r->s[i].retries_used = st->retries_used;
	r->s[i].crash_retries_used = st->crash_retries_used;
	free(r->s[i].base_commit);
	r->s[i].base_commit = st->base_commit ? xstrdup(st->base_commit) : NULL;
	return 0;
}

/* Says why the journal cannot be read (cause, freed) and what to do; the exit status. */
static int journal_unreadable(const char *root, const char *db, char *cause)
{
	enum store_fault f = store_last_fault();
	int rc = EXIT_SOFTWARE;

	if (f == STORE_FAULT_DAMAGED || f == STORE_FAULT_IO) {
		recover_advice(stderr, "automator", root, cause);
		rc = EXIT_IOERR;
	} else {
		fprintf(stderr, "automator: %s: %s\n", db, cause);
	}
	free(cause);
	return rc;
}

/* How long a resume waits for a git that works in the project. */
#define GIT_IDLE_WAIT_MS 10000

int run_resume(const struct run_opts *o)
{
	struct run *r = run__new();
	char *root = project_find_state(), *db = NULL, *cause = NULL, *id = NULL;
	struct store_run rec = { 0 };
	struct replay rp = { r };
	struct store *peek = NULL;
	struct preflight pf = PREFLIGHT_INIT;
	const char **agents = NULL;
	bool *selected = NULL;
	int rc, lrc = 1;

	r->opts = *o;
	if (!root) {
		fprintf(stderr, "automator: no automator project here (no .automator/state.db "
				"in this directory or above)\n");
		rc = EXIT_USAGE;
		goto out;
	}
	db = path_join(root, ".automator/state.db");
	if (store_open(db, &peek, &cause) < 0 ||
	    (!o->run_id && (lrc = store_run_latest_unfinished(peek, &id, &cause)) < 0)) {
		rc = journal_unreadable(root, db, cause);
		goto out;
	}
	if (o->run_id) {
		id = xstrdup(o->run_id);
	} else if (lrc != 0) {
		char *any = NULL;

		free(cause);
		cause = NULL;
		if (recover_marker_orphaned(root, peek)) {
			/* a run was live, yet the journal knows no unfinished run */
			recover_advice(
				stderr, "automator", root,
				"the marker .automator/active says a run was in progress, but "
				"the journal has no unfinished run: its last writes are lost "
				"(was .automator/state.db-wal removed?)");
			rc = EXIT_IOERR;
			goto out;
		}
		if (store_run_latest(peek, &any, &cause) == 0)
			fprintf(stderr,
				"automator: nothing to resume: every run of this project is "
				"finished (the latest: %s)\n",
				any);
		else
			fprintf(stderr, "automator: nothing to resume: no run of this project was "
					"recorded (start one with: automator run SPRINT)\n");
		free(any);
		free(cause);
		rc = EXIT_NEGATIVE;
		goto out;
	}
	if (store_run_get(peek, id, &rec, &cause) != 0) {
		fprintf(stderr, "automator: no run '%s' (automator runs lists them)\n", id);
		free(cause);
		rc = EXIT_NEGATIVE; /* not found */
		goto out;
	}
	store_close(peek);
	peek = NULL;
	/*
	 * A git the killed run's integration started may still be writing the
	 * tree (the sprint-status among it): read nothing before it is done
	 */
	if (gitx_wait_idle(root, 0) == 1) {
		fprintf(stderr, "automator: waiting for a git that works in the project "
				"(one the stopped run started?)\n");
		if (gitx_wait_idle(root, GIT_IDLE_WAIT_MS) == 1)
			fprintf(stderr,
				"automator: a git still works in the project after %d s: "
				"going on\n",
				GIT_IDLE_WAIT_MS / 1000);
	}
	if ((rc = load_sprint(rec.sprint_file, &r->sp)) != 0)
		goto out;
	/* started with --agent NAME: every story runs with it again */
	if (rec.agent && !agents_find(r->sp->agents, rec.agent)) {
		fprintf(stderr,
			"automator: the run was started with --agent %s, which is no "
			"longer an agent preset\n",
			rec.agent);
		rc = EXIT_DATAERR;
		goto out;
	}
	r->opts.agent = rec.agent;
	r->max_parallel = o->max_parallel > 0 ? o->max_parallel : r->sp->max_parallel;
	run__build_stories(r);
	/* as the run started: a target was journaled for worktrees, none for the shared tree */
	r->sp->isolation = rec.target ? ISOLATION_WORKTREE : ISOLATION_SHARED;
	if ((rc = run__open_project(r)) != 0 || (rc = run__worktrees_init(r, rec.target)) != 0)
		goto out;
	run__clear_git_locks(r);
	r->id = xstrdup(id);
	r->logdir = project_logdir(&r->pj, r->id);
	/* spec and exit records a killed process was writing */
	dead_tmp_files_remove(r->logdir);
	for (int k = 0; k < RS__COUNT; k++)
		if (!strcmp(fsm_run.state_names[k], rec.state))
			r->state = k;
	if (fsm_is_terminal(&fsm_run, r->state)) {
		fprintf(stderr, "automator: run %s is %s\n", r->id, rec.state);
		rc = EXIT_NEGATIVE;
		goto out;
	}
	/* stories not recorded in the run were not selected (restore_story takes the rest) */
	for (size_t i = 0; i < r->n; i++) {
		r->s[i].state = SS_SKIPPED;
		r->s[i].outside = true;
	}
	if (store_stories_foreach(r->st, r->id, restore_story, r, &cause) < 0 ||
	    store_journal_foreach(r->st, r->id, replay_entry, &rp, &cause) < 0 ||
	    store_journal_foreach(r->st, r->id, replay_run_entry, r, &cause) < 0) {
		run__fail_fatal(r, "cannot read the run's journal", cause);
		rc = EXIT_SOFTWARE;
		goto out;
	}
	if (store_escalations_foreach(r->st, r->id, true, run__restore_escalation, r, &cause) < 0) {
		run__fail_fatal(r, "cannot read the run's escalations", cause);
		rc = EXIT_SOFTWARE;
		goto out;
	}
	/* stories outside the run that are done by now satisfy what depends on them */
	run__done_before(r, r->status_file, false);
	/* waits go on until the same reset; usage and raised budgets carry over */
	run__waits_restore(r);
	/* before the first write to the run: what its unfinished stories need */
	selected = xcalloc(r->n + 1, sizeof(*selected));
	agents = xcalloc(r->n + 1, sizeof(*agents));
	for (size_t i = 0; i < r->n; i++) {
		selected[i] =
			r->s[i].state != SS_SKIPPED && !fsm_is_terminal(&fsm_story, r->s[i].state);
		agents[i] = r->s[i].agent;
	}
	preflight_check_agents(r->sp, agents, selected, &pf);
	preflight_print(&pf, stderr, "automator", false);
	if (pf.errors) {
		rc = EXIT_UNAVAILABLE;
		goto out;
	}
	store_run_set_pid(r->st, r->id, getpid(), NULL);
	r->started_wall = clock_wall();
	run__say(r, "resuming run %s (%s)", r->id, rec.state);
	run__register(r);
	run__events_open(r);
	if (r->state == RS_INITIALIZING)
		run__queue(r, -1, RE_LOADED);
	if (r->state == RS_INITIALIZING || r->state == RS_READY)
		run__queue(r, -1, RE_START);
	else if (r->state == RS_IN_PROGRESS || r->state == RS_PAUSED)
		run__queue(r, -1, RE_RESUME);
	if (r->state == RS_EXECUTION_COMPLETE)
		run__queue(r, -1, RE_FINALIZED);
	if (r->state == RS_IN_PROGRESS)
		run__write_marker(r);
	else
		project_marker_remove(&r->pj);
	for (size_t i = 0; i < r->n; i++)
		if (r->s[i].esc_id)
			run__show_escalation(r, &r->s[i]);
	rc = run__loop(r);
	/* the marker says a live process works on the run: none does now, whatever the exit */
	project_marker_remove(&r->pj);
out:
	free(selected);
	free(agents);
	preflight_release(&pf);
	store_close(peek);
	store_run_release(&rec);
	free(root);
	free(db);
	free(id);
	run__free(r);
	return rc;
}
