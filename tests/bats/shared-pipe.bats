#!/usr/bin/env bats
# Eight daemons write to one pipe (as when a supervisor's children inherit
# its stdout) read by a slow reader, each fed 3000 frames at once.
# Check that every line the reader gets is whole JSON (writes to a pipe carry
# whole lines, at most PIPE_BUF bytes, so they never interleave) and that
# every stream is complete.

load helper

setup() { common_setup; }
teardown() {
	for p in ${PIDS:-}; do kill -9 "$p" 2>/dev/null || true; done
	common_teardown
}

@test "eight daemons on one pipe, slow reader: no line torn, none lost" {
	mkfifo "$T/pipe"
	# a reader that takes small bites with pauses, so the pipe runs full
	python3 -c '
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
with open(sys.argv[2], "wb") as out:
    while True:
        b = os.read(fd, 3000)
        if not b:
            break
        out.write(b)
        time.sleep(0.0005)' "$T/pipe" "$T/all" &
	reader=$!
	exec 7>"$T/pipe"
	PIDS=""
	for i in 1 2 3 4 5 6 7 8; do
		"$DAEMON" --cell-id "cell-$i" --run-id r --uds-base "$T/v$i" \
		    --sign-alg off --rate-limit 0 >&7 2>>"$T/err" &
		PIDS="$PIDS $!"
	done
	exec 7>&-
	for i in 1 2 3 4 5 6 7 8; do wait_for test -S "$T/v${i}_9001"; done
	epids=""
	for i in 1 2 3 4 5 6 7 8; do
		"$CTL" emit --uds "$T/v${i}_9001" --count 3000 \
		    --comm "a-longer-command-name-to-make-lines-longer" 2>/dev/null &
		epids="$epids $!"
	done
	for p in $epids; do wait "$p"; done
	sleep 0.5
	for p in $PIDS; do kill -TERM "$p"; done
	for p in $PIDS; do wait "$p"; done
	PIDS=""
	wait "$reader"
	every_line_json "$T/all"
	for i in 1 2 3 4 5 6 7 8; do
		[ "$(jq -c --arg s "urn:cellos:cell:cell-$i" 'select(.source == $s and
		    (.type | endswith(".process.spawned")))' "$T/all" | wc -l)" -eq 3000 ]
		jq -s -e --arg s "urn:cellos:cell:cell-$i" 'map(select(.source == $s
		    and (.type | endswith(".stopped")))) | length == 1 and
		    .[0].data.frames_accepted == 3000' "$T/all" >/dev/null
	done
}
