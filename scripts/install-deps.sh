#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# install-deps.sh: installs what automator needs to build and test, with
# apt-get (Debian 12 or later). Idempotent: packages already installed are
# skipped, and nothing is fetched when nothing is missing.
#
#   scripts/install-deps.sh          install what is missing, then the
#                                    agent CLIs (scripts/agent-clis.sh)
#   scripts/install-deps.sh --check  exit 1 (listing them) if any are missing
#                                    (the agent CLIs are optional: not checked)
#
# node and npm are the machine's own: npm (which brings Debian's nodejs) is
# added only when neither node nor npm is there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# The -dev packages also ship the static archives a release build links
# (cmake/static-deps.cmake): libyaml.a, libpcre2-8.a, libsqlite3.a,
# libjansson.a; zlib1g-dev because sqlite3.pc names -lz for a static link,
# libc6-dev (from build-essential) holds libc.a for the static PIE.
# zsh and fish: the tests run the completion scripts they get (t0015); man-db
# renders the man pages in t0020.
packages=(
	build-essential cmake pkg-config git tmux sqlite3 python3 jq
	libyaml-dev libpcre2-dev libsqlite3-dev libjansson-dev libcmocka-dev zlib1g-dev
	scdoc clang-format tzdata clang libclang-rt-dev zsh fish man-db
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done

# the agent CLIs need npm; never replace a node that is already there
want_npm=0
if ! command -v node >/dev/null && ! command -v npm >/dev/null; then
	want_npm=1
fi

if [[ ${1:-} == --check ]]; then
	if ((${#missing[@]})); then
		echo "missing packages: ${missing[*]}" >&2
		exit 1
	fi
	exit 0
fi

if ((${#missing[@]} == 0 && !want_npm)); then
	echo "install-deps: all ${#packages[@]} packages present"
	exec "$here/agent-clis.sh"
fi

sudo=()
if ((EUID != 0)); then
	command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
	sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
if ((${#missing[@]})); then
	echo "install-deps: installing ${missing[*]}"
	"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# optional: a failure here only means the agent CLI tests skip
if ((want_npm)); then
	echo "install-deps: no node or npm; installing npm for the agent CLIs"
	"${sudo[@]}" apt-get install -y -qq --no-install-recommends npm ||
		echo "install-deps: could not install npm; the agent CLI tests will be skipped"
fi
exec "$here/agent-clis.sh"
