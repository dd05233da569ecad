/*
 * proc.c: fork/exec with pipes, a deadline and no shell. Must not interpret
 * any string as a command line; callers pass argv.
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

static void child_exec(const char *const *argv, const struct proc_opts *o, int in, int out, int err,
		       int errpipe)
{
	int e;

	dup2(in, 0);
	dup2(out, 1);
	dup2(err, 2);
	if (o->cwd && chdir(o->cwd) < 0)
		goto fail;
	for (const char *const *kv = o->env; kv && *kv; kv++)
		putenv((char *)*kv);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], (char *const *)argv);
fail:
	e = errno;
	if (write(errpipe, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
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

int proc_run(const char *const *argv, const struct proc_opts *opts, struct proc_result *r)
{
	static const struct proc_opts none = { 0 };
	const struct proc_opts *o = opts ? opts : &none;
	int inp[2] = { -1, -1 }, outp[2], errp[2], ep[2], devnull = -1, wstatus, e = 0;
	long deadline = now_ms() + (o->timeout_ms ? o->timeout_ms : 30000);
	size_t written = 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (pipe2(outp, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(errp, O_CLOEXEC) < 0)
		goto fail1;
	if (pipe2(ep, O_CLOEXEC) < 0)
		goto fail2;
	if (o->input ? pipe2(inp, O_CLOEXEC) < 0
		     : (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		goto fail3;
	pid = fork();
	if (pid < 0)
		goto fail4;
	if (pid == 0)
		child_exec(argv, o, o->input ? inp[0] : devnull, outp[1], errp[1], ep[1]);

	close(outp[1]);
	close(errp[1]);
	close(ep[1]);
	if (o->input)
		close(inp[0]);
	else
		close(devnull);
	if (read(ep[0], &e, sizeof(e)) == (ssize_t)sizeof(e)) {
		r->not_found = e == ENOENT;
		waitpid(pid, &wstatus, 0);
		close(ep[0]);
		close(outp[0]);
		close(errp[0]);
		if (o->input)
			close(inp[1]);
		errno = e;
		return -1;
	}
	close(ep[0]);
	if (o->input)
		fcntl(inp[1], F_SETFL, O_NONBLOCK);

	for (int open_fds = 2 + (o->input ? 1 : 0); open_fds > 0;) {
		struct pollfd pfd[3] = { { outp[0], POLLIN, 0 },
					 { errp[0], POLLIN, 0 },
					 { o->input ? inp[1] : -1, POLLOUT, 0 } };
		long left = deadline - now_ms();
		char chunk[8192];

		if (left <= 0) {
			r->timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
		if (poll(pfd, 3, (int)(left > 1000 ? 1000 : left)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(pfd[i].fd, chunk, sizeof(chunk));
			if (n > 0) {
				buf_add(i ? &r->err : &r->out, chunk, (size_t)n);
			} else if (n == 0 || errno != EINTR) {
				close(pfd[i].fd);
				if (i)
					errp[0] = -1;
				else
					outp[0] = -1;
				open_fds--;
			}
		}
		if (pfd[2].fd >= 0 && (pfd[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = write(inp[1], o->input + written, o->input_len - written);

			if (n > 0)
				written += (size_t)n;
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				written = o->input_len;
			if (written >= o->input_len) {
				close(inp[1]);
				inp[1] = -1;
				open_fds--;
			}
		}
		if (o->input && inp[1] < 0 && outp[0] < 0 && errp[0] < 0)
			break;
	}
	if (outp[0] >= 0)
		close(outp[0]);
	if (errp[0] >= 0)
		close(errp[0]);
	if (o->input && inp[1] >= 0)
		close(inp[1]);
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(wstatus))
		r->status = WEXITSTATUS(wstatus);
	else if (WIFSIGNALED(wstatus))
		r->signal = WTERMSIG(wstatus);
	return 0;

fail4:
	if (o->input) {
		close(inp[0]);
		close(inp[1]);
	} else {
		close(devnull);
	}
fail3:
	close(ep[0]);
	close(ep[1]);
fail2:
	close(errp[0]);
	close(errp[1]);
fail1:
	close(outp[0]);
	close(outp[1]);
	return -1;
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
