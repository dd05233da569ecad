/* SPDX-License-Identifier: MIT */
/*
 * ydoc.h: YAML documents as a small tree with source positions. The only
 * module that talks to libyaml; no libyaml type appears here.
 *
 * Loading checks what holds for every file we read: one document, UTF-8 text
 * without NUL bytes, no tabs in indentation, no anchors or aliases, no
 * duplicate keys in a mapping. Schema checks belong to the callers.
 */
#ifndef AU_YDOC_H
#define AU_YDOC_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

enum ynode_kind { YN_SCALAR, YN_MAP, YN_SEQ };

struct ynode;

struct ypair {
	struct ynode *key; /* always a scalar */
	struct ynode *val;
};

struct ynode {
	enum ynode_kind kind;
	int line;     /* 1-based */
	int col;      /* 1-based */
	size_t start; /* byte offsets of the node in the source */
	size_t end;
	/* YN_SCALAR */
	char *str;   /* NUL-terminated; the document's */
	size_t len;  /* may be less than strlen when the value holds NUL */
	bool quoted; /* single- or double-quoted, or a block scalar */
	/* YN_MAP */
	struct ypair *pairs;
	/* YN_SEQ */
	struct ynode **items;
	size_t n; /* pairs or items */
};

struct yarena;

struct ydoc {
	struct yarena *arena; /* owns the nodes and their strings */
	char *file;           /* owned: the name used in messages */
	char *text;           /* owned: the whole source */
	size_t textlen;
	struct ynode *root; /* NULL for an empty document */
	/*
	 * YDOC_DUPLICATE_KEYS: some mapping repeats a key, so the strict
	 * default would have refused the file. Always false otherwise.
	 */
	bool duplicates;
};

/* Flags for ydoc_load_flags and ydoc_parse_flags. */
enum {
	/*
	 * Keep every pair of a mapping whose key repeats (in file order) instead
	 * of refusing the file: for other tools' files (BMAD's sprint-status),
	 * whose reader then picks the last one and warns. Our formats never set it.
	 */
	YDOC_DUPLICATE_KEYS = 1 << 0,
};

/*
 * Reads path as ydoc_load does (a regular file of at most CONFIG_FILE_MAX
 * bytes): 0 with *text (newly allocated, NUL-terminated) and *len, or -1
 * with "cannot read file: why" added to d. For a caller that looks at the
 * text before parsing it with ydoc_parse_flags, so the file is read once.
 */
int ydoc_read(const char *path, char **text, size_t *len, struct diags *d);
/*
 * Reads and parses path. Returns 0, or -1 with the errors added to d (the
 * document is then released and empty). Errors carry file:line:col.
 */
int ydoc_load(struct ydoc *doc, const char *path, struct diags *d);
/* Same, from memory; name is used in messages. text is copied. */
int ydoc_parse(struct ydoc *doc, const char *name, const char *text, size_t len, struct diags *d);
/* ydoc_load and ydoc_parse with flags (YDOC_*); 0 is the strict default. */
int ydoc_load_flags(struct ydoc *doc, const char *path, unsigned flags, struct diags *d);
int ydoc_parse_flags(struct ydoc *doc, const char *name, const char *text, size_t len,
		     unsigned flags, struct diags *d);
void ydoc_release(struct ydoc *doc);

/* The value of key in map, or NULL (map may be NULL or not a map). */
const struct ynode *ynode_get(const struct ynode *map, const char *key);
/* "a string", "a mapping", "a list": for messages. */
const char *ynode_kind_name(const struct ynode *n);
/* A plain scalar that YAML reads as null: empty, ~, null. */
bool ynode_is_null(const struct ynode *n);

#endif
