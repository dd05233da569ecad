/* SPDX-License-Identifier: MIT */
/*
 * config.h: the typed, immutable configuration: agent presets, workflows,
 * the trigger catalogue and sprints. Loaders read YAML through ydoc and the
 * schema tables, compile every pattern, check every cross-reference, and
 * either return a complete object or add every error found to a diags list
 * and return -1 (nothing is returned then). Free with the matching _free;
 * _free(NULL) is a no-op.
 */
#ifndef AU_CONFIG_H
#define AU_CONFIG_H

#include <stdbool.h>

#include "diag.h"
#include "match.h"
#include "util.h"

/* ---- agents (data/agents.yaml, or a sprint's agents:) ---- */
struct agent {
	char *name;
	char *description;
	struct strvec command; /* argv template; {prompt} etc. are substituted per word */
	struct strvec env;     /* "NAME=value" templates */
	char *output;          /* "text" | "claude-stream-json" | "codex-json" */
	char *fallback;        /* another agent's name, or NULL */
	struct patlist success, failure, prompt_wait;
	/* the classes that blame no code (judge.h) */
	struct patlist usage_limit, rate_limit, overloaded, server_error, network, unavailable;
	struct patlist retrying; /* the agent retries a request: not progress */
	char *file;              /* where it was defined */
	int line, col;
};

struct agent_set {
	struct agent *v;
	size_t n;
};

/* Loads an agents file (top-level 'agents:' map). */
int agents_load(const char *path, struct agent_set **out, struct diags *d);
void agents_free(struct agent_set *s);
const struct agent *agents_find(const struct agent_set *s, const char *name);

/* ---- workflows (workflows/<name>.yaml) ---- */
enum step_kind { STEP_SESSION, STEP_REVIEW, STEP_COMMIT, STEP_VERIFY };
enum verifier_kind {
	VERIFIER_NONE,
	VERIFIER_SESSION_EXIT,
	VERIFIER_REVIEW_COMPLETION,
	VERIFIER_STORY_ARTIFACT,
	VERIFIER_STORY_FILE, /* exactly one story file, by the BMAD lookup (storyfile.h) */
	VERIFIER_COMMAND,
	VERIFIER_EPIC_COMPLETE,
	VERIFIER_CONFLICTS_RESOLVED, /* no rebase or merge left in progress, no unmerged path */
};

struct verifier {
	enum verifier_kind kind;
	char *glob;         /* story_artifact: project-relative glob (a template) */
	int expect;         /* story_artifact: expected number of matches */
	struct strvec argv; /* command: argv templates */
};

struct step {
	char *name;
	enum step_kind kind;
	char *prompt;                /* template text: inline, or read from prompt_file */
	char *prompt_file;           /* as written, or NULL */
	char *prompt_path;           /* prompt_file joined to the workflow's directory, or NULL */
	int prompt_line, prompt_col; /* where prompt_file is written */
	char *agent;                 /* NULL: the story's or sprint's agent */
	char *message;               /* commit: message template */
	struct patlist success, failure, prompt_wait;
	struct strvec result; /* required keys of the AUTOMATOR_RESULT object */
	struct verifier verifier;
	long timeout;      /* seconds; 0 = the sprint's step_timeout */
	long idle_timeout; /* seconds; 0 = the sprint's idle_timeout */
	int retries;       /* -1 = the sprint's crash_retries */
	bool optional;
	bool skip_if_artifact; /* session: skipped when the verifier already passes */
	int line, col;
};

struct workflow {
	char *name;
	char *description;
	char *file;
	struct step *steps;
	size_t nsteps;
	/*
	 * isolation: worktree: the session that resolves an integration
	 * conflict when the human chooses so (the workflow's resolve:, or the
	 * built-in one), named RESOLVE_STEP_NAME; then the workflow's verify
	 * steps run again (workflow_step_at).
	 */
	struct step resolve;
};

#define RESOLVE_STEP_NAME "resolve-conflict"

/*
 * The step at a story's step index: 0..nsteps-1 the workflow's steps;
 * nsteps: none (the steps are done); nsteps+1: the resolve session, then
 * nsteps+2.. the workflow's verify steps again; past them: none.
 */
const struct step *workflow_step_at(const struct workflow *w, int index);
/* The step index of the resolve session (workflow_step_at). */
int workflow_resolve_index(const struct workflow *w);

/*
 * Loads a workflow file. When agents is given, every step's agent must be
 * in it. Prompt files are read relative to the workflow file.
 */
int workflow_load(const char *path, const struct agent_set *agents, struct workflow **out,
		  struct diags *d);
void workflow_free(struct workflow *w);
const char *step_kind_name(enum step_kind k);

/* ---- escalation triggers (data/triggers.yaml) ---- */
enum trigger_category { CATEGORY_CRITICAL, CATEGORY_PREFERENCE };
enum severity { SEVERITY_MEDIUM, SEVERITY_HIGH, SEVERITY_CRITICAL };

/* clang-format off */
#define TRIGGER_ACTIONS(X) \
	X(retry) X(retry_fallback) X(skip_step) X(skip_story) X(abort_story) X(abort_run) \
	X(pause) X(mark_success) X(mark_failure) X(view_output) X(send_reply) X(attach) \
	X(sequential) X(continue) X(keep_waiting) X(raise_budget) X(resolve)
/* clang-format on */
#define TRIGGER_ACTION_ENUM(n) TA_##n,
enum trigger_action { TRIGGER_ACTIONS(TRIGGER_ACTION_ENUM) TA__COUNT };
extern const char *const trigger_action_names[];

struct trigger_option {
	char *key; /* "1".."9" or "X" */
	char *label;
	enum trigger_action action;
};

struct trigger {
	int id;
	char *key; /* e.g. "code-review-loop-exceeded" */
	char *title;
	enum trigger_category category;
	enum severity severity;
	char *message; /* template */
	struct trigger_option *options;
	size_t noptions;
};

struct trigger_set {
	struct trigger *v;
	size_t n;
};

/* The trigger keys every catalogue must define. */
extern const char *const required_triggers[];

int triggers_load(const char *path, struct trigger_set **out, struct diags *d);
void triggers_free(struct trigger_set *s);
const struct trigger *triggers_find(const struct trigger_set *s, const char *key);

/* ---- notification routes (a sprint's notify:) ---- */
#define NOTIFY_ROUTES(X) X(log) X(bell) X(tmux) X(desktop) X(command) X(changelog)
#define NOTIFY_ROUTE_ENUM(n) NR_##n,
enum notify_route { NOTIFY_ROUTES(NOTIFY_ROUTE_ENUM) NR__COUNT };
extern const char *const notify_route_names[];

struct notify_cfg {
	/* routes[severity] is a bit set of (1 << enum notify_route) */
	unsigned routes[3];
	struct strvec command; /* argv of the command route (no templates) */
	char *changelog;       /* the changelog route's file, a template; NULL: the default */
	long stale_after;      /* seconds; an open, unacknowledged escalation is re-sent after */
	int max_reescalations; /* how many times at most */
};

/* The defaults: MEDIUM log; HIGH log, bell; CRITICAL log, bell, tmux, desktop; 30m; 2. */
void notify_cfg_default(struct notify_cfg *n);

/* ---- the operator (a sprint's operator:): an LLM that proposes or answers decisions ---- */
enum operator_mode { OPERATOR_OFF, OPERATOR_ASSIST, OPERATOR_AUTO };
struct operator_cfg {
	enum operator_mode mode;
	char *agent;            /* its agent preset; NULL: the sprint's agent */
	unsigned allow;         /* (1 << enum trigger_action): what auto may choose */
	struct strvec triggers; /* CRITICAL triggers auto may answer too (PREFERENCE: all) */
	int max_calls_per_hour;
	long timeout; /* seconds: the agent's hard limit */
};
/* The defaults: off; allow retry, retry_fallback, view_output; 6 calls an hour; 5m. */
void operator_cfg_default(struct operator_cfg *o);

/* ---- sprints (sprint.yaml, or a BMAD sprint-status.yaml) ---- */
struct limits {
	int review_cycles;
	int crash_retries;
	long idle_timeout;       /* seconds */
	long step_timeout;       /* seconds */
	long retry_patience;     /* seconds an agent may only retry before it is stopped */
	long max_wait;           /* seconds a story may wait for its agent's service */
	double max_cost_usd;     /* per story; 0: no budget */
	double max_cost_usd_run; /* per run; 0: no budget */
	long restart_reset_after; /* seconds a session works without stalling: its restarts are forgiven */
	long restart_cooldown;     /* seconds before the second restart in a row; doubled after */
	long restart_cooldown_max; /* seconds: the longest cooldown */
};

struct story {
	char *id;     /* as written in the sprint ("1.2") or the BMAD key */
	char *key;    /* the full key when known ("1-2-password-reset"), else the prefix */
	char *prefix; /* "1-2" */
	char *epic;   /* "1", or "" */
	char *title;
	char *agent;           /* NULL: the sprint's agent */
	struct strvec depends; /* story ids as written */
	size_t *dep_index;     /* resolved: indexes into sprint->stories */
	struct strvec fake;    /* "STEP=BEHAVIOUR" for the fake agent (AUTOMATOR_FAKE) */
	char *status;          /* BMAD: the sprint-status value; NULL for sprint.yaml */
	int line, col;         /* of the id (or the BMAD key) */
	size_t item;           /* index in the file's stories: list */
};

/* A sprint-status key that was not queued, and why. */
struct sprint_skip {
	char *key;    /* as written in the sprint-status */
	char *status; /* its value as written */
	char *reason; /* "done", "epic", "retrospective", "on-hold (dormant status; ...)" */
	int line;
};

struct sprint {
	char *file;       /* the file loaded */
	bool bmad;        /* loaded from a sprint-status.yaml */
	bool from_status; /* a sprint.yaml whose stories are its status_file's (no stories:) */
	char *project;    /* project name (default: the root directory's name) */
	char *root;       /* absolute project root */
	char *workflow_name;
	char *agent;
	int max_parallel;
	char *status_file;  /* relative to root, or NULL */
	bool allow_outside; /* prompt files and the sprint-status may be outside root */
	/* isolation: worktree: each story in its own git worktree and branch */
	enum isolation { ISOLATION_SHARED, ISOLATION_WORKTREE } isolation;
	/* how a story's branch joins the target: rebase (default) or a merge commit */
	enum integrate { INTEGRATE_REBASE, INTEGRATE_MERGE, INTEGRATE_NONE } integrate;
	bool keep_branches;  /* integrated stories' worktrees and branches stay */
	char *worktree_dir;  /* where worktrees go (relative to root); NULL: .automator/worktrees */
	char *branch_prefix; /* story branches' prefix; NULL: automator/ */
	struct limits limits;
	struct agent_set *agents;     /* shipped presets merged with the sprint's own */
	struct trigger_set *triggers; /* the shipped catalogue with the sprint's overrides */
	/* review_contract: sources and done values; both empty: the project's own */
	struct strvec review_sources;
	struct strvec review_done;
	struct notify_cfg notify;
	struct operator_cfg op;
	struct workflow *workflow;
	struct story *stories;
	size_t nstories;
	struct sprint_skip *skipped; /* BMAD: keys not queued, in file order */
	size_t nskipped;
	struct strvec warnings; /* "file[:line:col]: warning: ...": did not stop the load */
};

/* Loads a sprint with its workflow and agents, checking every reference. */
int sprint_load(const char *path, struct sprint **out, struct diags *d);
/*
 * As sprint_load; a BMAD sprint-status also queues the stories whose status
 * is one of include_status (any case; NULL or empty: none), done or dormant.
 */
int sprint_load_with(const char *path, const struct strvec *include_status, struct sprint **out,
		     struct diags *d);
/*
 * As sprint_load_with, from path already parsed into doc (ydoc_load, or
 * with YDOC_DUPLICATE_KEYS when doc->duplicates is false: the same tree),
 * which must not be empty; doc is borrowed. For a caller that has parsed
 * the file itself (validate), so that it is parsed once.
 */
struct ydoc;
int sprint_load_doc(const char *path, const struct ydoc *doc, const struct strvec *include_status,
		    struct sprint **out, struct diags *d);
/*
 * True for a BMAD story status that means "no work here now": cancelled,
 * canceled, removed, on-hold, deferred, superseded, obsolete, moved-to-*
 * (any case, surrounding spaces ignored). "done" is not dormant, it is done.
 * Such stories are not queued unless --include-status names the status.
 */
bool sprint_status_dormant(const char *status);
/* True when status equals one of list (any case, spaces trimmed; "x-*" matches a prefix). */
bool sprint_status_listed(const char *status, const struct strvec *list);
void sprint_free(struct sprint *s);
/* Index of the story named by any of its key forms, or -1. */
int sprint_find_story(const struct sprint *s, const char *name);

/* ---- shipped files ---- */
/*
 * The directory holding workflows/ and data/: $AUTOMATOR_DATA_DIR, else
 * <bindir>/../share/automator, else the source tree this binary was built
 * from, else the configured install directory. Borrowed, never NULL.
 */
const char *config_datadir(void);
/* Newly allocated path of a shipped file, e.g. "data/agents.yaml". */
char *config_shipped(const char *relpath);

/* What a YAML file is, judged by its top-level keys. */
enum file_kind {
	FILE_UNKNOWN,
	FILE_SPRINT,
	FILE_BMAD_STATUS,
	FILE_WORKFLOW,
	FILE_AGENTS,
	FILE_TRIGGERS
};
const char *file_kind_name(enum file_kind k);

#endif
