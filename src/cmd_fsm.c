/* cmd_fsm.c: placeholder until the fsm command lands. */
#include "cmd.h"
#include "commands.h"
#include "util.h"

int cmd_fsm_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return EXIT_SOFTWARE;
}
