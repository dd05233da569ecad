#!/bin/sh
# tests/check.sh: the project's test. Every script parses, and the app lists
# the plants and finds the ones due for water.
set -u
cd "$(dirname "$0")/.."

bad() {
	echo "check: $*" >&2
	exit 1
}

for f in src/*.sh; do
	sh -n "$f" || bad "$f does not parse"
done
sh src/watering.sh list | grep -q '^Monstera ' || bad "list does not show Monstera"
due=$(sh src/watering.sh due 2025-06-09) || bad "due failed"
[ "$due" = "Monstera
Basil" ] || bad "due on 2025-06-09: got '$due', want Monstera and Basil"
echo "check: ok"
