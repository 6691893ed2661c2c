#!/usr/bin/env bats
# A signed stream from the daemon, then edited the ways an attacker would.
# Check that verify rejects a modified or foreign-key line (exit 1),
# reports a dropped line or a truncated stream as incomplete (exit 2),
# naming the line and the reason, accepts lines stored out of order and
# redelivered copies (SPEC section 15: chunks arrive in any order, at
# least once) but not another line with the same sequence, and that
# --print passes only verified lines through, in order, once.

load helper

setup() {
	common_setup
	"$CTL" keygen "$T/k" >/dev/null
	SIGN_ARGS="--signing-key $T/k.key" start_daemon
	emit_n 4
	wait_for has_events .process.spawned 4
	stop_daemon
	N=$(wc -l <"$T/out" | tr -d ' ')
}
teardown() { common_teardown; }

@test "the untouched stream verifies and --print passes it through" {
	run "$CTL" verify --public-key "$T/k.pub" --print "$T/out"
	[ "$status" -eq 0 ]
	"$CTL" verify --public-key "$T/k.pub" --print <"$T/out" 2>/dev/null | cmp - "$T/out"
}

@test "a modified line is named" {
	sed '3s/"guest_pid":1/"guest_pid":2/' "$T/out" >"$T/bad"
	run "$CTL" verify --public-key "$T/k.pub" "$T/bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *"verify: line 3: bad signature"* ]]
}

@test "a dropped line is a gap" {
	sed '4d' "$T/out" >"$T/bad"
	run "$CTL" verify --public-key "$T/k.pub" "$T/bad"
	[ "$status" -eq 2 ]
	[[ "$output" == *"verify: line 4: sequence 5 follows 3: 1 line(s) missing"* ]]
}

@test "reordered and duplicated lines verify; equivocation is caught" {
	awk 'NR == 3 { h = $0; next } NR == 4 { print; print h; next } { print }' \
	    "$T/out" >"$T/moved"
	run "$CTL" verify --public-key "$T/k.pub" --print "$T/moved"
	[ "$status" -eq 0 ]
	# printed in sequence order, each once
	"$CTL" verify --public-key "$T/k.pub" --print "$T/moved" 2>/dev/null | cmp - "$T/out"
	sed '3p' "$T/out" >"$T/dup"
	run "$CTL" verify --public-key "$T/k.pub" "$T/dup"
	[ "$status" -eq 0 ]
	[[ "$output" == *"OK: $N lines in 1 stream(s), 1 duplicate(s)"* ]]
	"$CTL" verify --public-key "$T/k.pub" --print "$T/dup" 2>/dev/null | cmp - "$T/out"
	# the same sequence with other bytes: equivocation, a failure
	{ cat "$T/out"; sed -n '3s/"guest_pid":1/"guest_pid":2/p' "$T/out"; } >"$T/eq"
	run "$CTL" verify --public-key "$T/k.pub" "$T/eq"
	[ "$status" -eq 1 ]
	[[ "$output" == *"line $((N + 1)): sequence 3 of stream "*" differs from line 3: equivocation"* ]]
}

@test "a truncated stream (no stopped) is incomplete" {
	head -n $((N - 1)) "$T/out" >"$T/bad"
	run "$CTL" verify --public-key "$T/k.pub" "$T/bad"
	[ "$status" -eq 2 ]
	[[ "$output" == *"without a stopped line (truncated)"* ]]
}

@test "a line signed by another key is refused" {
	"$CTL" keygen "$T/other" >/dev/null
	run "$CTL" verify --public-key "$T/other.pub" "$T/out"
	[ "$status" -eq 1 ]
	[[ "$output" == *"verify: line 1: unknown key id ed25519:"* ]]
	# --keys-json maps a key id to a public key
	kid=$(head -n 1 "$T/out" | jq -r .sigkid)
	jq -n --arg k "$kid" --arg p "$(sed -n 2p "$T/other.pub")" '{($k): $p}' >"$T/keys.json"
	run "$CTL" verify --keys-json "$T/keys.json" "$T/out"
	[ "$status" -eq 1 ]
	[[ "$output" == *"verify: line 1: bad signature"* ]]
	jq -n --arg k "$kid" --arg p "$(sed -n 2p "$T/k.pub")" '{($k): $p}' >"$T/keys.json"
	run "$CTL" verify --keys-json "$T/keys.json" "$T/out"
	[ "$status" -eq 0 ]
}
