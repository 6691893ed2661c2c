#!/usr/bin/env bats
# Runs last: every stream the suite's daemons wrote (collected by
# common_teardown when scripts/run-tests runs the suite) is validated
# line by line against schemas/ with python3-jsonschema (draft 2020-12).
# Check that every line matches the envelope schema and its type's data
# schema, and that the collection covers every event type.

load helper

@test "every line the suite produced matches schemas/" {
	[ -n "${CELLOS_STREAMS:-}" ] || skip "run through make check to collect streams"
	ls "$CELLOS_STREAMS"/*.jsonl >/dev/null
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/../tools/validate-stream" "$CELLOS_STREAMS"/*.jsonl
	echo "$output" | tail -n 20
	[ "$status" -eq 0 ]
	for t in guest agent_silenced agent_resumed started connection_opened \
	    connection_closed frames_rejected checkpoint seal receiver_failed \
	    stopped probe_cgroup probe_fc_metrics probe_tap_link probe_nftables; do
		grep -Eq "(: |, )$t [0-9]+" <<<"$output" || { echo "no $t line"; false; }
	done
}

@test "the schemas are valid draft 2020-12 and reject what they must" {
	printf '%s\n' '{"specversion":"1.0","id":"x","source":"urn:cellos:cell:c","type":"cell.observability.host.telemetry.seal","time":"2026-01-01T00:00:00.000000000Z","datacontenttype":"application/json","streamid":"0123456789abcdef0123456789abcdef","sequence":"00000000000000000001","data":{"cell_id":"c","run_id":"r","spec_signature_hash":null,"lines":1}}' >"$BATS_TEST_TMPDIR/bad.jsonl"
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/../tools/validate-stream" "$BATS_TEST_TMPDIR/bad.jsonl"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not match"* ]]
}
