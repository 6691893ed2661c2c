#!/usr/bin/env bats
# Both programs, run with --help, bad options and missing arguments.
# Check that help goes to stdout with exit 0, that misuse exits 64 with a
# message naming the problem, and that every flag appears in --help.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "every subcommand has --help on stdout, exit 0" {
	for sub in keygen pubkey emit decode verify; do
		run "$CTL" "$sub" --help
		[ "$status" -eq 0 ]
		[[ "$output" == *"usage: cellos-telemetry $sub"* ]]
	done
	run "$CTL" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"keygen"* && "$output" == *"verify"* ]]
}

@test "unknown command and bad options exit 64" {
	run "$CTL" frobnicate
	[ "$status" -eq 64 ]
	[[ "$output" == *"unknown command 'frobnicate'"* ]]
	run "$CTL" emit --uds /x --count many
	[ "$status" -eq 64 ]
	[[ "$output" == *"--count many: expected a whole number"* ]]
	run "$CTL" emit --count 1
	[ "$status" -eq 64 ]
	[[ "$output" == *"--uds PATH is required"* ]]
	run "$CTL" keygen
	[ "$status" -eq 64 ]
	run "$CTL" emit --uds /x --pid 1 --pid 2
	[ "$status" -eq 64 ]
	[[ "$output" == *"--pid given twice"* ]]
}

@test "daemon --help lists every flag and exits 0" {
	run "$DAEMON" --help
	[ "$status" -eq 0 ]
	for f in cell-id run-id spec-signature-hash uds-base port socket-mode \
	    listen-fd max-connections peer-uid ready-fd max-frame-bytes \
	    frame-timeout allow-probe-source rate-limit rate-burst \
	    silence-timeout checkpoint-interval sign-alg signing-key key-id \
	    cgroup fc-metrics tap nft-table probe-interval sysfs-root nft-bin \
	    log-level version; do
		[[ "$output" == *"--$f"* ]] || { echo "missing --$f"; false; }
	done
}

@test "daemon usage errors exit 64, bad values 78" {
	run "$DAEMON" --cell-id c --run-id r
	[ "$status" -eq 64 ]
	[[ "$output" == *"--uds-base PATH"* ]]
	run "$DAEMON" --cell-id c --run-id r --uds-base "$T/v" --max-frame-bytes 63
	[ "$status" -eq 64 ]
	[[ "$output" == *"from 64 to 65536"* ]]
	run "$DAEMON" --cell-id c --cell-id d --run-id r --uds-base "$T/v"
	[ "$status" -eq 64 ]
	[[ "$output" == *"--cell-id given twice"* ]]
	run "$DAEMON" --cell-id 'bad id' --run-id r --uds-base "$T/v" --sign-alg off
	[ "$status" -eq 78 ]
	[[ "$output" == *"[A-Za-z0-9._:-]"* ]]
	run "$DAEMON" --cell-id c --run-id r --uds-base "$T/v" --sign-alg off --spec-signature-hash sha256:zz
	[ "$status" -eq 78 ]
	run "$DAEMON" --cell-id c --run-id r --uds-base "$T/v" --frame-timeout 5h
	[ "$status" -eq 64 ]
	[[ "$output" == *"such as 250ms"* ]]
}

@test "a misspelt flag: one message, the nearest flag suggested" {
	run "$DAEMON" --cel-id c --run-id r --uds-base "$T/v"
	[ "$status" -eq 64 ]
	[ "$(grep -c 'cellos-telemetryd:' <<<"$output")" -eq 1 ]
	[[ "$output" == *"unknown option --cel-id; did you mean --cell-id?"* ]]
	run "$CTL" emit --uds "$T/x" --cout 3
	[ "$status" -eq 64 ]
	[ "$(grep -c 'cellos-telemetry:' <<<"$output")" -eq 1 ]
	[[ "$output" == *"unknown option --cout; did you mean --count?"* ]]
	run "$DAEMON" --cell-id
	[ "$status" -eq 64 ]
	[[ "$output" == *"--cell-id needs a value"* ]]
}

@test "a missing socket directory says what to create" {
	run "$DAEMON" --cell-id c --run-id r --uds-base "$T/nodir/v" --sign-alg off
	[ "$status" -eq 78 ]
	[[ "$output" == *"its directory $T/nodir does not exist; create it (mkdir -p -m 0700 $T/nodir)"* ]]
	[[ "$output" == *"RuntimeDirectory="* ]]
}

@test "emit --wait waits for a daemon that is still starting" {
	( sleep 0.5; exec "$DAEMON" --cell-id c --run-id r --uds-base "$SOCK_BASE" \
	    --sign-alg off >"$T/out" 2>"$T/err" ) &
	run "$CTL" emit --wait 5s --uds "$SOCK" --count 2
	[ "$status" -eq 0 ]
	wait_for has_events .process.spawned 2
	pkill -TERM -f -- "--uds-base $SOCK_BASE" || true
	wait
	run "$CTL" emit --uds "$T/none_9001"
	[ "$status" -eq 66 ]
	[[ "$output" == *"--wait DUR waits for it"* ]]
}
