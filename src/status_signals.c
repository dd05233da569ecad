/* SPDX-License-Identifier: MIT */
/*
 * status_signals.c: what `automator status` reads besides the stories: the
 * run's open escalations, whether its process is alive, and the signals
 * (reason codes and since when) a dashboard or another agent acts on
 * without reading text. Reads only; one tmux call at most.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "fsm.h"
#include "project.h"
#include "status_signals.h"
#include "tmx.h"
#include "util.h"

int note_escalation(const struct store_escalation *e, void *arg)
{
	struct open_escalations *oe = arg;
	struct esc_signal *g;
	const char *story;

	if (oe->n == oe->cap) {
		oe->cap = oe->cap ? oe->cap * 2 : 8;
		oe->v = xrealloc(oe->v, oe->cap * sizeof(*oe->v));
	}
	g = &oe->v[oe->n];
	*g = (struct esc_signal){ e->id,
				  e->story_id ? xstrdup(e->story_id) : NULL,
				  xstrdup(e->trigger),
				  xstrdup(e->category),
				  xstrdup(e->severity),
				  xstrdup(e->status),
				  e->created_at ? xstrdup(e->created_at) : NULL,
				  e->reescalations };
	/* the map keeps the key: the copy of ours, which lives as long as it */
	story = g->story ? g->story : "";
	strmap_put(&oe->by_story, story, strlen(story), oe->n, NULL);
	oe->n++;
	return 0;
}

void open_escalations_release(struct open_escalations *oe)
{
	for (size_t i = 0; i < oe->n; i++) {
		free(oe->v[i].story);
		free(oe->v[i].trigger);
		free(oe->v[i].category);
		free(oe->v[i].severity);
		free(oe->v[i].status);
		free(oe->v[i].created_at);
	}
	free(oe->v);
	strmap_release(&oe->by_story);
}

void liveness_of(const struct view *v, struct liveness *l)
{
	struct project pj;
	struct marker m;
	char *name = project_root_name(v->root), *cause = NULL;

	l->live_state = true;
	for (int k = 0; k < RS__COUNT; k++)
		if (!strcmp(fsm_run.state_names[k], v->run.state))
			l->live_state = !fsm_is_terminal(&fsm_run, k);
	l->alive = l->live_state && project_run_alive((long)v->run.pid);
	l->heartbeat_age = -1;
	project_init(&pj, v->root, name);
	free(name);
	if (project_marker_read(&pj, &m, &cause) == 0) {
		long long now = clock_wall();

		l->heartbeat_age = now > m.heartbeat ? now - m.heartbeat : 0;
		project_marker_clear(&m);
	}
	free(cause);
	project_release(&pj);
}

static void add(struct status_signals *sg, const char *code, const char *story, const char *since,
		char *detail)
{
	sg->v = xrealloc(sg->v, (sg->n + 1) * sizeof(*sg->v));
	sg->v[sg->n++] =
		(struct status_signal){ code, story, since ? xstrdup(since) : NULL, detail };
}

static bool has(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return true;
	return false;
}

/* A story that should have a session running now. */
static bool in_session(const struct store_story_row *r)
{
	return r->tmux_name &&
	       (!strcmp(r->story.state, "SPAWN") || !strcmp(r->story.state, "REVIEW"));
}

/* The run's tmux sessions (one tmux call), into names. */
static void live_sessions(const struct view *v, struct strvec *names)
{
	struct project pj;
	struct tmx tm;
	char *prefix;

	project_init(&pj, v->run.root, v->run.project);
	prefix = xstrfmt("au-%s-", pj.slug);
	tmx_init(&tm, pj.socket);
	tmx_list_sessions(&tm, prefix, names, NULL);
	tmx_release(&tm);
	free(prefix);
	project_release(&pj);
}

static void story_signals(const struct view *v, const struct store_story_row *rows, size_t n,
			  const struct liveness *l, struct status_signals *sg)
{
	struct strvec names = STRVEC_INIT;
	bool listed = false;
	long long now = clock_wall();

	for (size_t i = 0; i < n; i++) {
		const struct store_story_row *r = &rows[i];
		struct stat st;

		if (!strcmp(r->story.state, "WAITING"))
			add(sg,
			    r->wait_reason && !strcmp(r->wait_reason, "restart-cooldown")
				    ? "restart_cooldown"
				    : "waiting_on_limit",
			    r->story.story_id, r->story.updated_at,
			    r->wait_until ? xstrfmt("until %s (%s)", r->wait_until,
						    r->wait_reason ? r->wait_reason : "-")
					  : NULL);
		if (!in_session(r) || !l->live_state)
			continue;
		if (!listed) {
			live_sessions(v, &names);
			listed = true;
		}
		if (!has(&names, r->tmux_name)) {
			add(sg, "session_dead", r->story.story_id, r->story.updated_at,
			    xstrdup(r->tmux_name));
		} else if (r->log_path && stat(r->log_path, &st) == 0 &&
			   now - st.st_mtime >= STATUS_IDLE_SECONDS) {
			char *since = clock_iso(st.st_mtime);

			add(sg, "idle", r->story.story_id, since,
			    xstrfmt("no output for %llds", now - (long long)st.st_mtime));
			free(since);
		}
	}
	strvec_release(&names);
}

void status_signals_collect(const struct view *v, const struct store_story_row *rows, size_t n,
			    const struct open_escalations *oe, const struct liveness *l,
			    struct status_signals *out)
{
	memset(out, 0, sizeof(*out));
	if (l->live_state && !l->alive && !strcmp(v->run.state, "IN_PROGRESS"))
		add(out, "stuck_in_progress", NULL, v->run.updated_at,
		    xstrfmt("the run's process (pid %lld) is gone: continue with automator resume",
			    (long long)v->run.pid));
	story_signals(v, rows, n, l, out);
	for (size_t i = 0; i < oe->n; i++) {
		const struct esc_signal *e = &oe->v[i];

		add(out, "awaiting_decision", e->story, e->created_at,
		    xstrfmt("escalation %lld: %s", (long long)e->id, e->trigger));
		if (!strcmp(e->trigger, "restart-loop"))
			add(out, "restart_loop", e->story, e->created_at, NULL);
		if (e->reescalations > 0)
			add(out, "stale_escalation", e->story, e->created_at,
			    xstrfmt("re-sent %d time%s", e->reescalations,
				    e->reescalations == 1 ? "" : "s"));
	}
}

void status_signals_write(struct jsonw *w, const char *key, const struct status_signals *sg,
			  const char *story, bool all)
{
	jsonw_arr(w, key);
	for (size_t i = 0; i < sg->n; i++) {
		const struct status_signal *g = &sg->v[i];

		if (!all && !(g->story && story && !strcmp(g->story, story)))
			continue;
		jsonw_obj(w, NULL);
		jsonw_str(w, "code", g->code);
		if (all)
			jsonw_str(w, "story", g->story);
		jsonw_str(w, "since", g->since);
		jsonw_str(w, "detail", g->detail);
		jsonw_end(w);
	}
	jsonw_end(w);
}

void status_signals_release(struct status_signals *sg)
{
	for (size_t i = 0; i < sg->n; i++) {
		free(sg->v[i].since);
		free(sg->v[i].detail);
	}
	free(sg->v);
	memset(sg, 0, sizeof(*sg));
}
