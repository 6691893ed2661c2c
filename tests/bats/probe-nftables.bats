#!/usr/bin/env bats
# --nft-table with --nft-bin pointing at a fake nft that prints recorded
# `nft -j list table` output, or hangs, or fails.
# Check that rules with counters become rows, that a hanging nft is killed
# at the timeout without stalling guest frames, and that failures report.

load helper

setup() {
	common_setup
	export FAKE_NFT_OUTPUT="$BATS_TEST_DIRNAME/../fixtures/nft-list-table.json"
	FAKE="$BATS_TEST_DIRNAME/../fixtures/fake-nft"
}
teardown() { common_teardown; }

@test "rules with counters become rows" {
	start_daemon --nft-table cell_c1 --nft-bin "$FAKE"
	wait_for has_events .probe.v1.nftables 1
	stop_daemon
	events .probe.v1.nftables | jq -e '.data.probe_source == "host.nftables" and
	    .data.inputs.table == "cell_c1" and (.data.output | length) == 2 and
	    .data.output[0] == {"family":"inet","table":"cell_c1","chain":"egress",
	                        "handle":4,"packets":1234,"bytes":98765} and
	    .data.output[1].packets == "9007199254740993"'
}

@test "a slow nft is killed at the timeout; guest frames keep flowing" {
	FAKE_NFT_SLEEP=30 start_daemon --nft-table cell_c1 --nft-bin "$FAKE" --rate-limit 0
	for i in 1 2 3 4 5; do emit_n 200; sleep 0.3; done
	wait_for has_events .probe.v1.nftables 1
	# guest frames sent while nft hung were all emitted
	[ "$(count_events .process.spawned)" -eq 1000 ]
	stop_daemon
	events .probe.v1.nftables | jq -e '.data.output == null and (.data.error | test("timed out"))'
	# the frames came out while nft was still running, not after the kill
	first_probe=$(jq -r 'select(.type | endswith("nftables")) | .sequence' "$T/out" | head -n 1)
	last_frame=$(jq -r 'select(.type | endswith("spawned")) | .sequence' "$T/out" | head -n 600 | tail -n 1)
	[ "$last_frame" \< "$first_probe" ]
	! pgrep -f "fake-nft -j list table inet cell_c1"
}

@test "nft failing is reported once, missing nft too" {
	touch "$T/fail"
	FAKE_NFT_FAIL="$T/fail" start_daemon --nft-table cell_c1 --nft-bin "$FAKE" --probe-interval 100ms
	sleep 0.6
	stop_daemon
	[ "$(count_events .probe.v1.nftables)" -eq 1 ]
	events .probe.v1.nftables | jq -e '.data.error | test("exited with status 1")'
	start_daemon --nft-table cell_c1 --nft-bin "$T/no-such-nft"
	wait_for has_events .probe.v1.nftables 1
	stop_daemon
	events .probe.v1.nftables | jq -e '.data.output == null'
}
