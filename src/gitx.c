/* SPDX-License-Identifier: MIT */
/*
 * gitx.c: git through proc_run: repository checks, the .automator/ exclude
 * line, story snapshots and scoped commits. Must not hand git a string
 * for a shell, must not stage anything but the story's paths (no `git add
 * -A` of the whole tree), must not skip hooks (--no-verify) or set an
 * author, and must not leave the user's index changed by a failed commit.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitx.h"
#include "proc.h"
#include "util.h"

#include "gitx_int.h"

/* The stderr (else stdout) of r, trimmed and capped, for a cause. */
char *gitx__output_text(const struct proc_result *r)
{
	const struct buf *b = r->err.len ? &r->err : &r->out;
	const char *s = buf_str(b);
	size_t len = b->len;

	while (len && (*s == '\n' || *s == ' ' || *s == '\r')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\r'))
		len--;
	if (len > GITX_CAUSE_MAX) {
		s += len - GITX_CAUSE_MAX;
		len = GITX_CAUSE_MAX;
	}
	return xstrndup(s, len);
}

/*
 * Runs git -C root args. Returns 0 when git ran to an exit (r->status
 * tells how), -1 with *cause when it could not be started, timed out or
 * was killed. r is always to be released.
 */
int gitx__git_exec(const char *root, const struct strvec *args, const struct gitcall *c,
		   struct proc_result *r, char **cause)
{
	static const struct gitcall none = { 0 };
	struct strvec argv = STRVEC_INIT;
	const char *env[4];
	char *index_env = NULL;
	struct proc_opts o = { 0 };
	size_t ne = 0;
	int ret;

	if (!c)
		c = &none;
	env[ne++] = "GIT_TERMINAL_PROMPT=0";
	if (c->no_locks)
		env[ne++] = "GIT_OPTIONAL_LOCKS=0";
	if (c->index_file) {
		index_env = xstrfmt("GIT_INDEX_FILE=%s", c->index_file);
		env[ne++] = index_env;
	}
	env[ne] = NULL;
	strvec_push(&argv, "git");
	strvec_push(&argv, "-C");
	strvec_push(&argv, root);
	if (c->literal)
		strvec_push(&argv, "--literal-pathspecs");
	for (size_t i = 0; i < args->n; i++)
		strvec_push(&argv, args->v[i]);
	o.env = env;
	o.input = c->input;
	o.input_len = c->input_len;
	o.timeout_ms = c->timeout_ms ? c->timeout_ms : GITX_TIMEOUT_MS;
	ret = proc_run((const char *const *)argv.v, &o, r);
	if (ret < 0) {
		*cause = r->not_found
				 ? xstrfmt("git not found in PATH")
				 : xstrfmt("cannot run git %s: %s", args->v[0], strerror(errno));
	} else if (r->timed_out || r->signal) {
		char *d = proc_describe(r);

		*cause = xstrfmt("git %s: %s", args->v[0], d);
		free(d);
		ret = -1;
	}
	strvec_release(&argv);
	free(index_env);
	return ret;
}

/* git_exec, and an exit other than 0 is an error too. */
int gitx__git_ok(const char *root, const struct strvec *args, const struct gitcall *c,
		 struct proc_result *r, char **cause)
{
	char *out;

	if (gitx__git_exec(root, args, c, r, cause) < 0)
		return -1;
	if (r->status == 0)
		return 0;
	out = gitx__output_text(r);
	*cause = xstrfmt("git %s: exit %d%s%s", args->v[0], r->status, *out ? ": " : "", out);
	free(out);
	return -1;
}

/* Builds a strvec from a NULL-terminated list. */
void gitx__args_of(struct strvec *sv, const char *first, ...)
{
	va_list ap;

	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *))
		strvec_push(sv, s);
	va_end(ap);
}

/* Runs a git command whose stdout is one line; *out gets it without the newline. */
int gitx__git_line(const char *root, const struct strvec *args, char **out, char **cause)
{
	struct proc_result r;
	size_t len;

	if (gitx__git_ok(root, args, NULL, &r, cause) < 0) {
		proc_result_release(&r);
		return -1;
	}
	len = r.out.len;
	while (len && (r.out.s[len - 1] == '\n' || r.out.s[len - 1] == '\r'))
		len--;
	*out = xstrndup(buf_str(&r.out), len);
	proc_result_release(&r);
	return 0;
}

bool gitx_available(void)
{
	return proc_exists("git");
}

bool gitx_is_repo(const char *root)
{
	struct strvec args = STRVEC_INIT;
	char *out = NULL, *cause = NULL;
	bool yes;

	gitx__args_of(&args, "rev-parse", "--is-inside-work-tree", (char *)NULL);
	yes = gitx__git_line(root, &args, &out, &cause) == 0 && !strcmp(out, "true");
	strvec_release(&args);
	free(out);
	free(cause);
	return yes;
}

int gitx_head(const char *root, char **sha, char **cause)
{
	return gitx_rev(root, "HEAD", sha, cause);
}

int gitx_head_result(const struct proc_result *r, char **sha, char **cause)
{
	if (r->status == 1 && !r->err.len)
		return 1; /* no commit yet: --verify -q fails quietly; outside a repository git says so */
	if (r->status != 0) {
		char *o = gitx__output_text(r);

		*cause = xstrfmt("git rev-parse: exit %d%s%s", r->status, *o ? ": " : "", o);
		free(o);
		return -1;
	}
	*sha = xstrndup(buf_str(&r->out), strcspn(buf_str(&r->out), "\n"));
	return 0;
}

/* The path git names for --git-path what, usable from our directory. */
int gitx__git_path(const char *root, const char *what, bool absolute, char **out, char **cause)
{
	struct strvec args = STRVEC_INIT;
	char *p = NULL;
	int ret;

	gitx__args_of(&args, "rev-parse", "--git-path", what, (char *)NULL);
	ret = gitx__git_line(root, &args, &p, cause);
	strvec_release(&args);
	if (ret < 0)
		return -1;
	if (p[0] == '/') {
		*out = p;
		return 0;
	}
	if (absolute) {
		char *real = realpath(root, NULL);

		if (!real) {
			*cause = xstrfmt("cannot resolve '%s': %s", root, strerror(errno));
			free(p);
			return -1;
		}
		*out = path_join(real, p);
		free(real);
	} else {
		*out = path_join(root, p);
	}
	free(p);
	return 0;
}

/* True when text has a line naming the .automator directory. */
static bool has_exclude_line(const char *text)
{
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		while (len &&
		       (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
			len--;
		if ((len == 11 && !strncmp(line, AUTOMATOR_DIR "/", 11)) ||
		    (len == 12 && !strncmp(line, "/" AUTOMATOR_DIR "/", 12)))
			return true;
		if (!nl)
			break;
		line = nl + 1;
	}
	return false;
}

int gitx_exclude_automator(const char *root, char **cause)
{
	char *path = NULL, *dir = NULL, *text = NULL;
	struct buf add = BUF_INIT;
	size_t len = 0;
	int fd, ret = -1;

	if (gitx__git_path(root, "info/exclude", false, &path, cause) < 0)
		return -1;
	if (read_file(path, &text, &len) < 0) {
		if (errno != ENOENT) {
			*cause = xstrfmt("cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		text = xstrdup("");
		len = 0;
	}
	if (has_exclude_line(text)) {
		ret = 1;
		goto out;
	}
	dir = path_dirname(path);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		*cause = xstrfmt("cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (len && text[len - 1] != '\n')
		buf_addc(&add, '\n');
	buf_adds(&add, AUTOMATOR_DIR "/\n");
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		*cause = xstrfmt("cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	if (write(fd, add.s, add.len) != (ssize_t)add.len) {
		*cause = xstrfmt("cannot write '%s': %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) < 0) {
		*cause = xstrfmt("cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	buf_release(&add);
	free(text);
	free(dir);
	free(path);
	return ret;
}
