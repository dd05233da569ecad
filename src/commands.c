/*
 * commands.c: the command tables. One entry per command, NULL-terminated;
 * the exec functions live in cmd_<name>.c.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "commands.h"
#include "util.h"

static int cmd_version_exec(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return cmd_usage_error(cmd_lookup("version"), "takes no arguments");
	printf("%s %s\n", progname, automator_version());
	return EXIT_OK;
}

static int cmd_help_exec(int argc, char **argv)
{
	const struct cmd *c;

	if (argc > 2)
		return cmd_usage_error(cmd_lookup("help"), "takes at most one command name");
	if (argc < 2) {
		cmd_print_list(stdout);
		return EXIT_OK;
	}
	c = cmd_lookup(argv[1]);
	if (!c) {
		fprintf(stderr, "%s: unknown command '%s'\n", progname, argv[1]);
		cmd_print_list(stderr);
		return EXIT_USAGE;
	}
	cmd_print_help(c, stdout);
	return EXIT_OK;
}

#define VERSION_CMD                                                      \
	{                                                                \
		"version", "", "print the version", "", cmd_version_exec \
	}
#define HELP_CMD                                                                                   \
	{                                                                                          \
		"help", "[COMMAND]", "show the commands, or one command's help", "", cmd_help_exec \
	}

const struct cmd automator_cmds[] = {
	{ "run",
	  "[SPRINT] [--stories LIST] [--epic N] [--max-parallel N] [--agent NAME] [--no-input] "
	  "[--dry-run]",
	  "run every story of a sprint through its workflow",
	  "Drives every story of SPRINT (default: sprint.yaml; a BMAD\n"
	  "sprint-status.yaml is accepted too) through its workflow: each agent step\n"
	  "runs in its own detached tmux session on the project's private tmux\n"
	  "server, its output is judged as it arrives, the workflow truth is\n"
	  "verified, the story's changes are committed, and every transition is\n"
	  "journaled in .automator/state.db before its side effect runs.\n\n"
	  "  --stories LIST     only these stories: 1.2,1.4-1.6\n"
	  "  --epic N           only the stories of epic N\n"
	  "  --max-parallel N   stories at once (default: the sprint's max_parallel)\n"
	  "  --agent NAME       use this agent preset for every story\n"
	  "  --no-input         never prompt (also when stdin is not a terminal)\n"
	  "  --dry-run          print the plan and exit; touch nothing\n\n"
	  "On a terminal one live line per active story shows its state, step,\n"
	  "attempt, elapsed time and last output line (NO_COLOR is honoured);\n"
	  "otherwise each transition is printed as a timestamped line. SIGINT or\n"
	  "SIGTERM stops dispatching and leaves the sessions running.\n\n"
	  "Exit status: 0 every story done, 1 some story failed or was skipped,\n"
	  "3 paused (a decision is needed, or interrupted), 64 usage, 65 bad\n"
	  "sprint, 69 tmux or git missing, 70 internal error, 75 the project is\n"
	  "locked by another run or has an unfinished run.\n",
	  cmd_run_exec },
	{ "resume", "[--run ID] [--no-input]", "continue the project's unfinished run",
	  "Continues the latest unfinished run of the project at or above the\n"
	  "current directory (or run ID) from its journal: live sessions are\n"
	  "re-attached and read from where they were, sessions that ended while\n"
	  "nobody watched are judged from their exit record and log, no step\n"
	  "attempt is spawned twice and no story is committed twice.\n\n"
	  "Exit status: as for run; 1 when there is nothing to resume.\n",
	  cmd_resume_exec },
	{ "status", "[--run ID] [--json]", "show the state of the latest run",
	  "Prints the run's state and one line per story. --json prints the\n"
	  "snapshot other tools read: {run, counts, stories: [{id, key, position,\n"
	  "state, step, attempt, cycle, session, log, escalation_reasons}],\n"
	  "escalation: {required, signals: [{story, trigger, category}]}}.\n\n"
	  "Exit status: 0, 64 usage (also: no project here).\n",
	  cmd_status_exec },
	{ "log", "STORY [--step NAME] [--follow] [--run ID]", "print a story's session log",
	  "Prints the log of the story's latest session (of step NAME when given).\n"
	  "--follow keeps printing as the session writes, until it ends.\n\n"
	  "Exit status: 0, 1 when the story has no session log, 64 usage.\n",
	  cmd_log_exec },
	{ "attach", "STORY", "attach this terminal to a story's live tmux session",
	  "Attaches to the story's live session on the project's private tmux\n"
	  "server (detach with the tmux prefix key, then d).\n\n"
	  "Exit status: 1 when the story has no live session, 64 without a terminal.\n",
	  cmd_attach_exec },
	{ "abort", "[--run ID]", "stop the run: kill its sessions, mark it ABORTED",
	  "Asks a live run to stop, kills the run's tmux sessions, and journals\n"
	  "the run and its unfinished stories as ABORTED. The journal and logs are\n"
	  "kept.\n\n"
	  "Exit status: 0, 1 when there is no unfinished run, 75 when the live run\n"
	  "does not let go of the project lock.\n",
	  cmd_abort_exec },
	{ "answer", "[ESCALATION] CHOICE [--reply TEXT]", "answer an open escalation",
	  "Records CHOICE (an option key of the escalation: 1-9 or X) for\n"
	  "ESCALATION (its id; may be left out when exactly one is open). A live\n"
	  "run picks the answer up within a second; with no live run, the next\n"
	  "'automator resume' applies it. --reply TEXT is the text typed into the\n"
	  "agent's pane for a send_reply option (agent needs input).\n\n"
	  "Exit status: 0 recorded, 64 usage, 65 unknown or closed escalation, or\n"
	  "a choice it does not offer.\n",
	  cmd_answer_exec },
	{ "escalations", "[list [--open] | ack ID | close ID --reason TEXT] [--json]",
	  "list, acknowledge or close escalations",
	  "list (the default) prints the escalations of the latest run, --open only\n"
	  "those still open; --json one JSON object per line. ack ID marks an open\n"
	  "escalation acknowledged: it is no longer re-sent when stale. close ID\n"
	  "--reason TEXT closes it without a decision.\n\n"
	  "Exit status: 0, 64 usage, 65 unknown or already closed escalation.\n",
	  cmd_escalations_exec },
	{ "validate", "FILE...", "check sprint, sprint-status, workflow, agents and triggers files",
	  "Loads each FILE by its kind (a sprint has 'stories:', a BMAD sprint-status\n"
	  "has 'development_status:', a workflow 'steps:', an agents file 'agents:',\n"
	  "a triggers file 'triggers:') and checks it fully: schema, story ids and\n"
	  "dependencies, agent and workflow names, every pattern compiled.\n"
	  "A sprint is checked together with the workflow and agents it names.\n\n"
	  "Prints 'ok FILE' for a good file, or every error found in it, one per\n"
	  "line as 'file:line:col: what is wrong', followed on a terminal by the\n"
	  "source line and a caret.\n\n"
	  "Exit status: 0 all files good, 65 some file has errors, 64 usage.\n",
	  cmd_validate_exec },
	{ "fsm", "[--table|--dot|--doc] [run|story]", "print a state machine's transition table",
	  "Prints the transition table of the run or story machine (default: both)\n"
	  "as aligned text (--table, the default) or as a Graphviz digraph (--dot,\n"
	  "one machine). --doc prints the names and doc strings as markdown (used\n"
	  "by scripts/gen-fsm-doc.sh to generate docs/fsm.md).\n\n"
	  "The tables are validated first (reachability, no exits from terminal\n"
	  "states, no shadowed rows).\n\n"
	  "Exit status: 0, 64 usage, 70 the tables are broken.\n",
	  cmd_fsm_exec },
	VERSION_CMD,
	HELP_CMD,
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct cmd helper_cmds[] = {
	{ "marker", "create|remove|check|heartbeat [--project-root DIR] [OPTIONS]",
	  "create, remove, check or refresh the run marker .automator/active",
	  "create writes the marker (atomically, mode 0600; .automator/ is made when\n"
	  "missing) with the given fields: --epic N, --story KEY, --remaining N,\n"
	  "--state-file PATH (default .automator/state.db), --pid PID (default: the\n"
	  "calling process); startedAt is kept from a valid marker already there.\n"
	  "It prints the marker. remove deletes it: {\"ok\":true,\"removed\":BOOL}.\n"
	  "check prints it with \"exists\", \"fresh\" (pid alive, or heartbeat under\n"
	  "30 minutes), \"pidAlive\" and \"heartbeatAgeSeconds\"; a corrupt marker\n"
	  "gives \"corrupt\":true, a \"reason\" and a \"hint\". heartbeat sets its\n"
	  "heartbeat to now and prints it.\n\n"
	  "The project root is --project-root DIR, else $PROJECT_ROOT, else the\n"
	  "nearest directory at or above the current one holding _bmad-output/,\n"
	  ".automator/ or .git.\n\n"
	  "Exit status: 0, 1 no marker (check, heartbeat), 64 usage or no project\n"
	  "root, 65 a corrupt marker, 70 the marker cannot be written.\n",
	  cmd_marker_exec },
	{ "normalize-key", "STORY", "print a story key's id, prefix and key forms",
	  "Normalises a story reference: '1.2', '1-2' and '1-2-some-slug' name the\n"
	  "same story; letter suffixes ('1.4b', '5a') are valid. Prints one JSON\n"
	  "object: {\"ok\":true,\"id\":\"1.2\",\"prefix\":\"1-2\",\"key\":\"1-2\"}; the key\n"
	  "is the full key when STORY carries a slug.\n\n"
	  "Exit status: 0, 1 when STORY is not a valid story key, 64 usage.\n",
	  cmd_normalize_key_exec },
	VERSION_CMD,
	HELP_CMD,
	{ NULL, NULL, NULL, NULL, NULL },
};
