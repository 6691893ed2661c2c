#!/usr/bin/env bats
# Smaller daemon options: --allow-probe-source, --port, --log-level,
# --max-frame-bytes.
# Check that each changes exactly what it says, seen from the stream, the
# socket path or stderr.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "--allow-probe-source admits a new source" {
	start_daemon
	emit_n 1 --probe-source dns.query
	wait_for has_events .frames_rejected 1
	stop_daemon
	events .stopped | jq -e '.data.rejected_by_reason.unknown_probe_source == 1'
	start_daemon --allow-probe-source dns.query --allow-probe-source tls.handshake
	emit_n 1 --probe-source dns.query
	wait_for has_events .guest.dns.query 1
	stop_daemon
	events .guest.dns.query | jq -e '.data.probe_source == "dns.query"'
	run "$DAEMON" --cell-id c --run-id r --uds-base "$T/x" --allow-probe-source 'Bad Name'
	[ "$status" -eq 64 ]
}

@test "--port changes the socket path suffix" {
	SOCK="${SOCK_BASE}_1024"
	start_daemon --port 1024
	[ -S "$SOCK" ]
	[ ! -e "${SOCK_BASE}_9001" ]
	emit_n 1
	wait_for has_events .process.spawned 1
	stop_daemon
}

@test "--log-level debug logs connections; error keeps stderr quiet" {
	start_daemon --log-level debug
	emit_n 1
	wait_for has_events .connection_closed 1
	stop_daemon
	grep -q 'level=debug msg="connection_opened" connection=1' "$T/err"
	start_daemon --log-level error
	emit_n 1
	wait_for has_events .connection_closed 1
	stop_daemon
	[ ! -s "$T/err" ]
}

@test "--max-frame-bytes raises and lowers the limit" {
	start_daemon --max-frame-bytes 64
	emit_n 1 --comm "$(printf 'c%.0s' $(seq 1 40))"   # body over 64 bytes
	wait_for has_events .connection_closed 1
	stop_daemon
	events .stopped | jq -e '.data.rejected_by_reason.frame_too_large == 1'
	events .frames_rejected | jq -e '.data.example.detail | test("limit 64")'
}
