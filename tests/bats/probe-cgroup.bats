#!/usr/bin/env bats
# A fake cgroup v2 directory read by --cgroup at a short --probe-interval.
# Check the parsed values (big ones as strings), that a missing file is null
# in the reading, that a probe failing and recovering is reported exactly
# once each way, and that readings are signed and attributed.

load helper

setup() {
	common_setup
	CG="$T/cg"
	mkdir "$CG"
	printf 'low 0\nhigh 3\nmax 1\noom 0\noom_kill 0\n' >"$CG/memory.events"
	printf 'usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\nnr_throttled 18446744073709551615\n' >"$CG/cpu.stat"
}
teardown() { common_teardown; }

@test "cgroup files are parsed into {file: {key: value}}" {
	"$CTL" keygen "$T/k" >/dev/null
	SIGN_ARGS="--signing-key $T/k.key" start_daemon --cgroup "$CG" --probe-interval 10s
	wait_for has_events .probe.v1.cgroup 1
	stop_daemon
	events .probe.v1.cgroup | jq -e --arg cg "$CG" '
	    .data.probe_source == "host.cgroup" and .data.cell_id == "cell-1" and
	    .data.output["memory.events"].high == 3 and
	    .data.output["cpu.stat"].usage_usec == 123456 and
	    .data.output["cpu.stat"].nr_throttled == "18446744073709551615" and
	    .data.output["pids.events"] == null and
	    .data.inputs.cgroup == $cg and (.data.host_received_at | test("Z$"))'
	run "$CTL" verify --public-key "$T/k.pub" "$T/out"
	[ "$status" -eq 0 ]
	events .stopped | jq -e '.data.probe_readings == 1'
}

@test "failing then working then failing: one report each way" {
	mv "$CG" "$T/cg.away"
	start_daemon --cgroup "$CG" --probe-interval 100ms
	sleep 0.5                       # five failing intervals
	mv "$T/cg.away" "$CG"
	wait_for has_events .probe.v1.cgroup 3
	mv "$CG" "$T/cg.away"
	sleep 0.5
	stop_daemon
	# one failure report, readings while it worked, one failure report
	events .probe.v1.cgroup | jq -r 'if .data.output == null then "fail" else "ok" end' |
	    uniq -c | awk '{print $2, ($2 == "fail" ? $1 : "n")}' | tr '\n' ' ' >"$T/shape"
	[ "$(cat "$T/shape")" = "fail 1 ok n fail 1 " ]
	events .probe.v1.cgroup | jq -s -e '[.[] | select(.data.output == null)][0].data.error | test("memory.events")'
	events .probe.v1.cgroup | jq -s -e '[.[] | select(.data.output != null)][0].data.inputs.recovered == true'
}
