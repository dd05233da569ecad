/* SPDX-License-Identifier: MIT */
/*
 * bmadinstall.c: the BMAD form installed for an agent and the words that
 * invoke its workflows (bmadinstall.h). Only stats and lists directories.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bmadinstall.h"
#include "util.h"

const char *const bmadinstall_var[BMAD_WF_N] = {
	"bmad.invoke.create_story",
	"bmad.invoke.dev_story",
	"bmad.invoke.automate",
	"bmad.invoke.code_review",
};

/* BMAD's own name of each workflow (legacy commands and prompts). */
static const char *const wf_name[BMAD_WF_N] = {
	"create-story",
	"dev-story",
	"testarch-automate",
	"code-review",
};

/* Skill names, newest first: v6 installs bmad-NAME; some builds bmad-MODULE-NAME. */
static const char *const skill_names[BMAD_WF_N][4] = {
	{ "bmad-create-story", "bmad-bmm-create-story", NULL },
	{ "bmad-dev-story", "bmad-bmm-dev-story", NULL },
	{ "bmad-testarch-automate", "bmad-tea-testarch-automate", "bmad-bmm-testarch-automate",
	  NULL },
	{ "bmad-code-review", "bmad-bmm-code-review", NULL },
};

/* The modules a legacy workflow may come from, in the order looked at. */
static const char *const modules[] = { "bmm", "tea", NULL };

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether dir holds a bmad* subdirectory with a SKILL.md. */
static bool has_bmad_skill(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		char *p;

		if (strncmp(e->d_name, "bmad", 4))
			continue;
		p = xstrfmt("%s/%s/SKILL.md", dir, e->d_name);
		found = is_file(p);
		free(p);
	}
	closedir(d);
	return found;
}

/* Whether dir holds a bmad*.md file. */
static bool has_bmad_prompt(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		found = !strncmp(e->d_name, "bmad", 4) && str_ends_with(e->d_name, ".md");
	closedir(d);
	return found;
}

enum bmad_agent_kind bmadinstall_agent_kind(const struct agent *a)
{
	const char *prog, *slash;

	if (!a)
		return BMAD_AGENT_OTHER;
	if (a->output && !strcmp(a->output, "claude-stream-json"))
		return BMAD_AGENT_CLAUDE;
	if (a->output && !strcmp(a->output, "codex-json"))
		return BMAD_AGENT_CODEX;
	if (!a->command.n)
		return BMAD_AGENT_OTHER;
	prog = a->command.v[0];
	slash = strrchr(prog, '/');
	if (slash)
		prog = slash + 1;
	if (!strcmp(prog, "claude"))
		return BMAD_AGENT_CLAUDE;
	if (!strcmp(prog, "codex"))
		return BMAD_AGENT_CODEX;
	return BMAD_AGENT_OTHER;
}

/* Looks for form in base/rel with test; sets *where on success. */
static bool found_in(const char *base, const char *rel, bool (*test)(const char *), char **where)
{
	char *dir;

	if (!base || !*base)
		return false;
	dir = path_join(base, rel);
	if (test(dir)) {
		if (where)
			*where = dir;
		else
			free(dir);
		return true;
	}
	free(dir);
	return false;
}

enum bmad_form bmadinstall_detect(const char *root, const char *home, const char *codex_home,
				  enum bmad_agent_kind kind, char **where)
{
	const char *bases[2] = { root, home };
	char *ch = NULL;
	enum bmad_form form = BMAD_FORM_NONE;

	if (where)
		*where = NULL;
	switch (kind) {
	case BMAD_AGENT_OTHER:
		return BMAD_FORM_GENERIC;
	case BMAD_AGENT_CLAUDE:
		for (size_t i = 0; i < 2 && form == BMAD_FORM_NONE; i++) {
			if (found_in(bases[i], ".claude/skills", has_bmad_skill, where))
				form = BMAD_FORM_CLAUDE_SKILLS;
			else if (found_in(bases[i], ".claude/commands/bmad", is_dir, where))
				form = BMAD_FORM_CLAUDE_COMMANDS;
		}
		return form;
	case BMAD_AGENT_CODEX:
		for (size_t i = 0; i < 2 && form == BMAD_FORM_NONE; i++)
			if (found_in(bases[i], ".agents/skills", has_bmad_skill, where))
				form = BMAD_FORM_CODEX_SKILLS;
		if (form != BMAD_FORM_NONE)
			return form;
		/* Codex reads custom prompts from $CODEX_HOME/prompts only */
		if (codex_home && *codex_home)
			ch = xstrdup(codex_home);
		else if (home && *home)
			ch = path_join(home, ".codex");
		if (found_in(ch, "prompts", has_bmad_prompt, where))
			form = BMAD_FORM_CODEX_PROMPTS;
		/* older installs wrote them into the project too */
		else if (found_in(root, ".codex/prompts", has_bmad_prompt, where))
			form = BMAD_FORM_CODEX_PROMPTS;
		free(ch);
		return form;
	}
	return form;
}

/* The first skill of wf in dir, or NULL. */
static const char *find_skill(const char *dir, enum bmad_wf wf)
{
	for (const char *const *n = skill_names[wf]; *n; n++) {
		char *p = xstrfmt("%s/%s/SKILL.md", dir, *n);
		bool ok = is_file(p);

		free(p);
		if (ok)
			return *n;
	}
	return NULL;
}

static char *not_installed(enum bmad_wf wf)
{
	return xstrfmt("(BMAD's %s workflow is not installed for this agent.)", wf_name[wf]);
}

char *bmadinstall_invoke(enum bmad_form form, const char *dir, enum bmad_wf wf)
{
	const char *skill;

	switch (form) {
	case BMAD_FORM_GENERIC:
		return xstrfmt("/bmad:bmm:workflows:%s", wf_name[wf]);
	case BMAD_FORM_CLAUDE_SKILLS:
	case BMAD_FORM_CODEX_SKILLS:
		if (!dir || !(skill = find_skill(dir, wf)))
			return not_installed(wf);
		return xstrfmt("%c%s", form == BMAD_FORM_CLAUDE_SKILLS ? '/' : '$', skill);
	case BMAD_FORM_CLAUDE_COMMANDS:
		for (size_t i = 0; dir && modules[i]; i++) {
			char *p = xstrfmt("%s/%s/workflows/%s.md", dir, modules[i], wf_name[wf]);
			bool ok = is_file(p);

			free(p);
			if (ok)
				return xstrfmt("/bmad:%s:workflows:%s", modules[i], wf_name[wf]);
		}
		return not_installed(wf);
	case BMAD_FORM_CODEX_PROMPTS:
		for (size_t i = 0; dir && modules[i]; i++) {
			char *p =
				xstrfmt("%s/bmad-%s-workflows-%s.md", dir, modules[i], wf_name[wf]);

			if (is_file(p)) {
				char *s = xstrfmt("Follow the BMAD %s workflow in %s:", wf_name[wf],
						  p);

				free(p);
				return s;
			}
			free(p);
		}
		return not_installed(wf);
	case BMAD_FORM_NONE:
		break;
	}
	return not_installed(wf);
}

const char *bmadinstall_form_name(enum bmad_form form)
{
	switch (form) {
	case BMAD_FORM_NONE:
		return "none";
	case BMAD_FORM_GENERIC:
		return "generic";
	case BMAD_FORM_CLAUDE_SKILLS:
		return "Claude Code skills";
	case BMAD_FORM_CLAUDE_COMMANDS:
		return "Claude Code commands (legacy)";
	case BMAD_FORM_CODEX_SKILLS:
		return "Codex skills";
	case BMAD_FORM_CODEX_PROMPTS:
		return "Codex prompts (legacy)";
	}
	return "none";
}

const char *bmadinstall_expected(enum bmad_agent_kind kind)
{
	switch (kind) {
	case BMAD_AGENT_CLAUDE:
		return ".claude/skills/bmad-*/SKILL.md or .claude/commands/bmad/ (in the project "
		       "or $HOME)";
	case BMAD_AGENT_CODEX:
		return ".agents/skills/bmad-*/SKILL.md (in the project or $HOME) or "
		       "$CODEX_HOME/prompts/bmad-*.md";
	case BMAD_AGENT_OTHER:
		break;
	}
	return "nothing";
}

bool bmadinstall_text_uses(const char *text)
{
	return text && strstr(text, "{bmad.invoke.") != NULL;
}

/* s as a string that lives as long as the process (one copy per value). */
static const char *intern(char *s)
{
	static char **pool;
	static size_t n, cap;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(pool[i], s)) {
			free(s);
			return pool[i];
		}
	ALLOC_GROW(pool, n + 1, cap);
	pool[n++] = s;
	return s;
}

void bmadinstall_set_vars(struct tvars *v, const char *root, const struct agent *a)
{
	enum bmad_agent_kind kind = bmadinstall_agent_kind(a);
	char *where = NULL;
	enum bmad_form form =
		bmadinstall_detect(root, getenv("HOME"), getenv("CODEX_HOME"), kind, &where);

	for (int i = 0; i < BMAD_WF_N; i++)
		tvars_set(v, bmadinstall_var[i],
			  intern(bmadinstall_invoke(form, where, (enum bmad_wf)i)));
	free(where);
}
