/* SPDX-License-Identifier: MIT */
/*
 * recover.c: a project whose journal cannot be read. Finds the run's tmux
 * sessions without it (the marker's slug, the socket named after the
 * root's hash, or a session's name holding it) and says how to get out. Writes nothing.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recover.h"
#include "store.h"
#include "tmx.h"

void recover_advice(FILE *out, const char *progname, const char *root, const char *cause)
{
	fprintf(out,
		"%s: the run's journal %s/.automator/state.db cannot be read: %s\n"
		"  The agents' sessions may still be running: `automator abort` stops them\n"
		"  without the journal, and their logs stay in %s/.automator/logs/.\n"
		"  To start over, move the journal aside (keep it for a post-mortem):\n"
		"    mv %s/.automator/state.db %s/.automator/state.db.damaged\n"
		"  and run the sprint again with `automator run`: stories already committed\n"
		"  are in git.\n",
		progname, root, cause, root, root, root);
}

/* The slug of a socket automator-<slug> in tmux's socket directory ending in -hash. */
static char *slug_from_sockets(const char *hash)
{
	const char *tmp = getenv("TMUX_TMPDIR");
	char *dir = xstrfmt("%s/tmux-%ld", tmp && *tmp ? tmp : "/tmp", (long)getuid());
	char *suffix = xstrfmt("-%s", hash), *found = NULL;
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && !found && (de = readdir(d))) {
		if (!strncmp(de->d_name, "automator-", 10) && str_ends_with(de->d_name, suffix))
			found = xstrdup(de->d_name + 10);
	}
	if (d)
		closedir(d);
	free(suffix);
	free(dir);
	return found;
}

/*
 * The slug of a session au-<slug>-... on the socket $AUTOMATOR_TMUX_SOCKET
 * names, whose slug ends in -hash (the socket is not named after the slug
 * then, and the marker is gone once the run exited).
 */
static char *slug_from_sessions(const char *hash)
{
	const char *sock = getenv("AUTOMATOR_TMUX_SOCKET");
	struct strvec names = STRVEC_INIT;
	char *mid = xstrfmt("-%s-", hash), *found = NULL;
	struct tmx tm;

	if (!sock || !*sock) {
		free(mid);
		return NULL;
	}
	tmx_init(&tm, sock);
	tmx_list_sessions(&tm, "au-", &names, NULL);
	tmx_release(&tm);
	for (size_t i = 0; i < names.n && !found; i++) {
		const char *at = strstr(names.v[i] + 3, mid);

		if (at)
			found = xstrndup(names.v[i] + 3,
					 (size_t)(at - names.v[i] - 3) + 1 + strlen(hash));
	}
	strvec_release(&names);
	free(mid);
	return found;
}

int recover_project(const char *root, struct project *pj)
{
	struct project probe;
	struct marker m;
	char *cause = NULL, *slug = NULL, *hash = project_root_hash(root);

	project_init_slug(&probe, root, "probe");
	if (project_marker_read(&probe, &m, &cause) == 0) {
		if (m.project_slug && str_ends_with(m.project_slug, hash))
			slug = xstrdup(m.project_slug);
		project_marker_clear(&m);
	}
	free(cause);
	project_release(&probe);
	if (!slug)
		slug = slug_from_sockets(hash);
	if (!slug)
		slug = slug_from_sessions(hash);
	if (slug) {
		project_init_slug(pj, root, slug);
	} else {
		char *name = project_root_name(root);

		project_init(pj, root, name);
		free(name);
	}
	free(slug);
	free(hash);
	return 0;
}

size_t recover_sessions(struct project *pj, struct strvec *names)
{
	struct tmx tm;
	char *prefix = xstrfmt("au-%s-", pj->slug);
	size_t before = names->n;

	tmx_init(&tm, pj->socket);
	tmx_list_sessions(&tm, prefix, names, NULL);
	tmx_release(&tm);
	free(prefix);
	return names->n - before;
}

/*
 * Whether the project at root has a run marker of a run the journal does
 * not have: a run that did not end, whose rows were lost. A marker of the
 * latest run (killed after it finished, before the marker went) is not.
 */
bool recover_marker_orphaned(const char *root, struct store *st)
{
	struct project pj;
	struct marker m;
	struct store_run rec = { 0 };
	char *cause = NULL, *id = NULL;
	bool left = false;

	project_init_slug(&pj, root, "probe");
	if (project_marker_read(&pj, &m, &cause) == 0) {
		/* the process that wrote the marker is the one the latest run records */
		left = !(store_run_latest(st, &id, NULL) == 0 &&
			 store_run_get(st, id, &rec, NULL) == 0 && rec.pid == m.pid);
		project_marker_clear(&m);
	}
	free(cause);
	free(id);
	store_run_release(&rec);
	project_release(&pj);
	return left;
}
