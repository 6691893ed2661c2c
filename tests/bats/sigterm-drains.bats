#!/usr/bin/env bats
# Frames still in the socket when SIGTERM arrives.
# Check that every frame already written comes out before stopped, that
# stopped is the last line with reason sigterm, and that the exit code is 0.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "SIGTERM with frames in flight loses none" {
	start_daemon --rate-limit 0
	# the connection stays open (--linger) while SIGTERM arrives
	"$CTL" emit --uds "$SOCK" --count 3000 --linger 2s 2>/dev/null &
	epid=$!
	sleep 0.3       # emit has written everything and lingers, connection open
	stop_daemon
	wait "$epid" || true
	[ "$DSTATUS" -eq 0 ]
	[ "$(count_events .process.spawned)" -eq 3000 ]
	tail -n 1 "$T/out" | jq -e '.type == "cell.observability.host.telemetry.stopped" and
	    .data.reason == "sigterm" and .data.frames_accepted == 3000'
	events .connection_closed | jq -e '.data.reason == "shutdown"'
}

@test "SIGINT stops with reason sigint" {
	start_daemon
	kill -INT "$DPID"
	wait "$DPID"
	DPID=""
	tail -n 1 "$T/out" | jq -e '.data.reason == "sigint"'
}

@test "SIGTERM while frames sit unread in the socket: all come out" {
	start_daemon_stalled --rate-limit 0
	"$CTL" emit --uds "$SOCK" --count 4000 --linger 3s 2>/dev/null &
	epid=$!
	sleep 0.5                       # stdout full, the rest waits in the socket
	kill -TERM "$DPID"
	resume_reading                  # the daemon drains and exits
	stop_stalled
	kill "$epid" 2>/dev/null || true
	[ "$(count_events .process.spawned)" -eq 4000 ]
	tail -n 1 "$T/out" | jq -e '.data.reason == "sigterm" and .data.frames_accepted == 4000'
}
