/* SPDX-License-Identifier: MIT */
/*
 * harness.h: what the libFuzzer harnesses of tests/fuzz share (docs/fuzzing.md):
 * the entry points, a private temp directory for the loaders that read a
 * path, deterministic choices from the input, and the oracles every harness
 * applies to diagnostics. A failed oracle aborts, so libFuzzer saves the input.
 */
#ifndef AU_FUZZ_HARNESS_H
#define AU_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints "fuzz oracle failed: ..." and aborts. */
_Noreturn void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define FUZZ_CHECK(cond, ...)                   \
	do {                                    \
		if (!(cond))                    \
			fuzz_fail(__VA_ARGS__); \
	} while (0)

/*
 * Sets up the process once: AUTOMATOR_DATA_DIR is the source tree (the
 * shipped data/ and workflows/), and a temp directory (under $TMPDIR, else
 * /tmp; removed at exit) holds the files written for the loaders.
 */
void fuzz_setup(void);
/* That directory. */
const char *fuzz_tmpdir(void);
/* Writes data to name under fuzz_tmpdir() (subdirectories must exist); newly allocated path. */
char *fuzz_write(const char *name, const void *data, size_t size);
/* The input as a NUL-terminated string (bytes after a NUL are cut); newly allocated. */
char *fuzz_cstr(const uint8_t *data, size_t size);

/* FNV-1a of data: choices made from the input stay deterministic. */
uint64_t fuzz_hash(const void *data, size_t size);

/*
 * Position oracle: line and col (1-based) lie within text, counting line
 * breaks as libyaml does (\n, \r, \r\n, U+0085, U+2028, U+2029) or as \n
 * alone. what names the message for the failure report.
 */
void fuzz_check_position(const char *text, size_t len, int line, int col, const char *what);
/*
 * Diagnostic oracle for the entries of d about file: a position within text
 * (line 0 is refused: the file was readable) and a one-line message that
 * formats as "file:line:col: msg". Entries about other files are skipped.
 */
void fuzz_check_diags(const struct diags *d, const char *file, const char *text, size_t len);
/* A formatted "file:line:col: ..." line about file (a sprint's warnings); other lines pass. */
void fuzz_check_line(const char *s, const char *file, const char *text, size_t len);
/* Every entry formatted, one a line, appended to b: two calls' diags compare as text. */
void fuzz_diags_text(struct buf *b, const struct diags *d);
/*
 * The oracles of a loader's outcome: ret is 0 or -1; the diagnostics are
 * well placed (and appended to text as fuzz_diags_text); a failure says
 * why and leaves *out as it was (untouched); a success has no error. fn
 * names the loader. Returns true when it loaded.
 */
bool fuzz_check_load(int ret, bool untouched, const struct diags *d, const char *fn,
		     const char *path, const uint8_t *data, size_t size, struct buf *text);
/* Fails unless a and b are equal strings; what names them. */
void fuzz_same(const char *a, const char *b, const char *what);

#endif
