/* SPDX-License-Identifier: MIT */
/*
 * fsm_names.h: the names of both machines' states, events, guards and
 * actions, as X-macro lists. Enums, name strings and docs/fsm.md all come
 * from these lists, so they never drift. libc only.
 *
 * X(NAME, "doc string")
 */
#ifndef AU_FSM_NAMES_H
#define AU_FSM_NAMES_H

/* ---- run machine ---- */
#define RUN_STATES(X)                                                         \
	X(INITIALIZING, "loading and checking the sprint")                    \
	X(READY, "loaded; nothing dispatched yet")                            \
	X(IN_PROGRESS, "stories are being dispatched")                        \
	X(PAUSED, "a CRITICAL escalation is open; nothing new is dispatched") \
	X(EXECUTION_COMPLETE, "every story reached a final state")            \
	X(COMPLETE, "summary written; the run is over")                       \
	X(ABORTED, "stopped by the user")

#define RUN_TERMINAL(X) X(COMPLETE) X(ABORTED)

#define RUN_EVENTS(X)                                                     \
	X(LOADED, "the sprint, workflow and agents loaded and validated") \
	X(START, "the scheduler starts dispatching")                      \
	X(CRITICAL, "a CRITICAL escalation was raised")                   \
	X(RESOLVED, "the open CRITICAL escalation was answered")          \
	X(RESUME, "the process was restarted on an unfinished run")       \
	X(ALL_FINAL, "every story is in a final state")                   \
	X(FINALIZED, "the summary was written")                           \
	X(ABORT, "the user aborted the run")

#define RUN_GUARDS(X) X(MORE_CRITICAL, "another CRITICAL escalation is still open")

#define RUN_ACTIONS(X)                                                     \
	X(PREPARE, "record the run and its stories")                       \
	X(CREATE_MARKER, "write .automator/active and start dispatching")  \
	X(PAUSE, "remove the marker, stop dispatching, show the decision") \
	X(UNPAUSE, "recreate the marker and dispatch again")               \
	X(REATTACH, "re-attach live sessions and judge ended ones")        \
	X(FINALIZE, "remove the marker and write the summary")             \
	X(ABORT_RUN, "kill the run's sessions and remove the marker")

/* ---- story machine ---- */
#define STORY_STATES(X)                                                       \
	X(PENDING, "waiting for its dependencies and a free slot")            \
	X(SPAWN, "an agent session step runs")                                \
	X(REVIEW, "a review session runs, up to review_cycles times")         \
	X(WAITING, "the agent's service asked to wait; no attempt is spent")  \
	X(COMMIT, "the story's changes are committed")                        \
	X(VERIFY, "the final verifiers run")                                  \
	X(INTEGRATE, "its branch is integrated into the target branch")       \
	X(AWAITING_DECISION, "a PREFERENCE escalation is open for the story") \
	X(BLOCKED, "a CRITICAL escalation is open for the story")             \
	X(DONE, "verified and committed")                                     \
	X(SKIPPED, "skipped by a decision")                                   \
	X(FAILED, "marked failed by a decision")                              \
	X(ABORTED, "aborted")

#define STORY_TERMINAL(X) X(DONE) X(SKIPPED) X(FAILED) X(ABORTED)

#define STORY_EVENTS(X)                                                          \
	X(START, "scheduler: dependencies done and a slot is free")              \
	X(ENTER_SESSION, "follow-up: the current step is a session step")        \
	X(ENTER_REVIEW, "follow-up: the current step is a review step")          \
	X(ENTER_COMMIT, "follow-up: the current step is a commit step")          \
	X(ENTER_VERIFY, "follow-up: the current step is a verify step")          \
	X(STEPS_DONE, "follow-up: no steps are left")                            \
	X(OUTPUT_SUCCESS, "monitor: a success pattern or a clean exit")          \
	X(RESULT, "monitor: an AUTOMATOR_RESULT line satisfying the schema")     \
	X(OUTPUT_FAILURE, "monitor: a failure pattern or a failed result")       \
	X(NO_RESULT, "monitor: exit 0 without the expected result")              \
	X(EXITED, "monitor: the process failed (non-zero exit or a signal)")     \
	X(LOST, "monitor: the session's terminal went away (tmux killed)")       \
	X(WAITING_INPUT, "monitor: the agent waits at a prompt")                 \
	X(WAIT, "monitor: the service asks to wait (limit, overload, 5xx)")      \
	X(NETWORK, "monitor: the agent could not reach its service")             \
	X(UNAVAILABLE, "monitor: a human must act (login, billing, program)")    \
	X(PERMISSION_DENIED, "monitor: it succeeded but was denied tools")       \
	X(WAIT_OVER, "scheduler: the wait is over")                              \
	X(OVER_BUDGET, "scheduler: the next session would pass a cost budget")   \
	X(IDLE, "monitor: no output for idle_timeout")                           \
	X(PROGRESSED, "monitor: restarted, it then worked restart_reset_after")  \
	X(TIMEOUT, "monitor: the step ran past its timeout")                     \
	X(SPAWN_FAILED, "monitor: the session could not be started")             \
	X(VERIFIED, "side effect: the step's verifier passed")                   \
	X(NOT_VERIFIED, "side effect: the step's verifier failed")               \
	X(COMMITTED, "side effect: the commit was made (or nothing to commit)")  \
	X(COMMIT_FAILED, "side effect: git commit failed")                       \
	X(INTEGRATED, "side effect: the branch is on the target branch")         \
	X(CONFLICT, "side effect: integrating the branch met a conflict")        \
	X(ERROR, "side effect: the step could not be carried out")               \
	X(OPTIONAL_FAILED, "the failed step is optional: it is skipped")         \
	X(CHOSE_RETRY, "human: retry the step")                                  \
	X(CHOSE_RETRY_FALLBACK, "human: retry the step with the fallback agent") \
	X(CHOSE_CONTINUE, "human: continue (fixed by hand, or in parallel)")     \
	X(CHOSE_REPLY, "human: a reply was typed into the agent's pane")         \
	X(CHOSE_MARK_SUCCESS, "human: treat the step as successful")             \
	X(CHOSE_MARK_FAILURE, "human: treat the step as failed")                 \
	X(CHOSE_SKIP_STEP, "human: skip the current step")                       \
	X(CHOSE_SKIP_STORY, "human: skip the story")                             \
	X(CHOSE_ABORT_STORY, "human: abort the story")                           \
	X(CHOSE_KEEP_WAITING, "human: keep waiting for the limit's reset")       \
	X(CHOSE_RAISE_BUDGET, "human: raise the story's cost budget")            \
	X(CHOSE_RESOLVE, "human: let an agent resolve the conflict")             \
	X(ABORT, "human: the run is aborted")

#define STORY_GUARDS(X)                                                           \
	X(RETRIES_LEFT, "the step has retries left")                              \
	X(CRASH_RETRIES_LEFT, "the step has crash retries left")                  \
	X(CYCLES_LEFT, "the review has cycles left")                              \
	X(RESTARTS_LEFT, "the restart budget is not spent")                       \
	X(COOLDOWN, "a restart is left, after one in a row: it cools down first") \
	X(HAS_DEPENDENTS, "other stories depend on this one")                     \
	X(IS_REVIEW_STEP, "the current step is a review step")                    \
	X(WAIT_LEFT, "the wait ends within limits.max_wait")                      \
	X(ISOLATED, "the story has a worktree of its own")                        \
	X(INTEGRATING, "its steps are done: the decision is about the integration")

#define STORY_ACTIONS(X)                                                              \
	X(BEGIN_STORY, "record the story's base commit; queue the first step")        \
	X(RUN_SESSION, "spawn the step's agent session")                              \
	X(RUN_COMMIT, "commit the story's changes")                                   \
	X(RUN_VERIFY, "run the step's verifiers")                                     \
	X(VERIFY_STEP, "judge the ended session with the step's verifier")            \
	X(NEXT_STEP, "advance to the next step and queue its ENTER event")            \
	X(RETRY_STEP, "count an attempt and queue the current step again")            \
	X(NEW_CYCLE, "count a review cycle and queue the review again")               \
	X(RESTART_STEP, "kill the stuck session; restart within the budget")          \
	X(COOLDOWN_RESTART, "kill the session; restart after the cooldown (backoff)") \
	X(RESET_RESTARTS, "the step's restart budget is whole again")                 \
	X(WAIT, "record the wait and hold the agent preset until the reset")          \
	X(BACKOFF_RETRY, "count a retry; wait with backoff (network)")                \
	X(RESUME_STEP, "queue the current step again; nothing is counted")            \
	X(RAISE_BUDGET, "raise the story's cost budget; queue the step again")        \
	X(RESUME_SESSION, "go on monitoring the session after a reply")               \
	X(FALLBACK_RETRY, "switch to the fallback agent and queue the step again")    \
	X(MARK_DONE, "set the sprint-status value to done; free the slot")            \
	X(INTEGRATE, "rebase the story's branch and fast-forward the target")         \
	X(RESOLVE_CONFLICT, "stop the integration at its conflict; queue resolve")    \
	X(CLOSE_STORY, "close the story's escalation and free the slot")              \
	X(ESCALATE_CANNOT_PARSE, "raise cannot-parse-output (PREFERENCE)")            \
	X(ESCALATE_SPAWN_FAILURE, "raise session-spawn-failure (CRITICAL)")           \
	X(ESCALATE_IMPL_FAILURE, "raise dev-implementation-failure (PREFERENCE)")     \
	X(ESCALATE_IMPL_BLOCKING, "raise dev-implementation-failure (CRITICAL)")      \
	X(ESCALATE_REVIEW_LOOP, "raise code-review-loop-exceeded (CRITICAL)")         \
	X(ESCALATE_INCOMPLETE, "raise session-incomplete (CRITICAL)")                 \
	X(ESCALATE_COMMIT_FAILURE, "raise git-commit-failure (CRITICAL)")             \
	X(ESCALATE_CONFLICT, "raise integration-conflict (PREFERENCE)")               \
	X(ESCALATE_NEEDS_INPUT, "raise agent-needs-input (PREFERENCE)")               \
	X(ESCALATE_RESTART_LOOP, "raise restart-loop (CRITICAL)")                     \
	X(ESCALATE_LOST, "raise session-lost (CRITICAL)")                             \
	X(ESCALATE_UNAVAILABLE, "raise agent-unavailable (CRITICAL)")                 \
	X(ESCALATE_USAGE_LIMIT, "raise usage-limit (PREFERENCE)")                     \
	X(ESCALATE_DENIED, "raise agent-permission-denied (PREFERENCE)")              \
	X(ESCALATE_BUDGET, "raise budget-exceeded (PREFERENCE)")                      \
	X(ESCALATE_UNEXPECTED, "raise unexpected-error (CRITICAL)")

#endif
