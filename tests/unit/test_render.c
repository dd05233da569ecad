/* SPDX-License-Identifier: MIT */
/*
 * test_render.c: the renderer (render.h). Every recorded agent transcript
 * (tests/fixtures/agents/claude-*.log and codex-*.log, claude-tools.log and
 * codex-tools.log the real CLIs' tool calls) and the hand-made ones with
 * what the real ones cannot show (the .log files of tests/fixtures/render)
 * are rendered and compared byte for byte with tests/golden/render/NAME.txt
 * (handmade-NAME.txt for the hand-made), fed whole and fed a byte at a time
 * (the output must not depend on how the bytes come).
 * Then the edges: lines and UTF-8 characters split across chunks, carriage
 * return redraws, escape sequences, malformed JSON, 1 MB lines, lines
 * longer than the limit, and the guess of a log's format.
 *
 * To accept changed renderings after an intended change, run
 *   UPDATE_GOLDEN=1 ctest -R unit/test_render
 * (or the test binary with UPDATE_GOLDEN=1) and read the diff.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "render.h"
#include "render_int.h"
#include "util.h"

static void collect(const char *s, size_t n, void *arg)
{
	buf_add(arg, s, n);
}

/* Renders s[0..n) fed in chunks of step bytes (0: whole); newly allocated. */
static char *render_chunks(const struct render_opts *o, const char *s, size_t n, size_t step)
{
	struct buf out = BUF_INIT;
	struct render *r = render_new(o, collect, &out);

	for (size_t i = 0; i < n;) {
		size_t k = step && n - i > step ? step : n - i;

		render_feed(r, s + i, k);
		i += k;
	}
	render_finish(r);
	render_free(r);
	return out.s ? buf_detach(&out) : xstrdup("");
}

static char *render_mode_str(enum render_mode m, const char *s, size_t step)
{
	struct render_opts o = { m, false, false, 0, NULL };

	return render_chunks(&o, s, strlen(s), step);
}

/* Renders s in mode m whole, then a byte at a time, then in 3-byte chunks: all must give want. */
static void check(enum render_mode m, const char *s, const char *want)
{
	size_t steps[] = { 0, 1, 3 };

	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		char *got = render_mode_str(m, s, steps[i]);

		if (strcmp(got, want))
			fail_msg("chunks of %zu: input\n%s\nwant\n%s\ngot\n%s", steps[i], s, want,
				 got);
		free(got);
	}
}

/* ---- golden renderings of the transcripts ---- */

static int golden_one(const char *dir, const char *name, const char *prefix)
{
	char *path = xstrfmt("%s/%s/%s", TEST_SOURCE_DIR, dir, name);
	char *gold = xstrfmt("%s/tests/golden/render/%s%.*s.txt", TEST_SOURCE_DIR, prefix,
			     (int)(strlen(name) - 4), name);
	struct render_opts o = { str_starts_with(name, "codex-") ? RENDER_CODEX : RENDER_CLAUDE,
				 false, false, 0, NULL };
	const char *update = getenv("UPDATE_GOLDEN");
	char *log, *whole, *bytewise, *want = NULL;
	size_t len, wlen;
	int bad = 0;

	if (read_file(path, &log, &len) < 0)
		fail_msg("cannot read %s", path);
	whole = render_chunks(&o, log, len, 0);
	bytewise = render_chunks(&o, log, len, 1);
	if (strcmp(whole, bytewise)) {
		print_error("%s: fed a byte at a time it renders otherwise:\n%s\n--- whole:\n%s\n",
			    name, bytewise, whole);
		bad = 1;
	}
	/* the guess of the format agrees, where the log holds any event */
	if (render_detect(log, len) != o.mode && strcmp(name, "claude-root-skip-permissions.log")) {
		print_error("%s: guessed as %s\n", name, render_mode_name(render_detect(log, len)));
		bad = 1;
	}
	if (update && !strcmp(update, "1")) {
		if (write_file_atomic(gold, whole, strlen(whole), 0644) < 0)
			fail_msg("cannot write %s", gold);
		print_message("rewrote %s\n", gold);
	} else if (read_file(gold, &want, &wlen) < 0) {
		print_error("cannot read %s (UPDATE_GOLDEN=1 creates it)\n", gold);
		bad = 1;
	} else if (strcmp(want, whole)) {
		print_error("%s renders otherwise than %s (if intended: UPDATE_GOLDEN=1, read the "
			    "diff)\n--- got:\n%s",
			    name, gold, whole);
		bad = 1;
	}
	free(want);
	free(whole);
	free(bytewise);
	free(log);
	free(gold);
	free(path);
	return bad;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Renders every claude-*.log and codex-*.log of dir (goldens PREFIXNAME.txt); returns how many. */
static size_t golden_dir(const char *dir, const char *prefix, int *bad)
{
	char *path = xstrfmt("%s/%s", TEST_SOURCE_DIR, dir);
	DIR *d = opendir(path);
	struct dirent *e;
	struct strvec names = STRVEC_INIT;

	if (!d)
		fail_msg("cannot open %s", path);
	while ((e = readdir(d)))
		if ((str_starts_with(e->d_name, "claude-") ||
		     str_starts_with(e->d_name, "codex-")) &&
		    str_ends_with(e->d_name, ".log"))
			strvec_push(&names, e->d_name);
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (size_t i = 0; i < names.n; i++)
		*bad |= golden_one(dir, names.v[i], prefix);
	free(path);
	{
		size_t n = names.n;

		strvec_release(&names);
		return n;
	}
}

static void test_golden(void **state)
{
	int bad = 0;

	(void)state;
	/* the recorded set has 26 transcripts: an empty glob passes nothing */
	assert_true(golden_dir("tests/fixtures/agents", "", &bad) >= 26);
	assert_true(golden_dir("tests/fixtures/render", "handmade-", &bad) >= 2);
	assert_int_equal(bad, 0);
}

/* ---- chunks ---- */

static void test_line_split_across_chunks(void **state)
{
	const char *ev = "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\","
			 "\"text\":\"hello there\"}]}}\r\n";
	struct render_opts o = { RENDER_CLAUDE, false, false, 0, NULL };
	struct buf out = BUF_INIT;
	struct render *r = render_new(&o, collect, &out);

	(void)state;
	render_feed(r, ev, 30);
	assert_int_equal(out.len, 0); /* nothing before the line is whole */
	render_feed(r, ev + 30, strlen(ev) - 30);
	assert_string_equal(buf_str(&out), "hello there\n");
	render_feed(r, "no newline at the end", 21);
	assert_string_equal(buf_str(&out), "hello there\n");
	render_finish(r);
	assert_string_equal(buf_str(&out), "hello there\nno newline at the end\n");
	render_free(r);
	buf_release(&out);
}

/* Codex names no directory of its own: the one given makes its paths relative. */
static void test_codex_paths_relative(void **state)
{
	struct render_opts o = { RENDER_CODEX, false, false, 0, "/w/p/.automator/worktrees/1.1" };
	struct buf out = BUF_INIT;
	struct render *r = render_new(&o, collect, &out);
	const char *ev = "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_3\",\"type\":"
			 "\"file_change\",\"changes\":[{\"path\":\"/w/p/.automator/worktrees/1.1/"
			 "src/a.sh\",\"kind\":\"update\"},{\"path\":\"/elsewhere/b.sh\",\"kind\":"
			 "\"add\"}],\"status\":\"completed\"}}\n";

	(void)state;
	render_feed(r, ev, strlen(ev));
	render_finish(r);
	assert_string_equal(buf_str(&out), "Patch update src/a.sh, add /elsewhere/b.sh\n");
	render_free(r);
	buf_release(&out);
}

static void test_utf8_split_across_chunks(void **state)
{
	struct render_opts o = { RENDER_TEXT, false, false, 0, NULL };
	struct buf out = BUF_INIT;
	struct render *r = render_new(&o, collect, &out);

	(void)state;
	/* "é" is c3 a9, "€" e2 82 ac: each split between two feeds */
	render_feed(r, "caf\xc3", 4);
	render_feed(r, "\xa9 10 \xe2\x82", 7);
	render_feed(r, "\xac\r\n", 3);
	/* written over after a carriage return: one character replaces one */
	render_feed(r, "\xe2\x82\xac\xe2\x82", 5);
	render_feed(r, "\xac\xe2\x82\xac\r\xc3", 6);
	render_feed(r, "\xa9\n", 2);
	assert_string_equal(buf_str(&out), "caf\xc3\xa9 10 \xe2\x82\xac\n"
					   "\xc3\xa9\xe2\x82\xac\xe2\x82\xac\n");
	render_free(r);
	buf_release(&out);
	/* and in a JSON event: the middle dot of "Not logged in · Please" */
	check(RENDER_CLAUDE,
	      "{\"type\":\"assistant\",\"error\":\"authentication_failed\",\"message\":{\"model\":"
	      "\"<synthetic>\",\"content\":[{\"type\":\"text\",\"text\":\"Not logged in \xc2\xb7 "
	      "Please run /login\"}]}}\r\n",
	      "error (authentication_failed): Not logged in \xc2\xb7 Please run /login\n");
}

/* ---- the terminal: redraws and escapes ---- */

static void test_redraws(void **state)
{
	(void)state;
	check(RENDER_TEXT, "10%\r50%\r100%\n", "100%\n");
	check(RENDER_TEXT, "downloading 10%\rdone\033[K\n", "done\n");
	check(RENDER_TEXT, "downloading\rdone\n", "doneloading\n"); /* as a terminal shows it */
	check(RENDER_TEXT, "abc\b\bX\n", "aXc\n");
	check(RENDER_TEXT, "old text\033[2K\rnew\n", "new\n");
	check(RENDER_TEXT, "hello\033[1Gj\n", "jello\n");
	check(RENDER_TEXT, "ab\033[3Cc\n", "ab   c\n");
	check(RENDER_TEXT, "abcdef\033[3D\033[1K\n", "    ef\n");
	check(RENDER_TEXT, "a\r\nb\r\n\r\nc", "a\nb\n\nc\n");
	/* a spinner: each frame over the last, then the line it leaves */
	check(RENDER_TEXT, "\033[?25l| working\r/ working\r- working\r\033[Kworked\n\033[?25h",
	      "worked\n");
}

static void test_escapes_dropped(void **state)
{
	(void)state;
	check(RENDER_TEXT, "\033[1;31mred\033[0m and \033[38;5;82mgreen\033[m\n",
	      "red and green\n");
	check(RENDER_TEXT, "\033]0;a title\atext\n", "text\n");
	check(RENDER_TEXT, "\033]8;;http://x\033\\link\033]8;;\033\\\n", "link\n");
	check(RENDER_TEXT, "\033(B\033=\033[?1049h\033[2J\033[Hscreen\n", "screen\n");
	check(RENDER_TEXT, "bell\a and \x0fshift\n", "bell and shift\n");
	/* a line of escapes only is left out; an empty line is kept */
	check(RENDER_TEXT, "a\n\033[?25h\r\n\nb\n", "a\n\nb\n");
	/* the runner's end marker and its exit line */
	check(RENDER_TEXT,
	      "AUTOMATOR_RESULT {\"status\":\"done\"}\r\n\033[?25h\033]777;automator-end;"
	      "run-1.1-dev-1\a\r\nautomator: the agent exited with status 0\r\n",
	      "AUTOMATOR_RESULT {\"status\":\"done\"}\nautomator: the agent exited with status "
	      "0\n");
	check(RENDER_CLAUDE,
	      "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"num_turns\":1}\r\n"
	      "\033[?25h\033]777;automator-end;n\a\r\nautomator: the agent exited with status "
	      "0\r\n",
	      "result: ok, 1 turn\nautomator: the agent exited with status 0\n");
	/* an unterminated string sequence does not swallow the lines after it */
	check(RENDER_TEXT, "\033]0;no end\nnext\n", "next\n");
	/* escapes inside an event's text stay out too */
	check(RENDER_CLAUDE,
	      "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":"
	      "\"\\u001b[31mred\\u001b[0m \\u0007bell\"}]}}\n",
	      "red bell\n");
}

/* ---- malformed input ---- */

static void test_malformed_json(void **state)
{
	(void)state;
	/* not JSON, or not an object: shown as it is */
	check(RENDER_CLAUDE, "{\"type\":\"assistant\",\"message\":{\n",
	      "{\"type\":\"assistant\",\"message\":{\n");
	check(RENDER_CLAUDE, "[1,2]\nnull\n\"str\"\n{]\n", "[1,2]\nnull\n\"str\"\n{]\n");
	check(RENDER_CODEX, "{\"type\":\"item.completed\",\"item\":\n",
	      "{\"type\":\"item.completed\",\"item\":\n");
	/* members missing or of another type: left out, never a crash */
	check(RENDER_CLAUDE,
	      "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":42},"
	      "{\"type\":\"tool_use\"},{\"type\":\"tool_use\",\"name\":\"Edit\",\"input\":7},"
	      "{\"type\":\"tool_use\",\"name\":\"TodoWrite\",\"input\":{\"todos\":\"x\"}}]}}\n"
	      "{\"type\":\"assistant\",\"message\":\"x\"}\n"
	      "{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_result\","
	      "\"tool_use_id\":5,\"is_error\":true,\"content\":{}}]}}\n"
	      "{\"type\":\"result\"}\n{\"type\":7}\n{}\n"
	      "{\"type\":\"system\",\"subtype\":\"api_retry\",\"attempt\":\"x\"}\n"
	      "{\"type\":\"rate_limit_event\",\"rate_limit_info\":{\"status\":\"rejected\","
	      "\"resetsAt\":-99999999999999}}\n",
	      "tool\nEdit ? (+0 −0)\nTodo (0)\n  error\nresult: ok\nAPI retry 0/0\n"
	      "usage limit reached (?)\n");
	check(RENDER_CODEX,
	      "{\"type\":\"item.completed\",\"item\":\"x\"}\n"
	      "{\"type\":\"item.completed\",\"item\":{\"type\":\"command_execution\"}}\n"
	      "{\"type\":\"item.completed\",\"item\":{\"type\":\"file_change\",\"changes\":[1]}}\n"
	      "{\"type\":\"turn.failed\"}\n{\"type\":\"error\",\"message\":null}\n"
	      "{\"type\":\"turn.completed\",\"usage\":[]}\n",
	      "$ ?\nPatch update ?\nturn failed\n");
	/* invalid UTF-8 in a text line is passed on, not refused */
	check(RENDER_CODEX, "bad \xff\xfe bytes\n", "bad \xff\xfe bytes\n");
}

/* ---- long lines ---- */

static void test_megabyte_lines(void **state)
{
	size_t n = 1 << 20;
	char *text = xmalloc(n + 2), *got;
	struct buf ev = BUF_INIT, want = BUF_INIT;

	(void)state;
	memset(text, 'a', n);
	text[n] = '\n';
	text[n + 1] = '\0';
	got = render_mode_str(RENDER_TEXT, text, 4096);
	assert_true(strcmp(got, text) == 0);
	free(got);
	/* an event holding a megabyte of text */
	text[n] = '\0';
	buf_addf(&ev,
		 "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\","
		 "\"text\":\"%s\"}]}}\r\n",
		 text);
	got = render_mode_str(RENDER_CLAUDE, ev.s, 65536);
	buf_addf(&want, "%s\n", text);
	assert_true(strcmp(got, want.s) == 0);
	free(got);
	buf_release(&ev);
	buf_release(&want);
	free(text);
}

static void test_overlong_lines(void **state)
{
	struct render_opts o = { RENDER_CLAUDE, false, false, 1000, NULL };
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct render *r;
	char *got;

	(void)state;
	/* an event longer than the limit (5070 bytes and a CR): told in a line, the next one shown */
	buf_adds(&in, "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\","
		      "\"text\":\"");
	for (int i = 0; i < 500; i++)
		buf_adds(&in, "0123456789");
	buf_adds(&in, "\"}]}}\r\n{\"type\":\"result\",\"is_error\":false}\r\n");
	r = render_new(&o, collect, &out);
	for (size_t i = 0; i < in.len; i += 100)
		render_feed(r, in.s + i, in.len - i < 100 ? in.len - i : 100);
	/* the memory held stays near the limit */
	assert_true(r->line.cap <= 4 * o.line_max);
	render_finish(r);
	render_free(r);
	assert_string_equal(buf_str(&out), "[a line of 5070 bytes, longer than the 1000 a line may "
					   "hold: not shown]\n"
					   "result: ok\n");
	buf_release(&out);
	/* text longer than the limit: in pieces, never inside a UTF-8 character */
	buf_reset(&in);
	for (int i = 0; i < 1500; i++)
		buf_adds(&in, "\xc3\xa9");
	buf_addc(&in, '\n');
	o.mode = RENDER_TEXT;
	o.line_max = 1001;
	got = render_chunks(&o, in.s, in.len, 7);
	{
		size_t pieces = 0, total = 0;

		for (const char *p = got; *p;) {
			size_t k = strcspn(p, "\n");

			assert_true(k <= 1001);
			for (size_t i = 0; i < k; i += 2)
				assert_memory_equal(p + i, "\xc3\xa9", 2);
			total += k;
			pieces++;
			p += k + 1;
		}
		assert_int_equal(total, 3000);
		assert_int_equal(pieces, 3);
	}
	free(got);
	buf_release(&in);
}

/* ---- options ---- */

static void test_color_and_crlf(void **state)
{
	struct render_opts o = { RENDER_CODEX, true, true, 0, NULL };
	const char *in = "{\"type\":\"error\",\"message\":\"boom\"}\nplain\n"
			 "{\"type\":\"item.started\",\"item\":{\"id\":\"1\",\"type\":"
			 "\"command_execution\",\"command\":\"make\"}}\n";
	char *got = render_chunks(&o, in, strlen(in), 0);

	(void)state;
	assert_string_equal(got,
			    "\033[31merror: boom\033[0m\r\nplain\r\n\033[36m$ make\033[0m\r\n");
	free(got);
}

static void test_modes_and_detect(void **state)
{
	enum render_mode m = RENDER_CODEX;

	(void)state;
	assert_int_equal(render_mode_parse("claude-stream-json", &m), 0);
	assert_int_equal(m, RENDER_CLAUDE);
	assert_int_equal(render_mode_parse("codex-json", &m), 0);
	assert_int_equal(m, RENDER_CODEX);
	assert_int_equal(render_mode_parse("text", &m), 0);
	assert_int_equal(m, RENDER_TEXT);
	assert_int_equal(render_mode_parse("yaml", &m), -1);
	assert_int_equal(render_mode_parse(NULL, &m), -1);
	assert_string_equal(render_mode_name(RENDER_CLAUDE), "claude-stream-json");
	assert_int_equal(render_detect("", 0), RENDER_TEXT);
	assert_int_equal(render_detect("Working on: it\nAUTOMATOR_RESULT {}\n", 35), RENDER_TEXT);
	{
		const char *s = "WARNING: x\r\n{\"type\":\"thread.started\"}\r\n";
		const char *cut = "{\"type\":\"system\",\"subtype\":\"init\",\"tools\":[\"Bash\"";
		const char *other =
			"{\"level\":\"info\"}\n{\"type\":\"result\",\"is_error\":false}\n";

		assert_int_equal(render_detect(s, strlen(s)), RENDER_CODEX);
		assert_int_equal(render_detect(cut, strlen(cut)), RENDER_CLAUDE);
		assert_int_equal(render_detect(other, strlen(other)), RENDER_CLAUDE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_line_split_across_chunks),
		cmocka_unit_test(test_utf8_split_across_chunks),
		cmocka_unit_test(test_codex_paths_relative),
		cmocka_unit_test(test_redraws),
		cmocka_unit_test(test_escapes_dropped),
		cmocka_unit_test(test_malformed_json),
		cmocka_unit_test(test_megabyte_lines),
		cmocka_unit_test(test_overlong_lines),
		cmocka_unit_test(test_color_and_crlf),
		cmocka_unit_test(test_modes_and_detect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
