#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0470-preflight: run, resume, run --dry-run and validate check what a run
# needs before any agent time is spent: every agent preset's program, a git
# repository with a commit, and a git identity. run and resume stop with
# exit 69 having written nothing (no .automator/, no tmux server, the
# journal untouched); --dry-run prints the plan and exits 69; validate
# prints the same findings as warnings and keeps exit 0. The demo still runs.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3

# nothing above the temp directory may count as a repository
export GIT_CEILING_DIRECTORIES=$TMP

# no_trace DIR WHAT: nothing was written in DIR and no tmux server started
no_trace() {
	[ ! -e "$1/.automator" ] || fail "$2: .automator/ was created"
	! tmux -L "$AUTOMATOR_TMUX_SOCKET" -f /dev/null ls >/dev/null 2>&1 ||
		fail "$2: a tmux server was started"
}

# a PATH with the tools but no agent CLI
mkdir -p "$TMP/bin"
for t in git tmux sh bash env; do ln -sf "$(command -v $t)" "$TMP/bin/$t"; done

# ---- an agent preset whose program is not installed ----
P=$TMP/proj
make_project "$P"
cat >"$P/claude-sprint.yaml" <<'YAML'
project: pre
root: .
workflow: demo
agent: claude
stories:
  - id: "1.1"
    title: Needs claude
YAML
missing="agent preset 'claude' needs the program 'claude', which is not in PATH (install: npm install -g @anthropic-ai/claude-code)"

(cd "$P" && timeout 20 env PATH="$TMP/bin" "$AUTOMATOR" run claude-sprint.yaml --no-input) >"$TMP/out" 2>"$TMP/err"
rc=$?
[ "$rc" = 69 ] || { fail "missing claude: exit $rc, want 69"; sed 's/^/  /' "$TMP/err" >&2; }
grep -qxF "automator: $missing" "$TMP/err" || { fail "missing claude: message"; sed 's/^/  /' "$TMP/err" >&2; }
# the fallback is not required: a warning only
expect_grep "$TMP/err" "^automator: warning: fallback agent preset 'codex' of 'claude' needs the program 'codex'" \
	"missing fallback warning"
no_trace "$P" "missing claude"

# --dry-run: the plan, then the same findings, exit 69; nothing written
(cd "$P" && timeout 20 env PATH="$TMP/bin" "$AUTOMATOR" run claude-sprint.yaml --dry-run) >"$TMP/out" 2>"$TMP/err"
rc=$?
[ "$rc" = 69 ] || fail "dry run, missing claude: exit $rc, want 69"
expect_grep "$TMP/out" "1.1 *claude *Needs claude" "dry run prints the plan"
grep -qxF "automator: $missing" "$TMP/err" || fail "dry run: message"
no_trace "$P" "dry run"

# validate: a warning, the file is fine
(cd "$P" && timeout 20 env PATH="$TMP/bin" "$AUTOMATOR" validate claude-sprint.yaml) >"$TMP/out" 2>"$TMP/err"
rc=$?
[ "$rc" = 0 ] || fail "validate, missing claude: exit $rc, want 0"
[ "$(cat "$TMP/out")" = "ok claude-sprint.yaml" ] || fail "validate: stdout '$(cat "$TMP/out")'"
grep -qxF "claude-sprint.yaml: warning: $missing" "$TMP/err" ||
	{ fail "validate: warning"; sed 's/^/  /' "$TMP/err" >&2; }
no_trace "$P" "validate"

# --agent picks the preset that is checked
(cd "$P" && timeout 20 env PATH="$TMP/bin" "$AUTOMATOR" run claude-sprint.yaml --agent codex --dry-run) >"$TMP/out" 2>"$TMP/err"
rc=$?
[ "$rc" = 69 ] || fail "--agent codex: exit $rc, want 69"
expect_grep "$TMP/err" "agent preset 'codex' needs the program 'codex', which is not in PATH (install: npm install -g @openai/codex)" \
	"--agent codex message"
grep -q "^automator: agent preset 'claude'" "$TMP/err" && fail "--agent codex: claude was required"
(cd "$P" && timeout 20 env PATH="$TMP/bin" "$AUTOMATOR" run claude-sprint.yaml --agent fake --dry-run) >"$TMP/out" 2>"$TMP/err"
rc=$?
[ "$rc" = 0 ] || { fail "--agent fake: exit $rc, want 0"; sed 's/^/  /' "$TMP/err" >&2; }
[ -s "$TMP/err" ] && { fail "--agent fake: findings"; sed 's/^/  /' "$TMP/err" >&2; }

# ---- no git identity ----
N=$TMP/noident
make_project "$N"
git -C "$N" config --unset user.name
git -C "$N" config --unset user.email
mkdir -p "$TMP/emptyhome"
noident() {
	(cd "$N" && env -u GIT_AUTHOR_NAME -u GIT_AUTHOR_EMAIL -u GIT_COMMITTER_NAME \
		-u GIT_COMMITTER_EMAIL -u EMAIL HOME="$TMP/emptyhome" XDG_CONFIG_HOME="$TMP/emptyhome" \
		GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=user.useConfigOnly \
		GIT_CONFIG_VALUE_0=true timeout 20 "$AUTOMATOR" "$@") >"$TMP/out" 2>"$TMP/err"
	rc=$?
}
noident run sprint.yaml --no-input
[ "$rc" = 69 ] || { fail "no identity: exit $rc, want 69"; sed 's/^/  /' "$TMP/err" >&2; }
expect_grep "$TMP/err" "^automator: git has no identity to commit with in '$N'" "no identity message"
grep -qxF '    git config user.name "Your Name"' "$TMP/err" || fail "no identity: the user.name command"
grep -qxF '    git config user.email you@example.com' "$TMP/err" || fail "no identity: the user.email command"
no_trace "$N" "no identity"
noident run sprint.yaml --dry-run
[ "$rc" = 69 ] || fail "no identity, dry run: exit $rc, want 69"
expect_grep "$TMP/err" "git has no identity" "no identity, dry run"
noident validate sprint.yaml
[ "$rc" = 0 ] || fail "no identity, validate: exit $rc, want 0"
expect_grep "$TMP/err" "^sprint.yaml: warning: git has no identity" "no identity, validate"
no_trace "$N" "no identity, validate"

# ---- not a git repository, and one without a commit ----
R=$TMP/norepo
mkdir -p "$R"
cp -R "$AUTOMATOR_DATA_DIR/examples/demo/." "$R/"
au "$R" run sprint.yaml --no-input
[ "$rc" = 69 ] || { fail "not a repository: exit $rc, want 69"; sed 's/^/  /' "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "^automator: the project root '$R' is not in a git repository" "not a repository message"
expect_grep "$TMP/au.out" "git init && git commit --allow-empty -m init" "not a repository hint"
no_trace "$R" "not a repository"
au "$R" run sprint.yaml --dry-run
[ "$rc" = 69 ] || fail "not a repository, dry run: exit $rc, want 69"
git -C "$R" init -q -b main
git -C "$R" config user.name "Automator Test"
git -C "$R" config user.email "test@example.invalid"
au "$R" run sprint.yaml --no-input
[ "$rc" = 69 ] || fail "no commit: exit $rc, want 69"
expect_grep "$TMP/au.out" "^automator: the git repository at '$R' has no commit yet (make one with: cd $R && git commit --allow-empty -m init)" \
	"no commit message"
no_trace "$R" "no commit"

# ---- resume: a preset whose program went away stops before the journal ----
mkdir -p "$TMP/agentbin"
ln -sf "$AUTOMATOR_DATA_DIR/scripts/fake-agent" "$TMP/agentbin/my-fake"
cat >"$P/resume-sprint.yaml" <<'YAML'
project: pre
root: .
workflow: demo
agent: mine
limits: { crash_retries: 0 }
agents:
  mine:
    command: "my-fake {prompt}"
stories:
  - id: "1.1"
    title: Crashes, so the run pauses
    fake: { dev: crash }
YAML
(cd "$P" && PATH=$TMP/agentbin:$PATH timeout 60 "$AUTOMATOR" run resume-sprint.yaml --no-input) >"$TMP/run.out" 2>&1
rc=$?
[ "$rc" = 3 ] || { fail "paused run: exit $rc, want 3"; sed 's/^/  /' "$TMP/run.out" >&2; }
pid=$(sql "$P" "SELECT pid FROM runs")
journal=$(sql "$P" "SELECT count(*) FROM journal" 2>/dev/null || sql "$P" "SELECT count(*) FROM transitions")
au "$P" resume --no-input
[ "$rc" = 69 ] || { fail "resume without the program: exit $rc, want 69"; sed 's/^/  /' "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "^automator: agent preset 'mine' needs the program 'my-fake', which is not in PATH" \
	"resume names the preset and the program"
[ "$(sql "$P" "SELECT pid FROM runs")" = "$pid" ] || fail "resume without the program recorded its pid"
[ "$(sql "$P" "SELECT count(*) FROM journal" 2>/dev/null || sql "$P" "SELECT count(*) FROM transitions")" = "$journal" ] ||
	fail "resume without the program wrote to the journal"
(cd "$P" && "$AUTOMATOR" abort) >/dev/null 2>&1

# ---- the demo still runs ----
D=$TMP/demo
make_project "$D"
au "$D" run sprint.yaml --no-input
[ "$rc" = 0 ] || { fail "demo: exit $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }
grep -q "warning" "$TMP/au.out" && fail "demo: unexpected warnings"

finish
