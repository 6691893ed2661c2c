#!/usr/bin/env bats
# Claiming the socket (SPEC section 16): two daemons on one --uds-base, the
# socket's directory and the path to it, --ready-fd, --socket-owner.
# Check that with the window between bind and listen held open (an
# LD_PRELOAD shim delays listen()), a second daemon started inside it exits
# 73 and the first keeps a working socket; that of many pairs started at the
# same instant exactly one runs each time; that a directory another user
# can write, or one reached through another user's symlink, is refused with
# 73 saying why (a sticky directory owned by root is fine); that --ready-fd
# on an fd that is not open is 64; and that --socket-owner gives the socket
# to a jailed VMM's uid: it can connect, another uid cannot.

load helper

setup() { common_setup; }
teardown() {
	[ -z "${D2:-}" ] || kill -9 "$D2" 2>/dev/null || true
	common_teardown
}

@test "a second daemon inside the first's bind-listen window exits 73" {
	build_faultshim
	FAULTSHIM_LISTEN_DELAY_MS=1500 LD_PRELOAD="$SHIM" start_daemon &
	starter=$!
	wait_for test -S "$SOCK"        # bound, not yet listening
	run "$DAEMON" --cell-id c --run-id r --uds-base "$SOCK_BASE" --sign-alg off
	[ "$status" -eq 73 ]
	[[ "$output" == *"holds its lock $SOCK.lock"* ]]
	wait "$starter"
	DPID=$(pgrep -f -- "--uds-base $SOCK_BASE" | head -n 1)
	emit_n 3
	wait_for has_events .process.spawned 3
	kill -TERM "$DPID"
	wait_for bash -c "! kill -0 $DPID 2>/dev/null"
	DPID=""
	[ ! -e "$SOCK" ]
}

@test "pairs started at the same instant: exactly one runs, every time" {
	for i in $(seq 1 20); do
		"$DAEMON" --cell-id c --run-id r --uds-base "$T/p$i" --sign-alg off \
		    >/dev/null 2>"$T/e1" &
		a=$!
		"$DAEMON" --cell-id c --run-id r --uds-base "$T/p$i" --sign-alg off \
		    >/dev/null 2>"$T/e2" &
		b=$!
		sleep 0.3
		alive=0
		for p in $a $b; do
			if kill -0 "$p" 2>/dev/null; then alive=$((alive + 1)); fi
		done
		[ "$alive" -eq 1 ] || { echo "pair $i: $alive running"; cat "$T"/e1 "$T"/e2; false; }
		kill -TERM "$a" "$b" 2>/dev/null || true
		sa=0; sb=0
		wait "$a" || sa=$?
		wait "$b" || sb=$?
		# one stopped cleanly, the other was refused
		[ $((sa + sb)) -eq 73 ] || { echo "pair $i: exits $sa $sb"; false; }
	done
}

@test "a directory another user can write is refused with 73" {
	mkdir -m 0777 "$T/open"
	run "$DAEMON" --cell-id c --run-id r --uds-base "$T/open/v" --sign-alg off
	[ "$status" -eq 73 ]
	[[ "$output" == *"the socket directory $T/open is not ours"*"mode 0777"* ]]
	[ ! -e "$T/open/v_9001" ]
	[ "$(id -u)" -eq 0 ] || skip "the rest needs root (another owner)"
	mkdir -m 0755 "$T/theirs"
	chown nobody "$T/theirs"
	run "$DAEMON" --cell-id c --run-id r --uds-base "$T/theirs/v" --sign-alg off
	[ "$status" -eq 73 ]
	[[ "$output" == *"uid $(id -u nobody)"* ]]
}

@test "a sticky directory owned by root is fine" {
	[ "$(id -u)" -eq 0 ] || skip "needs a root-owned sticky directory"
	mkdir -m 1777 "$T/sticky"
	start_daemon_at "$T/sticky/v"
}

@test "a symlink on the way that another user owns is refused" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to make another user's symlink"
	mkdir -m 0700 "$T/real"
	ln -s "$T/real" "$T/link"
	chown -h nobody "$T/link"
	run "$DAEMON" --cell-id c --run-id r --uds-base "$T/link/v" --sign-alg off
	[ "$status" -eq 73 ]
	[[ "$output" == *"reached through $T/link, a symlink owned by uid"* ]]
	# ours (root's) is fine
	chown -h root "$T/link"
	start_daemon_at "$T/link/v"
}

@test "--ready-fd on an fd that is not open is a usage error (64)" {
	run "$DAEMON" --cell-id c --run-id r --uds-base "$SOCK_BASE" --sign-alg off \
	    --ready-fd 9
	[ "$status" -eq 64 ]
	[[ "$output" == *"--ready-fd 9 is not open"* ]]
	[ ! -e "$SOCK" ]
}

@test "--socket-owner: the jailed VMM's uid connects, another uid cannot" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to give the socket away"
	chmod 0755 "$T"
	start_daemon --socket-owner 4242:4242
	[ "$(stat -c '%u:%g %a' "$SOCK")" = "4242:4242 600" ]
	setpriv --reuid 4242 --regid 4242 --clear-groups \
	    "$CTL" emit --uds "$SOCK" --count 2 2>"$T/emit-ok"
	wait_for has_events .process.spawned 2
	run setpriv --reuid 4243 --regid 4243 --clear-groups \
	    "$CTL" emit --uds "$SOCK" --count 1
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
	[ "$(count_events .process.spawned)" -eq 2 ]
	events .connection_opened | jq -e '.data.peer_uid == 4242'
}
