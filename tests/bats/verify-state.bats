#!/usr/bin/env bats
# verify --state over several runs, as chunks of hand-made streams land:
# in order, out of order (a gap filled by a later run), redelivered, a
# different line for a sequence an earlier run verified, a key rotation
# between runs, and the lines a run leaves waiting for a seal.
# Check that each run verifies only what landed (the totals over the runs
# count each line once), that a late chunk proves its lines and the line
# after its gap (chain mode included), that a redelivery is a duplicate and
# another line equivocation (exit 1), that pending lines are proven and
# printed when their seal lands, that the state is replaced by a rename
# (never rewritten in place), and that a state of another key set or not a
# state at all is refused (exit 65).

load helper

GEN="$BATS_TEST_DIRNAME/../tools/streamgen"

setup() {
	common_setup
	"$CTL" keygen "$T/k" >/dev/null
	"$CTL" keygen "$T/b" >/dev/null
}
teardown() { common_teardown; }

vfy() { # ARGS...: with the key and the state
	run "$CTL" verify --public-key "$T/k.pub" --state "$T/state" "$@"
	echo "$output"
}

cut3() { # FILE: FILE.1 FILE.2 FILE.3, lines 1-12, 13-30, 31-
	sed -n 1,12p "$1" >"$1.1"
	sed -n 13,30p "$1" >"$1.2"
	sed -n '31,$p' "$1" >"$1.3"
}

@test "chunks landing in order: each verified once; a rotation kept between runs" {
	for mode in line chain; do
		rm -f "$T/state"
		"$GEN" --key "$T/k.key" --mode "$mode" --lines 40 --seal-every 5 \
		    --rotate-at 20 --new-key "$T/b.key" >"$T/s"
		cut3 "$T/s"
		for n in 1 2; do
			vfy --partial --report "$T/r$n" "$T/s.$n"
			[ "$status" -eq 0 ]
		done
		vfy --report "$T/r3" "$T/s.3"
		[ "$status" -eq 0 ]
		total=$(wc -l <"$T/s")
		jq -s -e --argjson n "$total" '.[0] | .lines == $n and
		    .verified == $n and .copies == $n and .duplicates == 0 and
		    .first_sequence == 1 and .stopped' "$T/r3"
	done
}

@test "a late chunk fills a gap: its lines and the line after it proven" {
	for mode in line chain; do
		rm -f "$T/state"
		"$GEN" --key "$T/k.key" --mode "$mode" --lines 40 --seal-every 5 >"$T/s"
		cut3 "$T/s"
		vfy --partial "$T/s.1"
		[ "$status" -eq 0 ]
		vfy --partial --report "$T/r" "$T/s.3"
		[ "$status" -eq 2 ]
		jq -s -e '.[0].missing == [[13, 30]]' "$T/r"
		vfy --partial --report "$T/r" "$T/s.2"
		[ "$status" -eq 0 ]
		jq -s -e --argjson n "$(wc -l <"$T/s")" '.[0] | .missing == [] and
		    .unproven == [] and .verified == $n' "$T/r"
	done
}

@test "a redelivery is a duplicate; another line for a verified sequence fails" {
	"$GEN" --key "$T/k.key" --mode chain --lines 20 >"$T/s"
	vfy "$T/s"
	[ "$status" -eq 0 ]
	vfy --report "$T/r" "$T/s"
	[ "$status" -eq 0 ]
	jq -s -e --argjson n "$(wc -l <"$T/s")" '.[0].duplicates == $n' "$T/r"
	sed -n '7s/"guest_pid":10/"guest_pid":70/p' "$T/s" >"$T/other"
	[ -s "$T/other" ]
	vfy "$T/other"
	[ "$status" -eq 1 ]
	[[ "$output" == *"line 1: sequence 7 of stream 5eed"*"differs from the line an earlier run verified (--state): equivocation"* ]]
}

@test "lines waiting for a seal are proven, and printed, when it lands" {
	"$GEN" --key "$T/k.key" --mode chain --lines 20 --seal-every 6 >"$T/s"
	# cut two lines after a seal: they wait
	seal=$(grep -n '"type":"cell.observability.host.telemetry.seal"' "$T/s" | head -n 1 | cut -d: -f1)
	head -n $((seal + 2)) "$T/s" >"$T/a"
	tail -n +$((seal + 3)) "$T/s" >"$T/b"
	run "$CTL" verify --public-key "$T/k.pub" --state "$T/state" --partial --print "$T/a"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | grep -c '^{')" -eq "$seal" ]
	"$CTL" verify --public-key "$T/k.pub" --state "$T/state" --print \
	    --report "$T/r" "$T/b" >"$T/p2"
	cat <(head -n "$seal" "$T/s") "$T/p2" | cmp - "$T/s"
	jq -s -e '.[0].unproven == [] and .[0].verdict == "ok"' "$T/r"
}

@test "the state is replaced by a rename; other keys or formats are refused" {
	"$GEN" --key "$T/k.key" --lines 10 >"$T/s"
	sed -n 1,5p "$T/s" >"$T/a"
	vfy --partial "$T/a"
	[ "$status" -eq 0 ]
	cp "$T/state" "$T/before"
	exec 5<"$T/state"
	vfy --partial "$T/s"
	[ "$status" -eq 0 ]
	# the old file, still open, is untouched: a new one took its name
	cmp - "$T/before" <&5
	exec 5<&-
	! cmp -s "$T/state" "$T/before"
	[ -z "$(ls "$T" | grep '^state\.')" ]
	cp "$T/state" "$T/before"
	run "$CTL" verify --public-key "$T/b.pub" --state "$T/state" --partial "$T/s"
	[ "$status" -eq 65 ]
	[[ "$output" == *"--state $T/state was written with another key set; use a new state file"* ]]
	cmp "$T/state" "$T/before"
	echo '{"some":"thing"}' >"$T/state"
	vfy "$T/s"
	[ "$status" -eq 65 ]
	[[ "$output" == *"is not a verify state file"* ]]
}
