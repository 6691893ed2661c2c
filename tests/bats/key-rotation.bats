#!/usr/bin/env bats
# Key rotation (SPEC section 16): SIGHUP re-reads the key file.
# Check that a changed Ed25519 key is announced by one key_rotated line
# (old kid, new kid, new algorithm, new public key) signed by the old key,
# that every later line is signed by the new key and the stream verifies
# with both keys, in line and in chain mode (where key_rotated is a seal);
# that an HMAC rotation announces no public key; that an unchanged key, a
# key file that fails to load, and a changed key whose kid --key-id pins
# each keep the old key, log why and write nothing; and that with
# $CREDENTIALS_DIRECTORY set the credential signing-key is the default key,
# its systemd modes (0400/0440, root's) accepted there and nowhere else.

load helper

setup() {
	common_setup
	"$CTL" keygen "$T/a" >/dev/null
	"$CTL" keygen "$T/b" >/dev/null
	cp "$T/a.key" "$T/k.key"
	chmod 600 "$T/k.key"
}
teardown() { common_teardown; }

kid_of() { sed -n '1s/.* kid=//p' "$1"; }

rotate() { # KEY: put KEY's text in k.key (same file), SIGHUP, wait
	cat "$1" >"$T/k.key"
	kill -HUP "$DPID"
}

@test "line mode: key_rotated signed by the old key, then the new key signs" {
	SIGN_ARGS="--signing-key $T/k.key" start_daemon
	emit_n 3
	wait_for has_events .process.spawned 3
	rotate "$T/b.key"
	wait_for has_events .key_rotated 1
	emit_n 3
	wait_for has_events .process.spawned 6
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
	a=$(kid_of "$T/a.pub") b=$(kid_of "$T/b.pub")
	events .key_rotated | jq -e --arg a "$a" --arg b "$b" \
	    --arg pk "$(tail -n 1 "$T/b.pub")" '.sigkid == $a and
	    .data.old_kid == $a and .data.new_kid == $b and
	    .data.new_sigalg == "ed25519" and .data.new_public_key == $pk'
	# before the rotation a's, after it b's, every line
	[ "$(jq -r .sigkid "$T/out" | uniq | tr '\n' ' ')" = "$a $b " ]
	[ "$(events .process.spawned | jq -r .sigkid | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')" = "3 3 " ]
	run "$CTL" verify --public-key "$T/a.pub" --public-key "$T/b.pub" "$T/out"
	[ "$status" -eq 0 ]
	grep -q "msg=\"key rotated\" old_kid=$a new_kid=$b" "$T/err"
}

@test "chain mode: key_rotated is a seal by the old key; the chain goes on" {
	SIGN_ARGS="--signing-key $T/k.key --sign-mode chain --seal-interval 10s" \
	    start_daemon
	emit_n 5
	wait_for has_events .process.spawned 5
	rotate "$T/b.key"
	wait_for has_events .key_rotated 1
	emit_n 5
	wait_for has_events .process.spawned 10
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
	a=$(kid_of "$T/a.pub")
	events .key_rotated | jq -e --arg a "$a" '.sigkid == $a and
	    (.sig | type) == "string" and (.chain | type) == "string"'
	run "$CTL" verify --public-key "$T/a.pub" --public-key "$T/b.pub" "$T/out"
	[ "$status" -eq 0 ]
	# without the new key the lines after the rotation are not proven
	run "$CTL" verify --public-key "$T/b.pub" "$T/out"
	[ "$status" -ne 0 ]
}

@test "hmac-sha256: the rotation announces no key" {
	"$CTL" keygen --alg hmac-sha256 "$T/h1" >/dev/null
	"$CTL" keygen --alg hmac-sha256 "$T/h2" >/dev/null
	cp "$T/h1.key" "$T/hk.key"
	chmod 600 "$T/hk.key"
	SIGN_ARGS="--sign-alg hmac-sha256 --signing-key $T/hk.key" start_daemon
	cat "$T/h2.key" >"$T/hk.key"
	kill -HUP "$DPID"
	wait_for has_events .key_rotated 1
	emit_n 2
	wait_for has_events .process.spawned 2
	stop_daemon
	events .key_rotated | jq -e '.data.new_sigalg == "hmac-sha256" and
	    (.data | has("new_public_key") | not)'
	run "$CTL" verify --hmac-key "$T/h1.key" --hmac-key "$T/h2.key" "$T/out"
	[ "$status" -eq 0 ]
}

@test "unchanged, unloadable, or pinned by --key-id: the old key stays, nothing written" {
	SIGN_ARGS="--signing-key $T/k.key" start_daemon
	kill -HUP "$DPID"
	wait_for grep -q 'msg="SIGHUP: key unchanged"' "$T/err"
	echo garbage >"$T/k.key"
	kill -HUP "$DPID"
	wait_for grep -q 'msg="key reload failed; still signing with the current key"' "$T/err"
	emit_n 2
	wait_for has_events .process.spawned 2
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
	[ "$(count_events .key_rotated)" -eq 0 ]
	[ "$(jq -r .sigkid "$T/out" | sort -u)" = "$(kid_of "$T/a.pub")" ]
	run "$CTL" verify --public-key "$T/a.pub" "$T/out"
	[ "$status" -eq 0 ]
	cp "$T/a.key" "$T/k.key"
	SIGN_ARGS="--signing-key $T/k.key --key-id pinned" start_daemon
	rotate "$T/b.key"
	wait_for grep -q 'msg="key file changed but the key id would not' "$T/err"
	stop_daemon
	[ "$(count_events .key_rotated)" -eq 0 ]
}

@test "systemd credentials: CREDENTIALS_DIRECTORY/signing-key is the default key" {
	[ "$(id -u)" -eq 0 ] || skip "credentials are root's files"
	mkdir "$T/cred"
	cp "$T/b.key" "$T/cred/signing-key"
	# as systemd leaves it: root's, 0400, the ACL mask showing as g+r
	chmod 0440 "$T/cred/signing-key"
	CREDENTIALS_DIRECTORY="$T/cred" SIGN_ARGS="" start_daemon
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
	events .started | jq -e --arg b "$(kid_of "$T/b.pub")" '.sigkid == $b'
	# the same mode elsewhere is refused
	cp "$T/b.key" "$T/loose.key"
	chmod 0440 "$T/loose.key"
	run "$DAEMON" --cell-id c --run-id r --uds-base "$T/w" \
	    --signing-key "$T/loose.key"
	[ "$status" -eq 77 ]
}
