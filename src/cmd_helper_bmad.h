/* SPDX-License-Identifier: MIT */
/*
 * cmd_helper_bmad.h: what the orchestrator-helper commands reading a BMAD
 * project share (cmd_helper_bmad.c): cmd_helper_verify.c and
 * cmd_helper_status.c.
 */
#ifndef AU_CMD_HELPER_BMAD_H
#define AU_CMD_HELPER_BMAD_H

#include <jansson.h>
#include <stddef.h>

#include "bmad.h"
#include "cmd.h"
#include "diag.h"
#include "storykey.h"

/* {HEAD:false,"reason":REASON} plus "input":input when input is not NULL. */
json_t *helper_negative(const char *head, const char *reason, const char *input);
/* Prints o and returns code, so failures read `return helper_report(o, code)`. */
int helper_report(json_t *o, int code);
/*
 * The project root: --project-root, $PROJECT_ROOT, or the upward search.
 * Returns 0, or EXIT_USAGE after printing why and {HEAD:false,...}.
 */
int helper_find_root(const struct cmd *c, const char *given, const char *head, char **root);
/*
 * Finds and loads the sprint-status of root. Returns 0 with *s (and *path,
 * newly allocated; its warnings printed on stderr), 1 when there is none,
 * -1 after printing every error of a file that does not load; *s and *path
 * are NULL unless 0 is returned.
 */
int helper_load_status(const char *root, char **path, struct bmad_status **s);
/* Adds "warnings":[...] to o when s has any; returns o. */
json_t *helper_with_warnings(json_t *o, const struct bmad_status *s);
/* Prints the warnings w (BMAD's config) on stderr and adds them to o's "warnings"; returns o. */
json_t *helper_with_config_warnings(json_t *o, const struct diags *w);
/* The keys of the n entries v, as a JSON array. */
json_t *helper_keys_json(const struct bmad_entry **v, size_t n);
/* The entries story names in s (bmad_status_match): how many, *v newly allocated (NULL: none). */
size_t helper_candidates(const struct bmad_status *s, const char *story,
			 const struct bmad_entry ***v);
/* {HEAD:false,"reason":"ambiguous_key","input":input,"candidates":[...]} with s's warnings. */
json_t *helper_ambiguous(const char *head, const char *input, const struct bmad_status *s,
			 const struct bmad_entry **v, size_t n);
/* The key form of a story not listed anywhere: prefix-slug, or the prefix. Newly allocated. */
char *helper_plain_key(const struct storykey *k);
/*
 * The prologue of a command taking one story key and --project-root
 * (opts[0]): the options parsed, the key normalized into *k, the project
 * found. 0 with *pos (the arguments; free it) and *root (newly allocated);
 * else the exit status, after saying why ({head:false,...}), nothing held.
 */
int helper_story_args(const struct cmd *c, int argc, char **argv, struct cmd_opt *opts,
		      size_t nopts, const char *head, struct storykey *k, char ***pos, char **root);

#endif
