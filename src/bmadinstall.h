/* SPDX-License-Identifier: MIT */
/*
 * bmadinstall.h: which form of the BMAD method is installed for an agent,
 * and how a prompt invokes one of its workflows in that form.
 *
 * BMAD's installer (`npx bmad-method install`) writes, per tool:
 *   Claude Code, current:  .claude/skills/bmad-dev-story/SKILL.md ...
 *                          (invoked as /bmad-dev-story; it removes
 *                          .claude/commands on reinstall)
 *   Claude Code, legacy:   .claude/commands/bmad/bmm/workflows/dev-story.md
 *                          (invoked as /bmad:bmm:workflows:dev-story)
 *   Codex, current:        .agents/skills/bmad-dev-story/SKILL.md (or
 *                          ~/.agents/skills; invoked as $bmad-dev-story)
 *   Codex, legacy:         ~/.codex/prompts/bmad-bmm-workflows-dev-story.md
 *                          (custom prompts; `codex exec` does not expand
 *                          them, so the prompt names the file to follow)
 * Skill directories are looked for in the project first, then in $HOME.
 * Detection only stats files: it never writes or runs anything.
 */
#ifndef AU_BMADINSTALL_H
#define AU_BMADINSTALL_H

#include <stdbool.h>

#include "config.h"
#include "template.h"

enum bmad_agent_kind { BMAD_AGENT_OTHER, BMAD_AGENT_CLAUDE, BMAD_AGENT_CODEX };

enum bmad_form {
	BMAD_FORM_NONE,            /* nothing installed for the agent */
	BMAD_FORM_GENERIC,         /* an agent that is neither: the legacy slash words */
	BMAD_FORM_CLAUDE_SKILLS,   /* .claude/skills/bmad-* / SKILL.md */
	BMAD_FORM_CLAUDE_COMMANDS, /* .claude/commands/bmad/ */
	BMAD_FORM_CODEX_SKILLS,    /* .agents/skills/bmad-* / SKILL.md */
	BMAD_FORM_CODEX_PROMPTS,   /* .codex/prompts/bmad-*.md */
};

/* The BMAD workflows the bmad workflow's steps invoke. */
enum bmad_wf { BMAD_WF_CREATE_STORY, BMAD_WF_DEV_STORY, BMAD_WF_AUTOMATE, BMAD_WF_CODE_REVIEW };
#define BMAD_WF_N 4

/* The placeholder of each: "bmad.invoke.create_story", ... (no braces). */
extern const char *const bmadinstall_var[BMAD_WF_N];

/*
 * Which CLI preset a drives: by its output format (claude-stream-json,
 * codex-json), else by its program's base name (claude, codex). a may be
 * NULL (other).
 */
enum bmad_agent_kind bmadinstall_agent_kind(const struct agent *a);

/*
 * The BMAD form installed for an agent of kind in the project at root,
 * with home as $HOME (NULL: none looked at) and codex_home as $CODEX_HOME
 * (NULL: home/.codex). BMAD_FORM_GENERIC for BMAD_AGENT_OTHER. With where,
 * *where is set to the directory it was found in (newly allocated), or
 * NULL.
 */
enum bmad_form bmadinstall_detect(const char *root, const char *home, const char *codex_home,
				  enum bmad_agent_kind kind, char **where);

/*
 * The words that invoke workflow wf in form, found in dir (from
 * bmadinstall_detect): "/bmad-dev-story", "/bmad:bmm:workflows:dev-story",
 * "$bmad-dev-story", "Follow the BMAD workflow in FILE:". When form has no
 * such workflow (a module not installed, or BMAD_FORM_NONE), a sentence
 * saying so. Newly allocated.
 */
char *bmadinstall_invoke(enum bmad_form form, const char *dir, enum bmad_wf wf);

/* "Claude Code skills (.claude/skills)", ... for messages. */
const char *bmadinstall_form_name(enum bmad_form form);

/* What a kind needs, for the preflight message: ".claude/skills/bmad-*" or ... */
const char *bmadinstall_expected(enum bmad_agent_kind kind);

/* Whether text uses any {bmad.invoke.*} placeholder. */
bool bmadinstall_text_uses(const char *text);

/*
 * Sets every bmad.invoke.* of v for preset a (NULL: other) in the project
 * at root, with $HOME and $CODEX_HOME from the environment. The values
 * live as long as the process (interned): v only borrows them.
 */
void bmadinstall_set_vars(struct tvars *v, const char *root, const struct agent *a);

#endif
