#!/usr/bin/env bats
# The two processes of SPEC section 11, looked at from outside: a signed
# daemon serving a guest, its receiver found as the monitor's child.
# Check that the receiver is its own program and confined (another
# executable than the monitor, Seccomp: 2, NoNewPrivs: 1, the name
# telemetryd-rx, fds 0-2 on /dev/null and otherwise only its sockets; run
# as root: the user _cellos-telemetryd (created by scripts/run-tests, as
# the package does) or --receiver-user nobody, no capabilities in any set,
# an empty root in a mount namespace of its own; its ELF links libcbor,
# libseccomp and libc only), that the monitor is not dumpable (its /proc
# files are root's when it runs as another user), that neither the seed nor its base64url
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
	[ "$(readlink "/proc/$rx/exe")" = "$BIN/cellos-telemetryd-receiver" ]
	[ "$(readlink "/proc/$DPID/exe")" = "$BIN/cellos-telemetryd" ]
	grep -q '^Seccomp:[[:space:]]*2$' "/proc/$rx/status"
	grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$rx/status"
	grep -q '^Seccomp:[[:space:]]*0$' "/proc/$DPID/status"
	for fd in /proc/"$rx"/fd/*; do
		n=${fd##*/}
		t=$(readlink "$fd")
		case $n in
		0|1|2) [ "$t" = /dev/null ] ;;
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

@test "run as root: another user, no capabilities, an empty root of its own" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	start_daemon
	rx=$(receiver_pid)
	uid=$(id -u _cellos-telemetryd)
	grep -Eq "^Uid:[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid$" "/proc/$rx/status"
	grep -Eq '^Groups:[[:space:]]*$' "/proc/$rx/status"
	for set in CapInh CapPrm CapEff CapBnd CapAmb; do
		grep -q "^$set:[[:space:]]*0000000000000000$" "/proc/$rx/status"
	done
	[ "$(readlink "/proc/$rx/ns/mnt")" != "$(readlink "/proc/$DPID/ns/mnt")" ]
	[ -z "$(ls -A "/proc/$rx/root/")" ]
	! touch "/proc/$rx/root/x" 2>/dev/null
	grep -Eq '^Max processes +0 +0' "/proc/$rx/limits"
	grep -Eq '^Max file size +0 +0' "/proc/$rx/limits"
	# AddressSanitizer builds set no RLIMIT_DATA (its quarantine)
	[ -n "${CELLOS_SANITIZE:-}" ] ||
	    grep -Eq '^Max data size +[0-9]+ +[0-9]+' "/proc/$rx/limits"
	events .started | jq -e '.data.receiver_user == "_cellos-telemetryd" and
	    .data.receiver_root == "empty"'
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
}

@test "--receiver-user names the user or UID:GID; a missing one is exit 78 saying how to create it" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	start_daemon --receiver-user nobody
	grep -Eq "^Uid:[[:space:]]+$(id -u nobody)[[:space:]]" "/proc/$(receiver_pid)/status"
	events .started | jq -e '.data.receiver_user == "nobody"'
	stop_daemon
	run "$DAEMON" --cell-id c --run-id r --uds-base "$T/w" --sign-alg off \
	    --receiver-user no-such-user
	[ "$status" -eq 78 ]
	[[ "$output" == *"receiver user 'no-such-user' does not exist; create it (useradd --system"* ]]
	[ ! -e "$T/w_9001" ]
	run "$DAEMON" --cell-id c --run-id r --uds-base "$T/w" --sign-alg off \
	    --receiver-user root
	[ "$status" -eq 78 ]
	[[ "$output" == *"is root"* ]]
	# numbers need no user database
	start_daemon --receiver-user 4321:4322
	grep -Eq "^Uid:[[:space:]]+4321[[:space:]]" "/proc/$(receiver_pid)/status"
	grep -Eq "^Gid:[[:space:]]+4322[[:space:]]" "/proc/$(receiver_pid)/status"
	stop_daemon
}

@test "the receiver links libcbor, libseccomp and libc only" {
	run readelf -d "$BIN/cellos-telemetryd-receiver"
	[ "$status" -eq 0 ]
	# (a sanitizer build adds the sanitizer runtimes)
	needed=$(echo "$output" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
	    sed 's/\.so.*//' | grep -Ev '^lib(asan|ubsan)$' | sort | tr '\n' ' ')
	[ "$needed" = "libc libcbor libseccomp " ]
}

@test "a missing receiver program is exit 78 naming the path" {
	run "$DAEMON" --cell-id c --run-id r --uds-base "$T/w" --sign-alg off \
	    --receiver-program "$T/nothing"
	[ "$status" -eq 78 ]
	[[ "$output" == *"--receiver-program $T/nothing"* ]]
	[ ! -e "$T/w_9001" ]
	cp "$DAEMON" "$T/cellos-telemetryd"
	run "$T/cellos-telemetryd" --cell-id c --run-id r --uds-base "$T/w" \
	    --sign-alg off
	[ "$status" -eq 78 ]
	# LIBEXECDIR's, named (set at build time: PREFIX/lib/cellos-telemetryd)
	[[ "$output" == *"the receiver program /"*"/lib/cellos-telemetryd/cellos-telemetryd-receiver is missing or not executable (nor is it beside $T)"* ]]
}

@test "the monitor is not dumpable: run as another user, its /proc files are root's" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to start it as another user"
	chmod 755 "$T"
	mkdir "$T/nb"
	chown nobody "$T/nb"
	setpriv --reuid nobody --regid nogroup --clear-groups \
	    "$DAEMON" --cell-id c --run-id r --uds-base "$T/nb/u" --sign-alg off \
	    >"$T/uout" 2>"$T/uerr" &
	upid=$!
	wait_for test -S "$T/nb/u_9001"
	[ "$(stat -c %U "/proc/$upid/mem")" = root ]
	[ "$(stat -c %U "/proc/$upid/environ")" = root ]
	grep -Eq "^Uid:[[:space:]]+$(id -u nobody)[[:space:]]" "/proc/$upid/status"
	# unprivileged: the receiver keeps the user and says what it could not
	grep -q 'receiver confined without privileges' "$T/uerr"
	jq -e --arg u "$(id -u nobody)" 'select(.type | endswith(".started")) |
	    .data.receiver_user == $u and .data.receiver_root == "shared"' "$T/uout"
	kill -TERM "$upid"
	wait "$upid"
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
