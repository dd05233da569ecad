/* SPDX-License-Identifier: MIT */
/*
 * run_integrator.c: integrations beside the loop. A story's integration
 * (run__integrate_now: the rebase, the status commit, the fast-forward,
 * the worktree's removal; about eight git processes) runs in a process
 * forked for it, so that the loop goes on reading sessions and journaling
 * their verdicts meanwhile. One at a time, in the order INTEGRATE was
 * journaled: each moves the target branch.
 *
 * The child says nothing and journals nothing: what the integration says,
 * the story's note and the events it queues come back as one JSON object
 * through a pipe, and the loop applies them once the pipe ends. The child
 * dies with the loop (PR_SET_PDEATHSIG), and a crash point in it kills
 * both; either way INTEGRATE's intent is unfinished, and a resume
 * integrates again, which ends the same way (run_worktree.c). Where fork
 * fails the integration runs in the loop, as it did before.
 *
 * May call: run__integrate_now, run__say, run__queue. Must not journal.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_int.h"

bool run__integrating(const struct run *r)
{
	return r->integ.pid > 0 || r->integ.nwaiting > 0;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the loop is gone: nobody to tell */
		p += w;
		n -= (size_t)w;
	}
}

/* The integration's niceness over the loop's. */
#define INTEGRATE_NICE 10

/* In the child: the integration, then its report on fd. Does not return. */
static void child(struct run *r, int story, int fd)
{
	struct strvec said = STRVEC_INIT;
	struct fsm_qitem it;
	json_t *o, *ev, *say;
	char *text;

	r->said = &said;
	r->q = (struct fsm_queue)FSM_QUEUE_INIT; /* the parent's copy: not ours to fire */
	r->verdicts_ahead = 0;
	r->cur = story;
	/*
	 * background work: the loop (judging, journaling) comes first when
	 * both want the CPU; git's processes inherit this
	 */
	errno = 0;
	if (nice(INTEGRATE_NICE) == -1 && errno) {
		/* not lowered: the integration runs all the same */
	}
	run__integrate_now(r);
	ev = json_array();
	while (fsm_queue_pop(&r->q, &it))
		json_array_append_new(ev, json_pack("[i,i]", it.target, it.event));
	say = json_array();
	for (size_t i = 0; i < said.n; i++)
		json_array_append_new(say, json_string(said.v[i]));
	o = json_pack("{s:o,s:o,s:s?}", "events", ev, "say", say, "note", r->s[story].note);
	text = json_dumps(o, JSON_COMPACT);
	if (text)
		write_all(fd, text, strlen(text));
	/* no exit handlers: the marker, the journal and stdio are the loop's */
	_exit(text ? 0 : 1);
}

int run__fork_reporter(struct run *r, int *fd)
{
	int p[2];
	pid_t pid, loop = getpid();

	/* nothing buffered for the child to write twice */
	fflush(stdout);
	fflush(stderr);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		/* dies with the loop; a loop that is gone already is not served */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != loop)
			_exit(1);
		crash_point_also(loop);
		/* the run's lock stays the loop's alone: a resume after a kill must not wait */
		project_unlock(&r->pj);
		*fd = p[1];
		return 0;
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	*fd = p[0];
	return pid;
}

bool run__read_report(int *fd, struct buf *report)
{
	char b[4096];

	for (;;) {
		ssize_t n = read(*fd, b, sizeof(b));

		if (n > 0) {
			buf_add(report, b, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return false;
		close(*fd);
		*fd = -1;
		return true;
	}
}

static void start(struct run *r, int story)
{
	int fd, pid = run__fork_reporter(r, &fd);

	if (pid == 0)
		child(r, story, fd);
	if (pid < 0) {
		/* no process to spare: in the loop, as before */
		r->cur = story;
		run__integrate_now(r);
		return;
	}
	r->integ.pid = pid;
	r->integ.fd = fd;
	r->integ.story = story;
	buf_reset(&r->integ.report);
}

/* The first waiting integration started, unless one runs or the run is stopping. */
static void next(struct run *r)
{
	struct run_integrator *in = &r->integ;
	int story;

	/* an interrupted run leaves them to the resume */
	while (in->pid == 0 && in->nwaiting && !run__interrupted && !r->human_pause && !r->fatal) {
		story = in->waiting[0];
		memmove(in->waiting, in->waiting + 1, --in->nwaiting * sizeof(*in->waiting));
		start(r, story);
	}
}

/* The report applied as if the integration had run here; false: it is not one. */
static bool apply(struct run *r, struct rstory *s, const char *text)
{
	json_t *o = json_loads(text, 0, NULL), *v;
	const char *note = NULL;
	size_t i;

	if (!o || !json_is_array(json_object_get(o, "events"))) {
		json_decref(o);
		return false;
	}
	json_array_foreach(json_object_get(o, "say"), i, v)
		run__say(r, "%s", json_string_value(v) ? json_string_value(v) : "");
	if (json_unpack(o, "{s:s}", "note", &note) == 0) {
		free(s->note);
		s->note = xstrdup(note);
	}
	json_array_foreach(json_object_get(o, "events"), i, v)
	{
		int target = -1, event = -1;

		if (json_unpack(v, "[ii]", &target, &event) == 0 && target >= -1 &&
		    target < (int)r->n && event >= 0)
			run__queue(r, target, event);
	}
	json_decref(o);
	return true;
}

/* The child has ended and its report is read: reaped, applied, the next one started. */
static void finish(struct run *r)
{
	struct rstory *s = &r->s[r->integ.story];
	int wstatus = 0, pid = r->integ.pid;

	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	r->integ.pid = 0;
	if (!(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0 &&
	      apply(r, s, buf_str(&r->integ.report)))) {
		free(s->note);
		s->note =
			WIFSIGNALED(wstatus)
				? xstrfmt("the integration's process (pid %d) was killed by signal "
					  "%d; nothing was lost: retry integrates again",
					  pid, WTERMSIG(wstatus))
				: xstrfmt("the integration's process (pid %d) ended without its "
					  "report; retry integrates again",
					  pid);
		run__queue(r, r->integ.story, SE_ERROR);
	}
	buf_reset(&r->integ.report);
	next(r);
}

void run__integrator_collect(struct run *r)
{
	if (r->integ.pid > 0 && run__read_report(&r->integ.fd, &r->integ.report))
		finish(r);
}

void run__integrator_wait(struct run *r)
{
	while (r->integ.pid > 0) {
		struct pollfd p = { r->integ.fd, POLLIN, 0 };

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		run__integrator_collect(r);
	}
}

int run__a_integrate(void *ctx)
{
	struct run *r = ctx;
	struct run_integrator *in = &r->integ;

	in->waiting = grow_array(in->waiting, &in->cap, in->nwaiting + 1, sizeof(*in->waiting));
	in->waiting[in->nwaiting++] = r->cur;
	next(r);
	return 0;
}

void run__integrator_close(struct run *r)
{
	int wstatus;

	if (r->integ.pid > 0) {
		while (waitpid(r->integ.pid, &wstatus, 0) < 0 && errno == EINTR)
			;
		r->integ.pid = 0;
	}
	if (r->integ.fd >= 0)
		close(r->integ.fd);
	r->integ.fd = -1;
	buf_release(&r->integ.report);
	free(r->integ.waiting);
	r->integ.waiting = NULL;
	r->integ.nwaiting = r->integ.cap = 0;
}
