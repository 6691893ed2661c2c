#!/usr/bin/env bats
# The daemon under the service managers operators run it with, for real:
# systemd's own tools (systemd-analyze verify on the shipped units, the
# daemon socket-activated by systemd-socket-activate, $NOTIFY_SOCKET and
# $JOURNAL_STREAM) and s6 (s6-svscan, s6-svwait -U on the shipped service
# directory, s6-svc -d). No systemd or s6 runs as PID 1 here; these are
# their real programs, run by the test.
# Check that the units verify clean, that an activated daemon serves the
# inherited socket and never unlinks it, that READY=1 and then STOPPING=1
# reach the notify socket, that stderr gets "<N>" priorities only when it
# is the journal's stream, and that s6 sees readiness, frames flow, and the
# service comes down with a stopped line.

load helper

setup() { common_setup; }
teardown() {
	if [ -n "${SVPID:-}" ]; then
		s6-svscanctl -t "$T/scan" 2>/dev/null || true
		wait "$SVPID" 2>/dev/null || true
	fi
	common_teardown
}

CONTRIB="$BATS_TEST_DIRNAME/../../contrib"

# s6_service KEY: the service directory in $T/scan, its env/ for cell c1;
# sets $svc
s6_service() {
	mkdir -p "$T/scan"
	cp -r "$CONTRIB/s6/cellos-telemetryd" "$T/scan/"
	svc="$T/scan/cellos-telemetryd"
	mkdir "$svc/env"
	echo c1 >"$svc/env/CELL_ID"
	echo r1 >"$svc/env/RUN_ID"
	echo "$SOCK_BASE" >"$svc/env/UDS_BASE"
	echo "$1" >"$svc/env/SIGNING_KEY"
}

@test "systemd-analyze verify: the units are clean" {
	root="$T/root"
	make -s -C "$BATS_TEST_DIRNAME/../.." install PREFIX=/usr DESTDIR="$root" >/dev/null
	mkdir -p "$root/etc/cellos/telemetry"
	echo CELLOS_RUN_ID=r1 >"$root/etc/cellos/telemetry/c1.env"
	# the standard targets the units order against, and the shell of
	# ExecReload=, from this system
	cp -n /lib/systemd/system/*.target "$root/usr/lib/systemd/system/"
	mkdir -p "$root/bin"
	cp -L /bin/sh "$root/bin/sh"
	run systemd-analyze verify --man=no --root="$root" \
	    cellos-telemetryd@c1.socket cellos-telemetryd@c1.service
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# the stream's directory exists before the first start (tmpfiles.d):
	# the unit does not leave it to LogsDirectory=, made after stdout
	! grep -q '^LogsDirectory=' "$root/usr/lib/systemd/system/cellos-telemetryd@.service"
	grep -q '^StandardOutput=append:/var/log/cellos/%i.jsonl$' \
	    "$root/usr/lib/systemd/system/cellos-telemetryd@.service"
	[ ! -e "$root/var/log/cellos" ]
	systemd-tmpfiles --create --root="$root" \
	    "$root/usr/lib/tmpfiles.d/cellos-telemetryd.conf"
	[ "$(stat -c '%a %U' "$root/var/log/cellos")" = "750 root" ]
}

@test "socket activation: the inherited socket is served and left in place" {
	systemd-socket-activate -l "$SOCK" --fdname=telemetry \
	    "$DAEMON" --cell-id c1 --run-id r1 --sign-alg off \
	    >"$T/out" 2>"$T/err" &
	DPID=$!
	wait_for test -S "$SOCK"
	# systemd-socket-activate starts the daemon on the first connection
	emit_n 3
	wait_for has_events .process.spawned 3
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
	events .started | jq -e --arg p "$SOCK" '.data.listen_path == $p'
	[ -S "$SOCK" ]          # the socket is the manager's, not ours
}

@test "READY=1 then STOPPING=1 (with STATUS=) on \$NOTIFY_SOCKET; <N> prefixes for journald" {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "w") as out:
    for _ in range(2):
        out.write(s.recv(4096).decode().replace("\n", "|") + "\n")
        out.flush()' "$T/notify" "$T/notes" &
	npid=$!
	wait_for test -S "$T/notify"
	NOTIFY_SOCKET="$T/notify" start_daemon
	stop_daemon
	wait "$npid"
	# each with a STATUS= line for systemctl status
	[ "$(sed -n 1p "$T/notes")" = "READY=1|STATUS=listening on $SOCK; 0 guest connection(s); 1 line(s) written; stdout blocked 0 ms in all" ]
	[[ "$(sed -n 2p "$T/notes")" == "STOPPING=1|STATUS=stopping, was listening on $SOCK; "* ]]
	# stderr is not the journal's stream: plain logfmt
	grep -q '^level=info msg="ready"' "$T/err"
	# stderr is the journal's stream (its device:inode): priorities first
	: >"$T/err.j"
	JOURNAL_STREAM=$(stat -c '%d:%i' "$T/err.j") "$DAEMON" --cell-id c \
	    --run-id r --uds-base "$T/j" --sign-alg off >/dev/null 2>>"$T/err.j" &
	jpid=$!
	wait_for grep -q 'msg="ready"' "$T/err.j"
	kill -TERM "$jpid"
	wait "$jpid"
	grep -q '^<6>level=info msg="ready"' "$T/err.j"
	! grep -q '^<' "$T/err"
	# a failed start, before any log line: its reason at error level
	: >"$T/err.k"
	rc=0
	JOURNAL_STREAM="$(stat -c '%d:%i' "$T/err.k")" "$DAEMON" \
	    --cell-id c --run-id r --uds-base "$T/j" --signing-key "$T/missing" \
	    2>>"$T/err.k" || rc=$?
	[ "$rc" -eq 66 ]
	grep -q "^<3>cellos-telemetryd: .*$T/missing" "$T/err.k"
}

@test "s6: s6-svscan runs the service dir, readiness, frames, s6-svc -d" {
	"$CTL" keygen "$T/k" >/dev/null
	s6_service "$T/k.key"
	PATH="$BIN:$PATH" s6-svscan "$T/scan" >"$T/svscan.out" 2>"$T/err" &
	SVPID=$!
	wait_for test -e "$svc/supervise/status"
	s6-svwait -U -t 10000 "$svc"
	[ -S "$SOCK" ]
	emit_n 5
	# the stream goes through the log/ service's s6-log into log/main
	ln -s "$svc/log/main/current" "$T/out"
	wait_for has_events .process.spawned 5
	s6-svc -d "$svc"
	s6-svwait -D -t 10000 "$svc"
	wait_for bash -c "tail -n 1 '$T/out' | jq -e '.type | endswith(\".stopped\")'"
	run "$CTL" verify --public-key "$T/k.pub" "$T/out"
	[ "$status" -eq 0 ]
	[ ! -e "$SOCK" ]
}

@test "s6: a configuration error is not restarted (finish exits 125)" {
	s6_service "$T/missing.key"
	PATH="$BIN:$PATH" s6-svscan "$T/scan" >/dev/null 2>"$T/err" &
	SVPID=$!
	wait_for grep -q "cannot open key file $T/missing.key" "$T/err"
	sleep 3         # s6-supervise restarts after 1 s: it must not
	[ "$(grep -c "cannot open key file" "$T/err")" -eq 1 ]
	s6-svstat "$svc" | grep -q '^down (exitcode 66)'
}
