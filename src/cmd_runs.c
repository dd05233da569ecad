/* SPDX-License-Identifier: MIT */
/*
 * cmd_runs.c: `automator runs` and `automator watch`, the operator's view
 * of runs: those of this project, or with --all of every project in the
 * per-user registry (registry.c). Each run is classified the way the
 * operator policy wants it (runs_class): running, needs_decision,
 * interrupted (unfinished, its process gone: never "running"), stale
 * (gone and quiet past --stale-after: listed apart, never alerted on),
 * complete, aborted, and gone (its project or journal is no longer
 * there). The truth comes from each project's journal and marker; the
 * registry only says where to look. watch refreshes the view every
 * --interval and, with --restart-dead, resumes interrupted runs within a
 * budget of restarts with a cooldown that doubles (kept in the registry,
 * so that `watch --once` from cron keeps the same budget).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "cmd_view.h"
#include "commands.h"
#include "jsonw.h"
#include "project.h"
#include "registry.h"
#include "runs_class.h"
#include "schema.h"
#include "status_signals.h"
#include "store.h"
#include "util.h"

#define DEFAULT_STALE_AFTER (24 * 3600L)
#define DEFAULT_INTERVAL 10
#define DEFAULT_RESTART_BUDGET 3
#define RESTART_COOLDOWN 30 /* seconds; after n restarts the next waits 30 s << n (60, 120, ...) */
#define RESTART_COOLDOWN_MAX 3600

struct run_row {
	char *root, *id, *state, *started_at, *last_at;
	long pid;
	enum runs_class class;
	bool alive;
	long long heartbeat_age; /* -1: none */
	long long age;           /* seconds since its last activity */
	int open_esc;
	struct status_signals sg;
	struct store_story_row *stories; /* the signals' stories point into them */
	size_t nstories;
	char *note; /* gone: why */
};

struct rows {
	struct run_row *v;
	size_t n, cap;
};

static struct run_row *add_row(struct rows *rs, const char *root)
{
	struct run_row *r;

	rs->v = grow_array(rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v));
	r = &rs->v[rs->n++];
	memset(r, 0, sizeof(*r));
	r->root = xstrdup(root);
	r->heartbeat_age = -1;
	return r;
}

static void rows_release(struct rows *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct run_row *r = &rs->v[i];

		free(r->root);
		free(r->id);
		free(r->state);
		free(r->started_at);
		free(r->last_at);
		free(r->note);
		status_signals_release(&r->sg);
		store_story_rows_free(r->stories, r->nstories);
	}
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

/* One run of the project open in v: its liveness, decisions and signals. */
static void collect_run(struct view *v, long stale_after, long long now, struct run_row *row)
{
	struct open_escalations oe = { NULL, 0, 0, STRMAP_INIT };
	struct liveness l;

	row->id = xstrdup(v->run.id);
	row->state = xstrdup(v->run.state);
	row->started_at = xstrdup(v->run.started_at);
	row->last_at = xstrdup(v->run.updated_at ? v->run.updated_at : v->run.started_at);
	row->pid = (long)v->run.pid;
	liveness_of(v, &l);
	row->alive = l.alive;
	/* the marker is the live run's: another run's heartbeat it is not */
	row->heartbeat_age = l.alive ? l.heartbeat_age : -1;
	row->age = now - clock_iso_seconds(row->last_at);
	if (row->age < 0)
		row->age = 0;
	store_escalations_foreach(v->st, v->run.id, true, note_escalation, &oe, NULL);
	row->open_esc = (int)oe.n;
	if (l.live_state &&
	    store_story_rows(v->st, v->run.id, &row->stories, &row->nstories, NULL) == 0)
		status_signals_collect(v, row->stories, row->nstories, &oe, &l, &row->sg);
	row->class = runs_classify(l.live_state, v->run.state, l.alive, row->open_esc, row->age,
				   stale_after);
	open_escalations_release(&oe);
}

/* Every run of the project at root, oldest first; a project gone is one row. */
static void collect_root(const char *root, long stale_after, long long now, struct rows *rs)
{
	char *db = path_join(root, ".automator/state.db"), *cause = NULL;
	struct store_run *runs = NULL;
	struct view v = { 0 };
	size_t n = 0;

	if (access(db, F_OK) < 0) {
		struct run_row *r = add_row(rs, root);

		r->class = RC_GONE;
		r->note = xstrfmt("no journal at %s", db);
		free(db);
		return;
	}
	if (store_open(db, &v.st, &cause) < 0 || store_runs_list(v.st, &runs, &n, &cause) < 0) {
		struct run_row *r = add_row(rs, root);

		r->class = RC_GONE;
		r->note = xstrfmt("cannot read its journal: %s", cause);
		free(cause);
		store_close(v.st);
		free(db);
		return;
	}
	v.root = (char *)root;
	v.have_run = true;
	for (size_t i = 0; i < n; i++) {
		v.run = runs[i];
		collect_run(&v, stale_after, now, add_row(rs, root));
	}
	store_runs_free(runs, n);
	store_close(v.st);
	free(db);
}

/* The runs to show: this project's, or every registered project's. 0, or an exit status. */
static int collect(bool all, long stale_after, struct rows *rs)
{
	struct strvec roots = STRVEC_INIT;
	long long now = clock_wall();
	char *cause = NULL;

	if (all) {
		if (registry_list(&roots, &cause) < 0) {
			fprintf(stderr, "%s: cannot read the registry of runs: %s\n", progname,
				cause);
			free(cause);
			return EXIT_SOFTWARE;
		}
	} else {
		char *root = project_find_state();

		if (!root) {
			fprintf(stderr,
				"%s: no automator project here (no .automator/state.db in this "
				"directory or above); --all lists every project's runs\n",
				progname);
			return EXIT_USAGE;
		}
		strvec_push_nodup(&roots, root);
	}
	for (size_t i = 0; i < roots.n; i++)
		collect_root(roots.v[i], stale_after, now, rs);
	strvec_release(&roots);
	return 0;
}

/* w's value as an item of the list, then emptied. */
static void put_item(struct jsonw_list *l, struct jsonw *w)
{
	jsonw_list_item(l, buf_str(&w->b));
	buf_release(&w->b);
}

static void write_json(struct jsonw_list *l, const struct run_row *r, const char *at)
{
	struct jsonw w = { BUF_INIT, 0, { false }, { 0 } };

	jsonw_obj(&w, NULL);
	if (at)
		jsonw_str(&w, "at", at);
	jsonw_str(&w, "project", r->root);
	jsonw_str(&w, "run", r->id);
	jsonw_str(&w, "state", r->state);
	jsonw_str(&w, "class", runs_class_name(r->class));
	jsonw_bool(&w, "quarantined", runs_class_quarantined(r->class));
	jsonw_bool(&w, "alive", r->alive);
	if (r->pid > 0)
		jsonw_int(&w, "pid", r->pid);
	else
		jsonw_null(&w, "pid");
	if (r->heartbeat_age >= 0)
		jsonw_int(&w, "heartbeat_age_seconds", r->heartbeat_age);
	else
		jsonw_null(&w, "heartbeat_age_seconds");
	jsonw_str(&w, "started_at", r->started_at);
	jsonw_str(&w, "last_activity_at", r->last_at);
	if (r->id)
		jsonw_int(&w, "age_seconds", r->age);
	else
		jsonw_null(&w, "age_seconds");
	jsonw_int(&w, "open_escalations", r->open_esc);
	status_signals_write(&w, "signals", &r->sg, NULL, true);
	jsonw_str(&w, "note", r->note);
	jsonw_end(&w);
	put_item(l, &w);
}

/* "5s", "12m", "3h", "4d". */
static void age_text(long long s, char *out, size_t n)
{
	if (s < 120)
		snprintf(out, n, "%llds", s);
	else if (s < 7200)
		snprintf(out, n, "%lldm", s / 60);
	else if (s < 172800)
		snprintf(out, n, "%lldh", s / 3600);
	else
		snprintf(out, n, "%lldd", s / 86400);
}

/* The signal codes of r, each once: "idle,session_dead"; "-" when none. */
static char *signal_codes(const struct run_row *r)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < r->sg.n; i++) {
		const char *c = r->sg.v[i].code;
		bool seen = false;

		for (size_t k = 0; k < i && !seen; k++)
			seen = !strcmp(r->sg.v[k].code, c);
		if (!seen)
			buf_addf(&b, "%s%s", b.len ? "," : "", c);
	}
	return b.len ? buf_detach(&b) : (buf_release(&b), xstrdup("-"));
}

/* The project's root as shown: under $HOME with "~". Newly allocated. */
static char *short_root(const char *root)
{
	const char *home = getenv("HOME");
	size_t n = home ? strlen(home) : 0;

	if (n > 1 && !strncmp(root, home, n) && root[n] == '/')
		return xstrfmt("~%s", root + n);
	return xstrdup(root);
}

static void print_row(const struct run_row *r)
{
	char age[24] = "-", pid[32] = "-", *codes = signal_codes(r), *root = short_root(r->root);

	if (r->id)
		age_text(r->age, age, sizeof(age));
	if (r->pid > 0)
		snprintf(pid, sizeof(pid), "%s%ld", r->alive ? "" : "x", r->pid);
	printf("%-14s %-22s %-8s %6s %4d  %-24s %s%s%s\n", runs_class_name(r->class),
	       r->id ? r->id : "-", pid, age, r->open_esc, codes, root, r->note ? ": " : "",
	       r->note ? r->note : "");
	free(codes);
	free(root);
}

static void print_table(const struct rows *rs)
{
	size_t quarantined = 0;

	if (!rs->n) {
		puts("no runs");
		return;
	}
	printf("%-14s %-22s %-8s %6s %4s  %-24s %s\n", "CLASS", "RUN", "PID", "QUIET", "ESC",
	       "SIGNALS", "PROJECT");
	for (size_t i = 0; i < rs->n; i++) {
		if (runs_class_quarantined(rs->v[i].class))
			quarantined++;
		else
			print_row(&rs->v[i]);
	}
	if (!quarantined)
		return;
	printf("\nstale or gone (listed apart, not alerted on):\n");
	for (size_t i = 0; i < rs->n; i++)
		if (runs_class_quarantined(rs->v[i].class))
			print_row(&rs->v[i]);
}

/* The runs as a table, or as items of l (JSON) when l is not NULL. */
static void render(const struct rows *rs, struct jsonw_list *l, const char *at)
{
	for (size_t i = 0; l && i < rs->n; i++)
		write_json(l, &rs->v[i], at);
	if (!l)
		print_table(rs);
	fflush(stdout);
}

static int parse_stale(const struct cmd *c, const struct cmd_opt *o, long *out)
{
	*out = DEFAULT_STALE_AFTER;
	if (o->seen && (parse_duration(o->value, out) != 0 || *out <= 0))
		return cmd_usage_error(c, "--stale-after: '%s' is not a duration (30m, 24h, 7d)",
				       o->value);
	return 0;
}

int cmd_runs_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("runs");
	struct cmd_opt opts[] = { { "all", 0, NULL, 0 },
				  { "json", 0, NULL, 0 },
				  { "stale-after", 1, NULL, 0 },
				  { "jsonl", 0, NULL, 0 } };
	struct jsonw_list l;
	struct rows rs = { 0 };
	bool json;
	long stale;
	int ret;

	ret = cmd_parse_noargs(c, argc, argv, opts, ARRAY_SIZE(opts));
	if (ret)
		return ret;
	json = opts[1].seen || opts[3].seen;
	if ((ret = parse_stale(c, &opts[2], &stale)) != 0)
		return ret;
	if ((ret = collect(opts[0].seen, stale, &rs)) != 0)
		return ret;
	if (json)
		jsonw_list_begin(&l, stdout, opts[3].seen);
	render(&rs, json ? &l : NULL, NULL);
	if (json)
		jsonw_list_end(&l);
	rows_release(&rs);
	return EXIT_OK;
}

/* Starts `automator resume --no-input` in root, detached, its output in .automator/. */
static int start_resume(const char *root, char **log)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int pid;

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	*log = path_join(root, ".automator/watch-resume.log");
	fflush(NULL);
	pid = fork();
	if (pid != 0)
		return pid; /* the child's child does the work: nothing to reap later */
	{
		int fd = open(*log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
		char *const args[] = { exe, (char *)"resume", (char *)"--no-input", NULL };

		if (fd < 0 || nul < 0 || chdir(root) < 0 || setsid() < 0)
			_exit(127);
		dup2(nul, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		/* a session of its own: the watch's end (Ctrl-C) does not end it */
		if (fork() == 0) {
			execv(exe, args);
			_exit(127);
		}
		_exit(0);
	}
}

/*
 * --restart-dead: an interrupted run resumed unless its budget is spent or
 * its cooldown (RESTART_COOLDOWN doubled for each restart before) runs.
 */
static void restart_dead(struct run_row *r, int budget, struct jsonw_list *l, const char *at)
{
	long long last = 0, now = clock_wall(), cooldown;
	char *cause = NULL, *log = NULL;
	int n, pid;

	if (r->class != RC_INTERRUPTED)
		return;
	n = registry_restarts(r->root, r->id, &last, &cause);
	if (n < 0) {
		fprintf(stderr, "%s: cannot read the restarts of %s: %s\n", progname, r->id, cause);
		free(cause);
		return;
	}
	if (n >= budget) {
		if (!l)
			printf("%s: not restarted: its %d restarts are spent (--restart-budget)\n",
			       r->id, budget);
		return;
	}
	cooldown = (long long)RESTART_COOLDOWN << (n < 8 ? n : 8);
	if (cooldown > RESTART_COOLDOWN_MAX)
		cooldown = RESTART_COOLDOWN_MAX;
	if (last && now - last < cooldown)
		return;
	pid = start_resume(r->root, &log);
	if (pid < 0 || registry_restart_add(r->root, r->id, &cause) < 0) {
		fprintf(stderr, "%s: cannot restart %s: %s\n", progname, r->id,
			cause ? cause : strerror(errno));
		free(cause);
		free(log);
		return;
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (l) {
		struct jsonw w = { BUF_INIT, 0, { false }, { 0 } };

		jsonw_obj(&w, NULL);
		jsonw_str(&w, "at", at);
		jsonw_str(&w, "event", "restart");
		jsonw_str(&w, "project", r->root);
		jsonw_str(&w, "run", r->id);
		jsonw_int(&w, "attempt", n + 1);
		jsonw_int(&w, "budget", budget);
		jsonw_str(&w, "log", log);
		jsonw_end(&w);
		put_item(l, &w);
	} else
		printf("%s: restarted (automator resume, attempt %d of %d); its output: %s\n",
		       r->id, n + 1, budget, log);
	free(log);
}

static void sleep_s(int s)
{
	struct timespec ts = { s, 0 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int cmd_watch_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("watch");
	struct cmd_opt opts[] = { { "all", 0, NULL, 0 },
				  { "json", 0, NULL, 0 },
				  { "stale-after", 1, NULL, 0 },
				  { "interval", 1, NULL, 0 },
				  { "once", 0, NULL, 0 },
				  { "restart-dead", 0, NULL, 0 },
				  { "restart-budget", 1, NULL, 0 },
				  { "jsonl", 0, NULL, 0 } };
	struct jsonw_list l;
	bool json = opts[1].seen, tty;
	long stale, interval = DEFAULT_INTERVAL, budget = DEFAULT_RESTART_BUDGET;
	char *end;
	int ret;

	ret = cmd_parse_noargs(c, argc, argv, opts, ARRAY_SIZE(opts));
	if (ret)
		return ret;
	json = opts[1].seen || opts[7].seen;
	if ((ret = parse_stale(c, &opts[2], &stale)) != 0)
		return ret;
	if (opts[3].seen) {
		errno = 0;
		interval = strtol(opts[3].value, &end, 10);
		if (errno || *end || interval < 1 || interval > 86400)
			return cmd_usage_error(c,
					       "--interval: '%s' is not a number of seconds "
					       "from 1 to 86400",
					       opts[3].value);
	}
	if (opts[6].seen) {
		errno = 0;
		budget = strtol(opts[6].value, &end, 10);
		if (errno || *end || budget < 0 || budget > 1000)
			return cmd_usage_error(c,
					       "--restart-budget: '%s' is not a number from 0 "
					       "to 1000",
					       opts[6].value);
	}
	tty = !json && isatty(STDOUT_FILENO);
	for (;;) {
		struct rows rs = { 0 };
		char *at = clock_iso(clock_wall());

		if ((ret = collect(opts[0].seen, stale, &rs)) != 0) {
			free(at);
			return ret;
		}
		if (tty && !opts[4].seen)
			fputs("\033[H\033[2J", stdout);
		if (!json)
			printf("automator watch, %s", at);
		if (!json && !opts[4].seen)
			printf(" (every %lds; Ctrl-C stops)", interval);
		if (!json)
			printf("\n\n");
		/* --json: one array a look (restarts included); --jsonl: one object a line */
		if (json)
			jsonw_list_begin(&l, stdout, opts[7].seen);
		render(&rs, json ? &l : NULL, at);
		for (size_t i = 0; opts[5].seen && i < rs.n; i++)
			restart_dead(&rs.v[i], (int)budget, json ? &l : NULL, at);
		if (json)
			jsonw_list_end(&l);
		fflush(stdout);
		rows_release(&rs);
		free(at);
		if (opts[4].seen)
			return EXIT_OK;
		sleep_s((int)interval);
	}
}
