#!/usr/bin/env bats
# The README's recipes for checking streams with tools the project did
# not write: OpenSSL 3 with coreutils, Python with PyNaCl (line and chain
# mode), Python's hmac for HMAC streams; and the shell loop that verifies
# by partitions. Each recipe is cut out of README.md (between its
# "<!-- recipe: NAME -->" marker and the end of the code block that
# follows) and run as written in a directory holding a real signed
# stream.jsonl and host.pub (or host.key).
# Check that each accepts every line of a real stream, including guest
# text that needs JSON escapes and non-ASCII, and rejects a forged line;
# that the chain recipe also rejects, with an explicit error even under
# python3 -O, a dropped line, a line of another stream and a stream cut
# after a seal; and that the partition loop merges into the single run's
# report.

load helper

setup() {
	common_setup
	README="$BATS_TEST_DIRNAME/../../README.md"
	"$CTL" keygen "$T/host" >/dev/null
	SIGN_ARGS="--signing-key $T/host.key" start_daemon
	emit_n 5
	emit_n 2 --comm $'q"\\ \t\x01 caf\xc3\xa9 \xf0\x9f\x90\x9f'
	wait_for has_events .process.spawned 7
	stop_daemon
	mkdir "$T/work"
	cp "$T/out" "$T/work/stream.jsonl"
	cp "$T/host.pub" "$T/work/host.pub"
}
teardown() { common_teardown; }

# recipe NAME: the code block after the marker, as written.
recipe() {
	awk -v m="<!-- recipe: $1 -->" '
	    $0 == m { found = 1; next }
	    found && /^```/ { if (inblock) exit; inblock = 1; next }
	    inblock { print }' "$README"
}

# Debian's python3, with python3-nacl, ahead of any other on PATH.
run_recipe() { # NAME INTERPRETER
	recipe "$1" >"$T/recipe"
	[ -s "$T/recipe" ]
	cd "$T/work"
	# shellcheck disable=SC2086
	PATH=/usr/bin:$PATH run $2 "$T/recipe"
}

forge() { # change a guest_pid in the third line, keep its signature
	sed -i '3s/"guest_pid":1,/"guest_pid":2,/' "$T/work/stream.jsonl"
	! cmp -s "$T/work/stream.jsonl" "$T/out"
}

@test "the OpenSSL recipe verifies every line of a real stream" {
	run_recipe openssl bash
	[ "$status" -eq 0 ]
	n=$(wc -l <"$T/out")
	[ "$(grep -c 'Signature Verified Successfully' <<<"$output")" -eq "$n" ]
	# pubkey --pem gives the key the recipe built by hand
	"$CTL" pubkey --pem "$T/host.pub" | cmp - "$T/work/host.pem"
}

@test "the OpenSSL recipe rejects a forged line" {
	forge
	run_recipe openssl bash
	[ "$status" -ne 0 ]
	[[ "$output" == *"Signature Verification Failure"* ]]
}

@test "the PyNaCl recipe verifies every line of a real stream" {
	run_recipe python python3
	[ "$status" -eq 0 ]
	[ "$output" = "verified $(wc -l <"$T/out" | tr -d ' ') lines" ]
}

@test "the PyNaCl recipe rejects a forged line" {
	forge
	run_recipe python python3
	[ "$status" -ne 0 ]
	[[ "$output" == *"BadSignatureError"* ]]
}

# The man page's OpenSSL commands, from the mdoc source (\e is a backslash),
# run for every line with $line set, as the page says.
@test "the man page's OpenSSL commands verify every line" {
	awk '/^\.Sh SIGNATURES/ { s = 1 } s && /^\.Bd -literal/ { b = 1; next }
	    b && /^\.Ed/ { exit } b { gsub(/\\e/, "\\"); print }' \
	    "$BATS_TEST_DIRNAME/../../man/cellos-telemetry.1" >"$T/man-recipe"
	grep -q 'openssl pkeyutl -verify' "$T/man-recipe"
	cd "$T/work"
	PATH=$BIN:/usr/bin:$PATH
	n=0
	while IFS= read -r line; do
		line=$line bash -e "$T/man-recipe" >/dev/null
		n=$((n + 1))
	done <stream.jsonl
	[ "$n" -eq "$(wc -l <"$T/out")" ]
	forge
	line=$(sed -n 3p stream.jsonl) run bash -e "$T/man-recipe"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Signature Verification Failure"* ]]
}

@test "the chain recipe checks a real chain stream, and catches a forgery" {
	SIGN_ARGS="--signing-key $T/host.key --sign-mode chain --seal-every 3" \
	    start_daemon
	emit_n 10
	wait_for has_events .process.spawned 10
	stop_daemon
	grep -q '"type":"cell.observability.host.telemetry.seal"' "$T/out"
	cp "$T/out" "$T/work/stream.jsonl"
	run_recipe python-chain python3
	[ "$status" -eq 0 ]
	[ "$output" = "verified $(wc -l <"$T/out" | tr -d ' ') lines" ]
	# an altered line that is not a seal: its chain no longer matches
	n=$(grep -n '"process.spawned"' "$T/out" | grep -v '"sig"' | head -n 1 | cut -d: -f1)
	sed -i "${n}s/\"guest_pid\":1,/\"guest_pid\":2,/" "$T/work/stream.jsonl"
	run_recipe python-chain python3
	[ "$status" -ne 0 ]
	[[ "$output" == *"line $n: chain does not match"* ]]
	# no assert: the same under python3 -O
	run_recipe python-chain "python3 -O"
	[ "$status" -ne 0 ]
	[[ "$output" == *"line $n: chain does not match"* ]]
	# a dropped line
	sed 4d "$T/out" >"$T/work/stream.jsonl"
	run_recipe python-chain python3
	[ "$status" -ne 0 ]
	[[ "$output" == *"line 4: sequence 00000000000000000005, expected 4"* ]]
	# cut right after a seal: every line sealed, but no stopped
	seal=$(grep -n '"type":"cell.observability.host.telemetry.seal"' "$T/out" | head -n 1 | cut -d: -f1)
	head -n "$seal" "$T/out" >"$T/work/stream.jsonl"
	run_recipe python-chain "python3 -O"
	[ "$status" -ne 0 ]
	[[ "$output" == *"line $seal: the stream does not end with stopped: cut short"* ]]
	# a line of another stream in place of one of this stream
	{ head -n 2 "$T/out"; sed -n 3p "$T/out" |
	    sed 's/"streamid":"[0-9a-f]*"/"streamid":"00000000000000000000000000000000"/'
	  tail -n +4 "$T/out"; } >"$T/work/stream.jsonl"
	run_recipe python-chain python3
	[ "$status" -ne 0 ]
	[[ "$output" == *"line 3: a line of another stream, 00000000000000000000000000000000"* ]]
}

@test "the HMAC recipe verifies a real HMAC stream and rejects a forged line" {
	"$CTL" keygen --alg hmac-sha256 "$T/h" >/dev/null
	SIGN_ARGS="--sign-alg hmac-sha256 --signing-key $T/h.key" start_daemon
	emit_n 5
	emit_n 1 --comm $'caf\xc3\xa9 "q"'
	wait_for has_events .process.spawned 6
	stop_daemon
	cp "$T/out" "$T/work/stream.jsonl"
	cp "$T/h.key" "$T/work/host.key"
	run_recipe hmac python3
	[ "$status" -eq 0 ]
	[ "$output" = "verified $(wc -l <"$T/out" | tr -d ' ') lines" ]
	forge
	run_recipe hmac python3
	[ "$status" -ne 0 ]
	[ "$output" = "line 3: bad HMAC" ]
}

@test "the partition loop merges into the report of a single run" {
	SIGN_ARGS="--signing-key $T/host.key --sign-mode chain" start_daemon
	emit_n 4
	wait_for has_events .process.spawned 4
	stop_daemon
	mkdir "$T/work/chunks"
	cat "$T/out" "$T/work/stream.jsonl" >"$T/all"
	split -l 5 "$T/all" "$T/work/chunks/c"
	for f in "$T"/work/chunks/c*; do mv "$f" "$f.jsonl"; done
	recipe partitions >"$T/recipe"
	cd "$T/work"
	PATH=$BIN:$PATH run bash -e "$T/recipe"
	[ "$status" -eq 0 ]
	"$CTL" verify --public-key host.pub --partial --report whole.json chunks/*.jsonl 2>/dev/null
	cmp fleet.json whole.json
	[ "$(jq -s 'map(select(.report == "stream")) | length' fleet.json)" -eq 2 ]
}
