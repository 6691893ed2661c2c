#!/usr/bin/env bats
# A read on a guest connection fails with EIO (the LD_PRELOAD shim fails the
# second read on a socket, in the receiver: a wrapper given as
# --receiver-program sets the shim's knob there, since the receiver is
# started with an empty environment).
# Check that the connection is closed with its own reason, read_error, that
# the errno is in the log, that it is counted in stopped, and that the
# daemon goes on accepting.

load helper

setup() {
	common_setup
	build_faultshim
}
teardown() { common_teardown; }

@test "a read error closes that connection as read_error, logged and counted" {
	printf '#!/bin/sh\nFAULTSHIM_SOCKREAD_AT=2 LD_PRELOAD=%s exec %s "$@"\n' \
	    "$SHIM" "$BIN/cellos-telemetryd-receiver" >"$T/rx"
	chmod +x "$T/rx"
	start_daemon --receiver-program "$T/rx"
	"$CTL" emit --uds "$SOCK" --count 1 --linger 300ms 2>/dev/null &
	epid=$!
	sleep 0.1
	"$CTL" emit --uds "$SOCK" --count 1 2>/dev/null
	wait "$epid"
	wait_for has_events .connection_closed 2
	emit_n 1
	wait_for has_events .process.spawned 2
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
	[ "$(events .connection_closed | jq -r .data.reason | sort | tr '\n' ' ')" = "eof eof read_error " ]
	grep -q 'level=warn msg="read error on a guest connection" connection=[0-9]* error="Input/output error"' "$T/err"
	events .stopped | jq -e '.data.read_errors == 1'
}
