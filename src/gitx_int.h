/* SPDX-License-Identifier: MIT */
/*
 * gitx_int.h: what gitx.c, gitx_snapshot.c and gitx_commit.c share. Not for
 * other files.
 */
#ifndef AU_GITX_INT_H
#define AU_GITX_INT_H

#include <stdbool.h>

#include "proc.h"
#include "util.h"

#define GITX_TIMEOUT_MS 60000L
/* a commit runs the user's hooks, which may lint or test */
#define GITX_COMMIT_TIMEOUT_MS 600000L
/* the most of a hook's output kept in a cause */
#define GITX_CAUSE_MAX 4000

#define AUTOMATOR_DIR ".automator"

struct gitcall {
	const char *input; /* stdin; NULL: /dev/null */
	size_t input_len;
	const char *index_file; /* GIT_INDEX_FILE, or NULL */
	long timeout_ms;        /* 0: GITX_TIMEOUT_MS */
	bool literal;           /* --literal-pathspecs (not passed on to hooks' env) */
	bool no_locks;          /* GIT_OPTIONAL_LOCKS=0 for read-only commands */
};

/* The stderr (else stdout) of r, trimmed and capped, for a cause; newly allocated. */
char *gitx__output_text(const struct proc_result *r);
/* Runs git with args in root (argv, never a shell). -1 with *cause when it cannot start. */
int gitx__git_exec(const char *root, const struct strvec *args, const struct gitcall *c,
		   struct proc_result *r, char **cause);
/* gitx__git_exec, and a non-zero exit is an error with git's output in *cause. */
int gitx__git_ok(const char *root, const struct strvec *args, const struct gitcall *c,
		 struct proc_result *r, char **cause);
/* sv = the words first, ... (NULL-terminated). */
void gitx__args_of(struct strvec *sv, const char *first, ...);
/* The one line git prints (trailing newline removed), newly allocated. */
int gitx__git_line(const char *root, const struct strvec *args, char **out, char **cause);
/* `git rev-parse --git-path what`, made absolute when asked (or joined to root). */
int gitx__git_path(const char *root, const char *what, bool absolute, char **out, char **cause);

#endif
