#!/usr/bin/env bats
# verify fed what no daemon writes: a 100 MB line inside a good stream, and
# a stream with one line dropped or altered in the middle.
# Check that the long line is reported and skipped in bounded memory (under
# a 200 MB address-space limit), and that one bad spot is reported once:
# a dropped line as a gap with its size (incomplete, exit 2), an altered
# line as its bad signature (tampering, exit 1), not once for every line
# after it.

load helper

setup() {
	common_setup
	"$CTL" keygen "$T/k" >/dev/null
	SIGN_ARGS="--signing-key $T/k.key" start_daemon
	emit_n 40
	wait_for has_events .process.spawned 40
	stop_daemon
}
teardown() { common_teardown; }

@test "a 100 MB line: reported, skipped, memory bounded" {
	if [ -n "${CELLOS_SANITIZE:-}" ]; then
		skip "the sanitizer runtime needs far more address space"
	fi
	{ head -n 2 "$T/out"; head -c 100000000 /dev/zero | tr '\0' a; echo
	  tail -n +3 "$T/out"; } >"$T/long"
	run bash -c 'ulimit -v 200000; exec "$0" verify --public-key "$1" "$2"' \
	    "$CTL" "$T/k.pub" "$T/long"
	[ "$status" -eq 1 ]
	[ "$(grep -c 'verify: line' <<<"$output")" -eq 1 ]
	[[ "$output" == *"verify: line 3: longer than 1048576 bytes"* ]]
	[[ "$output" == *"FAILED: 1 of $(( $(wc -l <"$T/out") + 1 )) lines bad"* ]]
}

@test "a dropped line is one report with the gap's size" {
	sed 10d "$T/out" >"$T/bad"
	run "$CTL" verify --public-key "$T/k.pub" "$T/bad"
	[ "$status" -eq 2 ]
	[ "$(grep -c 'verify: line' <<<"$output")" -eq 1 ]
	[[ "$output" == *"line 10: sequence 11 follows 9: 1 line(s) missing"* ]]
}

@test "an altered line: its bad signature, nothing more" {
	sed '10s/"guest_pid":1,/"guest_pid":7,/' "$T/out" >"$T/bad"
	run "$CTL" verify --public-key "$T/k.pub" "$T/bad"
	[ "$status" -eq 1 ]
	[ "$(grep -c 'verify: line' <<<"$output")" -eq 1 ]
	[[ "$output" == *"line 10: bad signature"* ]]
	[[ "$output" == *"FAILED: 1 of $(wc -l <"$T/out" | tr -d ' ') lines bad"* ]]
}
