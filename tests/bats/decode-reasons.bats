#!/usr/bin/env bats
# decode on hand-written hex frames (an independent encoding, byte by byte).
# Check that each malformed case prints exactly its rejection reason, that a
# frame over the limit stops decoding, and that EOF inside a frame is
# reported as truncated_frame.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

# body hex -> framed bytes on stdout
frame() {
	local body=$1 n
	n=$(( ${#body} / 2 ))
	printf '%02x%02x%02x%02x%s' $((n & 255)) $((n >> 8 & 255)) \
	    $((n >> 16 & 255)) $((n >> 24 & 255)) "$body" | xxd -r -p
}

# the five fields, v1.0, probe_source process.spawned
CV=6f636f6e74656e745f76657273696f6e190100
PS=6c70726f62655f736f757263656f70726f636573732e737061776e6564
PID=6967756573745f706964182a
COMM=6a67756573745f636f6d6d626c73
MONO=7267756573745f6d6f6e6f746f6e69635f6e7301

reason_of() {
	frame "$1" | "$CTL" decode | jq -r 'if .ok then "ok" else .reason end'
}

@test "a hand-encoded frame decodes" {
	run reason_of "a5${CV}${PS}${PID}${COMM}${MONO}"
	[ "$output" = ok ]
	frame "a5${CV}${PS}${PID}${COMM}${MONO}" | "$CTL" decode |
	    jq -e '.guest_pid == 42 and .guest_comm == "ls" and .guest_monotonic_ns == "1"'
}

@test "each malformed body gives its reason" {
	[ "$(reason_of "a4${CV}${PS}${PID}${COMM}")" = missing_field ]
	[ "$(reason_of "a5${PS}${CV}${PID}${COMM}${MONO}")" = content_version_not_first ]
	[ "$(reason_of "a1${CV%190100}190200")" = unsupported_version ]
	[ "$(reason_of "a5${CV}${PS}${PID}${COMM}${MONO}00")" = trailing_bytes ]
	[ "$(reason_of "a6${CV}${PS}${PID}${COMM}${MONO}${PID}")" = duplicate_key ]
	[ "$(reason_of "83010203")" = not_a_map ]
	[ "$(reason_of "bf${CV}ff")" = unsupported_cbor ]
	[ "$(reason_of "a1c1${CV}")" = unsupported_cbor ]
	[ "$(reason_of "a2${CV}6967756573745f706964fb3ff0000000000000")" = unsupported_cbor ]
	[ "$(reason_of "a2${CV}6967756573745f7069641b0000000100000000")" = integer_overflow ]
	[ "$(reason_of "a2${CV}6a67756573745f636f6d6d62ff00")" = invalid_text ]
	[ "$(reason_of "a2${CV}6c70726f62655f736f7572636563666f6f")" = unknown_probe_source ]
	[ "$(reason_of "b1${CV}")" = too_many_keys ]
	[ "$(reason_of "a5${CV}${PS}${PID}")" = malformed_cbor ]
	[ "$(reason_of "a2${CV}016161")" = wrong_type ]
}

@test "text of 64 bytes accepted, 65 rejected" {
	c64=$(printf 'a%.0s' $(seq 1 64) | xxd -p | tr -d '\n')
	c65=$(printf 'a%.0s' $(seq 1 65) | xxd -p | tr -d '\n')
	[ "$(reason_of "a5${CV}${PS}${PID}6a67756573745f636f6d6d7840${c64}${MONO}")" = ok ]
	[ "$(reason_of "a5${CV}${PS}${PID}6a67756573745f636f6d6d7841${c65}${MONO}")" = text_too_long ]
}

@test "empty frame, oversized frame and truncation" {
	run sh -c "printf '\\000\\000\\000\\000' | '$CTL' decode"
	[ "$status" -eq 1 ]
	echo "$output" | jq -e '.reason == "empty_frame"'
	run sh -c "printf '\\001\\020\\000\\000' | '$CTL' decode"
	[ "$status" -eq 1 ]
	echo "$output" | jq -e '.reason == "frame_too_large"'
	run sh -c "printf '\\010\\000\\000\\000\\241' | '$CTL' decode"
	[ "$status" -eq 1 ]
	echo "$output" | jq -e '.reason == "truncated_frame"'
}
