/* SPDX-License-Identifier: MIT */
/*
 * cmd_view.c: automator status and attach, and the view of a project's
 * run that they share with log (cmd_log.c) and abort: read the state store
 * and look at the sessions. Must not change a run's state.
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
#include "clock.h"
#include "cmd_view.h"
#include "commands.h"
#include "fsm.h"
#include "project.h"
#include "recover.h"
#include "run.h"
#include "runner.h"
#include "jsonw.h"
#include "status_signals.h"
#include "status_usage.h"
#include "storykey.h"
#include "store.h"
#include "strmap.h"
#include "tmx.h"
#include "util.h"

/*
 * The journal could not be read (cause, freed): a damaged or lost database
 * gets the way out (recover.h) and exit 74; anything else is exit 70.
 */
static int journal_failed(struct view *v, char *cause)
{
	enum store_fault f = store_last_fault();
	int rc = EXIT_SOFTWARE;

	if (f == STORE_FAULT_DAMAGED || f == STORE_FAULT_IO) {
		recover_advice(stderr, progname, v->root, cause);
		rc = EXIT_IOERR;
	} else {
		fprintf(stderr, "%s: %s\n", progname, cause);
	}
	free(cause);
	/* a failed open leaves nothing to close */
	store_close(v->st);
	v->st = NULL;
	free(v->root);
	v->root = NULL;
	return rc;
}

int view_open(struct view *v, const char *run_id)
{
	char *db, *cause = NULL, *id = NULL;
	int rc;

	memset(v, 0, sizeof(*v));
	v->root = project_find_state();
	if (!v->root) {
		fprintf(stderr,
			"%s: no automator project here (no .automator/state.db in this "
			"directory or above)\n",
			progname);
		return EXIT_USAGE;
	}
	db = path_join(v->root, ".automator/state.db");
	rc = store_open(db, &v->st, &cause);
	free(db);
	if (rc < 0)
		return journal_failed(v, cause);
	if (run_id)
		id = xstrdup(run_id);
	else if ((rc = store_run_latest(v->st, &id, &cause)) != 0) {
		if (rc < 0)
			return journal_failed(v, cause);
		free(cause);
		return 0;
	}
	rc = store_run_get(v->st, id, &v->run, &cause);
	if (rc < 0) {
		free(id);
		return journal_failed(v, cause);
	}
	if (rc != 0) {
		fprintf(stderr, "%s: no run '%s' (automator runs lists them)\n", progname, id);
		free(cause);
		free(id);
		store_close(v->st);
		v->st = NULL;
		free(v->root);
		v->root = NULL;
		return EXIT_NEGATIVE; /* not found: 1, as for a story or an escalation */
	}
	free(id);
	v->have_run = true;
	return 0;
}

void view_close(struct view *v)
{
	if (v->have_run)
		store_run_release(&v->run);
	store_close(v->st);
	free(v->root);
}

/* The triggers of the story's open escalations, in the order they were found. */
static void write_reasons(struct jsonw *w, const struct open_escalations *oe, const char *story)
{
	size_t first;

	jsonw_arr(w, "escalation_reasons");
	if (strmap_get(&oe->by_story, story, strlen(story), &first))
		for (size_t i = first; i < oe->n; i++)
			if (oe->v[i].story && !strcmp(oe->v[i].story, story))
				jsonw_str(w, NULL, oe->v[i].trigger);
	jsonw_end(w);
}

/* The states of the run's stories with how many are in each, in first-seen order. */
static void write_counts(struct jsonw *w, const struct store_story_row *rows, size_t n)
{
	const char *state[64];
	int64_t count[64];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		size_t j = 0;

		while (j < k && strcmp(state[j], rows[i].story.state))
			j++;
		if (j == k && k < ARRAY_SIZE(state)) {
			state[k] = rows[i].story.state;
			count[k++] = 0;
		}
		if (j < k)
			count[j]++;
	}
	jsonw_obj(w, "counts");
	for (size_t j = 0; j < k; j++)
		jsonw_int(w, state[j], count[j]);
	jsonw_end(w);
}

/*
 * The snapshot of status --json, written as it is read: a 10,000-story
 * run costs one query and one pass, not a tree of objects.
 */
static void write_status_json(const struct view *v, const struct store_story_row *rows, size_t n,
			      const struct open_escalations *oe, const struct status_extra *x,
			      bool required, const struct liveness *l,
			      const struct status_signals *sg)
{
	struct jsonw w = { BUF_INIT, 0, { 0 }, { 0 } };
	struct strvec warnings = STRVEC_INIT;

	jsonw_obj(&w, NULL);
	jsonw_obj(&w, "run");
	jsonw_str(&w, "id", v->run.id);
	jsonw_str(&w, "state", v->run.state);
	jsonw_str(&w, "project", v->run.project);
	jsonw_str(&w, "root", v->run.root);
	jsonw_str(&w, "started_at", v->run.started_at);
	jsonw_str(&w, "finished_at", v->run.finished_at);
	jsonw_int(&w, "pid", v->run.pid);
	jsonw_bool(&w, "alive", l->alive);
	if (l->heartbeat_age >= 0)
		jsonw_int(&w, "heartbeat_age_seconds", l->heartbeat_age);
	else
		jsonw_null(&w, "heartbeat_age_seconds");
	jsonw_end(&w);
	status_signals_write(&w, "signals", sg, NULL, true);
	write_counts(&w, rows, n);
	jsonw_arr(&w, "stories");
	for (size_t i = 0; i < n; i++) {
		const struct store_story *s = &rows[i].story;

		jsonw_obj(&w, NULL);
		jsonw_str(&w, "id", s->story_id);
		jsonw_str(&w, "key", s->story_key);
		jsonw_int(&w, "position", s->position);
		jsonw_str(&w, "state", s->state);
		jsonw_str(&w, "step", s->step_name);
		jsonw_int(&w, "attempt", s->attempt);
		jsonw_int(&w, "cycle", s->cycle);
		jsonw_str(&w, "session", rows[i].tmux_name ? rows[i].tmux_name : NULL);
		jsonw_str(&w, "log", rows[i].tmux_name ? rows[i].log_path : NULL);
		write_reasons(&w, oe, s->story_id);
		status_signals_write(&w, "signals", sg, s->story_id, false);
		status_usage_write(&w, "usage", &x->usage[i]);
		if (x->until[i] && !strcmp(s->state, "WAITING")) {
			jsonw_str(&w, "waiting_until", x->until[i]);
			jsonw_str(&w, "waiting_reason", x->reason[i]);
		}
		jsonw_end(&w);
	}
	jsonw_end(&w);
	jsonw_obj(&w, "escalation");
	jsonw_bool(&w, "required", required);
	jsonw_arr(&w, "signals");
	for (size_t i = 0; i < oe->n; i++) {
		jsonw_obj(&w, NULL);
		jsonw_int(&w, "id", oe->v[i].id);
		jsonw_str(&w, "story", oe->v[i].story);
		jsonw_str(&w, "trigger", oe->v[i].trigger);
		jsonw_str(&w, "category", oe->v[i].category);
		jsonw_str(&w, "severity", oe->v[i].severity);
		jsonw_str(&w, "status", oe->v[i].status);
		jsonw_end(&w);
	}
	jsonw_end(&w);
	jsonw_end(&w);
	status_usage_write(&w, "usage", &x->total);
	status_warnings(v->run.root, &warnings);
	jsonw_arr(&w, "warnings");
	for (size_t i = 0; i < warnings.n; i++)
		jsonw_str(&w, NULL, warnings.v[i]);
	jsonw_end(&w);
	jsonw_end(&w);
	buf_addc(&w.b, '\n');
	fwrite(w.b.s, 1, w.b.len, stdout);
	buf_release(&w.b);
	strvec_release(&warnings);
}

static void print_status(const struct view *v, const struct store_story_row *rows, size_t n,
			 const struct open_escalations *oe, const struct status_extra *x,
			 bool required, const struct liveness *l)
{
	printf("run %s: %s (project %s, started %s)\n", v->run.id, v->run.state, v->run.project,
	       v->run.started_at);
	if (l->alive && l->heartbeat_age >= 0)
		printf("running: pid %lld, heartbeat %llds ago\n", (long long)v->run.pid,
		       l->heartbeat_age);
	else if (l->alive)
		printf("running: pid %lld\n", (long long)v->run.pid);
	else if (l->live_state)
		printf("not running (pid %lld is gone): continue with `automator resume`\n",
		       (long long)v->run.pid);
	printf("%-8s %-18s %-10s %-8s %s\n", "story", "state", "step", "attempt",
	       "escalation or wait");
	for (size_t i = 0; i < n; i++) {
		const struct store_story *s = &rows[i].story;
		size_t first;
		char *note = x->until[i] && !strcmp(s->state, "WAITING")
				     ? xstrfmt("waiting until %s (%s)", x->until[i], x->reason[i])
			     : strmap_get(&oe->by_story, s->story_id, strlen(s->story_id), &first)
				     ? xstrdup(oe->v[first].trigger)
				     : xstrdup("");

		printf("%-8s %-18s %-10s %-8d %s\n", s->story_id, s->state,
		       s->step_name ? s->step_name : "-", s->attempt, note);
		free(note);
	}
	if (required)
		printf("\na decision is needed\n");
}

int cmd_status_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("status");
	struct cmd_opt opts[] = { { "run", 1, NULL, 0 },
				  { "json", 0, NULL, 0 },
				  { "watch", 0, NULL, 0 } };
	struct store_story_row *rows = NULL;
	size_t nrows = 0;
	struct open_escalations oe = { NULL, 0, 0, STRMAP_INIT };
	struct status_extra x;
	struct liveness live;
	struct status_signals sg;
	struct view v;
	char *cause = NULL;
	int ret;
	bool required;

	ret = cmd_parse_noargs(c, argc, argv, opts, ARRAY_SIZE(opts));
	if (ret)
		return ret;
	if (opts[2].seen)
		return cmd_usage_error(c, "--watch: use 'watch automator status' for now");
	if ((ret = view_open(&v, opts[0].value)) != 0)
		return ret;
	if (!v.have_run) {
		if (opts[1].seen)
			puts("{\"run\":null,\"counts\":{},\"stories\":[],\"escalation\":"
			     "{\"required\":false,\"signals\":[]},\"warnings\":[]}");
		else
			printf("no runs yet in %s\n", v.root);
		view_close(&v);
		return EXIT_OK;
	}
	/* every story with its current session: one query, whatever the run's size */
	if (store_story_rows(v.st, v.run.id, &rows, &nrows, &cause) < 0) {
		fprintf(stderr, "%s: %s\n", progname, cause);
		free(cause);
		view_close(&v);
		return EXIT_SOFTWARE;
	}
	store_escalations_foreach(v.st, v.run.id, true, note_escalation, &oe, NULL);
	required = oe.n > 0 || !strcmp(v.run.state, "PAUSED");
	status_extra_load(v.st, v.run.id, rows, nrows, &x);
	liveness_of(&v, &live);
	status_signals_collect(&v, rows, nrows, &oe, &live, &sg);
	if (opts[1].seen)
		write_status_json(&v, rows, nrows, &oe, &x, required, &live, &sg);
	else
		print_status(&v, rows, nrows, &oe, &x, required, &live);
	status_extra_release(&x);
	status_signals_release(&sg);
	open_escalations_release(&oe);
	store_story_rows_free(rows, nrows);
	view_close(&v);
	return EXIT_OK;
}

char *view_find_story(struct view *v, const char *story)
{
	struct store_story_row *rows = NULL;
	size_t n = 0;
	char *id = NULL;

	if (store_story_rows(v->st, v->run.id, &rows, &n, NULL) < 0)
		n = 0;
	for (size_t i = 0; i < n && !id; i++)
		if (!strcmp(rows[i].story.story_id, story))
			id = xstrdup(story);
	for (size_t i = 0; i < n && !id; i++)
		if (storykey_same(rows[i].story.story_id, story))
			id = xstrdup(rows[i].story.story_id);
	store_story_rows_free(rows, n);
	return id;
}

int cmd_attach_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("attach");
	struct project pj;
	struct strvec names = STRVEC_INIT;
	struct view v;
	char **pos, *prefix, *cause = NULL, *id;
	int npos, ret;
	struct tmx t;

	ret = cmd_parse(c, argc, argv, NULL, 0, &pos, &npos);
	if (ret)
		return ret;
	if (npos != 1) {
		free(pos);
		return cmd_usage_error(c, "expected one story");
	}
	if ((ret = view_open(&v, NULL)) != 0 || !v.have_run) {
		free(pos);
		view_close(&v);
		return ret ? ret : EXIT_NEGATIVE;
	}
	project_init(&pj, v.run.root, v.run.project);
	tmx_init(&t, pj.socket);
	id = tmx_session_name(pj.slug, pos[0], "", 0);
	/* au-slug-story--0: keep "au-slug-story-" */
	prefix = xstrndup(id, strlen(id) - 2);
	free(id);
	if (tmx_list_sessions(&t, prefix, &names, &cause) < 0 || names.n == 0) {
		fprintf(stderr, "%s: story '%s' has no live session%s%s\n", progname, pos[0],
			cause ? ": " : "", cause ? cause : "");
		free(cause);
		ret = EXIT_NEGATIVE;
	} else if (!isatty(STDIN_FILENO)) {
		fprintf(stderr,
			"%s: attach needs a terminal; the session is %s on tmux socket %s\n",
			progname, names.v[names.n - 1], pj.socket);
		ret = EXIT_USAGE;
	} else {
		char *target = xstrfmt("=%s", names.v[names.n - 1]);
		const char *args[] = {
			"tmux", "-L", pj.socket, "attach-session", "-t", target, NULL
		};

		fflush(NULL);
		execvp("tmux", (char *const *)args);
		fprintf(stderr, "%s: cannot run tmux: %s\n", progname, strerror(errno));
		free(target);
		ret = EXIT_UNAVAILABLE;
	}
	free(prefix);
	strvec_release(&names);
	tmx_release(&t);
	project_release(&pj);
	free(pos);
	view_close(&v);
	return ret;
}
