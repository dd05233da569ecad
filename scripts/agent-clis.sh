#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# agent-clis.sh: installs the real agent CLIs the tests run against the
# loopback mock API (tests/mockapi.py), at pinned versions, into a cache
# directory outside the checkout. Idempotent: nothing is fetched when both
# already report the pinned versions.
#
#   scripts/agent-clis.sh              install what is missing
#   scripts/agent-clis.sh --check      exit 1 unless both are installed
#   scripts/agent-clis.sh --print-bin  print the directory holding claude and codex
#
# The cache: $AUTOMATOR_NPM_CACHE, else $XDG_CACHE_HOME/automator/npm, else
# ~/.cache/automator/npm. Needs node and npm (node 20 or later); when npm is
# missing or its registry cannot be reached it says so on one line and exits
# 0, and the tests that need the CLIs skip.
set -euo pipefail

CLAUDE_PKG=@anthropic-ai/claude-code
CLAUDE_VERSION=2.1.332
CODEX_PKG=@openai/codex
CODEX_VERSION=0.171.0

dir=${AUTOMATOR_NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/automator/npm}
bin=$dir/node_modules/.bin

# installed: both CLIs run and print the pinned versions.
installed() {
	local c x
	c=$("$bin/claude" --version 2>/dev/null) || return 1
	x=$("$bin/codex" --version 2>/dev/null) || return 1
	[[ $c == "$CLAUDE_VERSION "* && $x == "codex-cli $CODEX_VERSION" ]]
}

case ${1:-} in
--print-bin)
	echo "$bin"
	exit 0
	;;
--check)
	if installed; then exit 0; fi
	echo "agent-clis: $CLAUDE_PKG@$CLAUDE_VERSION and $CODEX_PKG@$CODEX_VERSION are not both installed in $dir" >&2
	exit 1
	;;
"") ;;
*)
	echo "usage: $0 [--check | --print-bin]" >&2
	exit 64
	;;
esac

if installed; then
	echo "agent-clis: claude $CLAUDE_VERSION and codex $CODEX_VERSION present in $dir"
	exit 0
fi

if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
	echo "agent-clis: node/npm not found; the agent CLI tests will be skipped"
	exit 0
fi

mkdir -p "$dir"
echo "agent-clis: installing $CLAUDE_PKG@$CLAUDE_VERSION $CODEX_PKG@$CODEX_VERSION into $dir"
log=$dir/npm-install.log
# --no-save: the cache directory gets no package.json of ours; the npm
# warnings (engine, install scripts) go to the log.
if ! npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error \
	"$CLAUDE_PKG@$CLAUDE_VERSION" "$CODEX_PKG@$CODEX_VERSION" >"$log" 2>&1; then
	echo "agent-clis: npm install failed (registry unreachable?), see $log; the agent CLI tests will be skipped"
	exit 0
fi

# claude's package ships bin/claude.exe as a placeholder script that its
# postinstall (install.cjs) replaces with the native binary of the
# platform's optional package (@anthropic-ai/claude-code-linux-x64 ...).
# npm 11 runs dependency install scripts only when allowed ("allowScripts"),
# or warns and runs them, depending on its configuration; run it ourselves
# when the placeholder is still there.
if ! "$bin/claude" --version >/dev/null 2>&1; then
	pkgdir=$dir/node_modules/$CLAUDE_PKG
	if [[ -f $pkgdir/install.cjs ]]; then
		(cd "$pkgdir" && node install.cjs) >>"$log" 2>&1 || true
	fi
fi

if installed; then
	echo "agent-clis: claude $CLAUDE_VERSION and codex $CODEX_VERSION installed in $dir"
else
	echo "agent-clis: installed, but claude or codex does not report the pinned version (see $log); the agent CLI tests will be skipped"
fi
exit 0
