/* SPDX-License-Identifier: MIT */
/*
 * completion_spec.c: what a shell may complete after each command, read
 * from the command tables (cmd.h): the options a usage line and help text
 * name ("--run ID" takes a value), the words a usage line offers
 * ("list|ack|close"), and the kind of each argument placeholder (STORY,
 * ESCALATION, FILE...). The scripts of cmd_completion.c are written from
 * it, so a command added to the table completes without more work.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "completion.h"
#include "util.h"

/* Placeholders and what completes them. */
static const struct {
	const char *word;
	const char *kind;
} kinds[] = {
	{ "STORY", "stories" },    { "ESCALATION", "escalations" },
	{ "ID", "runs" },          { "FILE", "file" },
	{ "SPRINT", "file" },      { "DIR", "dir" },
	{ "COMMAND", "commands" },
};

static const char *kind_of(const char *word)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i].word, word))
			return kinds[i].kind;
	return NULL;
}

static bool has(const struct strvec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return true;
	return false;
}

/* One "--name" at p (after the dashes): its length. */
static size_t opt_len(const char *p)
{
	size_t n = 0;

	while (isalnum((unsigned char)p[n]) || p[n] == '-')
		n++;
	while (n > 0 && p[n - 1] == '-')
		n--;
	return n;
}

/* An upper-case placeholder at p ("ID", "FILE..."): its length, else 0. */
static size_t placeholder_len(const char *p)
{
	size_t n = 0;

	while (isupper((unsigned char)p[n]) || p[n] == '_')
		n++;
	return n >= 1 && !islower((unsigned char)p[n]) ? n : 0;
}

static void add_opt(struct compl_cmd *c, const char *name, size_t len, const char *after)
{
	char *o = xstrfmt("--%.*s", (int)len, name);
	size_t ph;

	if (has(&c->opts, o)) {
		free(o);
		return;
	}
	strvec_push(&c->opts, o);
	/* "--run ID", "--run=ID": a value, of the placeholder's kind */
	if ((*after == ' ' || *after == '=') && (ph = placeholder_len(after + 1)) > 0) {
		char *word = xstrndup(after + 1, ph);
		const char *k = kind_of(word);

		strvec_push_nodup(&c->valopts, xstrfmt("%s:%s", o, k ? k : ""));
		free(word);
	}
	free(o);
}

/* Every "--name" in text (a usage line or a help text). */
static void scan_opts(struct compl_cmd *c, const char *text)
{
	for (const char *p = text; (p = strstr(p, "--")) != NULL;) {
		size_t n;

		if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '-')) {
			p += 2;
			continue;
		}
		n = opt_len(p + 2);
		if (n)
			add_opt(c, p + 2, n, p + 2 + n);
		p += 2 + n;
	}
}

/* "--to id|prefix|key": the option's value is one of the words ("@id,prefix,key"). */
static void literal_values(struct compl_cmd *c, const char *opt, const char *alts)
{
	size_t ol = strcspn(opt, "=");
	char *list = xstrdup(alts);

	for (char *p = list; *p; p++)
		if (*p == '|')
			*p = ',';
	for (size_t i = 0; i < c->valopts.n; i++) {
		if (!strncmp(c->valopts.v[i], opt, ol) && c->valopts.v[i][ol] == ':') {
			free(c->valopts.v[i]);
			c->valopts.v[i] = xstrfmt("%.*s:@%s", (int)ol, opt, list);
			free(list);
			return;
		}
	}
	strvec_push_nodup(&c->valopts, xstrfmt("%.*s:@%s", (int)ol, opt, list));
	free(list);
}

/* Whether opt ("--run") was seen taking a value ("--run ID"). */
static bool takes_value(const struct compl_cmd *c, const char *opt)
{
	size_t ol = strlen(opt);

	for (size_t i = 0; i < c->valopts.n; i++)
		if (!strncmp(c->valopts.v[i], opt, ol) && c->valopts.v[i][ol] == ':')
			return true;
	return false;
}

/* The first character of the next token strtok_r will give from rest. */
static char next_word(const char *rest)
{
	while (rest && (*rest == ' ' || *rest == '[' || *rest == ']'))
		rest++;
	return rest ? *rest : '\0';
}

/*
 * The usage line's arguments: words ("list|ack|close", "run|story") and
 * placeholders; a lower-case word right after an option is its value.
 */
static void scan_args(struct compl_cmd *c, const char *usage)
{
	char *copy = xstrdup(usage), *save = NULL;
	const char *opt = NULL;

	for (char *t = strtok_r(copy, " []", &save); t; t = strtok_r(NULL, " []", &save)) {
		if (t[0] == '-') {
			/* "--table|--dot|--doc", "--x=VAL", a switch: no value follows */
			opt = strchr(t, '|') || strchr(t, '=') ? NULL : t;
			if (opt && !takes_value(c, opt) && !islower((unsigned char)next_word(save)))
				opt = NULL;
			continue;
		}
		if (opt && islower((unsigned char)t[0])) {
			literal_values(c, opt, t);
			opt = NULL;
			continue;
		}
		for (char *w = t, *end; w && *w; w = end ? end + 1 : NULL) {
			size_t ph;

			end = strchr(w, '|');
			if (end)
				*end = '\0';
			ph = placeholder_len(w);
			if (ph && !opt) {
				char *word = xstrndup(w, ph);
				/* a bare ID is an escalation's ("ack ID"); "--run ID", a run's */
				const char *k = !strcmp(word, "ID") ? "escalations" : kind_of(word);

				if (k && !has(&c->kinds, k))
					strvec_push(&c->kinds, k);
				free(word);
			} else if (!ph && islower((unsigned char)w[0]) && !has(&c->words, w)) {
				strvec_push(&c->words, w);
			}
		}
		opt = NULL;
	}
	free(copy);
}

void compl_spec(const struct cmd *table, struct compl_cmd **out, size_t *n)
{
	size_t count = 0;

	while (table[count].name)
		count++;
	*out = xcalloc(count, sizeof(**out));
	*n = count;
	for (size_t i = 0; i < count; i++) {
		struct compl_cmd *c = &(*out)[i];

		c->name = table[i].name;
		c->summary = table[i].summary;
		c->opts = (struct strvec)STRVEC_INIT;
		c->valopts = (struct strvec)STRVEC_INIT;
		c->words = (struct strvec)STRVEC_INIT;
		c->kinds = (struct strvec)STRVEC_INIT;
		scan_opts(c, table[i].usage);
		scan_opts(c, table[i].help ? table[i].help : "");
		strvec_push(&c->opts, "--help");
		scan_args(c, table[i].usage);
		/* "help COMMAND" offers the commands themselves */
		if (!strcmp(c->name, "help") && !has(&c->kinds, "commands"))
			strvec_push(&c->kinds, "commands");
	}
}

void compl_spec_free(struct compl_cmd *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		strvec_release(&v[i].opts);
		strvec_release(&v[i].valopts);
		strvec_release(&v[i].words);
		strvec_release(&v[i].kinds);
	}
	free(v);
}
