/* SPDX-License-Identifier: MIT */
/*
 * run_setup.c: a run set up: the project opened and locked, the stories
 * selected, `automator run` started (or planned with --dry-run).
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
#include "registry.h"
#include "run_int.h"
#include "runner.h"
#include "statusedit.h"
#include "storykey.h"
#include "store.h"
#include "template.h"
#include "tmx.h"
#include "util.h"
#include "verify.h"

struct run *run__new(void)
{
	struct run *r = xcalloc(1, sizeof(*r));

	r->cur = -1;
	r->pj.lock_fd = -1;
	return r;
}

void run__free(struct run *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		run__session_free(r->s[i].sess);
		free(r->s[i].base_commit);
		free(r->s[i].worktree);
		free(r->s[i].branch);
		free(r->s[i].note);
		free(r->s[i].esc_msg);
		strvec_release(&r->s[i].snapshot);
	}
	run__live_free(r);
	free(r->s);
	run__events_close(r);
	run__holds_free(r);
	fsm_queue_release(&r->q);
	store_close(r->st);
	/*
	 * Spawns kept the server up (exit-empty off); give it back while the
	 * lock is held: it exits now if no session is left, else with the last.
	 */
	if (r->tmx.socket && r->pj.lock_fd >= 0)
		tmx_server_done(&r->tmx);
	tmx_release(&r->tmx);
	project_release(&r->pj);
	sprint_free(r->sp);
	free(r->id);
	free(r->logdir);
	free(r->status_file);
	free(r->target);
	bmad_status_free(r->status_doc);
	free(r->notify_log);
	if (r->has_contract)
		verify_contract_release(&r->contract);
	free(r->pending_choice);
	buf_release(&r->inbuf);
	free(r);
}

/* Opens the project: tools present, .automator/ ready, lock taken, store open. */
void run__register(struct run *r)
{
	char *cause = NULL;

	/* `runs --all` and `watch` find the project there; the run goes on without it */
	if (registry_add(r->pj.root, r->id, &cause) < 0)
		run__say(r, "warning: cannot note the run in the registry of runs: %s", cause);
	free(cause);
}

int run__open_project(struct run *r)
{
	char *cause = NULL;
	long holder = 0;
	int rc;

	if (!tmx_available()) {
		fprintf(stderr, "automator: tmux is not installed (apt-get install tmux)\n");
		return EXIT_UNAVAILABLE;
	}
	if (!gitx_available()) {
		fprintf(stderr, "automator: git is not installed (apt-get install git)\n");
		return EXIT_UNAVAILABLE;
	}
	project_init(&r->pj, r->sp->root, r->sp->project);
	if (project_prepare(&r->pj, &cause) < 0) {
		fprintf(stderr, "automator: %s\n", cause);
		free(cause);
		return EXIT_SOFTWARE;
	}
	rc = project_lock(&r->pj, &holder, &cause);
	if (rc == 1) {
		fprintf(stderr,
			"automator: project %s is locked by another automator run (pid %ld)\n",
			r->pj.root, holder);
		return EXIT_TEMPFAIL;
	}
	if (rc < 0) {
		fprintf(stderr, "automator: %s\n", cause);
		free(cause);
		return EXIT_SOFTWARE;
	}
	if (store_open(r->pj.db, &r->st, &cause) < 0) {
		enum store_fault f = store_last_fault();

		if (f == STORE_FAULT_DAMAGED) {
			recover_advice(stderr, "automator", r->pj.root, cause);
			free(cause);
			return EXIT_IOERR;
		}
		fprintf(stderr, "automator: %s: %s\n", r->pj.db, cause);
		free(cause);
		if (f == STORE_FAULT_FULL || f == STORE_FAULT_IO) {
			fprintf(stderr, "  %s, then run it again\n",
				f == STORE_FAULT_FULL ? "the disk is full: free some space"
						      : "an I/O error: fix it");
			return EXIT_IOERR;
		}
		return EXIT_SOFTWARE;
	}
	tmx_init(&r->tmx, r->pj.socket);
	r->notify_log = path_join(r->pj.dir, "escalations.jsonl");
	if (r->sp->review_sources.n || r->sp->review_done.n) {
		/* checked when the sprint loaded; a failure here is a bug */
		if (verify_contract_from(&r->sp->review_sources, &r->sp->review_done, &r->contract,
					 &cause) < 0) {
			fprintf(stderr, "automator: %s\n", cause);
			free(cause);
			return EXIT_SOFTWARE;
		}
		r->has_contract = true;
	}
	r->interactive = !r->opts.no_input && isatty(STDIN_FILENO);
	r->status_file = run__status_path(r->sp);
	/* a sprint-status found (not named) is edited only inside the project */
	if (r->status_file && !r->sp->allow_outside) {
		char *real = realpath(r->status_file, NULL);

		if (real && !path_inside(r->pj.root, real)) {
			run__say(r,
				 "warning: %s is outside the project root after symlinks: its "
				 "statuses are not set (allow_outside: true in the sprint allows "
				 "it)",
				 r->status_file);
			free(r->status_file);
			bmad_status_free(r->status_doc);
			r->status_file = NULL;
		}
		free(real);
	}
	/* what a process killed inside a write left in the user's tree */
	gitx_remove_scratch(r->pj.root);
	if (r->status_file)
		atomic_leftovers_remove(r->status_file);
	{
		char *marker = path_join(r->pj.dir, "active");

		atomic_leftovers_remove(marker);
		free(marker);
	}
	return 0;
}

char *run__status_path(const struct sprint *sp)
{
	char *path = NULL;

	if (sp->status_file)
		return path_join(sp->root, sp->status_file);
	return statusedit_find_file(sp->root, &path) == 0 ? path : NULL;
}

void run__build_stories(struct run *r)
{
	r->n = r->sp->nstories;
	r->s = xcalloc(r->n + 1, sizeof(*r->s));
	for (size_t i = 0; i < r->n; i++) {
		r->s[i].cfg = &r->sp->stories[i];
		r->s[i].state = SS_PENDING;
		r->s[i].agent = run__base_agent(r, r->s[i].cfg);
		r->s[i].attempt = 1;
		r->s[i].cycle = 1;
	}
}

static char *new_run_id(void)
{
	char *t = clock_iso(clock_wall());
	char *id;

	/* 2026-11-22T03:04:05Z -> 20261122-030405-<pid> */
	id = xstrfmt("%.4s%.2s%.2s-%.2s%.2s%.2s-%04x", t, t + 5, t + 8, t + 11, t + 14, t + 17,
		     (unsigned)getpid() & 0xffff);
	free(t);
	return id;
}

/* Keeps only the stories named by --stories / --epic (dependencies outside count as done). */
static int select_stories(struct run *r)
{
	const char *sel = r->opts.stories, *epic = r->opts.epic;
	size_t kept = 0;

	if (!sel && !epic)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		struct rstory *s = &r->s[i];
		bool keep = true;

		if (epic && strcmp(s->cfg->epic, epic))
			keep = false;
		if (sel && keep) {
			char *copy = xstrdup(sel), *save = NULL, *tok;

			keep = false;
			for (tok = strtok_r(copy, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				char *dash = strchr(tok, '-');
				int lo, hi, me;

				if (storykey_same(tok, s->cfg->id)) {
					keep = true;
					break;
				}
				/* a range 1.4-1.6 within one epic */
				if (dash && sscanf(tok, "%*[0-9].%d-%*[0-9].%d", &lo, &hi) == 2 &&
				    sscanf(s->cfg->id, "%*[0-9].%d", &me) == 1 &&
				    !strncmp(tok, s->cfg->id, strcspn(tok, ".")) && me >= lo &&
				    me <= hi)
					keep = true;
			}
			free(copy);
		}
		if (!keep) {
			s->state = SS_SKIPPED;
			s->outside = true;
		}
		kept += keep;
	}
	if (kept == 0) {
		fprintf(stderr, "automator: no story matches the selection\n");
		return EXIT_USAGE;
	}
	return 0;
}

/* Said once at the start: the user's uncommitted changes, and what becomes of them. */
static void dirty_note(struct run *r)
{
	struct strvec dirty = STRVEC_INIT;
	char *cause = NULL;

	if (gitx_snapshot(r->pj.root, &dirty, &cause) < 0 || dirty.n == 0) {
		free(cause);
		strvec_release(&dirty);
		return;
	}
	if (r->sp->isolation == ISOLATION_WORKTREE)
		printf("note: %zu uncommitted change%s in %s: %s yours and not part of this run "
		       "(each story works in a worktree of its own, from %s's last commit)\n",
		       dirty.n, dirty.n == 1 ? "" : "s", r->pj.root,
		       dirty.n == 1 ? "it stays" : "they stay", r->target);
	else
		printf("warning: %zu uncommitted change%s in %s: a story that changes one of those "
		       "files commits your change with its own (isolation: worktree keeps them "
		       "apart)\n",
		       dirty.n, dirty.n == 1 ? "" : "s", r->pj.root);
	strvec_release(&dirty);
}

int run_start(const char *sprint_path, const struct run_opts *o)
{
	struct run *r = run__new();
	char *abs = realpath(sprint_path, NULL), *cause = NULL, *unfinished = NULL;
	struct store_run rec = { 0 };
	struct preflight pf = PREFLIGHT_INIT;
	bool *selected = NULL;
	struct store_story *rows = NULL;
	size_t nrows = 0;
	struct strvec include = STRVEC_INIT;
	struct diags d = DIAGS_INIT;
	int rc;

	r->opts = *o;
	if (o->include_status) {
		char *copy = xstrdup(o->include_status), *save = NULL, *tok;

		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (tok[strspn(tok, " \t")])
				strvec_push(&include, tok);
		free(copy);
	}
	rc = sprint_load_with(sprint_path, &include, &r->sp, &d);
	if (rc < 0) {
		diags_sort(&d);
		diags_print(&d, stderr, isatty(STDERR_FILENO));
	}
	diags_release(&d);
	if (rc < 0) {
		rc = EXIT_DATAERR;
		goto out;
	}
	for (size_t i = 0; i < r->sp->warnings.n; i++)
		fprintf(stderr, "%s\n", r->sp->warnings.v[i]);
	if (o->agent && !agents_find(r->sp->agents, o->agent)) {
		fprintf(stderr, "automator: unknown agent '%s'\n", o->agent);
		rc = EXIT_USAGE;
		goto out;
	}
	r->max_parallel = o->max_parallel > 0 ? o->max_parallel : r->sp->max_parallel;
	if (o->isolation)
		r->sp->isolation =
			!strcmp(o->isolation, "shared") ? ISOLATION_SHARED : ISOLATION_WORKTREE;
	run__build_stories(r);
	if ((rc = select_stories(r)) != 0)
		goto out;
	/*
	 * done before: not run again, and what depends on it may start
	 * (--include-status asks for stories of those statuses: all run)
	 */
	{
		char *sf = run__status_path(r->sp);
		size_t left = 0;

		run__done_before(r, sf, !o->include_status);
		free(sf);
		for (size_t i = 0; i < r->n; i++)
			left += r->s[i].state == SS_PENDING;
		/* --dry-run --json: the plan, empty, is the answer (stdout holds JSON only) */
		if (left == 0 && !(o->dry_run && o->json)) {
			printf("nothing to run: every story selected is done already\n");
			rc = EXIT_OK;
			goto out;
		}
	}
	/* before anything is written: what the run needs from this machine */
	selected = xcalloc(r->n + 1, sizeof(*selected));
	for (size_t i = 0; i < r->n; i++)
		selected[i] = r->s[i].state == SS_PENDING;
	preflight_check(r->sp, o->agent, selected, &pf);
	if (o->dry_run) {
		rc = run__plan(r, &pf, o->json);
		goto out;
	}
	preflight_print(&pf, stderr, "automator", false);
	if (pf.errors) {
		rc = EXIT_UNAVAILABLE;
		goto out;
	}
	if ((rc = run__open_project(r)) != 0 || (rc = run__worktrees_init(r, NULL)) != 0)
		goto out;
	run__clear_git_locks(r);
	if (store_run_latest_unfinished(r->st, &unfinished, &cause) == 0) {
		fprintf(stderr,
			"automator: run %s of this project is unfinished: continue it with\n"
			"  automator resume\nor abort it with\n  automator abort\n",
			unfinished);
		free(unfinished);
		rc = EXIT_TEMPFAIL;
		goto out;
	}
	dirty_note(r);
	r->id = new_run_id();
	r->logdir = project_logdir(&r->pj, r->id);
	if (mkdir(r->logdir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "automator: cannot create '%s': %s\n", r->logdir, strerror(errno));
		rc = EXIT_SOFTWARE;
		goto out;
	}
	rec.id = r->id;
	rec.sprint_file = abs ? abs : (char *)sprint_path;
	rec.project = r->sp->project;
	rec.root = r->sp->root;
	rec.state = (char *)fsm_run.state_names[RS_INITIALIZING];
	rec.pid = getpid();
	rec.agent = (char *)o->agent;
	rec.target = r->target;
	/* the run and its stories in one transaction: a kill leaves all or nothing */
	rows = xcalloc(r->n + 1, sizeof(*rows));
	for (size_t i = 0; i < r->n; i++) {
		struct store_story *ss = &rows[nrows];

		if (r->s[i].outside)
			continue; /* not selected: not a story of this run */
		ss->story_id = r->s[i].cfg->id;
		ss->story_key = r->s[i].cfg->key;
		ss->position = (int)i;
		ss->state = (char *)fsm_story.state_names[r->s[i].state];
		nrows++;
	}
	if (store_run_create_with(r->st, &rec, rows, nrows, &cause) < 0) {
		run__fail_fatal(r, "cannot record the run", cause);
		rc = EXIT_SOFTWARE;
		goto out;
	}
	r->started_wall = clock_wall();
	run__say(r, "run %s: %zu stories, workflow %s, agent %s, logs in %s", r->id, nrows,
		 r->sp->workflow->name, r->sp->agent, r->logdir);
	run__register(r);
	run__events_open(r);
	run__queue(r, -1, RE_LOADED);
	run__queue(r, -1, RE_START);
	rc = run__loop(r);
	/* the marker says a live process works on the run: none does now, whatever the exit */
	project_marker_remove(&r->pj);
out:
	free(rows);
	free(abs);
	free(selected);
	strvec_release(&include);
	preflight_release(&pf);
	run__free(r);
	return rc;
}
