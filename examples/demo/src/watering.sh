#!/bin/sh
# water-me: which house plants need water.
#
#   watering.sh list              every plant and its watering interval
#   watering.sh due [YYYY-MM-DD]  the plants due for water (default: today)
set -eu
here=$(dirname "$0")
. "$here/plants.sh"

case ${1:-list} in
list) plants_list ;;
due) plants_due "${2:-$(date +%Y-%m-%d)}" ;;
*)
	echo "usage: watering.sh [list | due [YYYY-MM-DD]]" >&2
	exit 64
	;;
esac
