# plants.sh: the plant registry, sourced by watering.sh.
# data/plants.txt holds one plant a line: name|every N days|last watered.
PLANTS_FILE=${PLANTS_FILE:-$here/../data/plants.txt}

# plants_each: name, interval and last watering date of every plant, one
# plant a line, tab-separated; comments and blank lines skipped.
plants_each() {
	grep -v -e '^#' -e '^[[:space:]]*$' "$PLANTS_FILE" | tr '|' '\t'
}

plants_list() {
	plants_each | while IFS='	' read -r name every last; do
		printf '%-18s every %2s days, last watered %s\n' "$name" "$every" "$last"
	done
}

# plants_due DATE: the plants whose next watering is on or before DATE.
plants_due() {
	today=$(date -d "$1" +%Y%m%d)
	plants_each | while IFS='	' read -r name every last; do
		next=$(date -d "$last + $every days" +%Y%m%d)
		if [ "$next" -le "$today" ]; then
			echo "$name"
		fi
	done
}
