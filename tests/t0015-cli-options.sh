#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0015-cli-options: short options, did-you-mean for commands and options,
# `answer` never taking a number alone for an option, "not found" exits 1,
# `version` with the git description and the data directory, and the bash
# completion script completing commands, options and the project's story
# and escalation ids (a scripted bash calling the generated function).
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3 jq

# ---- did-you-mean ----
expect_exit 64 "misspelt command" -- "$AUTOMATOR" stauts
expect_grep "$TMP/err" "unknown command 'stauts' (did you mean 'status'?)" "command did-you-mean"
expect_exit 64 "misspelt helper command" -- "$HELPER" verify-code-reveiw 1.1
expect_grep "$TMP/err" "did you mean 'verify-code-review'" "helper command did-you-mean"
expect_exit 64 "misspelt option" -- "$AUTOMATOR" status --jsno
expect_grep "$TMP/err" "unknown option '--jsno' (did you mean '--json'?)" "option did-you-mean"
expect_exit 64 "unknown short option" -- "$AUTOMATOR" status -x
expect_grep "$TMP/err" "unknown option '-x'" "unknown short option"
expect_exit 64 "a switch given a value" -- "$AUTOMATOR" status --json=yes
expect_grep "$TMP/err" "option '--json' takes no value" "switch with a value"
expect_exit 64 "a value missing" -- "$AUTOMATOR" status --run
expect_grep "$TMP/err" "option '--run' needs a value" "missing value"

# ---- version ----
expect_exit 0 "version" -- "$AUTOMATOR" version
expect_grep "$TMP/out" "^automator [0-9]" "version line"
expect_grep "$TMP/out" "^data: /" "data directory line"
if git -C "$SOURCE_DIR" rev-parse --git-dir >/dev/null 2>&1; then
	expect_grep "$TMP/out" "^git: [0-9a-f]\{7\}\|^git: v\?[0-9]" "git description"
fi
expect_exit 0 "version --json" -- "$AUTOMATOR" version -j
jq -e '.program == "automator" and (.version | test("^[0-9]")) and (.data_dir | length > 0)
	and has("git")' "$TMP/out" >/dev/null || fail "version --json fields: $(cat "$TMP/out")"
[ -f "$(jq -r .data_dir "$TMP/out")/data/triggers.yaml" ] || fail "version's data dir holds no data"

# ---- a project with a run: short options, answer, completion ----
P=$TMP/proj
make_project "$P"
cat >"$P/cli-sprint.yaml" <<'YAML'
project: cli
root: .
workflow: demo
agent: fake
max_parallel: 1
stories:
  - id: "1.1"
    title: Never parses
    fake: { dev: garbage }
  - id: "1.2"
    title: Second story
YAML
git -C "$P" add cli-sprint.yaml && git -C "$P" commit -q -m "cli sprint"

au "$P" run -n cli-sprint.yaml
[ "$rc" = 0 ] || fail "run -n (dry run): exit $rc"
[ ! -e "$P/.automator/state.db" ] || fail "run -n wrote a journal"

au "$P" run --no-input cli-sprint.yaml
[ "$rc" = 3 ] || { fail "run to the escalation: exit $rc, want 3"; cat "$TMP/au.out" >&2; }
id=$(sql "$P" "SELECT id FROM escalations WHERE status != 'closed' LIMIT 1")
[ -n "$id" ] || fail "no open escalation"

(cd "$P" && "$AUTOMATOR" status -j) >"$TMP/st.json" || fail "status -j: exit $?"
jq -e '.stories | length == 2' "$TMP/st.json" >/dev/null || fail "status -j is not the JSON snapshot"
(cd "$P" && "$AUTOMATOR" status -h) >"$TMP/help" || fail "status -h: exit $?"
expect_grep "$TMP/help" "^usage: automator status" "-h is --help"

# not found: 1, whatever is missing
au "$P" status --run nope
[ "$rc" = 1 ] || fail "status --run nope: exit $rc, want 1"
expect_grep "$TMP/au.out" "no run 'nope'" "no such run"
au "$P" resume --run nope --no-input
[ "$rc" = 1 ] || fail "resume --run nope: exit $rc, want 1"
au "$P" abort --run nope
[ "$rc" = 1 ] || fail "abort --run nope: exit $rc, want 1"
au "$P" answer 999 1
[ "$rc" = 1 ] || fail "answer to escalation 999: exit $rc, want 1"
au "$P" escalations ack 999
[ "$rc" = 1 ] || fail "escalations ack 999: exit $rc, want 1"

# a number alone is ambiguous: refused, nothing recorded
au "$P" answer 1
[ "$rc" = 64 ] || fail "answer 1 alone: exit $rc, want 64"
expect_grep "$TMP/au.out" "could be an escalation or an option" "answer 1 alone says why"
[ "$(sql "$P" "SELECT count(*) FROM escalations WHERE chosen IS NOT NULL")" = 0 ] ||
	fail "answer 1 alone recorded a choice"
au "$P" answer "$id" 1 --only
[ "$rc" = 64 ] || fail "--only with an escalation id: exit $rc, want 64"

# ---- bash completion, from the generated script ----
cat >"$TMP/complete.sh" <<'SH'
source <("$AUTOMATOR" completion bash)
c() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_automator
	echo "${COMPREPLY[*]}"
}
SH
compl() {
	(cd "$P" && PATH=$(dirname "$AUTOMATOR"):$PATH bash -c ". '$TMP/complete.sh'; c \"\$@\"" c "$@")
}
[ "$(compl automator stat)" = "status" ] || fail "complete 'stat': '$(compl automator stat)'"
compl automator esc | grep -qw escalations || fail "complete 'esc'"
compl automator status --j | grep -qw -- --json || fail "complete 'status --j'"
compl automator status - | grep -qw -- -j || fail "short options completed"
compl automator log "" | grep -qw 1.1 || fail "story ids for log: '$(compl automator log "")'"
compl automator log "" | grep -qw 1.2 || fail "every story id for log"
compl automator answer "" | grep -qw "$id" || fail "escalation ids for answer: '$(compl automator answer "")'"
compl automator status --run "" | grep -q "[0-9]" || fail "run ids for --run"
[ "$(compl automator run --isolation w)" = "worktree" ] || fail "literal option values"
compl orchestrator-helper verify-c | grep -qw verify-code-review || fail "helper commands"
compl automator help ver | grep -qw version || fail "help COMMAND"

# the --only form answers the one open escalation
au "$P" answer --only 1
[ "$rc" = 0 ] || { fail "answer --only 1: exit $rc"; cat "$TMP/au.out" >&2; }
[ "$(sql "$P" "SELECT chosen FROM escalations WHERE id = $id")" = 1 ] || fail "--only recorded nothing"

# zsh and fish scripts are written too (syntax checked where the shell is)
for sh in zsh fish; do
	expect_exit 0 "completion $sh" -- "$AUTOMATOR" completion "$sh"
	cp "$TMP/out" "$TMP/complete.$sh"
	expect_grep "$TMP/out" "orchestrator-helper" "$sh script covers the helper"
	if command -v "$sh" >/dev/null; then
		"$sh" -n "$TMP/out" || fail "$sh rejects its script"
	fi
done
# fish completes from its script (`complete -C` asks it what a line completes to)
if command -v fish >/dev/null; then
	fc() { (cd "$P" && PATH=$(dirname "$AUTOMATOR"):$PATH fish -c "source '$TMP/complete.fish'; complete -C '$1'" | cut -f1); }
	fc "automator stat" | grep -qx status || fail "fish: commands"
	fc "automator status --" | grep -qx -- --json || fail "fish: options"
	fc "automator log " | grep -qx 1.2 || fail "fish: story ids: '$(fc "automator log ")'"
	fc "automator run --isolation " | grep -qx worktree || fail "fish: option values"
fi
# zsh: its function called as the completion system would (compadd and
# _files stood in for, words and CURRENT set); zsh itself filters by prefix
if command -v zsh >/dev/null; then
	cat >"$TMP/zc.zsh" <<'ZSH'
compadd() { local i=${@[(i)--]}; print -l -- "${@[i+1,-1]}"; }
_files() { print -- "<files>"; }
source "$1" >/dev/null
shift
words=("$@")
CURRENT=$#
_automator
ZSH
	zc() { (cd "$P" && PATH=$(dirname "$AUTOMATOR"):$PATH zsh -f "$TMP/zc.zsh" "$TMP/complete.zsh" "$@"); }
	zc automator stat | grep -qx status || fail "zsh: commands"
	zc automator status --j | grep -qx -- --json || fail "zsh: options"
	zc automator log "" | grep -qx 1.2 || fail "zsh: story ids: '$(zc automator log "" | tr '\n' ' ')'"
	zc automator answer "" | grep -qx "$id" || fail "zsh: escalation ids"
	zc automator run --isolation "" | grep -qx worktree || fail "zsh: option values"
	zc automator validate "" | grep -qx "<files>" || fail "zsh: files"
fi
expect_exit 64 "completion of an unknown shell" -- "$AUTOMATOR" completion tcsh
finish
