#!/usr/bin/env bats
# Connections that send half a length prefix and stall, filling every slot.
# Check that each is closed with frame_timeout once --frame-timeout passes,
# that the stall is counted, and that the real agent then gets in.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "stalled partial frames are closed and the agent gets in" {
	start_daemon --frame-timeout 300ms --max-connections 4
	pids=""
	for i in 1 2 3 4; do
		(echo "0500" | "$CTL" emit --uds "$SOCK" --hex --linger 3s 2>/dev/null) &
		pids="$pids $!"
	done
	wait_for has_events .connection_opened 4
	# a fifth is refused while they hold every slot
	emit_n 1 || true
	wait_for has_events .connection_closed 4
	emit_n 1
	wait_for has_events .process.spawned 1
	stop_daemon
	[ "$(events .connection_closed | jq -r 'select(.data.reason == "frame_timeout") | .data.connection' | wc -l)" -eq 4 ]
	events .stopped | jq -e '.data.rejected_by_reason.frame_timeout == 4 and
	    .data.connections_refused == 1 and .data.frames_accepted == 1'
	# shellcheck disable=SC2086
	kill $pids 2>/dev/null || true
}
