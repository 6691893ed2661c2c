#!/usr/bin/env bats
# The daemon started with fds it cannot use: stdout closed, --ready-fd on a
# standard fd or on the listener, an open-file limit below what
# --max-connections needs.
# Check that each is refused before readiness with the spec's code and a
# message that says what to change (never a hang, a spin or a stream that
# ends without stopped), and that a soft limit that can be raised is raised.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "stdout closed: exit 78 at once, not a hang" {
	run timeout 5 bash -c 'exec "$0" --cell-id c --run-id r --uds-base "$1" \
	    --sign-alg off >&-' "$DAEMON" "$T/v"
	[ "$status" -eq 78 ]
	[[ "$output" == *"standard output is closed"* ]]
	[ ! -e "$T/v_9001" ]
	# stdin and stderr closed are fine: pointed at /dev/null
	start_daemon 0<&- 2>&-
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
}

@test "--ready-fd on 0, 1, 2 or on the listener is a usage error" {
	for fd in 0 1 2; do
		run "$DAEMON" --cell-id c --run-id r --uds-base "$T/v" \
		    --sign-alg off --ready-fd "$fd"
		[ "$status" -eq 64 ]
		[[ "$output" == *"--ready-fd $fd is standard input, output or error"* ]]
	done
	run "$DAEMON" --cell-id c --run-id r --listen-fd 5 --ready-fd 5 \
	    --sign-alg off
	[ "$status" -eq 64 ]
	[[ "$output" == *"--ready-fd and --listen-fd are both 5"* ]]
}

@test "an open-file limit too low for --max-connections: 78, which limit" {
	run bash -c 'ulimit -n 12; exec "$0" --cell-id c --run-id r \
	    --uds-base "$1" --sign-alg off --max-connections 16' "$DAEMON" "$T/v"
	[ "$status" -eq 78 ]
	[[ "$output" == *"open file limit (RLIMIT_NOFILE) is 12"* ]]
	[[ "$output" == *"--max-connections 16 needs"* ]]
	[ ! -e "$T/v_9001" ]
}

@test "a low soft limit is raised: sixteen connections at once work" {
	printf '#!/bin/sh\nulimit -Sn 12\nexec "%s" "$@"\n' "$DAEMON" >"$T/lowfd"
	chmod +x "$T/lowfd"
	DAEMON="$T/lowfd" start_daemon --max-connections 16
	python3 -c '
import socket, sys, time
conns = []
for i in range(16):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    conns.append(s)
time.sleep(0.5)' "$SOCK"
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
	events .stopped | jq -e '.data.connections_opened == 16 and
	    .data.connections_refused == 0 and .data.reason == "sigterm"'
	! grep -q "poll" "$T/err"
}
