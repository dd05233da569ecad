/* SPDX-License-Identifier: MIT */
/*
 * template.c: placeholder substitution. Must not quote, escape or
 * interpret the values: callers pass results as argv words or file text.
 */
#include <string.h>

#include "template.h"
#include "util.h"

void tvars_set(struct tvars *v, const char *name, const char *value)
{
	for (size_t i = 0; i < v->n; i++) {
		if (!strcmp(v->name[i], name)) {
			v->value[i] = value ? value : "";
			return;
		}
	}
	if (v->n == TVARS_MAX)
		xdie("too many template variables");
	v->name[v->n] = name;
	v->value[v->n] = value ? value : "";
	v->n++;
}

char *template_render(const char *tpl, const struct tvars *v)
{
	struct buf b = BUF_INIT;
	const char *p = tpl;

	for (;;) {
		const char *open = strchr(p, '{'), *close;
		size_t i, len;

		if (!open) {
			buf_adds(&b, p);
			break;
		}
		buf_add(&b, p, (size_t)(open - p));
		len = strspn(open + 1, "abcdefghijklmnopqrstuvwxyz_.");
		close = open + 1 + len;
		if (len && *close == '}') {
			for (i = 0; i < v->n; i++)
				if (strlen(v->name[i]) == len &&
				    !strncmp(v->name[i], open + 1, len))
					break;
			if (i < v->n) {
				buf_adds(&b, v->value[i]);
				p = close + 1;
				continue;
			}
		}
		buf_addc(&b, '{');
		p = open + 1;
	}
	return buf_detach(&b);
}
