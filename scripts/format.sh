#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# format.sh: clang-format over fsm/, src/ and tests/ with the checked-in
# .clang-format. Tables are fenced with clang-format off/on.
#
#   scripts/format.sh          rewrite files in place
#   scripts/format.sh --check  list unformatted files, exit 1 if any
set -euo pipefail
cd "$(dirname "$0")/.."

files=$(git ls-files -co --exclude-standard 'fsm/*.[ch]' 'src/*.[ch]' 'tests/unit/*.[ch]' 'tests/fuzz/*.[ch]')
[[ -n $files ]] || exit 0
if [[ ${1:-} == --check ]]; then
	bad=0
	for f in $files; do
		if ! clang-format --style=file "$f" | cmp -s - "$f"; then
			echo "unformatted: $f (run scripts/format.sh)"
			bad=1
		fi
	done
	exit $bad
fi
clang-format --style=file -i $files
