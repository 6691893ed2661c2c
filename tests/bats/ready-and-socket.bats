#!/usr/bin/env bats
# The daemon started with --ready-fd (and $NOTIFY_SOCKET) on a temp path.
# Check that readiness comes only once the socket accepts and the started
# event is on stdout, that the socket is mode 0600 (or --socket-mode), and
# that the started event names the path, limits and signing settings.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "ready fd fires after the socket accepts and started is written" {
	start_daemon
	# ready has fired: the socket must take a connection right now
	[ -S "$SOCK" ]
	"$CTL" emit --uds "$SOCK" --count 1 2>/dev/null
	[ "$(head -n 1 "$T/out" | jq -r .type)" = cell.observability.host.telemetry.started ]
	head -n 1 "$T/out" | jq -e --arg p "$SOCK" '.data.listen_path == $p and
	    .data.limits.max_frame_bytes == 4096 and .data.limits.max_connections == 4 and
	    .data.sigalg == "off" and .data.sigkid == null and
	    .sequence == "00000000000000000001"'
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
	[ ! -e "$SOCK" ]
}

@test "socket is mode 0600 by default, --socket-mode changes it" {
	start_daemon
	[ "$(stat -c %a "$SOCK")" = 600 ]
	stop_daemon
	start_daemon --socket-mode 0660
	[ "$(stat -c %a "$SOCK")" = 660 ]
	stop_daemon
}

@test "READY=1 reaches NOTIFY_SOCKET" {
	coproc NS { python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); print("up", flush=True)
s.settimeout(10); print(s.recv(100).decode(), flush=True)' "$T/notify"; }
	read -r -t 5 up <&"${NS[0]}"
	NOTIFY_SOCKET="$T/notify" start_daemon
	read -r -t 5 msg <&"${NS[0]}"
	[ "$msg" = READY=1 ]
	stop_daemon
}

@test "--listen-fd uses an inherited listening socket" {
	python3 - "$T/inh.sock" "$DAEMON" "$T/out" <<'PY' &
import os, socket, sys
path, daemon, out = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path); s.listen(8)
fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.dup2(fd, 1)
os.dup2(s.fileno(), 5); os.set_inheritable(5, True)
os.execv(daemon, [daemon, "--cell-id", "c", "--run-id", "r", "--listen-fd", "5", "--sign-alg", "off"])
PY
	DPID=$!
	wait_for test -s "$T/out"
	wait_for test -S "$T/inh.sock"
	"$CTL" emit --uds "$T/inh.sock" --count 2 2>/dev/null
	wait_for has_events .process.spawned 2
	head -n 1 "$T/out" | jq -e --arg p "$T/inh.sock" '.data.listen_path == $p'
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
}
