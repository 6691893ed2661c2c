#!/usr/bin/env bats
# A signed stream from the daemon, then edited the ways an attacker would.
# Check that verify rejects a modified, dropped, reordered, duplicated,
# truncated or foreign-key line, naming the line and the reason, and that
# --print passes only verified lines through unchanged.

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
	[ "$status" -eq 1 ]
	[[ "$output" == *"verify: line 4: sequence 5 follows 3: 1 line(s) missing"* ]]
}

@test "reordered and duplicated lines are caught" {
	awk 'NR == 3 { h = $0; next } NR == 4 { print; print h; next } { print }' \
	    "$T/out" >"$T/bad"
	run "$CTL" verify --public-key "$T/k.pub" "$T/bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *"line 3: sequence 4 follows 2"* ]]
	sed '3p' "$T/out" >"$T/bad"
	run "$CTL" verify --public-key "$T/k.pub" "$T/bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *"line 4: sequence 3 repeats"* ]]
}

@test "a truncated stream (no stopped) fails" {
	head -n $((N - 1)) "$T/out" >"$T/bad"
	run "$CTL" verify --public-key "$T/k.pub" "$T/bad"
	[ "$status" -eq 1 ]
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
