#!/usr/bin/env bats
# keygen into a temp dir, then pubkey on the result.
# Check that the key file is 0600, both files are typed (a first line saying
# what they are), the public key and key id agree between keygen and pubkey
# (of the .key or the .pub), keygen never overwrites, --pem gives a key
# OpenSSL reads, and pubkey refuses a key file readable by others (77), a
# missing one (66) and a directory (77).

load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "keygen writes a 0600 key and a matching public key" {
	run "$CTL" keygen "$T/k"
	[ "$status" -eq 0 ]
	kid=$output
	[[ "$kid" =~ ^ed25519:[0-9a-f]{16}$ ]]
	[ "$(stat -c %a "$T/k.key")" = 600 ]
	# typed files: the first line says what each is
	[ "$(head -n 1 "$T/k.key")" = "cellos-telemetry ed25519 secret key kid=$kid" ]
	[ "$(head -n 1 "$T/k.pub")" = "cellos-telemetry ed25519 public key kid=$kid" ]
	[ "$(wc -l <"$T/k.pub")" -eq 2 ]
	run "$CTL" pubkey "$T/k.key"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(sed -n 2p "$T/k.pub")" ]
	[ "${lines[1]}" = "$kid" ]
	# a verifier may hold only the .pub: pubkey reads it too
	run "$CTL" pubkey "$T/k.pub"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(sed -n 2p "$T/k.pub")" ]
	[ "${lines[1]}" = "$kid" ]
	# the key id is sha256 of the public key's 32 bytes, first 16 hex
	pub=$(sed -n 2p "$T/k.pub" | tr '_-' '/+'); pub="$pub="
	want=$(echo "$pub" | base64 -d | sha256sum | cut -c1-16)
	[ "$kid" = "ed25519:$want" ]
}

@test "keygen hmac-sha256 writes only a key" {
	run "$CTL" keygen --alg hmac-sha256 "$T/h"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^hmac-sha256:[0-9a-f]{16}$ ]]
	[ ! -e "$T/h.pub" ]
	kid=$output
	[ "$(head -n 1 "$T/h.key")" = "cellos-telemetry hmac-sha256 secret key kid=$kid" ]
	# a typed file says its algorithm: no --alg needed
	run "$CTL" pubkey "$T/h.key"
	[ "$status" -eq 0 ]
	[ "$output" = "$kid" ]
	# the key id is HMAC-SHA256(key, "cellos-telemetry key id"), never a
	# plain hash of the secret (computed here with Python's hmac module)
	want=$(sed -n 2p "$T/h.key" | python3 -c '
import base64, hashlib, hmac, sys
s = sys.stdin.read().strip()
k = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
print(hmac.new(k, b"cellos-telemetry key id", hashlib.sha256).hexdigest()[:16])')
	[ "$kid" = "hmac-sha256:$want" ]
}

@test "keygen never overwrites an existing key" {
	"$CTL" keygen "$T/k" >/dev/null
	before=$(cat "$T/k.key")
	run "$CTL" keygen "$T/k"
	[ "$status" -eq 73 ]
	[[ "$output" == *"already exists; refusing to overwrite"* ]]
	[ "$(cat "$T/k.key")" = "$before" ]
}

@test "keygen never leaves half a pair, nor a temporary file" {
	echo other >"$T/p.pub"
	run "$CTL" keygen "$T/p"
	[ "$status" -eq 73 ]
	[[ "$output" == *"$T/p.pub already exists"* ]]
	[ ! -e "$T/p.key" ]
	[ "$(cat "$T/p.pub")" = other ]
	echo secret >"$T/q.key"
	run "$CTL" keygen "$T/q"
	[ "$status" -eq 73 ]
	[[ "$output" == *"$T/q.key already exists"* ]]
	[ ! -e "$T/q.pub" ]
	[ "$(cat "$T/q.key")" = secret ]
	[ -z "$(ls "$T" | grep tmp-)" ]
	"$CTL" keygen "$T/r" >/dev/null
	[ "$(ls "$T" | grep '^r\.' | tr '\n' ' ')" = "r.key r.pub " ]
}

@test "pubkey refuses unsafe, missing and non-regular key files" {
	"$CTL" keygen "$T/k" >/dev/null
	chmod 644 "$T/k.key"
	run "$CTL" pubkey "$T/k.key"
	[ "$status" -eq 77 ]
	[[ "$output" == *"is mode 0644 (readable by group/others); a secret key must be private: run chmod 600"* ]]
	run "$CTL" pubkey "$T/none.key"
	[ "$status" -eq 66 ]
	mkdir "$T/d.key"
	run "$CTL" pubkey "$T/d.key"
	[ "$status" -eq 77 ]
	[[ "$output" == *"not a regular file"* ]]
}

@test "pubkey --pem is the SPKI form OpenSSL reads" {
	"$CTL" keygen "$T/k" >/dev/null
	run "$CTL" pubkey --pem "$T/k.pub"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "-----BEGIN PUBLIC KEY-----" ]
	[ "${lines[2]}" = "-----END PUBLIC KEY-----" ]
	"$CTL" pubkey --pem "$T/k.key" >"$T/k.pem"
	# openssl's own reading of it: the same 32 raw bytes as the .pub
	openssl pkey -pubin -in "$T/k.pem" -outform DER | tail -c 32 | xxd -p -c 64 >"$T/a"
	sed -n 2p "$T/k.pub" | tr '_-' '/+' | sed 's/$/=/' | base64 -d | xxd -p -c 64 >"$T/b"
	cmp "$T/a" "$T/b"
	"$CTL" keygen --alg hmac-sha256 "$T/h" >/dev/null
	run "$CTL" pubkey --pem "$T/h.key"
	[ "$status" -eq 64 ]
	[[ "$output" == *"HMAC key"* ]]
}
