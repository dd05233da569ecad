/* SPDX-License-Identifier: MIT */
/*
 * fuzz_agents.c: agents_load (data/agents.yaml, config.h) on any bytes.
 * Oracles: no crash, leak or UB; every error about the file is positioned
 * within it as "file:line:col: msg"; -1 comes with errors and leaves the
 * out-parameter untouched, 0 with none; a second load of the same bytes
 * gives the same result; every loaded agent is found by its name and its
 * fallback names another agent.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "harness.h"

static void summary(struct buf *b, const struct agent_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct agent *a = &s->v[i];

		buf_addf(b, "%s %d:%d out=%s fb=%s argv=%zu env=%zu pats=%zu/%zu/%zu\n", a->name,
			 a->line, a->col, a->output ? a->output : "-",
			 a->fallback ? a->fallback : "-", a->command.n, a->env.n, a->success.n,
			 a->failure.n, a->unavailable.n);
		for (size_t k = 0; k < a->command.n; k++)
			buf_addf(b, "  [%s]\n", a->command.v[k]);
	}
}

/* Loads path (holding data) once, checks it and appends what it gave to out. */
static struct agent_set *load(const char *path, const uint8_t *data, size_t size, struct buf *out)
{
	struct diags d = DIAGS_INIT;
	struct agent_set *s = (struct agent_set *)&d; /* a sentinel: must stay untouched */
	int ret = agents_load(path, &s, &d);

	if (fuzz_check_load(ret, s == (struct agent_set *)&d, &d, "agents_load", path, data, size,
			    out)) {
		summary(out, s);
	} else {
		s = NULL;
	}
	diags_release(&d);
	return s;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = fuzz_write("agents.yaml", data, size);
	struct buf first = BUF_INIT, second = BUF_INIT;
	struct agent_set *s = load(path, data, size, &first);
	struct agent_set *s2 = load(path, data, size, &second);

	fuzz_same(first.s, second.s, "two loads of the same agents file");
	for (size_t i = 0; s && i < s->n; i++) {
		const struct agent *a = &s->v[i];

		FUZZ_CHECK(agents_find(s, a->name) == a, "agent '%s' is not found by its name",
			   a->name);
		FUZZ_CHECK(!a->fallback || agents_find(s, a->fallback),
			   "agent '%s' falls back to an unknown agent '%s'", a->name, a->fallback);
		fuzz_check_position((const char *)data, size, a->line, a->col, a->name);
	}
	agents_free(s);
	agents_free(s2);
	buf_release(&first);
	buf_release(&second);
	free(path);
	return 0;
}
