/* SPDX-License-Identifier: MIT */
/*
 * cmd_helper_marker.c: orchestrator-helper marker create|remove|check|
 * heartbeat, the run marker .automator/active for scripts and hooks. Prints
 * one compact JSON object (jansson) on stdout, diagnostics on stderr. Must
 * not decide anything about runs, nor touch any file but the marker (and
 * .automator/ when create needs it); reading, checking and writing the file
 * belong to project.c.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "commands.h"
#include "jsonx.h"
#include "project.h"
#include "util.h"

static const char corrupt_hint[] = "remove it with: orchestrator-helper marker remove";

enum { OPT_ROOT, OPT_EPIC, OPT_STORY, OPT_REMAINING, OPT_STATE_FILE, OPT_PID, OPT_COUNT };

struct mctx {
	const struct cmd *c;
	struct cmd_opt *opts;
	struct project pj;
	char *path; /* pj.dir/active, for messages */
	long pid;   /* --pid, or 0 */
	int remaining;
};

/* The marker's fields in DESIGN order, times as ISO 8601 UTC. */
static json_t *marker_json(const struct marker *m)
{
	char *started = clock_iso(m->started_at), *beat = clock_iso(m->heartbeat);
	json_t *o;

	o = json_pack("{s:s?,s:s?,s:i,s:s,s:s,s:s,s:I,s:s}", "epic", m->epic, "currentStory",
		      m->current_story, "storiesRemaining", m->stories_remaining, "stateFile",
		      m->state_file, "startedAt", started, "heartbeat", beat, "pid",
		      (json_int_t)m->pid, "projectSlug", m->project_slug);
	free(started);
	free(beat);
	if (!o)
		xdie("cannot encode json");
	return o;
}

/* Whether s can go into a JSON string (NULL can: it becomes null). */
static bool json_ok(const char *s)
{
	json_t *t;

	if (!s)
		return true;
	t = json_string(s);
	json_decref(t);
	return t != NULL;
}

static int fail(json_t *out, int code)
{
	jsonx_print(out);
	return code;
}

/*
 * Reports a corrupt marker: {"exists":true,...} for check, {"ok":false,...}
 * for the commands that need a good one. Frees cause.
 */
static int report_corrupt(struct mctx *x, bool for_check, char *cause)
{
	fprintf(stderr, "%s marker: corrupt marker '%s': %s\n", progname, x->path, cause);
	jsonx_print(json_pack("{s:b,s:b,s:s,s:s}", for_check ? "exists" : "ok", for_check,
			      "corrupt", 1, "reason", cause, "hint", corrupt_hint));
	free(cause);
	return EXIT_DATAERR;
}

/* Writes m; on failure prints the error and returns the exit code. */
static int write_marker(struct mctx *x, const struct marker *m, bool prepare)
{
	char *cause = NULL;

	if (!json_ok(m->state_file) || !json_ok(m->project_slug) || !json_ok(m->epic) ||
	    !json_ok(m->current_story)) {
		fprintf(stderr, "%s marker: a field is not valid UTF-8\n", progname);
		return fail(json_pack("{s:b,s:s}", "ok", 0, "reason", "invalid_utf8"),
			    EXIT_DATAERR);
	}
	if ((prepare && project_prepare(&x->pj, &cause) < 0) ||
	    project_marker_write(&x->pj, m, &cause) < 0) {
		fprintf(stderr, "%s marker: %s\n", progname, cause);
		free(cause);
		return fail(json_pack("{s:b,s:s}", "ok", 0, "reason", "write_failed"),
			    EXIT_SOFTWARE);
	}
	return EXIT_OK;
}

static int marker_create(struct mctx *x)
{
	struct marker old, m = { 0 };
	long long now = clock_wall();
	char *cause = NULL;
	int rc, ret;

	rc = project_marker_read(&x->pj, &old, &cause);
	if (rc < 0) {
		fprintf(stderr, "%s marker: replacing a corrupt marker: %s\n", progname, cause);
		free(cause);
	}
	m.epic = x->opts[OPT_EPIC].value;
	m.current_story = x->opts[OPT_STORY].value;
	m.stories_remaining = x->remaining;
	m.state_file = x->opts[OPT_STATE_FILE].seen ? x->opts[OPT_STATE_FILE].value : x->pj.db;
	/* a marker rewritten for the same run keeps the time the run started */
	m.started_at = rc == 0 ? old.started_at : now;
	m.heartbeat = now;
	/* the helper exits at once: the process to watch is its caller */
	m.pid = x->pid ? x->pid : (long)getppid();
	m.project_slug = x->pj.slug;
	ret = write_marker(x, &m, true);
	if (ret == EXIT_OK)
		jsonx_print(marker_json(&m));
	if (rc == 0)
		project_marker_clear(&old);
	return ret;
}

static int marker_remove(struct mctx *x)
{
	bool existed = project_marker_exists(&x->pj);

	if (project_marker_remove(&x->pj) < 0) {
		fprintf(stderr, "%s marker: cannot remove '%s': %s\n", progname, x->path,
			strerror(errno));
		return fail(json_pack("{s:b,s:s}", "ok", 0, "reason", "remove_failed"),
			    EXIT_SOFTWARE);
	}
	jsonx_print(json_pack("{s:b,s:b}", "ok", 1, "removed", existed));
	return EXIT_OK;
}

static int marker_check(struct mctx *x)
{
	long long now = clock_wall();
	char *cause = NULL;
	struct marker m;
	bool fresh, alive;
	json_t *o, *fields;
	int rc;

	rc = project_marker_read(&x->pj, &m, &cause);
	if (rc > 0)
		return fail(json_pack("{s:b}", "exists", 0), EXIT_NEGATIVE);
	if (rc < 0)
		return report_corrupt(x, true, cause);
	fresh = project_marker_fresh(&m, now, &alive);
	o = json_pack("{s:b,s:b,s:b,s:I}", "exists", 1, "fresh", fresh, "pidAlive", alive,
		      "heartbeatAgeSeconds", (json_int_t)(now - m.heartbeat));
	fields = marker_json(&m);
	if (!o || json_object_update(o, fields) < 0)
		xdie("cannot encode json");
	json_decref(fields);
	jsonx_print(o);
	project_marker_clear(&m);
	return EXIT_OK;
}

static int marker_heartbeat(struct mctx *x)
{
	char *cause = NULL;
	struct marker m;
	int rc, ret;

	rc = project_marker_read(&x->pj, &m, &cause);
	if (rc > 0)
		return fail(json_pack("{s:b,s:s}", "ok", 0, "reason", "no_marker"), EXIT_NEGATIVE);
	if (rc < 0)
		return report_corrupt(x, false, cause);
	m.heartbeat = clock_wall();
	ret = write_marker(x, &m, false);
	if (ret == EXIT_OK)
		jsonx_print(marker_json(&m));
	project_marker_clear(&m);
	return ret;
}

/* clang-format off */
static const struct {
	const char *name;
	bool fields; /* takes --epic, --story, --remaining, --state-file, --pid */
	int (*fn)(struct mctx *x);
} subcommands[] = {
/*	name		fields	fn */
	{ "create",	true,	marker_create },
	{ "remove",	false,	marker_remove },
	{ "check",	false,	marker_check },
	{ "heartbeat",	false,	marker_heartbeat },
};
/* clang-format on */

/* Parses a decimal integer in [min, max]; returns 0 or -1. */
static int parse_num(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Checks the create options; returns 0 or the usage exit code. */
static int check_fields(struct mctx *x)
{
	static const int strs[] = { OPT_EPIC, OPT_STORY, OPT_STATE_FILE };
	long v;

	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		const struct cmd_opt *o = &x->opts[strs[i]];

		if (o->seen && !*o->value)
			return cmd_usage_error(x->c, "option '--%s' needs a value", o->name);
		if (o->seen && !json_ok(o->value))
			return cmd_usage_error(x->c, "option '--%s': not valid UTF-8", o->name);
	}
	if (x->opts[OPT_REMAINING].seen) {
		if (parse_num(x->opts[OPT_REMAINING].value, 0, INT_MAX, &v) < 0)
			return cmd_usage_error(x->c, "--remaining: not a count '%s'",
					       x->opts[OPT_REMAINING].value);
		x->remaining = (int)v;
	}
	if (x->opts[OPT_PID].seen) {
		if (parse_num(x->opts[OPT_PID].value, 1, INT_MAX, &v) < 0)
			return cmd_usage_error(x->c, "--pid: not a process id '%s'",
					       x->opts[OPT_PID].value);
		x->pid = v;
	}
	return 0;
}

int cmd_marker_exec(int argc, char **argv)
{
	struct cmd_opt opts[OPT_COUNT] = {
		[OPT_ROOT] = { "project-root", 1, NULL, 0 },
		[OPT_EPIC] = { "epic", 1, NULL, 0 },
		[OPT_STORY] = { "story", 1, NULL, 0 },
		[OPT_REMAINING] = { "remaining", 1, NULL, 0 },
		[OPT_STATE_FILE] = { "state-file", 1, NULL, 0 },
		[OPT_PID] = { "pid", 1, NULL, 0 },
	};
	struct mctx x = { .c = cmd_lookup("marker"), .opts = opts };
	char **pos = NULL, *root = NULL, *name, *cause = NULL;
	size_t sub = ARRAY_SIZE(subcommands);
	int npos, ret;

	ret = cmd_parse(x.c, argc, argv, opts, ARRAY_SIZE(opts), &pos, &npos);
	if (ret)
		return ret;
	if (npos == 0) {
		ret = cmd_usage_error(x.c, "expected a subcommand");
		goto out;
	}
	if (npos > 1) {
		ret = cmd_usage_error(x.c, "unexpected argument '%s'", pos[1]);
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (!strcmp(pos[0], subcommands[i].name))
			sub = i;
	if (sub == ARRAY_SIZE(subcommands)) {
		ret = cmd_usage_error(x.c, "unknown subcommand '%s'", pos[0]);
		goto out;
	}
	for (int i = OPT_EPIC; !subcommands[sub].fields && i < OPT_COUNT; i++) {
		if (opts[i].seen) {
			ret = cmd_usage_error(x.c, "option '--%s' is only for create",
					      opts[i].name);
			goto out;
		}
	}
	if ((ret = check_fields(&x)) != 0)
		goto out;
	if (project_find_root(opts[OPT_ROOT].value, &root, &cause) < 0) {
		fprintf(stderr, "%s marker: %s\n", progname, cause);
		free(cause);
		ret = fail(json_pack("{s:b,s:s}", "ok", 0, "reason", "no_project_root"),
			   EXIT_USAGE);
		goto out;
	}
	name = project_root_name(root);
	project_init(&x.pj, root, name);
	free(name);
	x.path = path_join(x.pj.dir, "active");
	ret = subcommands[sub].fn(&x);
	free(x.path);
	project_release(&x.pj);
out:
	free(root);
	free(pos);
	return ret;
}
