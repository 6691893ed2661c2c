#!/usr/bin/env bats
# verify --print and --output on honest, tampered, shuffled and redelivered
# streams, and on a chain stream sealed only at its end, longer than what
# --print holds.
# Check that only verified lines are printed, in order, once each; that a
# pipeline with set -o pipefail fails on a tampered stream; that past its
# memory bound --print fails (exit 2) and prints nothing of the stream
# it could not hold, never exits 0; and that --output's file appears only
# when everything verified.

load helper

GEN="$BATS_TEST_DIRNAME/../tools/streamgen"

setup() {
	common_setup
	"$CTL" keygen "$T/k" >/dev/null
}
teardown() { common_teardown; }

@test "shuffled chunks with redeliveries: printed in order, once" {
	"$GEN" --key "$T/k.key" --mode chain --lines 30 >"$T/s"
	{ sed -n '20,$p' "$T/s"; sed -n 1,12p "$T/s"; } >"$T/part1"
	{ sed -n 5,25p "$T/s"; } >"$T/part2"
	"$CTL" verify --public-key "$T/k.pub" --print "$T/part1" "$T/part2" >"$T/p"
	cmp "$T/p" "$T/s"
	"$CTL" verify --public-key "$T/k.pub" --output "$T/o" "$T/part2" "$T/part1"
	cmp "$T/o" "$T/s"
}

@test "a tampered stream: only verified lines, and the pipeline fails" {
	for mode in line chain; do
		"$GEN" --key "$T/k.key" --mode "$mode" --lines 12 --seal-every 4 >"$T/s"
		sed '8s/"guest_pid":10/"guest_pid":90/' "$T/s" >"$T/bad"
		! cmp -s "$T/s" "$T/bad"
		run bash -c 'set -o pipefail; "$0" verify --public-key "$1" --print "$2" | jq -c . >"$3"' \
		    "$CTL" "$T/k.pub" "$T/bad" "$T/p"
		[ "$status" -eq 1 ]
		# line 8 is never printed; in chain mode neither is line 7,
		# which its broken link cut off from the next seal
		! grep -q '"guest_pid":90' "$T/p"
		if [ "$mode" = line ]; then
			[ "$(wc -l <"$T/p")" -eq $(($(wc -l <"$T/s") - 1)) ]
		else
			[ "$(wc -l <"$T/p")" -eq $(($(wc -l <"$T/s") - 2)) ]
		fi
		# what is printed is in order, each once
		jq -r .sequence "$T/p" | sort -c -u
	done
}

@test "more than --print holds waits for a seal: it fails, never exits 0" {
	# 40,000 lines sealed only at the end (about 24 MB, over 16 MiB)
	"$GEN" --key "$T/k.key" --mode chain --lines 40000 --seal-every 100000 >"$T/s"
	run "$CTL" verify --public-key "$T/k.pub" "$T/s"
	[ "$status" -eq 0 ]
	"$CTL" verify --public-key "$T/k.pub" --print "$T/s" >"$T/p" 2>"$T/err" || status=$?
	[ "$status" -eq 2 ]
	grep -q "more than 16777216 bytes wait for a seal; --print holds no more" "$T/err"
	# only started, which sealed itself, was printed
	[ "$(wc -l <"$T/p")" -eq 1 ]
	run "$CTL" verify --public-key "$T/k.pub" --output "$T/o" "$T/s"
	[ "$status" -eq 2 ]
	[ ! -e "$T/o" ]
	[ -z "$(ls "$T" | grep '^o\.')" ]
}

@test "--output appears only when everything verified" {
	"$GEN" --key "$T/k.key" --lines 5 >"$T/s"
	head -n 4 "$T/s" >"$T/cut"
	run "$CTL" verify --public-key "$T/k.pub" --output "$T/o" "$T/cut"
	[ "$status" -eq 2 ]
	[ ! -e "$T/o" ]
	[[ "$output" == *"$T/o not written: not everything verified"* ]]
	run "$CTL" verify --public-key "$T/k.pub" --output "$T/o" "$T/s"
	[ "$status" -eq 0 ]
	cmp "$T/o" "$T/s"
	# --print and --report - would share stdout
	run "$CTL" verify --public-key "$T/k.pub" --print --report - "$T/s"
	[ "$status" -eq 64 ]
	run "$CTL" verify --public-key "$T/k.pub" --print --output "$T/o2" "$T/s"
	[ "$status" -eq 64 ]
}
