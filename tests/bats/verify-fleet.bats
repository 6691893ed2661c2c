#!/usr/bin/env bats
# Four real daemon streams (Ed25519 and HMAC, line and chain mode, two
# cells, two runs), turned by tests/tools/fleet-sim into what a fleet
# holds: chunks shuffled over several files, redelivered chunks, lost
# ranges, an altered line, a spliced stream of another run, streams still
# running, a middle part only.
# Check that verify's exit code and its JSON report say, value by value,
# what the simulator knows to be true (verdict, first and last sequence,
# missing and unproven ranges, sealed-to, stopped, duplicates, bad and
# verified counts), for several seeds, and that every report matches
# schemas/verify-report.json.

load helper

SIM="$BATS_TEST_DIRNAME/../tools/fleet-sim"

setup_file() {
	local d=$BATS_FILE_TMPDIR n=0 args
	"$CTL" keygen "$d/k" >/dev/null
	"$CTL" keygen --alg hmac-sha256 "$d/h" >/dev/null
	for args in "cell-1 run-1 --signing-key $d/k.key" \
	    "cell-1 run-2 --signing-key $d/k.key --sign-mode chain --seal-every 5" \
	    "cell-2 run-1 --sign-alg hmac-sha256 --signing-key $d/h.key --sign-mode chain --seal-every 4" \
	    "cell-2 run-2 --sign-alg hmac-sha256 --signing-key $d/h.key"; do
		n=$((n + 1))
		set -- $args
		mkfifo "$d/ready$n"
		"$DAEMON" --cell-id "$1" --run-id "$2" --uds-base "$d/v$n" \
		    "${@:3}" --seal-interval 10s --ready-fd 3 >"$d/s$n.jsonl" \
		    2>/dev/null 3>"$d/ready$n" &
		local pid=$!
		read -r -t 10 _ <"$d/ready$n"
		"$CTL" emit --uds "$d/v${n}_9001" --count 30 2>/dev/null
		sleep 0.2
		kill -TERM "$pid"
		wait "$pid"
	done
}

setup() { common_setup; }
teardown() { common_teardown; }

# fleet CASE SEED: make the case, verify it, check the report against the
# truth and the schema.
fleet() {
	local d=$BATS_FILE_TMPDIR flags
	flags=$("$SIM" make --case "$1" --seed "$2" --out "$T/$1-$2" "$d"/s[1-4].jsonl)
	# shellcheck disable=SC2086
	run "$CTL" verify --public-key "$d/k.pub" --hmac-key "$d/h.key" $flags \
	    --report "$T/r.json" "$T/$1-$2"/part-*.jsonl
	echo "$output" | tail -n 12
	"$SIM" check "$T/$1-$2/truth.json" "$T/r.json" "$status"
	"$BATS_TEST_DIRNAME/../tools/validate-report" "$T/r.json"
}

@test "chunks shuffled over files: everything verifies (exit 0)" {
	for seed in 1 2 3; do fleet shuffle "$seed"; done
	[ "$status" -eq 0 ]
	[[ "$output" == *"verify: OK: "*" lines in 4 stream(s)"* ]]
}

@test "redelivered chunks and lines: counted as duplicates, not failures" {
	for seed in 1 2 3; do fleet redeliver "$seed"; done
	[ "$status" -eq 0 ]
	[[ "$output" == *"duplicate(s)"* ]]
}

@test "lost ranges: reported exactly, only a gap's successor unproven (exit 2)" {
	for seed in 1 2 3; do fleet loss "$seed"; done
	[ "$status" -eq 2 ]
	[[ "$output" == *"INCOMPLETE: nothing forged"* ]]
}

@test "an altered line in every stream: tampering (exit 1), the line named" {
	for seed in 1 2; do fleet tamper "$seed"; done
	[ "$status" -eq 1 ]
	[[ "$output" == *"bad signature"* && "$output" == *"chain does not match"* ]]
}

@test "a stream of another run spliced in: it fails with --expect-run (exit 1)" {
	fleet splice 1
	[ "$status" -eq 1 ]
	[[ "$output" == *"a line of run run-2, not the expected run-1"* ]]
}

@test "streams still running, and middle parts, with --partial (exit 0)" {
	for seed in 1 2; do fleet running "$seed"; fleet middle "$seed"; done
	[ "$status" -eq 0 ]
	# without --partial the same files are incomplete
	run "$CTL" verify --public-key "$BATS_FILE_TMPDIR/k.pub" \
	    --hmac-key "$BATS_FILE_TMPDIR/h.key" "$T"/middle-2/part-*.jsonl
	[ "$status" -eq 2 ]
}

@test "every stream found is named with its cell, run and key ids" {
	d=$BATS_FILE_TMPDIR
	run "$CTL" verify --public-key "$d/k.pub" --hmac-key "$d/h.key" "$d"/s[1-4].jsonl
	[ "$status" -eq 0 ]
	kid=$(sed -n '1s/.* kid=//p' "$d/k.pub")
	hkid=$(sed -n '1s/.* kid=//p' "$d/h.key")
	for n in 1 2 3 4; do
		sid=$(head -n 1 "$d/s$n.jsonl" | jq -r .streamid)
		cell=$(head -n 1 "$d/s$n.jsonl" | jq -r .data.cell_id)
		r=$(head -n 1 "$d/s$n.jsonl" | jq -r .data.run_id)
		k=$kid; [ "$cell" = cell-1 ] || k=$hkid
		[[ "$output" == *"verify: stream $sid (cell $cell, run $r, key $k): OK:"* ]]
	done
}
