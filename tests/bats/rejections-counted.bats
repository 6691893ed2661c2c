#!/usr/bin/env bats
# One connection sends every kind of bad body between good frames, then a
# second connection breaks framing.
# Check that each body error is counted under its reason and summarized,
# that the connection survives body errors (its later good frames are
# accepted), that a framing error closes only that connection, and that
# the summaries add up to the counters in stopped.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

good='{"content_version":256,"probe_source":"process.spawned","guest_pid":1,"guest_comm":"a","guest_monotonic_ns":1}'

@test "body errors are counted by reason and the connection survives" {
	start_daemon
	{
		echo "$good"
		echo '{"probe_source":"process.spawned","content_version":256}'
		echo '{"content_version":512}'
		echo '{"content_version":256,"probe_source":"x.y","guest_pid":1,"guest_comm":"a","guest_monotonic_ns":1}'
		echo '{"content_version":256,"probe_source":"process.spawned","guest_pid":"1","guest_comm":"a","guest_monotonic_ns":1}'
		echo '{"content_version":256,"probe_source":"process.spawned","guest_pid":4294967296,"guest_comm":"a","guest_monotonic_ns":1}'
		echo '{"content_version":256,"probe_source":"process.spawned","guest_pid":1,"guest_comm":"a","guest_monotonic_ns":1.5}'
		echo '{"content_version":256,"guest_pid":1}'
		echo '[1,2]'
		echo "$good"
	} | "$CTL" emit --uds "$SOCK" --jsonl 2>/dev/null
	wait_for has_events .process.spawned 2
	stop_daemon
	# both good frames on connection 1: it was never closed in between
	[ "$(events .process.spawned | jq -r .data.connection | sort -u)" = 1 ]
	[ "$(count_events .connection_opened)" -eq 1 ]
	events .stopped | jq -e '.data.frames_rejected == 8 and .data.frames_accepted == 2 and
	    .data.rejected_by_reason.content_version_not_first == 1 and
	    .data.rejected_by_reason.unsupported_version == 1 and
	    .data.rejected_by_reason.unknown_probe_source == 1 and
	    .data.rejected_by_reason.wrong_type == 1 and
	    .data.rejected_by_reason.integer_overflow == 1 and
	    .data.rejected_by_reason.unsupported_cbor == 1 and
	    .data.rejected_by_reason.missing_field == 1 and
	    .data.rejected_by_reason.not_a_map == 1'
	# summaries: the first at once, and together they add up
	[ "$(events .frames_rejected | jq -s 'map(.data.frames_rejected) | add')" -eq 8 ]
	events .frames_rejected | head -n 1 | jq -e '.data.example.reason == "content_version_not_first" and
	    .data.example.connection == 1 and (.data.example.detail | length > 0)'
}

@test "a framing error closes only that connection" {
	start_daemon
	coproc AGENT { "$CTL" emit --uds "$SOCK" --count 1 --linger 1s 2>/dev/null; }
	wait_for has_events .process.spawned 1
	# declared length 4097 > 4096: framing is lost, that connection closes
	echo "01100000" | "$CTL" emit --uds "$SOCK" --hex --linger 200ms 2>/dev/null
	wait_for has_events .connection_closed 1
	emit_n 1
	wait_for has_events .process.spawned 2
	stop_daemon
	events .connection_closed | jq -s -e 'map(select(.data.connection == 2))[0].data.reason == "framing_error"'
	events .connection_closed | jq -s -e 'map(select(.data.connection == 1))[0].data.reason != "framing_error"'
	events .stopped | jq -e '.data.rejected_by_reason.frame_too_large == 1'
}

@test "an empty frame is a body error; EOF inside a frame is truncation" {
	start_daemon
	echo "00000000" | "$CTL" emit --uds "$SOCK" --hex 2>/dev/null
	echo "10000000a1" | "$CTL" emit --uds "$SOCK" --hex 2>/dev/null
	wait_for has_events .connection_closed 2
	stop_daemon
	events .stopped | jq -e '.data.rejected_by_reason.empty_frame == 1 and
	    .data.rejected_by_reason.truncated_frame == 1 and .data.frames_rejected == 2'
	events .connection_closed | jq -s -e 'map(.data.reason) == ["eof", "framing_error"]'
}

@test "verify checks that summaries add up to stopped" {
	"$CTL" keygen "$T/k" >/dev/null
	SIGN_ARGS="--signing-key $T/k.key" start_daemon
	echo '[1]' | "$CTL" emit --uds "$SOCK" --jsonl 2>/dev/null
	emit_n 2
	wait_for has_events .process.spawned 2
	stop_daemon
	run "$CTL" verify --public-key "$T/k.pub" "$T/out"
	[ "$status" -eq 0 ]
}
