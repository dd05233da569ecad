/* cmd_validate.c: placeholder */
#include "commands.h"
#include "util.h"
int cmd_validate_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return EXIT_SOFTWARE;
}
