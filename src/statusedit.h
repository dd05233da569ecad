/* SPDX-License-Identifier: MIT */
/*
 * statusedit.h: updating one story's value in a BMAD sprint-status.yaml in
 * place. Only the bytes of that value change (the parser's span, quoting
 * style kept); comments, blank lines, CRLF endings and every other byte stay
 * as they were. The write is atomic (temp file + fsync + rename) and keeps
 * the file's mode.
 */
#ifndef AU_STATUSEDIT_H
#define AU_STATUSEDIT_H

/*
 * Sets story's (any key form) status to value in the sprint-status file
 * path. Returns 0 when the file now says value (nothing is written when it
 * already did), 1 when the story is not in the file, -1 with *cause (newly
 * allocated; for a file that does not load, its first error as
 * "file:line:col: msg") when the file cannot be read, parsed or written,
 * or value cannot be written as a YAML scalar. A file the BMAD reader
 * could only read line by line (not valid YAML) is never written:
 * "PATH: not rewritten: it is not valid YAML (line N: ...)". story must
 * name one story (bmad_status_find): a number two stories share is 1. With
 * duplicate keys, the last one (the one readers use) is edited. The file is unchanged
 * unless 0 is returned.
 */
int statusedit_set(const char *path, const char *story, const char *value, char **cause);
/*
 * statusedit_set, where durable false skips the fsyncs: the new file
 * replaces the old atomically for readers (and a kill), and sync_file
 * makes it durable later.
 */
int statusedit_set_opt(const char *path, const char *story, const char *value, bool durable,
		       char **cause);

/*
 * The sprint-status file of the project at root, where BMAD's config puts
 * it, else where BMAD versions put it (bmadcfg_status_file). Returns 0
 * with *out (newly allocated, root joined with the relative path), or 1
 * when there is none (*out untouched).
 */
int statusedit_find_file(const char *root, char **out);

#endif
