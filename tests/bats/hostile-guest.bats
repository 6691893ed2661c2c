#!/usr/bin/env bats
# A compromised guest: random bytes, mutated frames and random declared
# lengths on hundreds of connections, and thousands of connect/close cycles.
# Check that the daemon survives, that a valid frame afterwards is accepted,
# that every refusal and rejection is counted, and that its output stays
# within the limits of SPEC section 5 (connection events at most 10/s after a
# burst of 20, at most one summary a second).

load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "hundreds of hostile connections: survives, counts, accepts after" {
	start_daemon --frame-timeout 200ms
	run "$BATS_TEST_DIRNAME/../tools/hostile-guest" "$SOCK" 300 7
	[ "$status" -eq 0 ]
	kill -0 "$DPID"
	emit_n 1 --comm after
	wait_for has_events .process.spawned 1
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
	events .process.spawned | jq -e 'select(.data.guest_comm == "after")'
	# the counters add up: summaries carry every rejection and refusal
	rej=$(events .stopped | jq .data.frames_rejected)
	[ "$rej" -gt 100 ]
	[ "$(events .frames_rejected | jq -s 'map(.data.frames_rejected) | add')" -eq "$rej" ]
	events .stopped | jq -e '(.data.rejected_by_reason | to_entries | map(.value) | add) == .data.frames_rejected'
}

@test "thousands of connect/close cycles stay within the output limits" {
	start_daemon
	start=$(date +%s.%N)
	python3 - "$SOCK" <<'PY'
import socket, sys
for _ in range(3000):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(sys.argv[1])
    except OSError:
        pass
    s.close()
PY
	stop_daemon
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print int(b - a) + 1 }')
	opened=$(events .stopped | jq '.data.connections_opened')
	refused=$(events .stopped | jq '.data.connections_refused')
	supp=$(events .stopped | jq '.data.connection_events_suppressed')
	[ $((opened + refused)) -ge 2900 ]        # a few may fail to connect
	conn_lines=$(( $(count_events .connection_opened) + $(count_events .connection_closed) ))
	[ $((conn_lines + supp)) -eq $((2 * opened)) ]
	# at most the burst of 20 plus 10 per second, and a summary a second
	limit=$((20 + 10 * secs))
	[ "$conn_lines" -le "$limit" ]
	sums=$(count_events .frames_rejected)
	[ "$sums" -le $((1 + secs)) ]
	[ "$(events .frames_rejected | jq -s 'map(.data.connections_refused) | add // 0')" -eq "$refused" ]
	[ "$(events .frames_rejected | jq -s 'map(.data.connection_events_suppressed) | add // 0')" -eq "$supp" ]
}
