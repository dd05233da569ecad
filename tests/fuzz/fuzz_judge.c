/* SPDX-License-Identifier: MIT */
/*
 * fuzz_judge.c: the session judge (judge.h) on any output, in every output
 * format: text (the fake preset), claude-stream-json, codex-json (the
 * shipped presets, with the simple workflow's dev step) and a bare text
 * judge. An input starting with a NUL byte (a control the judge drops) is
 * repeated past JUDGE_LINE_MAX, so overlong lines are judged in pieces.
 * Oracles: no crash, leak or UB; feeding the bytes in random chunks (cut
 * anywhere) gives the same live state and, for several exits, the same
 * verdict, reason and everything read after judge_finish as feeding them
 * whole; judge_finish decides the same again for the same exit; bytes fed
 * after it are ignored.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "harness.h"
#include "judge.h"

#define NOW 1767225600LL /* 2026-01-01T00:00:00Z */

static struct judge_cfg cfgs[4];

static void live(struct buf *b, const struct judge *j)
{
	buf_addf(b, "last=[%s] prompt=%d rl=%d un=%d retrying=%d progress=%u bytes=%zu\n",
		 judge_last_line(j), judge_prompt_waiting(j), judge_seen_rate_limit(j),
		 judge_seen_unavailable(j), judge_retrying(j), judge_progress_count(j),
		 judge_bytes(j));
}

static void finish(struct buf *b, struct judge *j, int status, int sig)
{
	char *reason = NULL;
	enum judge_verdict v = judge_finish(j, status, sig, &reason);
	const struct judge_usage *u = judge_usage(j);
	const struct strvec *den = judge_denials(j);
	const char *rj = judge_result_json(j), *rs = judge_result_status(j);
	const char *ri = judge_result_invalid(j);

	FUZZ_CHECK((unsigned)v <= JV_DENIED, "verdict %d", (int)v);
	FUZZ_CHECK(reason && *reason, "verdict %s without a reason", judge_verdict_name(v));
	buf_addf(b, "exit %d/%d: %s (%s) wait=%s reset=%lld\n", status, sig, judge_verdict_name(v),
		 reason, wait_reason_name(judge_wait_reason(j)), judge_reset_at(j, NOW));
	buf_addf(b, "result=%s status=%s invalid=%s\n", rj ? rj : "-", rs ? rs : "-",
		 ri ? ri : "-");
	buf_addf(b, "usage %d %d %a %lld %lld %lld %lld %d %lld\n", u->seen, u->has_cost,
		 u->cost_usd, u->input_tokens, u->output_tokens, u->cache_read_tokens,
		 u->cache_write_tokens, u->turns, u->duration_ms);
	for (size_t i = 0; i < den->n; i++)
		buf_addf(b, "denied %s\n", den->v[i]);
	buf_addf(b, "said=[%s] error=[%s] last=[%s]\n", judge_said(j), judge_error_text(j),
		 judge_last_line(j));
	free(reason);
}

/* xorshift64: chunk sizes from the input, so a finding replays */
static uint64_t next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void judge_one(const struct judge_cfg *cfg, const char *s, size_t n, uint64_t seed)
{
	static const int exits[][2] = { { 0, 0 }, { 1, 0 }, { -1, 9 }, { 127, 0 } };
	struct judge *whole = judge_new(cfg), *cut = judge_new(cfg);
	struct buf a = BUF_INIT, b = BUF_INIT, again = BUF_INIT;
	uint64_t x = seed | 1;

	judge_feed(whole, s, n);
	for (size_t off = 0; off < n;) {
		uint64_t r = next(&x);
		size_t len = r % 8 == 0 ? r % 4096 : 1 + r % 17;

		if (len > n - off)
			len = n - off;
		judge_feed(cut, s + off, len);
		off += len;
	}
	live(&a, whole);
	live(&b, cut);
	fuzz_same(a.s, b.s, "live state, fed whole and in chunks");
	for (size_t i = 0; i < ARRAY_SIZE(exits); i++) {
		buf_reset(&a);
		buf_reset(&b);
		finish(&a, whole, exits[i][0], exits[i][1]);
		finish(&b, cut, exits[i][0], exits[i][1]);
		fuzz_same(a.s, b.s, "judge_finish, fed whole and in chunks");
	}
	judge_feed(whole, s, n);
	finish(&again, whole, exits[ARRAY_SIZE(exits) - 1][0], exits[ARRAY_SIZE(exits) - 1][1]);
	fuzz_same(a.s, again.s, "judge_finish again, and after more bytes");
	judge_free(whole);
	judge_free(cut);
	buf_release(&a);
	buf_release(&b);
	buf_release(&again);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct agent_set *agents;
	static struct workflow *wf;
	static const char *const names[] = { "fake", "claude", "codex" };
	struct diags d = DIAGS_INIT;
	const struct step *dev = NULL;

	(void)argc;
	(void)argv;
	fuzz_setup();
	if (agents_load(FUZZ_SOURCE_DIR "/data/agents.yaml", &agents, &d) < 0 ||
	    workflow_load(FUZZ_SOURCE_DIR "/workflows/simple.yaml", agents, &wf, &d) < 0)
		xdie("fuzz: the shipped agents or workflows/simple.yaml do not load");
	for (size_t i = 0; i < wf->nsteps; i++)
		if (!strcmp(wf->steps[i].name, "dev"))
			dev = &wf->steps[i];
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const struct agent *a = agents_find(agents, names[i]);

		if (!a || !dev)
			xdie("fuzz: no agent '%s' or step 'dev'", names[i]);
		judge_cfg_init(&cfgs[i], dev, a);
	}
	judge_cfg_init(&cfgs[3], NULL, NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t seed = fuzz_hash(data, size);
	const char *s = (const char *)data;
	struct buf big = BUF_INIT;
	size_t n = size;

	if (size && data[0] == '\0') {
		while (big.len <= JUDGE_LINE_MAX + 4096)
			buf_add(&big, data, size);
		s = big.s;
		n = big.len;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cfgs); i++)
		judge_one(&cfgs[i], s, n, seed + i);
	buf_release(&big);
	return 0;
}
