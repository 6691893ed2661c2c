#!/usr/bin/env bats
# keygen into a temp dir, then pubkey on the result.
# Check that the key file is 0600, the public key and key id agree between
# keygen and pubkey, keygen never overwrites, and pubkey refuses a key file
# readable by others (77), a missing one (66) and a directory (77).

load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "keygen writes a 0600 key and a matching public key" {
	run "$CTL" keygen "$T/k"
	[ "$status" -eq 0 ]
	kid=$output
	[[ "$kid" =~ ^ed25519:[0-9a-f]{16}$ ]]
	[ "$(stat -c %a "$T/k.key")" = 600 ]
	run "$CTL" pubkey "$T/k.key"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(cat "$T/k.pub")" ]
	[ "${lines[1]}" = "$kid" ]
	# the key id is sha256 of the public key's 32 bytes, first 16 hex
	pub=$(tr '_-' '/+' <"$T/k.pub"); pub="$pub="
	want=$(echo "$pub" | base64 -d | sha256sum | cut -c1-16)
	[ "$kid" = "ed25519:$want" ]
}

@test "keygen hmac-sha256 writes only a key" {
	run "$CTL" keygen --alg hmac-sha256 "$T/h"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^hmac-sha256:[0-9a-f]{16}$ ]]
	[ ! -e "$T/h.pub" ]
	run "$CTL" pubkey --alg hmac-sha256 "$T/h.key"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^hmac-sha256: ]]
}

@test "keygen never overwrites an existing key" {
	"$CTL" keygen "$T/k" >/dev/null
	before=$(cat "$T/k.key")
	run "$CTL" keygen "$T/k"
	[ "$status" -eq 73 ]
	[[ "$output" == *"already exists; refusing to overwrite"* ]]
	[ "$(cat "$T/k.key")" = "$before" ]
}

@test "pubkey refuses unsafe, missing and non-regular key files" {
	"$CTL" keygen "$T/k" >/dev/null
	chmod 644 "$T/k.key"
	run "$CTL" pubkey "$T/k.key"
	[ "$status" -eq 77 ]
	[[ "$output" == *"is mode 0644 (readable by group/others); run chmod 600"* ]]
	run "$CTL" pubkey "$T/none.key"
	[ "$status" -eq 66 ]
	mkdir "$T/d.key"
	run "$CTL" pubkey "$T/d.key"
	[ "$status" -eq 77 ]
	[[ "$output" == *"not a regular file"* ]]
}
