/* SPDX-License-Identifier: MIT */
/*
 * runner_relay.c: the runner's terminal relay. The agent runs on a
 * pseudo-terminal of its own (a pipe where none can be had); everything it
 * writes is appended to the session log and copied to the pane (through
 * the renderer, render.h, when the runner made one: the pane shows a JSON
 * agent's events in words, the log keeps the bytes), and what is typed
 * into the pane (tmux send-keys) is passed on to it. The log is thus
 * complete the moment the agent's output is, with no tmux pipe-pane and no
 * process between. Like script(1). Must not talk to tmux, sqlite or the
 * orchestrator.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "render.h"
#include "runner_int.h"
#include "util.h"

/* After the agent exited: output still coming is read for this long at most. */
#define DRAIN_QUIET_MS 100
#define DRAIN_MAX_MS 2000
/* A hang-up or termination passed on to the agent: SIGKILL this much later. */
#define KILL_GRACE_S 5
/* The pane's output is written this long after its first byte at the latest... */
#define PANE_BATCH_MS 50
/* ...or once this much is held; at once for this long after input was typed */
#define PANE_BATCH_MAX 16384
#define PANE_TYPED_MS 1000

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t got_chld, got_winch, got_alarm, got_stop;

static void on_signal(int sig)
{
	int e = errno;

	if (sig == SIGCHLD)
		got_chld = 1;
	else if (sig == SIGWINCH)
		got_winch = 1;
	else if (sig == SIGALRM)
		got_alarm = 1;
	else
		got_stop = sig;
	if (sig_pipe[1] >= 0 && write(sig_pipe[1], "s", 1) < 0) {
		/* full: the relay is woken already */
	}
	errno = e;
}

void relay_write_all(int fd, const char *p, size_t n)
{
	while (fd >= 0 && n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the pane is gone, or the disk full: nothing to do here */
		p += w;
		n -= (size_t)w;
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void relay_pane_flush(struct relay *rl)
{
	if (rl->pane_ok && rl->pane.len)
		relay_write_all(STDOUT_FILENO, rl->pane.s, rl->pane.len);
	buf_reset(&rl->pane);
}

void relay_pane(struct relay *rl, const char *s, size_t n)
{
	long long now;

	if (!rl->pane_ok || n == 0)
		return;
	now = now_ms();
	if (!rl->pane.len)
		rl->pane_due_ms = now + PANE_BATCH_MS;
	buf_add(&rl->pane, s, n);
	if (rl->pane.len >= PANE_BATCH_MAX || now < rl->typed_ms + PANE_TYPED_MS)
		relay_pane_flush(rl);
}

void relay_say(struct relay *rl, const char *text)
{
	relay_write_all(rl->log_fd, text, strlen(text));
	relay_pane(rl, text, strlen(text));
	relay_pane_flush(rl);
}

/* The pane's own terminal modes and size become the agent's; the pane goes raw. */
static int open_pty(struct relay *rl, int *slave)
{
	struct winsize ws;
	struct termios raw;
	char name[128];
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (m < 0)
		return -1;
	if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof(name)) != 0 ||
	    (*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		close(m);
		return -1;
	}
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &rl->saved) == 0) {
		rl->restore = true;
		tcsetattr(*slave, TCSANOW, &rl->saved);
		raw = rl->saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(*slave, TIOCSWINSZ, &ws);
	return m;
}

int relay_spawn(struct relay *rl, const char *cwd, char **argv, char **env)
{
	int slave = -1, p[2] = { -1, -1 };
	pid_t pid;

	rl->pane_ok = true;
	rl->in_fd = STDIN_FILENO;
	rl->out_fd = open_pty(rl, &slave);
	if (rl->out_fd < 0) {
		/* no pseudo-terminal: output through a pipe, input straight from the pane */
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		rl->out_fd = p[0];
		slave = p[1];
		rl->in_fd = -1;
	}
	pid = fork();
	if (pid < 0) {
		close(slave);
		return -1;
	}
	if (pid == 0) {
		if (rl->in_fd >= 0) {
			setsid();
			ioctl(slave, TIOCSCTTY, 0);
			dup2(slave, STDIN_FILENO);
		}
		dup2(slave, STDOUT_FILENO);
		dup2(slave, STDERR_FILENO);
		signal(SIGPIPE, SIG_DFL);
		if (chdir(cwd) < 0) {
			fprintf(stderr, "automator runner: cannot enter '%s': %s\n", cwd,
				strerror(errno));
			_exit(127);
		}
		for (size_t i = 0; env && env[i]; i++)
			putenv(env[i]);
		execvp(argv[0], argv);
		fprintf(stderr, "automator runner: cannot run '%s': %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(slave);
	rl->child = pid;
	return 0;
}

/* Reads what is there; false at end of file or error (EIO: every writer closed). */
static bool pump(struct relay *rl, int from, int to, bool logged)
{
	char b[16384];
	ssize_t n = read(from, b, sizeof(b));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	if (logged) {
		/* the log gets the bytes as they are: the judge reads it */
		relay_write_all(rl->log_fd, b, (size_t)n);
		if (rl->render && rl->pane_ok)
			render_feed(rl->render, b, (size_t)n);
		else
			relay_pane(rl, b, (size_t)n);
	} else {
		relay_write_all(to, b, (size_t)n);
		rl->typed_ms = now_ms();
	}
	return true;
}

static void install(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* Passes a hang-up or termination to the agent's process group, then arms a SIGKILL. */
static void handle_signals(struct relay *rl)
{
	char b[64];

	while (read(sig_pipe[0], b, sizeof(b)) > 0)
		;
	if (got_stop && rl->child > 0) {
		int sig = got_stop;

		got_stop = 0;
		if (sig == SIGHUP) {
			buf_reset(&rl->pane);
			rl->pane_ok = false; /* the session is being killed */
		}
		if (kill(-rl->child, sig) < 0)
			kill(rl->child, sig);
		if (!rl->kill_armed) {
			rl->kill_armed = true;
			alarm(KILL_GRACE_S);
		}
	}
	if (got_alarm && rl->child > 0) {
		got_alarm = 0;
		if (kill(-rl->child, SIGKILL) < 0)
			kill(rl->child, SIGKILL);
	}
	if (got_winch) {
		struct winsize ws;

		got_winch = 0;
		if (rl->in_fd >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
			ioctl(rl->out_fd, TIOCSWINSZ, &ws);
	}
}

int relay_run(struct relay *rl)
{
	bool out_open = true, in_open = rl->in_fd >= 0, reaped = false;
	long long ended_ms = 0;
	int wstatus = 0;

	if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		sig_pipe[0] = sig_pipe[1] = -1;
	install(SIGCHLD, on_signal);
	install(SIGHUP, on_signal);
	install(SIGTERM, on_signal);
	install(SIGALRM, on_signal);
	install(SIGWINCH, on_signal);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* a signal before the handlers: the agent may have ended already */
	got_chld = 1;
	while (out_open) {
		struct pollfd p[3];
		nfds_t n = 0;
		int timeout = -1;
		bool pane_wait = false;

		if (got_chld && !reaped) {
			got_chld = 0;
			if (waitpid(rl->child, &wstatus, WNOHANG) == rl->child) {
				reaped = true;
				ended_ms = now_ms();
				alarm(0);
			}
		}
		if (reaped) {
			long long left = ended_ms + DRAIN_MAX_MS - now_ms();

			/* every writer gone gives EIO at once; a quiet grandchild, a pause */
			if (left <= 0)
				break;
			timeout = left < DRAIN_QUIET_MS ? (int)left : DRAIN_QUIET_MS;
		}
		p[n++] = (struct pollfd){ rl->out_fd, POLLIN, 0 };
		if (sig_pipe[0] >= 0)
			p[n++] = (struct pollfd){ sig_pipe[0], POLLIN, 0 };
		if (in_open && !reaped)
			p[n++] = (struct pollfd){ rl->in_fd, POLLIN, 0 };
		if (sig_pipe[0] < 0 && !reaped && timeout < 0)
			timeout = 50; /* no self-pipe: look for the agent's end now and then */
		if (rl->pane.len) {
			long long due = rl->pane_due_ms - now_ms();

			if (due <= 0) {
				relay_pane_flush(rl);
			} else if (timeout < 0 || due < timeout) {
				timeout = (int)due;
				pane_wait = true;
			}
		}
		int got = poll(p, n, timeout);

		if (got < 0 && errno != EINTR)
			break;
		if (got == 0 && pane_wait) {
			relay_pane_flush(rl);
			pane_wait = false;
			continue;
		}
		if (got == 0 && reaped)
			break;
		for (nfds_t i = 0; got > 0 && i < n; i++) {
			if (!p[i].revents)
				continue;
			if (p[i].fd == rl->out_fd)
				out_open = pump(rl, rl->out_fd, STDOUT_FILENO, true);
			else if (p[i].fd == sig_pipe[0])
				handle_signals(rl);
			else if (!pump(rl, rl->in_fd, rl->out_fd, false))
				in_open = false;
		}
		if (sig_pipe[0] < 0)
			got_chld = 1;
	}
	/* output ended before the agent did (it closed its terminal): wait for it */
	while (!reaped && waitpid(rl->child, &wstatus, 0) < 0) {
		if (errno != EINTR)
			break;
		handle_signals(rl);
	}
	alarm(0);
	/* the last words, when the agent's output did not end with a line end */
	if (rl->render)
		render_finish(rl->render);
	return wstatus;
}

void relay_close(struct relay *rl)
{
	buf_release(&rl->pane);
	if (rl->restore)
		tcsetattr(STDIN_FILENO, TCSANOW, &rl->saved);
	rl->restore = false;
	if (rl->out_fd >= 0)
		close(rl->out_fd);
	rl->out_fd = -1;
	for (int i = 0; i < 2; i++)
		if (sig_pipe[i] >= 0)
			close(sig_pipe[i]);
	sig_pipe[0] = sig_pipe[1] = -1;
}

bool relay_linger(unsigned seconds)
{
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &old);
	got_alarm = 0;
	alarm(seconds);
	/* a hang-up before this (the session killed already) ends it at once */
	while (!got_stop && !got_alarm)
		sigsuspend(&old);
	alarm(0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return got_stop != 0;
}
