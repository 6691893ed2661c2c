#!/usr/bin/env bats
# --sign-mode chain (SPEC section 12): a daemon with a small --seal-every,
# guest frames, then verify on the stream as written and as an attacker or
# an accident leaves it.
# Check the chain values against an independent computation (Python's
# hashlib BLAKE2b over our canonical bytes), that only seals carry sig, that
# seals come by count and by time and never while idle, that verify names
# the first line whose chain breaks (modified: exit 1) and a forged seal,
# reports a dropped line and an unsealed tail (truncated) as incomplete
# (exit 2), puts lines stored out of order back in order, that --print
# holds lines until their seal, and that HMAC chains verify.

load helper

setup() {
	common_setup
	"$CTL" keygen "$T/k" >/dev/null
	"$CTL" keygen --alg hmac-sha256 "$T/h" >/dev/null
}
teardown() { common_teardown; }

chain_daemon() { # ARGS...
	SIGN_ARGS="--signing-key $T/k.key --sign-mode chain" start_daemon "$@"
}

verify_out() { # FILE
	run "$CTL" verify --public-key "$T/k.pub" "$1"
}

@test "chain values match an independent BLAKE2b; only seals are signed" {
	chain_daemon --seal-every 5
	emit_n 12
	wait_for has_events .process.spawned 12
	stop_daemon
	python3 - "$T/out" <<'PY'
import base64, hashlib, json, sys
prev = bytes(32)
for n, line in enumerate(open(sys.argv[1], "rb"), 1):
    text = line.rstrip(b"\n").decode()
    event = json.loads(text)
    # C_n is the line without its chain and sig members: the line is
    # canonical, so cutting them out gives the canonical bytes
    cut = text.replace('"chain":"%s",' % event["chain"], "", 1)
    if "sig" in event:
        cut = cut.replace(',"sig":"%s"' % event["sig"], "", 1)
    prev = hashlib.blake2b(prev + cut.encode(), digest_size=32).digest()
    want = base64.urlsafe_b64encode(prev).rstrip(b"=").decode()
    assert event["chain"] == want, "line %d" % n
    seal = event["type"].rsplit(".", 1)[1] in ("started", "checkpoint", "stopped", "seal")
    assert ("sig" in event) == seal, "line %d" % n
    assert event["sigalg"] == "ed25519" and event["sigkid"].startswith("ed25519:")
PY
	events .started | jq -e '.data.sign_mode == "chain" and
	    .data.seal_every == 5 and .data.seal_interval_ms == 1000'
	# by count: 5 lines each
	events .seal | jq -s -e 'map(.data.lines) | max == 5 and min >= 1'
	verify_out "$T/out"
	[ "$status" -eq 0 ]
}

@test "seals by time, none while idle" {
	chain_daemon --seal-every 1000 --seal-interval 200ms
	emit_n 3
	wait_for has_events .connection_closed 1
	last_is_seal() { tail -n 1 "$T/out" | grep -q '"type":"cell.observability.host.telemetry.seal"'; }
	wait_for last_is_seal
	n=$(count_events .seal)
	sleep 1         # idle: nothing unsealed, so no seal
	[ "$(count_events .seal)" -eq "$n" ]
	# the seals cover every line after started: opened, 3 frames, closed
	[ "$(events .seal | jq -s 'map(.data.lines) | add')" -eq 5 ]
	stop_daemon
	verify_out "$T/out"
	[ "$status" -eq 0 ]
}

@test "a modified and a dropped line are each named; reordered lines verify" {
	chain_daemon --seal-every 50
	emit_n 20
	wait_for has_events .process.spawned 20
	stop_daemon
	sed '5s/"guest_pid":1,/"guest_pid":9,/' "$T/out" >"$T/mod"
	verify_out "$T/mod"
	[ "$status" -eq 1 ]
	[[ "$output" == *"line 5: chain does not match"* ]]
	sed 7d "$T/out" >"$T/drop"
	verify_out "$T/drop"
	[ "$status" -eq 2 ]
	[[ "$output" == *"line 7: sequence 8 follows 6"* ]]
	# stored out of order: read back in sequence order (SPEC section 15)
	{ sed -n 1,8p "$T/out"; sed -n 10p "$T/out"; sed -n 9p "$T/out"
	  sed -n '11,$p' "$T/out"; } >"$T/swap"
	verify_out "$T/swap"
	[ "$status" -eq 0 ]
}

@test "a forged seal fails; a truncated tail is incomplete" {
	chain_daemon --seal-every 4
	emit_n 10
	wait_for has_events .process.spawned 10
	stop_daemon
	seal=$(grep -n '"type":"cell.observability.host.telemetry.seal"' "$T/out" | head -n 1 | cut -d: -f1)
	sed "${seal}s/\"lines\":4/\"lines\":3/" "$T/out" >"$T/forged"
	verify_out "$T/forged"
	[ "$status" -eq 1 ]
	[[ "$output" == *"line $seal: chain does not match"* ]]
	# a seal whose chain is recomputed still needs the key's signature
	python3 - "$T/out" "$seal" >"$T/forged2" <<'PY'
import base64, hashlib, json, sys
lines = open(sys.argv[1]).read().splitlines()
k = int(sys.argv[2]) - 1
prev = base64.urlsafe_b64decode(json.loads(lines[k - 1])["chain"] + "=")
e = json.loads(lines[k])
e["data"]["lines"] = 3
sig = e.pop("sig"); e.pop("chain")
body = json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
c = base64.urlsafe_b64encode(hashlib.blake2b(prev + body.encode(), digest_size=32).digest()).rstrip(b"=").decode()
e["chain"] = c; e["sig"] = sig
lines[k] = json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
print("\n".join(lines[:k + 1]))
PY
	verify_out "$T/forged2"
	[ "$status" -eq 1 ]
	[[ "$output" == *"line $seal: bad signature on a seal"* ]]
	# cut after a seal plus two lines: the tail is unsealed
	head -n $((seal + 2)) "$T/out" >"$T/cut"
	verify_out "$T/cut"
	[ "$status" -eq 2 ]
	[[ "$output" == *"line $((seal + 1)): stream"*"ends with 2 unsealed line(s)"* ]]
	# --print passes only what a seal covers
	"$CTL" verify --public-key "$T/k.pub" --print "$T/cut" 2>/dev/null >"$T/printed" || true
	[ "$(wc -l <"$T/printed")" -eq "$seal" ]
	cmp "$T/printed" <(head -n "$seal" "$T/out")
}

@test "HMAC chains verify; chain mode needs a key" {
	SIGN_ARGS="--sign-alg hmac-sha256 --signing-key $T/h.key --sign-mode chain" \
	    start_daemon --seal-every 3
	emit_n 7
	wait_for has_events .process.spawned 7
	stop_daemon
	jq -e '.sigalg == "hmac-sha256"' "$T/out" >/dev/null
	run "$CTL" verify --hmac-key "$T/h.key" "$T/out"
	[ "$status" -eq 0 ]
	run "$DAEMON" --cell-id c --run-id r --uds-base "$T/x" --sign-alg off \
	    --sign-mode chain
	[ "$status" -eq 78 ]
	[[ "$output" == *"--sign-mode chain seals lines with a signature"* ]]
}
