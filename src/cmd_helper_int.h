/* SPDX-License-Identifier: MIT */
/*
 * cmd_helper_int.h: what the orchestrator-helper commands of
 * cmd_helper_state.c and cmd_helper_hook.c share.
 */
#ifndef AU_CMD_HELPER_INT_H
#define AU_CMD_HELPER_INT_H

#include "cmd.h"

/* Prints {"ok":false,"reason":reason} and returns code. */
int helper_fail(const char *reason, int code);
/*
 * Parses the options every command here takes: --project-root DIR and no
 * arguments. Returns 0 with *given (NULL when not seen), or EXIT_USAGE.
 */
int helper_parse_root_args(const struct cmd *c, int argc, char **argv, const char **given);

#endif
