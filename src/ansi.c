/* SPDX-License-Identifier: MIT */
/*
 * ansi.c: the escape sequence scanner (ansi.h), after ECMA-48: ESC then an
 * intermediate (0x20-0x2f) or a final byte (0x30-0x7e); CSI parameters
 * and intermediates (0x20-0x3f) up to a final byte (0x40-0x7e); string
 * sequences up to BEL or ST (ESC \). Pure: no allocation, no I/O.
 */
#include "ansi.h"

void ansi_begin(struct ansi *a)
{
	a->state = ANSI_ESC;
	a->nparams = 0;
	a->params[0] = '\0';
}

enum ansi_took ansi_byte(struct ansi *a, unsigned char c)
{
	switch (a->state) {
	case ANSI_NONE:
		return ANSI_TEXT;
	case ANSI_ESC:
		if (c == '[') {
			a->state = ANSI_CSI;
			a->nparams = 0;
			a->params[0] = '\0';
		} else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') {
			a->state = ANSI_STR;
		} else if (c >= 0x20 && c <= 0x2f) {
			a->state = ANSI_INTER;
		} else if (c != 0x1b) {
			a->state = ANSI_NONE;
			return c >= 0x30 && c <= 0x7e ? ANSI_TAKEN : ANSI_TEXT;
		}
		return ANSI_TAKEN;
	case ANSI_INTER:
		if (c >= 0x20 && c <= 0x2f)
			return ANSI_TAKEN;
		a->state = ANSI_NONE;
		return c >= 0x30 && c <= 0x7e ? ANSI_TAKEN : ANSI_TEXT;
	case ANSI_CSI:
		if (c >= 0x20 && c <= 0x3f) {
			if (a->nparams < sizeof(a->params) - 1) {
				a->params[a->nparams++] = (char)c;
				a->params[a->nparams] = '\0';
			}
			return ANSI_TAKEN;
		}
		a->state = ANSI_NONE;
		return c >= 0x40 && c <= 0x7e ? ANSI_FINAL : ANSI_TEXT;
	case ANSI_STR:
		if (c == 0x07) {
			a->state = ANSI_NONE;
		} else if (c == 0x1b) {
			a->state = ANSI_STR_ESC;
		} else if (c == '\n') {
			/* unterminated: never let it swallow lines */
			a->state = ANSI_NONE;
			return ANSI_TEXT;
		}
		return ANSI_TAKEN;
	case ANSI_STR_ESC:
		if (c == '\\') {
			a->state = ANSI_NONE;
			return ANSI_TAKEN;
		}
		a->state = ANSI_ESC;
		return ansi_byte(a, c);
	}
	return ANSI_TEXT;
}
