#!/usr/bin/env bats
# 100 frames from the simulator through a daemon signing with Ed25519.
# Check that they come out in order with correct attribution and a
# contiguous sequence, that verify accepts the stream, and that openssl,
# an independent Ed25519 implementation, accepts every signature over the
# canonical bytes (the line without its "sig" member).

load helper

setup() {
	common_setup
	"$CTL" keygen "$T/k" >/dev/null
	SIGN_ARGS="--signing-key $T/k.key"
}
teardown() { common_teardown; }

@test "100 frames in order, attributed, contiguous, verified" {
	start_daemon --spec-signature-hash "sha256:$(printf '%064d' 7)"
	"$CTL" emit --uds "$SOCK" --count 100 --pid 77 --comm worker 2>/dev/null
	wait_for has_events .process.spawned 100
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
	[ "$(count_events .process.spawned)" -eq 100 ]
	# monotonic stamps from the guest arrive in the order sent
	events .process.spawned | jq -r '.data.guest_monotonic_ns' >"$T/mono"
	sort -n -c "$T/mono"
	events .process.spawned | jq -e --arg h "sha256:$(printf '%064d' 7)" '
	    .data.cell_id == "cell-1" and .data.run_id == "run-1" and
	    .data.spec_signature_hash == $h and .data.connection == 1 and
	    .data.guest_pid == 77 and .data.guest_comm == "worker" and
	    .source == "urn:cellos:cell:cell-1" and .sigalg == "ed25519" and
	    (.time == .data.host_received_at)' >/dev/null
	# sequence 1..N with no gap, ids match
	jq -r '.sequence' "$T/out" | awk '{ if ($1 + 0 != NR) exit 1 }'
	jq -e '.id == .streamid + "-" + (.sequence | tonumber | tostring)' "$T/out" >/dev/null
	run "$CTL" verify --public-key "$T/k.pub" "$T/out"
	[ "$status" -eq 0 ]
	[[ "$output" == *"verify: OK: $(wc -l <"$T/out" | tr -d ' ') lines in 1 stream(s)"* ]]
}

@test "openssl verifies every signature over the canonical bytes" {
	start_daemon
	emit_n 100
	wait_for has_events .process.spawned 100
	stop_daemon
	# SubjectPublicKeyInfo for Ed25519 = fixed prefix + the 32 raw bytes
	pub=$(sed -n 2p "$T/k.pub" | tr '_-' '/+')
	{ echo 302a300506032b6570032100 | xxd -r -p; echo "$pub=" | base64 -d; } >"$T/pub.der"
	openssl pkey -pubin -inform DER -in "$T/pub.der" -out "$T/pub.pem"
	n=0
	while IFS= read -r line; do
		printf '%s' "$line" | sed 's/"sig":"[^"]*",//' >"$T/msg"
		sig=$(printf '%s' "$line" | jq -r .sig | tr '_-' '/+')
		while [ $(( ${#sig} % 4 )) -ne 0 ]; do sig="$sig="; done
		echo "$sig" | base64 -d >"$T/sig"
		openssl pkeyutl -verify -pubin -inkey "$T/pub.pem" -rawin \
		    -in "$T/msg" -sigfile "$T/sig" >/dev/null
		n=$((n + 1))
	done <"$T/out"
	[ "$n" -eq "$(wc -l <"$T/out")" ] && [ "$n" -ge 103 ]
	# and a forged line fails under openssl as well
	head -n 2 "$T/out" | tail -n 1 | sed 's/"sig":"[^"]*",//; s/"guest_pid":1/"guest_pid":2/' >"$T/msg"
	run openssl pkeyutl -verify -pubin -inkey "$T/pub.pem" -rawin -in "$T/msg" -sigfile "$T/sig"
	[ "$status" -ne 0 ]
}

@test "hmac-sha256 streams verify with the key" {
	"$CTL" keygen --alg hmac-sha256 "$T/h" >/dev/null
	SIGN_ARGS="--sign-alg hmac-sha256 --signing-key $T/h.key" start_daemon
	emit_n 3
	wait_for has_events .process.spawned 3
	stop_daemon
	jq -e '.sigalg == "hmac-sha256" and (.sigkid | startswith("hmac-sha256:"))' "$T/out" >/dev/null
	run "$CTL" verify --hmac-key "$T/h.key" "$T/out"
	[ "$status" -eq 0 ]
	run "$CTL" verify --public-key "$T/k.pub" "$T/out"
	[ "$status" -eq 1 ]
}

@test "the key can come from the environment and leaves it" {
	key=$(cat "$T/k.key")
	CELLOS_HOST_TELEMETRY_SIGN_ED25519_KEY=$key SIGN_ARGS=" " start_daemon
	! tr '\0' '\n' </proc/$DPID/environ | grep -q CELLOS_HOST_TELEMETRY_SIGN_ED25519_KEY=
	! grep -qF "$key" /proc/$DPID/environ
	stop_daemon
	run "$CTL" verify --public-key "$T/k.pub" "$T/out"
	[ "$status" -eq 0 ]
}
