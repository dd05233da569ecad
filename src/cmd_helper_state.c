/* SPDX-License-Identifier: MIT */
/*
 * cmd_helper_state.c: orchestrator-helper state-summary and list-sessions:
 * what scripts ask about a project's run. Prints one compact JSON object
 * (jansson) on stdout, diagnostics on stderr. Must not change a run: the
 * store, the marker and tmux are only read.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "cmd_helper_int.h"
#include "commands.h"
#include "jsonx.h"
#include "project.h"
#include "recover.h"
#include "shellwords.h"
#include "store.h"
#include "tmx.h"
#include "util.h"

/* Prints {"ok":false,"reason":reason} and returns code. */
int helper_fail(const char *reason, int code)
{
	jsonx_print(json_pack("{s:b,s:s}", "ok", 0, "reason", reason));
	return code;
}

/*
 * Parses the options every command here takes: --project-root DIR and no
 * arguments. Returns 0 with *given (NULL when not seen), or EXIT_USAGE.
 */
int helper_parse_root_args(const struct cmd *c, int argc, char **argv, const char **given)
{
	struct cmd_opt opts[] = { { "project-root", 1, NULL, 0 } };
	char **pos = NULL;
	int npos, ret;

	ret = cmd_parse(c, argc, argv, opts, ARRAY_SIZE(opts), &pos, &npos);
	if (ret)
		return ret;
	if (npos)
		ret = cmd_usage_error(c, "unexpected argument '%s'", pos[0]);
	else if (opts[0].seen && !*opts[0].value)
		ret = cmd_usage_error(c, "option '--project-root' needs a value");
	free(pos);
	*given = opts[0].value;
	return ret;
}

/* ---- state-summary, list-sessions: the current run from the store ---- */

struct state {
	char *root;
	struct store *st;
	struct store_run run;
};

/*
 * Opens the project's store and its current run: the latest unfinished one,
 * else the latest. Returns EXIT_OK with *s filled (state_close() it), or an
 * exit code after printing the answer.
 */
static int state_open(const struct cmd *c, const char *given, struct state *s)
{
	char *db, *id = NULL, *cause = NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	if (project_find_root(given, &s->root, &cause) < 0) {
		fprintf(stderr, "%s %s: %s\n", progname, c->name, cause);
		free(cause);
		return helper_fail("no_project_root", EXIT_USAGE);
	}
	db = path_join(s->root, ".automator/state.db");
	/* store_open() would create it */
	if (access(db, F_OK) != 0) {
		fprintf(stderr, "%s %s: no state database '%s'\n", progname, c->name, db);
		free(db);
		return helper_fail("no_state", EXIT_NEGATIVE);
	}
	rc = store_open(db, &s->st, &cause);
	free(db);
	if (rc < 0)
		goto store_error;
	rc = store_run_latest_unfinished(s->st, &id, &cause);
	if (rc == 1)
		rc = store_run_latest(s->st, &id, &cause);
	if (rc == 1) {
		fprintf(stderr, "%s %s: no runs yet in '%s'\n", progname, c->name, s->root);
		return helper_fail("no_run", EXIT_NEGATIVE);
	}
	if (rc < 0 || (rc = store_run_get(s->st, id, &s->run, &cause)) < 0)
		goto store_error;
	free(id);
	if (rc == 1) {
		/* removed between the two reads */
		fprintf(stderr, "%s %s: the run vanished\n", progname, c->name);
		return helper_fail("no_run", EXIT_NEGATIVE);
	}
	return EXIT_OK;
store_error:
	free(id);
	if (store_last_fault() == STORE_FAULT_DAMAGED || store_last_fault() == STORE_FAULT_IO) {
		/* the caller says so in its JSON (list-sessions still lists) */
		char *who = xstrfmt("%s %s", progname, c->name);

		recover_advice(stderr, who, s->root, cause);
		free(who);
		free(cause);
		return EXIT_IOERR;
	}
	fprintf(stderr, "%s %s: %s\n", progname, c->name, cause);
	free(cause);
	return helper_fail("store_error", EXIT_SOFTWARE);
}

/* Releases what state_open() filled; also after it failed. */
static void state_close(struct state *s)
{
	if (s->run.id)
		store_run_release(&s->run);
	store_close(s->st);
	free(s->root);
}

struct summary {
	json_t *counts;  /* state -> number of stories */
	json_t *stories; /* [{id, key, state, step, attempt}] */
};

static int summary_story(const struct store_story *st, void *arg)
{
	struct summary *sm = arg;
	json_int_t n = json_integer_value(json_object_get(sm->counts, st->state));

	json_object_set_new(sm->counts, st->state, json_integer(n + 1));
	json_array_append_new(sm->stories,
			      json_pack("{s:s,s:s,s:s,s:s?,s:i}", "id", st->story_id, "key",
					st->story_key, "state", st->state, "step", st->step_name,
					"attempt", st->attempt));
	return 0;
}

static int count_escalation(const struct store_escalation *e, void *arg)
{
	(void)e;
	(*(json_int_t *)arg)++;
	return 0;
}

/* {"exists","fresh"} of the project's marker, plus "corrupt":true when it is. */
static json_t *marker_summary(const struct state *s)
{
	struct project pj;
	struct marker m;
	char *cause = NULL;
	json_t *o;
	int rc;

	project_init(&pj, s->root, s->run.project);
	rc = project_marker_read(&pj, &m, &cause);
	if (rc == 0) {
		o = json_pack("{s:b,s:b}", "exists", 1, "fresh",
			      project_marker_fresh(&m, clock_wall(), NULL));
		project_marker_clear(&m);
	} else if (rc > 0) {
		o = json_pack("{s:b,s:b}", "exists", 0, "fresh", 0);
	} else {
		o = json_pack("{s:b,s:b,s:b}", "exists", 1, "fresh", 0, "corrupt", 1);
		free(cause);
	}
	project_release(&pj);
	return o;
}

int cmd_state_summary_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("state-summary");
	struct summary sm;
	struct state s;
	const char *given;
	char *cause = NULL;
	json_int_t open = 0;
	json_t *o;
	int ret;

	if ((ret = helper_parse_root_args(c, argc, argv, &given)) != 0)
		return ret;
	if ((ret = state_open(c, given, &s)) != EXIT_OK) {
		if (ret == EXIT_IOERR)
			helper_fail("journal_unreadable", ret);
		state_close(&s);
		return ret;
	}
	sm.counts = json_object();
	sm.stories = json_array();
	if (store_stories_foreach(s.st, s.run.id, summary_story, &sm, &cause) < 0 ||
	    store_escalations_foreach(s.st, s.run.id, true, count_escalation, &open, &cause) < 0) {
		fprintf(stderr, "%s %s: %s\n", progname, c->name, cause);
		free(cause);
		json_decref(sm.counts);
		json_decref(sm.stories);
		state_close(&s);
		return helper_fail("store_error", EXIT_SOFTWARE);
	}
	o = json_pack("{s:b,s:{s:s,s:s,s:s,s:s,s:s?,s:I},s:o,s:o,s:I,s:o}", "ok", 1, "run", "id",
		      s.run.id, "state", s.run.state, "project", s.run.project, "started_at",
		      s.run.started_at, "finished_at", s.run.finished_at, "pid",
		      (json_int_t)s.run.pid, "counts", sm.counts, "stories", sm.stories,
		      "openEscalations", open, "marker", marker_summary(&s));
	jsonx_print(o);
	state_close(&s);
	return EXIT_OK;
}

struct sessions {
	const struct cmd *c;
	struct tmx tmx;
	bool have_tmux;
	json_t *list;
};

/*
 * Whether session name is alive: it exists on the server and its pane has
 * not died (remain-on-exit keeps a finished pane until the run kills it).
 * null when tmux cannot tell.
 */
static json_t *session_alive(struct sessions *x, const char *name)
{
	bool dead = false;
	char *cause = NULL;
	int rc, status, sig;

	if (!x->have_tmux)
		return json_null();
	rc = tmx_has_session(&x->tmx, name, &cause);
	if (rc == 1 && tmx_pane_state(&x->tmx, name, &dead, &status, &sig, &cause) < 0) {
		free(cause);
		cause = NULL;
		/* it may have been killed between the two calls */
		rc = tmx_has_session(&x->tmx, name, &cause);
		if (rc == 1) {
			cause = xstrdup("cannot read its pane state");
			rc = -1;
		}
	}
	if (rc < 0) {
		fprintf(stderr, "%s %s: session '%s': %s\n", progname, x->c->name, name, cause);
		free(cause);
		return json_null();
	}
	return json_boolean(rc == 1 && !dead);
}

static int list_session(const struct store_session *ss, void *arg)
{
	struct sessions *x = arg;
	json_t *o;

	o = json_pack("{s:I,s:s,s:s,s:i,s:s,s:s,s:s?,s:s?}", "id", (json_int_t)ss->id, "story",
		      ss->story_id, "step", ss->step, "attempt", ss->attempt, "session",
		      ss->tmux_name, "log", ss->log_path, "started_at", ss->started_at, "ended_at",
		      ss->ended_at);
	json_object_set_new(o, "exit_status",
			    ss->exit_status >= 0 ? json_integer(ss->exit_status) : json_null());
	json_object_set_new(o, "exit_signal",
			    ss->exit_signal ? json_integer(ss->exit_signal) : json_null());
	json_object_set_new(o, "alive", session_alive(x, ss->tmux_name));
	json_array_append_new(x->list, o);
	return 0;
}

/*
 * list-sessions when the journal cannot be read: the sessions found on the
 * run's socket (recover.h), each alive, with "journal":"unreadable".
 */
static void list_without_journal(const struct state *s)
{
	struct strvec names = STRVEC_INIT;
	struct project pj;
	json_t *list = json_array();

	recover_project(s->root, &pj);
	recover_sessions(&pj, &names);
	for (size_t i = 0; i < names.n; i++)
		json_array_append_new(list,
				      json_pack("{s:s,s:b}", "session", names.v[i], "alive", 1));
	jsonx_print(json_pack("{s:b,s:s,s:s,s:o}", "ok", 0, "reason", "journal_unreadable",
			      "socket", pj.socket, "sessions", list));
	strvec_release(&names);
	project_release(&pj);
}

int cmd_list_sessions_exec(int argc, char **argv)
{
	struct sessions x = { .c = cmd_lookup("list-sessions") };
	struct project pj;
	struct state s;
	const char *given;
	char *cause = NULL;
	int ret;

	if ((ret = helper_parse_root_args(x.c, argc, argv, &given)) != 0)
		return ret;
	if ((ret = state_open(x.c, given, &s)) != EXIT_OK) {
		if (ret == EXIT_IOERR)
			list_without_journal(&s);
		state_close(&s);
		return ret;
	}
	/* the run's own root and name give the socket its sessions live on */
	project_init(&pj, s.run.root, s.run.project);
	tmx_init(&x.tmx, pj.socket);
	x.have_tmux = tmx_available();
	if (!x.have_tmux)
		fprintf(stderr, "%s %s: tmux is not installed; liveness unknown\n", progname,
			x.c->name);
	x.list = json_array();
	if (store_sessions_foreach(s.st, s.run.id, list_session, &x, &cause) < 0) {
		fprintf(stderr, "%s %s: %s\n", progname, x.c->name, cause);
		free(cause);
		json_decref(x.list);
		ret = helper_fail("store_error", EXIT_SOFTWARE);
	} else {
		jsonx_print(json_pack("{s:b,s:s,s:s,s:o}", "ok", 1, "run", s.run.id, "socket",
				      pj.socket, "sessions", x.list));
	}
	tmx_release(&x.tmx);
	project_release(&pj);
	state_close(&s);
	return ret;
}
