#!/usr/bin/env bats
# Runs last: every stream the suite's daemons wrote (collected by
# common_teardown when scripts/run-tests runs the suite) is validated
# line by line against schemas/ by two independent validators:
# python3-jsonschema (draft 2020-12, date-time format checked) and ajv 8
# (npm, with ajv-formats). Check that every line matches the envelope
# schema, which picks its data schema by its type, that the collection
# covers every event type, and that both validators reject lines the
# daemon never writes: a signature missing or present where the mode says
# otherwise, or of the wrong length, a trailing newline in a value, a u64
# string with a leading zero, an impossible date, an unknown rejection
# reason, a null peer, the data of another type.

load helper

AJV="$BATS_TEST_DIRNAME/../tools/validate-stream-ajv"
export NODE_PATH="${NODE_PATH:-$(npm root -g 2>/dev/null)}"

@test "every line the suite produced matches schemas/ (python3-jsonschema and ajv)" {
	[ -n "${CELLOS_STREAMS:-}" ] || skip "run through make check to collect streams"
	ls "$CELLOS_STREAMS"/*.jsonl >/dev/null
	run node "$AJV" "$CELLOS_STREAMS"/*.jsonl
	echo "$output" | tail -n 20
	[ "$status" -eq 0 ]
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/../tools/validate-stream" "$CELLOS_STREAMS"/*.jsonl
	echo "$output" | tail -n 20
	[ "$status" -eq 0 ]
	for t in guest agent_silenced agent_resumed started connection_opened \
	    connection_closed frames_rejected checkpoint seal receiver_failed \
	    stopped key_rotated probe_cgroup probe_fc_metrics probe_tap_link \
	    probe_nftables; do
		grep -Eq "(: |, )$t [0-9]+" <<<"$output" || { echo "no $t line"; false; }
	done
}

@test "the schemas are valid draft 2020-12 and reject what they must" {
	printf '%s\n' '{"specversion":"1.0","id":"x","source":"urn:cellos:cell:c","type":"cell.observability.host.telemetry.seal","time":"2026-01-01T00:00:00.000000000Z","datacontenttype":"application/json","streamid":"0123456789abcdef0123456789abcdef","sequence":"00000000000000000001","data":{"cell_id":"c","run_id":"r","spec_signature_hash":null,"lines":1}}' >"$BATS_TEST_TMPDIR/bad.jsonl"
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/../tools/validate-stream" "$BATS_TEST_TMPDIR/bad.jsonl"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not match"* ]]
}

# both validators: accept the good file, reject each bad line on its own
both_reject() { # GOOD BAD...
	run node "$AJV" "$1"
	[ "$status" -eq 0 ] || { echo "ajv: $output"; false; }
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/../tools/validate-stream" "$1"
	[ "$status" -eq 0 ] || { echo "jsonschema: $output"; false; }
	shift
	local f
	for f in "$@"; do
		[ -s "$f" ] || { echo "$f is empty: no line to mutate"; false; }
		run node "$AJV" "$f"
		[ "$status" -eq 1 ] || { echo "ajv accepted $f: $(cat "$f")"; false; }
		run /usr/bin/python3 "$BATS_TEST_DIRNAME/../tools/validate-stream" "$f"
		[ "$status" -eq 1 ] || { echo "jsonschema accepted $f: $(cat "$f")"; false; }
	done
}

mutate() { # SRC TYPE_SUFFIX JQ OUT: the first line of that type, changed
	jq -c --arg t "$2" 'select(.type | endswith($t))' "$1" | head -n 1 |
	    jq -c "$3" >"$4"
}

@test "both validators reject what the daemon never writes" {
	common_setup
	"$CTL" keygen "$T/k" >/dev/null
	for mode in line chain; do
		SIGN_ARGS="--signing-key $T/k.key --sign-mode $mode" start_daemon
		emit_n 2 --linger 300ms
		wait_for has_events .process.spawned 2
		stop_daemon
		mv "$T/out" "$T/$mode.jsonl"
	done
	SIGN_ARGS="--sign-alg off" start_daemon
	stop_daemon
	mv "$T/out" "$T/off.jsonl"
	L=$T/line.jsonl C=$T/chain.jsonl O=$T/off.jsonl
	sig86=$(printf 'A%.0s' $(seq 1 86))
	mutate "$L" .process.spawned 'del(.sig)' "$T/b1"
	mutate "$C" .process.spawned --arg "$sig86" "$T/b2" 2>/dev/null ||
	    mutate "$C" .process.spawned ".sig = \"$sig86\"" "$T/b2"
	mutate "$C" .stopped 'del(.sig)' "$T/b3"
	mutate "$L" .process.spawned '.sequence += "\n"' "$T/b4"
	mutate "$L" .stopped '.data.frames_accepted = "0012345678901234567"' "$T/b5"
	mutate "$L" .process.spawned '.time = "2026-13-45T00:00:00.000000000Z"' "$T/b6"
	mutate "$L" .stopped '.data.rejected_by_reason.bogus = 1' "$T/b7"
	mutate "$L" .connection_opened '.data.peer_pid = null' "$T/b8"
	mutate "$O" .started ".sig = \"$sig86\" | .sigkid = \"k\"" "$T/b9"
	mutate "$L" .process.spawned '.sig = .sig[0:43]' "$T/b10"
	mutate "$L" .process.spawned '.data = {"cell_id":"c","run_id":"r","spec_signature_hash":null,"lines":1}' "$T/b11"
	mutate "$C" .stopped '.sig = (.sig | tostring) + "\n"' "$T/b12"
	for f in "$L" "$C" "$O"; do
		both_reject "$f" "$T"/b1 "$T"/b2 "$T"/b3 "$T"/b4 "$T"/b5 "$T"/b6 \
		    "$T"/b7 "$T"/b8 "$T"/b9 "$T"/b10 "$T"/b11 "$T"/b12
	done
	common_teardown
}
