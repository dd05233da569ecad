/* SPDX-License-Identifier: MIT */
/*
 * test_judge.c: the session judge fed from memory and from the transcripts
 * in tests/fixtures/judge/. Every rule of judge.h and its precedence, line
 * assembly (chunks cut anywhere, escapes, \r, invalid UTF-8, overlong lines),
 * the JSON event formats, and the live queries. No files written, no
 * processes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "judge.h"
#include "match.h"
#include "util.h"

#define FIXTURES TEST_SOURCE_DIR "/tests/fixtures/judge"
#define AGENT_FIXTURES TEST_SOURCE_DIR "/tests/fixtures/agents"

/*
 * Pattern lists like the presets of data/agents.yaml, fixed here so that the
 * reasons below stay stable; test_agent_transcripts loads the real presets.
 */
/* clang-format off */
static const char *const claude_rate_limit[] = {
	"(?i)rate.?limit(ed)?\\b", "(?i)usage limit reached", "(?i)overloaded", NULL
};
static const char *const claude_unavailable[] = {
	"(?i)invalid api key", "(?i)please run /login", "(?i)not logged in",
	"(?i)(ENOTFOUND|ECONNREFUSED|EAI_AGAIN|getaddrinfo)", NULL
};
static const char *const claude_prompt_wait[] = {
	"(?i)do you want to proceed\\?", "\\[y/n\\]\\s*$", NULL
};
static const char *const codex_rate_limit[] = {
	"(?i)rate.?limit(ed)?\\b", "(?i)too many requests", NULL
};
static const char *const codex_unavailable[] = {
	"(?i)not logged in",
	"(?i)(stream disconnected|error sending request|ENOTFOUND|ECONNREFUSED)",
	"(?i)invalid api key", NULL
};
static const char *const codex_prompt_wait[] = { "\\[y/n\\]\\s*$", NULL };
/* clang-format on */

/* Patterns and keys for one judge; cfg points into it. */
struct env {
	struct patlist step_success, step_failure, step_prompt_wait;
	struct patlist agent_success, agent_failure, agent_prompt_wait;
	struct patlist rate_limit, unavailable;
	struct strvec keys;
	struct judge_cfg cfg;
};

static void pl_add(struct patlist *l, const char *src)
{
	size_t off = 0;
	char *cause = NULL;
	struct pattern *p = pattern_compile(src, &off, &cause);

	if (!p)
		fprintf(stderr, "pattern %s: %s at %zu\n", src, cause, off);
	assert_non_null(p);
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = p;
}

static void pl_add_all(struct patlist *l, const char *const *srcs)
{
	for (; *srcs; srcs++)
		pl_add(l, *srcs);
}

/*
 * The agent preset for output (claude's for "text"), a step failure pattern
 * "^error:", result keys status and summary, a result expected.
 */
static void env_init(struct env *e, const char *output)
{
	bool codex = !strcmp(output, "codex-json");

	memset(e, 0, sizeof(*e));
	pl_add_all(&e->rate_limit, codex ? codex_rate_limit : claude_rate_limit);
	pl_add_all(&e->unavailable, codex ? codex_unavailable : claude_unavailable);
	pl_add_all(&e->agent_prompt_wait, codex ? codex_prompt_wait : claude_prompt_wait);
	pl_add(&e->step_failure, "^error:");
	strvec_push(&e->keys, "status");
	strvec_push(&e->keys, "summary");
	e->cfg.step_success = &e->step_success;
	e->cfg.step_failure = &e->step_failure;
	e->cfg.step_prompt_wait = &e->step_prompt_wait;
	e->cfg.agent_success = &e->agent_success;
	e->cfg.agent_failure = &e->agent_failure;
	e->cfg.agent_prompt_wait = &e->agent_prompt_wait;
	e->cfg.agent_rate_limit = &e->rate_limit;
	e->cfg.agent_unavailable = &e->unavailable;
	e->cfg.result_keys = &e->keys;
	e->cfg.expects_result = true;
	e->cfg.output = output;
}

static void env_release(struct env *e)
{
	patlist_release(&e->step_success);
	patlist_release(&e->step_failure);
	patlist_release(&e->step_prompt_wait);
	patlist_release(&e->agent_success);
	patlist_release(&e->agent_failure);
	patlist_release(&e->agent_prompt_wait);
	patlist_release(&e->rate_limit);
	patlist_release(&e->unavailable);
	strvec_release(&e->keys);
}

/* What a judged session came to. */
struct outcome {
	enum judge_verdict v;
	char *reason;
	char *json;   /* judge_result_json, copied */
	char *status; /* judge_result_status, copied */
	char *last;   /* judge_last_line after judge_finish */
};

static void outcome_release(struct outcome *o)
{
	free(o->reason);
	free(o->json);
	free(o->status);
	free(o->last);
	memset(o, 0, sizeof(*o));
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* chunk 0: all at once; 1: byte by byte; otherwise random sizes from seed chunk. */
static void feed_chunked(struct judge *j, const char *data, size_t len, unsigned chunk)
{
	uint32_t x = chunk;
	size_t off = 0, n;

	while (off < len) {
		if (chunk == 0) {
			n = len;
		} else if (chunk == 1) {
			n = 1;
		} else {
			x = x * 1103515245u + 12345u;
			n = 1 + (x >> 16) % 97;
		}
		if (n > len - off)
			n = len - off;
		judge_feed(j, data + off, n);
		off += n;
	}
}

static void feed_s(struct judge *j, const char *s)
{
	judge_feed(j, s, strlen(s));
}

static struct outcome run_judge(const struct judge_cfg *cfg, const char *data, size_t len,
				unsigned chunk, int status, int sig)
{
	struct judge *j = judge_new(cfg);
	struct outcome o;

	feed_chunked(j, data, len, chunk);
	assert_int_equal(judge_bytes(j), len);
	o.v = judge_finish(j, status, sig, &o.reason);
	o.json = dup_or_null(judge_result_json(j));
	o.status = dup_or_null(judge_result_status(j));
	o.last = xstrdup(judge_last_line(j));
	judge_free(j);
	return o;
}

static struct outcome run_str(const struct judge_cfg *cfg, const char *s, int status, int sig)
{
	return run_judge(cfg, s, strlen(s), 0, status, sig);
}

static void assert_verdict(const struct outcome *o, enum judge_verdict v, const char *reason)
{
	assert_string_equal(judge_verdict_name(o->v), judge_verdict_name(v));
	assert_non_null(o->reason);
	assert_string_equal(o->reason, reason);
}

static char *load_fixture(const char *name, size_t *len)
{
	char *path = path_join(FIXTURES, name);
	char *data = NULL;

	if (read_file(path, &data, len) < 0)
		fprintf(stderr, "cannot read %s\n", path);
	free(path);
	assert_non_null(data);
	return data;
}

/* ---- rule 4: the AUTOMATOR_RESULT line ---- */

static void test_result_valid(void **state)
{
	struct env e;
	struct outcome o;

	(void)state;
	env_init(&e, "text");
	o = run_str(&e.cfg,
		    "working\n"
		    "  AUTOMATOR_RESULT {\"status\": \"done\", \"summary\": \"ok\", "
		    "\"n\": [1, 2]}\n",
		    0, 0);
	assert_verdict(&o, JV_RESULT, "AUTOMATOR_RESULT status 'done'");
	assert_string_equal(o.json, "{\"status\":\"done\",\"summary\":\"ok\",\"n\":[1,2]}");
	assert_string_equal(o.status, "done");
	outcome_release(&o);

	/* without a status member (none required) */
	strvec_release(&e.keys);
	o = run_str(&e.cfg, "AUTOMATOR_RESULT {\"summary\":\"ok\"}\n", 0, 0);
	assert_verdict(&o, JV_RESULT, "AUTOMATOR_RESULT without a status");
	assert_string_equal(o.json, "{\"summary\":\"ok\"}");
	assert_null(o.status);
	outcome_release(&o);

	/* a status that is not a string is no status */
	o = run_str(&e.cfg, "AUTOMATOR_RESULT {\"status\":3}\n", 0, 0);
	assert_verdict(&o, JV_RESULT, "AUTOMATOR_RESULT without a status");
	assert_null(o.status);
	outcome_release(&o);

	/* the word must be followed by a blank: these are no result lines */
	o = run_str(&e.cfg,
		    "AUTOMATOR_RESULT:{\"status\":\"done\"}\n"
		    "say AUTOMATOR_RESULT {\"status\":\"done\"}\n",
		    0, 0);
	assert_verdict(&o, JV_NO_RESULT, "no AUTOMATOR_RESULT line");
	assert_null(o.json);
	outcome_release(&o);
	env_release(&e);
}

static void test_result_failed_status(void **state)
{
	static const char *const failed[] = { "failed", "FAILURE", "Error" };
	struct env e;
	struct outcome o;

	(void)state;
	env_init(&e, "text");
	for (size_t i = 0; i < ARRAY_SIZE(failed); i++) {
		char *in = xstrfmt("AUTOMATOR_RESULT {\"status\":\"%s\",\"summary\":\"x\"}\n",
				   failed[i]);
		char *want = xstrfmt("AUTOMATOR_RESULT status '%s'", failed[i]);

		o = run_str(&e.cfg, in, 0, 0);
		assert_verdict(&o, JV_FAILURE, want);
		assert_string_equal(o.status, failed[i]);
		outcome_release(&o);
		/* a failed status is a failure whatever the exit */
		o = run_str(&e.cfg, in, 3, 0);
		assert_verdict(&o, JV_FAILURE, want);
		outcome_release(&o);
		free(in);
		free(want);
	}
	/* "failing" is not one of the failed words */
	o = run_str(&e.cfg, "AUTOMATOR_RESULT {\"status\":\"failing\",\"summary\":\"x\"}\n", 0, 0);
	assert_verdict(&o, JV_RESULT, "AUTOMATOR_RESULT status 'failing'");
	outcome_release(&o);
	/* a valid result with a non-zero exit: exited */
	o = run_str(&e.cfg, "AUTOMATOR_RESULT {\"status\":\"done\",\"summary\":\"x\"}\n", 2, 0);
	assert_verdict(&o, JV_EXITED, "exit 2");
	assert_string_equal(o.json, "{\"status\":\"done\",\"summary\":\"x\"}");
	outcome_release(&o);
	env_release(&e);
}

static void test_result_last_valid_wins(void **state)
{
	struct env e;
	struct judge *j;
	char *reason = NULL;

	(void)state;
	env_init(&e, "text");
	j = judge_new(&e.cfg);
	feed_s(j, "AUTOMATOR_RESULT {\"status\":\"failed\",\"summary\":\"first\"}\n");
	assert_string_equal(judge_result_status(j), "failed");
	feed_s(j, "AUTOMATOR_RESULT {\"status\":\"done\",\"summary\":\"second\"}\n");
	assert_string_equal(judge_result_json(j), "{\"status\":\"done\",\"summary\":\"second\"}");
	/* an invalid line afterwards does not replace it, but is noted */
	feed_s(j, "AUTOMATOR_RESULT {\"status\":\"failed\"}\n");
	assert_string_equal(judge_result_invalid(j), "missing key 'summary'");
	assert_int_equal(judge_finish(j, 0, 0, &reason), JV_RESULT);
	assert_string_equal(reason, "AUTOMATOR_RESULT status 'done'");
	assert_string_equal(judge_result_json(j), "{\"status\":\"done\",\"summary\":\"second\"}");
	assert_string_equal(judge_result_status(j), "done");
	free(reason);
	judge_free(j);
	env_release(&e);
}

static void test_result_invalid(void **state)
{
	static const struct {
		const char *in;
		const char *reason;
	} cases[] = {
		{ "AUTOMATOR_RESULT {\"status\":\"done\"}\n",
		  "invalid AUTOMATOR_RESULT line: missing key 'summary'" },
		{ "AUTOMATOR_RESULT {\"status\":\"done\",\"status\":\"failed\","
		  "\"summary\":\"x\"}\n",
		  "invalid AUTOMATOR_RESULT line: bad json: duplicate object key near "
		  "'\"status\"'" },
		{ "AUTOMATOR_RESULT {\"status\":\"done\",}\n",
		  "invalid AUTOMATOR_RESULT line: bad json: string or '}' expected near '}'" },
		{ "AUTOMATOR_RESULT {\"status\":\"done\",\"summary\":\"x\"} trailing\n",
		  "invalid AUTOMATOR_RESULT line: bad json: end of file expected near "
		  "'trailing'" },
		{ "AUTOMATOR_RESULT [\"status\",\"summary\"]\n",
		  "invalid AUTOMATOR_RESULT line: not a json object" },
		{ "AUTOMATOR_RESULT   \n", "invalid AUTOMATOR_RESULT line: no json object" },
		{ "all done\n", "no AUTOMATOR_RESULT line" },
		{ "", "no AUTOMATOR_RESULT line" },
	};
	struct env e;
	struct outcome o;

	(void)state;
	env_init(&e, "text");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		o = run_str(&e.cfg, cases[i].in, 0, 0);
		assert_verdict(&o, JV_NO_RESULT, cases[i].reason);
		assert_null(o.json);
		assert_null(o.status);
		outcome_release(&o);
	}
	/* with success patterns the reason says none matched either */
	pl_add(&e.step_success, "^all tests pass");
	o = run_str(&e.cfg, "all done\n", 0, 0);
	assert_verdict(&o, JV_NO_RESULT, "no AUTOMATOR_RESULT line and no success pattern matched");
	outcome_release(&o);
	env_release(&e);
}

/* ---- rules 5 to 7 ---- */

static void test_exit_rules(void **state)
{
	struct env e;
	struct outcome o;

	(void)state;
	env_init(&e, "text");
	o = run_str(&e.cfg, "compiling\n", 2, 0);
	assert_verdict(&o, JV_EXITED, "exit 2");
	outcome_release(&o);
	o = run_str(&e.cfg, "compiling\n", -1, 9);
	assert_verdict(&o, JV_EXITED, "killed by signal 9");
	outcome_release(&o);
	o = run_str(&e.cfg, "compiling\n", -1, 0);
	assert_verdict(&o, JV_EXITED, "exit status unknown");
	outcome_release(&o);
	/* nothing expected: exit 0 is success */
	e.cfg.expects_result = false;
	o = run_str(&e.cfg, "compiling\n", 0, 0);
	assert_verdict(&o, JV_SUCCESS, "exit 0");
	outcome_release(&o);
	o = run_str(&e.cfg, "compiling\n", 1, 0);
	assert_verdict(&o, JV_EXITED, "exit 1");
	outcome_release(&o);
	env_release(&e);
}

static void test_success_patterns(void **state)
{
	struct env e;
	struct outcome o;

	(void)state;
	env_init(&e, "text");
	pl_add(&e.agent_success, "(?i)task complete");
	pl_add(&e.step_success, "^all \\d+ tests pass");
	/* the step's pattern is named even when the agent's matched first */
	o = run_str(&e.cfg, "Task complete.\nall 12 tests pass\n", 0, 0);
	assert_verdict(&o, JV_SUCCESS,
		       "success pattern '^all \\d+ tests pass' matched: "
		       "all 12 tests pass");
	outcome_release(&o);
	o = run_str(&e.cfg, "Task complete.\n", 0, 0);
	assert_verdict(&o, JV_SUCCESS,
		       "success pattern '(?i)task complete' matched: "
		       "Task complete.");
	outcome_release(&o);
	/* only with exit 0 */
	o = run_str(&e.cfg, "Task complete.\n", 1, 0);
	assert_verdict(&o, JV_EXITED, "exit 1");
	outcome_release(&o);
	o = run_str(&e.cfg, "Task complete.\n", -1, 15);
	assert_verdict(&o, JV_EXITED, "killed by signal 15");
	outcome_release(&o);
	/* a valid result comes before a success pattern */
	o = run_str(&e.cfg,
		    "Task complete.\nAUTOMATOR_RESULT {\"status\":\"ok\",\"summary\":\"s\"}\n", 0,
		    0);
	assert_verdict(&o, JV_RESULT, "AUTOMATOR_RESULT status 'ok'");
	outcome_release(&o);
	env_release(&e);
}

/* ---- rule 3 and the precedence of rules 1 to 4 ---- */

static void test_failure_patterns(void **state)
{
	struct env e;
	struct outcome o;

	(void)state;
	env_init(&e, "text");
	pl_add(&e.agent_failure, "(?i)fatal");
	/* a failure pattern beats a valid result and a clean exit */
	o = run_str(&e.cfg,
		    "error: build failed\n"
		    "AUTOMATOR_RESULT {\"status\":\"done\",\"summary\":\"x\"}\n",
		    0, 0);
	assert_verdict(&o, JV_FAILURE, "failure pattern '^error:' matched: error: build failed");
	assert_string_equal(o.json, "{\"status\":\"done\",\"summary\":\"x\"}");
	outcome_release(&o);
	/* the step's pattern is reported before the agent's, whatever came first */
	o = run_str(&e.cfg, "FATAL: disk full\nerror: build failed\n", 1, 0);
	assert_verdict(&o, JV_FAILURE, "failure pattern '^error:' matched: error: build failed");
	outcome_release(&o);
	o = run_str(&e.cfg, "FATAL: disk full\nerror is not at the start\n", 1, 0);
	assert_verdict(&o, JV_FAILURE, "failure pattern '(?i)fatal' matched: FATAL: disk full");
	outcome_release(&o);
	/* the first matching line is kept */
	o = run_str(&e.cfg, "error: first\nerror: second\n", 0, 0);
	assert_verdict(&o, JV_FAILURE, "failure pattern '^error:' matched: error: first");
	outcome_release(&o);
	env_release(&e);
}

static void test_rate_limit_and_unavailable(void **state)
{
	struct env e;
	struct outcome o;

	(void)state;
	env_init(&e, "text");
	o = run_str(&e.cfg, "error: 429 Too Many Requests: rate limited\n", 1, 0);
	assert_verdict(&o, JV_WAIT,
		       "rate-limit pattern '(?i)rate.?limit(ed)?\\b' "
		       "matched: error: 429 Too Many Requests: rate limited");
	outcome_release(&o);
	/* a signal is not a clean exit either */
	o = run_str(&e.cfg, "Claude AI usage limit reached|1760000000\n", -1, 9);
	assert_verdict(&o, JV_WAIT,
		       "rate-limit pattern '(?i)usage limit reached' "
		       "matched: Claude AI usage limit reached|1760000000");
	outcome_release(&o);
	/* a clean exit ignores rate-limit text: the result stands */
	o = run_str(&e.cfg,
		    "retrying after rate limit\n"
		    "AUTOMATOR_RESULT {\"status\":\"done\",\"summary\":\"x\"}\n",
		    0, 0);
	assert_verdict(&o, JV_RESULT, "AUTOMATOR_RESULT status 'done'");
	outcome_release(&o);
	/* unavailable beats rate limit, which beats failure patterns */
	o = run_str(&e.cfg, "error: overloaded\nError: not logged in\n", 1, 0);
	assert_verdict(&o, JV_UNAVAILABLE,
		       "unavailable pattern '(?i)not logged in' matched: "
		       "Error: not logged in");
	outcome_release(&o);
	o = run_str(&e.cfg, "error: overloaded\n", 1, 0);
	assert_verdict(&o, JV_WAIT,
		       "rate-limit pattern '(?i)overloaded' matched: "
		       "error: overloaded");
	outcome_release(&o);
	/* with a clean exit, unavailable text is ignored too */
	o = run_str(&e.cfg,
		    "note: ECONNREFUSED once\n"
		    "AUTOMATOR_RESULT {\"status\":\"done\",\"summary\":\"x\"}\n",
		    0, 0);
	assert_verdict(&o, JV_RESULT, "AUTOMATOR_RESULT status 'done'");
	outcome_release(&o);
	o = run_str(&e.cfg, "error: getaddrinfo EAI_AGAIN\n", 0, 0);
	assert_verdict(&o, JV_FAILURE,
		       "failure pattern '^error:' matched: "
		       "error: getaddrinfo EAI_AGAIN");
	outcome_release(&o);
	env_release(&e);
}

static void test_live_flags(void **state)
{
	struct env e;
	struct judge *j;

	(void)state;
	env_init(&e, "text");
	j = judge_new(&e.cfg);
	assert_false(judge_seen_rate_limit(j));
	assert_false(judge_seen_unavailable(j));
	feed_s(j, "API rate limit");
	assert_false(judge_seen_rate_limit(j)); /* not a complete line yet */
	feed_s(j, "ed\n");
	assert_true(judge_seen_rate_limit(j));
	assert_false(judge_seen_unavailable(j));
	feed_s(j, "connect ECONNREFUSED 127.0.0.1:443\n");
	assert_true(judge_seen_unavailable(j));
	assert_int_equal(judge_bytes(j), 52);
	judge_free(j);
	judge_free(NULL);
	env_release(&e);
}

/* ---- line assembly ---- */

static void test_ansi(void **state)
{
	struct env e;
	struct outcome o;

	(void)state;
	env_init(&e, "text");
	pl_add(&e.step_success, "^Build OK$");
	o = run_str(&e.cfg, "\x1b]0;title\x07\x1b[1;31merror:\x1b[0m build \x1b(Bfailed\x1b[K\n", 1,
		    0);
	assert_verdict(&o, JV_FAILURE, "failure pattern '^error:' matched: error: build failed");
	assert_string_equal(o.last, "error: build failed");
	outcome_release(&o);
	/* OSC ended by ESC \, a DCS, a private CSI, a two-byte ESC =, a keypad ESC > */
	o = run_str(&e.cfg,
		    "\x1b]8;;https://example.com\x1b\\Build\x1b]8;;\x1b\\ \x1bP+q544e\x1b\\"
		    "\x1b[?25lOK\x1b[?25h\x1b=\x1b>\r\n",
		    0, 0);
	assert_verdict(&o, JV_SUCCESS, "success pattern '^Build OK$' matched: Build OK");
	assert_string_equal(o.last, "Build OK");
	outcome_release(&o);
	/* an unterminated OSC ends at the newline: the next line is not lost */
	o = run_str(&e.cfg, "\x1b]0;never ends\nBuild OK\n", 0, 0);
	assert_verdict(&o, JV_SUCCESS, "success pattern '^Build OK$' matched: Build OK");
	outcome_release(&o);
	/* other control characters are dropped, tabs kept */
	o = run_str(&e.cfg,
		    "Bu\x07il\x08\x7f"
		    "d OK\n\tx\n",
		    0, 0);
	assert_verdict(&o, JV_SUCCESS, "success pattern '^Build OK$' matched: Build OK");
	assert_string_equal(o.last, "\tx");
	outcome_release(&o);
	env_release(&e);
}

static void test_carriage_return(void **state)
{
	struct env e;
	struct outcome o;
	struct judge *j;

	(void)state;
	env_init(&e, "text");
	/* only the text after the last \r is the line */
	o = run_str(&e.cfg,
		    "error: 10%\rerror: 50%\r"
		    "AUTOMATOR_RESULT {\"status\":\"done\",\"summary\":\"x\"}"
		    "\r\n",
		    0, 0);
	assert_verdict(&o, JV_RESULT, "AUTOMATOR_RESULT status 'done'");
	assert_string_equal(o.last, "AUTOMATOR_RESULT {\"status\":\"done\",\"summary\":\"x\"}");
	outcome_release(&o);
	/* \r\n and \r\r\n end lines normally; a \r then escapes, then text */
	o = run_str(&e.cfg, "error: one\r\r\n", 1, 0);
	assert_verdict(&o, JV_FAILURE, "failure pattern '^error:' matched: error: one");
	outcome_release(&o);
	o = run_str(&e.cfg, "50%\r\x1b[Kerror: two\n", 1, 0);
	assert_verdict(&o, JV_FAILURE, "failure pattern '^error:' matched: error: two");
	outcome_release(&o);

	/* the live last line follows the overwrites */
	j = judge_new(&e.cfg);
	feed_s(j, "done\nDownloading  10%");
	assert_string_equal(judge_last_line(j), "Downloading  10%");
	feed_s(j, "\r");
	assert_string_equal(judge_last_line(j), "Downloading  10%");
	feed_s(j, "Downloading 100%");
	assert_string_equal(judge_last_line(j), "Downloading 100%");
	feed_s(j, "\r\n   \n");
	assert_string_equal(judge_last_line(j), "Downloading 100%");
	judge_free(j);
	env_release(&e);
}

static void test_invalid_utf8(void **state)
{
	struct env e;
	struct outcome o;

	(void)state;
	env_init(&e, "text");
	pl_add(&e.step_success, "café prêt");
	o = run_str(&e.cfg, "\xff\xfe garbage \xc3\x28 \xed\xa0\x80\nerror: bad \xc3\n", 1, 0);
	assert_verdict(&o, JV_FAILURE, "failure pattern '^error:' matched: error: bad ?");
	outcome_release(&o);
	/* a valid sequence after invalid bytes still matches */
	o = run_str(&e.cfg, "\xc0\xaf caf\xc3\xa9 pr\xc3\xaat \xf5\n", 0, 0);
	assert_verdict(&o, JV_SUCCESS, "success pattern 'café prêt' matched: ?? café prêt ?");
	outcome_release(&o);
	env_release(&e);
}

static void test_utf8_split_across_feeds(void **state)
{
	static const char in[] = "caf\xc3\xa9 pr\xc3\xaat \xf0\x9f\x9a\x80\n";
	struct env e;
	struct judge *j;
	char *reason = NULL;

	(void)state;
	env_init(&e, "text");
	pl_add(&e.step_success, "^café prêt 🚀$");
	/* cut inside the é and inside the four-byte rocket */
	j = judge_new(&e.cfg);
	judge_feed(j, in, 4);
	judge_feed(j, in + 4, 8);
	judge_feed(j, in + 12, 2);
	judge_feed(j, in + 14, sizeof(in) - 1 - 14);
	assert_int_equal(judge_finish(j, 0, 0, &reason), JV_SUCCESS);
	assert_string_equal(reason, "success pattern '^café prêt 🚀$' matched: café prêt 🚀");
	free(reason);
	judge_free(j);
	env_release(&e);
}

static void test_long_line(void **state)
{
	const size_t mb = 1024 * 1024;
	struct buf in = BUF_INIT;
	struct env e;
	struct judge *j;
	char *reason = NULL;
	char *line;

	(void)state;
	env_init(&e, "text");
	pl_add(&e.agent_failure, "NEEDLE$");
	pl_add(&e.step_success, "^a+$");
	line = xmalloc(mb + 1);
	memset(line, 'a', mb);
	memcpy(line + mb - 6, "NEEDLE", 6);
	line[mb] = '\0';

	j = judge_new(&e.cfg);
	judge_feed(j, line, mb);
	/* the tail never holds more than one piece: 15 judged, the 16th waiting */
	assert_int_equal(strlen(judge_last_line(j)), JUDGE_LINE_MAX);
	feed_s(j, "\n");
	/* 1 MiB is 16 pieces of 64 KiB; the last one holds the needle */
	assert_int_equal(strlen(judge_last_line(j)), JUDGE_LINE_MAX);
	assert_memory_equal(judge_last_line(j) + JUDGE_LINE_MAX - 6, "NEEDLE", 6);
	feed_s(j, "AUTOMATOR_RESULT {\"status\":\"done\",\"summary\":\"x\"}\n");
	assert_int_equal(judge_bytes(j), mb + 1 + 49); /* the result line is 49 bytes */
	assert_int_equal(judge_finish(j, 0, 0, &reason), JV_FAILURE);
	assert_string_equal(judge_result_json(j), "{\"status\":\"done\",\"summary\":\"x\"}");
	/* the excerpt in the reason is capped at 200 bytes */
	buf_adds(&in, "failure pattern 'NEEDLE$' matched: ");
	buf_add(&in, line, 200);
	buf_adds(&in, "...");
	assert_string_equal(reason, buf_str(&in));
	free(reason);
	judge_free(j);

	/* the same line byte by byte comes to the same */
	j = judge_new(&e.cfg);
	for (size_t i = 0; i < mb; i++)
		judge_feed(j, line + i, 1);
	feed_s(j, "\n");
	assert_int_equal(judge_finish(j, 0, 0, &reason), JV_FAILURE);
	assert_string_equal(reason, buf_str(&in));
	free(reason);
	judge_free(j);

	/* an overlong JSON line in a JSON format is not judged as text */
	e.cfg.output = "claude-stream-json";
	buf_reset(&in);
	buf_adds(&in, "{\"type\":\"user\",\"message\":{\"content\":\"");
	for (size_t i = 0; i < 4000; i++)
		buf_adds(&in, "rate limited; Error: not logged in; ");
	buf_adds(&in, "\"}}\n");
	/* 144 KiB: two full pieces and a tail */
	assert_int_equal(in.len, 37 + 4000 * 36 + 4);
	j = judge_new(&e.cfg);
	judge_feed(j, in.s, in.len);
	assert_false(judge_seen_rate_limit(j));
	assert_false(judge_seen_unavailable(j));
	assert_string_equal(judge_last_line(j), "");
	assert_int_equal(judge_finish(j, 1, 0, &reason), JV_EXITED);
	assert_string_equal(reason, "exit 1");
	free(reason);
	judge_free(j);

	free(line);
	buf_release(&in);
	env_release(&e);
}

static void test_long_line_utf8_boundary(void **state)
{
	struct env e;
	struct judge *j;
	char *reason = NULL;
	char *line;

	(void)state;
	env_init(&e, "text");
	pl_add(&e.step_success, "^é$");
	/* 65535 'a' then a two-byte é straddling the 64 KiB boundary */
	line = xmalloc(JUDGE_LINE_MAX + 2);
	memset(line, 'a', JUDGE_LINE_MAX - 1);
	memcpy(line + JUDGE_LINE_MAX - 1, "\xc3\xa9\n", 3);
	j = judge_new(&e.cfg);
	judge_feed(j, line, JUDGE_LINE_MAX + 2);
	assert_string_equal(judge_last_line(j), "é");
	assert_int_equal(judge_finish(j, 0, 0, &reason), JV_SUCCESS);
	assert_string_equal(reason, "success pattern '^é$' matched: é");
	free(reason);
	judge_free(j);
	free(line);
	env_release(&e);
}

static void test_result_split_across_feeds(void **state)
{
	static const char in[] = "\x1b[32mAUTOMATOR_RESULT "
				 "{\"status\":\"done\",\"summary\":\"split\"}\x1b[0m\r\n";
	static const char tail[] = "AUTOMATOR_RESULT {\"status\":\"done\",\"summary\":\"tail\"}";
	struct env e;
	struct judge *j;
	char *reason = NULL;

	(void)state;
	env_init(&e, "text");
	/* cut inside the escape, the word, the JSON and the \r\n */
	for (size_t a = 1; a + 1 < sizeof(in) - 1; a += 7) {
		j = judge_new(&e.cfg);
		judge_feed(j, in, a);
		assert_null(judge_result_json(j));
		judge_feed(j, in + a, sizeof(in) - 1 - a);
		assert_string_equal(judge_result_json(j),
				    "{\"status\":\"done\",\"summary\":\"split\"}");
		assert_int_equal(judge_finish(j, 0, 0, &reason), JV_RESULT);
		assert_string_equal(reason, "AUTOMATOR_RESULT status 'done'");
		free(reason);
		judge_free(j);
	}
	/* an unterminated last line is judged by judge_finish */
	j = judge_new(&e.cfg);
	feed_s(j, tail);
	assert_null(judge_result_json(j));
	assert_int_equal(judge_finish(j, 0, 0, &reason), JV_RESULT);
	assert_string_equal(judge_result_json(j), "{\"status\":\"done\",\"summary\":\"tail\"}");
	free(reason);
	/* feeding after judge_finish is ignored; finish again re-decides */
	feed_s(j, "error: late\n");
	assert_int_equal(judge_bytes(j), strlen(tail));
	assert_int_equal(judge_finish(j, 4, 0, &reason), JV_EXITED);
	assert_string_equal(reason, "exit 4");
	free(reason);
	assert_int_equal(judge_finish(j, 0, 0, NULL), JV_RESULT);
	judge_free(j);
	env_release(&e);
}

/* ---- live queries ---- */

static void test_prompt_waiting(void **state)
{
	struct env e;
	struct judge *j;

	(void)state;
	env_init(&e, "text");
	j = judge_new(&e.cfg);
	assert_false(judge_prompt_waiting(j));
	feed_s(j, "About to overwrite config.\nProceed? [y/");
	assert_false(judge_prompt_waiting(j));
	feed_s(j, "n] ");
	assert_true(judge_prompt_waiting(j));
	assert_string_equal(judge_last_line(j), "Proceed? [y/n] ");
	/* escapes (a blinking cursor) are not output */
	feed_s(j, "\x1b[?25h\x1b[?25l");
	assert_true(judge_prompt_waiting(j));
	/* the answer echoed, then more output */
	feed_s(j, "y");
	assert_false(judge_prompt_waiting(j));
	feed_s(j, "\nwriting config\n");
	assert_false(judge_prompt_waiting(j));
	assert_string_equal(judge_last_line(j), "writing config");

	/* a complete prompt line counts until something visible follows */
	feed_s(j, "Do you want to proceed?\n");
	assert_true(judge_prompt_waiting(j));
	feed_s(j, "\n  \n\x1b[0m");
	assert_true(judge_prompt_waiting(j));
	feed_s(j, ".");
	assert_false(judge_prompt_waiting(j));
	feed_s(j, "\n");
	assert_false(judge_prompt_waiting(j));
	judge_free(j);

	/* the step's prompt patterns count as well */
	pl_add(&e.step_prompt_wait, "^Select option \\[1-4\\]:\\s*$");
	j = judge_new(&e.cfg);
	feed_s(j, "1) keep\n2) drop\nSelect option [1-4]: ");
	assert_true(judge_prompt_waiting(j));
	feed_s(j, "\r\n");
	assert_true(judge_prompt_waiting(j));
	feed_s(j, "3\n");
	assert_false(judge_prompt_waiting(j));
	judge_free(j);
	env_release(&e);
}

static void test_prompt_waiting_json(void **state)
{
	struct env e;
	struct judge *j;

	(void)state;
	env_init(&e, "claude-stream-json");
	j = judge_new(&e.cfg);
	/* model text ending in a question */
	feed_s(j, "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\","
		  "\"text\":\"Plan ready.\\nDo you want to proceed?\"}]}}\n");
	assert_true(judge_prompt_waiting(j));
	assert_string_equal(judge_last_line(j), "Do you want to proceed?");
	/* an event in flight is something after it */
	feed_s(j, "{\"type\":\"user\"");
	assert_false(judge_prompt_waiting(j));
	assert_string_equal(judge_last_line(j), "Do you want to proceed?");
	feed_s(j, "}\n");
	assert_false(judge_prompt_waiting(j));
	/* a plain (stderr) prompt in a JSON stream */
	feed_s(j, "Trust this folder? [y/n] ");
	assert_true(judge_prompt_waiting(j));
	assert_string_equal(judge_last_line(j), "Trust this folder? [y/n] ");
	judge_free(j);
	env_release(&e);
}

/* Counts an agent reports absurdly (1e300, past LLONG_MAX, negative) stay defined. */
static void test_usage_counts_bounded(void **state)
{
	struct env e;
	struct judge *j;
	const struct judge_usage *u;

	(void)state;
	env_init(&e, "claude-stream-json");
	j = judge_new(&e.cfg);
	for (int i = 0; i < 3; i++)
		feed_s(j, "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,"
			  "\"num_turns\":1e300,\"duration_ms\":9223372036854775807,"
			  "\"usage\":{\"input_tokens\":9.9e307,\"output_tokens\":-5,"
			  "\"cache_read_input_tokens\":9223372036854775807},\"result\":\"ok\"}\n");
	u = judge_usage(j);
	assert_true(u->seen);
	assert_int_equal(u->turns, 1000000);
	assert_true(u->duration_ms > 0 && u->input_tokens > 0 && u->cache_read_tokens > 0);
	assert_int_equal(u->output_tokens, 0);
	assert_true(u->input_tokens == u->duration_ms); /* both stopped at the same cap */
	judge_free(j);
	env_release(&e);
}

/* ---- JSON formats ---- */

static void test_claude_events(void **state)
{
	struct env e;
	struct outcome o;

	(void)state;
	env_init(&e, "claude-stream-json");
	/* the model writing about rate limits and logins is not the CLI failing */
	o = run_str(&e.cfg,
		    "{\"type\":\"assistant\",\"message\":{\"model\":\"claude-sonnet-4-5\","
		    "\"content\":"
		    "[{\"type\":\"text\",\"text\":\"Added rate limiting; users not logged in get "
		    "401.\"}]}}\n",
		    -1, 9);
	assert_verdict(&o, JV_EXITED, "killed by signal 9");
	assert_string_equal(o.last, "Added rate limiting; users not logged in get 401.");
	outcome_release(&o);
	/* but its words do meet the failure patterns */
	o = run_str(&e.cfg,
		    "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\","
		    "\"name\":\"Bash\"},{\"type\":\"text\",\"text\":"
		    "\"ok\\nerror: cannot build\"}]}}\n",
		    0, 0);
	assert_verdict(&o, JV_FAILURE, "failure pattern '^error:' matched: error: cannot build");
	outcome_release(&o);
	/* an error subtype without is_error is a failure */
	o = run_str(&e.cfg,
		    "{\"type\":\"result\",\"subtype\":\"error_max_turns\",\"is_error\":false,"
		    "\"num_turns\":30}\n",
		    0, 0);
	assert_verdict(&o, JV_FAILURE, "claude result is an error (subtype 'error_max_turns')");
	outcome_release(&o);
	/* a synthetic message is CLI text: rate-limit patterns apply */
	o = run_str(&e.cfg,
		    "{\"type\":\"assistant\",\"message\":{\"model\":\"<synthetic>\",\"content\":"
		    "[{\"type\":\"text\",\"text\":"
		    "\"Claude AI usage limit reached|1760000000\"}]}}\n"
		    "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":true,\"result\":"
		    "\"Claude AI usage limit reached|1760000000\"}\n",
		    1, 0);
	assert_verdict(&o, JV_WAIT,
		       "rate-limit pattern '(?i)usage limit reached' "
		       "matched: Claude AI usage limit reached|1760000000");
	outcome_release(&o);
	/* is_error makes the exit unclean even with status 0 */
	o = run_str(&e.cfg,
		    "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":true,\"result\":"
		    "\"API Error: 529 overloaded\"}\n",
		    0, 0);
	assert_verdict(&o, JV_WAIT,
		       "rate-limit pattern '(?i)overloaded' matched: "
		       "API Error: 529 overloaded");
	outcome_release(&o);
	/* JSON that is not an event, other JSON values, broken JSON */
	o = run_str(&e.cfg,
		    "{\"type\":\"system\",\"subtype\":\"init\"}\n{\"no\":\"type\"}\n"
		    "[1,2]\n{\"type\":\"assistant\",\n",
		    1, 0);
	assert_verdict(&o, JV_EXITED, "exit 1");
	assert_string_equal(o.last, "{\"type\":\"assistant\",");
	outcome_release(&o);
	env_release(&e);
}

static void test_codex_events(void **state)
{
	struct env e;
	struct outcome o;

	(void)state;
	env_init(&e, "codex-json");
	/* an error event without a later turn.completed is fatal, even at exit 0 */
	o = run_str(&e.cfg,
		    "{\"type\":\"turn.started\"}\n"
		    "{\"type\":\"error\",\"message\":\"quota exceeded\\nsecond line\"}\n",
		    0, 0);
	assert_verdict(&o, JV_FAILURE, "codex error: quota exceeded");
	outcome_release(&o);
	/* turn.failed wins over a pending error for the reason */
	o = run_str(&e.cfg,
		    "{\"type\":\"error\",\"message\":\"first\"}\n"
		    "{\"type\":\"turn.failed\",\"error\":{\"message\":\"final\"}}\n",
		    1, 0);
	assert_verdict(&o, JV_FAILURE, "codex turn failed: final");
	outcome_release(&o);
	/* error items are warnings; a rate-limit warning matters only on a bad exit */
	o = run_str(&e.cfg,
		    "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_0\",\"type\":\"error\","
		    "\"message\":\"429 Too Many Requests\"}}\n"
		    "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_1\",\"type\":"
		    "\"agent_message\",\"text\":\"AUTOMATOR_RESULT {\\\"status\\\":\\\"done\\\","
		    "\\\"summary\\\":\\\"x\\\"}\"}}\n"
		    "{\"type\":\"turn.completed\",\"usage\":{}}\n",
		    0, 0);
	assert_verdict(&o, JV_RESULT, "AUTOMATOR_RESULT status 'done'");
	outcome_release(&o);
	o = run_str(&e.cfg,
		    "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_0\",\"type\":\"error\","
		    "\"message\":\"429 Too Many Requests\"}}\n",
		    -1, 15);
	assert_verdict(&o, JV_WAIT,
		       "rate-limit pattern '(?i)too many requests' "
		       "matched: 429 Too Many Requests");
	outcome_release(&o);
	/* command output is not the model's words */
	o = run_str(&e.cfg,
		    "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_0\",\"type\":"
		    "\"command_execution\",\"command\":\"make\",\"aggregated_output\":"
		    "\"error: x\\nrate limited\\n\",\"exit_code\":2,\"status\":\"failed\"}}\n",
		    1, 0);
	assert_verdict(&o, JV_EXITED, "exit 1");
	outcome_release(&o);
	env_release(&e);
}

/* ---- the transcripts ---- */

static const struct {
	const char *file;
	const char *output;
	int status;
	enum judge_verdict v;
	const char *reason;
	const char *json; /* NULL: none */
	const char *last;
} fixtures[] = {
	{ "text-result.log", "text", 0, JV_RESULT, "AUTOMATOR_RESULT status 'done'",
	  "{\"status\":\"done\",\"summary\":\"app shell implemented, 42 tests pass\","
	  "\"files\":[\"src/shell.c\",\"tests/shell.c\"]}",
	  "AUTOMATOR_RESULT {\"status\":\"done\",\"summary\":\"app shell implemented, 42 tests "
	  "pass\",\"files\":[\"src/shell.c\",\"tests/shell.c\"]}" },
	{ "text-unavailable.log", "text", 1, JV_UNAVAILABLE,
	  "unavailable pattern '(?i)(ENOTFOUND|ECONNREFUSED|EAI_AGAIN|getaddrinfo)' matched: "
	  "Error: getaddrinfo ENOTFOUND api.anthropic.com",
	  NULL, "Retrying in 8s (attempt 3/3)" },
	{ "claude-success.jsonl", "claude-stream-json", 0, JV_RESULT,
	  "AUTOMATOR_RESULT status 'done'",
	  "{\"status\":\"done\",\"summary\":\"app shell with navigation\",\"tests\":\"42 passed\"}",
	  "AUTOMATOR_RESULT {\"status\":\"done\",\"summary\":\"app shell with navigation\","
	  "\"tests\":\"42 passed\"}" },
	{ "claude-is-error.jsonl", "claude-stream-json", 1, JV_FAILURE,
	  "claude result is an error (subtype 'success'): API Error: 400 {\"type\":\"error\","
	  "\"error\":{\"type\":\"invalid_request_error\",\"message\":\"prompt is too long: "
	  "211934 tokens > 200000 maximum\"}}",
	  NULL,
	  "API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
	  "\"message\":\"prompt is too long: 211934 tokens > 200000 maximum\"}}" },
	{ "claude-not-logged-in.jsonl", "claude-stream-json", 1, JV_UNAVAILABLE,
	  "unavailable pattern '(?i)invalid api key' matched: Invalid API key · Please run /login",
	  NULL, "Invalid API key · Please run /login" },
	{ "claude-enotfound.jsonl", "claude-stream-json", 1, JV_UNAVAILABLE,
	  "unavailable pattern '(?i)(ENOTFOUND|ECONNREFUSED|EAI_AGAIN|getaddrinfo)' matched: "
	  "Error: getaddrinfo ENOTFOUND api.anthropic.com",
	  NULL, "API Error: Connection error." },
	{ "codex-success.jsonl", "codex-json", 0, JV_RESULT, "AUTOMATOR_RESULT status 'done'",
	  "{\"status\":\"done\",\"summary\":\"password reset implemented\","
	  "\"tests\":\"17 passed\"}",
	  "AUTOMATOR_RESULT {\"status\":\"done\",\"summary\":\"password reset implemented\","
	  "\"tests\":\"17 passed\"}" },
	{ "codex-failure.jsonl", "codex-json", 1, JV_FAILURE,
	  "codex turn failed: unexpected status 400 Bad Request: {\"detail\":\"The 'gpt-5-codex' "
	  "model is not supported when using Codex with a ChatGPT account.\"}",
	  NULL,
	  "unexpected status 400 Bad Request: {\"detail\":\"The 'gpt-5-codex' model is not "
	  "supported when using Codex with a ChatGPT account.\"}" },
	{ "codex-unavailable.jsonl", "codex-json", 1, JV_UNAVAILABLE,
	  "unavailable pattern '(?i)(stream disconnected|error sending request|ENOTFOUND|"
	  "ECONNREFUSED)' matched: Reconnecting... 1/5 (stream disconnected before completion: "
	  "error sending request for url (https://api.openai.com/v1/responses))",
	  NULL,
	  "stream disconnected before completion: error sending request for url "
	  "(https://api.openai.com/v1/responses)" },
	{ "codex-reconnect-recovered.jsonl", "codex-json", 0, JV_RESULT,
	  "AUTOMATOR_RESULT status 'done'", "{\"status\":\"done\",\"summary\":\"retried once\"}",
	  "AUTOMATOR_RESULT {\"status\":\"done\",\"summary\":\"retried once\"}" },
};

static void test_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		struct env e;
		struct outcome o;
		size_t len;
		char *data = load_fixture(fixtures[i].file, &len);

		env_init(&e, fixtures[i].output);
		o = run_judge(&e.cfg, data, len, 0, fixtures[i].status, 0);
		if (o.v != fixtures[i].v || strcmp(o.reason, fixtures[i].reason))
			fprintf(stderr, "%s: %s: %s\n", fixtures[i].file, judge_verdict_name(o.v),
				o.reason);
		assert_verdict(&o, fixtures[i].v, fixtures[i].reason);
		if (fixtures[i].json)
			assert_string_equal(o.json, fixtures[i].json);
		else
			assert_null(o.json);
		assert_string_equal(o.last, fixtures[i].last);
		outcome_release(&o);
		env_release(&e);
		free(data);
	}
}

/* Byte by byte and in random chunks, every transcript comes to the same. */
static void test_fixtures_chunked(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		struct env e;
		size_t len;
		char *data = load_fixture(fixtures[i].file, &len);
		struct outcome whole;

		env_init(&e, fixtures[i].output);
		whole = run_judge(&e.cfg, data, len, 0, fixtures[i].status, 0);
		for (unsigned chunk = 1; chunk < 40; chunk++) {
			unsigned seed = chunk == 1 ? 1 : chunk * 7919 + 1;
			struct outcome o;

			o = run_judge(&e.cfg, data, len, seed, fixtures[i].status, 0);

			assert_int_equal(o.v, whole.v);
			assert_string_equal(o.reason, whole.reason);
			if (whole.json)
				assert_string_equal(o.json, whole.json);
			else
				assert_null(o.json);
			assert_string_equal(o.last, whole.last);
			outcome_release(&o);
		}
		outcome_release(&whole);
		env_release(&e);
		free(data);
	}
}

/* Exit 0 does not make an agent error clean; signals do not either. */
static void test_fixtures_other_exits(void **state)
{
	static const struct {
		const char *file;
		const char *output;
		int status, sig;
		enum judge_verdict v;
	} cases[] = {
		{ "codex-unavailable.jsonl", "codex-json", 0, 0, JV_UNAVAILABLE },
		{ "codex-failure.jsonl", "codex-json", 0, 0, JV_FAILURE },
		{ "claude-not-logged-in.jsonl", "claude-stream-json", 0, 0, JV_UNAVAILABLE },
		{ "claude-is-error.jsonl", "claude-stream-json", 0, 0, JV_FAILURE },
		{ "text-unavailable.log", "text", 0, 0, JV_NO_RESULT },
		{ "text-unavailable.log", "text", -1, 9, JV_UNAVAILABLE },
		{ "claude-success.jsonl", "claude-stream-json", -1, 9, JV_EXITED },
		{ "codex-reconnect-recovered.jsonl", "codex-json", 1, 0, JV_UNAVAILABLE },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct env e;
		struct outcome o;
		size_t len;
		char *data = load_fixture(cases[i].file, &len);

		env_init(&e, cases[i].output);
		o = run_judge(&e.cfg, data, len, 0, cases[i].status, cases[i].sig);
		assert_string_equal(judge_verdict_name(o.v), judge_verdict_name(cases[i].v));
		outcome_release(&o);
		env_release(&e);
		free(data);
	}
}

/* ---- real CLI transcripts, judged with the shipped presets and workflow ---- */

/*
 * tests/fixtures/agents/: the pane logs of the real Claude Code and Codex
 * CLIs run here without network or login (README.md there says how), with
 * the exit as the runner recorded it. Each is judged through
 * judge_cfg_init with the preset of data/agents.yaml and a step of
 * workflows/bmad.yaml: a CLI that cannot reach its service or is not logged
 * in must come out UNAVAILABLE, never a code failure or unparseable output.
 */
static const struct {
	const char *file;
	const char *agent;
	const char *step;
	int status, sig;
	enum judge_verdict v;
	const char *reason;
	const char *presets; /* NULL: data/agents.yaml, else a file in AGENT_FIXTURES */
} transcripts[] = {
	/* the CLI's own error category decides, before any pattern */
	{ "claude-not-logged-in.log", "claude", "create-story", 1, 0, JV_UNAVAILABLE,
	  "claude error 'authentication_failed': Not logged in · Please run /login", NULL },
	{ "claude-offline.log", "claude", "create-story", 1, 0, JV_NETWORK,
	  "network pattern '(?i)(ENOTFOUND|ECONNREFUSED|EAI_AGAIN|getaddrinfo|Unable to "
	  "connect to API)' matched: API Error: Unable to connect to API (ConnectionRefused)",
	  NULL },
	/* the documented full-autonomy preset, as root without IS_SANDBOX=1 */
	{ "claude-root-skip-permissions.log", "claude", "dev-story", 1, 0, JV_UNAVAILABLE,
	  "unavailable pattern '(?i)cannot be used with root/sudo privileges' matched: "
	  "--dangerously-skip-permissions cannot be used with root/sudo privileges for security "
	  "reasons",
	  "skip-permissions-preset.yaml" },
	/* BMAD's commands not installed: exit 0 at once, a failure with its reason */
	{ "claude-unknown-command.log", "claude", "create-story", 0, 0, JV_FAILURE,
	  "failure pattern '^Unknown (slash )?command: /\\S+\\s*$' matched: Unknown command: "
	  "/bmad:bmm:workflows:create-story",
	  NULL },
	/* codex waits for the network without end: ended by the step timeout (SIGHUP) */
	{ "codex-offline.log", "codex", "create-story", -1, 1, JV_NETWORK,
	  "network pattern '(?i)(stream disconnected|error sending request|ENOTFOUND|"
	  "ECONNREFUSED)' matched: Reconnecting... 2/5 (stream disconnected before completion: "
	  "failed to lookup address information: Name does not resolve)",
	  NULL },
};

static const struct step *workflow_step(const struct workflow *w, const char *name)
{
	for (size_t i = 0; i < w->nsteps; i++)
		if (!strcmp(w->steps[i].name, name))
			return &w->steps[i];
	return NULL;
}

static char *load_agent_fixture(const char *name, size_t *len)
{
	char *path = path_join(AGENT_FIXTURES, name);
	char *data = NULL;

	if (read_file(path, &data, len) < 0)
		fprintf(stderr, "cannot read %s\n", path);
	free(path);
	assert_non_null(data);
	return data;
}

static void test_agent_transcripts(void **state)
{
	struct diags d = DIAGS_INIT;
	struct agent_set *agents = NULL;
	struct workflow *wf = NULL;

	(void)state;
	assert_int_equal(agents_load(TEST_SOURCE_DIR "/data/agents.yaml", &agents, &d), 0);
	assert_int_equal(workflow_load(TEST_SOURCE_DIR "/workflows/bmad.yaml", agents, &wf, &d), 0);
	for (size_t i = 0; i < ARRAY_SIZE(transcripts); i++) {
		struct agent_set *own = NULL;
		const struct agent *a;
		const struct step *st = workflow_step(wf, transcripts[i].step);
		struct judge_cfg cfg;
		struct outcome whole;
		size_t len;
		char *data = load_agent_fixture(transcripts[i].file, &len);

		if (transcripts[i].presets) {
			char *path = path_join(AGENT_FIXTURES, transcripts[i].presets);

			assert_int_equal(agents_load(path, &own, &d), 0);
			free(path);
		}
		a = agents_find(own ? own : agents, transcripts[i].agent);
		assert_non_null(a);
		assert_non_null(st);
		judge_cfg_init(&cfg, st, a);
		whole = run_judge(&cfg, data, len, 0, transcripts[i].status, transcripts[i].sig);
		if (whole.v != transcripts[i].v || strcmp(whole.reason, transcripts[i].reason))
			fprintf(stderr, "%s: %s: %s\n", transcripts[i].file,
				judge_verdict_name(whole.v), whole.reason);
		assert_verdict(&whole, transcripts[i].v, transcripts[i].reason);
		assert_null(whole.json);
		/* cut anywhere, the same verdict */
		for (unsigned chunk = 1; chunk < 12; chunk++) {
			struct outcome o =
				run_judge(&cfg, data, len, chunk == 1 ? 1 : chunk * 7919 + 1,
					  transcripts[i].status, transcripts[i].sig);

			assert_verdict(&o, whole.v, whole.reason);
			outcome_release(&o);
		}
		outcome_release(&whole);
		agents_free(own);
		free(data);
	}
	workflow_free(wf);
	agents_free(agents);
	diags_release(&d);
}

/* The unavailable CLIs stay unavailable whatever their exit, except a clean one. */
static void test_agent_transcripts_other_exits(void **state)
{
	static const struct {
		const char *file;
		const char *agent;
		int status, sig;
		enum judge_verdict v;
	} cases[] = {
		/* codex reporting errors never exits cleanly: killed by timeout(1) too */
		{ "codex-offline.log", "codex", 124, 0, JV_NETWORK },
		{ "codex-offline.log", "codex", 0, 0, JV_NETWORK },
		{ "codex-offline.log", "codex", -1, 9, JV_NETWORK },
		/* the claude result is an error event: exit 0 does not make it clean */
		{ "claude-not-logged-in.log", "claude", 0, 0, JV_UNAVAILABLE },
		{ "claude-offline.log", "claude", -1, 15, JV_NETWORK },
		/* a plain-text line with exit 0 cannot be unavailable: no result */
		{ "claude-root-skip-permissions.log", "claude", 0, 0, JV_NO_RESULT },
		/* a configuration only a human can fix: unavailable, whatever the preset */
		{ "claude-root-skip-permissions.log", "claude", 1, 0, JV_UNAVAILABLE },
	};
	struct diags d = DIAGS_INIT;
	struct agent_set *agents = NULL;
	struct workflow *wf = NULL;

	(void)state;
	assert_int_equal(agents_load(TEST_SOURCE_DIR "/data/agents.yaml", &agents, &d), 0);
	assert_int_equal(workflow_load(TEST_SOURCE_DIR "/workflows/bmad.yaml", agents, &wf, &d), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct judge_cfg cfg;
		struct outcome o;
		size_t len;
		char *data = load_agent_fixture(cases[i].file, &len);

		judge_cfg_init(&cfg, workflow_step(wf, "dev-story"),
			       agents_find(agents, cases[i].agent));
		o = run_judge(&cfg, data, len, 0, cases[i].status, cases[i].sig);
		assert_string_equal(judge_verdict_name(o.v), judge_verdict_name(cases[i].v));
		outcome_release(&o);
		free(data);
	}
	workflow_free(wf);
	agents_free(agents);
	diags_release(&d);
}

/* ---- configuration ---- */

static void test_cfg_init(void **state)
{
	struct step step;
	struct agent agent;
	struct judge_cfg cfg;

	(void)state;
	memset(&step, 0, sizeof(step));
	memset(&agent, 0, sizeof(agent));
	agent.output = "codex-json";
	judge_cfg_init(&cfg, &step, &agent);
	assert_ptr_equal(cfg.step_failure, &step.failure);
	assert_ptr_equal(cfg.step_success, &step.success);
	assert_ptr_equal(cfg.step_prompt_wait, &step.prompt_wait);
	assert_ptr_equal(cfg.result_keys, &step.result);
	assert_ptr_equal(cfg.agent_rate_limit, &agent.rate_limit);
	assert_ptr_equal(cfg.agent_unavailable, &agent.unavailable);
	assert_ptr_equal(cfg.agent_success, &agent.success);
	assert_ptr_equal(cfg.agent_failure, &agent.failure);
	assert_ptr_equal(cfg.agent_prompt_wait, &agent.prompt_wait);
	assert_string_equal(cfg.output, "codex-json");
	assert_false(cfg.expects_result);
	strvec_push(&step.result, "status");
	judge_cfg_init(&cfg, &step, &agent);
	assert_true(cfg.expects_result);
	strvec_release(&step.result);
	pl_add(&step.success, "done");
	judge_cfg_init(&cfg, &step, NULL);
	assert_true(cfg.expects_result);
	assert_null(cfg.output);
	assert_null(cfg.agent_failure);
	patlist_release(&step.success);
	judge_cfg_init(&cfg, NULL, NULL);
	assert_null(cfg.step_failure);
	assert_false(cfg.expects_result);
}

/* A judge with nothing configured: text, no patterns, no keys. */
static void test_empty_cfg(void **state)
{
	struct judge_cfg cfg;
	struct outcome o;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	o = run_str(&cfg, "AUTOMATOR_RESULT {}\n", 0, 0);
	assert_verdict(&o, JV_RESULT, "AUTOMATOR_RESULT without a status");
	assert_string_equal(o.json, "{}");
	outcome_release(&o);
	o = run_str(&cfg, "rate limited\nDo you want to proceed?\n", 0, 0);
	assert_verdict(&o, JV_SUCCESS, "exit 0");
	outcome_release(&o);
	cfg.output = "no-such-format";
	o = run_str(&cfg, "{\"type\":\"result\",\"is_error\":true}\n", 3, 0);
	assert_verdict(&o, JV_EXITED, "exit 3");
	assert_string_equal(o.last, "{\"type\":\"result\",\"is_error\":true}");
	outcome_release(&o);
}

/*
 * The transcript corpus (tests/fixtures/agents/index.tsv): every real
 * transcript judged with the shipped preset of its CLI lands in its class,
 * a wait with its reason and reset time; no wait or unavailable transcript
 * is ever judged a failure of the code.
 */
static enum judge_verdict class_verdict(const char *class, int exit_status)
{
	if (!strcmp(class, "wait"))
		return JV_WAIT;
	if (!strcmp(class, "unavailable"))
		return JV_UNAVAILABLE;
	if (!strcmp(class, "unavailable-network"))
		return JV_NETWORK;
	if (!strcmp(class, "denied"))
		return JV_DENIED;
	if (!strcmp(class, "failure"))
		return JV_FAILURE;
	return exit_status == 0 ? JV_RESULT : JV_EXITED;
}

static void test_transcript_corpus(void **state)
{
	struct diags d = DIAGS_INIT;
	struct agent_set *agents = NULL;
	struct workflow *wf = NULL;
	char *index = NULL, *save = NULL;
	size_t len, rows = 0, waits = 0, unavailable = 0;

	(void)state;
	setenv("TZ", "UTC", 1); /* Codex names its reset in the capture machine's zone, UTC */
	assert_int_equal(agents_load(TEST_SOURCE_DIR "/data/agents.yaml", &agents, &d), 0);
	assert_int_equal(workflow_load(TEST_SOURCE_DIR "/workflows/simple.yaml", agents, &wf, &d),
			 0);
	assert_int_equal(read_file(AGENT_FIXTURES "/index.tsv", &index, &len), 0);
	for (char *line = strtok_r(index, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char file[128], format[32], class[32], reason[32], reset[32];
		int status, sig;
		const struct agent *a;
		struct judge_cfg cfg;
		struct judge *j;
		enum judge_verdict want, got;
		char *data, *why = NULL;
		size_t n;

		if (line[0] == '#')
			continue;
		assert_int_equal(sscanf(line, "%127s %31s %d %d %31s %31s %31s", file, format,
					&status, &sig, class, reason, reset),
				 7);
		a = agents_find(agents, strstr(format, "codex") ? "codex" : "claude");
		assert_non_null(a);
		judge_cfg_init(&cfg, workflow_step(wf, "dev"), a);
		data = load_agent_fixture(file, &n);
		j = judge_new(&cfg);
		judge_feed(j, data, n);
		got = judge_finish(j, status, sig, &why);
		want = class_verdict(class, status);
		if (got != want)
			fail_msg("%s: %s (%s), want %s", file, judge_verdict_name(got), why,
				 judge_verdict_name(want));
		if (want == JV_WAIT || want == JV_NETWORK) {
			if (strcmp(wait_reason_name(judge_wait_reason(j)), reason))
				fail_msg("%s: wait reason %s, want %s (%s)", file,
					 wait_reason_name(judge_wait_reason(j)), reason, why);
			waits++;
		}
		if (strcmp(reset, "-")) {
			long long at = atoll(reset);

			/* judged a minute before the reset, as the run would have */
			assert_int_equal(judge_reset_at(j, at - 60), at);
		} else if (want == JV_WAIT) {
			assert_int_equal(judge_reset_at(j, 1796290200LL), 0);
		}
		unavailable += want == JV_UNAVAILABLE;
		rows++;
		free(why);
		free(data);
		judge_free(j);
	}
	/* the corpus covers every class of both CLIs */
	assert_true(rows >= 24);
	assert_true(waits >= 10);
	assert_true(unavailable >= 6);
	free(index);
	workflow_free(wf);
	agents_free(agents);
	diags_release(&d);
}

/* One real transcript judged with its shipped preset; the judge is returned. */
static struct judge *judge_transcript(struct agent_set *agents, const struct workflow *wf,
				      const char *file, const char *agent, int status,
				      enum judge_verdict want, char **why)
{
	struct judge_cfg cfg;
	struct judge *j;
	size_t n;
	char *data = load_agent_fixture(file, &n);

	judge_cfg_init(&cfg, workflow_step(wf, "dev"), agents_find(agents, agent));
	j = judge_new(&cfg);
	judge_feed(j, data, n);
	free(data);
	assert_string_equal(judge_verdict_name(judge_finish(j, status, 0, why)),
			    judge_verdict_name(want));
	return j;
}

/*
 * What the agents' own fields add: denied tools, cost and usage, readable
 * words instead of JSON, a missing program, and retries that are not work.
 */
static void test_agent_fields(void **state)
{
	struct diags d = DIAGS_INIT;
	struct agent_set *agents = NULL;
	struct workflow *wf = NULL;
	const struct judge_usage *u;
	struct judge *j;
	char *why = NULL;

	(void)state;
	assert_int_equal(agents_load(TEST_SOURCE_DIR "/data/agents.yaml", &agents, &d), 0);
	assert_int_equal(workflow_load(TEST_SOURCE_DIR "/workflows/simple.yaml", agents, &wf, &d),
			 0);

	/* Bash denied in headless acceptEdits: exit 0 and a result, yet DENIED */
	j = judge_transcript(agents, wf, "claude-permission-denied.log", "claude", 0, JV_DENIED,
			     &why);
	assert_int_equal(judge_denials(j)->n, 1);
	assert_string_equal(judge_denials(j)->v[0], "Bash: ./tests/check.sh");
	assert_non_null(strstr(why, "1 tool use was denied (Bash: ./tests/check.sh)"));
	u = judge_usage(j);
	assert_true(u->has_cost);
	assert_true(u->cost_usd > 0.01587 && u->cost_usd < 0.01589);
	assert_int_equal(u->turns, 2);
	free(why);
	judge_free(j);

	/* cost, tokens and turns of a success; the agent's words, not JSON */
	j = judge_transcript(agents, wf, "claude-success.log", "claude", 0, JV_RESULT, &why);
	u = judge_usage(j);
	assert_true(u->seen && u->has_cost && u->cost_usd > 0.00793 && u->cost_usd < 0.00795);
	assert_true(u->input_tokens > 0 && u->output_tokens > 0);
	assert_int_equal(judge_denials(j)->n, 0);
	assert_non_null(strstr(judge_said(j), "AUTOMATOR_RESULT"));
	assert_null(strchr(judge_said(j), '{') == judge_said(j) ? "json" : NULL);
	free(why);
	judge_free(j);

	/* Codex: usage from turn.completed, no cost reported */
	j = judge_transcript(agents, wf, "codex-success.log", "codex", 0, JV_RESULT, &why);
	u = judge_usage(j);
	assert_false(u->has_cost);
	assert_int_equal(u->input_tokens, 1200);
	assert_int_equal(u->cache_read_tokens, 400);
	assert_int_equal(u->output_tokens, 42);
	assert_int_equal(u->turns, 1);
	free(why);
	judge_free(j);

	/* an expired login: the CLI's words for a human, never the raw event */
	j = judge_transcript(agents, wf, "claude-auth-expired.log", "claude", 1, JV_UNAVAILABLE,
			     &why);
	assert_non_null(strstr(judge_error_text(j), "Failed to authenticate"));
	assert_null(strstr(judge_error_text(j), "\"type\""));
	free(why);
	judge_free(j);

	/* Codex still reconnecting when it ended: retrying, judged network */
	j = judge_transcript(agents, wf, "codex-offline.log", "codex", -1, JV_NETWORK, &why);
	assert_true(judge_retrying(j));
	free(why);
	judge_free(j);

	workflow_free(wf);
	agents_free(agents);
	diags_release(&d);
}

/* A missing program, a declined Codex command, retry lines as text. */
static void test_service_edges(void **state)
{
	struct judge_cfg cfg = { 0 };
	struct patlist retrying = { 0 }, network = { 0 };
	struct judge *j;
	char *why = NULL;

	(void)state;
	cfg.expects_result = true;
	/* exit 127 and 126: the program could not be run, whatever it printed */
	j = judge_new(&cfg);
	feed_s(j, "sh: 1: claude: not found\n");
	assert_int_equal(judge_finish(j, 127, 0, &why), JV_UNAVAILABLE);
	assert_string_equal(why, "exit 127: the agent's program could not be found");
	free(why);
	assert_int_equal(judge_finish(j, 126, 0, &why), JV_UNAVAILABLE);
	free(why);
	judge_free(j);

	/* a declined command is a denial */
	cfg.output = "codex-json";
	j = judge_new(&cfg);
	feed_s(j,
	       "{\"type\":\"item.completed\",\"item\":{\"id\":\"i1\",\"type\":"
	       "\"command_execution\",\"command\":\"bash -lc 'make test'\",\"status\":"
	       "\"declined\"}}\n"
	       "{\"type\":\"item.completed\",\"item\":{\"id\":\"i2\",\"type\":"
	       "\"agent_message\",\"text\":\"AUTOMATOR_RESULT {\\\"status\\\":\\\"done\\\"}\"}}\n"
	       "{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}"
	       "\n");
	assert_int_equal(judge_finish(j, 0, 0, &why), JV_DENIED);
	assert_string_equal(judge_denials(j)->v[0], "command: bash -lc 'make test'");
	free(why);
	judge_free(j);

	/* plain retry lines: retrying until a line of work comes */
	pl_add(&retrying, "^Reconnecting\\.\\.\\.");
	pl_add(&network, "(?i)waiting for network");
	memset(&cfg, 0, sizeof(cfg));
	cfg.agent_retrying = &retrying;
	cfg.agent_network = &network;
	j = judge_new(&cfg);
	feed_s(j, "starting\n");
	assert_false(judge_retrying(j));
	assert_int_equal(judge_progress_count(j), 1);
	feed_s(j, "Reconnecting... waiting for network\nReconnecting... waiting for network\n");
	assert_true(judge_retrying(j));
	assert_int_equal(judge_progress_count(j), 1);
	assert_int_equal(judge_finish(j, -1, 1, &why), JV_NETWORK);
	assert_int_equal(judge_wait_reason(j), WAIT_NETWORK);
	free(why);
	judge_free(j);
	j = judge_new(&cfg);
	feed_s(j, "Reconnecting... waiting for network\nback to work\n");
	assert_false(judge_retrying(j));
	judge_free(j);
	patlist_release(&retrying);
	patlist_release(&network);
}

/*
 * The messages the issue quotes from the real CLIs, as their error events
 * carry them: each lands in its class with the shipped presets, none is a
 * failure of the code.
 */
static void test_service_messages(void **state)
{
	static const struct {
		const char *agent;
		const char *text;
		enum judge_verdict v;
		enum wait_reason w;
	} cases[] = {
		{ "claude", "You've hit your session limit · resets 10:57am (UTC)", JV_WAIT,
		  WAIT_USAGE_LIMIT },
		{ "claude", "You've hit your weekly limit · resets Dec 7, 9am (UTC)", JV_WAIT,
		  WAIT_USAGE_LIMIT },
		{ "claude", "Opus is experiencing high load, please use /model to switch", JV_WAIT,
		  WAIT_OVERLOADED },
		{ "claude",
		  "API Error: 500 {\"type\":\"error\",\"error\":{\"type\":\"api_error\"}}", JV_WAIT,
		  WAIT_SERVER_ERROR },
		{ "claude", "API Error: Connection error. (ECONNRESET)", JV_WAIT,
		  WAIT_SERVER_ERROR },
		{ "claude", "API Error: Request timed out.", JV_WAIT, WAIT_SERVER_ERROR },
		{ "claude",
		  "Failed to authenticate. API Error: 401 {\"type\":\"error\",\"error\":{\"type\":"
		  "\"authentication_error\",\"message\":\"OAuth token has expired.\"}}",
		  JV_UNAVAILABLE, WAIT_NONE },
		{ "claude", "Credit balance is too low", JV_UNAVAILABLE, WAIT_NONE },
		{ "claude", "Your account does not have access to Claude Code. Please run /login.",
		  JV_UNAVAILABLE, WAIT_NONE },
		{ "claude", "API Error: Unable to connect to API (ConnectionRefused)", JV_NETWORK,
		  WAIT_NETWORK },
		{ "codex", "You've hit your usage limit. Upgrade to Pro, or try again at 11:09 AM.",
		  JV_WAIT, WAIT_USAGE_LIMIT },
		{ "codex", "Selected model is at capacity. Please try a different model.", JV_WAIT,
		  WAIT_OVERLOADED },
		{ "codex",
		  "We're currently experiencing high demand, which may cause temporary errors.",
		  JV_WAIT, WAIT_OVERLOADED },
		{ "codex", "Quota exceeded. Check your plan and billing details.", JV_UNAVAILABLE,
		  WAIT_NONE },
		{ "codex", "Your workspace is out of credits. Add credits to continue.",
		  JV_UNAVAILABLE, WAIT_NONE },
		{ "codex", "You hit your spend cap. Raise it in the usage dashboard.",
		  JV_UNAVAILABLE, WAIT_NONE },
		{ "codex",
		  "To use Codex with your ChatGPT plan, upgrade to Plus: https://openai.com",
		  JV_UNAVAILABLE, WAIT_NONE },
		{ "codex",
		  "Your access token could not be refreshed because your refresh token has "
		  "expired. "
		  "Please log out and sign in again.",
		  JV_UNAVAILABLE, WAIT_NONE },
		{ "codex", "stream disconnected before completion: error sending request",
		  JV_NETWORK, WAIT_NETWORK },
		/* TLS: no retry fixes a proxy's certificate */
		{ "claude",
		  "API Error: Unable to connect to API: self signed certificate in certificate "
		  "chain",
		  JV_UNAVAILABLE, WAIT_NONE },
		{ "codex",
		  "Reconnecting... 1/5 (error sending request: invalid peer certificate: "
		  "UnknownIssuer)",
		  JV_UNAVAILABLE, WAIT_NONE },
	};
	struct diags d = DIAGS_INIT;
	struct agent_set *agents = NULL;

	(void)state;
	assert_int_equal(agents_load(TEST_SOURCE_DIR "/data/agents.yaml", &agents, &d), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bool codex = !strcmp(cases[i].agent, "codex");
		json_t *ev = codex ? json_pack("{s:s,s:{s:s}}", "type", "turn.failed", "error",
					       "message", cases[i].text)
				   : json_pack("{s:s,s:s,s:b,s:s}", "type", "result", "subtype",
					       "success", "is_error", 1, "result", cases[i].text);
		char *line = json_dumps(ev, JSON_COMPACT), *why = NULL;
		struct judge_cfg cfg;
		struct judge *j;
		enum judge_verdict v;

		judge_cfg_init(&cfg, NULL, agents_find(agents, cases[i].agent));
		j = judge_new(&cfg);
		feed_s(j, line);
		feed_s(j, "\n");
		v = judge_finish(j, 1, 0, &why);
		if (v != cases[i].v || judge_wait_reason(j) != cases[i].w)
			fail_msg("'%s': %s %s (%s)", cases[i].text, judge_verdict_name(v),
				 wait_reason_name(judge_wait_reason(j)), why);
		free(why);
		free(line);
		json_decref(ev);
		judge_free(j);
	}
	agents_free(agents);
	diags_release(&d);
}

static void test_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(judge_verdict_name(JV_RESULT), "result");
	assert_string_equal(judge_verdict_name(JV_SUCCESS), "success");
	assert_string_equal(judge_verdict_name(JV_FAILURE), "failure");
	assert_string_equal(judge_verdict_name(JV_NO_RESULT), "no-result");
	assert_string_equal(judge_verdict_name(JV_EXITED), "exited");
	assert_string_equal(judge_verdict_name(JV_WAIT), "wait");
	assert_string_equal(judge_verdict_name(JV_UNAVAILABLE), "unavailable");
	assert_string_equal(judge_verdict_name(JV_NETWORK), "network");
	assert_string_equal(judge_verdict_name(JV_DENIED), "denied");
	assert_string_equal(wait_reason_name(WAIT_USAGE_LIMIT), "usage-limit");
	assert_int_equal(wait_reason_from_name("server-error"), WAIT_SERVER_ERROR);
	assert_int_equal(wait_reason_from_name("bogus"), WAIT_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result_valid),
		cmocka_unit_test(test_result_failed_status),
		cmocka_unit_test(test_result_last_valid_wins),
		cmocka_unit_test(test_result_invalid),
		cmocka_unit_test(test_exit_rules),
		cmocka_unit_test(test_success_patterns),
		cmocka_unit_test(test_failure_patterns),
		cmocka_unit_test(test_rate_limit_and_unavailable),
		cmocka_unit_test(test_live_flags),
		cmocka_unit_test(test_ansi),
		cmocka_unit_test(test_carriage_return),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_utf8_split_across_feeds),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_long_line_utf8_boundary),
		cmocka_unit_test(test_result_split_across_feeds),
		cmocka_unit_test(test_prompt_waiting),
		cmocka_unit_test(test_prompt_waiting_json),
		cmocka_unit_test(test_usage_counts_bounded),
		cmocka_unit_test(test_claude_events),
		cmocka_unit_test(test_codex_events),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_fixtures_chunked),
		cmocka_unit_test(test_fixtures_other_exits),
		cmocka_unit_test(test_agent_transcripts),
		cmocka_unit_test(test_agent_transcripts_other_exits),
		cmocka_unit_test(test_cfg_init),
		cmocka_unit_test(test_empty_cfg),
		cmocka_unit_test(test_verdict_names),
		cmocka_unit_test(test_transcript_corpus),
		cmocka_unit_test(test_agent_fields),
		cmocka_unit_test(test_service_edges),
		cmocka_unit_test(test_service_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
