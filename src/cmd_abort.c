/* SPDX-License-Identifier: MIT */
/*
 * cmd_abort.c: automator abort: stops a run (its process, its sessions)
 * and records it ABORTED through journaled transitions; without a readable
 * journal, stops the sessions it can find (recover.h).
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_view.h"
#include "commands.h"
#include "fsm.h"
#include "gitx.h"
#include "project.h"
#include "recover.h"
#include "run.h"
#include "runner.h"
#include "status_usage.h"
#include "storykey.h"
#include "store.h"
#include "tmx.h"
#include "util.h"

static int abort_story(const struct store_story *st, void *arg)
{
	struct store *s = ((void **)arg)[0];
	const char *run = ((void **)arg)[1];
	struct store_transition t = { 0 };
	char *cause = NULL;
	int i;

	for (i = 0; i < SS__COUNT; i++)
		if (!strcmp(fsm_story.state_names[i], st->state))
			break;
	if (i == SS__COUNT || fsm_is_terminal(&fsm_story, i))
		return 0;
	t.run_id = run;
	t.machine = "story";
	t.story_id = st->story_id;
	t.from_state = st->state;
	t.event = "ABORT";
	t.action = "CLOSE_STORY";
	t.to_state = "ABORTED";
	if (store_transition(s, &t, NULL, &cause) < 0) {
		fprintf(stderr, "%s: %s\n", progname, cause);
		free(cause);
	}
	return 0;
}

/*
 * The stories' worktrees (isolation: worktree) stay for inspection: says
 * where (those under .automator/worktrees or on an automator/ branch).
 */
static void print_kept_worktrees(const struct project *pj)
{
	struct strvec wt = STRVEC_INIT;
	char *cause = NULL, *dir = path_join(pj->dir, "worktrees/");
	bool head = false;

	if (gitx_worktrees(pj->root, &wt, &cause) < 0)
		free(cause);
	for (size_t i = 0; i < wt.n; i++) {
		const char *tab = strchr(wt.v[i], '\t');

		if (!tab ||
		    (strncmp(wt.v[i], dir, strlen(dir)) && strncmp(tab + 1, "automator/", 10)))
			continue;
		if (!head)
			printf("the stories' worktrees stay for inspection (git worktree remove, "
			       "git "
			       "branch -D when done):\n");
		head = true;
		printf("  %.*s on branch %s\n", (int)(tab - wt.v[i]), wt.v[i], tab + 1);
	}
	strvec_release(&wt);
	free(dir);
}

/*
 * Asks a live run of pj to stop (SIGTERM to the lock holder) and takes the
 * lock, waiting up to 5 s. Returns project_lock's result. The run is told
 * first that this is an abort (project_abort_note), so that its terminal
 * says what happens to it, not "continue with automator resume".
 */
static int stop_and_lock(struct project *pj, long *holder, char **cause)
{
	int lk = -1;

	for (int i = 0; i < 50; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		lk = project_lock(pj, holder, cause);
		if (lk != 1)
			break;
		if (i == 0 && *holder > 0) {
			project_abort_note(pj, true);
			kill((pid_t)*holder, SIGTERM);
		}
		nanosleep(&ts, NULL);
	}
	project_abort_note(pj, false);
	return lk;
}

/*
 * abort when the journal cannot be read: the run's sessions, found by the
 * marker's slug or the socket's name (recover.h), are killed and the
 * marker removed; the journal is left as it is.
 */
static int abort_without_journal(void)
{
	char *root = project_find_state(), *cause = NULL;
	struct strvec names = STRVEC_INIT;
	struct project pj;
	struct tmx tm;
	long holder = 0;
	int lk;

	if (!root)
		return EXIT_IOERR;
	recover_project(root, &pj);
	lk = stop_and_lock(&pj, &holder, &cause);
	free(cause);
	recover_sessions(&pj, &names);
	tmx_init(&tm, pj.socket);
	for (size_t i = 0; i < names.n; i++)
		tmx_kill_session(&tm, names.v[i], NULL);
	tmx_server_done(&tm);
	tmx_release(&tm);
	project_marker_remove(&pj);
	printf("stopped %zu session%s of %s without the journal (socket %s)%s\n", names.n,
	       names.n == 1 ? "" : "s", root, pj.socket,
	       lk == 0 ? "" : "; the run's process did not let go of the lock");
	strvec_release(&names);
	project_release(&pj);
	free(root);
	return lk == 0 ? EXIT_OK : EXIT_TEMPFAIL;
}

int cmd_abort_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("abort");
	struct cmd_opt opts[] = { { "run", 1, NULL, 0 } };
	struct store_transition t = { 0 };
	struct project pj;
	struct strvec names = STRVEC_INIT;
	struct view v;
	struct tmx tm;
	char *cause = NULL;
	long holder = 0;
	int ret, lk;
	void *arg[2];

	ret = cmd_parse_noargs(c, argc, argv, opts, ARRAY_SIZE(opts));
	if (ret)
		return ret;
	if ((ret = view_open(&v, opts[0].value)) != 0)
		return ret == EXIT_IOERR ? abort_without_journal() : ret;
	if (!v.have_run || !strcmp(v.run.state, "COMPLETE") || !strcmp(v.run.state, "ABORTED")) {
		if (recover_marker_orphaned(v.root, v.st)) {
			/* the journal lost the live run (its WAL): stop what runs */
			view_close(&v);
			return abort_without_journal();
		}
		fprintf(stderr, "%s: no unfinished run to abort\n", progname);
		view_close(&v);
		return EXIT_NEGATIVE;
	}
	project_init(&pj, v.run.root, v.run.project);
	lk = stop_and_lock(&pj, &holder, &cause);
	if (lk != 0) {
		fprintf(stderr, "%s: the run is still held by pid %ld%s%s\n", progname, holder,
			cause ? ": " : "", cause ? cause : "");
		free(cause);
		project_release(&pj);
		view_close(&v);
		return EXIT_TEMPFAIL;
	}
	/* the live process may have moved the run on while stopping */
	{
		char *id = xstrdup(v.run.id);

		store_run_release(&v.run);
		if (store_run_get(v.st, id, &v.run, &cause) != 0) {
			fprintf(stderr, "%s: cannot read run '%s': %s\n", progname, id,
				cause ? cause : "gone");
			free(cause);
			free(id);
			v.have_run = false;
			project_release(&pj);
			view_close(&v);
			return EXIT_SOFTWARE;
		}
		free(id);
	}
	tmx_init(&tm, pj.socket);
	{
		char *prefix = xstrfmt("au-%s-", pj.slug);

		tmx_list_sessions(&tm, prefix, &names, NULL);
		for (size_t i = 0; i < names.n; i++)
			tmx_kill_session(&tm, names.v[i], NULL);
		free(prefix);
		/* runs keep the server up (exit-empty off): give it back */
		tmx_server_done(&tm);
	}
	arg[0] = v.st;
	arg[1] = v.run.id;
	store_stories_foreach(v.st, v.run.id, abort_story, arg, NULL);
	t.run_id = v.run.id;
	t.machine = "run";
	t.from_state = v.run.state;
	t.event = "ABORT";
	t.action = "ABORT_RUN";
	t.to_state = "ABORTED";
	if (store_transition(v.st, &t, NULL, &cause) < 0) {
		fprintf(stderr, "%s: %s\n", progname, cause);
		free(cause);
		ret = EXIT_SOFTWARE;
	} else {
		project_marker_remove(&pj);
		printf("run %s aborted (%zu session%s killed); its journal is kept\n", v.run.id,
		       names.n, names.n == 1 ? "" : "s");
		print_kept_worktrees(&pj);
	}
	strvec_release(&names);
	tmx_release(&tm);
	project_release(&pj);
	view_close(&v);
	return ret;
}
