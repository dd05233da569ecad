/* SPDX-License-Identifier: MIT */
/*
 * cmd_helper_install.c: orchestrator-helper install-stop-hook: adds the
 * stop hook to Claude Code's settings of the project (by default the
 * per-machine .claude/settings.local.json; --shared: the team's
 * .claude/settings.json, with a command found on PATH), repairs an entry
 * of ours that differs, and removes ours (--uninstall). Writes those
 * files and nothing else; a file it cannot read as settings is left as
 * it is.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_helper_int.h"
#include "commands.h"
#include "jsonx.h"
#include "project.h"
#include "shellwords.h"
#include "util.h"

/* ---- install-stop-hook ---- */

static const char hook_suffix[] = "orchestrator-helper stop-hook";

/* Whether a hook command is ours: it runs "...orchestrator-helper stop-hook". */
static bool hook_is_ours(const char *cmd)
{
	/* the path may be quoted: '/a b/orchestrator-helper' stop-hook */
	static const char *const quotes[] = { "", "'", "\"" };
	size_t n = strlen(cmd), tail = strlen(" stop-hook");
	size_t head = strlen(hook_suffix) - tail;

	while (n && isspace((unsigned char)cmd[n - 1]))
		n--;
	if (n < tail || memcmp(cmd + n - tail, hook_suffix + head, tail))
		return false;
	n -= tail;
	for (size_t i = 0; i < ARRAY_SIZE(quotes); i++) {
		size_t q = strlen(quotes[i]);

		if (n >= head + q && !memcmp(cmd + n - q, quotes[i], q) &&
		    !memcmp(cmd + n - q - head, hook_suffix, head))
			return true;
	}
	return false;
}

/* Whether path is an executable that is the same file as exe. */
static bool is_us(const char *path, const struct stat *exe)
{
	struct stat st;

	return access(path, X_OK) == 0 && stat(path, &st) == 0 && st.st_dev == exe->st_dev &&
	       st.st_ino == exe->st_ino;
}

/*
 * The absolute path of orchestrator-helper that runs this program: the one
 * next to the executable (unless path_only), else the first in $PATH. The
 * name matters (the binary dispatches on it), so the link itself is kept,
 * not its target. Newly allocated, or NULL with *cause.
 */
static char *helper_path(bool path_only, char **cause)
{
	const char *p = getenv("PATH");
	char *exe = realpath("/proc/self/exe", NULL), *dir, *cand;
	struct stat st;

	if (!exe || stat(exe, &st) != 0) {
		*cause = xstrfmt("cannot find this program: /proc/self/exe: %s", strerror(errno));
		free(exe);
		return NULL;
	}
	dir = path_dirname(exe);
	cand = path_join(dir, "orchestrator-helper");
	free(dir);
	if (!path_only && is_us(cand, &st)) {
		free(exe);
		return cand;
	}
	free(cand);
	while (p && *p) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		char *d = xstrndup(p, len), *abs = len ? realpath(d, NULL) : NULL;

		free(d);
		cand = abs ? path_join(abs, "orchestrator-helper") : NULL;
		free(abs);
		if (cand && is_us(cand, &st)) {
			free(exe);
			return cand;
		}
		free(cand);
		p = colon ? colon + 1 : p + len;
	}
	*cause = xstrfmt("no orchestrator-helper %sin PATH runs this program (%s)",
			 path_only ? "" : "next to it or ", exe);
	free(exe);
	return NULL;
}

/* Whether text is only white space (an empty settings file). */
static bool blank(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)text[i]))
			return false;
	return true;
}

/*
 * Checks the shape of settings.hooks.Stop: 0 when it is fine or missing,
 * -1 with *cause when hooks or hooks.Stop has the wrong type.
 */
static int check_shape(json_t *settings, char **cause)
{
	json_t *hooks = json_object_get(settings, "hooks");

	if (!hooks)
		return 0;
	if (!json_is_object(hooks)) {
		*cause = xstrdup("'hooks' is not an object");
		return -1;
	}
	if (json_object_get(hooks, "Stop") && !json_is_array(json_object_get(hooks, "Stop"))) {
		*cause = xstrdup("'hooks.Stop' is not an array");
		return -1;
	}
	return 0;
}

/* The hook objects of ours in settings' hooks.Stop, appended to out (borrowed). */
static void our_hooks(json_t *settings, json_t ***out, size_t *n)
{
	json_t *stop = json_object_get(json_object_get(settings, "hooks"), "Stop"), *entry, *h;
	size_t i, j;

	json_array_foreach(stop, i, entry)
	{
		json_array_foreach(json_object_get(entry, "hooks"), j, h)
		{
			const char *cmd = json_string_value(json_object_get(h, "command"));

			if (cmd && hook_is_ours(cmd)) {
				*out = xrealloc(*out, (*n + 1) * sizeof(**out));
				(*out)[(*n)++] = h;
			}
		}
	}
}

/*
 * Removes our hooks from settings, and the entries and containers that
 * become empty. Returns how many were removed.
 */
static size_t remove_hooks(json_t *settings)
{
	json_t *hooks = json_object_get(settings, "hooks");
	json_t *stop = json_object_get(hooks, "Stop");
	size_t removed = 0;

	for (size_t i = json_array_size(stop); i-- > 0;) {
		json_t *list = json_object_get(json_array_get(stop, i), "hooks");

		for (size_t j = json_array_size(list); j-- > 0;) {
			const char *cmd = json_string_value(
				json_object_get(json_array_get(list, j), "command"));

			if (cmd && hook_is_ours(cmd)) {
				json_array_remove(list, j);
				removed++;
			}
		}
		if (list && json_array_size(list) == 0)
			json_array_remove(stop, i);
	}
	if (stop && json_array_size(stop) == 0)
		json_object_del(hooks, "Stop");
	if (hooks && json_object_size(hooks) == 0)
		json_object_del(settings, "hooks");
	return removed;
}

/* Adds {"hooks":[{type, command, timeout}]} to hooks.Stop, making both when missing. */
static void add_hook(json_t *settings, const char *command)
{
	json_t *hooks = json_object_get(settings, "hooks"), *stop;

	if (!hooks) {
		hooks = json_object();
		json_object_set_new(settings, "hooks", hooks);
	}
	stop = json_object_get(hooks, "Stop");
	if (!stop) {
		stop = json_array();
		json_object_set_new(hooks, "Stop", stop);
	}
	json_array_append_new(stop, json_pack("{s:[{s:s,s:s,s:i}]}", "hooks", "type", "command",
					      "command", command, "timeout", 10));
}

/* A settings file: its path (through a symlink), mode and contents. */
struct settings_file {
	char *path;
	int mode;
	json_t *json; /* an object */
};

/*
 * Reads .claude/NAME of root; a missing or empty file is an empty object.
 * Returns 0, or an exit status after saying why (helper_fail).
 */
static int settings_read(const struct cmd *c, const char *root, const char *name,
			 struct settings_file *f)
{
	char *dir = path_join(root, ".claude"), *text = NULL, *cause = NULL;
	json_error_t err;
	struct stat st;
	size_t len = 0;

	f->path = path_join(dir, name);
	f->mode = 0644;
	f->json = NULL;
	free(dir);
	/* write through a symlinked settings file, not over the link */
	if (lstat(f->path, &st) == 0 && S_ISLNK(st.st_mode)) {
		char *target = realpath(f->path, NULL);

		if (target) {
			free(f->path);
			f->path = target;
		}
	}
	if (read_file(f->path, &text, &len) < 0) {
		if (errno != ENOENT) {
			fprintf(stderr, "%s %s: cannot read '%s': %s\n", progname, c->name, f->path,
				strerror(errno));
			return helper_fail("unreadable_settings", EXIT_DATAERR);
		}
	} else if (stat(f->path, &st) == 0) {
		f->mode = (int)(st.st_mode & 07777);
	}
	if (!text || blank(text, len)) {
		f->json = json_object();
	} else if (!(f->json = json_loadb(text, len, 0, &err))) {
		fprintf(stderr, "%s %s: %s:%d:%d: %s\n", progname, c->name, f->path, err.line,
			err.column, err.text);
		free(text);
		return helper_fail("bad_settings", EXIT_DATAERR);
	} else if (!json_is_object(f->json)) {
		cause = xstrdup("not a JSON object");
	}
	free(text);
	if (cause || check_shape(f->json, &cause) < 0) {
		fprintf(stderr, "%s %s: %s: %s\n", progname, c->name, f->path, cause);
		free(cause);
		return helper_fail("bad_settings", EXIT_DATAERR);
	}
	return 0;
}

/* Writes f back (its directory made when missing). Returns 0, or an exit status. */
static int settings_write(const struct cmd *c, struct settings_file *f)
{
	char *out = json_dumps(f->json, JSON_INDENT(2) | JSON_PRESERVE_ORDER), *dir;
	struct buf b = BUF_INIT;
	int ret = 0;

	if (!out)
		xdie("cannot encode json");
	buf_adds(&b, out);
	buf_addc(&b, '\n');
	free(out);
	dir = path_dirname(f->path);
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) ||
	    write_file_atomic(f->path, b.s, b.len, f->mode) < 0) {
		fprintf(stderr, "%s %s: cannot write '%s': %s\n", progname, c->name, f->path,
			strerror(errno));
		ret = helper_fail("write_failed", EXIT_SOFTWARE);
	}
	free(dir);
	buf_release(&b);
	return ret;
}

static void settings_release(struct settings_file *f)
{
	free(f->path);
	json_decref(f->json);
}

/*
 * The command the hook runs: this orchestrator-helper's absolute path in
 * the per-machine file; in the shared file (--shared) the bare name, which
 * each machine finds on its PATH (it must be there: checked here).
 */
static char *hook_command(const struct cmd *c, bool shared, int *ret)
{
	char *cause = NULL, *helper = helper_path(shared, &cause), *word, *cmd;

	if (!helper) {
		fprintf(stderr, "%s %s: %s%s\n", progname, c->name, cause,
			shared ? ": --shared writes the command 'orchestrator-helper stop-hook', "
				 "which every machine finds on its PATH"
			       : "");
		free(cause);
		*ret = helper_fail(shared ? "not_on_path" : "no_helper_path", EXIT_UNAVAILABLE);
		return NULL;
	}
	if (shared) {
		free(helper);
		return xstrdup(hook_suffix);
	}
	word = shellwords_quote(helper);
	cmd = xstrfmt("%s stop-hook", word);
	free(word);
	free(helper);
	return cmd;
}

static int uninstall(const struct cmd *c, const char *root)
{
	static const char *const names[] = { "settings.local.json", "settings.json" };
	json_t *files = json_array();
	size_t total = 0;
	int ret = 0;

	for (size_t i = 0; i < ARRAY_SIZE(names) && ret == 0; i++) {
		struct settings_file f;
		size_t n;

		ret = settings_read(c, root, names[i], &f);
		if (ret == 0 && (n = remove_hooks(f.json)) > 0) {
			ret = settings_write(c, &f);
			json_array_append_new(files, json_string(f.path));
			total += n;
		}
		settings_release(&f);
	}
	if (ret == 0)
		jsonx_print(json_pack("{s:b,s:I,s:o}", "ok", 1, "removed", (json_int_t)total,
				      "files", files));
	else
		json_decref(files);
	return ret;
}

int cmd_install_stop_hook_exec(int argc, char **argv)
{
	const struct cmd *c = cmd_lookup("install-stop-hook");
	struct cmd_opt opts[] = { { "project-root", 1, NULL, 0 },
				  { "shared", 0, NULL, 0 },
				  { "uninstall", 0, NULL, 0 } };
	struct settings_file f = { 0 };
	json_t **ours = NULL;
	size_t nours = 0;
	char *root = NULL, *cause = NULL, *command = NULL;
	bool installed = false, repaired = false;
	int ret;

	ret = cmd_parse_noargs(c, argc, argv, opts, ARRAY_SIZE(opts));
	if (ret)
		return ret;
	if (opts[0].seen && !*opts[0].value)
		return cmd_usage_error(c, "option '--project-root' needs a value");
	if (opts[1].seen && opts[2].seen)
		return cmd_usage_error(c, "--uninstall removes ours from both files: no --shared");
	if (project_find_root(opts[0].value, &root, &cause) < 0) {
		fprintf(stderr, "%s %s: %s\n", progname, c->name, cause);
		free(cause);
		return helper_fail("no_project_root", EXIT_USAGE);
	}
	if (opts[2].seen) {
		ret = uninstall(c, root);
		free(root);
		return ret;
	}
	if ((ret = settings_read(c, root, opts[1].seen ? "settings.json" : "settings.local.json",
				 &f)) != 0 ||
	    !(command = hook_command(c, opts[1].seen, &ret)))
		goto out;
	our_hooks(f.json, &ours, &nours);
	if (nours == 0) {
		add_hook(f.json, command);
		installed = true;
	}
	/* an entry of ours that runs something else (a path gone stale): repaired */
	for (size_t i = 0; i < nours; i++) {
		if (strcmp(json_string_value(json_object_get(ours[i], "command")), command)) {
			json_object_set_new(ours[i], "command", json_string(command));
			repaired = true;
		}
	}
	if ((installed || repaired) && (ret = settings_write(c, &f)) != 0)
		goto out;
	jsonx_print(json_pack("{s:b,s:b,s:b,s:s,s:s}", "ok", 1, "installed", installed, "repaired",
			      repaired, "file", f.path, "command", command));
	ret = EXIT_OK;
out:
	free(ours);
	free(command);
	settings_release(&f);
	free(root);
	return ret;
}
