/* SPDX-License-Identifier: MIT */
/*
 * cmd_escalate.c: automator answer and automator escalations. They read and
 * write escalations in the state store only; a live run picks answers up
 * from there within a second, and resume applies those recorded while no
 * run was live. Must not change a story's state itself.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "commands.h"
#include "project.h"
#include "jsonw.h"
#include "store.h"
#include "util.h"

/* The project's store: at or above the current directory. */
static int open_store(struct store **st, char **root_out)
{
	char *root = project_find_state(), *db, *cause = NULL;
	int rc;

	if (!root) {
		fprintf(stderr,
			"%s: no automator project here (no .automator/state.db in this "
			"directory or above)\n",
			progname);
		return EXIT_USAGE;
	}
	db = path_join(root, ".automator/state.db");
	rc = store_open(db, st, &cause);
	free(db);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", progname, cause);
		free(cause);
		free(root);
		return EXIT_SOFTWARE;
	}
	*root_out = root;
	return 0;
}

struct esc_list {
	struct store_escalation *v;
	size_t n;
};

static int collect(const struct store_escalation *e, void *arg)
{
	struct esc_list *l = arg;
	struct store_escalation *c;

	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	c = &l->v[l->n++];
	memset(c, 0, sizeof(*c));
	c->id = e->id;
#define DUP(f) c->f = e->f ? xstrdup(e->f) : NULL
	DUP(run_id);
	DUP(story_id);
	DUP(step);
	DUP(trigger);
	DUP(category);
	DUP(severity);
	DUP(message);
	DUP(options);
	DUP(status);
	DUP(chosen);
	DUP(reply);
	DUP(answered_by);
	DUP(answered_at);
	DUP(created_at);
	DUP(notified_at);
	DUP(closed_reason);
	DUP(recommendation);
	DUP(acked_by);
	DUP(acked_at);
	DUP(closed_at);
#undef DUP
	c->reescalations = e->reescalations;
	return 0;
}

static void esc_list_release(struct esc_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		store_escalation_release(&l->v[i]);
	free(l->v);
}

static char *who(void)
{
	const char *user = getenv("USER");
	const char *tty = isatty(STDIN_FILENO) ? ttyname(STDIN_FILENO) : NULL;

	return xstrfmt("%s%s%s", user ? user : "someone", tty ? " on " : "", tty ? tty : "");
}

/* The option of choice in an options JSON array, or NULL; fills label and action. */
static json_t *find_choice(json_t *opts, const char *choice)
{
	size_t i;
	json_t *o;

	json_array_foreach(opts, i, o)
	{
		const char *k = json_string_value(json_object_get(o, "key"));

		if (k && !strcasecmp(k, choice))
			return o;
	}
	return NULL;
}

static char *keys_of(json_t *opts)
{
	struct buf b = BUF_INIT;
	size_t i;
	json_t *o;

	json_array_foreach(opts, i, o)
	{
		if (b.len)
			buf_adds(&b, ", ");
		buf_adds(&b, json_string_value(json_object_get(o, "key")));
	}
	return buf_detach(&b);
}

int cmd_answer_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("answer");
	struct cmd_opt opts[] = { { "reply", 1, NULL, 0 }, { "only", 0, NULL, 0 } };
	struct store_escalation e = { 0 };
	struct esc_list open = { 0 };
	struct store *st = NULL;
	char **pos, *root = NULL, *cause = NULL, *end, *at, *by;
	const char *choice;
	int64_t id = 0, did = 0;
	int npos, ret;
	json_t *options = NULL, *o;

	ret = cmd_parse(c, argc, argv, opts, ARRAY_SIZE(opts), &pos, &npos);
	if (ret)
		return ret;
	if (npos < 1 || npos > 2) {
		free(pos);
		return cmd_usage_error(c, "expected [ESCALATION] CHOICE");
	}
	choice = pos[npos - 1];
	if (npos == 2 && opts[1].seen) {
		free(pos);
		return cmd_usage_error(c,
				       "--only answers the one open escalation: give CHOICE alone");
	}
	/*
	 * "answer 3" could mean escalation 3 as well as option 3: a number alone
	 * is taken for an option only when --only says so
	 */
	if (npos == 1 && !opts[1].seen && (strtoll(choice, &end, 10), *end == '\0')) {
		ret = cmd_usage_error(c,
				      "'%s' alone could be an escalation or an option: give both "
				      "(answer ESCALATION CHOICE), or --only %s to answer the one "
				      "open escalation",
				      choice, choice);
		free(pos);
		return ret;
	}
	if (npos == 2) {
		id = strtoll(pos[0], &end, 10);
		if (*end || id <= 0) {
			ret = cmd_usage_error(c, "ESCALATION is a number, not '%s'", pos[0]);
			free(pos);
			return ret;
		}
	}
	if ((ret = open_store(&st, &root)) != 0)
		goto out;
	if (!id) {
		if (store_escalations_foreach(st, NULL, true, collect, &open, &cause) < 0) {
			fprintf(stderr, "%s: %s\n", progname, cause);
			ret = EXIT_SOFTWARE;
			goto out;
		}
		size_t n = 0;

		for (size_t i = 0; i < open.n; i++)
			if (strcmp(open.v[i].status, "answered")) {
				id = open.v[i].id;
				n++;
			}
		if (n != 1) {
			fprintf(stderr, "%s: %s open escalation%s: name one of them\n", progname,
				n ? "several" : "no", n ? "s" : "");
			for (size_t i = 0; i < open.n; i++)
				fprintf(stderr, "  %lld  %s  story %s\n", (long long)open.v[i].id,
					open.v[i].trigger,
					open.v[i].story_id ? open.v[i].story_id : "-");
			ret = n ? EXIT_USAGE : EXIT_DATAERR;
			goto out;
		}
	}
	ret = store_escalation_get(st, id, &e, &cause);
	if (ret != 0) {
		fprintf(stderr, "%s: no escalation %lld\n", progname, (long long)id);
		ret = EXIT_NEGATIVE; /* not found */
		goto out;
	}
	if (!strcmp(e.status, "closed") || !strcmp(e.status, "answered")) {
		fprintf(stderr, "%s: escalation %lld is %s%s%s\n", progname, (long long)id,
			e.status, e.chosen ? " with option " : "", e.chosen ? e.chosen : "");
		ret = EXIT_DATAERR;
		goto out;
	}
	options = json_loads(e.options ? e.options : "[]", 0, NULL);
	o = options ? find_choice(options, choice) : NULL;
	if (!o) {
		char *keys = options ? keys_of(options) : xstrdup("");

		fprintf(stderr, "%s: escalation %lld has no option '%s' (options: %s)\n", progname,
			(long long)id, choice, keys);
		free(keys);
		ret = EXIT_DATAERR;
		goto out;
	}
	if (!strcmp(json_string_value(json_object_get(o, "action")), "send_reply") &&
	    (!opts[0].value || !*opts[0].value)) {
		fprintf(stderr,
			"%s: option %s types a reply into the agent's pane: give it with "
			"--reply TEXT\n",
			progname, choice);
		ret = EXIT_USAGE;
		goto out;
	}
	at = clock_iso(clock_wall());
	by = who();
	ret = store_escalation_answer(st, id, json_string_value(json_object_get(o, "key")),
				      opts[0].value, by, at, &did, &cause);
	free(at);
	free(by);
	if (ret != 0) {
		fprintf(stderr, "%s: escalation %lld: %s\n", progname, (long long)id,
			cause ? cause : "not found");
		ret = EXIT_DATAERR;
		goto out;
	}
	{
		struct project pj;
		long holder = 0;
		int lk;

		project_init(&pj, root, "p");
		lk = project_lock(&pj, &holder, NULL);
		/* the live run sleeps in poll(2): wake it to act now */
		if (lk == 1)
			project_wake(&pj);
		printf("escalation %lld: option %s (%s) recorded; %s\n", (long long)id,
		       json_string_value(json_object_get(o, "key")),
		       json_string_value(json_object_get(o, "label")),
		       lk == 1 ? "the live run acts on it now" : "'automator resume' acts on it");
		project_release(&pj);
	}
	ret = EXIT_OK;
out:
	json_decref(options);
	store_escalation_release(&e);
	esc_list_release(&open);
	store_close(st);
	free(cause);
	free(root);
	free(pos);
	return ret;
}

/* "     operator recommends 1 (0.90): why", under its escalation's line. */
static void print_recommendation(const struct store_escalation *e)
{
	json_t *rec = e->recommendation ? json_loads(e->recommendation, 0, NULL) : NULL;
	const char *opt = NULL, *why = "";
	double conf = -1;

	if (rec && json_unpack(rec, "{s:s,s?s,s?F}", "option", &opt, "rationale", &why,
			       "confidence", &conf) == 0) {
		if (conf >= 0)
			printf("     operator recommends %s (confidence %.2f): %s\n", opt, conf,
			       why);
		else
			printf("     operator recommends %s: %s\n", opt, why);
	}
	json_decref(rec);
}

static json_t *escalation_json(const struct store_escalation *e)
{
	json_t *o =
		json_pack("{s:I,s:s,s:s?,s:s?,s:s,s:s,s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:s,s:s?,"
			  "s:i,s:s?}",
			  "id", (json_int_t)e->id, "run", e->run_id, "story", e->story_id, "step",
			  e->step, "trigger", e->trigger, "category", e->category, "severity",
			  e->severity, "status", e->status, "chosen", e->chosen, "reply", e->reply,
			  "answered_by", e->answered_by, "answered_at", e->answered_at,
			  "created_at", e->created_at, "notified_at", e->notified_at,
			  "reescalations", e->reescalations, "closed_reason", e->closed_reason);
	json_t *opts = json_loads(e->options ? e->options : "[]", 0, NULL);

	json_object_set_new(o, "options", opts ? opts : json_array());
	json_object_set_new(o, "acked_by", e->acked_by ? json_string(e->acked_by) : json_null());
	json_object_set_new(o, "closed_at", e->closed_at ? json_string(e->closed_at) : json_null());
	json_object_set_new(o, "message", json_string(e->message ? e->message : ""));
	{
		json_t *rec = e->recommendation ? json_loads(e->recommendation, 0, NULL) : NULL;

		json_object_set_new(o, "recommendation", rec ? rec : json_null());
	}
	return o;
}

/* Whether decision d answers the escalation *arg. */
static int pending_for(const struct store_decision *d, void *arg)
{
	return d->escalation_id == *(int64_t *)arg ? 1 : 0;
}

static bool final_state(const char *state)
{
	return !strcmp(state, "DONE") || !strcmp(state, "FAILED") || !strcmp(state, "SKIPPED") ||
	       !strcmp(state, "ABORTED");
}

/*
 * Whether escalation id may be closed; 0, or EXIT_DATAERR after saying
 * why not. An answer already recorded is never withdrawn, and an
 * escalation an unfinished run waits on stays until it is answered (or
 * the run aborted): closed, its story would wait for ever.
 */
static int close_refused(struct store *st, int64_t id)
{
	struct store_escalation e = { 0 };
	struct store_run run = { 0 };
	struct store_story story = { 0 };
	char *cause = NULL;
	int64_t want = id;
	int ret = 0;

	if (store_escalation_get(st, id, &e, &cause) != 0) {
		free(cause);
		return 0; /* the close reports the missing one */
	}
	if (!strcmp(e.status, "answered") &&
	    store_decisions_pending(st, e.run_id, pending_for, &want, NULL) > 0) {
		fprintf(stderr,
			"%s: escalation %lld was answered (%s) and the run has not acted on it "
			"yet; it will (a live run within a second, else `automator resume`): an "
			"answer is not withdrawn\n",
			progname, (long long)id, e.chosen ? e.chosen : "?");
		ret = EXIT_DATAERR;
	} else if (strcmp(e.status, "closed") && store_run_get(st, e.run_id, &run, NULL) == 0 &&
		   strcmp(run.state, "COMPLETE") && strcmp(run.state, "ABORTED") &&
		   (!e.story_id || (store_story_get(st, e.run_id, e.story_id, &story, NULL) == 0 &&
				    !final_state(story.state)))) {
		fprintf(stderr,
			"%s: run %s waits on escalation %lld (%s%s%s): answer it (`automator "
			"answer %lld CHOICE`) or abort the run; closed, it would leave the %s "
			"waiting for ever\n",
			progname, e.run_id, (long long)id, e.trigger, e.story_id ? ", story " : "",
			e.story_id ? e.story_id : "", (long long)id, e.story_id ? "story" : "run");
		ret = EXIT_DATAERR;
	}
	store_story_release(&story);
	store_run_release(&run);
	store_escalation_release(&e);
	return ret;
}

int cmd_escalations_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("escalations");
	struct cmd_opt opts[] = { { "open", 0, NULL, 0 },
				  { "json", 0, NULL, 0 },
				  { "reason", 1, NULL, 0 },
				  { "jsonl", 0, NULL, 0 } };
	struct esc_list l = { 0 };
	struct jsonw_list jl;
	bool json;
	struct store *st = NULL;
	char **pos, *root = NULL, *cause = NULL, *run = NULL, *end, *at, *by;
	const char *sub;
	int npos, ret;
	int64_t id = 0;

	ret = cmd_parse(c, argc, argv, opts, ARRAY_SIZE(opts), &pos, &npos);
	if (ret)
		return ret;
	json = opts[1].seen || opts[3].seen;
	sub = npos ? pos[0] : "list";
	if (strcmp(sub, "list") && strcmp(sub, "ack") && strcmp(sub, "close")) {
		ret = cmd_usage_error(c, "unknown subcommand '%s'", sub);
		goto out;
	}
	if (!strcmp(sub, "list") ? npos > 1 : npos != 2) {
		ret = cmd_usage_error(c, "%s takes %s", sub,
				      strcmp(sub, "list") ? "one ID" : "no arguments");
		goto out;
	}
	if (strcmp(sub, "list")) {
		id = strtoll(pos[1], &end, 10);
		if (*end || id <= 0) {
			ret = cmd_usage_error(c, "ID is a number, not '%s'", pos[1]);
			goto out;
		}
	}
	if (!strcmp(sub, "close") && (!opts[2].value || !*opts[2].value)) {
		ret = cmd_usage_error(c, "close needs --reason TEXT");
		goto out;
	}
	if ((ret = open_store(&st, &root)) != 0)
		goto out;
	if (!strcmp(sub, "list")) {
		if (store_run_latest(st, &run, &cause) < 0 ||
		    store_escalations_foreach(st, run, opts[0].seen, collect, &l, &cause) < 0) {
			fprintf(stderr, "%s: %s\n", progname, cause);
			ret = EXIT_SOFTWARE;
			goto out;
		}
		if (json)
			jsonw_list_begin(&jl, stdout, opts[3].seen);
		for (size_t i = 0; i < l.n; i++) {
			const struct store_escalation *e = &l.v[i];

			if (json) {
				json_t *o = escalation_json(e);
				char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

				jsonw_list_item(&jl, s);
				free(s);
				json_decref(o);
			} else {
				printf("%-4lld %-9s %-10s %-8s %-6s %-28s %s\n", (long long)e->id,
				       e->status, e->category, e->severity,
				       e->story_id ? e->story_id : "-", e->trigger,
				       e->chosen ? e->chosen : "");
				print_recommendation(e);
			}
		}
		if (json)
			jsonw_list_end(&jl);
		if (!l.n && !json)
			printf("no %sescalations\n", opts[0].seen ? "open " : "");
		ret = EXIT_OK;
		goto out;
	}
	if (!strcmp(sub, "close") && (ret = close_refused(st, id)) != 0)
		goto out;
	at = clock_iso(clock_wall());
	by = who();
	if (!strcmp(sub, "ack"))
		ret = store_escalation_ack(st, id, by, at, &cause);
	else
		ret = store_escalation_close(st, id, opts[2].value, at, &cause);
	free(at);
	free(by);
	if (ret == 1) {
		fprintf(stderr, "%s: no escalation %lld\n", progname, (long long)id);
		ret = EXIT_NEGATIVE; /* not found */
	} else if (ret < 0) {
		fprintf(stderr, "%s: %s\n", progname, cause);
		ret = EXIT_DATAERR;
	} else {
		printf("escalation %lld %s\n", (long long)id,
		       !strcmp(sub, "ack") ? "acknowledged" : "closed");
	}
out:
	esc_list_release(&l);
	store_close(st);
	free(run);
	free(cause);
	free(root);
	free(pos);
	return ret;
}
