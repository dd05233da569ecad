/* SPDX-License-Identifier: MIT */
/* commands.h: exec functions of the commands listed in commands.c. */
#ifndef AU_COMMANDS_H
#define AU_COMMANDS_H

int cmd_validate_exec(int argc, char **argv);
int cmd_fsm_exec(int argc, char **argv);
int cmd_normalize_key_exec(int argc, char **argv);
int cmd_run_exec(int argc, char **argv);
int cmd_resume_exec(int argc, char **argv);
int cmd_status_exec(int argc, char **argv);
int cmd_log_exec(int argc, char **argv);
int cmd_runs_exec(int argc, char **argv);
int cmd_watch_exec(int argc, char **argv);
int cmd_attach_exec(int argc, char **argv);
int cmd_abort_exec(int argc, char **argv);
int cmd_answer_exec(int argc, char **argv);
int cmd_escalations_exec(int argc, char **argv);
int cmd_marker_exec(int argc, char **argv);
int cmd_verify_code_review_exec(int argc, char **argv);
int cmd_verify_step_exec(int argc, char **argv);
int cmd_sprint_status_exec(int argc, char **argv);
int cmd_story_file_status_exec(int argc, char **argv);
int cmd_state_summary_exec(int argc, char **argv);
int cmd_list_sessions_exec(int argc, char **argv);
int cmd_stop_hook_exec(int argc, char **argv);
int cmd_install_stop_hook_exec(int argc, char **argv);

int cmd_version_exec(int argc, char **argv);
int cmd_completion_exec(int argc, char **argv);
int cmd_init_exec(int argc, char **argv);

/* The version string compiled in. */
const char *automator_version(void);
/* `git describe` of the source tree built, "" outside git. */
const char *automator_git_describe(void);

#endif
