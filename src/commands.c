/* SPDX-License-Identifier: MIT */
/*
 * commands.c: the command tables. One entry per command, NULL-terminated;
 * the exec functions live in cmd_<name>.c.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "commands.h"
#include "util.h"

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

#define VERSION_CMD                                                                                \
	{                                                                                          \
		"version", "[--json]",                                                             \
			"print the version, its git description and the data directory",           \
			"Prints the version, the git description of the source it was built\n"     \
			"from (when built from git) and the data directory in use (shipped\n"      \
			"workflows, agent presets, triggers). --json prints them as one object:\n" \
			"program, version, git (null outside git), data_dir.\n",                   \
			cmd_version_exec                                                           \
	}
#define HELP_CMD                                                                                   \
	{                                                                                          \
		"help", "[COMMAND]", "show the commands, or one command's help", "", cmd_help_exec \
	}

const struct cmd automator_cmds[] = {
	{ "init", "", "write a commented sprint.yaml for the project here",
	  "Writes sprint.yaml in the current directory, commented, to edit and run.\n"
	  "In a BMAD project (a sprint-status.yaml where BMAD's config or its\n"
	  "defaults put it) the sprint takes its stories from the sprint-status\n"
	  "(status_file:), with the bmad workflow and the agent BMAD is installed\n"
	  "for (claude or codex). Elsewhere it writes a starter sprint with one\n"
	  "story and a starter workflow.yaml (dev, review, commit) beside it.\n"
	  "Never overwrites: when sprint.yaml (or workflow.yaml) exists, nothing is\n"
	  "written.\n\n"
	  "Exit status: 0 written, 1 a file exists already, 64 usage, 70 a file\n"
	  "cannot be created.\n",
	  cmd_init_exec },
	{ "run",
	  "[SPRINT] [--stories LIST] [--epic N] [--max-parallel N] [--agent NAME] [--no-input] "
	  "[--dry-run [--json]] [--include-status STATUS[,STATUS...]] "
	  "[--isolation worktree|shared] [--color auto|always|never] [--trace]",
	  "run every story of a sprint through its workflow",
	  "Drives every story of SPRINT (default: sprint.yaml here, else the BMAD\n"
	  "project's sprint-status.yaml; a sprint-status is accepted as SPRINT too)\n"
	  "through its workflow: each agent step\n"
	  "runs in its own detached tmux session on the project's private tmux\n"
	  "server, its output is judged as it arrives, the workflow truth is\n"
	  "verified, the story's changes are committed, and every transition is\n"
	  "journaled in .automator/state.db before its side effect runs.\n\n"
	  "  --stories LIST     only these stories: 1.2,1.4-1.6\n"
	  "  --epic N           only the stories of epic N\n"
	  "  --max-parallel N   stories at once (default: the sprint's max_parallel)\n"
	  "  --agent NAME       use this agent preset for every story\n"
	  "  --no-input         never prompt (also when stdin is not a terminal)\n"
	  "  --dry-run          print the plan and exit, touching nothing: the steps,\n"
	  "                     the stories queued in dependency waves with their\n"
	  "                     agents, the BMAD keys skipped and why, what\n"
	  "                     preflight found; --json: as one JSON object\n"
	  "  --include-status STATUS[,STATUS...]\n"
	  "                     BMAD: also queue stories with these statuses\n"
	  "                     (on-hold, deferred, ..., even done)\n"
	  "  --isolation worktree|shared\n"
	  "                     each story in a git worktree and branch of its own,\n"
	  "                     integrated into the branch checked out (the\n"
	  "                     default), or every story in the project's tree\n"
	  "  --color auto|always|never\n"
	  "                     colour: on a terminal unless NO_COLOR is set or\n"
	  "                     TERM is dumb (auto, the default), always, never\n"
	  "  --trace            also print every transition of the state machines\n"
	  "                     (the journal has them all the same)\n\n"
	  "A BMAD sprint-status queues every story with work left: not done and\n"
	  "not dormant (cancelled, canceled, removed, on-hold, deferred,\n"
	  "superseded, obsolete, moved-to-*); epics and retrospectives never.\n\n"
	  "It prints a timestamped line for what happens to each story: started,\n"
	  "a step done and how long it took, a review asking for changes, a\n"
	  "retry, committed (short hash), integrated, waiting and until when, a\n"
	  "decision needed, done or failed with the count of stories done (RFC\n"
	  "3339 times with the date when stdout is not a terminal). On a terminal\n"
	  "(not TERM=dumb) a live block below them, redrawn in place and never\n"
	  "wider than the terminal, shows the progress (done, running, waiting,\n"
	  "decisions, elapsed time, cost) and one line per active story: its\n"
	  "step, cycle and attempt, elapsed time and what its agent is doing, in\n"
	  "words. A summary table ends the run: each story's state, time, commit\n"
	  "and cost. SIGINT, SIGTERM or SIGHUP (the terminal closed) stops\n"
	  "dispatching and leaves the sessions running; the run marker is removed\n"
	  "whenever the run exits.\n\n"
	  "Before any agent time is spent it checks that every agent preset the\n"
	  "run uses has its program, git has an identity and the project is a\n"
	  "repository with a commit. A usage or rate limit, an overload or a 5xx\n"
	  "makes a story wait (WAITING) until the reset its agent named, spending\n"
	  "no attempt; a login, billing or plan problem asks a human at once.\n\n"
	  "Exit status: 0 every story done, 1 some story failed or was skipped,\n"
	  "3 paused (a decision is needed, or interrupted), 64 usage, 65 bad\n"
	  "sprint, 69 tmux, git, an agent's program or a git identity missing,\n"
	  "70 internal error, 75 the project is locked by another run or has an\n"
	  "unfinished run.\n",
	  cmd_run_exec },
	{ "resume", "[--run ID] [--no-input] [--color auto|always|never] [--trace]",
	  "continue the project's unfinished run",
	  "Continues the latest unfinished run of the project at or above the\n"
	  "current directory (or run ID) from its journal: live sessions are\n"
	  "re-attached and read from where they were, sessions that ended while\n"
	  "nobody watched are judged from their exit record and log, no step\n"
	  "attempt is spawned twice and no story is committed twice.\n\n"
	  "  --run ID           this run, not the latest unfinished one\n"
	  "  --no-input         never prompt (also when stdin is not a terminal)\n"
	  "  --color auto|always|never, --trace\n"
	  "                     what it prints, as for run\n\n"
	  "Exit status: as for run; 1 when there is nothing to resume.\n",
	  cmd_resume_exec },
	{ "status", "[--run ID] [--json]", "show the state of the latest run",
	  "Prints the run's state and one line per story. --json prints the\n"
	  "snapshot other tools read: {run, counts, stories: [{id, key, position,\n"
	  "state, step, attempt, cycle, session, log, escalation_reasons, usage,\n"
	  "and while WAITING waiting_until, waiting_reason}], escalation:\n"
	  "{required, signals: [{story, trigger, category}]}, usage, warnings};\n"
	  "warnings are the BMAD sprint-status's ('file:line:col: warning: ...'); usage is\n"
	  "{sessions, cost_usd, input_tokens, output_tokens, cache_read_tokens,\n"
	  "cache_write_tokens, turns, duration_ms} as the agents reported it.\n\n"
	  "Exit status: 0, 1 no such run (--run), 64 usage (also: no project here).\n",
	  cmd_status_exec },
	{ "runs", "[--all] [--json | --jsonl] [--stale-after DURATION]",
	  "list the runs of this project, or of every project",
	  "Lists every run of this project (with --all: of every project on this\n"
	  "machine that ran automator; the per-user registry of runs is\n"
	  "$XDG_STATE_HOME/automator/runs.db, else ~/.local/state/automator/runs.db),\n"
	  "one line each: its class, id, pid (x: the process is gone), how long it\n"
	  "has been quiet, its open escalations, its signals and its project.\n\n"
	  "Classes: running (its process is alive), needs_decision (no process,\n"
	  "escalations open: answer, then automator resume), interrupted (no\n"
	  "process, nothing asked: automator resume), stale (no process and quiet\n"
	  "for longer than --stale-after, default 24h: listed apart, not alerted\n"
	  "on), complete, aborted, gone (the project or its journal is no longer\n"
	  "there).\n\n"
	  "  --all                  every registered project\n"
	  "  --json                 one JSON array of {project, run, state,\n"
	  "                         class, quarantined, alive, pid,\n"
	  "                         heartbeat_age_seconds, started_at,\n"
	  "                         last_activity_at, age_seconds, open_escalations,\n"
	  "                         signals: [{code, story, since, detail}], note}\n"
	  "  --jsonl                the same objects, one a line\n"
	  "  --stale-after DURATION quiet for longer than this: stale (30m, 24h, 7d)\n\n"
	  "Exit status: 0, 64 usage (also: no project here without --all).\n",
	  cmd_runs_exec },
	{ "watch",
	  "[--all] [--interval N] [--once] [--json | --jsonl] [--stale-after DURATION] "
	  "[--restart-dead] "
	  "[--restart-budget N]",
	  "the operator loop: every run, refreshed",
	  "Shows what `automator runs` shows, again every --interval seconds\n"
	  "(default 10), until Ctrl-C; on a terminal the screen is redrawn.\n\n"
	  "  --all                  every registered project (see runs)\n"
	  "  --interval N           seconds between two looks (1 to 86400)\n"
	  "  --once                 look once and exit (for scripts and cron)\n"
	  "  --json                 one JSON array a look, on a line of its own: the\n"
	  "                         runs' objects (see runs) with \"at\", the time\n"
	  "                         of the look, and the look's restarts\n"
	  "  --jsonl                the same objects, one a line, as they come\n"
	  "  --stale-after DURATION see runs\n"
	  "  --restart-dead         resume each interrupted run (its process gone,\n"
	  "                         nothing asked, not stale) with `automator resume\n"
	  "                         --no-input` in its project, detached, its output\n"
	  "                         in .automator/watch-resume.log; at most\n"
	  "                         --restart-budget times per run (default 3): the\n"
	  "                         first at once, the next no sooner than 60 s after\n"
	  "                         it, then 120 s, doubling up to an hour; they are\n"
	  "                         kept in the registry, so a watch --once from cron\n"
	  "                         spends the same budget. Each restart is a line\n"
	  "                         ({\"event\":\"restart\", ...} with --json or\n"
	  "                         --jsonl).\n\n"
	  "Exit status: 0, 64 usage (also: no project here without --all).\n",
	  cmd_watch_exec },
	{ "log", "STORY [--step NAME] [--follow] [--raw | --json | --jsonl] [--run ID]",
	  "print a story's session log, in words",
	  "Prints the log of the story's latest session (of step NAME when given),\n"
	  "whatever step the story is at now. A Claude or Codex session's JSON\n"
	  "events are told in words (its text, one line per tool call, errors,\n"
	  "the result); terminal redraws are resolved and escape sequences left\n"
	  "out. --raw prints the bytes as they were logged. --follow keeps printing\n"
	  "as the session writes, until it ends. --json prints the story's attempts\n"
	  "instead, one array: {step, attempt, session, log_path, started_at,\n"
	  "ended_at, exit_status, exit_signal} (the exit fields null while running).\n"
	  "--jsonl prints the log in words as one JSON object a line, {story, step,\n"
	  "attempt, line}; with --follow, as the session writes.\n\n"
	  "Exit status: 0, 1 when there is no such story (or run) or the story has\n"
	  "no session log, 64 usage.\n",
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
	{ "answer", "ESCALATION CHOICE [--reply TEXT] | --only CHOICE", "answer an open escalation",
	  "Records CHOICE (an option key of the escalation: 1-9 or X) for\n"
	  "ESCALATION (its id: automator escalations list). With --only, CHOICE\n"
	  "alone answers the one open escalation (an error when there are none or\n"
	  "several); a CHOICE that is not a number (X) may also come alone. A live\n"
	  "run picks the answer up at once; with no live run, the next\n"
	  "'automator resume' applies it. --reply TEXT is the text typed into the\n"
	  "agent's pane for a send_reply option (agent needs input).\n\n"
	  "Exit status: 0 recorded, 1 no such escalation, 64 usage (a number alone\n"
	  "without --only), 65 a closed escalation or a choice it does not offer.\n",
	  cmd_answer_exec },
	{ "escalations", "[list [--open] | ack ID | close ID --reason TEXT] [--json | --jsonl]",
	  "list, acknowledge or close escalations",
	  "list (the default) prints the escalations of the latest run, --open only\n"
	  "those still open; --json one JSON array of them, --jsonl one object a\n"
	  "line: {id, run, story, step, trigger, category, severity, status, ...,\n"
	  "options, acked_by, closed_at, message, recommendation}. ack ID marks an open\n"
	  "escalation acknowledged: it is no longer re-sent when stale. close ID\n"
	  "--reason TEXT closes it without a decision; refused while an unfinished\n"
	  "run waits on it (answer it or abort the run) and for an answer the run\n"
	  "has not acted on yet.\n\n"
	  "Exit status: 0, 1 no such escalation, 64 usage, 65 already closed or\n"
	  "refused.\n",
	  cmd_escalations_exec },
	{ "validate", "[--json] FILE...",
	  "check sprint, sprint-status, workflow, agents and triggers files",
	  "Loads each FILE by its kind (a sprint has 'stories:', a BMAD sprint-status\n"
	  "has 'development_status:', a workflow 'steps:', an agents file 'agents:',\n"
	  "a triggers file 'triggers:') and checks it fully: schema, story ids and\n"
	  "dependencies, agent and workflow names, every pattern compiled.\n"
	  "A sprint is checked together with the workflow and agents it names.\n\n"
	  "Prints 'ok FILE' for a good file, or every error found in it, one per\n"
	  "line as 'file:line:col: what is wrong', followed on a terminal by the\n"
	  "source line and a caret. --json prints one JSON array instead: per file\n"
	  "{file, ok, errors: [{file, line, col, message}], warnings, preflight}.\n\n"
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
	{ "completion", "bash|zsh|fish", "print a shell completion script",
	  "Prints the completion script of SHELL for automator and\n"
	  "orchestrator-helper: commands, their options, and the story, escalation\n"
	  "and run ids of the project in the current directory. Installed builds\n"
	  "put them where each shell looks; to try one:\n"
	  "  source <(automator completion bash)\n\n"
	  "Exit status: 0, 64 usage.\n",
	  cmd_completion_exec },
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
	{ "verify-code-review", "STORY [--project-root DIR]",
	  "is the story's review done? sprint-status first, then the story file",
	  "STORY is any key form ('1.2', '1-2', '1-2-slug', '1.4b', '5a'). Reads\n"
	  "_bmad-output/implementation-artifacts/sprint-status.yaml (else\n"
	  "_bmad-output/sprint-status.yaml) as YAML, then the story file\n"
	  "_bmad-output/implementation-artifacts/<prefix>-*.md, whose Status may be\n"
	  "in YAML frontmatter or a body line ('Status: done', '**Status:** done',\n"
	  "any case). The review contract .automator/review-contract.json, e.g.\n"
	  "{\"sources\":[\"sprint-status.yaml\",\"story-file\"],\"doneValues\":[\"done\"]}\n"
	  "(these are the defaults), says which sources are asked, in which order,\n"
	  "and which values mean done (compared without regard to case); the\n"
	  "first source that says done decides. Prints one JSON object:\n"
	  "{\"verified\":true,\"story\":\"1-2-password-reset\",\"sprint_status\":\"done\",\n"
	  "\"story_file_status\":\"done\",\"source\":\"sprint-status.yaml\"}, with\n"
	  "\"source\":\"story-file\" and \"note\":\"sprint_status_not_updated\" when\n"
	  "only the story file says done, or \"verified\":false and\n"
	  "\"reason\":\"workflow_not_complete\". A key that is not valid, or that\n"
	  "neither the sprint-status nor a story file knows, gives\n"
	  "\"reason\":\"could_not_normalize_key\"; a project without a sprint-status\n"
	  "\"reason\":\"sprint_status_not_found\".\n\n"
	  "The project root is --project-root DIR, else $PROJECT_ROOT, else the\n"
	  "nearest directory at or above the current one holding _bmad-output/,\n"
	  ".automator/ or .git.\n\n"
	  "Exit status: 0 verified, 1 not verified (or unknown story, no\n"
	  "sprint-status), 64 usage or no project root, 65 a sprint-status or\n"
	  "review contract that does not load (file:line:col on stderr).\n",
	  cmd_verify_code_review_exec },
	{ "verify-step", "STEP STORY [--project-root DIR] [--sprint FILE]",
	  "run a workflow step's verifier for a story",
	  "Loads the sprint (--sprint FILE; default: sprint.yaml at the project\n"
	  "root, else the project's BMAD sprint-status.yaml, whose workflow is\n"
	  "bmad), finds STEP in its workflow and runs that step's verifier for\n"
	  "STORY in the sprint's project root, as a run would after the step.\n"
	  "Prints the verifier's JSON object: \"verified\", \"source\", \"reason\"\n"
	  "when not verified, and its details (review_completion: the\n"
	  "verify-code-review fields; story_file: \"story\", \"story_files\";\n"
	  "story_artifact: \"pattern\", \"expectedMatches\", \"actualMatches\",\n"
	  "\"matches\"; command: \"argv\",\n"
	  "\"exitStatus\"; epic_complete: \"epic\", \"total\", \"done\",\n"
	  "\"stories\"). A step verified by its session's exit cannot be checked\n"
	  "outside a run: \"reason\":\"no_session\". A story that a BMAD sprint no\n"
	  "longer queues (done) is still checked.\n\n"
	  "The project root is --project-root DIR, else $PROJECT_ROOT, else the\n"
	  "nearest directory at or above the current one holding _bmad-output/,\n"
	  ".automator/ or .git.\n\n"
	  "Exit status: 0 verified, 1 not verified (or no sprint, a story not in\n"
	  "it), 64 usage, no project root or an unknown step, 65 a sprint,\n"
	  "workflow or sprint-status that does not load, or a check that could not\n"
	  "be made.\n",
	  cmd_verify_step_exec },
	{ "sprint-status", "get KEY | exists | check-epic N [--project-root DIR]",
	  "read BMAD sprint-status.yaml",
	  "Reads the project's sprint-status.yaml (in\n"
	  "_bmad-output/implementation-artifacts/, else _bmad-output/) as YAML:\n"
	  "quoted values, comments and nested {status: x} forms all work.\n\n"
	  "get KEY (any key form, or an epic-N key as written) prints\n"
	  "{\"found\":true,\"story\":\"1-2-password-reset\",\"status\":\"review\",\"done\":false}\n"
	  "or {\"found\":false,\"story\":KEY,\"status\":\"not_found\"}. exists prints\n"
	  "true or false. check-epic N (or epic-N) prints {\"ok\":true,\"epic\":\"1\",\n"
	  "\"allStoriesDone\":false,\"total\":3,\"done\":1,\"stories\":[{\"story\":...,\n"
	  "\"status\":...,\"done\":false},...]}, or \"ok\":false with \"reason\":\n"
	  "\"epic_not_found\". done means the value 'done' in any case. Without a\n"
	  "sprint-status the objects say \"reason\":\"sprint_status_not_found\".\n\n"
	  "The project root is --project-root DIR, else $PROJECT_ROOT, else the\n"
	  "nearest directory at or above the current one holding _bmad-output/,\n"
	  ".automator/ or .git.\n\n"
	  "Exit status: 0 found / exists / the epic's stories counted, 1 not found\n"
	  "/ no sprint-status / no such epic, 64 usage or no project root, 65 a\n"
	  "sprint-status that does not load (file:line:col on stderr).\n",
	  cmd_sprint_status_exec },
	{ "story-file-status", "STORY [--project-root DIR]", "the Status of a story's file",
	  "Finds the story file of STORY (any key form):\n"
	  "_bmad-output/implementation-artifacts/<prefix>-*.md, the one named after\n"
	  "the sprint-status key preferred. Prints {\"ok\":true,\"story_key\":KEY,\n"
	  "\"file\":PATH,\"status\":STATUS,\"title\":TITLE}: the key as the\n"
	  "sprint-status lists it (else the file's name), the file's absolute path,\n"
	  "its Status from YAML frontmatter or a body line ('Status: done',\n"
	  "'**Status:** done', any case; \"unknown\" when it has none) and its first\n"
	  "'# ' heading without a 'Story 1.2:' label (null when it has none).\n"
	  "Without a file: {\"ok\":false,\"story_key\":KEY,\n"
	  "\"reason\":\"story_file_not_found\"}.\n\n"
	  "The project root is --project-root DIR, else $PROJECT_ROOT, else the\n"
	  "nearest directory at or above the current one holding _bmad-output/,\n"
	  ".automator/ or .git.\n\n"
	  "Exit status: 0, 1 no story file or a key that is not valid, 64 usage or\n"
	  "no project root, 65 a story file that cannot be read.\n",
	  cmd_story_file_status_exec },
	{ "state-summary", "[--project-root DIR]", "the current run from .automator/state.db",
	  "Prints the project's current run (the latest unfinished one, else the\n"
	  "latest) as one JSON object: {\"ok\":true,\"run\":{id, state, project,\n"
	  "started_at, finished_at, pid}, \"counts\":{STATE: n}, \"stories\":[{id, key,\n"
	  "state, step, attempt}], \"openEscalations\":n, \"marker\":{exists, fresh}}\n"
	  "(\"corrupt\":true is added to marker when it cannot be read). Without a\n"
	  "state database: {\"ok\":false,\"reason\":\"no_state\"}; without a run:\n"
	  "\"reason\":\"no_run\".\n\n"
	  "The project root is --project-root DIR, else $PROJECT_ROOT, else the\n"
	  "nearest directory at or above the current one holding _bmad-output/,\n"
	  ".automator/ or .git.\n\n"
	  "Exit status: 0, 1 no state database or no run yet, 64 usage or no project\n"
	  "root, 70 the store cannot be read.\n",
	  cmd_state_summary_exec },
	{ "list-sessions", "[--project-root DIR]", "the run's tmux sessions",
	  "Prints the agent sessions of the project's current run (as for\n"
	  "state-summary), in the order they were spawned: {\"ok\":true,\"run\":ID,\n"
	  "\"socket\":NAME,\"sessions\":[{id, story, step, attempt, session, log,\n"
	  "started_at, ended_at, exit_status, exit_signal, alive}]}. session is the\n"
	  "tmux session name on the project's private server (tmux -L NAME, or\n"
	  "$AUTOMATOR_TMUX_SOCKET); alive is true while the session exists and its\n"
	  "pane has not died, null when tmux cannot tell. exit_status and\n"
	  "exit_signal are null until recorded.\n\n"
	  "Exit status: 0, 1 no state database or no run yet, 64 usage or no project\n"
	  "root, 70 the store cannot be read.\n",
	  cmd_list_sessions_exec },
	{ "stop-hook", "[--project-root DIR]", "answer Claude Code's Stop hook",
	  "Reads Claude Code's Stop hook input (JSON on stdin; every field may be\n"
	  "missing, and stdin may be empty) and keeps the agent working while an\n"
	  "automator run needs it: it prints {\"decision\":\"block\",\"reason\":...}\n"
	  "only when the marker .automator/active exists, stories remain\n"
	  "(storiesRemaining > 0), AUTOMATOR_CHILD is not set (the run's own agent\n"
	  "sessions always may stop) and the marker's pid is alive (a dead run\n"
	  "never blocks). The reason names the run's pid\n"
	  "and story and tells the agent to go on, or to have the user run\n"
	  "'automator abort'. A corrupt marker blocks too, with a reason telling how\n"
	  "to clear it ('orchestrator-helper marker remove').\n\n"
	  "Otherwise it allows the stop: prints nothing. Input that is not a JSON\n"
	  "object, or no project root, allows the stop with a note on stderr: a\n"
	  "broken hook never traps the agent. With stop_hook_active (Claude already\n"
	  "went on because of a stop hook) it blocks again only when the run made\n"
	  "progress since the last block (its journal changed; for a marker\n"
	  "without one, its heartbeat): .automator/stop-hook-last remembers.\n\n"
	  "Exit status: 0 (block or allow), 64 usage.\n",
	  cmd_stop_hook_exec },
	{ "install-stop-hook", "[--project-root DIR] [--shared | --uninstall]",
	  "add the stop hook to Claude Code's settings of the project",
	  "Adds {\"type\":\"command\",\"command\":CMD,\"timeout\":10} as a new entry\n"
	  "of hooks.Stop in <root>/.claude/settings.local.json (this machine's\n"
	  "settings, which Claude Code does not share), CMD being 'PATH stop-hook'\n"
	  "with PATH the absolute path of this orchestrator-helper. Makes the file\n"
	  "and its directory when missing; every other key and hook is kept.\n"
	  "A hook whose command ends with 'orchestrator-helper stop-hook' is ours:\n"
	  "when it runs another CMD (a path gone stale), it is repaired in place;\n"
	  "otherwise the file is not touched.\n\n"
	  "  --shared     into .claude/settings.json (the team's), with CMD\n"
	  "               'orchestrator-helper stop-hook', which each machine finds\n"
	  "               on its PATH (it must be on PATH here: else 69)\n"
	  "  --uninstall  removes ours from both files\n\n"
	  "Prints {\"ok\":true,\"installed\":BOOL,\"repaired\":BOOL,\"file\":PATH,\n"
	  "\"command\":CMD}; with --uninstall {\"ok\":true,\"removed\":N,\"files\":[...]}.\n\n"
	  "Exit status: 0, 64 usage or no project root, 65 a settings file is not\n"
	  "JSON (file:line:col on stderr) or hooks/hooks.Stop have the wrong type\n"
	  "(the file is left untouched), 69 this orchestrator-helper cannot be\n"
	  "found (--shared: not on PATH), 70 a file cannot be written.\n",
	  cmd_install_stop_hook_exec },
	{ "normalize-key", "STORY [--to id|prefix|key] [--project-root DIR]",
	  "print a story key's id, prefix and key forms",
	  "Normalises a story reference: '1.2', '1-2' and '1-2-some-slug' name the\n"
	  "same story; letter suffixes ('1.4b', '5a') are valid. Prints one JSON\n"
	  "object:\n"
	  "{\"ok\":true,\"id\":\"1.2\",\"prefix\":\"1-2\",\"key\":\"1-2-password-reset\"}.\n"
	  "The key is the one the project's sprint-status lists for the story; when\n"
	  "there is no project, no sprint-status or the story is not listed, it is\n"
	  "the prefix, or STORY's own key when it carries a slug. With --to FORM\n"
	  "only that form is printed, as a bare word.\n\n"
	  "The project root is --project-root DIR, else $PROJECT_ROOT, else the\n"
	  "nearest directory at or above the current one holding _bmad-output/,\n"
	  ".automator/ or .git; finding none is not an error.\n\n"
	  "Exit status: 0, 1 when STORY is not a valid story key, 64 usage or a\n"
	  "project root given that is not a directory, 65 a sprint-status that\n"
	  "does not load.\n",
	  cmd_normalize_key_exec },
	VERSION_CMD,
	HELP_CMD,
	{ NULL, NULL, NULL, NULL, NULL },
};
