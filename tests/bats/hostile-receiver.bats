#!/usr/bin/env bats
# A receiver that lies (SPEC section 11): the daemon runs the test program
# build/tests/hostile-receiver through --receiver-program, named rx-ATTACK.
# It confines itself as the real receiver does, says HELLO honestly, then
# does what a guest with code execution in the receiver could: close the
# channel or hand it to the monitor and stay alive, hold a partial record,
# ignore the monitor's death, map shared memory, reopen a closed socket, send counts, times, connections, byte totals,
# lengths and log lines of its choosing, write to every fd it holds,
# allocate without bound, fork, and never answer the drain.
# Check that each ends within a few seconds in a signed receiver_failed
# naming the right reason, then stopped (reason receiver_failed) and exit
# 70; that the stream verifies and nothing host-stamped came from the
# receiver; and that nothing it wrote reaches the monitor's stdout or
# stderr untagged. Run as root, the receiver becomes _cellos-telemetryd
# (created by scripts/run-tests); run as another user, it stays that user.

load helper

HOSTILE="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/tests/hostile-receiver"

setup() {
	common_setup
	"$CTL" keygen "$T/k" >/dev/null
	SIGN_ARGS="--signing-key $T/k.key"
}
teardown() { common_teardown; }

# start_hostile ATTACK [ARGS...]: the daemon with rx-ATTACK as receiver.
start_hostile() {
	local attack=$1
	shift
	ln -s "$HOSTILE" "$T/rx-$attack"
	start_daemon --receiver-program "$T/rx-$attack" "$@"
}

# ends_failed REASON: within 10 s the daemon exits 70; its last two lines
# are receiver_failed (REASON) and stopped (receiver_failed) (a pending
# frames_rejected summary comes before them); the stream
# verifies; nothing the receiver wrote is on stdout.
ends_failed() {
	local i
	for i in $(seq 1 100); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$DPID" 2>/dev/null; then
		echo "still running after 10 s"
		kill -9 "$DPID" "$(receiver_pid)" 2>/dev/null || true
	fi
	DSTATUS=0
	wait "$DPID" || DSTATUS=$?
	DPID=""
	[ "$DSTATUS" -eq 70 ]
	[ "$(tail -n 2 "$T/out" | head -n 1 | jq -r .type)" = \
	    cell.observability.host.telemetry.receiver_failed ]
	[ "$(tail -n 2 "$T/out" | head -n 1 | jq -r .data.reason)" = "$1" ]
	[ "$(tail -n 1 "$T/out" | jq -r .type)" = \
	    cell.observability.host.telemetry.stopped ]
	[ "$(tail -n 1 "$T/out" | jq -r .data.reason)" = receiver_failed ]
	"$CTL" verify --public-key "$T/k.pub" "$T/out" >/dev/null
	! grep -q -e forged -e FORGED "$T/out"
	! grep -q FORGED "$T/err"
}

failed_detail() {
	tail -n 2 "$T/out" | head -n 1 | jq -r .data.detail
}

@test "closing its channel is refused by the filter (fd 4 is the channel for life)" {
	start_hostile close-alive
	ends_failed exited
	[ "$(tail -n 2 "$T/out" | head -n 1 | jq -r .data.signal)" = 31 ]
}

@test "its channel end handed to the monitor (so EOF would never come) is refused" {
	start_hostile hold-channel
	ends_failed bad_record
	[[ "$(failed_detail)" == *"an fd that no opened connection claims"* ]]
}

@test "a partial record held forever neither spins the monitor nor hides the silence" {
	start_hostile partial-record --silence-timeout 1s
	wait_for has_events .agent_silenced 1
	t0=$(awk '{print $14 + $15}' "/proc/$DPID/stat")
	sleep 2
	t1=$(awk '{print $14 + $15}' "/proc/$DPID/stat")
	# clock ticks in 2 s: a spinning loop would take about 200
	[ $((t1 - t0)) -lt 50 ]
	kill -TERM "$DPID"
	ends_failed drain_timeout
}

@test "a receiver that ignores EOF still dies with the monitor (after the user switch too)" {
	start_hostile ignore-eof
	rx=$(receiver_pid)
	kill -9 "$DPID"
	wait "$DPID" || true
	DPID=""
	wait_for bash -c "! kill -0 $rx 2>/dev/null"
}

@test "shared memory, which RLIMIT_DATA would not count, is refused by the filter" {
	start_hostile shared-memory
	ends_failed exited
	[ "$(tail -n 2 "$T/out" | head -n 1 | jq -r .data.signal)" = 31 ]
}

@test "a closed connection's socket reported open again is refused" {
	start_hostile reopen
	emit_n 1 --linger 2s &
	ends_failed bad_record
	[[ "$(failed_detail)" == *"closed before"* ]]
}

@test "a count of 2^32-1 in one record is refused at once, not run" {
	start_hostile huge-count
	ends_failed bad_record
	[[ "$(failed_detail)" == *"more than one batch"* ]]
	[ "$(tail -n 1 "$T/out" | jq -r .data.frames_rejected)" = 0 ]
}

@test "the largest counts, thousands of times, are applied in one step each" {
	start_hostile max-counts
	ends_failed exited
	# 2000 records of 1048576 each, then an exit nobody asked for
	[ "$(tail -n 1 "$T/out" | jq -r .data.frames_rejected)" = 2097152000 ]
	[ "$(tail -n 1 "$T/out" | jq -r .data.connections_refused)" = 2097152000 ]
}

@test "a drain that never ends: killed past its deadline, drain_timeout" {
	start_hostile no-drain
	kill -TERM "$DPID"
	ends_failed drain_timeout
	[ "$(tail -n 2 "$T/out" | head -n 1 | jq -r .data.signal)" = 9 ]
}

@test "DRAINED nobody asked for, then exit 0, is not a clean end" {
	start_hostile unasked-drained
	ends_failed bad_record
	[[ "$(failed_detail)" == *"no drain was asked for"* ]]
}

@test "an exit with status 0 nobody asked for is a failure" {
	start_hostile exit-zero
	ends_failed exited
	[ "$(tail -n 2 "$T/out" | head -n 1 | jq -r .data.exit_status)" = 0 ]
}

@test "a time before the monitor started (1970) is refused" {
	start_hostile old-time
	ends_failed bad_record
	[[ "$(failed_detail)" == *"time goes back"* ]]
}

@test "a frame time an hour ahead is refused" {
	start_hostile future-frame
	emit_n 1 --linger 2s &
	ends_failed bad_record
	[[ "$(failed_detail)" == *"ahead of the clock"* ]]
	[ "$(count_events .process.spawned)" = 0 ]
}

@test "a connection opened without its fd is refused" {
	start_hostile no-fd
	ends_failed bad_record
	[[ "$(failed_detail)" == *"without its fd"* ]]
	[ "$(count_events .connection_opened)" = 0 ]
}

@test "its channel passed off as a guest connection is refused" {
	start_hostile channel-fd
	ends_failed bad_record
	[[ "$(failed_detail)" == *"not accepted from our listener"* ]]
}

@test "the listener passed off as a guest connection is refused" {
	start_hostile listener-fd
	ends_failed bad_record
	[[ "$(failed_detail)" == *"not a connected stream socket"* ]]
}

@test "one socket reported as two connections is refused" {
	start_hostile same-socket
	emit_n 1 --linger 2s &
	ends_failed bad_record
	[[ "$(failed_detail)" == *"again"* ]]
	[ "$(count_events .connection_opened)" = 1 ]
}

@test "peer credentials come from the monitor: the real peer, always" {
	start_hostile same-socket
	emit_n 1 --linger 2s &
	ends_failed bad_record
	events .connection_opened | jq -e --arg u "$(id -u)" \
	    '.data.peer_uid == ($u | tonumber) and .data.peer_pid > 0'
}

@test "a connection --peer-uid does not admit, reported opened, is refused" {
	start_hostile any-peer --peer-uid 4242
	emit_n 1 --linger 2s &
	ends_failed bad_record
	[[ "$(failed_detail)" == *"not admitted by --peer-uid"* ]]
	[ "$(count_events .connection_opened)" = 0 ]
}

@test "a second close of one connection is refused" {
	start_hostile double-close
	emit_n 1 --linger 2s &
	ends_failed bad_record
	[[ "$(failed_detail)" == *"which is not open"* ]]
	[ "$(count_events .connection_closed)" = 1 ]
}

@test "a frame after its connection closed is refused" {
	start_hostile frame-after-close
	emit_n 1 --linger 2s &
	ends_failed bad_record
	[[ "$(failed_detail)" == *"which is not open"* ]]
	[ "$(count_events .process.spawned)" = 1 ]
}

@test "a frame on a connection never opened is refused" {
	start_hostile unknown-conn
	ends_failed bad_record
}

@test "a byte count of 2^64-1 is refused; bytes_received stays honest" {
	start_hostile huge-bytes
	ends_failed bad_record
	[ "$(tail -n 1 "$T/out" | jq -r .data.bytes_received)" = 0 ]
}

@test "lying record lengths (past the longest, shorter than a header)" {
	start_hostile long-length
	ends_failed bad_record
	[[ "$(failed_detail)" == *"record header"* ]]
	teardown; setup
	start_hostile short-length
	ends_failed bad_record
}

@test "a second HELLO is refused" {
	start_hostile second-hello
	ends_failed bad_record
}

@test "a log flood: tagged, escaped, rate-limited, drops counted" {
	start_hostile log-flood
	ends_failed exited
	n=$(grep -c 'origin=receiver' "$T/err")
	[ "$n" -ge 1 ] && [ "$n" -le 150 ]
	# every line of the receiver's is tagged and shows escapes, not bytes
	! grep -v 'origin=receiver' "$T/err" | grep -q 'msg="stopped" reason=sigterm'
	! grep -q $'\x1b' "$T/err"
	! grep -q '^<0>' "$T/err"
	grep -q 'origin=receiver <0>level=info msg="stopped" reason=sigterm exit=0 \\x1b\[31mred' "$T/err"
	grep -q 'receiver log lines dropped' "$T/err"
}

@test "raw writes to every fd it holds: killed by the filter at the first" {
	start_hostile raw-writes
	ends_failed exited
	[ "$(tail -n 2 "$T/out" | head -n 1 | jq -r .data.signal)" = 31 ]
}

@test "fork is refused by the filter" {
	start_hostile fork
	ends_failed exited
	[ "$(tail -n 2 "$T/out" | head -n 1 | jq -r .data.signal)" = 31 ]
}

@test "4 GiB of memory is refused by RLIMIT_DATA" {
	if [ -n "${CELLOS_SANITIZE:-}" ]; then
		skip "AddressSanitizer builds set no RLIMIT_DATA (its quarantine)"
	fi
	start_hostile memory
	ends_failed exited
	[ "$(tail -n 2 "$T/out" | head -n 1 | jq -r .data.exit_status)" = 42 ]
}
