#!/usr/bin/env bats
# A signed daemon session (start, three frames, SIGTERM) run once for each
# allocation it makes, with that one allocation failing (an LD_PRELOAD shim
# built by the test; the count comes from a clean run). The preload reaches
# the receiver program too, but its knobs do not (its environment is
# empty): only the monitor's allocations fail here.
# Check that every run either ends cleanly (exit 0, a stream that verifies)
# or exits 71 with a logfmt "out of memory" line (70 with a signed
# receiver_failed when it was the receiver that ran out), never a crash;
# that every line written is whole and correctly signed (no event missing a
# field); and that the socket is gone afterwards.

load helper

setup() {
	common_setup
	build_faultshim
	# as root, the receiver's user in numbers: glibc's user lookup itself
	# crashes when one of its allocations fails (not ours to test)
	RXUSER=""
	[ "$(id -u)" -ne 0 ] || RXUSER="--receiver-user $(id -u nobody):$(id -g nobody)"
	"$CTL" keygen "$T/k" >/dev/null
}
teardown() { common_teardown; }

session() { # FAIL_AT: run one session; sets $status
	rm -f "$T/ready" "$T/out" "$T/err"
	mkfifo "$T/ready"
	FAULTSHIM_MALLOC_AT=$1 FAULTSHIM_COUNT_FD=5 LD_PRELOAD="$SHIM" \
	    "$DAEMON" --cell-id c --run-id r --uds-base "$T/v" $RXUSER \
	    --signing-key "$T/k.key" --checkpoint-interval 0 --ready-fd 3 \
	    3>"$T/ready" 5>"$T/count" >"$T/out" 2>"$T/err" &
	local pid=$! line
	if read -r -t 5 line <"$T/ready"; then
		"$CTL" emit --uds "$T/v_9001" --count 3 2>/dev/null || true
		kill -TERM "$pid" 2>/dev/null || true
	fi
	status=0
	wait "$pid" || status=$?
}

@test "each allocation failing in turn: exit 0 or 71, nothing torn or incomplete" {
	session 0
	[ "$status" -eq 0 ]
	total=$(cat "$T/count")
	[ "$total" -gt 50 ]
	for n in $(seq 1 "$total"); do
		session "$n"
		case $status in
		0)	"$CTL" verify --public-key "$T/k.pub" "$T/out" 2>"$T/verr" || {
			    echo "fail at $n: stream does not verify"; cat "$T/verr"; false; } ;;
		70)	grep -q 'level=error msg="receiver failed" reason=exited status=7[01]' "$T/err" || {
			    echo "fail at $n: no logfmt line"; cat "$T/err"; false; }
			jq -s -e 'map(select(.type | endswith(".receiver_failed")))
			    | length == 1 and (.[0].data.exit_status == 71 or .[0].data.exit_status == 70)' "$T/out" >/dev/null || {
			    echo "fail at $n: no receiver_failed"; cat "$T/out"; false; }
			"$CTL" verify --public-key "$T/k.pub" "$T/out" 2>"$T/verr" || {
			    echo "fail at $n: stream does not verify"; cat "$T/verr"; false; } ;;
		71)	grep -q 'level=error msg="out of memory; exiting"' "$T/err" || {
			    echo "fail at $n: no logfmt line"; cat "$T/err"; false; }
			# whatever was written is whole and signed
			"$CTL" verify --public-key "$T/k.pub" "$T/out" 2>"$T/verr" || true
			if grep -q 'verify: line' "$T/verr"; then
				echo "fail at $n:"; cat "$T/verr"; false
			fi ;;
		*)	echo "fail at $n: exit $status"; cat "$T/err"; false ;;
		esac
		every_line_json "$T/out"
		[ ! -e "$T/v_9001" ] || { echo "fail at $n: socket left behind"; false; }
	done
}
