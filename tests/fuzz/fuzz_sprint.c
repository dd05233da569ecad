/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sprint.c: sprint_load (sprint.yaml or a BMAD sprint-status read as a
 * sprint, config.h) on any bytes, written as TMP/sprint/sprint.yaml; the
 * shipped agents, triggers and workflows come from the source tree.
 * Oracles: no crash, leak or UB; errors and warnings about the file
 * positioned within it as "file:line:col: msg"; -1 with errors and *out
 * untouched; a second load gives the same result; a loaded sprint has a
 * workflow, known agents, every story found by its id, and dependencies
 * that resolve to other stories without a cycle.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "harness.h"

static void summary(struct buf *b, const struct sprint *s)
{
	buf_addf(b, "sprint %s bmad=%d root=%s wf=%s agent=%s par=%d status=%s\n", s->project,
		 s->bmad, s->root, s->workflow_name, s->agent, s->max_parallel,
		 s->status_file ? s->status_file : "-");
	buf_addf(b, "limits %d %d %ld %ld %ld %ld %g %g\n", s->limits.review_cycles,
		 s->limits.crash_retries, s->limits.idle_timeout, s->limits.step_timeout,
		 s->limits.retry_patience, s->limits.max_wait, s->limits.max_cost_usd,
		 s->limits.max_cost_usd_run);
	buf_addf(b, "agents %zu triggers %zu steps %zu\n", s->agents->n,
		 s->triggers ? s->triggers->n : 0, s->workflow ? s->workflow->nsteps : 0);
	for (size_t i = 0; i < s->nstories; i++) {
		const struct story *st = &s->stories[i];

		buf_addf(b, "story %s key=%s prefix=%s epic=%s title=%s agent=%s status=%s %d:%d",
			 st->id, st->key, st->prefix, st->epic, st->title,
			 st->agent ? st->agent : "-", st->status ? st->status : "-", st->line,
			 st->col);
		for (size_t k = 0; k < st->depends.n; k++)
			buf_addf(b, " <%s", st->depends.v[k]);
		buf_addc(b, '\n');
	}
	for (size_t i = 0; i < s->nskipped; i++)
		buf_addf(b, "skip %s %s %s %d\n", s->skipped[i].key, s->skipped[i].status,
			 s->skipped[i].reason, s->skipped[i].line);
	for (size_t i = 0; i < s->warnings.n; i++)
		buf_addf(b, "%s\n", s->warnings.v[i]);
}

/* Dependencies resolve to other stories and form no cycle (Kahn's algorithm). */
static void check_deps(const struct sprint *s)
{
	size_t n = s->nstories, done = 0, *indeg = xcalloc(n + 1, sizeof(*indeg));
	size_t *queue = xcalloc(n + 1, sizeof(*queue)), head = 0, tail = 0;

	for (size_t i = 0; i < n; i++) {
		const struct story *st = &s->stories[i];

		for (size_t k = 0; k < st->depends.n; k++) {
			FUZZ_CHECK(st->dep_index && st->dep_index[k] < n && st->dep_index[k] != i,
				   "story '%s': depends_on '%s' does not resolve to another story",
				   st->id, st->depends.v[k]);
			indeg[i]++;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!indeg[i])
			queue[tail++] = i;
	while (head < tail) {
		size_t u = queue[head++];

		done++;
		/* u is done: the stories that depend on it lose one edge per mention */
		for (size_t v = 0; v < n; v++)
			for (size_t k = 0; k < s->stories[v].depends.n; k++)
				if (s->stories[v].dep_index[k] == u && --indeg[v] == 0)
					queue[tail++] = v;
	}
	FUZZ_CHECK(done == n, "a dependency cycle among %zu stories was not reported", n - done);
	free(indeg);
	free(queue);
}

static struct sprint *load(const char *path, const uint8_t *data, size_t size, struct buf *out)
{
	struct diags d = DIAGS_INIT;
	struct sprint *s = (struct sprint *)&d; /* a sentinel: must stay untouched */
	int ret = sprint_load(path, &s, &d);

	FUZZ_CHECK(ret == 0 || ret == -1, "sprint_load returned %d", ret);
	fuzz_check_diags(&d, path, (const char *)data, size);
	fuzz_diags_text(out, &d);
	if (ret < 0) {
		FUZZ_CHECK(d.n > 0, "sprint_load failed without an error");
		FUZZ_CHECK(s == (struct sprint *)&d, "sprint_load set *out on failure");
		s = NULL;
	} else {
		summary(out, s);
		for (size_t i = 0; i < s->warnings.n; i++)
			fuzz_check_line(s->warnings.v[i], path, (const char *)data, size);
	}
	diags_release(&d);
	return s;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *dir;

	(void)argc;
	(void)argv;
	fuzz_setup();
	dir = path_join(fuzz_tmpdir(), "sprint");
	if (mkdir(dir, 0700) < 0)
		xdie("fuzz: cannot create %s", dir);
	free(dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = fuzz_write("sprint/sprint.yaml", data, size);
	struct buf first = BUF_INIT, second = BUF_INIT;
	struct sprint *s = load(path, data, size, &first);
	struct sprint *s2 = load(path, data, size, &second);

	fuzz_same(first.s, second.s, "two loads of the same sprint");
	if (s) {
		FUZZ_CHECK(s->workflow && s->agents && s->root, "a loaded sprint lacks a part");
		FUZZ_CHECK(agents_find(s->agents, s->agent), "unknown sprint agent '%s'", s->agent);
		for (size_t i = 0; i < s->nstories; i++) {
			const struct story *st = &s->stories[i];

			FUZZ_CHECK(sprint_find_story(s, st->id) >= 0, "story '%s' not found by id",
				   st->id);
			FUZZ_CHECK(!st->agent || agents_find(s->agents, st->agent),
				   "story '%s' has an unknown agent '%s'", st->id, st->agent);
			fuzz_check_position((const char *)data, size, st->line, st->col, st->id);
		}
		check_deps(s);
	}
	sprint_free(s);
	sprint_free(s2);
	buf_release(&first);
	buf_release(&second);
	free(path);
	return 0;
}
