#!/usr/bin/env bats
# The two processes of SPEC section 11, looked at from outside: a signed
# daemon serving a guest, its receiver found as the monitor's child.
# Check that the receiver is confined (Seccomp: 2, NoNewPrivs: 1, the name
# telemetryd-rx, only its own fds), that neither the seed nor its base64url
# text is anywhere in its readable memory (while both are in the monitor's),
# that a receiver killed or crashing ends the run with a signed
# receiver_failed, stopped and exit 70, that the receiver dies with the
# monitor, and that with stdout stalled hundreds of connects in a row all
# find room in the backlog, and nothing accepted is lost.

load helper

setup() {
	common_setup
	"$CTL" keygen "$T/k" >/dev/null
	SIGN_ARGS="--signing-key $T/k.key"
}
teardown() { common_teardown; }

@test "the receiver is confined and holds only its own fds" {
	start_daemon
	"$CTL" emit --uds "$SOCK" --count 1 --linger 1s 2>/dev/null &
	epid=$!
	wait_for has_events .process.spawned 1
	rx=$(receiver_pid)
	[ "$(cat "/proc/$rx/comm")" = telemetryd-rx ]
	grep -q '^Seccomp:[[:space:]]*2$' "/proc/$rx/status"
	grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$rx/status"
	grep -q '^Seccomp:[[:space:]]*0$' "/proc/$DPID/status"
	for fd in /proc/"$rx"/fd/*; do
		n=${fd##*/}
		t=$(readlink "$fd")
		case $n in
		0|1) [ "$t" = /dev/null ] ;;
		2) [ "$t" = "$(readlink "/proc/$DPID/fd/2")" ] ;;
		*) [[ "$t" == socket:* ]] || { echo "fd $n is $t"; false; } ;;
		esac
		[ "$t" != "$(readlink "/proc/$DPID/fd/1")" ]
	done
	# listener, channel, spare, the guest's connection
	[ "$(ls "/proc/$rx/fd" | wc -l)" -eq 7 ]
	events .started | jq -e '.data.sandbox == "seccomp"'
	wait "$epid"
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
}

@test "the key is nowhere in the receiver's memory" {
	start_daemon
	emit_n 3
	wait_for has_events .process.spawned 3
	scan() { # PID: how many of seed and its text are in its memory
		python3 - "$1" "$(sed -n 2p "$T/k.key")" <<'PY'
import base64, sys
pid, text = sys.argv[1], sys.argv[2]
seed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
found = set()
with open("/proc/%s/maps" % pid) as maps, open("/proc/%s/mem" % pid, "rb", 0) as mem:
    for line in maps:
        addr, perms = line.split()[:2]
        if not perms.startswith("r"):
            continue
        lo, hi = (int(x, 16) for x in addr.split("-"))
        if hi - lo > 1 << 28:       # a sanitizer's shadow: reserved, empty
            continue
        try:
            mem.seek(lo)
            chunk = mem.read(hi - lo)
        except (OSError, ValueError, OverflowError):
            continue
        if seed in chunk:
            found.add("seed")
        if text.encode() in chunk:
            found.add("text")
print(" ".join(sorted(found)) or "none")
PY
	}
	# the scan finds the key where it is: the monitor signs with it
	[[ "$(scan "$DPID")" == *seed* ]]
	[ "$(scan "$(receiver_pid)")" = none ]
	stop_daemon
}

receiver_killed() { # SIGNAL
	# a sanitizer's own SEGV handler would turn the crash into an exit
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0 start_daemon
	emit_n 2
	wait_for has_events .process.spawned 2
	kill "-$1" "$(receiver_pid)"
	DSTATUS=0
	wait "$DPID" || DSTATUS=$?
	DPID=""
	[ "$DSTATUS" -eq 70 ]
	events .receiver_failed | jq -e --argjson s "$(kill -l "$1")" '
	    .data.signal == $s and .data.reason == "exited" and .data.records >= 3'
	tail -n 1 "$T/out" | jq -e '.type | endswith(".stopped")'
	events .stopped | jq -e '.data.reason == "receiver_failed" and
	    .data.frames_accepted == 2'
	run "$CTL" verify --public-key "$T/k.pub" "$T/out"
	[ "$status" -eq 0 ]
	[ ! -e "$SOCK" ]
	grep -q 'level=error msg="receiver failed"' "$T/err"
}

@test "a receiver killed by SIGKILL: receiver_failed, stopped, exit 70" {
	receiver_killed KILL
}

@test "a receiver crashing with SIGSEGV: receiver_failed, stopped, exit 70" {
	receiver_killed SEGV
}

@test "the receiver dies with the monitor" {
	start_daemon
	rx=$(receiver_pid)
	kill -9 "$DPID"
	wait "$DPID" || true
	DPID=""
	wait_for bash -c "! kill -0 $rx 2>/dev/null"
}

@test "stdout stalled: hundreds of connects all find room, nothing lost" {
	start_daemon_stalled --rate-limit 0 --max-connections 2
	# a flood that fills the pipe and the channel behind it
	"$CTL" emit --uds "$SOCK" --count 40000 2>/dev/null &
	epid=$!
	sleep 1
	python3 -c '
import errno, socket, sys
full = 0
conns = []
for i in range(300):
    s = socket.socket(socket.AF_UNIX)
    s.setblocking(False)
    try:
        s.connect(sys.argv[1])
    except BlockingIOError:
        full += 1
    conns.append(s)
sys.exit(1 if full else 0)' "$SOCK"
	resume_reading
	wait "$epid"
	sleep 0.5
	stop_stalled
	[ "$DSTATUS" -eq 0 ]
	[ "$(count_events .process.spawned)" -eq 40000 ]
	events .stopped | jq -e '.data.frames_accepted == 40000 and
	    .data.connections_refused >= 299'
}

@test "stdout stalled: a partial frame waits without a frame timeout" {
	start_daemon_stalled --rate-limit 0 --frame-timeout 1s
	# connection A: half a frame, read before the stall; the rest once
	# $T/go exists
	python3 - "$SOCK" "$T/go" <<'PY' &
import os, socket, struct, sys, time
def t(s):
    b = s.encode()
    return bytes([0x60 + len(b)]) + b
body = (b"\xa5" + t("content_version") + b"\x19\x01\x00" + t("probe_source") +
        t("process.exited") + t("guest_pid") + b"\x07" + t("guest_comm") + t("a") +
        t("guest_monotonic_ns") + b"\x01")
frame = struct.pack("<I", len(body)) + body
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(frame[:10])
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
s.sendall(frame[10:])
time.sleep(0.5)
PY
	apid=$!
	sleep 0.3
	# connection B: a flood that fills the pipe and the channel
	"$CTL" emit --uds "$SOCK" --count 40000 2>/dev/null &
	epid=$!
	sleep 3         # three frame timeouts long, with nothing read
	resume_reading
	touch "$T/go"
	wait "$epid"
	wait "$apid"
	sleep 0.5
	stop_stalled
	[ "$(count_events .process.exited)" -eq 1 ]
	events .stopped | jq -e '.data.rejected_by_reason.frame_timeout == 0'
}
