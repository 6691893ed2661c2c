#!/usr/bin/env bats
# stdout is a file on a 64 KiB tmpfs (skipped when the test cannot mount
# one) and the guest sends more than fits.
# Check that the daemon exits 74 naming the error ("No space left on
# device", not a guess at its cause) in logfmt, and that the file ends at a
# line boundary: every line in it is whole JSON.

load helper

setup() {
	common_setup
	mkdir "$T/small"
	mount -t tmpfs -o size=64k tmpfs "$T/small" 2>/dev/null ||
	    skip "cannot mount a tmpfs here"
}
teardown() {
	if [ -n "$DPID" ]; then kill -9 "$DPID" 2>/dev/null || true; fi
	umount "$T/small" 2>/dev/null || true
	DPID=""
	common_teardown
}

@test "a full disk: exit 74, the error named, no partial last line" {
	"$DAEMON" --cell-id c --run-id r --uds-base "$T/v" --sign-alg off \
	    --rate-limit 0 >"$T/small/out" 2>"$T/err" &
	DPID=$!
	wait_for test -S "$T/v_9001"
	"$CTL" emit --uds "$T/v_9001" --count 2000 2>/dev/null || true
	status=0
	wait "$DPID" || status=$?
	DPID=""
	[ "$status" -eq 74 ]
	grep -q 'level=error msg="stdout write failed" error="No space left on device"' "$T/err"
	! grep -q "reader is gone" "$T/err"
	[ "$(tail -c 1 "$T/small/out" | xxd -p)" = 0a ]
	every_line_json "$T/small/out"
	[ "$(wc -l <"$T/small/out")" -gt 50 ]
	[ ! -e "$T/v_9001" ]
}
