#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0495-torture: scripts/torture, bounded: the demo sprint (max_parallel 2)
# killed with -9 at random moments from a fixed seed (the run, sometimes
# its resumes too), then once at each named crash point (AUTOMATOR_CRASH_AT),
# each resumed to the end; after every trial the run is COMPLETE, nothing
# was committed or spawned twice, and the tree, index, sprint-status,
# journal and tmux server are clean (docs/torture.md). 25-45 s with the
# dev build (~2x with ASan); a failed trial is kept under $TMPDIR.
. "$(dirname "$0")/lib.sh"
need tmux git python3

# TORTURE_TRIALS / TORTURE_SEED / TORTURE_JOBS: a longer or other pass by hand
"$AUTOMATOR_DATA_DIR/scripts/torture" --trials "${TORTURE_TRIALS:-8}" \
	--seed "${TORTURE_SEED:-4950}" --points --jobs "${TORTURE_JOBS:-3}" >"$TMP/torture.out" 2>&1
rc=$?
if [ "$rc" != 0 ]; then
	fail "scripts/torture exited $rc"
	cat "$TMP/torture.out" >&2
else
	tail -n 1 "$TMP/torture.out"
fi

finish
