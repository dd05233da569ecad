#!/usr/bin/env bash
# install-deps.sh: installs what automator needs to build and test, with
# apt-get (Debian 12 or later). Idempotent: packages already installed are
# skipped, and nothing is fetched when nothing is missing.
#
#   scripts/install-deps.sh          install what is missing
#   scripts/install-deps.sh --check  exit 1 (listing them) if any are missing
set -euo pipefail

packages=(
	build-essential cmake pkg-config git tmux sqlite3 python3 jq
	libyaml-dev libpcre2-dev libsqlite3-dev libjansson-dev libcmocka-dev
	scdoc clang-format
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done

if [[ ${1:-} == --check ]]; then
	if ((${#missing[@]})); then
		echo "missing packages: ${missing[*]}" >&2
		exit 1
	fi
	exit 0
fi

if ((${#missing[@]} == 0)); then
	echo "install-deps: all ${#packages[@]} packages present"
	exit 0
fi

sudo=()
if ((EUID != 0)); then
	command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
	sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
