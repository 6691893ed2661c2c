#!/usr/bin/env bats
# Frames still in the socket when SIGTERM arrives.
# Check that every frame already written comes out before stopped, that
# stopped is the last line with reason sigterm, and that the exit code is 0.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "SIGTERM with frames in flight loses none" {
	start_daemon --rate-limit 0
	# pause reading by stalling stdout? no: just send and kill at once
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
	mkfifo "$T/pipe" "$T/ready"
	"$DAEMON" --cell-id c --run-id r --uds-base "$SOCK_BASE" --sign-alg off \
	    --rate-limit 0 --ready-fd 3 >"$T/pipe" 2>"$T/err" 3>"$T/ready" &
	DPID=$!
	exec 4<"$T/pipe"                # the reader stalls: the daemon blocks
	read -r -t 5 _ <"$T/ready"
	"$CTL" emit --uds "$SOCK" --count 4000 --linger 3s 2>/dev/null &
	epid=$!
	sleep 0.5                       # stdout full, the rest waits in the socket
	kill -TERM "$DPID"
	cat <&4 >"$T/out"               # resume reading until the daemon exits
	wait "$DPID"; DPID=""
	exec 4<&-
	kill "$epid" 2>/dev/null || true
	[ "$(count_events .process.spawned)" -eq 4000 ]
	tail -n 1 "$T/out" | jq -e '.data.reason == "sigterm" and .data.frames_accepted == 4000'
}
