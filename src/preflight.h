/* SPDX-License-Identifier: MIT */
/*
 * preflight.h: what a run needs from the machine before any agent time is
 * spent: tmux and git installed, the project a git repository with a
 * commit, an identity git can commit with, the program of every agent
 * preset the run will use and, when the workflow's prompts invoke BMAD
 * ({bmad.invoke.*}), BMAD installed for each Claude Code or Codex preset
 * (bmadinstall.h; the fix named: npx bmad-method install). Findings are collected, never printed here; the
 * command layer prints them (preflight_print) and decides the exit code.
 */
#ifndef AU_PREFLIGHT_H
#define AU_PREFLIGHT_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

enum preflight_severity { PREFLIGHT_WARNING, PREFLIGHT_ERROR };

struct preflight_finding {
	enum preflight_severity severity;
	char *message; /* lowercase, no period: "agent preset 'claude' needs ..." */
	char *hint;    /* what to do (may hold several lines), or NULL */
};

struct preflight {
	struct preflight_finding *v;
	size_t n, cap;
	size_t errors; /* how many of v are PREFLIGHT_ERROR */
};
#define PREFLIGHT_INIT        \
	{                     \
		NULL, 0, 0, 0 \
	}

void preflight_release(struct preflight *p);

/*
 * Checks what running the stories of sp needs and appends every finding
 * to out (which must be initialised; it is never reset). A story runs with
 * agent_override when given, else its own agent, else the sprint's; the
 * stories run are those with selected[i] (sp->nstories flags), or all when
 * selected is NULL. Agents are needed only when the workflow has a session
 * or review step; each such step's own agent is needed too. A preset's
 * program missing is an error; a needed preset's fallback missing is a
 * warning. Runs `git` (read-only) in sp->root. Returns -1 when an error
 * was found, else 0.
 */
int preflight_check(const struct sprint *sp, const char *agent_override, const bool *selected,
		    struct preflight *out);
/*
 * Same, with each story's preset named by agents[i] (sp->nstories
 * entries; a NULL entry: the story's own, else the sprint's). For resume,
 * where a story may have moved to its fallback preset.
 */
int preflight_check_agents(const struct sprint *sp, const char *const *agents, const bool *selected,
			   struct preflight *out);

/*
 * Where execvp would find prog, run in cwd with path as $PATH (NULL or
 * empty: "/usr/local/bin:/usr/bin:/bin"; an empty entry is cwd): prog
 * itself (relative to cwd) when it has a slash, else the first PATH entry
 * holding an executable non-directory prog. Newly allocated, or NULL when
 * there is none; with a slash, *why (when not NULL) is set to "does not
 * exist" or "is not executable".
 */
char *preflight_which(const char *prog, const char *path, const char *cwd, const char **why);

/*
 * Prints every finding of p to fp, one line each, as
 * "PREFIX: MESSAGE (HINT)" (errors) or "PREFIX: warning: MESSAGE (HINT)";
 * a hint of several lines follows its message, indented by two spaces.
 * With as_warnings, errors are printed as warnings too (validate).
 */
void preflight_print(const struct preflight *p, FILE *fp, const char *prefix, bool as_warnings);

#endif
