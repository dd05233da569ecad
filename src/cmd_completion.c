/* SPDX-License-Identifier: MIT */
/*
 * cmd_completion.c: `automator completion bash|zsh|fish` writes the shell's
 * completion script for automator and orchestrator-helper from their
 * command tables (completion_spec.c); `automator __complete KIND` answers
 * the scripts with the current project's ids (stories of the latest run,
 * open escalations, runs). Reads the journal only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_view.h"
#include "commands.h"
#include "completion.h"
#include "store.h"
#include "util.h"

static const struct {
	const char *prog;
	const struct cmd *table;
} progs[] = { { "automator", automator_cmds }, { "orchestrator-helper", helper_cmds } };
#define NPROGS (sizeof(progs) / sizeof(progs[0]))

/* v joined with sep, each item as fmt ("%s"), for one line of a script. */
static void join(struct buf *b, const struct strvec *v, const char *sep)
{
	for (size_t i = 0; i < v->n; i++)
		buf_addf(b, "%s%s", i ? sep : "", v->v[i]);
}

/* The options with their short forms: "--json -j --run -r ...". */
static void opts_line(struct buf *b, const struct compl_cmd *c)
{
	for (size_t i = 0; i < c->opts.n; i++) {
		char letter = cmd_short_of(c->opts.v[i] + 2);

		buf_addf(b, "%s%s", i ? " " : "", c->opts.v[i]);
		if (letter)
			buf_addf(b, " -%c", letter);
		else if (!strcmp(c->opts.v[i], "--help"))
			buf_adds(b, " -h");
	}
}

static void commands_line(struct buf *b, const struct compl_cmd *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_addf(b, "%s%s", i ? " " : "", v[i].name);
}

/* ---- bash ---- */

static const char bash_head[] =
	"# bash completion for automator and orchestrator-helper\n"
	"# written by `automator completion bash` from the command tables\n"
	"_automator() {\n"
	"\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	"\tlocal prog=${COMP_WORDS[0]} cmd= i v k w=\n"
	"\tlocal cmds= opts= valopts= words= kinds=\n"
	"\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	"\t\tcase ${COMP_WORDS[i]} in -*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac\n"
	"\tdone\n";

static const char bash_tail[] =
	"\tif [[ -z $cmd ]]; then\n"
	"\t\tCOMPREPLY=($(compgen -W \"$cmds --help -h --version\" -- \"$cur\"))\n"
	"\t\treturn\n"
	"\tfi\n"
	"\tfor v in $valopts; do\n"
	"\t\t[[ $prev == \"${v%%:*}\" ]] || continue\n"
	"\t\tcase ${v#*:} in\n"
	"\t\tstories|escalations|runs)\n"
	"\t\t\tCOMPREPLY=($(compgen -W \"$(\"$prog\" __complete \"${v#*:}\" 2>/dev/null)\" -- "
	"\"$cur\")) ;;\n"
	"\t\tdir) COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n"
	"\t\tfile) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
	"\t\t@*) k=${v#*:@}; COMPREPLY=($(compgen -W \"${k//,/ }\" -- \"$cur\")) ;;\n"
	"\t\tesac\n"
	"\t\treturn\n"
	"\tdone\n"
	"\tif [[ $cur == -* ]]; then\n"
	"\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	"\t\treturn\n"
	"\tfi\n"
	"\tw=$words\n"
	"\tfor k in $kinds; do\n"
	"\t\tcase $k in\n"
	"\t\tstories|escalations|runs) w=\"$w $(\"$prog\" __complete \"$k\" 2>/dev/null)\" ;;\n"
	"\t\tcommands) w=\"$w $cmds\" ;;\n"
	"\t\tdir) COMPREPLY+=($(compgen -d -- \"$cur\")) ;;\n"
	"\t\tfile) COMPREPLY+=($(compgen -f -- \"$cur\")) ;;\n"
	"\t\tesac\n"
	"\tdone\n"
	"\tCOMPREPLY+=($(compgen -W \"$w\" -- \"$cur\"))\n"
	"}\n"
	"complete -F _automator automator orchestrator-helper\n";

static void write_bash(struct buf *b)
{
	buf_adds(b, bash_head);
	buf_adds(b, "\tcase ${prog##*/} in\n");
	for (size_t p = 0; p < NPROGS; p++) {
		struct compl_cmd *v;
		size_t n;

		compl_spec(progs[p].table, &v, &n);
		buf_addf(b, "\t%s)\n\t\tcmds=\"", p + 1 < NPROGS ? progs[p].prog : "*");
		commands_line(b, v, n);
		buf_adds(b, "\"\n\t\tcase $cmd in\n");
		for (size_t i = 0; i < n; i++) {
			buf_addf(b, "\t\t%s)\n\t\t\topts=\"", v[i].name);
			opts_line(b, &v[i]);
			buf_adds(b, "\"\n\t\t\tvalopts=\"");
			join(b, &v[i].valopts, " ");
			buf_adds(b, "\"\n\t\t\twords=\"");
			join(b, &v[i].words, " ");
			buf_adds(b, "\"\n\t\t\tkinds=\"");
			join(b, &v[i].kinds, " ");
			buf_adds(b, "\"\n\t\t\t;;\n");
		}
		buf_adds(b, "\t\tesac\n\t\t;;\n");
		compl_spec_free(v, n);
	}
	buf_adds(b, "\tesac\n");
	buf_adds(b, bash_tail);
}

/* ---- zsh ---- */

static const char zsh_tail[] =
	"\tif [[ -z $cmd ]]; then\n"
	"\t\tcompadd -- $cmds --help -h --version\n"
	"\t\treturn\n"
	"\tfi\n"
	"\tfor v in $valopts; do\n"
	"\t\t[[ $prev == ${v%%:*} ]] || continue\n"
	"\t\tcase ${v#*:} in\n"
	"\t\tstories|escalations|runs) compadd -- ${(f)\"$($prog __complete ${v#*:} "
	"2>/dev/null)\"} ;;\n"
	"\t\tdir) _files -/ ;;\n"
	"\t\tfile) _files ;;\n"
	"\t\t@*) compadd -- ${(s:,:)${v#*:@}} ;;\n"
	"\t\tesac\n"
	"\t\treturn\n"
	"\tdone\n"
	"\tif [[ $cur == -* ]]; then\n"
	"\t\tcompadd -- $opts\n"
	"\t\treturn\n"
	"\tfi\n"
	"\t(( $#words_ )) && compadd -- $words_\n"
	"\tfor k in $kinds; do\n"
	"\t\tcase $k in\n"
	"\t\tstories|escalations|runs) compadd -- ${(f)\"$($prog __complete $k 2>/dev/null)\"} ;;\n"
	"\t\tcommands) compadd -- $cmds ;;\n"
	"\t\tdir) _files -/ ;;\n"
	"\t\tfile) _files ;;\n"
	"\t\tesac\n"
	"\tdone\n"
	"}\n"
	"_automator \"$@\"\n";

static void write_zsh(struct buf *b)
{
	buf_adds(b,
		 "#compdef automator orchestrator-helper\n"
		 "# zsh completion, written by `automator completion zsh` from the command tables\n"
		 "_automator() {\n"
		 "\tlocal prog=${words[1]} cur=${words[CURRENT]} prev=${words[CURRENT-1]}\n"
		 "\tlocal cmd= i v k\n"
		 "\tlocal -a cmds opts valopts words_ kinds\n"
		 "\tfor ((i = 2; i < CURRENT; i++)); do\n"
		 "\t\t[[ ${words[i]} != -* ]] && { cmd=${words[i]}; break }\n"
		 "\tdone\n"
		 "\tcase ${prog:t} in\n");
	for (size_t p = 0; p < NPROGS; p++) {
		struct compl_cmd *v;
		size_t n;

		compl_spec(progs[p].table, &v, &n);
		buf_addf(b, "\t%s)\n\t\tcmds=(", p + 1 < NPROGS ? progs[p].prog : "*");
		commands_line(b, v, n);
		buf_adds(b, ")\n\t\tcase $cmd in\n");
		for (size_t i = 0; i < n; i++) {
			buf_addf(b, "\t\t%s)\n\t\t\topts=(", v[i].name);
			opts_line(b, &v[i]);
			buf_adds(b, ") valopts=(");
			join(b, &v[i].valopts, " ");
			buf_adds(b, ") words_=(");
			join(b, &v[i].words, " ");
			buf_adds(b, ") kinds=(");
			join(b, &v[i].kinds, " ");
			buf_adds(b, ") ;;\n");
		}
		buf_adds(b, "\t\tesac\n\t\t;;\n");
		compl_spec_free(v, n);
	}
	buf_adds(b, "\tesac\n");
	buf_adds(b, zsh_tail);
}

/* ---- fish ---- */

/* A single-quoted fish string of s ('\'' and '\\' escaped). */
static void fish_quote(struct buf *b, const char *s)
{
	buf_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *s);
	}
	buf_addc(b, '\'');
}

/* " -x -a 'a b c'" for the value list "a,b,c". */
static void fish_words(struct buf *b, const char *list)
{
	buf_adds(b, " -x -a '");
	for (; *list; list++)
		buf_addc(b, *list == ',' ? ' ' : *list);
	buf_addc(b, '\'');
}

static const char *value_arg(const char *kind)
{
	if (!strcmp(kind, "stories") || !strcmp(kind, "escalations") || !strcmp(kind, "runs"))
		return kind;
	return NULL;
}

static void write_fish_prog(struct buf *b, const char *prog, const struct compl_cmd *v, size_t n)
{
	buf_addf(b, "\ncomplete -c %s -f\n", prog);
	for (size_t i = 0; i < n; i++) {
		buf_addf(b, "complete -c %s -n 'not __automator_cmd' -a %s -d ", prog, v[i].name);
		fish_quote(b, v[i].summary);
		buf_adds(b, "\n");
	}
	for (size_t i = 0; i < n; i++) {
		const struct compl_cmd *c = &v[i];
		char *cond = xstrfmt("'__automator_cmd_is %s'", c->name);

		for (size_t k = 0; k < c->opts.n; k++) {
			const char *o = c->opts.v[k] + 2, *kind = NULL;
			char letter = cmd_short_of(o);
			size_t ol = strlen(c->opts.v[k]);

			for (size_t j = 0; j < c->valopts.n; j++)
				if (!strncmp(c->valopts.v[j], c->opts.v[k], ol) &&
				    c->valopts.v[j][ol] == ':')
					kind = c->valopts.v[j] + ol + 1;
			buf_addf(b, "complete -c %s -n %s -l %s", prog, cond, o);
			if (letter)
				buf_addf(b, " -s %c", letter);
			if (kind && value_arg(kind))
				buf_addf(b, " -x -a '(__automator_values %s)'", kind);
			else if (kind && !strcmp(kind, "dir"))
				buf_adds(b, " -x -a '(__fish_complete_directories)'");
			else if (kind && !strcmp(kind, "file"))
				buf_adds(b, " -r -F");
			else if (kind && kind[0] == '@')
				fish_words(b, kind + 1);
			else if (kind)
				buf_adds(b, " -x");
			buf_adds(b, "\n");
		}
		if (c->words.n) {
			buf_addf(b, "complete -c %s -n %s -a '", prog, cond);
			join(b, &c->words, " ");
			buf_adds(b, "'\n");
		}
		for (size_t k = 0; k < c->kinds.n; k++) {
			const char *kind = c->kinds.v[k];

			if (value_arg(kind))
				buf_addf(b, "complete -c %s -n %s -a '(__automator_values %s)'\n",
					 prog, cond, kind);
			else if (!strcmp(kind, "file") || !strcmp(kind, "dir"))
				buf_addf(b, "complete -c %s -n %s -F\n", prog, cond);
			else if (!strcmp(kind, "commands"))
				for (size_t j = 0; j < n; j++)
					buf_addf(b, "complete -c %s -n %s -a %s\n", prog, cond,
						 v[j].name);
		}
		free(cond);
	}
}

static void write_fish(struct buf *b)
{
	buf_adds(b, "# fish completion for automator and orchestrator-helper\n"
		    "# written by `automator completion fish` from the command tables\n"
		    "function __automator_cmd\n"
		    "\tfor w in (commandline -opc)[2..-1]\n"
		    "\t\tif not string match -q -- '-*' $w\n"
		    "\t\t\techo $w\n"
		    "\t\t\treturn 0\n"
		    "\t\tend\n"
		    "\tend\n"
		    "\treturn 1\n"
		    "end\n"
		    "function __automator_cmd_is\n"
		    "\tset -l c (__automator_cmd)\n"
		    "\ttest \"$c\" = \"$argv[1]\"\n"
		    "end\n"
		    "function __automator_values\n"
		    "\tset -l prog (commandline -opc)[1]\n"
		    "\t$prog __complete $argv[1] 2>/dev/null\n"
		    "end\n");
	for (size_t p = 0; p < NPROGS; p++) {
		struct compl_cmd *v;
		size_t n;

		compl_spec(progs[p].table, &v, &n);
		write_fish_prog(b, progs[p].prog, v, n);
		compl_spec_free(v, n);
	}
}

int cmd_completion_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("completion");
	struct buf b = BUF_INIT;
	char **pos;
	int npos, rc = cmd_parse(c, argc, argv, NULL, 0, &pos, &npos);

	if (rc)
		return rc;
	if (npos != 1) {
		free(pos);
		return cmd_usage_error(c, "needs one shell: bash, zsh or fish");
	}
	if (!strcmp(pos[0], "bash")) {
		write_bash(&b);
	} else if (!strcmp(pos[0], "zsh")) {
		write_zsh(&b);
	} else if (!strcmp(pos[0], "fish")) {
		write_fish(&b);
	} else {
		rc = cmd_usage_error(c, "unknown shell '%s' (bash, zsh or fish)", pos[0]);
		free(pos);
		return rc;
	}
	free(pos);
	fputs(buf_str(&b), stdout);
	buf_release(&b);
	return EXIT_OK;
}

/* ---- __complete KIND ---- */

static int print_escalation(const struct store_escalation *e, void *arg)
{
	(void)arg;
	printf("%lld\n", (long long)e->id);
	return 0;
}

int compl_values_main(int argc, char **argv)
{
	struct view v;
	char *cause = NULL;
	int rc = 0;

	if (argc != 2)
		return EXIT_USAGE;
	if (view_open(&v, NULL) != 0)
		return EXIT_FAILURE;
	if (!strcmp(argv[1], "stories") && v.have_run) {
		struct store_story_row *rows;
		size_t n;

		rc = store_story_rows(v.st, v.run.id, &rows, &n, &cause);
		for (size_t i = 0; rc == 0 && i < n; i++)
			printf("%s\n", rows[i].story.story_id);
		if (rc == 0)
			store_story_rows_free(rows, n);
	} else if (!strcmp(argv[1], "escalations")) {
		rc = store_escalations_foreach(v.st, NULL, true, print_escalation, NULL, &cause);
	} else if (!strcmp(argv[1], "runs")) {
		struct store_run *runs;
		size_t n;

		rc = store_runs_list(v.st, &runs, &n, &cause);
		for (size_t i = 0; rc == 0 && i < n; i++)
			printf("%s\n", runs[n - 1 - i].id);
		if (rc == 0)
			store_runs_free(runs, n);
	}
	free(cause);
	view_close(&v);
	return rc == 0 ? EXIT_OK : EXIT_FAILURE;
}
