#!/usr/bin/env bats
# make demo (scripts/demo), the README's first command, with DEMO_KEEP.
# Check that it runs to the end, that the stream it keeps verifies with the
# key it keeps, and that a symlink planted in DEMO_KEEP is replaced, never
# followed (the file it pointed at is untouched).

load helper

setup() { common_setup; }
teardown() { common_teardown; }

@test "the demo runs, keeps a stream that verifies, never follows a planted symlink" {
	mkdir "$T/keep"
	echo precious >"$T/victim"
	ln -s "$T/victim" "$T/keep/stream.jsonl"
	DEMO_KEEP="$T/keep" run "$BATS_TEST_DIRNAME/../../scripts/demo"
	[ "$status" -eq 0 ]
	[ "$(cat "$T/victim")" = precious ]
	[ -f "$T/keep/stream.jsonl" ] && [ ! -L "$T/keep/stream.jsonl" ]
	run "$CTL" verify --public-key "$T/keep/demo.pub" "$T/keep/stream.jsonl"
	[ "$status" -eq 0 ]
}
