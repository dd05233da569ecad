/* SPDX-License-Identifier: MIT */
/*
 * preflight.c: the checks made before a run spends agent time (preflight.h):
 * programs looked up the way execvp will look them up, git asked
 * read-only questions through proc_run. Must not write anything, start
 * tmux or an agent, or print.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bmadinstall.h"
#include "gitx.h"
#include "preflight.h"
#include "proc.h"
#include "shellwords.h"
#include "template.h"
#include "tmx.h"

#define PREFLIGHT_GIT_TIMEOUT_MS 30000L
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/* Install hints for the programs of the shipped presets, by program name. */
static const struct {
	const char *prog;
	const char *hint;
} install_hints[] = {
	{ "claude", "install: npm install -g @anthropic-ai/claude-code" },
	{ "codex", "install: npm install -g @openai/codex" },
};

static void add(struct preflight *p, enum preflight_severity sev, char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Appends a finding; takes hint (may be NULL). */
static void add(struct preflight *p, enum preflight_severity sev, char *hint, const char *fmt, ...)
{
	struct preflight_finding *f;
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	ALLOC_GROW(p->v, p->n + 1, p->cap);
	f = &p->v[p->n++];
	f->severity = sev;
	f->message = buf_detach(&b);
	f->hint = hint;
	if (sev == PREFLIGHT_ERROR)
		p->errors++;
}

void preflight_release(struct preflight *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].message);
		free(p->v[i].hint);
	}
	free(p->v);
	p->v = NULL;
	p->n = p->cap = p->errors = 0;
}

static bool is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && !S_ISDIR(st.st_mode) && access(path, X_OK) == 0;
}

char *preflight_which(const char *prog, const char *path, const char *cwd, const char **why)
{
	const char *p, *end;

	if (!*prog)
		return NULL;
	if (strchr(prog, '/')) {
		char *abs = cwd ? path_join(cwd, prog) : xstrdup(prog);
		struct stat st;

		if (is_executable(abs))
			return abs;
		if (why)
			*why = stat(abs, &st) == 0 ? "is not executable" : "does not exist";
		free(abs);
		return NULL;
	}
	if (!path || !*path)
		path = DEFAULT_PATH;
	for (p = path;; p = end + 1) {
		char *dir, *cand;

		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		dir = end > p ? xstrndup(p, (size_t)(end - p)) : xstrdup(cwd ? cwd : ".");
		cand = path_join(dir, prog);
		free(dir);
		if (is_executable(cand))
			return cand;
		free(cand);
		if (!*end)
			return NULL;
	}
}

/*
 * What git said: the text of its "fatal: " line, else the first line of its
 * stderr (else stdout). Newly allocated; "" when it said nothing.
 */
static char *git_said(const struct proc_result *r)
{
	const char *s = buf_str(r->err.len ? &r->err : &r->out), *f;

	if ((f = strstr(s, "fatal: ")) && (f == s || f[-1] == '\n'))
		s = f + strlen("fatal: ");
	s += strspn(s, " \n\r\t");
	return xstrndup(s, strcspn(s, "\r\n"));
}

enum { GIT_WORKTREE, GIT_HEAD, GIT_AUTHOR, GIT_COMMITTER, NGIT };

/* Whether call c ran and exited 0. */
static bool git_ok(const struct proc_call *c)
{
	return c->ret == 0 && proc_ok(&c->r);
}

/*
 * The four read-only questions for git, asked at the same time (each git
 * takes milliseconds to start), answered in this order: a work tree, a
 * commit, an identity to commit with.
 */
static void check_git(const char *root, struct preflight *out)
{
	static const char *const env[] = { "GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0", NULL };
	static const char *const args[NGIT][4] = {
		[GIT_WORKTREE] = { "rev-parse", "--is-inside-work-tree" },
		[GIT_HEAD] = { "rev-parse", "--verify", "-q", "HEAD^{commit}" },
		[GIT_AUTHOR] = { "var", "GIT_AUTHOR_IDENT" },
		[GIT_COMMITTER] = { "var", "GIT_COMMITTER_IDENT" },
	};
	struct proc_opts o = { .env = env, .timeout_ms = PREFLIGHT_GIT_TIMEOUT_MS };
	struct strvec argv[NGIT];
	struct proc_call c[NGIT];
	char *sha = NULL, *cause = NULL, *line, *qroot = shellwords_quote(root);
	const struct proc_call *id;
	int rc;

	for (int i = 0; i < NGIT; i++) {
		argv[i] = (struct strvec)STRVEC_INIT;
		strvec_push(&argv[i], "git");
		strvec_push(&argv[i], "-C");
		strvec_push(&argv[i], root);
		for (int k = 0; k < 4 && args[i][k]; k++)
			strvec_push(&argv[i], args[i][k]);
		c[i] = (struct proc_call){ .argv = (const char *const *)argv[i].v, .opts = &o };
	}
	proc_run_all(c, NGIT);
	if (!git_ok(&c[GIT_WORKTREE]) || strncmp(buf_str(&c[GIT_WORKTREE].r.out), "true", 4)) {
		line = git_said(&c[GIT_WORKTREE].r);
		if (*line && !strstr(line, "not a git repository"))
			add(out, PREFLIGHT_ERROR, NULL, "cannot use the git repository at '%s': %s",
			    root, line);
		else
			add(out, PREFLIGHT_ERROR,
			    xstrfmt("create it with: cd %s && git init && git commit --allow-empty "
				    "-m init",
				    qroot),
			    "the project root '%s' is not in a git repository", root);
		free(line);
	} else if ((rc = c[GIT_HEAD].ret < 0 || c[GIT_HEAD].r.timed_out || c[GIT_HEAD].r.signal
				 ? (cause = proc_describe(&c[GIT_HEAD].r), -1)
				 : gitx_head_result(&c[GIT_HEAD].r, &sha, &cause)) == 1) {
		add(out, PREFLIGHT_ERROR,
		    xstrfmt("make one with: cd %s && git commit --allow-empty -m init", qroot),
		    "the git repository at '%s' has no commit yet", root);
	} else if (rc < 0) {
		add(out, PREFLIGHT_ERROR, NULL,
		    "cannot read HEAD of the git repository at '%s': %s", root,
		    cause ? cause : "unknown error");
	}
	free(sha);
	free(cause);

	/* git var fails exactly when git commit would refuse for want of an identity */
	id = !git_ok(&c[GIT_AUTHOR])      ? &c[GIT_AUTHOR]
	     : !git_ok(&c[GIT_COMMITTER]) ? &c[GIT_COMMITTER]
					  : NULL;
	if (id) {
		line = git_said(&id->r);
		add(out, PREFLIGHT_ERROR,
		    xstrfmt("set it with:\n"
			    "  git config user.name \"Your Name\"\n"
			    "  git config user.email you@example.com\n"
			    "(in %s; with --global for every repository)",
			    root),
		    "git has no identity to commit with in '%s'%s%s", root, *line ? ": " : "",
		    line);
		free(line);
	}
	for (int i = 0; i < NGIT; i++) {
		proc_result_release(&c[i].r);
		strvec_release(&argv[i]);
	}
	free(qroot);
}

/* The hint for a missing program of preset a. */
static char *missing_hint(const struct agent *a, const char *prog)
{
	for (size_t i = 0; i < ARRAY_SIZE(install_hints); i++)
		if (!strcmp(install_hints[i].prog, prog))
			return xstrdup(install_hints[i].hint);
	return xstrfmt("install it, or change the preset's command at %s:%d:%d", a->file, a->line,
		       a->col);
}

/*
 * The PATH the agent's program is looked up in: the preset's env PATH=
 * when it sets one (the runner puts it in place before execvp), else ours.
 * Newly allocated, or NULL for the default.
 */
static char *agent_path(const struct agent *a, const struct tvars *v)
{
	for (size_t i = a->env.n; i-- > 0;)
		if (str_starts_with(a->env.v[i], "PATH="))
			return template_render(a->env.v[i] + 5, v);
	return getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
}

/* Checks preset a's program; adds a finding of sev (and fallback_of's name) when missing. */
static void check_agent(const struct sprint *sp, const struct agent *a, const char *fallback_of,
			enum preflight_severity sev, struct preflight *out)
{
	static const char *const story_names[] = { "story.id",    "story.key",  "story.prefix",
						   "story.title", "story.epic", "step",
						   "cycle",       "attempt",    "prompt" };
	struct tvars v = { 0 }, probe;
	const char *why = "is not in PATH";
	char *prog, *probed, *found, *path;

	if (!a->command.n)
		return;
	tvars_set(&v, "datadir", config_datadir());
	tvars_set(&v, "root", sp->root);
	/* a program named after the story or the prompt can only be checked per spawn */
	probe = v;
	for (size_t i = 0; i < ARRAY_SIZE(story_names); i++)
		tvars_set(&probe, story_names[i], "\x01");
	probed = template_render(a->command.v[0], &probe);
	if (strchr(probed, '\x01')) {
		free(probed);
		return;
	}
	free(probed);
	prog = template_render(a->command.v[0], &v);
	path = agent_path(a, &v);
	found = preflight_which(prog, path, sp->root, &why);
	if (!found) {
		if (fallback_of)
			add(out, sev, missing_hint(a, prog),
			    "fallback agent preset '%s' of '%s' needs the program '%s', which %s",
			    a->name, fallback_of, prog, why);
		else
			add(out, sev, missing_hint(a, prog),
			    "agent preset '%s' needs the program '%s', which %s", a->name, prog,
			    why);
	}
	free(found);
	free(path);
	free(prog);
}

/* Whether a session or review step of w invokes BMAD workflows ({bmad.invoke.*}). */
static bool workflow_invokes_bmad(const struct workflow *w)
{
	for (size_t i = 0; w && i < w->nsteps; i++)
		if ((w->steps[i].kind == STEP_SESSION || w->steps[i].kind == STEP_REVIEW) &&
		    bmadinstall_text_uses(w->steps[i].prompt))
			return true;
	return false;
}

/*
 * Checks that BMAD is installed in a form preset a's CLI can invoke; adds a
 * finding of sev (naming fallback_of's preset) when it is not.
 */
static void check_bmad(const struct sprint *sp, const struct agent *a, const char *fallback_of,
		       enum preflight_severity sev, struct preflight *out)
{
	enum bmad_agent_kind kind = bmadinstall_agent_kind(a);
	const char *cli = kind == BMAD_AGENT_CLAUDE ? "Claude Code" : "Codex";
	char *qroot;

	if (kind == BMAD_AGENT_OTHER ||
	    bmadinstall_detect(sp->root, getenv("HOME"), getenv("CODEX_HOME"), kind, NULL) !=
		    BMAD_FORM_NONE)
		return;
	qroot = shellwords_quote(sp->root);
	add(out, sev,
	    xstrfmt("install it with: cd %s && npx bmad-method install (and choose %s)", qroot,
		    cli),
	    "%sagent preset '%s'%s%s%s needs the BMAD method installed for %s in '%s' (the "
	    "workflow '%s' invokes it), but there is no %s",
	    fallback_of ? "fallback " : "", a->name, fallback_of ? " of '" : "",
	    fallback_of ? fallback_of : "", fallback_of ? "'" : "", cli, sp->root,
	    sp->workflow->name, bmadinstall_expected(kind));
	free(qroot);
}

/*
 * isolation: worktree: a story's agent works in a worktree, which holds
 * only what is committed; BMAD installed but not committed (its _bmad/,
 * the agents' skills or commands) would be missing there.
 */
static void check_bmad_committed(const struct sprint *sp, struct preflight *out)
{
	static const char *const paths[] = { "_bmad",          ".claude/skills", ".claude/commands",
					     ".agents/skills", ".codex/prompts", NULL };
	struct strvec missing = STRVEC_INIT;
	struct buf list = BUF_INIT, cmd = BUF_INIT;
	char *cause = NULL, *q = shellwords_quote(sp->root);

	if (sp->isolation != ISOLATION_WORKTREE || !workflow_invokes_bmad(sp->workflow)) {
		free(q);
		return;
	}
	if (gitx_uncommitted_under(sp->root, paths, &missing, &cause) < 0)
		free(cause); /* the git checks say what is wrong with the repository */
	buf_addf(&cmd, "commit them: cd %s && git add --", q);
	for (size_t i = 0; i < missing.n; i++) {
		free(q);
		q = shellwords_quote(missing.v[i]);
		buf_addf(&cmd, " %s", q);
		if (i < 5)
			buf_addf(&list, "%s%s", i ? ", " : "", missing.v[i]);
		else if (i == 5)
			buf_addf(&list, ", and %zu more", missing.n - i);
	}
	buf_adds(&cmd, " && git commit -m 'BMAD method'; or run with --isolation shared");
	if (missing.n)
		add(out, PREFLIGHT_ERROR, xstrdup(buf_str(&cmd)),
		    "the BMAD method is installed in '%s' but not committed (%s): each story's "
		    "agent works in a git worktree of its own, which has only what is committed",
		    sp->root, buf_str(&list));
	free(q);
	buf_release(&list);
	buf_release(&cmd);
	strvec_release(&missing);
}

static bool workflow_spawns_agents(const struct workflow *w)
{
	for (size_t i = 0; w && i < w->nsteps; i++)
		if (w->steps[i].kind == STEP_SESSION || w->steps[i].kind == STEP_REVIEW)
			return true;
	return false;
}

static void push_unique(struct strvec *sv, const char *name)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], name))
			return;
	strvec_push(sv, name);
}

int preflight_check_agents(const struct sprint *sp, const char *const *agents, const bool *selected,
			   struct preflight *out)
{
	struct strvec need = STRVEC_INIT, fallbacks = STRVEC_INIT;
	size_t before = out->errors;

	if (!tmx_available())
		add(out, PREFLIGHT_ERROR, xstrdup("apt-get install tmux"), "tmux is not installed");
	if (!gitx_available())
		add(out, PREFLIGHT_ERROR, xstrdup("apt-get install git"), "git is not installed");
	else
		check_git(sp->root, out);

	if (workflow_spawns_agents(sp->workflow)) {
		for (size_t i = 0; i < sp->nstories; i++) {
			const char *name = agents && agents[i] ? agents[i] : sp->stories[i].agent;

			if (selected && !selected[i])
				continue;
			push_unique(&need, name ? name : sp->agent);
		}
		for (size_t i = 0; i < sp->workflow->nsteps; i++) {
			const struct step *st = &sp->workflow->steps[i];

			if (st->agent && (st->kind == STEP_SESSION || st->kind == STEP_REVIEW))
				push_unique(&need, st->agent);
		}
		/* the agent that resolves integration conflicts, when it is its own */
		if (sp->isolation == ISOLATION_WORKTREE && sp->workflow->resolve.agent)
			push_unique(&need, sp->workflow->resolve.agent);
	}
	for (size_t i = 0; i < need.n; i++) {
		const struct agent *a = agents_find(sp->agents, need.v[i]);

		if (!a) {
			add(out, PREFLIGHT_ERROR, NULL, "unknown agent preset '%s'", need.v[i]);
			continue;
		}
		check_agent(sp, a, NULL, PREFLIGHT_ERROR, out);
		if (workflow_invokes_bmad(sp->workflow))
			check_bmad(sp, a, NULL, PREFLIGHT_ERROR, out);
	}
	check_bmad_committed(sp, out);
	for (size_t i = 0; i < need.n; i++) {
		const struct agent *a = agents_find(sp->agents, need.v[i]), *fb;
		bool seen = false;

		if (!a || !a->fallback || !(fb = agents_find(sp->agents, a->fallback)))
			continue;
		for (size_t j = 0; j < need.n && !seen; j++)
			seen = !strcmp(need.v[j], fb->name);
		for (size_t j = 0; j < fallbacks.n && !seen; j++)
			seen = !strcmp(fallbacks.v[j], fb->name);
		if (seen)
			continue;
		strvec_push(&fallbacks, fb->name);
		check_agent(sp, fb, a->name, PREFLIGHT_WARNING, out);
		if (workflow_invokes_bmad(sp->workflow))
			check_bmad(sp, fb, a->name, PREFLIGHT_WARNING, out);
	}
	strvec_release(&need);
	strvec_release(&fallbacks);
	return out->errors > before ? -1 : 0;
}

int preflight_check(const struct sprint *sp, const char *agent_override, const bool *selected,
		    struct preflight *out)
{
	const char **agents = xcalloc(sp->nstories + 1, sizeof(*agents));
	int ret;

	for (size_t i = 0; i < sp->nstories; i++)
		agents[i] = agent_override;
	ret = preflight_check_agents(sp, agents, selected, out);
	free(agents);
	return ret;
}

void preflight_print(const struct preflight *p, FILE *fp, const char *prefix, bool as_warnings)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct preflight_finding *f = &p->v[i];
		bool warn = as_warnings || f->severity == PREFLIGHT_WARNING;

		fprintf(fp, "%s: %s%s", prefix, warn ? "warning: " : "", f->message);
		if (f->hint && !strchr(f->hint, '\n')) {
			fprintf(fp, " (%s)\n", f->hint);
		} else if (f->hint) {
			const char *s = f->hint;

			fputc('\n', fp);
			while (*s) {
				size_t len = strcspn(s, "\n");

				fprintf(fp, "  %.*s\n", (int)len, s);
				s += len + (s[len] == '\n');
			}
		} else {
			fputc('\n', fp);
		}
	}
}
