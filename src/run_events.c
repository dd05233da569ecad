/* SPDX-License-Identifier: MIT */
/*
 * run_events.c: what wakes the loop. One poll(2) over: the session logs
 * (one inotify watch of the run's log directory, read lazily), the logs'
 * closes (the runner's last write: a second inotify, read at once), the
 * runners' ends (a pidfd per runner;
 * kill(pid, 0) every SESSION_CHECK_MS where pidfd_open(2) is missing,
 * tmux only where the pid is not known or to confirm a death), answers
 * from other terminals (the FIFO .automator/wake), signals (a self-pipe),
 * stdin, the running integration's report (run_integrator.c), and the
 * next deadline as poll's timeout. SIGWINCH only wakes it (run_live.c
 * draws again). It marks sessions due;
 * the monitor (run_monitor.c) acts on them. Must not journal or print.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "proc.h"
#include "run_int.h"

volatile sig_atomic_t run__interrupted;
volatile sig_atomic_t run__resized;
static int sig_write_fd = -1;

/* Wakes the loop from a signal handler: a byte into its self-pipe. */
static void wake_from_handler(void)
{
	int e = errno;

	if (sig_write_fd >= 0 && write(sig_write_fd, "s", 1) < 0) {
		/* the pipe is full: the loop is woken already */
	}
	errno = e;
}

static void on_signal(int sig)
{
	(void)sig;
	run__interrupted = 1;
	wake_from_handler();
}

/* The terminal was resized: the loop wakes to draw the live block again (run_live.c). */
static void on_winch(int sig)
{
	(void)sig;
	run__resized = 1;
	wake_from_handler();
}

static int pidfd_open_compat(int pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

static void drain_fd(int fd)
{
	char b[256];

	while (fd >= 0 && read(fd, b, sizeof(b)) > 0)
		;
}

void run__events_open(struct run *r)
{
	struct run_events *ev = &r->ev;
	struct sigaction sa;
	struct stat st;

	r->integ.fd = -1;
	r->oper.fd = -1;
	ev->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ev->ino_end = ev->ino >= 0 ? inotify_init1(IN_NONBLOCK | IN_CLOEXEC) : -1;
	ev->log_wd = ev->log_wd_end = -1;
	ev->sig[0] = ev->sig[1] = -1;
	if (pipe2(ev->sig, O_NONBLOCK | O_CLOEXEC) == 0)
		sig_write_fd = ev->sig[1];
	/*
	 * Answers from other terminals write a byte to the FIFO. Opened
	 * read-write, so that it never reports end of file between writers.
	 */
	ev->wake_path = project_wake_path(&r->pj);
	ev->wake = -1;
	if (mkfifo(ev->wake_path, 0600) == 0 || errno == EEXIST)
		ev->wake = open(ev->wake_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (ev->wake >= 0 && (fstat(ev->wake, &st) < 0 || !S_ISFIFO(st.st_mode))) {
		/* something else by that name: answers are found by polling */
		close(ev->wake);
		ev->wake = -1;
	}
	ev->test_clock = getenv("AUTOMATOR_TEST_CLOCK") && *getenv("AUTOMATOR_TEST_CLOCK");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* the terminal closed: like SIGTERM (journaled, sessions keep running) */
	sigaction(SIGHUP, &sa, NULL);
	/* a resize interrupts nothing: the calls under way go on */
	sa.sa_handler = on_winch;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGWINCH, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void run__events_close(struct run *r)
{
	struct run_events *ev = &r->ev;

	run__kills_wait(r);
	run__integrator_close(r);
	run__operator_close(r);
	free(r->reap);
	strvec_release(&r->kills);
	free(r->active);
	if (!ev->wake_path)
		return;
	sig_write_fd = -1;
	if (ev->ino >= 0)
		close(ev->ino);
	if (ev->ino_end >= 0)
		close(ev->ino_end);
	for (int i = 0; i < 2; i++)
		if (ev->sig[i] >= 0)
			close(ev->sig[i]);
	if (ev->wake >= 0) {
		close(ev->wake);
		unlink(ev->wake_path);
	}
	free(ev->wake_path);
	ev->wake_path = NULL;
}

void run__activate(struct run *r, struct rstory *s)
{
	size_t i = (size_t)run__story_index(r, s);

	for (size_t k = 0; k < r->nactive; k++)
		if (r->active[k] == i)
			return;
	if (r->nactive == r->active_cap) {
		r->active_cap = r->active_cap ? r->active_cap * 2 : 16;
		r->active = xrealloc(r->active, r->active_cap * sizeof(*r->active));
	}
	r->active[r->nactive++] = i;
}

void run__session_watch(struct run *r, struct session *ss, int pid)
{
	char *cause = NULL;

	/*
	 * one watch of the run's log directory for all its sessions (the
	 * runner makes its log): writes, read lazily, and closes, at once
	 */
	if (r->ev.ino >= 0 && r->ev.log_wd < 0)
		r->ev.log_wd = inotify_add_watch(r->ev.ino, r->logdir, IN_MODIFY | IN_ONLYDIR);
	if (r->ev.ino_end >= 0 && r->ev.log_wd_end < 0)
		r->ev.log_wd_end =
			inotify_add_watch(r->ev.ino_end, r->logdir, IN_CLOSE_WRITE | IN_ONLYDIR);
	ss->wd = r->ev.log_wd;
	/* resumed: the pane's process, asked once; a dead pane has ended */
	if (pid <= 0) {
		int rc = tmx_pane_pid(&r->tmx, ss->name, &pid, &cause);

		if (rc != 0)
			pid = 0;
		if (rc == 1)
			ss->pid_dead = true;
	}
	free(cause);
	ss->pid = pid;
	if (pid > 0 && ss->pidfd < 0) {
		ss->pidfd = pidfd_open_compat(pid);
		/* gone already (ESRCH): its end is to be looked at now */
		if (ss->pidfd < 0 && errno == ESRCH)
			ss->pid_dead = true;
	}
	/* output written before the watch existed */
	ss->output_due = true;
}

/*
 * Judged sessions are killed together, KILL_DELAY_MS after the first of
 * them was judged: their runners have written everything, and killing
 * them (tmux's work for each dead pane) waits until the sessions ending at
 * the same time are judged too. Never later than that: a steady stream of
 * verdicts does not put the kills off.
 */
#define KILL_DELAY_MS 100

void run__kill_session(struct run *r, const char *name)
{
	if (r->kills.n == 0)
		r->kills_due_ms = clock_now_ms() + KILL_DELAY_MS;
	strvec_push(&r->kills, name);
}

/* Sessions killed by one tmux client, at most. */
#define KILL_BATCH 32

/* One tmux client for names[0..n), not waited for. */
static void kill_batch_start(struct run *r, char *const *names, size_t n)
{
	int pid = tmx_kill_sessions_start(&r->tmx, names, n);
	struct kill_batch *b;

	if (pid < 0) {
		/* no process to spare: kill them the blocking way */
		for (size_t i = 0; i < n; i++)
			tmx_kill_session(&r->tmx, names[i], NULL);
		return;
	}
	if (r->nreap == r->reap_cap) {
		r->reap_cap = r->reap_cap ? r->reap_cap * 2 : 8;
		r->reap = xrealloc(r->reap, r->reap_cap * sizeof(*r->reap));
	}
	b = &r->reap[r->nreap++];
	b->pid = pid;
	b->names = (struct strvec)STRVEC_INIT;
	for (size_t i = 0; i < n; i++)
		strvec_push(&b->names, names[i]);
}

/*
 * A client has ended. One that failed stopped at a session already gone:
 * the others of its batch are killed one by one (those gone fail alone).
 */
static void kill_batch_done(struct run *r, size_t i, bool ok)
{
	struct kill_batch b = r->reap[i];

	r->reap[i] = r->reap[--r->nreap];
	for (size_t k = 0; !ok && b.names.n > 1 && k < b.names.n; k++)
		kill_batch_start(r, &b.names.v[k], 1);
	strvec_release(&b.names);
}

void run__kills_start(struct run *r)
{
	bool ok;

	for (size_t i = 0; i < r->kills.n; i += KILL_BATCH)
		kill_batch_start(r, &r->kills.v[i],
				 r->kills.n - i < KILL_BATCH ? r->kills.n - i : KILL_BATCH);
	strvec_release(&r->kills);
	for (size_t i = 0; i < r->nreap;)
		if (proc_reap(r->reap[i].pid, false, &ok))
			kill_batch_done(r, i, ok);
		else
			i++;
}

void run__kills_wait(struct run *r)
{
	bool ok;

	run__kills_start(r);
	while (r->nreap) {
		proc_reap(r->reap[r->nreap - 1].pid, true, &ok);
		kill_batch_done(r, r->nreap - 1, ok);
	}
}

/* The active session whose log is name in the log directory. */
static struct session *session_of_name(struct run *r, const char *name)
{
	for (size_t k = 0; k < r->nactive; k++) {
		struct session *ss = r->s[r->active[k]].sess;
		const char *base = ss ? strrchr(ss->log_path, '/') : NULL;

		if (base && !strcmp(base + 1, name))
			return ss;
	}
	return NULL;
}

/* Marks the sessions whose logs the events on fd (ev.ino or ev.ino_end) name as due. */
static void read_inotify(struct run *r, int fd)
{
	char b[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(fd, b, sizeof(b))) > 0) {
		for (char *p = b; p < b + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;
			struct session *ss = e->len ? session_of_name(r, e->name) : NULL;

			if (ss)
				ss->output_due = true;
			/* the queue overflowed: events were lost, so every log is looked at */
			for (size_t k = 0; (e->mask & IN_Q_OVERFLOW) && k < r->nactive; k++)
				if (r->s[r->active[k]].sess)
					r->s[r->active[k]].sess->output_due = true;
			p += sizeof(*e) + e->len;
		}
	}
	if (fd == r->ev.ino)
		r->ev.output_ms = clock_now_ms();
}

/*
 * Output of running agents is read at most every OUTPUT_LAZY_MS: however
 * many agents stream, the loop wakes for it four times a second (what it
 * looks for there, prompts, idleness, retries, takes seconds anyway). Once
 * a runner has exited, its end marker is waited for at most every
 * OUTPUT_COALESCE_MS, so that a verdict is journaled within milliseconds.
 */
#define OUTPUT_LAZY_MS 250
#define OUTPUT_COALESCE_MS 2

/* How long output may wait: short while a session that has exited awaits its end marker. */
static long long output_window(struct run *r)
{
	for (size_t k = 0; k < r->nactive; k++) {
		struct session *ss = r->s[r->active[k]].sess;

		if (ss && !ss->ended && (ss->pid_dead || ss->exited))
			return OUTPUT_COALESCE_MS;
	}
	return OUTPUT_LAZY_MS;
}

int run__events_wait(struct run *r, long long deadline, bool want_stdin)
{
	struct pollfd *p;
	size_t n = 0, first_pid;
	long long now = clock_now_ms(), wait, window;
	bool ino_on;
	int got, woke = 0;

	p = xcalloc(7 + r->nactive, sizeof(*p));
	if (r->ev.sig[0] >= 0)
		p[n++] = (struct pollfd){ r->ev.sig[0], POLLIN, 0 };
	if (want_stdin)
		p[n++] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
	if (r->ev.wake >= 0)
		p[n++] = (struct pollfd){ r->ev.wake, POLLIN, 0 };
	window = output_window(r);
	ino_on = r->ev.ino >= 0 && now - r->ev.output_ms >= window;
	if (r->ev.ino >= 0 && !ino_on && deadline > r->ev.output_ms + window)
		deadline = r->ev.output_ms + window;
	if (ino_on)
		p[n++] = (struct pollfd){ r->ev.ino, POLLIN, 0 };
	if (r->ev.ino_end >= 0)
		p[n++] = (struct pollfd){ r->ev.ino_end, POLLIN, 0 };
	/* an integration's report, the operator's answer: read by their collect */
	if (r->integ.pid > 0 && r->integ.fd >= 0)
		p[n++] = (struct pollfd){ r->integ.fd, POLLIN, 0 };
	if (r->oper.pid > 0 && r->oper.fd >= 0)
		p[n++] = (struct pollfd){ r->oper.fd, POLLIN, 0 };
	first_pid = n;
	for (size_t k = 0; k < r->nactive; k++) {
		struct session *ss = r->s[r->active[k]].sess;

		if (ss && !ss->ended && !ss->exited && !ss->pid_dead && ss->pidfd >= 0)
			p[n++] = (struct pollfd){ ss->pidfd, POLLIN, 0 };
	}
	/* without inotify the logs are read every tick, as before */
	if (r->ev.ino < 0 && deadline > now + TICK_MS)
		deadline = now + TICK_MS;
	/* a test clock moves without waking anyone */
	if (r->ev.test_clock && deadline > now + TICK_MS)
		deadline = now + TICK_MS;
	wait = deadline - now;
	if (wait < 0)
		wait = 0;
	if (wait > 60000)
		wait = 60000;
	got = poll(p, (nfds_t)n, (int)wait);
	for (size_t i = 0; got > 0 && i < n; i++) {
		if (!p[i].revents)
			continue;
		if (p[i].fd == r->ev.sig[0]) {
			drain_fd(p[i].fd);
		} else if (want_stdin && p[i].fd == STDIN_FILENO) {
			woke |= RUN_WOKE_STDIN;
		} else if (p[i].fd == r->ev.wake) {
			drain_fd(p[i].fd);
			woke |= RUN_WOKE_ANSWER;
		} else if (p[i].fd == r->ev.ino || p[i].fd == r->ev.ino_end) {
			read_inotify(r, p[i].fd);
		} else if (p[i].fd == r->integ.fd || p[i].fd == r->oper.fd) {
			woke |= RUN_WOKE_CHILD;
		} else if (i >= first_pid) {
			for (size_t k = 0; k < r->nactive; k++) {
				struct session *ss = r->s[r->active[k]].sess;

				if (ss && ss->pidfd == p[i].fd)
					ss->pid_dead = true;
			}
		}
	}
	free(p);
	return woke;
}
