/* SPDX-License-Identifier: MIT */
/*
 * fuzz_triggers.c: triggers_load (data/triggers.yaml, config.h) on any
 * bytes. Oracles: no crash, leak or UB; errors about the file positioned
 * within it as "file:line:col: msg"; -1 with errors and *out untouched, 0
 * without; a second load gives the same result; a loaded catalogue holds
 * every required trigger, each found by its key, with option keys 1-9 or X
 * and known actions.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "harness.h"

static void summary(struct buf *b, const struct trigger_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct trigger *t = &s->v[i];

		buf_addf(b, "%d %s '%s' %d %d [%s]\n", t->id, t->key, t->title ? t->title : "-",
			 (int)t->category, (int)t->severity, t->message ? t->message : "-");
		for (size_t k = 0; k < t->noptions; k++)
			buf_addf(b, "  %s '%s' %s\n", t->options[k].key, t->options[k].label,
				 trigger_action_names[t->options[k].action]);
	}
}

static struct trigger_set *load(const char *path, const uint8_t *data, size_t size, struct buf *out)
{
	struct diags d = DIAGS_INIT;
	struct trigger_set *s = (struct trigger_set *)&d; /* a sentinel: must stay untouched */
	int ret = triggers_load(path, &s, &d);

	if (fuzz_check_load(ret, s == (struct trigger_set *)&d, &d, "triggers_load", path, data,
			    size, out)) {
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
	char *path = fuzz_write("triggers.yaml", data, size);
	struct buf first = BUF_INIT, second = BUF_INIT;
	struct trigger_set *s = load(path, data, size, &first);
	struct trigger_set *s2 = load(path, data, size, &second);

	fuzz_same(first.s, second.s, "two loads of the same triggers file");
	for (const char *const *k = required_triggers; s && *k; k++)
		FUZZ_CHECK(triggers_find(s, *k), "required trigger '%s' missing", *k);
	for (size_t i = 0; s && i < s->n; i++) {
		const struct trigger *t = &s->v[i];

		FUZZ_CHECK(triggers_find(s, t->key) == t, "trigger '%s' not found by its key",
			   t->key);
		for (size_t k = 0; k < t->noptions; k++) {
			const struct trigger_option *o = &t->options[k];

			FUZZ_CHECK((unsigned)o->action < TA__COUNT, "option action %d",
				   (int)o->action);
			FUZZ_CHECK(strlen(o->key) == 1 && strchr("123456789X", o->key[0]),
				   "option key '%s' of trigger '%s'", o->key, t->key);
		}
	}
	triggers_free(s);
	triggers_free(s2);
	buf_release(&first);
	buf_release(&second);
	free(path);
	return 0;
}
