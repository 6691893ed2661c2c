#!/usr/bin/env bats
# Connection admission: the --max-connections limit, --peer-uid, reconnects.
# Check that an excess or unlisted peer is accepted, closed at once and
# counted with no per-connection event, and that reconnects get new numbers.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "connections beyond --max-connections are refused and counted" {
	start_daemon --max-connections 2
	"$CTL" emit --uds "$SOCK" --count 1 --linger 1s 2>/dev/null &
	a=$!
	"$CTL" emit --uds "$SOCK" --count 1 --linger 1s 2>/dev/null &
	b=$!
	wait_for has_events .process.spawned 2
	emit_n 1 || true
	wait "$a" "$b"
	emit_n 1
	wait_for has_events .process.spawned 3
	stop_daemon
	[ "$(count_events .connection_opened)" -eq 3 ]
	events .stopped | jq -e '.data.connections_refused == 1 and .data.connections_opened == 3'
	[ "$(events .frames_rejected | jq -s 'map(.data.connections_refused) | add')" -eq 1 ]
	[ "$(events .process.spawned | jq -r .data.connection | sort -n | tr '\n' ' ')" = "1 2 3 " ]
}

@test "--peer-uid refuses a peer whose uid is not listed" {
	start_daemon --peer-uid 4242,4243
	emit_n 1 || true
	sleep 0.2
	stop_daemon
	[ "$(count_events .process.spawned)" -eq 0 ]
	events .stopped | jq -e '.data.connections_refused == 1 and .data.connections_opened == 0'
}

@test "--peer-uid admits a listed peer" {
	start_daemon --peer-uid "1,$(id -u)"
	emit_n 1
	wait_for has_events .process.spawned 1
	stop_daemon
	events .connection_opened | jq -e --argjson u "$(id -u)" '.data.peer_uid == $u and .data.peer_pid > 0'
}
