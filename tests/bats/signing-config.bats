#!/usr/bin/env bats
# Starting the daemon with missing, unsafe or unusable signing keys.
# Check the exit codes of SPEC section 7 and that each message names the
# file, what is wrong, and what to do.

load helper

setup() { common_setup; "$CTL" keygen "$T/k" >/dev/null; }
teardown() { common_teardown; }

run_daemon() {
	run "$DAEMON" --cell-id c --run-id r --uds-base "$SOCK_BASE" "$@"
}

@test "no key and no explicit off: 78 naming both choices" {
	run_daemon
	[ "$status" -eq 78 ]
	[[ "$output" == *"--signing-key"* && "$output" == *"--sign-alg off"* ]]
	[ ! -e "$SOCK" ]
}

@test "key file readable by others: 77" {
	chmod 644 "$T/k.key"
	run_daemon --signing-key "$T/k.key"
	[ "$status" -eq 77 ]
	[[ "$output" == *"$T/k.key is mode 0644"*"chmod 600"* ]]
}

@test "missing key file: 66; directory or FIFO: 77; garbage: 78" {
	run_daemon --signing-key "$T/none.key"
	[ "$status" -eq 66 ]
	mkdir -m 700 "$T/dir.key"
	run_daemon --signing-key "$T/dir.key"
	[ "$status" -eq 77 ]
	mkfifo -m 600 "$T/fifo.key"
	run_daemon --signing-key "$T/fifo.key"
	[ "$status" -eq 77 ]
	echo 'not a key' >"$T/bad.key"; chmod 600 "$T/bad.key"
	run_daemon --signing-key "$T/bad.key"
	[ "$status" -eq 78 ]
	[[ "$output" == *"$T/bad.key"* ]]
}

@test "a symlink to a safe key file is fine" {
	ln -s "$T/k.key" "$T/link.key"
	SIGN_ARGS="--signing-key $T/link.key" start_daemon
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
}

@test "unknown algorithm: 78; --key-id sets sigkid" {
	run_daemon --sign-alg rsa
	[ "$status" -eq 78 ]
	SIGN_ARGS="--signing-key $T/k.key --key-id host-7" start_daemon
	stop_daemon
	jq -e '.sigkid == "host-7"' "$T/out" >/dev/null
	CELLOS_HOST_TELEMETRY_SIGN_ALG=off SIGN_ARGS=" " start_daemon
	stop_daemon
	jq -e 'has("sig") | not' "$T/out" >/dev/null
}
