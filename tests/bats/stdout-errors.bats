#!/usr/bin/env bats
# The reader of stdout goes away, or stops reading for a while.
# Check that a closed reader gives exit 74 with a clear log line, and that a
# stalled reader loses nothing, keeps anonymous memory bounded and is
# counted as stdout_blocked_ms.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "stdout closed by the reader: exit 74 with a log line" {
	mkfifo "$T/pipe" "$T/ready"
	"$DAEMON" --cell-id c --run-id r --uds-base "$SOCK_BASE" --sign-alg off \
	    --ready-fd 3 >"$T/pipe" 2>"$T/err" 3>"$T/ready" &
	DPID=$!
	head -n 1 <"$T/pipe" >/dev/null &
	read -r -t 5 _ <"$T/ready"
	wait $!          # the reader read one line and closed the pipe
	emit_n 5 || true
	status=0
	wait "$DPID" || status=$?
	DPID=""
	[ "$status" -eq 74 ]
	grep -q 'level=error msg="stdout write failed' "$T/err"
	[ ! -e "$SOCK" ]
}

@test "a stalled reader blocks without loss and is counted" {
	start_daemon_stalled --rate-limit 0
	"$CTL" emit --uds "$SOCK" --count 5000 2>/dev/null &
	epid=$!
	sleep 1.5
	# stalled with the guest flooding: anonymous memory stays bounded
	rss=$(awk '/^RssAnon:/ { print $2 }' /proc/$DPID/status)
	# (sanitizer builds carry shadow memory: the bound is for real builds)
	[ -n "${CELLOS_SANITIZE:-}" ] || [ "$rss" -lt 4096 ]
	resume_reading
	wait "$epid"
	stop_stalled
	[ "$(count_events .process.spawned)" -eq 5000 ]
	events .stopped | jq -e '.data.stdout_blocked_ms >= 500'
}
