/* SPDX-License-Identifier: MIT */
/*
 * bmadcfg.c: BMAD's configuration, read for the paths automator needs (the
 * story folders). Lenient: these files are BMAD's, not ours; a file that
 * does not parse is a warning and the defaults apply.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bmadcfg.h"
#include "ydoc.h"

/*
 * BMAD's config files, the keys naming story folders and those naming the
 * sprint-status's folder (sprint_artifacts: BMAD 6 alpha), most specific
 * first.
 */
static const struct {
	const char *file;
	const char *keys[3];
	const char *status_keys[3];
	bool alternative; /* skipped when an earlier file of the same kind was read */
} config_files[] = {
	{ "_bmad/bmm/config.yaml",
	  { "story_location", "implementation_artifacts", "sprint_artifacts" },
	  { "implementation_artifacts", "sprint_artifacts", NULL },
	  false },
	{ "bmad/bmm/config.yaml",
	  { "story_location", "implementation_artifacts", "sprint_artifacts" },
	  { "implementation_artifacts", "sprint_artifacts", NULL },
	  true },
	{ ".bmad-core/core-config.yaml",
	  { "devStoryLocation", NULL, NULL },
	  { NULL, NULL, NULL },
	  false },
};

static const char *const default_dirs[] = {
	"_bmad-output/implementation-artifacts",
	"_bmad-output",
	"docs/stories",
};

/* Where BMAD versions put sprint-status.yaml when no config says. */
static const char *const default_status_dirs[] = {
	"_bmad-output/implementation-artifacts",
	"_bmad-output",
	"docs/sprint-artifacts",
	"docs",
};

/* Adds root/rel (or rel when absolute) to dirs unless it is there already. */
static void add_dir(const char *root, const char *rel, struct strvec *dirs, size_t *added)
{
	char *p;
	size_t n;

	while (rel[0] == '.' && rel[1] == '/')
		rel += 2 + strspn(rel + 2, "/");
	if (!strcmp(rel, "."))
		rel = "";
	p = *rel ? path_join(root, rel) : xstrdup(root);
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	for (size_t i = 0; i < dirs->n; i++) {
		if (!strcmp(dirs->v[i], p)) {
			free(p);
			return;
		}
	}
	strvec_push_nodup(dirs, p);
	(*added)++;
}

/* The string value of key in map, or NULL. */
static const char *scalar(const struct ynode *map, const char *key)
{
	const struct ynode *v = ynode_get(map, key);

	return v && v->kind == YN_SCALAR && !ynode_is_null(v) && *v->str ? v->str : NULL;
}

/*
 * v with {project-root} removed (the value is then relative to root) and
 * {key} replaced by map's key (one level); newly allocated, or NULL when a
 * placeholder cannot be resolved.
 */
static char *expand(const char *v, const struct ynode *map, int depth)
{
	struct buf b = BUF_INIT;
	const char *p = v;

	while (*p) {
		const char *open = strchr(p, '{'), *close;

		if (!open) {
			buf_adds(&b, p);
			break;
		}
		close = strchr(open, '}');
		if (!close)
			goto fail;
		buf_add(&b, p, (size_t)(open - p));
		if (!strncmp(open, "{project-root}", 14)) {
			/* relative to root from here on */
			if (open != v)
				goto fail;
			close += strspn(close + 1, "/");
		} else {
			char *name = xstrndup(open + 1, (size_t)(close - open - 1));
			const char *sub = depth ? NULL : scalar(map, name);
			char *x = sub ? expand(sub, map, depth + 1) : NULL;

			free(name);
			if (!x)
				goto fail;
			buf_adds(&b, x);
			free(x);
		}
		p = close + 1;
	}
	{
		char *r = xstrdup(buf_str(&b));

		buf_release(&b);
		return r;
	}
fail:
	buf_release(&b);
	return NULL;
}

/*
 * The last config file parsed, kept for the next question about the same
 * project: a helper call asks for the sprint-status's folder and then for
 * the story folders, and each used to parse the file again. Keyed by path
 * and content (the file is read each time, a few hundred bytes, and parsed
 * only when its bytes changed), so an edit is never missed, whatever the
 * timestamps' granularity. Kept to the end of the process (reachable, not a
 * leak).
 */
static struct {
	char *path; /* NULL: empty */
	char *text; /* the bytes parsed; NULL: the file could not be read */
	size_t len;
	int ok;              /* it parsed: doc holds it */
	struct ydoc doc;     /* when ok */
	struct diags errors; /* when not ok: why it did not load */
} cache;

static void cache_drop(void)
{
	if (cache.ok)
		ydoc_release(&cache.doc);
	diags_release(&cache.errors);
	free(cache.path);
	free(cache.text);
	memset(&cache, 0, sizeof(cache));
}

/*
 * The parsed config file path: 0 with *doc, or -1 with *errors (both
 * borrowed from the cache: valid until the next call), as
 * ydoc_load_flags(YDOC_DUPLICATE_KEYS) would load it.
 */
static int load_config(const char *path, const struct ydoc **doc, const struct diags **errors)
{
	char *text, *why = NULL;
	size_t len;

	if (read_text_file(path, CONFIG_FILE_MAX, &text, &len, &why) < 0) {
		/* ydoc_load_flags says why, in its own words; never a cache hit */
		free(why);
		cache_drop();
		cache.path = xstrdup(path);
		cache.ok =
			ydoc_load_flags(&cache.doc, path, YDOC_DUPLICATE_KEYS, &cache.errors) == 0;
	} else if (cache.text && !strcmp(cache.path, path) && cache.len == len &&
		   !memcmp(cache.text, text, len)) {
		free(text);
	} else {
		cache_drop();
		cache.path = xstrdup(path);
		cache.text = text;
		cache.len = len;
		cache.ok = ydoc_parse_flags(&cache.doc, path, text, len, YDOC_DUPLICATE_KEYS,
					    &cache.errors) == 0;
	}
	*doc = &cache.doc;
	*errors = &cache.errors;
	return cache.ok ? 0 : -1;
}

/*
 * Adds the folders config file which names under status ? its status_keys
 * : its keys; returns false when it does not exist.
 */
static bool read_config(const char *root, size_t which, bool status, struct strvec *dirs,
			struct diags *warnings, size_t *added)
{
	const char *const *keys =
		status ? config_files[which].status_keys : config_files[which].keys;

	char *path = path_join(root, config_files[which].file);
	const struct ydoc *doc;
	const struct diags *d;
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		free(path);
		return false;
	}
	if (load_config(path, &doc, &d) < 0) {
		if (warnings) {
			char *why = d->n ? xstrdup(d->v[0].msg) : xstrdup("cannot be read");

			diags_add(warnings, path, d->n ? d->v[0].line : 0, d->n ? d->v[0].col : 0,
				  "BMAD config not used (%s): default story folders apply", why);
			free(why);
		}
		free(path);
		return true;
	}
	for (size_t i = 0; i < 3; i++) {
		const char *key = keys[i];
		const struct ynode *v = key && doc->root ? ynode_get(doc->root, key) : NULL;
		char *x;

		if (!v || v->kind != YN_SCALAR || ynode_is_null(v) || !*v->str)
			continue;
		x = expand(v->str, doc->root, 0);
		if (!x) {
			if (warnings)
				diags_add(warnings, path, v->line, v->col,
					  "cannot resolve %s '%s': not used", key, v->str);
			continue;
		}
		add_dir(root, x, dirs, added);
		free(x);
	}
	free(path);
	return true;
}

/* The sprint-status's top-level story_location: value, read line by line. */
static void status_location(const char *root, const char *status_file, struct strvec *dirs,
			    size_t *added)
{
	char *path, *text;
	const char *p;

	if (!status_file)
		return;
	path = path_join(root, status_file);
	if (read_file(path, &text, NULL) < 0) {
		free(path);
		return;
	}
	for (p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (!strncmp(p, "story_location:", 15)) {
			const char *v = p + 15, *end = p + len, *hash;
			char *val, *x;

			v += strspn(v, " \t");
			/* a comment after the value */
			for (hash = v; hash < end && !(*hash == '#' && hash > v &&
						       (hash[-1] == ' ' || hash[-1] == '\t'));
			     hash++)
				;
			end = hash;
			while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
				end--;
			if (end - v >= 2 && (*v == '"' || *v == '\'') && end[-1] == *v) {
				v++;
				end--;
			}
			val = xstrndup(v, (size_t)(end - v));
			x = *val ? expand(val, NULL, 1) : NULL;
			if (x)
				add_dir(root, x, dirs, added);
			free(x);
			free(val);
			break;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	free(text);
	free(path);
}

size_t bmadcfg_story_dirs(const char *root, const char *status_file, struct strvec *dirs,
			  struct diags *warnings)
{
	size_t added = 0;
	bool read = false;

	for (size_t i = 0; i < ARRAY_SIZE(config_files); i++) {
		if (config_files[i].alternative && read)
			continue;
		read = read_config(root, i, false, dirs, warnings, &added);
	}
	status_location(root, status_file, dirs, &added);
	for (size_t i = 0; i < ARRAY_SIZE(default_dirs); i++)
		add_dir(root, default_dirs[i], dirs, &added);
	return added;
}

char *bmadcfg_status_file(const char *root)
{
	struct strvec dirs = STRVEC_INIT;
	size_t added = 0;
	bool read = false;
	char *found = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(config_files); i++) {
		if (config_files[i].alternative && read)
			continue;
		if (!config_files[i].status_keys[0])
			continue;
		read = read_config(root, i, true, &dirs, NULL, &added);
	}
	for (size_t i = 0; i < ARRAY_SIZE(default_status_dirs); i++)
		add_dir(root, default_status_dirs[i], &dirs, &added);
	for (size_t i = 0; i < dirs.n && !found; i++) {
		char *p = path_join(dirs.v[i], "sprint-status.yaml");
		struct stat st;

		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			found = p;
		else
			free(p);
	}
	strvec_release(&dirs);
	return found;
}
