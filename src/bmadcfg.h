/* SPDX-License-Identifier: MIT */
/*
 * bmadcfg.h: where a BMAD project keeps its story files, read from BMAD's
 * own configuration. Reads only; never writes a file.
 */
#ifndef AU_BMADCFG_H
#define AU_BMADCFG_H

#include "diag.h"
#include "util.h"

/*
 * The folders that may hold the story files of the project at root, in the
 * order they are searched, each once (root joined, no trailing slash; a
 * folder may not exist):
 *  1. BMAD's config: _bmad/bmm/config.yaml, else bmad/bmm/config.yaml
 *     (story_location, then implementation_artifacts, then sprint_artifacts), and
 *     .bmad-core/core-config.yaml (devStoryLocation). Values may start with
 *     {project-root}, name another key of the same file ({output_folder}),
 *     or be relative to root;
 *  2. the story_location: metadata key of status_file (the sprint-status,
 *     absolute or relative to root; NULL: none);
 *  3. the defaults: _bmad-output/implementation-artifacts, _bmad-output,
 *     docs/stories.
 * A config that does not parse, or a value that cannot be resolved, adds a
 * warning to warnings (may be NULL) and is left out. Returns the number of
 * folders added to dirs.
 */
size_t bmadcfg_story_dirs(const char *root, const char *status_file, struct strvec *dirs,
			  struct diags *warnings);

/*
 * The project's sprint-status.yaml: in the folder BMAD's config names
 * (_bmad/bmm/config.yaml, else bmad/bmm/config.yaml: implementation_artifacts,
 * then sprint_artifacts), else in _bmad-output/implementation-artifacts,
 * _bmad-output, docs/sprint-artifacts, docs (older BMAD). Returns the path
 * (newly allocated), or NULL when there is none.
 */
char *bmadcfg_status_file(const char *root);

#endif
