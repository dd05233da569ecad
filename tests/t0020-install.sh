#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t0020-install: `cmake --install` into a prefix installs both programs
# (orchestrator-helper as a link, listed in install_manifest.txt), the man
# pages (which render without warnings), the completions where each shell
# looks, the docs, the demo and the LICENSE; the installed binary holds no
# path of the source or build tree and, run from elsewhere with nothing
# pointing at the checkout, finds its data under the prefix and runs the
# installed demo, the checkout and build tree hidden under empty mounts
# (a user and mount namespace, where the machine allows one).
. "$(dirname "$0")/lib.sh"
need cmake man tmux git
: "${BUILD_DIR:?}" "${SOURCE_DIR:?}"

prefix=$TMP/prefix
cmake --install "$BUILD_DIR" --prefix "$prefix" >"$TMP/install.out" 2>&1 ||
	{ fail "cmake --install: exit $?"; cat "$TMP/install.out" >&2; finish; }
manifest=$BUILD_DIR/install_manifest.txt

for f in bin/automator bin/orchestrator-helper \
	share/man/man1/automator.1 share/man/man1/orchestrator-helper.1 \
	share/man/man5/automator-sprint.5 share/man/man5/automator-workflow.5 \
	share/bash-completion/completions/automator \
	share/bash-completion/completions/orchestrator-helper \
	share/zsh/site-functions/_automator \
	share/fish/vendor_completions.d/automator.fish \
	share/doc/automator/README.md share/doc/automator/LICENSE \
	share/doc/automator/docs/cli.md share/doc/automator/examples/demo/sprint.yaml \
	share/automator/data/triggers.yaml share/automator/scripts/fake-agent; do
	[ -e "$prefix/$f" ] || fail "not installed: $f"
	grep -qx "$prefix/$f" "$manifest" || fail "not in install_manifest.txt: $f"
done
[ "$(readlink "$prefix/bin/orchestrator-helper")" = automator ] ||
	fail "orchestrator-helper is not a link to automator"

# every man page renders, without a warning
n=0
for page in "$prefix"/share/man/man*/*; do
	n=$((n + 1))
	MANWIDTH=80 man --warnings -l "$page" >"$TMP/man.txt" 2>"$TMP/man.err" ||
		fail "man -l $(basename "$page"): exit $?"
	[ ! -s "$TMP/man.err" ] || { fail "man -l $(basename "$page") warns"; cat "$TMP/man.err" >&2; }
	[ "$(wc -l <"$TMP/man.txt")" -gt 20 ] || fail "$(basename "$page") renders almost nothing"
done
[ "$n" -ge 4 ] || fail "only $n man pages installed"

# no path of this checkout in the installed binary (an ASan build aside:
# its instrumentation names each source file as given, whatever
# -ffile-prefix-map says; it is never one to install)
if grep -q '^AUTOMATOR_SANITIZE:BOOL=ON' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
	echo "note: a sanitizer build: the binary's paths are not checked" >&2
else
	for tree in "$SOURCE_DIR" "$BUILD_DIR"; do
		grep -a -q -F "$tree" "$prefix/bin/automator" &&
			fail "the installed binary names the checkout's path $tree"
	done
fi

# from elsewhere, nothing pointing at the checkout: data from the prefix
unset AUTOMATOR_DATA_DIR
cd "$TMP" || exit 1
"$prefix/bin/automator" version --json >"$TMP/version.json" || fail "installed version: exit $?"
grep -q "\"data_dir\":\"$prefix/share/automator\"" "$TMP/version.json" ||
	fail "installed data dir: $(cat "$TMP/version.json")"
"$prefix/bin/orchestrator-helper" version >"$TMP/hv.out" || fail "installed helper: exit $?"
grep -q "^orchestrator-helper [0-9]" "$TMP/hv.out" || fail "helper version: $(cat "$TMP/hv.out")"

# the installed demo, by the installed binary and its fake agent, with the
# checkout and the build tree out of sight where this machine allows it: a
# mount namespace with an empty tmpfs over each (else as they are)
hidden() {
	local over=("$SOURCE_DIR")
	case $BUILD_DIR/ in "$SOURCE_DIR"/*) ;; *) over+=("$BUILD_DIR") ;; esac
	# shellcheck disable=SC2016
	unshare -rm sh -c 'for d in "$@"; do [ "$d" = -- ] && break; mount -t tmpfs none "$d" || exit 99; done
		while [ "$1" != -- ]; do shift; done; shift; exec "$@"' sh "${over[@]}" -- "$@"
}
if unshare -rm true 2>/dev/null && hidden true 2>/dev/null; then
	hidden test -e "$SOURCE_DIR/CMakeLists.txt" && fail "the checkout is still visible in the namespace"
	# tmux's socket directory of our own: uid 0 in the namespace is not the real one
	mkdir -p "$TMP/tmuxdir"
	run_installed() { TMUX_TMPDIR=$TMP/tmuxdir hidden "$@"; }
else
	echo "note: no mount namespace here: the installed demo runs with the checkout in place" >&2
	run_installed() { "$@"; }
fi
D=$TMP/demo
make_project "$D" "$prefix/share/doc/automator/examples/demo"
(cd "$D" && run_installed timeout 120 "$prefix/bin/automator" run --no-input sprint.yaml) >"$TMP/demo.out" 2>&1
rc=$?
[ "$rc" = 0 ] || { fail "installed demo: exit $rc"; tail -20 "$TMP/demo.out" >&2; }
[ "$(git -C "$D" log --oneline | wc -l)" -ge 6 ] || fail "installed demo: too few commits"
finish
