#!/usr/bin/env bats
# Two real daemon streams signed by one key: cell-1/run-1 and
# cell-2/run-2, in one file (a stream of another cell and run spliced in),
# and a missing input file.
# Check that without expectations both verify and both are named (cell,
# run, streamid, key id), and that --expect-cell, --expect-run,
# --expect-stream and --single-stream each fail every line of the other
# stream (exit 1) while accepting the expected one alone (exit 0).

load helper

setup() {
	common_setup
	"$CTL" keygen "$T/k" >/dev/null
	SIGN_ARGS="--signing-key $T/k.key" start_daemon
	emit_n 2
	wait_for has_events .process.spawned 2
	stop_daemon
	mv "$T/out" "$T/one"
	mkfifo "$T/ready2"
	"$DAEMON" --cell-id cell-2 --run-id run-2 --uds-base "$T/w" \
	    --signing-key "$T/k.key" --ready-fd 3 >"$T/two" 2>/dev/null 3>"$T/ready2" &
	DPID=$!
	read -r -t 10 _ <"$T/ready2"
	stop_daemon
	cat "$T/one" "$T/two" >"$T/both"
	S1=$(head -n 1 "$T/one" | jq -r .streamid)
	S2=$(head -n 1 "$T/two" | jq -r .streamid)
	N2=$(wc -l <"$T/two" | tr -d ' ')
}
teardown() { common_teardown; }

@test "without expectations: both verify, both named" {
	run "$CTL" verify --public-key "$T/k.pub" "$T/both"
	[ "$status" -eq 0 ]
	[[ "$output" == *"stream $S1 (cell cell-1, run run-1, key ed25519:"*"): OK"* ]]
	[[ "$output" == *"stream $S2 (cell cell-2, run run-2, key ed25519:"*"): OK"* ]]
	[[ "$output" == *"in 2 stream(s)"* ]]
}

@test "--expect-cell, --expect-run: the other stream's lines fail" {
	run "$CTL" verify --public-key "$T/k.pub" --expect-cell cell-1 "$T/both"
	[ "$status" -eq 1 ]
	[[ "$output" == *"a line of cell cell-2, not the expected cell-1"* ]]
	[[ "$output" == *"stream $S2 (cell"*"FAILED: $N2 line(s), 0 verified"* ]]
	run "$CTL" verify --public-key "$T/k.pub" --expect-run run-1 "$T/both"
	[ "$status" -eq 1 ]
	[[ "$output" == *"a line of run run-2, not the expected run-1"* ]]
	run "$CTL" verify --public-key "$T/k.pub" --expect-cell cell-1 \
	    --expect-run run-1 "$T/one"
	[ "$status" -eq 0 ]
	run "$CTL" verify --public-key "$T/k.pub" --expect-run run-1 "$T/two"
	[ "$status" -eq 1 ]
}

@test "--expect-stream and --single-stream: another stream fails" {
	run "$CTL" verify --public-key "$T/k.pub" --expect-stream "$S1" --report "$T/r" "$T/both"
	[ "$status" -eq 1 ]
	[[ "$output" == *"stream $S2: not the expected stream ($S1): its $N2 line(s) fail"* ]]
	jq -s -e --arg s "$S2" --argjson n "$N2" 'map(select(.streamid == $s))[0] |
	    .verdict == "tampered" and .bad == $n' "$T/r"
	run "$CTL" verify --public-key "$T/k.pub" --single-stream "$T/both"
	[ "$status" -eq 1 ]
	run "$CTL" verify --public-key "$T/k.pub" --single-stream "$T/one"
	[ "$status" -eq 0 ]
	run "$CTL" verify --public-key "$T/k.pub" --expect-stream nothex "$T/one"
	[ "$status" -eq 64 ]
}

@test "a missing input file is 66" {
	run "$CTL" verify --public-key "$T/k.pub" "$T/one" "$T/nothere"
	[ "$status" -eq 66 ]
	[[ "$output" == *"cannot open $T/nothere"* ]]
}
