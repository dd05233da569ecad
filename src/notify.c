/* SPDX-License-Identifier: MIT */
/*
 * notify.c: sends an escalation on the routes its severity is configured
 * for: a JSON lines log, the terminal bell, a tmux banner, a desktop
 * notification and a user command. Must not abort, exit or print: a failed
 * route is counted and described in the caller's buffer, and the others
 * still run. Must not hand any text to a shell: programs get argv, and the
 * escalation reaches the user's command only through its environment.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "notify.h"
#include "proc.h"

#define NOTIFY_DESKTOP_TIMEOUT_MS 5000
#define NOTIFY_COMMAND_TIMEOUT_MS 10000

/* clang-format off */
static const char *const severity_names[] = {
/*	severity		name */
	[SEVERITY_MEDIUM] =	"MEDIUM",
	[SEVERITY_HIGH] =	"HIGH",
	[SEVERITY_CRITICAL] =	"CRITICAL",
};

static const char *const severity_urgency[] = {
/*	severity		notify-send --urgency */
	[SEVERITY_MEDIUM] =	"low",
	[SEVERITY_HIGH] =	"normal",
	[SEVERITY_CRITICAL] =	"critical",
};
/* clang-format on */

const char *severity_name(enum severity s)
{
	if ((unsigned)s >= ARRAY_SIZE(severity_names))
		return "?";
	return severity_names[s];
}

enum severity severity_bump(enum severity s)
{
	return s < SEVERITY_CRITICAL ? s + 1 : SEVERITY_CRITICAL;
}

int severity_parse(const char *name, enum severity *out)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(severity_names); i++)
		if (!strcasecmp(name, severity_names[i])) {
			*out = (enum severity)i;
			return 0;
		}
	return -1;
}

/* Length of the valid UTF-8 sequence at p, or 0 when it is not one. */
static size_t notify_utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* A JSON string for s (null for NULL); invalid UTF-8 bytes become U+FFFD. */
static json_t *notify_json_str(const char *s)
{
	struct buf clean = BUF_INIT;
	json_t *j;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = notify_utf8_len(p);

		if (n) {
			buf_add(&clean, p, n);
			p += n;
		} else {
			buf_adds(&clean, "\xef\xbf\xbd");
			p++;
		}
	}
	j = json_string(buf_str(&clean));
	buf_release(&clean);
	return j ? j : json_string("");
}

/* Appends s to b with control characters (newlines included) as spaces. */
static void notify_add_line(struct buf *b, const char *s)
{
	for (; s && *s; s++)
		buf_addc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

static void notify_error(const struct notify_ctx *cx, const struct notify_event *e,
			 const char *route, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void notify_error(const struct notify_ctx *cx, const struct notify_event *e,
			 const char *route, const char *fmt, ...)
{
	struct buf what = BUF_INIT;
	va_list ap;

	if (!cx->errors)
		return;
	va_start(ap, fmt);
	buf_vaddf(&what, fmt, ap);
	va_end(ap);
	buf_addf(cx->errors, "escalation %" PRId64 ": %s route: ", e->id, route);
	notify_add_line(cx->errors, buf_str(&what));
	buf_addc(cx->errors, '\n');
	buf_release(&what);
}

static int notify_log(const struct notify_ctx *cx, const struct notify_event *e, unsigned sent)
{
	json_t *o = json_object(), *routes = json_array();
	struct buf line = BUF_INIT;
	char *text;
	ssize_t n;
	int fd, ret = -1;

	for (int r = 0; r < NR__COUNT; r++)
		if (sent & 1u << r)
			json_array_append_new(routes, json_string(notify_route_names[r]));
	json_object_set_new(o, "id", json_integer(e->id));
	json_object_set_new(o, "run", notify_json_str(e->run_id));
	json_object_set_new(o, "story", notify_json_str(e->story));
	json_object_set_new(o, "step", notify_json_str(e->step));
	json_object_set_new(o, "trigger", notify_json_str(e->trigger));
	json_object_set_new(o, "title", notify_json_str(e->title));
	json_object_set_new(o, "category", notify_json_str(e->category));
	json_object_set_new(o, "severity", json_string(severity_name(e->severity)));
	json_object_set_new(o, "message", notify_json_str(e->message));
	json_object_set_new(o, "reescalation", json_integer(e->reescalation));
	json_object_set_new(o, "at", notify_json_str(e->at));
	json_object_set_new(o, "routes", routes);
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!text) {
		notify_error(cx, e, "log", "cannot encode the escalation as JSON");
		return -1;
	}
	buf_adds(&line, text);
	buf_addc(&line, '\n');
	free(text);

	if (!cx->log_path) {
		notify_error(cx, e, "log", "no log file configured");
		goto out;
	}
	fd = open(cx->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		notify_error(cx, e, "log", "cannot open '%s': %s", cx->log_path, strerror(errno));
		goto out;
	}
	/* One write: O_APPEND places it whole at the end, never between another's bytes. */
	n = write(fd, line.s, line.len);
	if (n < 0)
		notify_error(cx, e, "log", "cannot write '%s': %s", cx->log_path, strerror(errno));
	else if ((size_t)n != line.len)
		notify_error(cx, e, "log", "short write to '%s' (%zd of %zu bytes)", cx->log_path,
			     n, line.len);
	else
		ret = 0;
	if (close(fd) < 0 && ret == 0) {
		notify_error(cx, e, "log", "cannot write '%s': %s", cx->log_path, strerror(errno));
		ret = -1;
	}
out:
	buf_release(&line);
	return ret;
}

static int notify_bell(const struct notify_ctx *cx, const struct notify_event *e)
{
	ssize_t n;

	do
		n = write(cx->bell_fd, "\a", 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		return 0;
	notify_error(cx, e, "bell", "cannot write to the terminal: %s",
		     n < 0 ? strerror(errno) : "nothing written");
	return -1;
}

/* "story S" or "run R", then ": TITLE", on one line. */
static void notify_add_subject(struct buf *b, const struct notify_event *e)
{
	buf_adds(b, e->story ? "story " : "run ");
	notify_add_line(b, e->story ? e->story : e->run_id);
	buf_adds(b, ": ");
	notify_add_line(b, e->title);
}

static int notify_tmux(const struct notify_ctx *cx, const struct notify_event *e)
{
	struct buf text = BUF_INIT;
	int ret = 0;

	buf_addf(&text, "automator: DECISION NEEDED (%s) ", severity_name(e->severity));
	notify_add_subject(&text, e);
	buf_addf(&text, " \u2014 automator answer %" PRId64, e->id);
	if (tmx_banner(cx->tmx, text.s) < 0) {
		notify_error(cx, e, "tmux", "cannot show the banner on server '%s'",
			     cx->tmx->socket ? cx->tmx->socket : "");
		ret = -1;
	}
	buf_release(&text);
	return ret;
}

/* Describes a proc_run that did not go well; 0 when it did. */
static int notify_check_proc(const struct notify_ctx *cx, const struct notify_event *e,
			     const char *route, const char *prog, int ran,
			     const struct proc_result *r)
{
	char *d;

	if (ran < 0) {
		if (r->not_found)
			notify_error(cx, e, route, "program not found '%s'", prog);
		else
			notify_error(cx, e, route, "cannot run '%s': %s", prog, strerror(errno));
		return -1;
	}
	if (proc_ok(r))
		return 0;
	d = proc_describe(r);
	notify_error(cx, e, route, "'%s' failed: %s", prog, d);
	free(d);
	return -1;
}

static int notify_desktop(const struct notify_ctx *cx, const struct notify_event *e)
{
	struct buf urgency = BUF_INIT, summary = BUF_INIT, body = BUF_INIT;
	unsigned sev = (unsigned)e->severity;
	struct proc_opts o = { .timeout_ms = NOTIFY_DESKTOP_TIMEOUT_MS };
	const char *argv[] = { "notify-send", "--app-name=automator", NULL, NULL, NULL, NULL };
	struct proc_result r;
	int ran, ret;

	buf_addf(&urgency, "--urgency=%s",
		 sev < ARRAY_SIZE(severity_urgency) ? severity_urgency[sev] : "critical");
	/* Summary and body never start with '-', so notify-send cannot take them for options. */
	buf_addf(&summary, "automator: DECISION NEEDED (%s) ", severity_name(e->severity));
	notify_add_subject(&summary, e);
	buf_adds(&body, e->story ? "story " : "run ");
	buf_adds(&body, e->story ? e->story : (e->run_id ? e->run_id : ""));
	if (e->step)
		buf_addf(&body, ", step %s", e->step);
	buf_addf(&body, " (%s)\n\n%s\n\nautomator answer %" PRId64, e->trigger ? e->trigger : "",
		 e->message ? e->message : "", e->id);
	argv[2] = urgency.s;
	argv[3] = summary.s;
	argv[4] = body.s;
	ran = proc_run(argv, &o, &r);
	ret = notify_check_proc(cx, e, "desktop", "notify-send", ran, &r);
	proc_result_release(&r);
	buf_release(&urgency);
	buf_release(&summary);
	buf_release(&body);
	return ret;
}

/* Adds "AUTOMATOR_ESCALATION_NAME=value" to env; NULL is the empty value. */
static void notify_setenv(struct strvec *env, const char *name, const char *value)
{
	strvec_push_nodup(env, xstrfmt("AUTOMATOR_ESCALATION_%s=%s", name, value ? value : ""));
}

static int notify_command(const struct notify_ctx *cx, const struct notify_event *e)
{
	const struct strvec *cmd = &cx->cfg->command;
	struct strvec env = STRVEC_INIT;
	struct proc_opts o = { .cwd = e->project_root, .timeout_ms = NOTIFY_COMMAND_TIMEOUT_MS };
	struct proc_result r;
	int ran, ret;

	if (!cmd->n) {
		notify_error(cx, e, "command", "no command configured (notify.command)");
		return -1;
	}
	strvec_push_nodup(&env, xstrfmt("AUTOMATOR_ESCALATION_ID=%" PRId64, e->id));
	notify_setenv(&env, "SEVERITY", severity_name(e->severity));
	notify_setenv(&env, "TRIGGER", e->trigger);
	notify_setenv(&env, "STORY", e->story);
	notify_setenv(&env, "MESSAGE", e->message);
	notify_setenv(&env, "CATEGORY", e->category);
	notify_setenv(&env, "RUN", e->run_id);
	o.env = (const char *const *)env.v;

	ran = proc_run((const char *const *)cmd->v, &o, &r);
	ret = notify_check_proc(cx, e, "command", cmd->v[0], ran, &r);
	proc_result_release(&r);
	strvec_release(&env);
	return ret;
}

int notify_send(const struct notify_ctx *cx, const struct notify_event *e)
{
	unsigned sent;
	int failed = 0;

	if ((unsigned)e->severity >= ARRAY_SIZE(cx->cfg->routes)) {
		notify_error(cx, e, "any", "unknown severity %d", (int)e->severity);
		return 1;
	}
	sent = cx->cfg->routes[e->severity];
	if (cx->bell_fd < 0)
		sent &= ~(1u << NR_bell);
	if (!cx->tmx)
		sent &= ~(1u << NR_tmux);
	if ((sent & 1u << NR_desktop) && !proc_exists("notify-send"))
		sent &= ~(1u << NR_desktop);
	/* the changelog is written when the escalation is answered (run_changelog.c) */
	sent &= ~(1u << NR_changelog);

	/* The log goes first: it is the record, and the command may take seconds. */
	if (sent & 1u << NR_log)
		failed += notify_log(cx, e, sent) < 0;
	if (sent & 1u << NR_bell)
		failed += notify_bell(cx, e) < 0;
	if (sent & 1u << NR_tmux)
		failed += notify_tmux(cx, e) < 0;
	if (sent & 1u << NR_desktop)
		failed += notify_desktop(cx, e) < 0;
	if (sent & 1u << NR_command)
		failed += notify_command(cx, e) < 0;
	return failed;
}
