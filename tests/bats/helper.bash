# helper.bash - shared setup for the end-to-end tests: a temp dir, the
# daemon started with a ready fd, and small helpers to read its stream.

BIN="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/bin"
CTL="$BIN/cellos-telemetry"
DAEMON="$BIN/cellos-telemetryd"

common_setup() {
	T=$(mktemp -d /tmp/ctd.XXXXXX)
	SOCK_BASE="$T/v.sock"
	SOCK="${SOCK_BASE}_9001"
	DPID=""
}

common_teardown() {
	if [ -n "$DPID" ]; then
		kill -9 "$DPID" 2>/dev/null || true
		wait "$DPID" 2>/dev/null || true
	fi
	# every stream the suite produces is checked against schemas/ at the
	# end (zz-schemas.bats), so schema and code cannot drift
	if [ -n "${CELLOS_STREAMS:-}" ] && [ -s "$T/out" ]; then
		cp "$T/out" "$CELLOS_STREAMS/$(basename "$BATS_TEST_FILENAME" .bats)-$BATS_TEST_NUMBER.jsonl"
	fi
	rm -rf "$T"
}

# start_daemon [ARGS...]: start with --ready-fd and wait until ready.
# SIGN_ARGS (default --sign-alg off) chooses the signing flags.
start_daemon() {
	local sign=${SIGN_ARGS---sign-alg off}
	rm -f "$T/ready"
	mkfifo "$T/ready"
	# shellcheck disable=SC2086
	"$DAEMON" --cell-id cell-1 --run-id run-1 --uds-base "$SOCK_BASE" \
	    $sign "$@" --ready-fd 3 >"$T/out" 2>"$T/err" 3>"$T/ready" &
	DPID=$!
	local line
	if ! read -r -t 10 line <"$T/ready"; then
		echo "daemon did not become ready; stderr:" >&2
		cat "$T/err" >&2
		return 1
	fi
}

# start_daemon_at BASE: start on another --uds-base, wait until ready, stop
# it (exit 0): the path was accepted.
start_daemon_at() {
	local base=$SOCK_BASE
	SOCK_BASE=$1
	start_daemon
	SOCK_BASE=$base
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
}

# stop_daemon: SIGTERM, wait, leave the exit code in $DSTATUS.
stop_daemon() {
	kill -TERM "$DPID"
	DSTATUS=0
	wait "$DPID" || DSTATUS=$?
	DPID=""
}

# events TYPE_SUFFIX: the stream's lines whose type ends with it.
events() {
	jq -c --arg t "$1" 'select(.type | endswith($t))' "$T/out"
}

count_events() {
	events "$1" | wc -l | tr -d ' '
}

# wait_for CMD...: retry for up to 10 s.
wait_for() {
	local i
	for i in $(seq 1 200); do
		if "$@"; then return 0; fi
		sleep 0.05
	done
	return 1
}

has_events() { # TYPE N: at least N lines of TYPE so far
	[ "$(count_events "$1")" -ge "$2" ]
}

# frame_hex: a valid v1 frame as hex, from decode-independent bytes.
emit_n() { # N [ARGS]: send N frames
	local n=$1; shift
	"$CTL" emit --uds "$SOCK" --count "$n" "$@" 2>/dev/null
}

# start_daemon_stalled [ARGS...]: like start_daemon, but stdout goes to a
# FIFO whose read end is held open on fd 4 and not read, so the daemon
# blocks once the pipe is full. resume_reading copies it to $T/out in the
# background; stop_stalled sends SIGTERM and waits for both.
start_daemon_stalled() {
	local sign=${SIGN_ARGS---sign-alg off}
	mkfifo "$T/pipe" "$T/ready"
	# shellcheck disable=SC2086
	"$DAEMON" --cell-id cell-1 --run-id run-1 --uds-base "$SOCK_BASE" \
	    $sign "$@" --ready-fd 3 >"$T/pipe" 2>"$T/err" 3>"$T/ready" &
	DPID=$!
	exec 4<"$T/pipe"
	read -r -t 10 _ <"$T/ready"
}

resume_reading() {
	cat <&4 >"$T/out" &
	CPID=$!
}

stop_stalled() {
	kill -TERM "$DPID" 2>/dev/null || true     # it may be stopping already
	DSTATUS=0
	wait "$DPID" || DSTATUS=$?
	DPID=""
	exec 4<&-
	wait "$CPID"
}

# build_faultshim: the LD_PRELOAD fault injector (tests/tools/faultshim.c)
# at $SHIM. Sanitizer builds interpose malloc themselves: skip there.
build_faultshim() {
	if [ -n "${CELLOS_SANITIZE:-}" ]; then
		skip "LD_PRELOAD fault injection conflicts with the sanitizer runtime"
	fi
	SHIM="$T/faultshim.so"
	cc -shared -fPIC -O1 -o "$SHIM" "$BATS_TEST_DIRNAME/../tools/faultshim.c"
}

# every_line_json FILE: each line parses as one JSON object (nothing torn).
every_line_json() {
	python3 -c '
import json, sys
bad = 0
for n, line in enumerate(open(sys.argv[1], "rb"), 1):
    try:
        assert line.endswith(b"\n") and isinstance(json.loads(line), dict)
    except Exception:
        bad += 1
        if bad <= 3:
            print("line %d is not a whole JSON line: %r" % (n, line[:80]))
sys.exit(1 if bad else 0)' "$1"
}

# receiver_pid: the daemon's receiver process (its only child).
receiver_pid() {
	awk '{ print $1 }' "/proc/$DPID/task/$DPID/children"
}
