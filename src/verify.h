/* SPDX-License-Identifier: MIT */
/*
 * verify.h: step verifiers, the checks of workflow truth made after an
 * agent's step: the session's exit, BMAD review completion (sprint-status,
 * then the story file), expected artifacts, a command's exit and epic
 * completion. A verifier reads; it never edits a file or repairs a status.
 */
#ifndef AU_VERIFY_H
#define AU_VERIFY_H

#include <stdbool.h>

#include "config.h"
#include "diag.h"
#include "storyfile.h"
#include "template.h"

struct bmad_status;

/* What a verifier looks at. Everything is borrowed. */
struct verify_contract;

struct verify_ctx {
	const char *root;        /* project root */
	const char *status_file; /* sprint-status.yaml, absolute or under root; NULL: found */
	const struct story *story;
	const char *step;
	int cycle, attempt;
	int exit_status, exit_signal; /* of the session, for session_exit */
	const struct tvars *vars;     /* for templates in globs and argv; may be NULL */
	long timeout_ms;              /* command: 0 = proc_run's default (30 s) */
	/* review_completion: this contract (a sprint's); NULL: VERIFY_CONTRACT_FILE */
	const struct verify_contract *contract;
};

/*
 * A verdict. All strings are owned; release with verify_result_release.
 * json is one compact object for `orchestrator-helper verify-step`:
 * verified, source, reason (when not verified) and the verifier's details
 * (for story_artifact: pattern, expectedMatches, actualMatches, matches).
 */
struct verify_result {
	bool verified;
	char *source; /* where the verdict came from: "sprint-status.yaml", "story-file",
			 "session_exit", "story_artifact", "command", "none" */
	char *reason; /* why not verified (a stable word or a describe line); NULL when verified */
	char *json;
};

void verify_result_release(struct verify_result *r);

/*
 * Runs verifier v in ctx. Returns 0 with *res filled (verified or not), or
 * -1 with *cause (newly allocated) when the check could not be made: an
 * unreadable sprint-status, a command that cannot be started, a story key
 * that is not valid. *res is always initialised and must be released.
 */
int verify_run(const struct verifier *v, const struct verify_ctx *ctx, struct verify_result *res,
	       char **cause);

/*
 * A review contract: which sources may say a story's review is done, in
 * the order they are asked, and which values mean done (compared without
 * regard to case). The defaults: sprint-status.yaml, then the story file;
 * "done". A project overrides them in VERIFY_CONTRACT_FILE:
 * {"sources": ["story-file", "sprint-status.yaml"], "doneValues": ["done"]}
 * (either key may be left out). Strings are owned; release with
 * verify_contract_release.
 */
enum verify_source { VERIFY_SOURCE_SPRINT_STATUS, VERIFY_SOURCE_STORY_FILE };

struct verify_contract {
	enum verify_source sources[2];
	size_t nsources;
	struct strvec done; /* at least one value */
};

#define VERIFY_CONTRACT_FILE ".automator/review-contract.json"

/* Fills c with the defaults. */
void verify_contract_init(struct verify_contract *c);
/*
 * Reads root/VERIFY_CONTRACT_FILE into c. Returns 0 when it was read, 1
 * when there is none (c holds the defaults), -1 with *cause (newly
 * allocated: "file:line:col: msg" for JSON that does not parse, at the
 * position jansson reports; "file: msg" for a well-formed file that is not
 * a contract) when it cannot be read or is not valid. c is always
 * initialised and must be released.
 */
int verify_contract_load(const char *root, struct verify_contract *c, char **cause);
void verify_contract_release(struct verify_contract *c);
/* The name of a source as the helper prints it: "sprint-status.yaml", "story-file". */
const char *verify_source_name(enum verify_source s);

/*
 * Review completion, as `orchestrator-helper verify-code-review` reports
 * it. Strings are owned; release with verify_review_release.
 */
struct verify_review {
	bool verified;
	char *story;             /* the sprint-status key when listed, else the key given */
	char *sprint_status;     /* the value there, or "unknown" */
	char *story_file;        /* the story file's path, or NULL when there is none */
	char *story_file_status; /* its Status, or "unknown" */
	const char *source;      /* "sprint-status.yaml" | "story-file" | NULL (not verified) */
	const char *note;        /* "sprint_status_not_updated" or NULL */
	const char *reason;      /* "workflow_not_complete", "review_says_not_done" or NULL */
	char *why;             /* review_says_not_done: which mark ("sprint-status comment: ...") */
	char *file_note;       /* "several story files; chose X.md" or NULL */
	struct diags warnings; /* BMAD's config that could not be used */
};

/*
 * Is story_key (any key form) done? Asks the sources of the project's
 * review contract (verify_contract_load; by default the sprint-status
 * value first, done in any case, quoted or not, then the story file's
 * Status). status_file (absolute, or relative to root) NULL: found under
 * root; a missing file counts as "unknown". Returns 0 with *out filled, or
 * -1 with *cause when the key is not valid, the contract is not valid or
 * the sprint-status file does not load (its first error). *out is always
 * initialised.
 */
int verify_review_status(const char *root, const char *status_file, const char *story_key,
			 struct verify_review *out, char **cause);
/* The same with contract c (NULL: the one at root, as above). */
int verify_review_status_with(const char *root, const char *status_file, const char *story_key,
			      const struct verify_contract *c, struct verify_review *out,
			      char **cause);
/*
 * A contract from a sprint's review_contract: source names
 * ("sprint-status.yaml", "story-file") and done values; an empty list keeps
 * the default. Returns 0, or -1 with *cause for an unknown or repeated
 * source. c is always initialised and must be released.
 */
int verify_contract_from(const struct strvec *sources, const struct strvec *done,
			 struct verify_contract *c, char **cause);
/*
 * The same check with the contract at root (VERIFY_CONTRACT_FILE, or the
 * defaults) and a sprint-status already loaded (s; NULL when there is
 * none): the sources are asked in the contract's order and the first that
 * says done decides; "note" is set when the story file decides while the
 * sprint-status does not say done. The story file cannot decide when the
 * sprint-status line's comment names the code review ("# Updated by
 * bmad-code-review") or the story file has unchecked review findings
 * (storyfile_open_findings): then reason is "review_says_not_done"
 * and why names the mark. warnings gets BMAD configs that could not be
 * used. Returns 0 with *out filled, or -1 when
 * story_key is not a valid key. Reads only the story file. *out is always
 * initialised.
 */
int verify_review_check(const char *root, const struct bmad_status *s, const char *story_key,
			const struct verify_contract *c, struct verify_review *out);
void verify_review_release(struct verify_review *r);
/*
 * The helper's object: {"verified","story","sprint_status",
 * "story_file_status", and "source" (+ "note") or "reason" (+ "why")}, and
 * the story file's choice among several as "note" (or "story_file_note"
 * when "note" is taken); newly allocated.
 */
char *verify_review_json(const struct verify_review *r);

#endif
