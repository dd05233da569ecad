/* SPDX-License-Identifier: MIT */
/*
 * run_changelog.c: the changelog route. When an escalation is answered and
 * the sprint's notify: routes list `changelog` for its severity, a dated
 * markdown entry (the escalation, its evidence, the options, what was
 * chosen, by whom and why) is appended to the story's decisions file, in
 * the tree the story works in, so that it is committed with the story:
 * by the story's commit step when that is still ahead, else (a worktree
 * past its commit, an integration conflict) as a commit of its own on the
 * story's branch. The file is per story (notify.changelog, a template;
 * default beside a BMAD project's story files, decisions/<story key>.md,
 * else docs/decisions/<story id>.md), so that parallel stories never
 * touch the same one. A failure is a warning: the decision stands.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "gitx.h"
#include "run_int.h"
#include "template.h"

/* The decisions file of s (NULL: the run), relative to its root; newly allocated. */
char *run__changelog_rel(const struct run *r, const struct rstory *s)
{
	const char *rel = run__status_rel(r);
	struct tvars v;
	char *tpl, *out;

	memset(&v, 0, sizeof(v));
	tvars_set(&v, "story.id", s ? s->cfg->id : "run");
	tvars_set(&v, "story.key", s && s->cfg->key ? s->cfg->key : s ? s->cfg->id : "run");
	tvars_set(&v, "story.epic", s && s->cfg->epic ? s->cfg->epic : "");
	if (r->sp->notify.changelog) {
		tpl = xstrdup(r->sp->notify.changelog);
	} else if ((r->sp->bmad || r->sp->from_status) && rel) {
		/* beside the story files, in a directory of its own: no story-file glob matches */
		char *dir = path_dirname(rel);

		tpl = xstrfmt("%s/decisions/{story.key}.md", dir);
		free(dir);
	} else {
		tpl = xstrdup("docs/decisions/{story.id}.md");
	}
	out = template_render(tpl, &v);
	free(tpl);
	return out;
}

static int mkdir_parents(const char *path)
{
	char *dir = path_dirname(path);
	int rc = 0;

	for (char *p = dir + 1; *p && rc == 0; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	if (rc == 0 && mkdir(dir, 0755) < 0 && errno != EEXIST)
		rc = -1;
	free(dir);
	return rc;
}

/* The entry: markdown, dated, self-contained. Newly allocated. */
static char *entry(const struct run *r, const struct rstory *s, const struct trigger_option *o,
		   const struct store_decision *d)
{
	const struct trigger *t = s->esc;
	const struct step *st = workflow_step_at(r->sp->workflow, s->step_index);
	char *now = clock_iso(clock_wall());
	struct buf b = BUF_INIT;

	/* as raised: a PREFERENCE trigger is raised CRITICAL when others depend on the story */
	buf_addf(&b, "## %.10s %.5s UTC: %s (%s, %s)\n\n", now, now + 11, t->title, t->key,
		 d->category       ? d->category
		 : s->esc_critical ? "CRITICAL"
				   : "PREFERENCE");
	buf_addf(&b, "Story %s (%s)", s->cfg->id, s->cfg->title);
	if (st)
		buf_addf(&b, ", step %s, attempt %d", st->name, s->attempt);
	buf_addf(&b, "; run %s, escalation %lld.\n\n", r->id, (long long)d->escalation_id);
	if (s->esc_msg && *s->esc_msg) {
		/* the evidence, quoted line by line */
		for (const char *p = s->esc_msg; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);

			buf_addf(&b, ">%s%.*s\n", n ? " " : "", (int)n, p);
			p += n + (nl != NULL);
		}
		buf_addc(&b, '\n');
	}
	buf_adds(&b, "Options:");
	for (size_t i = 0; i < t->noptions; i++)
		buf_addf(&b, "%s %s. %s", i ? ";" : "", t->options[i].key, t->options[i].label);
	buf_addf(&b, ".\n\nDecision: **%s. %s**, answered by %s at %s.\n", o->key, o->label,
		 d->source && *d->source ? d->source : "someone", d->at ? d->at : now);
	buf_addf(&b, "Why: %s\n\n", d->reply && *d->reply ? d->reply : "no reason given.");
	free(now);
	return buf_detach(&b);
}

/* Appends text to root/rel, with a title when the file is new. 0, or -1 with *cause. */
static int append(const char *root, const char *rel, const struct rstory *s, const char *text,
		  char **cause)
{
	char *path = path_join(root, rel);
	struct stat st;
	bool fresh;
	FILE *f;
	int rc = 0;

	if (mkdir_parents(path) < 0) {
		*cause = xstrfmt("cannot create the directory of '%s': %s", path, strerror(errno));
		free(path);
		return -1;
	}
	fresh = stat(path, &st) < 0;

	f = fopen(path, "a");
	if (!f) {
		*cause = xstrfmt("cannot open '%s': %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (fresh)
		fprintf(f,
			"# Decisions: story %s (%s)\n\nAppended by automator each time one of "
			"its escalations is answered.\n\n",
			s->cfg->id, s->cfg->title);
	fputs(text, f);
	if (fclose(f) != 0) {
		*cause = xstrfmt("cannot write '%s': %s", path, strerror(errno));
		rc = -1;
	}
	free(path);
	return rc;
}

/* The story's commit step is behind it (or it has none): nothing else will commit the entry. */
static bool past_commit(const struct run *r, const struct rstory *s)
{
	const struct workflow *w = r->sp->workflow;
	int last = -1;

	for (size_t i = 0; i < w->nsteps; i++)
		if (w->steps[i].kind == STEP_COMMIT)
			last = (int)i;
	return last < 0 || s->step_index > last;
}

void run__changelog(struct run *r, struct rstory *s, const struct trigger_option *o,
		    const struct store_decision *d)
{
	char *rel, *text = NULL, *cause = NULL, *branch = NULL;
	const char *root;

	if (!s->esc || !(r->sp->notify.routes[s->esc->severity] & (1u << NR_changelog)))
		return;
	root = run__story_root(r, s);
	rel = run__changelog_rel(r, s);
	/* a story id is the user's: never a way out of the project */
	if (*rel == '/' || !strcmp(rel, "..") || str_starts_with(rel, "../") ||
	    strstr(rel, "/../")) {
		run__say(r,
			 "%-6s warning: the decision is not in the changelog: '%s' is outside "
			 "the project",
			 s->cfg->id, rel);
		free(rel);
		return;
	}
	text = entry(r, s, o, d);
	if (append(root, rel, s, text, &cause) < 0)
		goto fail;
	/* a worktree past its commit: a commit of its own, on the story's branch */
	if (s->worktree && past_commit(r, s) &&
	    gitx_current_branch(s->worktree, &branch, &cause) == 0 && s->branch &&
	    !strcmp(branch, s->branch)) {
		char *msg = xstrfmt("%s: decision on %s\n\nAutomator-Decision: %s/%lld\n",
				    s->cfg->id, s->esc->key, r->id, (long long)d->escalation_id);

		if (gitx_commit_path(s->worktree, rel, msg, &cause) < 0) {
			free(msg);
			goto fail;
		}
		free(msg);
	}
	free(cause);
	cause = NULL;
	run__say(r, "%-6s decision written to %s", s->cfg->id, rel);
	goto out;
fail:
	run__say(r, "%-6s warning: the decision is not in the changelog: %s", s->cfg->id,
		 cause ? cause : "unknown error");
out:
	free(cause);
	free(branch);
	free(text);
	free(rel);
}
