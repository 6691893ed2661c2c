#!/usr/bin/env bats
# Key rotation on the verify side (SPEC section 16): hand-made streams
# (tests/tools/streamgen, signed with Python) whose key_rotated line,
# signed by the old key, announces a new one, in line and chain mode,
# Ed25519 and HMAC; and a real daemon rotated by SIGHUP.
# Check that verify follows a rotation vouched for by a key it trusts
# (the old key alone verifies the whole stream), and nothing else: the new
# key alone, a lost or forged key_rotated line, a rotation by an untrusted
# key, the new kid in another stream, an HMAC key not given, each fail.

load helper

GEN="$BATS_TEST_DIRNAME/../tools/streamgen"

setup() {
	common_setup
	for k in a b c; do "$CTL" keygen "$T/$k" >/dev/null; done
	"$CTL" keygen --alg hmac-sha256 "$T/h1" >/dev/null
	"$CTL" keygen --alg hmac-sha256 "$T/h2" >/dev/null
}
teardown() { common_teardown; }

kid_of() { sed -n '1s/.* kid=//p' "$1"; }

@test "the old key alone verifies a rotated stream, line and chain mode" {
	for mode in line chain; do
		"$GEN" --key "$T/a.key" --mode "$mode" --rotate-at 5 \
		    --new-key "$T/b.key" >"$T/s"
		[ "$(jq -r .sigkid "$T/s" | uniq | wc -l)" -eq 2 ]
		run "$CTL" verify --public-key "$T/a.pub" "$T/s"
		[ "$status" -eq 0 ]
		[[ "$output" == *"key $(kid_of "$T/a.pub"),$(kid_of "$T/b.pub")): OK"* ]]
		# the new key alone does not vouch for the lines before
		run "$CTL" verify --public-key "$T/b.pub" "$T/s"
		[ "$status" -eq 1 ]
		[[ "$output" == *"line 1: unknown key id $(kid_of "$T/a.pub")"* ]]
	done
}

@test "a lost or forged key_rotated line: the new key's lines fail" {
	for mode in line chain; do
		"$GEN" --key "$T/a.key" --mode "$mode" --rotate-at 5 \
		    --new-key "$T/b.key" >"$T/s"
		sed 5d "$T/s" >"$T/lost"
		run "$CTL" verify --public-key "$T/a.pub" "$T/lost"
		[ "$status" -eq 1 ]
		[[ "$output" == *"unknown key id $(kid_of "$T/b.pub")"* ]]
		# announce c's key instead of b's: the old key's signature breaks
		c=$(tail -n 1 "$T/c.pub")
		b=$(tail -n 1 "$T/b.pub")
		sed "5s/$b/$c/" "$T/s" >"$T/forged"
		run "$CTL" verify --public-key "$T/a.pub" "$T/forged"
		[ "$status" -eq 1 ]
		[[ "$output" == *"line 5: "* ]]
		[[ "$output" == *"unknown key id $(kid_of "$T/b.pub")"* ]]
	done
}

@test "a rotation signed by an untrusted key introduces nothing" {
	"$GEN" --key "$T/c.key" --rotate-at 3 --new-key "$T/b.key" >"$T/s"
	run "$CTL" verify --public-key "$T/b.pub" "$T/s"
	[ "$status" -eq 1 ]
	[[ "$output" == *"line 1: unknown key id $(kid_of "$T/c.pub")"* ]]
	[[ "$output" == *"line 3: unknown key id $(kid_of "$T/c.pub")"* ]]
}

@test "a rotation vouches for its own stream only" {
	"$GEN" --key "$T/a.key" --rotate-at 5 --new-key "$T/b.key" >"$T/s"
	"$GEN" --key "$T/b.key" --streamid "$(printf 'b%.0s' $(seq 1 32))" >"$T/other"
	run "$CTL" verify --public-key "$T/a.pub" "$T/s" "$T/other"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/other line 1: unknown key id $(kid_of "$T/b.pub")"* ]]
	[[ "$output" == *"stream 5eed"*"OK:"* ]]
}

@test "HMAC: the rotation names the kid; the new key must be given" {
	for mode in line chain; do
		"$GEN" --key "$T/h1.key" --kid ops-1 --mode "$mode" --rotate-at 4 \
		    --new-key "$T/h2.key" --new-kid ops-2 >"$T/s"
		run "$CTL" verify --hmac-key "$T/h1.key" "$T/s"
		[ "$status" -eq 1 ]
		[[ "$output" == *"unknown key id ops-2 (no --hmac-key verifies it)"* ]]
		run "$CTL" verify --hmac-key "$T/h1.key" --hmac-key "$T/h2.key" "$T/s"
		[ "$status" -eq 0 ]
		[[ "$output" == *"key ops-1,ops-2): OK"* ]]
	done
}

@test "a real daemon rotated by SIGHUP verifies with the old key alone" {
	cp "$T/a.key" "$T/k.key"
	chmod 600 "$T/k.key"
	for mode in line chain; do
		SIGN_ARGS="--signing-key $T/k.key --sign-mode $mode" start_daemon
		emit_n 3
		wait_for has_events .process.spawned 3
		cat "$T/b.key" >"$T/k.key"
		kill -HUP "$DPID"
		wait_for has_events .key_rotated 1
		emit_n 3
		wait_for has_events .process.spawned 6
		stop_daemon
		run "$CTL" verify --public-key "$T/a.pub" "$T/out"
		[ "$status" -eq 0 ]
		cat "$T/a.key" >"$T/k.key"
	done
}
