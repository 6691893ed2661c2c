#!/usr/bin/env bats
# The programs' --help texts, the man pages and make install.
# Check that every flag in --help is documented in the man page and the
# other way round, and that make install puts programs and pages under
# DESTDIR/PREFIX.

load helper

setup() { common_setup; }
teardown() { common_teardown; }

flags_of() { grep -oE -- '--[a-z][a-z0-9-]+' | sort -u; }
man_flags() { sed -n 's/.*Fl -\([a-z][a-z0-9-]*\).*/--\1/p' "$1" | sort -u; }

@test "every daemon flag is in cellos-telemetryd.8 and back" {
	"$DAEMON" --help | flags_of >"$T/help"
	man_flags "$BATS_TEST_DIRNAME/../../man/cellos-telemetryd.8" >"$T/man"
	diff "$T/help" "$T/man"
}

@test "every CLI flag is in cellos-telemetry.1" {
	for sub in keygen pubkey emit decode verify; do "$CTL" "$sub" --help; done |
	    flags_of | grep -v -- '--help' >"$T/help"
	man_flags "$BATS_TEST_DIRNAME/../../man/cellos-telemetry.1" >"$T/man"
	comm -23 "$T/help" "$T/man" >"$T/missing"
	[ ! -s "$T/missing" ] || { cat "$T/missing"; false; }
}

@test "make install honours PREFIX and DESTDIR" {
	make -s -C "$BATS_TEST_DIRNAME/../.." install PREFIX=/usr DESTDIR="$T/root" >/dev/null
	[ -x "$T/root/usr/sbin/cellos-telemetryd" ]
	[ -x "$T/root/usr/bin/cellos-telemetry" ]
	[ -f "$T/root/usr/share/man/man8/cellos-telemetryd.8" ]
	[ -f "$T/root/usr/share/man/man1/cellos-telemetry.1" ]
}

@test "make uninstall removes what make install put there" {
	make -s -C "$BATS_TEST_DIRNAME/../.." install PREFIX=/usr DESTDIR="$T/root" >/dev/null
	[ -f "$T/root/usr/lib/systemd/system/cellos-telemetryd@.service" ]
	s6="$T/root/usr/share/cellos-telemetryd/s6/cellos-telemetryd"
	[ -x "$s6/run" ] && [ -x "$s6/finish" ] && [ -x "$s6/log/run" ]
	[ -x "$T/root/usr/lib/cellos-telemetryd/cellos-telemetryd-receiver" ]
	grep -q '^ExecStart=/usr/sbin/cellos-telemetryd ' \
	    "$T/root/usr/lib/systemd/system/cellos-telemetryd@.service"
	make -s -C "$BATS_TEST_DIRNAME/../.." uninstall PREFIX=/usr DESTDIR="$T/root" >/dev/null
	[ -z "$(find "$T/root" -type f)" ]
	# and no directory of ours is left
	[ ! -e "$T/root/usr/lib/cellos-telemetryd" ]
	[ ! -e "$T/root/usr/share/cellos-telemetryd" ]
	# the unit names the program where PREFIX put it
	make -s -C "$BATS_TEST_DIRNAME/../.." install DESTDIR="$T/local" \
	    UNITDIR=/usr/local/lib/systemd/system >/dev/null
	grep -q '^ExecStart=/usr/local/sbin/cellos-telemetryd ' \
	    "$T/local/usr/local/lib/systemd/system/cellos-telemetryd@.service"
}

@test "a packager's flags: CPPFLAGS honoured, FORTIFY 3 builds, no -Werror" {
	top="$BATS_TEST_DIRNAME/../.."
	mkdir "$T/tree"
	cp -r "$top/Makefile" "$top/src" "$top/cmd" "$top/scripts" "$T/tree/"
	run make -C "$T/tree" V=1 CFLAGS="-O2 -D_FORTIFY_SOURCE=3" \
	    CPPFLAGS="-DCELLOS_PACKAGER_TEST=1" LDFLAGS="-Wl,--as-needed"
	[ "$status" -eq 0 ]
	[[ "$output" != *"redefined"* ]]
	[[ "$output" == *"-DCELLOS_PACKAGER_TEST=1"* ]]
	[[ "$output" == *"-D_FORTIFY_SOURCE=3"* && "$output" != *"-D_FORTIFY_SOURCE=2"* ]]
	[[ "$output" != *"-Werror"* ]]
	[ -x "$T/tree/bin/cellos-telemetryd" ]
	[ -x "$T/tree/bin/cellos-telemetryd-receiver" ]
}

@test "bash completion offers exactly the flags of --help" {
	comp="$BATS_TEST_DIRNAME/../../contrib/bash-completion"
	source "$comp/cellos-telemetryd"
	COMP_WORDS=(cellos-telemetryd --); COMP_CWORD=1
	_cellos_telemetryd
	printf '%s\n' "${COMPREPLY[@]}" | sort >"$T/comp"
	"$DAEMON" --help | flags_of >"$T/help"
	diff "$T/help" "$T/comp"
	source "$comp/cellos-telemetry"
	for sub in keygen pubkey emit decode verify; do
		COMP_WORDS=(cellos-telemetry "$sub" --); COMP_CWORD=2
		_cellos_telemetry
		printf '%s\n' "${COMPREPLY[@]}" | grep -vx -- --help | sort >"$T/comp"
		"$CTL" "$sub" --help | flags_of | grep -vx -- --help >"$T/help"
		diff "$T/help" "$T/comp" || { echo "in $sub"; false; }
	done
}
