#!/usr/bin/env bats
# --coalesce DUR: once a guest's frames come closer than DUR, the receiver
# reads it at most once per DUR, so one wake-up serves several frames.
# Check that a busy guest is read in batches (frames share host_received_at)
# and a frame after a quiet spell is read at once; that without it every
# frame is read as it comes; that a guest sending a lot is read without
# pauses; that a partial frame's deadline ends a hold
# (the frame timeout is not stretched); that SIGTERM drains what a hold
# left in the socket; that frames within the rate limit
# are not refused for being read together; and the defaults and bounds.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

chain_daemon() { # ARGS...: a chain-mode daemon (one key per test)
	[ -e "$T/k.key" ] || "$CTL" keygen "$T/k" >/dev/null
	SIGN_ARGS="--signing-key $T/k.key --sign-mode chain" start_daemon "$@"
}

received_at_groups() {
	events .process.spawned | jq -r .data.host_received_at | sort -u | wc -l
}

@test "a busy guest is read in batches, a frame after a quiet spell at once" {
	start_daemon --coalesce 500ms
	emit_n 30 --rate 50
	wait_for has_events .process.spawned 30
	# 0.6 s of frames: the first one or two at once, the rest after holds
	[ "$(received_at_groups)" -le 6 ]
	sleep 1
	t1=$(date +%s%N)
	emit_n 1 --pid 99
	t2=$(date +%s%N)
	wait_for has_events .process.spawned 31
	at=$(events .process.spawned | jq -r 'select(.data.guest_pid == 99) |
	    .data.host_received_at')
	ns=$(date -d "$at" +%s%N)
	# read while emit ran, not half a second later
	[ "$ns" -ge "$t1" ]
	[ "$ns" -le $((t2 + 100000000)) ]
	stop_daemon
	events .stopped | jq -e '.data.frames_accepted == 31'
}

@test "without --coalesce every frame is read as it comes" {
	start_daemon
	emit_n 30 --rate 50
	wait_for has_events .process.spawned 30
	stop_daemon
	[ "$(received_at_groups)" -ge 20 ]
	events .started | jq -e '.data.coalesce_ms == 0'
}

@test "a guest sending a lot is read without pauses" {
	chain_daemon --rate-limit 0
	# one send() per frame, flat out: a hold here would fill the socket
	# (small writes take a lot of its buffer) and stall the guest for
	# every hold, visible as gaps between reads
	emit_n 20000
	wait_for has_events .process.spawned 20000
	stop_daemon
	events .process.spawned | jq -r .data.host_received_at | python3 -c '
import sys
from datetime import datetime
def ns(s):
    d = datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")
    return int(d.timestamp()) * 10**9 + int(s[20:29])
t = [ns(l.strip()) for l in sys.stdin]
gaps = sum(1 for a, b in zip(t, t[1:]) if b - a >= 20 * 10**6)
print("gaps of 20 ms or more:", gaps)
sys.exit(0 if gaps < 10 else 1)'
}

@test "a partial frame's deadline ends a hold: the frame timeout is kept" {
	start_daemon --coalesce 1s --frame-timeout 300ms
	# frame 2 comes 20 ms after frame 1 and starts a 1 s hold; frame 3's
	# first bytes come with it, its rest 250 ms later, inside the hold but
	# before its 300 ms deadline: it must be read then, not timed out
	python3 - "$SOCK" <<'PY'
import socket, struct, sys, time
def t(s):
    b = s.encode()
    return bytes([0x60 + len(b)]) + b
def frame(i):
    body = (b"\xa5" + t("content_version") + b"\x19\x01\x00" +
            t("probe_source") + t("process.spawned") + t("guest_pid") +
            bytes([i]) + t("guest_comm") + t("w") + t("guest_monotonic_ns") +
            bytes([i]))
    return struct.pack("<I", len(body)) + body
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(frame(1))
time.sleep(0.02)
s.sendall(frame(2) + frame(3)[:10])
time.sleep(0.25)
s.sendall(frame(3)[10:])
time.sleep(0.3)
PY
	wait_for has_events .connection_closed 1
	stop_daemon
	[ "$(count_events .process.spawned)" -eq 3 ]
	events .connection_closed | jq -e '.data.reason == "eof"'
	events .stopped | jq -e '.data.rejected_by_reason.frame_timeout == 0'
}

@test "SIGTERM during a hold: what waits in the socket is drained" {
	start_daemon --coalesce 1s
	# 10 frames in 0.1 s, then the connection stays open: the last ones
	# wait out a 1 s hold when SIGTERM comes
	emit_n 10 --rate 100 --linger 2s &
	epid=$!
	sleep 0.4
	stop_daemon
	wait "$epid" || true
	[ "$DSTATUS" -eq 0 ]
	[ "$(count_events .process.spawned)" -eq 10 ]
	events .stopped | jq -e '.data.frames_accepted == 10'
}

@test "frames within the rate limit are not refused for being read together" {
	start_daemon --rate-limit 100 --rate-burst 10 --coalesce 50ms
	emit_n 60 --rate 80
	wait_for has_events .process.spawned 60
	stop_daemon
	[ "$(received_at_groups)" -le 40 ]
	events .stopped | jq -e '.data.rejected_by_reason.rate_limited == 0'
}

@test "chain mode coalesces by default, within the rate limit's bucket" {
	chain_daemon
	stop_daemon
	events .started | jq -e '.data.coalesce_ms == 25'
	chain_daemon --rate-limit 1000 --rate-burst 10
	stop_daemon
	events .started | jq -e '.data.coalesce_ms == 10'
	chain_daemon --coalesce 0
	stop_daemon
	events .started | jq -e '.data.coalesce_ms == 0'
}

@test "--coalesce: at most 1s, and never past the rate limit's bucket" {
	run "$DAEMON" --cell-id c --run-id r --uds-base "$SOCK_BASE" \
	    --sign-alg off --coalesce 2s
	[ "$status" -eq 64 ]
	[[ "$output" == *"--coalesce 2s: at most 1s"* ]]
	run "$DAEMON" --cell-id c --run-id r --uds-base "$SOCK_BASE" \
	    --sign-alg off --coalesce 100ms --rate-limit 100 --rate-burst 5
	[ "$status" -eq 64 ]
	[[ "$output" == *"longer than --rate-burst / --rate-limit (50ms)"* ]]
	[[ "$output" == *"raise --rate-burst"* ]]
	[ ! -e "$SOCK" ]
}
