/* SPDX-License-Identifier: MIT */
/*
 * fuzz_template.c: template_render and tvars_set (template.h). The input is
 * the template, then NUL-separated values for a fixed list of names (the
 * rest keep default values, some holding braces). Oracles: no crash, leak
 * or UB; the result equals a separately written reference (every {name}
 * of a set name replaced by its value, inserted verbatim and never expanded
 * again, anything else kept as written); no variables leave the template
 * unchanged; tvars_set replaces a name's value in place.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "template.h"

static const char *const names[] = { "story.id", "story.key", "step", "root", "a", "x_y",
				     "prompt",   "z.",        "_",    "Up",   "" };
static const char *const defaults[] = { "1.2", "{story.id}", "",  "/r", "A", "{a}",
					"{{",  "}",          "x", "U",  "e" };

static char *reference(const char *t, const struct tvars *v)
{
	struct buf b = BUF_INIT;

	while (*t) {
		size_t n = 0, i = v->n;

		if (*t == '{') {
			while (t[1 + n] && strchr("abcdefghijklmnopqrstuvwxyz_.", t[1 + n]))
				n++;
			if (n && t[1 + n] == '}')
				for (i = 0; i < v->n; i++)
					if (strlen(v->name[i]) == n &&
					    !memcmp(v->name[i], t + 1, n))
						break;
		}
		if (i < v->n) {
			buf_adds(&b, v->value[i]);
			t += n + 2;
		} else {
			buf_addc(&b, *t++);
		}
	}
	return buf_detach(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size), *got, *want;
	const char *end = text + size, *p = text + strlen(text) + 1;
	struct tvars none = { 0 }, v = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		tvars_set(&v, names[i], p < end ? p : defaults[i]);
		if (p < end)
			p += strlen(p) + 1;
	}
	tvars_set(&v, "a", "A2"); /* replaces */
	FUZZ_CHECK(v.n == ARRAY_SIZE(names) && !strcmp(v.value[4], "A2"),
		   "tvars_set did not replace 'a'");

	got = template_render(text, &none);
	fuzz_same(got, text, "a template rendered without variables");
	free(got);
	got = template_render(text, &v);
	want = reference(text, &v);
	fuzz_same(got, want, "template_render and the reference");
	free(got);
	free(want);
	free(text);
	return 0;
}
