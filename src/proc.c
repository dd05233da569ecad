/* SPDX-License-Identifier: MIT */
/*
 * proc.c: posix_spawn with pipes, a deadline and no shell. Must not
 * interpret any string as a command line; callers pass argv.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

extern char **environ;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

bool proc_exists(const char *prog)
{
	const char *path = getenv("PATH");
	char *dirs, *p, *save = NULL;
	bool found = false;

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	dirs = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (p = strtok_r(dirs, ":", &save); p && !found; p = strtok_r(NULL, ":", &save)) {
		char *cand = path_join(*p ? p : ".", prog);
		struct stat st;

		found = stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0;
		free(cand);
	}
	free(dirs);
	return found;
}

/*
 * environ with the "K=V" entries of extra added, each replacing the
 * variable of its name (as putenv would). The strings are borrowed.
 */
static char **merged_env(const char *const *extra)
{
	size_t n = 0, k = 0, m = 0;
	char **env;

	for (char **e = environ; e && *e; e++)
		n++;
	for (const char *const *kv = extra; kv && *kv; kv++)
		m++;
	env = xcalloc(n + m + 1, sizeof(*env));
	for (char **e = environ; e && *e; e++) {
		size_t klen = strcspn(*e, "=");
		bool replaced = false;

		for (const char *const *kv = extra; kv && *kv && !replaced; kv++)
			replaced = !strncmp(*kv, *e, klen) && (*kv)[klen] == '=';
		if (!replaced)
			env[k++] = *e;
	}
	for (const char *const *kv = extra; kv && *kv; kv++)
		env[k++] = (char *)*kv;
	return env;
}

/*
 * Starts argv with stdin, stdout and stderr on in, out and err, in o's
 * directory and environment, SIGPIPE at its default. posix_spawn: no copy
 * of our address space (git and tmux are started from a process that may
 * hold a large sprint). Returns 0 with *pid, or an errno value.
 */
static int spawn(const char *const *argv, const struct proc_opts *o, int in, int out, int err,
		 pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t def;
	char **env = o->env ? merged_env(o->env) : environ;
	int rc;

	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		goto out;
	if ((rc = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		goto out;
	}
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, err, 2);
	if (o->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, o->cwd);
	rc = posix_spawnp(pid, argv[0], &fa, &at, (char *const *)argv, env);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
out:
	if (env != environ)
		free(env);
	return rc;
}

int proc_start(const char *const *argv)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	/* posix_spawn: no copy of our address space for a tmux client */
	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return rc == 0 ? (int)pid : -1;
}

int proc_reap(int pid, bool block, bool *ok)
{
	int wstatus = 0;
	pid_t got;

	do
		got = waitpid((pid_t)pid, &wstatus, block ? 0 : WNOHANG);
	while (got < 0 && errno == EINTR);
	if (ok)
		*ok = got > 0 && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
	return got == 0 ? 0 : 1;
}

/* One program being run by proc_run_all. */
struct job {
	struct proc_call *c;
	const struct proc_opts *o;
	pid_t pid;      /* 0: not started */
	int fd[3];      /* its stdout, its stderr (read ends), its stdin (write end); -1: closed */
	size_t written; /* of o->input */
	long deadline;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Starts j with its pipes. Returns 0, or -1 with c->ret, errno and not_found set. */
static int job_start(struct job *j)
{
	static const struct proc_opts none = { 0 };
	int outp[2], errp[2], inp[2] = { -1, -1 }, e;

	j->o = j->c->opts ? j->c->opts : &none;
	j->fd[0] = j->fd[1] = j->fd[2] = -1;
	j->deadline = now_ms() + (j->o->timeout_ms ? j->o->timeout_ms : 30000);
	memset(&j->c->r, 0, sizeof(j->c->r));
	j->c->r.status = -1;
	j->c->ret = -1;
	if (pipe2(outp, O_CLOEXEC) < 0) {
		j->c->err = errno;
		return -1;
	}
	if (pipe2(errp, O_CLOEXEC) < 0) {
		j->c->err = errno;
		close(outp[0]);
		close(outp[1]);
		return -1;
	}
	if (j->o->input ? pipe2(inp, O_CLOEXEC) < 0
			: (inp[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		e = errno;
	else
		e = spawn(j->c->argv, j->o, inp[0], outp[1], errp[1], &j->pid);
	close(outp[1]);
	close(errp[1]);
	close_fd(&inp[0]);
	j->fd[0] = outp[0];
	j->fd[1] = errp[0];
	j->fd[2] = inp[1];
	if (e != 0) {
		/* not started: not found, not executable, no such directory */
		j->c->r.not_found = e == ENOENT;
		j->pid = 0;
		for (int i = 0; i < 3; i++)
			close_fd(&j->fd[i]);
		j->c->err = errno = e;
		return -1;
	}
	if (j->fd[2] >= 0)
		fcntl(j->fd[2], F_SETFL, O_NONBLOCK);
	return 0;
}

static bool job_open(const struct job *j)
{
	return j->fd[0] >= 0 || j->fd[1] >= 0 || j->fd[2] >= 0;
}

/* Moves what poll reported for j: output read, input written. */
static void job_pump(struct job *j, const struct pollfd *p)
{
	char chunk[8192];

	for (int i = 0; i < 2; i++) {
		ssize_t n;

		if (j->fd[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(j->fd[i], chunk, sizeof(chunk));
		if (n > 0)
			buf_add(i ? &j->c->r.err : &j->c->r.out, chunk, (size_t)n);
		else if (n == 0 || errno != EINTR)
			close_fd(&j->fd[i]);
	}
	if (j->fd[2] >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
		ssize_t n = write(j->fd[2], j->o->input + j->written, j->o->input_len - j->written);

		if (n > 0)
			j->written += (size_t)n;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			j->written = j->o->input_len;
		if (j->written >= j->o->input_len)
			close_fd(&j->fd[2]);
	}
}

/* Closes what is open, waits for j and records how it ended. */
static void job_finish(struct job *j)
{
	int wstatus = 0;

	for (int i = 0; i < 3; i++)
		close_fd(&j->fd[i]);
	while (waitpid(j->pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(wstatus))
		j->c->r.status = WEXITSTATUS(wstatus);
	else if (WIFSIGNALED(wstatus))
		j->c->r.signal = WTERMSIG(wstatus);
	j->c->ret = 0;
}

void proc_run_all(struct proc_call *calls, size_t n)
{
	struct job *jobs = xcalloc(n ? n : 1, sizeof(*jobs));
	struct pollfd *p = xcalloc(3 * (n ? n : 1), sizeof(*p));
	size_t open = 0;

	for (size_t i = 0; i < n; i++) {
		jobs[i].c = &calls[i];
		if (job_start(&jobs[i]) == 0)
			open++;
	}
	while (open) {
		long now = now_ms(), wait = 1000;

		for (size_t i = 0; i < n; i++) {
			struct job *j = &jobs[i];

			for (int k = 0; k < 3; k++)
				p[3 * i + k] =
					(struct pollfd){ j->fd[k], k < 2 ? POLLIN : POLLOUT, 0 };
			if (!j->pid || !job_open(j))
				continue;
			if (j->deadline <= now) {
				j->c->r.timed_out = true;
				kill(j->pid, SIGKILL);
				for (int k = 0; k < 3; k++)
					close_fd(&j->fd[k]);
				open--;
				continue;
			}
			if (j->deadline - now < wait)
				wait = j->deadline - now;
		}
		if (!open)
			break;
		if (poll(p, (nfds_t)(3 * n), (int)wait) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			struct job *j = &jobs[i];

			if (!j->pid || !job_open(j))
				continue;
			job_pump(j, &p[3 * i]);
			/* done once its output has ended and its input is written */
			if (!job_open(j))
				open--;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (jobs[i].pid)
			job_finish(&jobs[i]);
	free(p);
	free(jobs);
}

int proc_run(const char *const *argv, const struct proc_opts *opts, struct proc_result *r)
{
	struct proc_call c = { .argv = argv, .opts = opts };

	proc_run_all(&c, 1);
	*r = c.r;
	if (c.ret < 0)
		errno = c.err;
	return c.ret;
}

void proc_result_release(struct proc_result *r)
{
	buf_release(&r->out);
	buf_release(&r->err);
}

bool proc_ok(const struct proc_result *r)
{
	return !r->timed_out && r->signal == 0 && r->status == 0;
}

char *proc_describe(const struct proc_result *r)
{
	const char *e = buf_str(&r->err);
	const char *nl;
	size_t len;

	while (*e == '\n' || *e == ' ')
		e++;
	nl = strchr(e, '\n');
	len = nl ? (size_t)(nl - e) : strlen(e);
	if (r->timed_out)
		return xstrfmt("timed out");
	if (r->signal)
		return xstrfmt("killed by signal %d%s%.*s", r->signal, len ? ": " : "", (int)len,
			       e);
	return xstrfmt("exit %d%s%.*s", r->status, len ? ": " : "", (int)len, e);
}
