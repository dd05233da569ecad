/* version.c: the version string compiled in by CMake. */
#include "commands.h"

const char *automator_version(void)
{
	return AUTOMATOR_VERSION;
}
