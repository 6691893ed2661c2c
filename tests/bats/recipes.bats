#!/usr/bin/env bats
# The README's recipes for checking signatures with tools the project did
# not write: OpenSSL 3 with coreutils, and Python with PyNaCl. Each recipe is
# cut out of README.md (between its "<!-- recipe: NAME -->" marker and the
# end of the code block that follows) and run as written in a directory
# holding a real signed stream.jsonl and host.pub.
# Check that both accept every line of a real stream, including guest text
# that needs JSON escapes and non-ASCII, and both reject a forged line.

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
	PATH=/usr/bin:$PATH run "$2" "$T/recipe"
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
}
