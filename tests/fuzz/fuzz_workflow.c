/* SPDX-License-Identifier: MIT */
/*
 * fuzz_workflow.c: workflow_load (workflows/<name>.yaml, config.h) on any
 * bytes, written as TMP/workflows/fuzz.yaml next to a link to the shipped
 * data/ so that ../data/prompts/... resolves as for the shipped workflows.
 * Oracles: no crash, leak or UB; errors about the file positioned within it
 * as "file:line:col: msg"; -1 with errors and *out untouched, 0 without; a
 * second load gives the same result; a workflow that loads against the
 * shipped agents also loads without agents (agents only add checks).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "config.h"
#include "harness.h"

static struct agent_set *agents;

static void summary(struct buf *b, const struct workflow *w)
{
	buf_addf(b, "workflow %s (%s) %zu steps\n", w->name, w->description ? w->description : "-",
		 w->nsteps);
	for (size_t i = 0; i < w->nsteps; i++) {
		const struct step *s = &w->steps[i];

		buf_addf(b, "%s %s %d:%d agent=%s prompt=%zu msg=%s pats=%zu/%zu/%zu result=%zu",
			 s->name, step_kind_name(s->kind), s->line, s->col,
			 s->agent ? s->agent : "-", s->prompt ? strlen(s->prompt) : 0,
			 s->message ? s->message : "-", s->success.n, s->failure.n,
			 s->prompt_wait.n, s->result.n);
		buf_addf(b, " verifier=%d glob=%s expect=%d argv=%zu t=%ld/%ld r=%d %d%d\n",
			 (int)s->verifier.kind, s->verifier.glob ? s->verifier.glob : "-",
			 s->verifier.expect, s->verifier.argv.n, s->timeout, s->idle_timeout,
			 s->retries, s->optional, s->skip_if_artifact);
	}
}

static struct workflow *load(const char *path, const struct agent_set *a, const uint8_t *data,
			     size_t size, struct buf *out)
{
	struct diags d = DIAGS_INIT;
	struct workflow *w = (struct workflow *)&d; /* a sentinel: must stay untouched */
	int ret = workflow_load(path, a, &w, &d);

	FUZZ_CHECK(ret == 0 || ret == -1, "workflow_load returned %d", ret);
	fuzz_check_diags(&d, path, (const char *)data, size);
	fuzz_diags_text(out, &d);
	if (ret < 0) {
		FUZZ_CHECK(d.n > 0, "workflow_load failed without an error");
		FUZZ_CHECK(w == (struct workflow *)&d, "workflow_load set *out on failure");
		w = NULL;
	} else {
		FUZZ_CHECK(d.n == 0, "workflow_load succeeded with %zu errors", d.n);
		summary(out, w);
	}
	diags_release(&d);
	return w;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct diags d = DIAGS_INIT;
	char *dir, *link;

	(void)argc;
	(void)argv;
	fuzz_setup();
	if (agents_load(FUZZ_SOURCE_DIR "/data/agents.yaml", &agents, &d) < 0)
		xdie("fuzz: the shipped agents do not load");
	dir = path_join(fuzz_tmpdir(), "workflows");
	link = path_join(fuzz_tmpdir(), "data");
	if (mkdir(dir, 0700) < 0 || symlink(FUZZ_SOURCE_DIR "/data", link) < 0)
		xdie("fuzz: cannot set up %s", fuzz_tmpdir());
	free(dir);
	free(link);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = fuzz_write("workflows/fuzz.yaml", data, size);
	struct buf first = BUF_INIT, second = BUF_INIT, bare = BUF_INIT;
	struct workflow *w = load(path, agents, data, size, &first);
	struct workflow *w2 = load(path, agents, data, size, &second);
	struct workflow *w3 = load(path, NULL, data, size, &bare);

	fuzz_same(first.s, second.s, "two loads of the same workflow");
	FUZZ_CHECK(!w || w3, "the workflow loads with the shipped agents, not without:\n%s",
		   bare.s);
	for (size_t i = 0; w && i < w->nsteps; i++)
		fuzz_check_position((const char *)data, size, w->steps[i].line, w->steps[i].col,
				    w->steps[i].name);
	workflow_free(w);
	workflow_free(w2);
	workflow_free(w3);
	buf_release(&first);
	buf_release(&second);
	buf_release(&bare);
	free(path);
	return 0;
}
