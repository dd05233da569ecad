/* SPDX-License-Identifier: MIT */
/*
 * storyfile.h: a BMAD story's file: where the lookup finds it, its Status,
 * its open review findings. Reads only; never writes a file.
 */
#ifndef AU_STORYFILE_H
#define AU_STORYFILE_H

#include "diag.h"
#include "util.h"

/*
 * The story file of story_key under root. The folders come from
 * bmadcfg_story_dirs (BMAD's config, the sprint-status's story_location,
 * the defaults), each with its subfolders two levels deep; the first
 * folder holding a candidate decides. In it: <key>.md, else
 * <prefix>-<slug>.md, else <prefix>-*.md (1-2 matches 1-2-reset.md, not
 * 1-20-x.md nor the sub-story 1-2-1-x.md) that is not a companion file
 * (validation reports, code reviews, summaries, retros, addenda, review
 * findings, context files). Several alike: the shortest name, then byte
 * order, and *note (when note is not NULL) says so: "several story files;
 * chose X.md". status_file: the sprint-status (NULL: found under root).
 * warnings (may be NULL) gets BMAD configs that could not be used.
 * Returns 0 with *path (newly allocated), 1 when there is none, -1 when
 * story_key is not a valid key.
 */
int storyfile_locate(const char *root, const char *status_file, const char *story_key, char **path,
		     char **note, struct diags *warnings);
/*
 * Every file storyfile_locate chooses among for story_key (the first
 * folder holding any; companion files and other stories' files left out),
 * best first, appended to paths. Returns their count, or -1 when story_key
 * is not a valid key. create-story's "exactly one story file" counts them.
 */
int storyfile_candidates(const char *root, const char *status_file, const char *story_key,
			 struct strvec *paths, struct diags *warnings);
/* storyfile_locate with the sprint-status found, no note, no warnings. */
int storyfile_find(const char *root, const char *story_key, char **path);
/*
 * The review findings of a story file still open: `- [ ] [Review]...` or
 * `- [ ] [AI-Review]...` lines in a section whose heading contains
 * "Review" (any case; its subsections included). Returns the count, or -1
 * when the file cannot be read.
 */
int storyfile_open_findings(const char *path);
/*
 * The Status of a story file: YAML frontmatter `Status:`/`status:`, else the
 * first body line `Status: x`, `**Status:** x`, `Status: **x**` (any case),
 * or a `## Status` heading's next line. Returns 0 with *status (newly
 * allocated, trimmed, emphasis and quotes removed), 1 when the file has
 * none, -1 when it cannot be read (errno set).
 */
int storyfile_status(const char *path, char **status);

#endif
