#!/usr/bin/env bats
# A daemon with a short --checkpoint-interval.
# Check that checkpoints carry the counters and arrive on schedule, and that
# --checkpoint-interval 0 turns them off.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "checkpoints carry the counters" {
	start_daemon --checkpoint-interval 200ms
	emit_n 3
	wait_for has_events .checkpoint 2
	stop_daemon
	events .checkpoint | tail -n 1 | jq -e '.data.frames_accepted == 3 and
	    .data.bytes_received > 0 and .data.connections_opened == 1 and
	    (.data.rejected_by_reason | has("malformed_cbor")) and
	    (.data.events_emitted | tonumber) == (.sequence | tonumber)'
}

@test "--checkpoint-interval 0 writes none" {
	start_daemon --checkpoint-interval 0
	sleep 0.4
	stop_daemon
	[ "$(count_events .checkpoint)" -eq 0 ]
}
