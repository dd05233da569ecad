/* SPDX-License-Identifier: MIT */
/*
 * ansi.h: a scanner for terminal escape sequences in an agent's output,
 * one byte at a time: ESC with intermediates (ESC ( B), CSI (ESC [ ...
 * final, its parameter bytes kept), and the string sequences (OSC, DCS,
 * SOS, PM, APC) up to BEL or ESC \. Shared by the judge (judge_feed.c),
 * which drops them, and the renderer (render.c), which acts on the CSI
 * sequences that move along one line. Knows nothing else.
 */
#ifndef AU_ANSI_H
#define AU_ANSI_H

#include <stdbool.h>
#include <stddef.h>

enum ansi_state {
	ANSI_NONE,
	ANSI_ESC,     /* after ESC */
	ANSI_INTER,   /* ESC, intermediate bytes (ESC ( B) */
	ANSI_CSI,     /* ESC [ parameters, intermediates, final */
	ANSI_STR,     /* OSC, DCS, SOS, PM, APC: up to BEL or ESC \ */
	ANSI_STR_ESC, /* ESC inside a string sequence */
};

struct ansi {
	enum ansi_state state;
	char params[16]; /* a CSI's parameter and intermediate bytes (the first 15), NUL-ended */
	size_t nparams;
};

/* What ansi_byte made of a byte. */
enum ansi_took {
	ANSI_TEXT,  /* not part of a sequence: the caller's to show or use */
	ANSI_TAKEN, /* part of a sequence, consumed */
	ANSI_FINAL, /* the final byte of a CSI sequence: a->params hold its parameters */
};

/* Begins a sequence: the caller saw ESC (0x1b) outside one. */
void ansi_begin(struct ansi *a);
/*
 * Feeds c to a sequence under way (a->state not ANSI_NONE). A string
 * sequence that meets a line feed before its end is given up (never lets
 * it swallow lines): the line feed is ANSI_TEXT.
 */
enum ansi_took ansi_byte(struct ansi *a, unsigned char c);

#endif
