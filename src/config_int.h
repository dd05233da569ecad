/* SPDX-License-Identifier: MIT */
/*
 * config_int.h: what the loaders of config.c, config_agents.c,
 * config_workflow.c, config_triggers.c, config_sprint.c,
 * config_sprintopts.c and config_bmadsprint.c share. Not for other files.
 */
#ifndef AU_CONFIG_INT_H
#define AU_CONFIG_INT_H

#include <stdbool.h>

#include "config.h"
#include "schema.h"
#include "ydoc.h"

/* Placeholders a prompt or message may use (everything but {prompt}). */
extern const char *const cfg_text_names[];
/* Placeholders a trigger message may use: the text ones plus what went wrong. */
extern const char *const cfg_message_names[];

bool cfg_file_exists(const char *path);
bool cfg_dir_exists(const char *path);
/* path_join, except that "." adds nothing: messages then name files as the user does. */
char *cfg_join_rel(const char *dir, const char *name);
/* Adds "invalid WHAT 'name' (why)" at n; returns -1. */
int cfg_name_error(struct lctx *cx, const struct ynode *n, const char *what, const char *name);
/*
 * A command: a list of words (each item one word, as written) or one
 * string split into words by shell quoting rules (shellwords.h), never
 * run by a shell. An unterminated quote is an error at the string.
 */
int cfg_read_command(struct lctx *cx, const struct ynode *n, struct strvec *out);
/* Loads path into doc; an empty file is an error. */
int cfg_load_doc(const char *path, struct ydoc *doc, struct diags *d);
/* Checks the root is a mapping holding only the allowed top-level keys. */
int cfg_check_top(struct lctx *cx, const struct ynode *root, const char *const *keys,
		  const char *what);

/* config_agents.c */
/* Reads the agents mapping n into set, replacing presets of the same name. */
int cfg_read_agents_map(struct lctx *cx, const struct ynode *n, struct agent_set *set);
int cfg_check_fallbacks(struct diags *d, const struct agent_set *set);

/* config_workflow.c: an error at n unless set has a preset called name. */
void cfg_check_agent_name(struct lctx *cx, const struct ynode *n, const struct agent_set *set,
			  const char *name);

/* config_sprint.c: the index of n's scalar among words (NULL-terminated), or -1 with the error said. */
int cfg_one_of(struct lctx *cx, const struct ynode *n, const char *const *words,
	       const char *expected);
/* config_operator.c: a sprint's operator: (the LLM that proposes or answers decisions). */
int cfg_parse_operator(struct lctx *cx, const struct ynode *n, void *obj);

/* config_sprintopts.c: a sprint's limits, agents, notify, triggers, review_contract. */
int cfg_parse_limits(struct lctx *cx, const struct ynode *n, void *obj);
int cfg_parse_sprint_agents(struct lctx *cx, const struct ynode *n, void *obj);
int cfg_parse_notify(struct lctx *cx, const struct ynode *n, void *obj);
int cfg_parse_trigger_overrides(struct lctx *cx, const struct ynode *n, void *obj);
int cfg_parse_review_contract(struct lctx *cx, const struct ynode *n, void *obj);

/* config_bmadsprint.c */
/*
 * The stories of a BMAD sprint-status (s->file, loaded as doc): those with
 * work left (not done, not dormant), and those whose status include names;
 * the rest in s->skipped.
 */
int cfg_bmad_stories(struct lctx *cx, struct sprint *s, const struct ydoc *doc,
		     const struct strvec *include);
/*
 * A sprint.yaml with status_file: and no stories: (what `automator init`
 * writes in a BMAD project): its stories are the sprint-status's, chosen
 * as cfg_bmad_stories does; s->from_status set. Needs s->root.
 */
int cfg_status_file_stories(struct lctx *cx, struct sprint *s, const struct strvec *include);
/* A sprint.yaml's status_file: full keys and slug titles from it. */
void cfg_status_file_keys(struct sprint *s);

#endif
