#!/usr/bin/env bats
# A guest floods past --rate-limit.
# Check that drops are counted as rate_limited, reported in summaries, and
# that accepted + rate-limited adds up to what was sent, with one line per
# accepted frame; heartbeats count against the same budget.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "rate limit drops are counted and add up" {
	start_daemon --rate-limit 20 --rate-burst 50
	emit_n 500
	sleep 0.2
	stop_daemon
	acc=$(events .stopped | jq .data.frames_accepted)
	lim=$(events .stopped | jq .data.rejected_by_reason.rate_limited)
	[ $((acc + lim)) -eq 500 ]
	[ "$acc" -ge 50 ] && [ "$acc" -lt 100 ]
	[ "$(count_events .process.spawned)" -eq "$acc" ]
	[ "$(events .frames_rejected | jq -s 'map(.data.counts.rate_limited // 0) | add')" -eq "$lim" ]
	# at most one summary per second (plus the first one at once)
	[ "$(count_events .frames_rejected)" -le 3 ]
}

@test "heartbeats count against --rate-limit" {
	start_daemon --rate-limit 20 --rate-burst 50
	emit_n 300 --probe-source agent.heartbeat
	sleep 0.2
	stop_daemon
	hb=$(events .stopped | jq .data.heartbeats)
	lim=$(events .stopped | jq .data.rejected_by_reason.rate_limited)
	[ $((hb + lim)) -eq 300 ]
	[ "$hb" -ge 50 ] && [ "$hb" -lt 100 ]
	[ "$(count_events .agent.heartbeat)" -eq 0 ]
}

@test "connection events are limited and the rest counted" {
	start_daemon
	for i in $(seq 1 40); do emit_n 0; done
	stop_daemon
	opened=$(count_events .connection_opened)
	closed=$(count_events .connection_closed)
	supp=$(events .stopped | jq .data.connection_events_suppressed)
	[ $((opened + closed + supp)) -eq 80 ]
	[ "$supp" -gt 0 ]
	[ "$(events .frames_rejected | jq -s 'map(.data.connection_events_suppressed) | add')" -eq "$supp" ]
}
