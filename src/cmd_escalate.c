/* cmd_escalate.c: placeholder until answer and escalations land. */
#include "commands.h"
#include "util.h"

int cmd_answer_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return EXIT_SOFTWARE;
}

int cmd_escalations_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return EXIT_SOFTWARE;
}
