#!/usr/bin/env bats
# Real daemon streams (line and chain mode), then lines the daemon never
# writes but whose signed values are unchanged: re-encodings (whitespace,
# an escape, key order, -0, CR, a BOM), a chain line carrying sig as an
# object, null or a string, a seal's chain or sig padded with '=' or
# whitespace; a signed seal whose lines count is wrong; an HMAC stream
# with a custom --key-id; a public key given as --hmac-key; control bytes
# in what verify echoes; a flood of bad lines.
# Check that each re-encoding fails (exit 1) naming the line and why, that
# the HMAC stream verifies, that messages carry no raw control byte, and
# that a flood is shown for its first 8 problems and counted after.

load helper

setup_file() {
	local d=$BATS_FILE_TMPDIR mode n=0
	"$CTL" keygen "$d/k" >/dev/null
	for mode in line chain; do
		n=$((n + 1))
		mkfifo "$d/ready$n"
		"$DAEMON" --cell-id cell-1 --run-id run-1 --uds-base "$d/v$n" \
		    --signing-key "$d/k.key" --sign-mode "$mode" --seal-every 3 \
		    --ready-fd 3 >"$d/$mode.jsonl" 2>/dev/null 3>"$d/ready$n" &
		local pid=$!
		read -r -t 10 _ <"$d/ready$n"
		"$CTL" emit --uds "$d/v${n}_9001" --count 8 2>/dev/null
		sleep 0.2
		kill -TERM "$pid"
		wait "$pid"
	done
}

setup() { common_setup; D=$BATS_FILE_TMPDIR; }
teardown() { common_teardown; }

# mutate MODE LINE PYTHON-EXPR: line LINE of the MODE stream replaced by
# the expression (l is the line as text, e the parsed event), into $T/bad
mutate() {
	/usr/bin/python3 - "$D/$1.jsonl" "$2" "$3" >"$T/bad" <<'PY'
import json, os, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")[:-1]
k = int(sys.argv[2]) - 1
l = lines[k]
e = json.loads(l)
lines[k] = eval(sys.argv[3])
sys.stdout.write("\n".join(lines) + "\n")
PY
	! cmp -s "$T/bad" "$D/$1.jsonl"
}

verify_bad() { # MODE: verify $T/bad with the key
	run "$CTL" verify --public-key "$D/k.pub" "$T/bad"
	echo "$output"
}

# the line number of the first non-seal guest line of the chain stream
guest_line() {
	grep -n '"probe_source"' "$D/chain.jsonl" | grep -v '"sig"' | head -n 1 | cut -d: -f1
}
seal_line() {
	grep -n '"type":"cell.observability.host.telemetry.seal"' "$D/chain.jsonl" | head -n 1 | cut -d: -f1
}

@test "the streams as written verify" {
	for mode in line chain; do
		run "$CTL" verify --public-key "$D/k.pub" "$D/$mode.jsonl"
		[ "$status" -eq 0 ]
	done
}

@test "re-encodings fail: whitespace, escape, key order, -0, CR, BOM" {
	for mode in line chain; do
		mutate "$mode" 2 'l.replace("\":", "\": ", 1)'
		verify_bad
		[ "$status" -eq 1 ]
		[[ "$output" == *"line 2: not canonical JSON (RFC 8785): differs from its canonical form at byte "* ]]
		mutate "$mode" 2 'l.replace("\"specversion\"", "\"\\u0073pecversion\"")'
		verify_bad
		[ "$status" -eq 1 ]
		[[ "$output" == *"line 2: not canonical JSON"* ]]
		mutate "$mode" 2 'json.dumps(dict(reversed(list(e.items()))), separators=(",", ":"), ensure_ascii=False)'
		verify_bad
		[ "$status" -eq 1 ]
		[[ "$output" == *"line 2: not canonical JSON"* ]]
		n=$(wc -l <"$D/$mode.jsonl")
		mutate "$mode" "$n" 'l.replace("\"heartbeats\":0", "\"heartbeats\":-0")'
		verify_bad
		[ "$status" -eq 1 ]
		[[ "$output" == *"line $n: not canonical JSON"* ]]
		mutate "$mode" 2 'l + "\r"'
		verify_bad
		[ "$status" -eq 1 ]
		[[ "$output" == *"line 2: not canonical JSON"* ]]
		mutate "$mode" 1 '"\ufeff" + l'
		verify_bad
		[ "$status" -eq 1 ]
		[[ "$output" == *"line 1: not JSON"* ]]
	done
}

@test "chain mode: sig only on seals, always a string" {
	g=$(guest_line)
	for sig in '{"x":"'"$(printf 'a%.0s' $(seq 1 200))"'"}' null '"AAAA"'; do
		SIG=$sig mutate chain "$g" 'l.replace(",\"sigalg\"", ",\"sig\":" + os.environ["SIG"] + ",\"sigalg\"", 1)'
		verify_bad
		[ "$status" -eq 1 ]
		[[ "$output" == *"line $g: sig "* ]]
	done
	[[ "$output" == *"line $g: sig on a line that is not a seal"* ]]
	# and a seal without its sig
	s=$(seal_line)
	mutate chain "$s" 'l[:l.index(",\"sig\":")] + l[l.index(",\"sigalg\""):]'
	verify_bad
	[ "$status" -eq 1 ]
	[[ "$output" == *"line $s: a seal (cell.observability.host.telemetry.seal) without sig"* ]]
}

@test "a seal's chain or sig padded with '=' or whitespace fails" {
	s=$(seal_line)
	mutate chain "$s" 'l.replace(e["chain"], e["chain"] + "=")'
	verify_bad
	[ "$status" -eq 1 ]
	[[ "$output" == *"line $s: chain is not the base64url text of 32 bytes"* ]]
	for pad in '==' ' ' '\n'; do
		mutate chain "$s" 'l.replace(e["sig"], e["sig"] + "'"$pad"'")'
		verify_bad
		[ "$status" -eq 1 ]
		[[ "$output" == *"line $s: "* ]]
	done
	mutate line 2 'l.replace(e["sig"], " " + e["sig"])'
	verify_bad
	[ "$status" -eq 1 ]
	[[ "$output" == *"line 2: sig is not the base64url text of a ed25519 signature (86 characters)"* ]]
}

@test "a signed seal whose lines count is wrong fails" {
	"$BATS_TEST_DIRNAME/../tools/streamgen" --key "$D/k.key" --mode chain \
	    --seal-every 3 --seal-lines-off-by 1 >"$T/bad"
	verify_bad
	[ "$status" -eq 1 ]
	[[ "$output" == *"line 5: seal says 4 lines since the previous seal, there are 3"* ]]
	"$BATS_TEST_DIRNAME/../tools/streamgen" --key "$D/k.key" --mode chain \
	    --seal-every 3 >"$T/bad"
	verify_bad
	[ "$status" -eq 0 ]
}

@test "an HMAC stream with a custom --key-id verifies; --hmac-key refuses a public key" {
	"$CTL" keygen --alg hmac-sha256 "$T/h" >/dev/null
	for mode in line chain; do
		SIGN_ARGS="--sign-alg hmac-sha256 --signing-key $T/h.key --key-id ops-2026 --sign-mode $mode" \
		    start_daemon
		emit_n 3
		wait_for has_events .process.spawned 3
		stop_daemon
		jq -e '.sigkid == "ops-2026"' "$T/out" >/dev/null
		run "$CTL" verify --hmac-key "$T/h.key" "$T/out"
		[ "$status" -eq 0 ]
		[[ "$output" == *"key ops-2026): OK"* ]]
	done
	"$CTL" keygen --alg hmac-sha256 "$T/other" >/dev/null
	run "$CTL" verify --hmac-key "$T/other.key" "$T/out"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown key id ops-2026 (no --hmac-key verifies it)"* ]]
	run "$CTL" verify --hmac-key "$D/k.pub" "$T/out"
	[ "$status" -eq 78 ]
	[[ "$output" == *"--hmac-key $D/k.pub: this is an Ed25519 public key file; pass it with --public-key"* ]]
}

@test "control bytes from the input are escaped in every message" {
	mutate line 2 'l.replace("\"sigkid\":\"", "\"sigkid\":\"\\u001b[2J\\u0007", 1)'
	run "$CTL" verify --public-key "$D/k.pub" --report "$T/r.json" "$T/bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *'line 2: unknown key id \x1b[2J\x07ed25519:'* ]]
	! grep -q $'[\x01-\x08\x0b-\x1f\x7f]' <<<"$output"
	grep -q '\\\\x1b\[2J' "$T/r.json"
	"$BATS_TEST_DIRNAME/../tools/validate-report" "$T/r.json"
	# a file name too
	cp "$T/bad" "$T/$(printf 'x\033y')"
	run "$CTL" verify --public-key "$D/k.pub" "$T/$(printf 'x\033y')" /dev/null
	[[ "$output" == *'x\x1by line 2: '* ]]
	! grep -q $'\033' <<<"$output"
}

@test "a flood of bad lines: the first 8 in full, then counts" {
	sed 's/"guest_pid":1,/"guest_pid":2,/' "$D/line.jsonl" >"$T/bad"
	for i in $(seq 1 40); do
		sed -n 3p "$T/bad" | sed "s/\"guest_pid\":2,/\"guest_pid\":$((i + 10)),/"
	done >>"$T/bad"
	for i in $(seq 1 30); do echo "garbage $i"; done >>"$T/bad"
	run "$CTL" verify --public-key "$D/k.pub" --report "$T/r.json" "$T/bad"
	[ "$status" -eq 1 ]
	[ "$(grep -c 'verify: line' <<<"$output")" -eq 16 ]
	[[ "$output" == *"verify: 22 more line(s) no stream owns, not shown"* ]]
	[[ "$output" == *"verify: stream "*": 40 more problem(s) not shown"* ]]
	jq -s -e '.[0].problems | length == 8' "$T/r.json"
	jq -s -e '.[0].problems_not_shown == 40 and .[0].equivocations == 40' "$T/r.json"
	jq -s -e '.[-1].problems_not_shown == 22 and .[-1].unowned_lines == 30' "$T/r.json"
}
