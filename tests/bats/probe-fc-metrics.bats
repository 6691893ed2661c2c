#!/usr/bin/env bats
# Firecracker metrics through a FIFO (written by the test) and a file.
# Check one event per complete line even when a line is split across
# writes, floats and big integers as strings, a non-JSON line reported and
# survived, a writer closing and reopening the FIFO, and a guest flood
# during probe activity losing no frame.

load helper

setup() { common_setup; mkfifo "$T/metrics.fifo"; }
teardown() { common_teardown; }

@test "FIFO lines, split writes, a bad line, and a reopened writer" {
	start_daemon --fc-metrics "$T/metrics.fifo"
	exec 5>"$T/metrics.fifo"
	printf '{"utc_timestamp_ms":1700000000000,"api_server":{"process_startup_time_us":12' >&5
	sleep 0.2
	printf '3},"load":0.5}\n' >&5
	printf 'this is not json\n{"big":18446744073709551615}\n' >&5
	exec 5>&-
	# Firecracker restarting its writer is normal
	printf '{"seq":2}\n' >"$T/metrics.fifo"
	wait_for has_events .probe.v1.fc_metrics 4
	stop_daemon
	events .probe.v1.fc_metrics | head -n 1 | jq -e '.data.output.api_server.process_startup_time_us == 123 and
	    .data.output.load == "0.5" and .data.output.utc_timestamp_ms == 1700000000000 and
	    .data.probe_source == "host.fc_metrics"'
	events .probe.v1.fc_metrics | sed -n 2p | jq -e '.data.output == null and (.data.error | test("not a JSON object"))'
	events .probe.v1.fc_metrics | tail -n 1 | jq -e '.data.output.seq == 2'
}

@test "a regular metrics file is tailed" {
	echo '{"a":1}' >"$T/metrics.json"
	start_daemon --fc-metrics "$T/metrics.json" --probe-interval 100ms
	wait_for has_events .probe.v1.fc_metrics 1
	echo '{"a":2}' >>"$T/metrics.json"
	wait_for has_events .probe.v1.fc_metrics 2
	stop_daemon
	[ "$(events .probe.v1.fc_metrics | jq -c .data.output | tr '\n' ' ')" = '{"a":1} {"a":2} ' ]
}

@test "a guest flood during probe activity loses no frame" {
	start_daemon --fc-metrics "$T/metrics.fifo" --rate-limit 0
	exec 5>"$T/metrics.fifo"
	"$CTL" emit --uds "$SOCK" --count 5000 2>/dev/null &
	epid=$!
	for i in $(seq 1 50); do printf '{"i":%d}\n' "$i" >&5; done
	wait "$epid"
	exec 5>&-
	# readings are rate limited (burst 20): each is written or counted
	wait_for has_events .probe.v1.fc_metrics 20
	sleep 0.5
	stop_daemon
	[ "$(count_events .process.spawned)" -eq 5000 ]
	events .stopped | jq -e '.data.frames_accepted == 5000 and
	    .data.probe_readings + .data.probe_readings_suppressed == 50'
	[ "$(events .stopped | jq .data.probe_readings)" -eq "$(count_events .probe.v1.fc_metrics)" ]
}

@test "a flood of metrics lines is rate limited, the rest counted" {
	start_daemon --fc-metrics "$T/metrics.fifo"
	python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    for i in range(1000):
        f.write("{\"i\":%d}\n" % i)' "$T/metrics.fifo"
	sleep 0.5
	stop_daemon
	n=$(count_events .probe.v1.fc_metrics)
	# burst 20, then 10 a second: the run lasts well under 10 s
	[ "$n" -ge 20 ] && [ "$n" -le 120 ]
	events .stopped | jq -e --argjson n "$n" '.data.probe_readings == $n and
	    .data.probe_readings + .data.probe_readings_suppressed == 1000'
	# summarized as rejections are, and the summaries add up
	[ "$(events .frames_rejected | jq -s 'map(.data.probe_readings_suppressed) | add')" -eq $((1000 - n)) ]
}

@test "a reading too large for one line is reported, not written" {
	start_daemon --fc-metrics "$T/metrics.fifo"
	python3 -c '
import json, sys
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"k%d" % i: i for i in range(4000)}) + "\n")
    f.write("{\"small\":1}\n")' "$T/metrics.fifo"
	wait_for has_events .probe.v1.fc_metrics 2
	stop_daemon
	events .probe.v1.fc_metrics | head -n 1 | jq -e '.data.output == null and
	    (.data.error | test("line limit"))'
	events .probe.v1.fc_metrics | tail -n 1 | jq -e '.data.output.small == 1'
	# no line anywhere near journald's 48 KiB split
	[ "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$T/out")" -le 32768 ]
}

@test "u64 counters past 2^63-1 are kept exactly, as decimal strings" {
	start_daemon --fc-metrics "$T/metrics.fifo"
	printf '{"net":{"rx_bytes":18446744073709551615,"tx":9007199254740993,"ok":7}}\n' >"$T/metrics.fifo"
	wait_for has_events .probe.v1.fc_metrics 1
	stop_daemon
	events .probe.v1.fc_metrics | jq -e '.data.output.net ==
	    {"rx_bytes": "18446744073709551615", "tx": "9007199254740993", "ok": 7}'
}
