/* cmd_helper_marker.c: placeholder until the marker commands land. */
#include "commands.h"
#include "util.h"

int cmd_marker_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return EXIT_SOFTWARE;
}
