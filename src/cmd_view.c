/*
 * cmd_view.c: automator status, log and attach: read a project's state
 * store and its logs, and look at its sessions. Must not change a run's
 * state.
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
#include "project.h"
#include "recover.h"
#include "run.h"
#include "runner.h"
#include "status_usage.h"
#include "storykey.h"
#include "store.h"
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
		fprintf(stderr, "%s: no run '%s'\n", progname, id);
		free(cause);
		free(id);
		store_close(v->st);
		v->st = NULL;
		free(v->root);
		v->root = NULL;
		return EXIT_USAGE;
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

struct story_list {
	struct store_story *v;
	size_t n;
};

static int collect_story(const struct store_story *st, void *arg)
{
	struct story_list *l = arg;
	struct store_story *c;

	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	c = &l->v[l->n++];
	*c = *st;
	c->story_id = xstrdup(st->story_id);
	c->story_key = xstrdup(st->story_key);
	c->state = xstrdup(st->state);
	c->step_name = st->step_name ? xstrdup(st->step_name) : NULL;
	c->base_commit = st->base_commit ? xstrdup(st->base_commit) : NULL;
	c->updated_at = st->updated_at ? xstrdup(st->updated_at) : NULL;
	return 0;
}

static void story_list_release(struct story_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		store_story_release(&l->v[i]);
	free(l->v);
}

/* The open escalations of a run, for the status snapshot. */
struct open_escalations {
	json_t *by_story; /* story id -> [trigger...] */
	json_t *signals;  /* [{id, story, trigger, category, severity, status}] */
};

static int note_escalation(const struct store_escalation *e, void *arg)
{
	struct open_escalations *oe = arg;
	const char *story = e->story_id ? e->story_id : "";
	json_t *list = json_object_get(oe->by_story, story);

	if (!list) {
		list = json_array();
		json_object_set_new(oe->by_story, story, list);
	}
	json_array_append_new(list, json_string(e->trigger));
	json_array_append_new(oe->signals,
			      json_pack("{s:I,s:s?,s:s,s:s,s:s,s:s}", "id", (json_int_t)e->id,
					"story", e->story_id, "trigger", e->trigger, "category",
					e->category, "severity", e->severity, "status", e->status));
	return 0;
}

int cmd_status_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("status");
	struct cmd_opt opts[] = { { "run", 1, NULL, 0 },
				  { "json", 0, NULL, 0 },
				  { "watch", 0, NULL, 0 } };
	struct story_list l = { 0 };
	struct open_escalations oe = { NULL, NULL };
	struct view v;
	char **pos, *cause = NULL;
	int npos, ret;
	json_t *root, *stories, *counts;
	bool required = false;

	ret = cmd_parse(c, argc, argv, opts, ARRAY_SIZE(opts), &pos, &npos);
	if (ret)
		return ret;
	free(pos);
	if (npos)
		return cmd_usage_error(c, "takes no arguments");
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
	if (store_stories_foreach(v.st, v.run.id, collect_story, &l, &cause) < 0) {
		fprintf(stderr, "%s: %s\n", progname, cause);
		free(cause);
		view_close(&v);
		return EXIT_SOFTWARE;
	}
	oe.by_story = json_object();
	oe.signals = json_array();
	store_escalations_foreach(v.st, v.run.id, true, note_escalation, &oe, NULL);
	required = json_array_size(oe.signals) > 0;

	stories = json_array();
	counts = json_object();
	for (size_t i = 0; i < l.n; i++) {
		const struct store_story *s = &l.v[i];
		struct store_session ss;
		json_t *reasons = json_object_get(oe.by_story, s->story_id), *o;
		json_int_t n = json_integer_value(json_object_get(counts, s->state));

		reasons = reasons ? json_incref(reasons) : json_array();
		json_object_set_new(counts, s->state, json_integer(n + 1));
		o = json_pack("{s:s,s:s,s:i,s:s,s:s?,s:i,s:i,s:n,s:n,s:o}", "id", s->story_id,
			      "key", s->story_key, "position", s->position, "state", s->state,
			      "step", s->step_name, "attempt", s->attempt, "cycle", s->cycle,
			      "session", "log", "escalation_reasons", reasons);
		if (s->step_name && store_session_get(v.st, v.run.id, s->story_id, s->step_name,
						      s->attempt, &ss, NULL) == 0) {
			json_object_set_new(o, "session", json_string(ss.tmux_name));
			json_object_set_new(o, "log", json_string(ss.log_path));
			store_session_release(&ss);
		}
		json_array_append_new(stories, o);
	}
	if (!strcmp(v.run.state, "PAUSED"))
		required = true;
	root = json_pack("{s:{s:s,s:s,s:s,s:s,s:s,s:s?,s:I},s:o,s:o,s:{s:b,s:o}}", "run", "id",
			 v.run.id, "state", v.run.state, "project", v.run.project, "root",
			 v.run.root, "started_at", v.run.started_at, "finished_at",
			 v.run.finished_at, "pid", (json_int_t)v.run.pid, "counts", counts,
			 "stories", stories, "escalation", "required", required, "signals",
			 json_incref(oe.signals));
	status_usage_add(v.st, v.run.id, stories, root);
	status_warnings_add(v.run.root, root);
	if (opts[1].seen) {
		char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);

		puts(s);
		free(s);
	} else {
		size_t i;
		json_t *o;

		printf("run %s: %s (project %s, started %s)\n", v.run.id, v.run.state,
		       v.run.project, v.run.started_at);
		printf("%-8s %-18s %-10s %-8s %s\n", "story", "state", "step", "attempt",
		       "escalation or wait");
		json_array_foreach(stories, i, o)
		{
			json_t *rs = json_object_get(o, "escalation_reasons");
			const char *wait = json_string_value(json_object_get(o, "waiting_until"));
			char *note =
				wait ? xstrfmt("waiting until %s (%s)", wait,
					       json_string_value(
						       json_object_get(o, "waiting_reason")))
				     : xstrdup(json_array_size(rs)
						       ? json_string_value(json_array_get(rs, 0))
						       : "");

			printf("%-8s %-18s %-10s %-8lld %s\n",
			       json_string_value(json_object_get(o, "id")),
			       json_string_value(json_object_get(o, "state")),
			       json_string_value(json_object_get(o, "step"))
				       ? json_string_value(json_object_get(o, "step"))
				       : "-",
			       (long long)json_integer_value(json_object_get(o, "attempt")), note);
			free(note);
		}
		if (required)
			printf("\na decision is needed\n");
	}
	json_decref(root);
	json_decref(oe.by_story);
	json_decref(oe.signals);
	story_list_release(&l);
	view_close(&v);
	return EXIT_OK;
}

/* The newest log of story (any step, or step), newly allocated; NULL when none. */
static char *find_log(struct view *v, const char *story, const char *step)
{
	struct story_list l = { 0 };
	char *path = NULL;
	const struct store_story *s = NULL;

	store_stories_foreach(v->st, v->run.id, collect_story, &l, NULL);
	for (size_t i = 0; i < l.n; i++)
		if (!strcmp(l.v[i].story_id, story) || storykey_same(l.v[i].story_id, story))
			s = &l.v[i];
	if (s) {
		/* the latest attempt of the step (default: the story's current step) */
		const char *want = step ? step : s->step_name;

		for (int a = 64; a >= 1 && want && !path; a--) {
			struct store_session ss;

			if (store_session_get(v->st, v->run.id, s->story_id, want, a, &ss, NULL) ==
			    0) {
				path = xstrdup(ss.log_path);
				store_session_release(&ss);
			}
		}
	}
	story_list_release(&l);
	return path;
}

int cmd_log_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("log");
	struct cmd_opt opts[] = { { "step", 1, NULL, 0 },
				  { "follow", 0, NULL, 0 },
				  { "run", 1, NULL, 0 } };
	char **pos, *path, *exitp;
	struct view v;
	int npos, ret;
	off_t off = 0;
	FILE *f;

	ret = cmd_parse(c, argc, argv, opts, ARRAY_SIZE(opts), &pos, &npos);
	if (ret)
		return ret;
	if (npos != 1) {
		free(pos);
		return cmd_usage_error(c, "expected one story");
	}
	if ((ret = view_open(&v, opts[2].value)) != 0 || !v.have_run) {
		free(pos);
		if (!ret)
			fprintf(stderr, "%s: no runs yet\n", progname);
		view_close(&v);
		return ret ? ret : EXIT_NEGATIVE;
	}
	path = find_log(&v, pos[0], opts[0].value);
	if (!path) {
		fprintf(stderr, "%s: no session log for story '%s'%s%s\n", progname, pos[0],
			opts[0].seen ? " step " : "", opts[0].seen ? opts[0].value : "");
		free(pos);
		view_close(&v);
		return EXIT_NEGATIVE;
	}
	exitp = xstrfmt("%.*s.exit", (int)(strlen(path) - 4), path);
	for (;;) {
		char chunk[65536];
		size_t n;
		struct stat stt;
		bool ended = access(exitp, F_OK) == 0;

		f = fopen(path, "re");
		if (f) {
			fseeko(f, off, SEEK_SET);
			while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
				fwrite(chunk, 1, n, stdout);
				off += (off_t)n;
			}
			fclose(f);
		}
		fflush(stdout);
		if (!opts[1].seen || (ended && stat(path, &stt) == 0 && stt.st_size == off))
			break;
		{
			struct timespec ts = { 0, 200 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	free(exitp);
	free(path);
	free(pos);
	view_close(&v);
	return EXIT_OK;
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
