/* SPDX-License-Identifier: MIT */
/*
 * fsm.c: the table-driven engine shared by the run and story machines:
 * lookup (first matching row whose guard holds), the fire step (journal,
 * set the state, run the action) and the table checks done at startup and
 * in tests. It must not know any machine's names or meaning, do I/O or
 * allocate: problems go to the caller's report callback as messages built
 * with snprintf into fixed local buffers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fsm.h"

/* The largest machine fsm_validate can check (a fixed bitmap, no malloc). */
#define FSM_MAX_STATES 256

static bool fsm_in(int v, int n)
{
	return v >= 0 && v < n;
}

const struct fsm_def *fsm_find(const char *name)
{
	if (!name)
		return NULL;
	if (!strcmp(name, fsm_run.name))
		return &fsm_run;
	if (!strcmp(name, fsm_story.name))
		return &fsm_story;
	return NULL;
}

bool fsm_is_terminal(const struct fsm_def *def, int state)
{
	return fsm_in(state, def->nstates) && def->terminal[state];
}

/* Whether a row's state column matches a concrete state. */
static bool fsm_state_matches(const struct fsm_def *def, int row_state, int state)
{
	if (row_state == FSM_ANY)
		return !fsm_is_terminal(def, state);
	return row_state == state;
}

/* A guard without an implementation never holds. */
static bool fsm_guard_holds(const struct fsm_def *def, const struct fsm_impl *impl, void *ctx,
			    int guard)
{
	if (guard == FSM_NO_GUARD)
		return true;
	if (!fsm_in(guard, def->nguards) || !impl || !impl->guards || !impl->guards[guard])
		return false;
	return impl->guards[guard](ctx);
}

const struct fsm_row *fsm_lookup(const struct fsm_def *def, const struct fsm_impl *impl, void *ctx,
				 int state, int event)
{
	if (!fsm_in(state, def->nstates) || !fsm_in(event, def->nevents))
		return NULL;
	for (size_t i = 0; i < def->nrows; i++) {
		const struct fsm_row *r = &def->rows[i];

		if (r->event != event || !fsm_state_matches(def, r->state, state))
			continue;
		if (fsm_guard_holds(def, impl, ctx, r->guard))
			return r;
	}
	return NULL;
}

/*
 * With impl NULL the actions are not run (a dry run over the table); with
 * impl given, an action that has no implementation counts as failed.
 */
int fsm_fire(const struct fsm_def *def, const struct fsm_impl *impl, void *ctx, int *state,
	     int event, fsm_journal_fn journal, const struct fsm_row **row_out)
{
	const struct fsm_row *r = fsm_lookup(def, impl, ctx, *state, event);
	fsm_action_fn fn;

	if (row_out)
		*row_out = r;
	if (!r)
		return -1;
	if (journal && journal(ctx, def, r, *state, event) != 0)
		return -2;
	*state = r->next;
	if (r->action == FSM_NO_ACTION || !impl)
		return 0;
	fn = NULL;
	if (impl->actions && fsm_in(r->action, def->nactions))
		fn = impl->actions[r->action];
	if (!fn || fn(ctx) != 0)
		return -2;
	return 0;
}

/* ---- validation ---- */

struct fsm_check {
	const struct fsm_def *def;
	fsm_report_fn report;
	void *arg;
	int problems;
};

static void fsm_problem(struct fsm_check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fsm_problem(struct fsm_check *c, const char *fmt, ...)
{
	char msg[512];
	int n;
	va_list ap;

	n = snprintf(msg, sizeof(msg), "%s: ", c->def->name ? c->def->name : "?");
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sizeof(msg))
		vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	c->problems++;
	if (c->report)
		c->report(c->arg, msg);
}

/* A name for a column value: the name when in range, the number otherwise. */
static const char *fsm_name(const char *const *names, int n, int v, char *tmp, size_t len)
{
	if (fsm_in(v, n) && names && names[v])
		return names[v];
	snprintf(tmp, len, "%d", v);
	return tmp;
}

/* "row N (STATE, EVENT)", 1-based as printed by `automator fsm --table`. */
static const char *fsm_row_label(const struct fsm_def *def, size_t i, char *buf, size_t len)
{
	const struct fsm_row *r = &def->rows[i];
	char t1[16], t2[16];
	const char *s = "*", *e;

	if (r->state != FSM_ANY)
		s = fsm_name(def->state_names, def->nstates, r->state, t1, sizeof(t1));
	e = fsm_name(def->event_names, def->nevents, r->event, t2, sizeof(t2));

	snprintf(buf, len, "row %zu (%s, %s)", i + 1, s, e);
	return buf;
}

static bool fsm_row_in_range(const struct fsm_def *def, const struct fsm_row *r)
{
	return (r->state == FSM_ANY || fsm_in(r->state, def->nstates)) &&
	       fsm_in(r->event, def->nevents) && fsm_in(r->guard, def->nguards) &&
	       fsm_in(r->action, def->nactions) && fsm_in(r->next, def->nstates);
}

/* Returns false when some entry is missing. */
static bool fsm_check_names(struct fsm_check *c, const char *what, const char *const *names, int n)
{
	bool ok = true;

	for (int i = 0; i < n; i++) {
		if (!names[i]) {
			fsm_problem(c, "%s %d is missing", what, i);
			ok = false;
		}
	}
	return ok;
}

/* Returns false when the table cannot be checked further. */
static bool fsm_check_shape(struct fsm_check *c)
{
	const struct fsm_def *d = c->def;
	const struct {
		const char *what;
		const char *const *v;
		int n;
	} lists[] = {
		{ "state name", d->state_names, d->nstates },
		{ "state doc", d->state_docs, d->nstates },
		{ "event name", d->event_names, d->nevents },
		{ "event doc", d->event_docs, d->nevents },
		{ "guard name", d->guard_names, d->nguards },
		{ "guard doc", d->guard_docs, d->nguards },
		{ "action name", d->action_names, d->nactions },
		{ "action doc", d->action_docs, d->nactions },
	};
	bool ok = true;

	if (d->nstates < 1 || d->nstates > FSM_MAX_STATES) {
		fsm_problem(c, "%d states is not in 1..%d", d->nstates, FSM_MAX_STATES);
		ok = false;
	}
	if (d->nevents < 1 || d->nguards < 1 || d->nactions < 1) {
		fsm_problem(c, "needs at least one event, guard and action (index 0: none)");
		ok = false;
	}
	if (!d->terminal || (d->nrows && !d->rows)) {
		fsm_problem(c, "terminal flags or rows missing");
		ok = false;
	}
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if (!lists[i].v) {
			fsm_problem(c, "%s list missing", lists[i].what);
			ok = false;
		} else if (ok && !fsm_check_names(c, lists[i].what, lists[i].v, lists[i].n)) {
			ok = false;
		}
	}
	if (ok && !fsm_in(d->initial, d->nstates)) {
		fsm_problem(c, "initial state %d is out of range", d->initial);
		ok = false;
	}
	return ok;
}

static void fsm_check_ranges(struct fsm_check *c)
{
	const struct fsm_def *d = c->def;
	char label[160];

	for (size_t i = 0; i < d->nrows; i++) {
		const struct fsm_row *r = &d->rows[i];

		if (fsm_row_in_range(d, r))
			continue;
		fsm_row_label(d, i, label, sizeof(label));
		if (r->state != FSM_ANY && !fsm_in(r->state, d->nstates))
			fsm_problem(c, "%s has state %d out of range", label, r->state);
		if (!fsm_in(r->event, d->nevents))
			fsm_problem(c, "%s has event %d out of range", label, r->event);
		if (!fsm_in(r->guard, d->nguards))
			fsm_problem(c, "%s has guard %d out of range", label, r->guard);
		if (!fsm_in(r->action, d->nactions))
			fsm_problem(c, "%s has action %d out of range", label, r->action);
		if (!fsm_in(r->next, d->nstates))
			fsm_problem(c, "%s has next state %d out of range", label, r->next);
	}
}

static void fsm_check_reachable(struct fsm_check *c)
{
	const struct fsm_def *d = c->def;
	bool reached[FSM_MAX_STATES] = { false };
	bool grew = true;

	reached[d->initial] = true;
	while (grew) {
		grew = false;
		for (size_t i = 0; i < d->nrows; i++) {
			const struct fsm_row *r = &d->rows[i];
			bool from = false;

			if (!fsm_row_in_range(d, r) || reached[r->next])
				continue;
			if (r->state != FSM_ANY) {
				from = reached[r->state];
			} else {
				for (int s = 0; s < d->nstates && !from; s++)
					from = reached[s] && !d->terminal[s];
			}
			if (from)
				reached[r->next] = grew = true;
		}
	}
	for (int s = 0; s < d->nstates; s++)
		if (!reached[s])
			fsm_problem(c, "state %s is unreachable from %s", d->state_names[s],
				    d->state_names[d->initial]);
}

/*
 * Row j is shadowed by an earlier row i for the same event whose state is
 * the same or FSM_ANY (which never covers a terminal state) and which is
 * unguarded or has the very same guard: whenever j could match, i does.
 */
static void fsm_check_rows(struct fsm_check *c)
{
	const struct fsm_def *d = c->def;
	char label[160];

	for (size_t j = 0; j < d->nrows; j++) {
		const struct fsm_row *rj = &d->rows[j];

		if (!fsm_row_in_range(d, rj))
			continue;
		fsm_row_label(d, j, label, sizeof(label));
		if (rj->state != FSM_ANY && d->terminal[rj->state])
			fsm_problem(c, "%s leaves terminal state %s", label,
				    d->state_names[rj->state]);
		for (size_t i = 0; i < j; i++) {
			const struct fsm_row *ri = &d->rows[i];
			bool same_state = ri->state == rj->state ||
					  (ri->state == FSM_ANY && !fsm_is_terminal(d, rj->state));

			if (!fsm_row_in_range(d, ri) || ri->event != rj->event || !same_state)
				continue;
			if (ri->guard != FSM_NO_GUARD && ri->guard != rj->guard)
				continue;
			if (ri->state == rj->state && ri->guard == rj->guard &&
			    ri->action == rj->action && ri->next == rj->next)
				fsm_problem(c, "%s duplicates row %zu", label, i + 1);
			else
				fsm_problem(c, "%s is shadowed by row %zu", label, i + 1);
			break;
		}
	}
}

/* Guards and actions: each used by some row and, with impl, implemented. */
static void fsm_check_columns(struct fsm_check *c, const struct fsm_impl *impl)
{
	const struct fsm_def *d = c->def;
	char label[160];

	for (int g = 1; g < d->nguards; g++) {
		size_t i = 0;

		while (i < d->nrows && !(fsm_row_in_range(d, &d->rows[i]) && d->rows[i].guard == g))
			i++;
		if (i == d->nrows) {
			fsm_problem(c, "guard %s is used by no row", d->guard_names[g]);
		} else if (impl && (!impl->guards || !impl->guards[g])) {
			fsm_problem(c, "%s uses guard %s, which is not implemented",
				    fsm_row_label(d, i, label, sizeof(label)), d->guard_names[g]);
		}
	}
	for (int a = 1; a < d->nactions; a++) {
		size_t i = 0;

		while (i < d->nrows &&
		       !(fsm_row_in_range(d, &d->rows[i]) && d->rows[i].action == a))
			i++;
		if (i == d->nrows) {
			fsm_problem(c, "action %s is used by no row", d->action_names[a]);
		} else if (impl && (!impl->actions || !impl->actions[a])) {
			fsm_problem(c, "%s uses action %s, which is not implemented",
				    fsm_row_label(d, i, label, sizeof(label)), d->action_names[a]);
		}
	}
}

int fsm_validate(const struct fsm_def *def, const struct fsm_impl *impl, fsm_report_fn report,
		 void *arg)
{
	struct fsm_check c = { def, report, arg, 0 };

	if (!fsm_check_shape(&c))
		return c.problems;
	fsm_check_ranges(&c);
	fsm_check_reachable(&c);
	fsm_check_rows(&c);
	fsm_check_columns(&c, impl);
	return c.problems;
}
