#!/usr/bin/env bats
# emit sends frames to a plain Unix-socket sink; decode reads the bytes.
# Check that every field round-trips, that --jsonl frames reach decode as
# written, and that --count sends that many frames.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

sink() {
	coproc SINK { "$BATS_TEST_DIRNAME/../tools/uds-sink" "$T/s.sock" "$T/bytes"; }
	read -r -t 5 ready <&"${SINK[0]}"
	[ "$ready" = ready ]
}

@test "emit -> socket -> decode round-trips every field" {
	sink
	"$CTL" emit --uds "$T/s.sock" --count 3 --probe-source capability.denied \
	    --pid 4294967295 --comm 'nginx: worker' --content-version 511
	wait "$SINK_PID" || true
	run "$CTL" decode <"$T/bytes"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	echo "${lines[2]}" | jq -e '.frame == 3 and .ok == true and
	    .probe_source == "capability.denied" and .guest_pid == 4294967295 and
	    .guest_comm == "nginx: worker" and .content_version == 511 and
	    (.guest_monotonic_ns | test("^[0-9]+$"))'
}

@test "emit --jsonl sends each object as one frame" {
	sink
	printf '%s\n' \
	  '{"content_version":256,"probe_source":"fs.inotify_fired","guest_pid":9,"guest_comm":"","guest_monotonic_ns":9223372036854775807}' \
	  '{"content_version":256,"probe_source":"fs.inotify_fired","guest_pid":9,"guest_comm":"x","guest_monotonic_ns":1,"extra":[1,{"a":null}]}' \
	  '{"probe_source":"fs.inotify_fired"}' |
	    "$CTL" emit --uds "$T/s.sock" --jsonl
	wait "$SINK_PID" || true
	run "$CTL" decode <"$T/bytes"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 3 ]
	echo "${lines[0]}" | jq -e '.ok and .guest_monotonic_ns == "9223372036854775807"'
	echo "${lines[1]}" | jq -e '.ok and .guest_comm == "x"'
	echo "${lines[2]}" | jq -e '.ok == false and .reason == "content_version_not_first"'
}
