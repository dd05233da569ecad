#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0010-cli: the command tables of automator and orchestrator-helper:
# --help for every command, version, usage errors exit 64 on stderr.
. "$(dirname "$0")/lib.sh"

expect_exit 64 "no command" -- "$AUTOMATOR"
expect_grep "$TMP/err" "usage: automator COMMAND" "no command prints usage on stderr"
[ -s "$TMP/out" ] && fail "no command: stdout not empty"

expect_exit 64 "unknown command" -- "$AUTOMATOR" frobnicate
expect_grep "$TMP/err" "unknown command 'frobnicate'" "unknown command message"
expect_grep "$TMP/err" "usage: automator" "unknown command prints usage"

expect_exit 0 "--help" -- "$AUTOMATOR" --help
expect_grep "$TMP/out" "validate" "--help lists validate"

expect_exit 0 "version" -- "$AUTOMATOR" version
expect_grep "$TMP/out" '^automator [0-9][0-9.]*$' "version output"
expect_exit 0 "--version" -- "$AUTOMATOR" --version
expect_grep "$TMP/out" '^automator [0-9]' "--version output"
expect_exit 64 "version with an argument" -- "$AUTOMATOR" version extra

# every listed command answers --help and 'help NAME' with its usage
for prog in "$AUTOMATOR" "$HELPER"; do
	name=$(basename "$prog")
	expect_exit 0 "$name help" -- "$prog" help
	cmds=$(sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' "$TMP/out")
	[ -n "$cmds" ] || fail "$name help lists no commands"
	for c in $cmds; do
		expect_exit 0 "$name $c --help" -- "$prog" "$c" --help
		expect_grep "$TMP/out" "^usage: $name $c" "$name $c --help usage line"
		expect_exit 0 "$name help $c" -- "$prog" help "$c"
		expect_grep "$TMP/out" "^usage: $name $c" "$name help $c usage line"
	done
done

expect_exit 64 "bad flag" -- "$AUTOMATOR" validate --frob x.yaml
expect_grep "$TMP/err" "unknown option '--frob'" "bad flag message"
expect_grep "$TMP/err" "usage: automator validate" "bad flag usage"
expect_exit 64 "run --isolation with another word" -- "$AUTOMATOR" run --isolation none x.yaml
expect_grep "$TMP/err" "isolation takes worktree or shared" "run --isolation message"
expect_exit 64 "short bad flag" -- "$AUTOMATOR" fsm -x
expect_exit 64 "help for an unknown command" -- "$AUTOMATOR" help frobnicate

# the helper is the same binary dispatching on its name
expect_exit 0 "helper version" -- "$HELPER" version
expect_grep "$TMP/out" "^orchestrator-helper [0-9]" "helper version output"
expect_exit 64 "helper unknown command" -- "$HELPER" validate x
expect_exit 0 "normalize-key 1.2" -- "$HELPER" normalize-key 1.2
expect_grep "$TMP/out" '^{"ok":true,"id":"1.2","prefix":"1-2","key":"1-2"}$' "normalize-key 1.2"
expect_exit 0 "normalize-key slug" -- "$HELPER" normalize-key 1-4b-some-slug
expect_grep "$TMP/out" '"id":"1.4b","prefix":"1-4b","key":"1-4b-some-slug"' "normalize-key slug"
expect_exit 1 "normalize-key invalid" -- "$HELPER" normalize-key '$(touch pwned)'
expect_grep "$TMP/out" '"reason":"could_not_normalize_key"' "normalize-key invalid reason"
expect_exit 64 "normalize-key no argument" -- "$HELPER" normalize-key

finish
