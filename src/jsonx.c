/* SPDX-License-Identifier: MIT */
/*
 * jsonx.c: small jansson helpers shared by the JSON writers.
 */
#include <stdio.h>
#include <stdlib.h>

#include "jsonx.h"
#include "util.h"

json_t *jsonx_str(const char *s)
{
	json_t *v = json_string(s);
	char *copy;

	if (v)
		return v;
	copy = xstrdup(s);
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

json_t *jsonx_add_warnings(json_t *o, const struct diags *d)
{
	json_t *a;

	if (!o || !d || !d->n)
		return o;
	a = json_object_get(o, "warnings");
	if (!a) {
		a = json_array();
		json_object_set_new(o, "warnings", a);
	}
	for (size_t i = 0; i < d->n; i++) {
		char *m = diag_format_warning(&d->v[i]);

		json_array_append_new(a, jsonx_str(m));
		free(m);
	}
	return o;
}

void jsonx_print(json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER) : NULL;

	if (!s)
		xdie("cannot encode json");
	puts(s);
	free(s);
	json_decref(v);
}
