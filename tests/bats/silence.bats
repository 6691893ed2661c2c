#!/usr/bin/env bats
# A guest that goes quiet, comes back, and goes quiet again.
# Check that agent_silenced fires exactly once per run and agent_resumed
# once after it, that heartbeats keep the window open without being
# emitted, and that SIGUSR1 pauses detection until SIGUSR2.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "silence fires exactly once and resume once" {
	start_daemon --silence-timeout 300ms
	emit_n 1
	wait_for has_events .agent_silenced 1
	emit_n 1
	wait_for has_events .agent_resumed 1
	sleep 0.8       # a second quiet spell: no second agent_silenced
	emit_n 1
	stop_daemon
	[ "$(count_events .agent_silenced)" -eq 1 ]
	[ "$(count_events .agent_resumed)" -eq 1 ]
	events .agent_silenced | jq -e '.data.silence_timeout_ms == 300 and
	    .data.silent_for_ms >= 300 and .data.frames_accepted == 1 and
	    (.data.last_frame_at | test("Z$"))'
	events .agent_resumed | jq -e '.data.silent_for_ms >= 300'
	# agent_resumed takes the time of the frame that ended the silence
	[ "$(events .agent_resumed | jq -r .time)" = "$(events .process.spawned | sed -n 2p | jq -r .time)" ]
	# order: silenced, then resumed, then the frame that ended the silence
	jq -r '.type' "$T/out" | grep -E 'agent_|spawned' | tr '\n' ' ' |
	    grep -q 'spawned cell.observability.guest.agent_silenced cell.observability.guest.agent_resumed cell.observability.guest.process.spawned'
}

@test "no frame at all: silenced with last_frame_at null" {
	start_daemon --silence-timeout 200ms
	wait_for has_events .agent_silenced 1
	stop_daemon
	events .agent_silenced | jq -e '.data.last_frame_at == null and .data.frames_accepted == 0'
}

@test "heartbeats keep the agent alive and are counted, not emitted" {
	start_daemon --silence-timeout 400ms
	"$CTL" emit --uds "$SOCK" --count 12 --rate 10 --probe-source agent.heartbeat 2>/dev/null
	stop_daemon
	[ "$(count_events .agent_silenced)" -eq 0 ]
	[ "$(count_events .agent.heartbeat)" -eq 0 ]
	events .stopped | jq -e '.data.heartbeats == 12 and .data.frames_accepted == 12'
}

@test "SIGUSR1 pauses detection, SIGUSR2 resumes with a fresh window" {
	start_daemon --silence-timeout 300ms
	kill -USR1 "$DPID"
	sleep 0.8
	[ "$(count_events .agent_silenced)" -eq 0 ]
	kill -USR2 "$DPID"
	wait_for has_events .agent_silenced 1
	kill -HUP "$DPID"       # unsigned: nothing to reload, logged
	sleep 0.1
	stop_daemon
	[ "$DSTATUS" -eq 0 ]
	grep -q 'msg="silence detection paused"' "$T/err"
	grep -q 'msg="SIGHUP: no key file to read again" reason=unsigned' "$T/err"
	events .agent_silenced | jq -e '.data.silent_for_ms < 800'
}

@test "--silence-timeout 0 turns detection off" {
	start_daemon --silence-timeout 0
	sleep 0.5
	stop_daemon
	[ "$(count_events .agent_silenced)" -eq 0 ]
}

@test "no silence while frames wait unread behind a stalled stdout" {
	start_daemon_stalled --silence-timeout 300ms --rate-limit 0
	"$CTL" emit --uds "$SOCK" --count 6000 --rate 3000 2>/dev/null &
	epid=$!
	sleep 1.5                       # the reader stalls
	resume_reading
	wait "$epid"
	stop_stalled
	[ "$(count_events .process.spawned)" -eq 6000 ]
	[ "$(count_events .agent_silenced)" -eq 0 ]
	# it really stalled for longer than the silence timeout
	events .stopped | jq -e '.data.stdout_blocked_ms > 300'
}
