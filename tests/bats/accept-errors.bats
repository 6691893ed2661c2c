#!/usr/bin/env bats
# accept4() made to fail by strace fault injection (strace attached to the
# running daemon's receiver process, which runs with --sandbox off: a
# seccomp filter kills a process whose syscall a tracer rewrites): persistently with EPROTO, then once with EMFILE.
# Check that a persistent error pauses accepts instead of spinning (a
# bounded number of accept4 calls per second), that the log line about it
# is rate limited, and that a connection waiting while fds run out is
# accepted and refused, and counted, once it can be.

load helper

setup() { common_setup; }
teardown() {
	if [ -n "${SPID:-}" ]; then kill "$SPID" 2>/dev/null || true; fi
	common_teardown
}

# attach INJECT: strace the receiver's accept4 calls with that injection
attach() {
	local rx
	rx=$(receiver_pid)
	strace -qq -p "$rx" -o "$T/trace" -e trace=accept4 -e inject="accept4:$1" &
	SPID=$!
	wait_for grep -q "TracerPid:[[:space:]]*[1-9]" "/proc/$rx/status"
}

detach() {
	kill "$SPID"
	wait "$SPID" || true
	SPID=""
}

hold_connection() { # SECONDS
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
time.sleep(float(sys.argv[2]))' "$SOCK" "$1"
}

@test "a persistent accept error pauses accepts, logged once, no spin" {
	start_daemon --sandbox off
	attach "error=EPROTO"
	hold_connection 1
	detach
	calls=$(grep -c 'accept4(' "$T/trace")
	[ "$calls" -ge 2 ] && [ "$calls" -le 30 ]
	[ "$(grep -c 'msg="accept failing; pausing accepts" error="Protocol error"' "$T/err")" -eq 1 ]
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
}

@test "out of fds: the waiting connection is accepted, refused and counted" {
	start_daemon --sandbox off
	attach "error=EMFILE:when=1"
	hold_connection 0.5
	detach
	grep -q 'accept4(.*= -1 EMFILE' "$T/trace"
	grep -q 'error="Too many open files"' "$T/err"
	stop_daemon
	events .stopped | jq -e '.data.connections_refused == 1 and
	    .data.connections_opened == 0'
	[ "$(events .frames_rejected | jq -s 'map(.data.connections_refused) | add')" -eq 1 ]
}
