#!/usr/bin/env bats
# Key files given in the wrong place, as a new user would: the .pub as the
# signing key (before and after following the old chmod advice), a key of
# the other algorithm, damaged key files, and a secret key given to verify.
# Check that each is refused with exit 78 and a message naming the file and
# what it is, never advice to make a public key private, never a key that
# silently decodes to something else, and that the secret never appears in
# a message or in started; and that bare key files and key variables (the
# Rust crate's format) still work.

load helper

setup() {
	common_setup
	"$CTL" keygen "$T/host" >/dev/null
}
teardown() { common_teardown; }

daemon() {
	run "$DAEMON" --cell-id c --run-id r --uds-base "$T/v" "$@"
}

@test "the public key as --signing-key is refused, whatever its mode" {
	daemon --signing-key "$T/host.pub"
	[ "$status" -eq 78 ]
	[[ "$output" == *"key file $T/host.pub: this is an ed25519 public key"* ]]
	[[ "$output" == *"pass the matching .key file"* ]]
	[[ "$output" != *"chmod 600"* ]]
	chmod 600 "$T/host.pub"
	daemon --signing-key "$T/host.pub"
	[ "$status" -eq 78 ]
	[[ "$output" == *"public key"* ]]
	[ ! -e "$T/v_9001" ]
}

@test "a key of the other algorithm is refused" {
	"$CTL" keygen --alg hmac-sha256 "$T/mac" >/dev/null
	daemon --signing-key "$T/mac.key"
	[ "$status" -eq 78 ]
	[[ "$output" == *"hmac-sha256 secret key but the signing algorithm is ed25519; pass --sign-alg hmac-sha256"* ]]
	daemon --sign-alg hmac-sha256 --signing-key "$T/host.key"
	[ "$status" -eq 78 ]
	[[ "$output" == *"ed25519 secret key but the signing algorithm is hmac-sha256"* ]]
}

@test "damaged key files: 78 naming the file, never another key" {
	secret=$(sed -n 2p "$T/host.key")
	head=$(head -n 1 "$T/host.key")
	bad() { # NAME CONTENT
		printf '%s' "$2" >"$T/$1"
		chmod 600 "$T/$1"
		daemon --signing-key "$T/$1"
		[ "$status" -eq 78 ] || { echo "$1: $status $output"; return 1; }
		[[ "$output" == *"key file $T/$1:"* ]]
		[[ "$output" != *"$secret"* ]]
	}
	bad truncated "$head"$'\n'"${secret:0:30}"$'\n'
	bad overlong "$head"$'\n'"${secret}AAAA"$'\n'
	bad padded "$head"$'\n'"${secret}=junk"$'\n'
	bad mixed "$head"$'\n'"$(printf '%s' "$secret" | tr '_-' '/+')+/"$'\n'
	bad twokeys "$head"$'\n'"$secret"$'\n'"$secret"$'\n'
	bad wrongtype "cellos-telemetry ed25519 private key"$'\n'"$secret"$'\n'
	bad nokey "$head"$'\n'
	bad edited "${head%?}x"$'\n'"$secret"$'\n'
	bad empty ""
}

@test "bare key files and key variables still work; the secret stays out of started" {
	sed -n 2p "$T/host.key" >"$T/bare.key"
	chmod 600 "$T/bare.key"
	SIGN_ARGS="--signing-key $T/bare.key" start_daemon
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
	run "$CTL" verify --public-key "$T/host.pub" "$T/out"
	[ "$status" -eq 0 ]
	! grep -qF "$(sed -n 2p "$T/host.key")" "$T/out" "$T/err"
	CELLOS_HOST_TELEMETRY_SIGN_ED25519_KEY=$(sed -n 2p "$T/host.key") \
	    SIGN_ARGS="--sign-alg ed25519" start_daemon
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
	run "$CTL" verify --public-key "$T/host.pub" "$T/out"
	[ "$status" -eq 0 ]
}

@test "verify refuses a secret key where it wants a public one" {
	run "$CTL" verify --public-key "$T/host.key" /dev/null
	[ "$status" -eq 78 ]
	[[ "$output" == *"$T/host.key: this is an ed25519 secret key, not a public key"* ]]
	[[ "$output" != *"$(sed -n 2p "$T/host.key")"* ]]
	# a bare public key file is fine
	sed -n 2p "$T/host.pub" >"$T/bare.pub"
	SIGN_ARGS="--signing-key $T/host.key" start_daemon
	stop_daemon
	run "$CTL" verify --public-key "$T/bare.pub" "$T/out"
	[ "$status" -eq 0 ]
}
