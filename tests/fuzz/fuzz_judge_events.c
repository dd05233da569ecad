/* SPDX-License-Identifier: MIT */
/*
 * fuzz_judge_events.c: the agents' JSON events (judge_events.c through
 * judge__event, judge_int.h), each line of the input one event, for a
 * Claude (claude-stream-json) and a Codex (codex-json) judge with the
 * shipped presets. Oracles: no crash, leak or UB; judge__event takes a line
 * exactly when it is a JSON object (after leading blanks); what only events
 * record (usage, denied tools, the agent's last words and error) is the
 * same when the lines are fed through judge_feed; the same events give the
 * same verdict twice; kept texts stay within SAID_MAX.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "harness.h"
#include "judge_int.h"

#define NOW 1767225600LL /* 2026-01-01T00:00:00Z */

static struct judge_cfg cfgs[2];

static bool is_object(const char *s, size_t n)
{
	json_error_t err;
	json_t *v;
	bool obj;

	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	if (!n || *s != '{')
		return false;
	v = json_loadb(s, n, 0, &err);
	obj = json_is_object(v);
	json_decref(v);
	return obj;
}

/* What only events record. */
static void recorded(struct buf *b, const struct judge *j)
{
	const struct judge_usage *u = judge_usage(j);
	const struct strvec *den = judge_denials(j);

	buf_addf(b, "usage %d %d %a %lld %lld %lld %lld %d %lld\n", u->seen, u->has_cost,
		 u->cost_usd, u->input_tokens, u->output_tokens, u->cache_read_tokens,
		 u->cache_write_tokens, u->turns, u->duration_ms);
	for (size_t i = 0; i < den->n; i++)
		buf_addf(b, "denied %s\n", den->v[i]);
	buf_addf(b, "said=[%s] error=[%s]\n", judge_said(j), judge_error_text(j));
	FUZZ_CHECK(strlen(judge_said(j)) <= SAID_MAX + 3 &&
			   strlen(judge_error_text(j)) <= SAID_MAX + 3,
		   "kept text longer than SAID_MAX");
}

/* Feeds every line as an event; appends the full outcome to out. */
static void events(const struct judge_cfg *cfg, const char *s, size_t n, struct buf *out)
{
	struct judge *j = judge_new(cfg);
	char *reason = NULL;
	enum judge_verdict v;

	for (size_t off = 0; off < n;) {
		const char *nl = memchr(s + off, '\n', n - off);
		size_t len = nl ? (size_t)(nl - (s + off)) : n - off;
		bool took = judge__event(j, s + off, len);

		FUZZ_CHECK(took == is_object(s + off, len), "judge__event %s a line: %.*s",
			   took ? "took" : "refused", (int)(len > 200 ? 200 : len), s + off);
		off += len + 1;
	}
	recorded(out, j);
	v = judge_finish(j, 1, 0, &reason);
	FUZZ_CHECK(reason && *reason, "verdict %s without a reason", judge_verdict_name(v));
	buf_addf(out, "%s (%s) wait=%s reset=%lld progress=%u retrying=%d\n", judge_verdict_name(v),
		 reason, wait_reason_name(judge_wait_reason(j)), judge_reset_at(j, NOW),
		 judge_progress_count(j), judge_retrying(j));
	free(reason);
	judge_free(j);
}

/* Lines judge_feed passes on unchanged: no controls, no escapes, not overlong. */
static bool feeds_unchanged(const char *s, size_t n)
{
	size_t line = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n') {
			line = 0;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f || ++line >= JUDGE_LINE_MAX)
			return false;
	}
	return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct agent_set *agents;
	static const char *const names[] = { "claude", "codex" };
	struct diags d = DIAGS_INIT;

	(void)argc;
	(void)argv;
	fuzz_setup();
	if (agents_load(FUZZ_SOURCE_DIR "/data/agents.yaml", &agents, &d) < 0)
		xdie("fuzz: the shipped agents do not load");
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const struct agent *a = agents_find(agents, names[i]);

		if (!a)
			xdie("fuzz: no agent '%s'", names[i]);
		judge_cfg_init(&cfgs[i], NULL, a);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;

	for (size_t i = 0; i < ARRAY_SIZE(cfgs); i++) {
		struct buf a = BUF_INIT, b = BUF_INIT;

		events(&cfgs[i], s, size, &a);
		events(&cfgs[i], s, size, &b);
		fuzz_same(a.s, b.s, "the same events judged twice");
		if (feeds_unchanged(s, size)) {
			struct judge *j = judge_new(&cfgs[i]), *k = judge_new(&cfgs[i]);

			buf_reset(&a);
			buf_reset(&b);
			judge_feed(j, s, size);
			judge__flush(j);
			for (size_t off = 0; off < size;) {
				const char *nl = memchr(s + off, '\n', size - off);
				size_t len = nl ? (size_t)(nl - (s + off)) : size - off;

				judge__event(k, s + off, len);
				off += len + 1;
			}
			recorded(&a, j);
			recorded(&b, k);
			fuzz_same(a.s, b.s, "events read through judge_feed and directly");
			judge_free(j);
			judge_free(k);
		}
		buf_release(&a);
		buf_release(&b);
	}
	return 0;
}
