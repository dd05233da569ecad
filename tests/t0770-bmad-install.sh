#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154 # rc is set by au() in lib.sh
# t0770-bmad-install: the bmad workflow's prompts invoke BMAD in the form
# installed for the story's agent (tests/fixtures/bmad-install): Claude Code
# skills (/bmad-create-story) in skills/, the legacy commands
# (/bmad:bmm:workflows:create-story) in legacy/, the legacy words for the
# fake agent; with nothing installed (none/) a claude or codex run stops at
# preflight (exit 69, naming `npx bmad-method install`) before any session
# and writes nothing. With the real Claude Code CLI (scripts/agent-clis.sh),
# one create-story session of skills/ against the mock API shows the skill
# reaching the model; the Codex forms (codex-skills/: $bmad-create-story,
# codex-prompts/: the legacy prompt's path) likewise with the real Codex CLI.
. "$(dirname "$0")/lib.sh"
need tmux git sqlite3 python3

FIX=$AUTOMATOR_DATA_DIR/tests/fixtures/bmad-install
# where scripts/agent-clis.sh put the real CLIs (under the real $HOME)
CLI_BIN=$("$AUTOMATOR_DATA_DIR/scripts/agent-clis.sh" --print-bin)
# no BMAD of the user's own $HOME may count
export HOME=$TMP/home
mkdir -p "$HOME"
unset CODEX_HOME

# Programs named claude and codex that are the fake agent: the presets below
# are Claude Code and Codex by their program's name.
BIN=$TMP/bin
mkdir -p "$BIN"
for p in claude codex; do
	printf '#!/bin/sh\nexec "%s/scripts/fake-agent" "$@"\n' "$AUTOMATOR_DATA_DIR" >"$BIN/$p"
	chmod +x "$BIN/$p"
done
export PATH="$BIN:$PATH"
export AUTOMATOR_FAKE_DEFAULT_DEV_STORY="edit src/greet.sh"

# setup NAME FIXTURE: a project from the fixture with a sprint over its
# sprint-status.yaml, the bmad workflow, presets claude and codex
setup() {
	P=$TMP/$1
	make_project "$P" "$FIX/$2" >/dev/null
	cat >"$P/sprint.yaml" <<'YAML'
project: install
workflow: bmad
agent: claude
status_file: _bmad-output/implementation-artifacts/sprint-status.yaml
limits: { review_cycles: 2, crash_retries: 0, idle_timeout: 2m, step_timeout: 5m }
agents:
  claude:
    command: [claude, "{prompt}"]
    output: text
  codex:
    command: [codex, "{prompt}"]
    output: text
stories:
  - id: "1.1"
    title: Say hello
YAML
	git -C "$P" add sprint.yaml && git -C "$P" commit -qm sprint
}

# first_line STORY-STEP: the first line of the prompt the agent got
first_line() {
	head -n 1 "$AUTOMATOR_FAKE_LOG_DIR/$1-1.prompt" 2>/dev/null
}

# run_fake NAME FIXTURE AGENT: a full run; the prompts land in $AUTOMATOR_FAKE_LOG_DIR
run_fake() {
	setup "$1" "$2"
	export AUTOMATOR_FAKE_LOG_DIR=$TMP/calls-$1
	au "$P" run sprint.yaml --no-input ${3:+--agent "$3"}
	[ "$rc" = 0 ] || { fail "$1: run exited $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }
}

# --- skills/: the Claude Code skills ---
run_fake skills skills
for pair in create-story:bmad-create-story dev-story:bmad-dev-story \
	automate:bmad-testarch-automate code-review:bmad-code-review; do
	step=${pair%%:*}
	want="/${pair#*:} 1-1-say-hello"
	got=$(first_line "1.1-$step")
	[ "$got" = "$want" ] || fail "skills: $step prompt starts '$got', want '$want'"
done
# the spec of the session holds the same prompt
spec=$(find "$P/.automator/logs" -name 1.1-create-story-1.json 2>/dev/null | head -n 1)
if [ -n "$spec" ]; then
	grep -q '/bmad-create-story 1-1-say-hello' "$spec" || fail "skills: the session spec lacks the skill invocation"
else
	fail "skills: no session spec 1.1-create-story-1.json"
fi
grep -q 'bmad:bmm:workflows' "$AUTOMATOR_FAKE_LOG_DIR"/*.prompt && fail "skills: a prompt used the legacy command"

# --- legacy/: the legacy Claude commands ---
run_fake legacy legacy
for pair in create-story:create-story dev-story:dev-story automate:testarch-automate \
	code-review:code-review; do
	step=${pair%%:*}
	want="/bmad:bmm:workflows:${pair#*:} 1-1-say-hello"
	got=$(first_line "1.1-$step")
	[ "$got" = "$want" ] || fail "legacy: $step prompt starts '$got', want '$want'"
done

# --- codex-skills/: Codex skills, invoked as $skill ---
run_fake codex-skills codex-skills codex
for pair in create-story:bmad-create-story dev-story:bmad-dev-story \
	automate:bmad-testarch-automate code-review:bmad-code-review; do
	step=${pair%%:*}
	want="\$${pair#*:} 1-1-say-hello"
	got=$(first_line "1.1-$step")
	[ "$got" = "$want" ] || fail "codex-skills: $step prompt starts '$got', want '$want'"
done
cp "$AUTOMATOR_FAKE_LOG_DIR/1.1-create-story-1.prompt" "$TMP/codex-skills.prompt"

# --- codex-prompts/: Codex's legacy custom prompts, named by their path
# (codex exec does not expand /prompts:NAME; the model reads the file) ---
run_fake codex-prompts codex-prompts codex
for wf in create-story dev-story testarch-automate code-review; do
	step=${wf#testarch-}
	want="Follow the BMAD $wf workflow in $P/.codex/prompts/bmad-bmm-workflows-$wf.md: 1-1-say-hello"
	got=$(first_line "1.1-$step")
	[ "$got" = "$want" ] || fail "codex-prompts: $step prompt starts '$got', want '$want'"
done
cp "$AUTOMATOR_FAKE_LOG_DIR/1.1-create-story-1.prompt" "$TMP/codex-prompts.prompt"
CODEX_PROMPTS_P=$P

# --- the fake agent: no install needed, the legacy words ---
run_fake fake none fake
got=$(first_line 1.1-dev-story)
[ "$got" = "/bmad:bmm:workflows:dev-story 1-1-say-hello" ] || fail "fake agent: dev-story prompt starts '$got'"

# --- skills/ installed but not committed: a story's worktree would lack
# them, so preflight stops the run (exit 69) naming them and the fix;
# --isolation shared runs in the project's tree, where they are ---
setup uncommitted skills
git -C "$P" rm -r -q --cached .claude && git -C "$P" commit -qm "BMAD not committed"
printf '.claude/\n' >>"$P/.git/info/exclude"
export AUTOMATOR_FAKE_LOG_DIR=$TMP/calls-uncommitted
au "$P" run sprint.yaml --no-input
[ "$rc" = 69 ] || { fail "uncommitted: exit $rc, want 69"; sed 's/^/  /' "$TMP/au.out" >&2; }
expect_grep "$TMP/au.out" "installed in '.*' but not committed (.claude/)" "uncommitted: what is missing"
expect_grep "$TMP/au.out" "git add -- .claude/ && git commit" "uncommitted: the fix"
expect_grep "$TMP/au.out" "or run with --isolation shared" "uncommitted: the other way"
[ -e "$AUTOMATOR_FAKE_LOG_DIR" ] && fail "uncommitted: an agent session started"
[ -e "$P/.automator/worktrees" ] && fail "uncommitted: a worktree was made"
au "$P" run sprint.yaml --no-input --isolation shared
[ "$rc" = 0 ] || { fail "uncommitted, shared: exit $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }
[ "$(first_line 1.1-create-story)" = "/bmad-create-story 1-1-say-hello" ] ||
	fail "uncommitted, shared: create-story prompt starts '$(first_line 1.1-create-story)'"

# --- none/: claude and codex stop at preflight, nothing written ---
for agent in claude codex; do
	setup "none-$agent" none
	export AUTOMATOR_FAKE_LOG_DIR=$TMP/calls-none-$agent
	au "$P" run sprint.yaml --no-input --agent "$agent"
	[ "$rc" = 69 ] || { fail "none/$agent: exit $rc, want 69"; sed 's/^/  /' "$TMP/au.out" >&2; }
	expect_grep "$TMP/au.out" "npx bmad-method install" "none/$agent: the install command"
	expect_grep "$TMP/au.out" "agent preset '$agent'" "none/$agent: the preset named"
	if [ "$agent" = claude ]; then
		expect_grep "$TMP/au.out" ".claude/skills/bmad-\*/SKILL.md" "none/claude: what is missing"
	else
		expect_grep "$TMP/au.out" ".agents/skills/bmad-\*/SKILL.md" "none/codex: what is missing"
	fi
	[ -e "$P/.automator" ] && fail "none/$agent: .automator was written"
	[ -e "$AUTOMATOR_FAKE_LOG_DIR" ] && fail "none/$agent: an agent session started"
	[ -z "$(git -C "$P" status --porcelain)" ] || fail "none/$agent: the work tree changed"
	# the dry run says the same, with the same exit
	au "$P" run sprint.yaml --dry-run --agent "$agent"
	[ "$rc" = 69 ] || fail "none/$agent: dry run exit $rc, want 69"
	expect_grep "$TMP/au.out" "npx bmad-method install" "none/$agent: dry run names the install"
done
# a codex install (.agents/skills) satisfies codex, not claude
mkdir -p "$P/.agents/skills/bmad-dev-story"
printf -- '---\nname: bmad-dev-story\ndescription: x\n---\n' >"$P/.agents/skills/bmad-dev-story/SKILL.md"
au "$P" run sprint.yaml --dry-run --agent codex
[ "$rc" = 69 ] || fail "codex skills, not committed: dry run exit $rc, want 69"
expect_grep "$TMP/au.out" "but not committed (.agents/skills/)" "codex skills: not committed"
git -C "$P" add .agents && git -C "$P" commit -qm "codex skills"
au "$P" run sprint.yaml --dry-run --agent codex
[ "$rc" = 0 ] || { fail "codex skills: dry run exit $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }
au "$P" run sprint.yaml --dry-run --agent claude
[ "$rc" = 69 ] || fail "codex skills: claude dry run exit $rc, want 69"
# BMAD installed in $HOME counts
mkdir -p "$HOME/.claude/skills/bmad-dev-story"
printf -- '---\nname: bmad-dev-story\ndescription: x\n---\n' >"$HOME/.claude/skills/bmad-dev-story/SKILL.md"
au "$P" run sprint.yaml --dry-run --agent claude
[ "$rc" = 0 ] || { fail "home skills: dry run exit $rc, want 0"; sed 's/^/  /' "$TMP/au.out" >&2; }
rm -rf "$HOME/.claude"

# --- the real Claude Code CLI against the mock: the skill reaches the model ---
real_claude() {
	local bin=$CLI_BIN
	"$bin/claude" --version >/dev/null 2>&1 || { echo "note: claude is not installed; real CLI part skipped" >&2; return 0; }
	mockapi_start '{"claude": "success"}' || { fail "mockapi did not start"; return 0; }
	P=$TMP/real
	make_project "$P" "$FIX/skills" >/dev/null
	(
		cd "$P" || exit 1
		# shellcheck disable=SC2046 # claude_env prints one word a line
		env $(claude_env) timeout 90 "$bin/claude" -p "/bmad-create-story 1-1-say-hello" \
			--output-format stream-json --verbose \
			>"$TMP/real.out" 2>&1
	)
	if grep -q 'Unknown command\|Unknown skill' "$TMP/real.out"; then
		fail "real claude: the skill was not found"
		sed 's/^/  /' "$TMP/real.out" | head -n 20 >&2
	fi
	# the first model request carries the skill expanded by the CLI: its
	# name, its arguments and its SKILL.md body
	python3 - "$MOCK_LOG" <<'PY' || { fail "real claude: the mock never saw the skill"; sed 's/^/  /' "$MOCK_LOG" | head -c 3000 >&2; }
import json, sys
seen = []
for line in open(sys.argv[1]):
    e = json.loads(line)
    s = e.get("summary")
    if e.get("cli") == "claude" and isinstance(s, dict):
        seen.append(s.get("first_user", ""))
assert seen, "no model request"
t = seen[0]
assert "<command-name>/bmad-create-story</command-name>" in t, t
assert "1-1-say-hello" in t, t
assert "Follow the instructions in ./workflow.md." in t, t
assert ".claude/skills/bmad-create-story" in t, t
PY
	mockapi_stop
}
real_claude

# --- the real Codex CLI against the mock: what automator rendered for each
# Codex form reaches the model as Codex makes it: the skill expanded from
# its SKILL.md; the legacy prompt's path intact, naming a file that exists ---
real_codex() {
	local bin=$CLI_BIN form
	"$bin/codex" --version >/dev/null 2>&1 || { echo "note: codex is not installed; real CLI part skipped" >&2; return 0; }
	mockapi_start '{"codex": "success"}' || { fail "mockapi did not start"; return 0; }
	for form in codex-skills codex-prompts; do
		P=$TMP/real-$form
		make_project "$P" "$FIX/$form" >/dev/null
		: >"$MOCK_LOG"
		(
			cd "$P" || exit 1
			# shellcheck disable=SC2046 # codex_env and codex_args print one word a line
			env $(codex_env) timeout 90 "$bin/codex" exec --json --skip-git-repo-check \
				$(codex_args) "$(cat "$TMP/$form.prompt")" </dev/null >"$TMP/real-$form.out" 2>&1
		)
		python3 - "$MOCK_LOG" "$form" "$P" "$CODEX_PROMPTS_P" <<'PY' || { fail "real codex $form: what the model got"; sed 's/^/  /' "$TMP/real-$form.out" | head -n 20 >&2; }
import json, os, sys
log, form, proj, rendered_in = sys.argv[1:]
texts = []
for line in open(log):
    e = json.loads(line)
    s = e.get("summary")
    if e.get("cli") == "codex" and isinstance(s, dict):
        texts = s.get("user_texts") or []
        break
assert texts, "no model request"
prompt = [t for t in texts if "1-1-say-hello" in t and "AUTONOMOUS MODE" in t]
assert len(prompt) == 1, texts
if form == "codex-skills":
    assert prompt[0].startswith("$bmad-create-story 1-1-say-hello\n"), prompt[0][:200]
    skill = [t for t in texts if t.startswith("<skill>")]
    assert skill, texts
    assert "<name>bmad-create-story</name>" in skill[0], skill[0]
    assert "/.agents/skills/bmad-create-story/SKILL.md</path>" in skill[0], skill[0]
    assert "Follow the instructions in ./workflow.md." in skill[0], skill[0]
else:
    first = prompt[0].split("\n", 1)[0]
    want = "Follow the BMAD create-story workflow in %s/.codex/prompts/bmad-bmm-workflows-create-story.md: 1-1-say-hello" % rendered_in
    assert first == want, (first, want)
    assert os.path.isfile(first.split(" in ", 1)[1].rsplit(":", 1)[0]), first
    assert not any(t.startswith("<skill>") for t in texts), texts
PY
		grep -q '"type":"turn.completed"' "$TMP/real-$form.out" || fail "real codex $form: the turn did not complete"
	done
	mockapi_stop
}
real_codex

finish
