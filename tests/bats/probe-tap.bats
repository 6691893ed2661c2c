#!/usr/bin/env bats
# A fake sysfs tree for --tap with --sysfs-root.
# Check that carrier, operstate, flags, mtu and the rx/tx counters are read,
# that an unreadable carrier (link down) is null, and that a missing
# interface is reported as a failure.

load helper

setup() {
	common_setup
	NET="$T/sys/class/net/tap-c1"
	mkdir -p "$NET/statistics"
	echo 1 >"$NET/carrier"; echo up >"$NET/operstate"
	echo 0x1003 >"$NET/flags"; echo 1500 >"$NET/mtu"
	for c in rx_bytes rx_packets rx_errors rx_dropped tx_bytes tx_packets tx_errors tx_dropped; do
		echo 7 >"$NET/statistics/$c"
	done
	echo 123456789012 >"$NET/statistics/rx_bytes"
}
teardown() { common_teardown; }

@test "tap link state and counters" {
	start_daemon --tap tap-c1 --sysfs-root "$T/sys"
	wait_for has_events .probe.v1.tap_link 1
	stop_daemon
	events .probe.v1.tap_link | jq -e '.data.probe_source == "host.tap_link" and
	    .data.inputs.interface == "tap-c1" and .data.output.carrier == 1 and
	    .data.output.operstate == "up" and .data.output.flags == "0x1003" and
	    .data.output.mtu == 1500 and .data.output.statistics.rx_bytes == 123456789012 and
	    .data.output.statistics.tx_dropped == 7 and .time == .data.host_received_at'
}

@test "link down: carrier null; missing interface: failure" {
	rm "$NET/carrier"; echo down >"$NET/operstate"
	start_daemon --tap tap-c1 --sysfs-root "$T/sys"
	wait_for has_events .probe.v1.tap_link 1
	stop_daemon
	events .probe.v1.tap_link | jq -e '.data.output.carrier == null and .data.output.operstate == "down"'
	start_daemon --tap tap-gone --sysfs-root "$T/sys"
	wait_for has_events .probe.v1.tap_link 1
	stop_daemon
	events .probe.v1.tap_link | jq -e '.data.output == null and (.data.error | test("tap-gone"))'
}
