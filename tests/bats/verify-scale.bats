#!/usr/bin/env bats
# Twelve hand-made streams (line and chain mode, one of them tampered, one
# cut short, lines no stream owns among them) in chunks over three files.
# Check that --jobs 2 writes the same report as one thread, that
# --partition I/3 for I = 0, 1, 2 splits the streams so each is checked
# exactly once, that --merge-reports of the three reports is byte for byte
# the report of a single run with its exit code, and that merging refuses
# a missing, repeated or cut-short partition report (exit 65).

load helper

GEN="$BATS_TEST_DIRNAME/../tools/streamgen"

setup() {
	common_setup
	"$CTL" keygen "$T/k" >/dev/null
	for i in $(seq 10 21); do
		mode=line; [ $((i % 2)) -eq 0 ] || mode=chain
		"$GEN" --key "$T/k.key" --mode "$mode" --lines $((i * 2)) \
		    --streamid "${i}$(printf '%030x' $((i * 7919)))" \
		    --cell "cell-$i" >"$T/s$i"
	done
	sed -i '5s/"guest_pid":10/"guest_pid":70/' "$T/s13"
	sed -i '$d' "$T/s16"
	for i in $(seq 10 21); do
		split -l 7 -d "$T/s$i" "$T/c$i."
	done
	ls "$T"/c*.* | sort -t. -k2 | awk '{ print > ("'"$T"'/list" NR % 3) }'
	for n in 0 1 2; do xargs cat <"$T/list$n" >"$T/f$n"; done
	echo "not a line" >>"$T/f1"
	IN="$T/f0 $T/f1 $T/f2"
}
teardown() { common_teardown; }

vfy() { # ARGS...
	# shellcheck disable=SC2086
	"$CTL" verify --public-key "$T/k.pub" "$@" $IN 2>/dev/null
}

@test "--jobs 2 reports what one thread reports" {
	vfy --report "$T/one" || s1=$?
	vfy --jobs 2 --report "$T/two" || s2=$?
	[ "$s1" -eq 1 ] && [ "$s2" -eq 1 ]
	cmp "$T/one" "$T/two"
	jq -s -e 'map(select(.report == "stream")) | length == 12' "$T/one"
	"$BATS_TEST_DIRNAME/../tools/validate-report" "$T/one"
}

@test "three partitions check each stream once; merged, they are the single run" {
	vfy --report "$T/whole" || whole=$?
	for i in 0 1 2; do
		vfy --partition "$i/3" --report "$T/p$i" || true
		"$BATS_TEST_DIRNAME/../tools/validate-report" "$T/p$i"
	done
	cat "$T"/p[012] | jq -r 'select(.report == "stream") | .streamid' | sort >"$T/ids"
	[ "$(wc -l <"$T/ids")" -eq 12 ] && [ "$(sort -u "$T/ids" | wc -l)" -eq 12 ]
	# the line no stream owns is partition 0's
	jq -s -e '.[-1].unowned_lines == 1' "$T/p0"
	jq -s -e '.[-1].unowned_lines == 0' "$T/p1"
	run "$CTL" verify --merge-reports --report "$T/merged" "$T/p2" "$T/p0" "$T/p1"
	[ "$status" -eq "$whole" ]
	cmp "$T/merged" "$T/whole"
	"$CTL" verify --merge-reports "$T/p0" "$T/p1" "$T/p2" 2>/dev/null | cmp - "$T/whole"
}

@test "merging refuses a missing, repeated or cut-short report" {
	for i in 0 1 2; do vfy --partition "$i/3" --report "$T/p$i" || true; done
	run "$CTL" verify --merge-reports "$T/p0" "$T/p1"
	[ "$status" -eq 65 ]
	[[ "$output" == *"no report of partition 2/3"* ]]
	run "$CTL" verify --merge-reports "$T/p0" "$T/p1" "$T/p1" "$T/p2"
	[ "$status" -eq 65 ]
	[[ "$output" == *"partition 1/3 given twice"* ]]
	sed '$d' "$T/p2" >"$T/cut"
	run "$CTL" verify --merge-reports "$T/p0" "$T/p1" "$T/cut"
	[ "$status" -eq 65 ]
	[[ "$output" == *"$T/cut: no totals line: the report is cut short"* ]]
	run "$CTL" verify --merge-reports --partial "$T/p0"
	[ "$status" -eq 64 ]
	run "$CTL" verify --merge-reports "$T/nothere"
	[ "$status" -eq 66 ]
}
