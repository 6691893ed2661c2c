#!/usr/bin/env bats
# A guest frame that carries cell_id, run_id, spec_signature_hash,
# host_received_at and connection keys of its own.
# Check that the host's attribution wins: the guest's keys are skipped as
# unknown keys and the event carries only what the host stamped.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "guest keys named like attribution cannot change it" {
	start_daemon
	echo '{"content_version":256,"cell_id":"victim","run_id":"forged","spec_signature_hash":"sha256:00","host_received_at":"1999-01-01T00:00:00.000000000Z","connection":99,"probe_source":"process.spawned","guest_pid":5,"guest_comm":"evil","guest_monotonic_ns":1}' |
	    "$CTL" emit --uds "$SOCK" --jsonl 2>/dev/null
	wait_for has_events .process.spawned 1
	stop_daemon
	events .process.spawned | jq -e '.data.cell_id == "cell-1" and
	    .data.run_id == "run-1" and .data.spec_signature_hash == null and
	    .data.connection == 1 and (.data.host_received_at | startswith("1999") | not) and
	    .source == "urn:cellos:cell:cell-1" and .data.guest_comm == "evil"'
}
