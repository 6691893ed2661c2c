#!/usr/bin/env bats
# A socket path that already exists, or is too long.
# Check that a stale socket is reclaimed, that a live socket, a regular file,
# a symlink and a directory are refused with 73 and left untouched, and that
# a path over the sun_path limit is refused with a clear message.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "stale socket left by kill -9 is reclaimed" {
	start_daemon
	kill -9 "$DPID"
	wait "$DPID" || true
	DPID=""
	[ -S "$SOCK" ]
	start_daemon
	emit_n 1
	wait_for has_events .process.spawned 1
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
}

@test "live socket is refused with 73 and left alone" {
	start_daemon
	first=$DPID
	ino=$(stat -c %i "$SOCK")
	run "$DAEMON" --cell-id c --run-id r --uds-base "$SOCK_BASE" --sign-alg off
	[ "$status" -eq 73 ]
	[[ "$output" == *"in use by a live listener"* ]]
	[ "$(stat -c %i "$SOCK")" = "$ino" ]
	emit_n 1
	wait_for has_events .process.spawned 1
	stop_daemon
}

@test "regular file, symlink and directory are refused, never unlinked" {
	echo keep >"$SOCK"
	run "$DAEMON" --cell-id c --run-id r --uds-base "$SOCK_BASE" --sign-alg off
	[ "$status" -eq 73 ]
	[[ "$output" == *"exists and is not a socket; refusing to replace it"* ]]
	[ "$(cat "$SOCK")" = keep ]
	rm "$SOCK"; ln -s /etc/passwd "$SOCK"
	run "$DAEMON" --cell-id c --run-id r --uds-base "$SOCK_BASE" --sign-alg off
	[ "$status" -eq 73 ]
	[ -L "$SOCK" ]
	rm "$SOCK"; mkdir "$SOCK"
	run "$DAEMON" --cell-id c --run-id r --uds-base "$SOCK_BASE" --sign-alg off
	[ "$status" -eq 73 ]
	[ -d "$SOCK" ]
}

@test "path over the sun_path limit is refused" {
	long="$T/$(printf 'x%.0s' $(seq 1 120))"
	run "$DAEMON" --cell-id c --run-id r --uds-base "$long" --sign-alg off
	[ "$status" -eq 78 ]
	[[ "$output" == *"over the 107-byte sun_path limit"* ]]
}

@test "exit leaves a path that is no longer ours" {
	start_daemon
	mv "$SOCK" "$T/moved"
	echo other >"$SOCK"
	stop_daemon
	[ "$(cat "$SOCK")" = other ]
}

@test "a live listener with a full backlog is in use (73), no hang" {
	python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(0)
held = []
while True:    # fill the backlog: the next connect would block
    c = socket.socket(socket.AF_UNIX)
    c.setblocking(False)
    try:
        c.connect(sys.argv[1])
    except BlockingIOError:
        break
    held.append(c)
open(sys.argv[2], "w").close()
time.sleep(30)' "$SOCK" "$T/full" &
	holder=$!
	wait_for test -e "$T/full"
	run timeout 5 "$DAEMON" --cell-id c --run-id r --uds-base "$SOCK_BASE" \
	    --sign-alg off
	kill "$holder"
	wait "$holder" || true
	[ "$status" -eq 73 ]
	[[ "$output" == *"in use by a live listener"* ]]
}
