# cellos-telemetryd - plain GNU make, pkg-config, out-of-tree objects.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/lib/cellos-telemetryd
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/cellos-telemetryd
S6DIR ?= $(DATADIR)/s6/cellos-telemetryd
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR ?= $(PREFIX)/lib/systemd/system
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DESTDIR ?=

CC ?= cc
PKGS = libcbor libsodium jansson libseccomp
PKG_CONFIG ?= pkg-config
BUILD = build
BIN = bin

# A cross build: make CROSS=aarch64-linux-gnu builds with Debian's cross
# compiler against the multiarch -dev packages of that architecture
# (scripts/install-deps --arm64 installs both), in a tree of its own:
# objects in build-CROSS, programs in build-CROSS/bin, so the native
# build/ and bin/ are never touched.
CROSS ?=
ifneq ($(CROSS),)
ifeq ($(origin CC),default)
CC = $(CROSS)-gcc
endif
ifeq ($(origin AR),default)
AR = $(CROSS)-ar
endif
ifeq ($(origin PKG_CONFIG),file)
PKG_CONFIG = PKG_CONFIG_LIBDIR=/usr/lib/$(CROSS)/pkgconfig:/usr/share/pkgconfig pkg-config
endif
BUILD = build-$(CROSS)
BIN = $(BUILD)/bin
endif

# A fresh machine: the README's test and demo targets install what is
# missing; a plain build, an install or a packager's build never installs
# packages, it says what is missing.
ifneq ($(filter-out clean uninstall check-arm64,$(or $(MAKECMDGOALS),all)),)
ifneq ($(shell $(PKG_CONFIG) --exists $(PKGS) 2>/dev/null && echo ok),ok)
ifneq ($(CROSS),)
$(error pkg-config cannot find $(PKGS) for $(CROSS): install $(CROSS)-gcc and that architecture's -dev packages (for aarch64-linux-gnu: scripts/install-deps --arm64))
else ifneq ($(filter check demo,$(MAKECMDGOALS)),)
$(info pkg-config cannot find $(PKGS); running scripts/install-deps)
INSTALL_DEPS := $(shell ./scripts/install-deps >&2 && echo ok)
ifneq ($(INSTALL_DEPS),ok)
$(error scripts/install-deps failed; install libcbor-dev libsodium-dev libjansson-dev libseccomp-dev pkg-config)
endif
else
$(error pkg-config cannot find $(PKGS): install libcbor-dev libsodium-dev libjansson-dev libseccomp-dev pkg-config (or run make check, which installs them))
endif
endif
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# what each program links: the receiver neither libsodium nor jansson
RECEIVER_LIBS := $(shell $(PKG_CONFIG) --libs libcbor libseccomp 2>/dev/null)
MONITOR_LIBS := $(shell $(PKG_CONFIG) --libs libsodium jansson 2>/dev/null)
CLI_LIBS := $(shell $(PKG_CONFIG) --libs libcbor libsodium jansson 2>/dev/null) -pthread
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -pthread

# Warnings are errors for make check and CI (WERROR below), not for a
# packager's build, where a newer compiler's new warning must not fail it.
WARN = -Wall -Wextra $(WERROR) -Wstrict-prototypes -Wmissing-prototypes \
       -Wshadow -Wpointer-arith -Wcast-qual -Wvla
WERROR ?=
OPT ?= -O2
CFLAGS ?= $(OPT) -g
# Hardening defaults come first, so the caller's CPPFLAGS/CFLAGS/LDFLAGS
# override them; _FORTIFY_SOURCE only when the caller sets none (two
# definitions would be a redefinition error).
HARDEN = -fstack-protector-strong -fPIE
ifeq ($(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),)
HARDEN += -D_FORTIFY_SOURCE=2
endif
ALL_CFLAGS = -std=gnu11 $(HARDEN) $(WARN) $(PKG_CFLAGS) \
    -DLIBEXECDIR='"$(LIBEXECDIR)"' $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now $(LDFLAGS)

ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
endif

# make V=1 shows whole command lines
ifeq ($(V),1)
Q =
SAY = @true
else
Q = @
SAY = @printf '  %-6s %s\n'
endif
# One folder per program or process; the link lines below say which code
# runs where. src/common is linked by all three programs; src/receiver is
# the only code that reads guest bytes in the daemon (its own program);
# src/signing holds keys and is linked by the monitor and the CLI only.
COMMON_SRCS = $(wildcard src/common/*.c)
RECEIVER_SRCS = $(wildcard src/receiver/*.c)
SIGNING_SRCS = $(wildcard src/signing/*.c)
MONITOR_SRCS = $(wildcard src/monitor/*.c)
CLI_SRCS = $(wildcard src/cli/*.c)
LIB_SRCS = $(COMMON_SRCS) $(RECEIVER_SRCS) $(SIGNING_SRCS) $(MONITOR_SRCS) \
    $(CLI_SRCS)
LIB_OBJS = $(LIB_SRCS:src/%.c=$(BUILD)/src/%.o)
SRC_DIRS = src/common src/receiver src/signing src/monitor src/cli
INCLUDES = $(SRC_DIRS:%=-I%)
# Each folder sees its own headers and those of what it may call, no
# more: receiver code cannot even name the monitor's or the key's.
INC = $(INCLUDES)
$(BUILD)/src/common/%.o: INC = -Isrc/common
$(BUILD)/src/receiver/%.o $(BUILD)/cmd/cellos-telemetryd-receiver.o: INC = -Isrc/common -Isrc/receiver
$(BUILD)/src/signing/%.o: INC = -Isrc/common -Isrc/signing
$(BUILD)/src/monitor/%.o $(BUILD)/cmd/cellos-telemetryd.o: INC = -Isrc/common -Isrc/signing -Isrc/monitor
$(BUILD)/src/cli/%.o $(BUILD)/cmd/cellos-telemetry.o: INC = -Isrc/common -Isrc/signing -Isrc/cli
UNIT_SRCS = $(wildcard tests/unit/*.c)
UNIT_OBJS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%.o)
PROGS = $(BIN)/cellos-telemetryd $(BIN)/cellos-telemetryd-receiver $(BIN)/cellos-telemetry

lib = $(BUILD)/lib$(1).a
COMMON = $(call lib,common)
RECEIVER = $(call lib,receiver)
SIGNING = $(call lib,signing)
MONITOR = $(call lib,monitor)
CLI = $(call lib,cli)

all: $(PROGS)

# Rebuild everything when the flags change (a SANITIZE build after a plain
# one must not reuse plain objects).
$(BUILD)/.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' | cmp -s - $@ || \
	    echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' > $@

$(BUILD)/src/%.o: src/%.c $(BUILD)/.flags
	@mkdir -p $(@D)
	$(SAY) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) $(INC) -MMD -MP -c -o $@ $<

$(BUILD)/cmd/%.o: cmd/%.c $(BUILD)/.flags
	@mkdir -p $(@D)
	$(SAY) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) $(INC) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%.o: tests/unit/%.c $(BUILD)/.flags
	@mkdir -p $(@D)
	$(SAY) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) $(INCLUDES) -Itests/unit -MMD -MP -c -o $@ $<

$(COMMON): $(COMMON_SRCS:src/%.c=$(BUILD)/src/%.o)
$(RECEIVER): $(RECEIVER_SRCS:src/%.c=$(BUILD)/src/%.o)
$(SIGNING): $(SIGNING_SRCS:src/%.c=$(BUILD)/src/%.o)
$(MONITOR): $(MONITOR_SRCS:src/%.c=$(BUILD)/src/%.o)
$(CLI): $(CLI_SRCS:src/%.c=$(BUILD)/src/%.o)
$(COMMON) $(RECEIVER) $(SIGNING) $(MONITOR) $(CLI):
	$(SAY) AR $@
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# What each program links, and so what code can ever run in it. Guest
# bytes are read by the receiver program alone; the CLI's decode runs the
# same decoder (src/receiver/wire_decode.c) on an operator's files.
$(BIN)/cellos-telemetryd-receiver: $(BUILD)/cmd/cellos-telemetryd-receiver.o $(RECEIVER) $(COMMON)
	@mkdir -p $(BIN)
	$(SAY) LD $@
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(RECEIVER_LIBS)

$(BIN)/cellos-telemetryd: $(BUILD)/cmd/cellos-telemetryd.o $(MONITOR) $(SIGNING) $(COMMON)
	@mkdir -p $(BIN)
	$(SAY) LD $@
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(MONITOR_LIBS)

$(BIN)/cellos-telemetry: $(BUILD)/cmd/cellos-telemetry.o $(CLI) $(SIGNING) $(BUILD)/src/receiver/wire_decode.o $(COMMON)
	@mkdir -p $(BIN)
	$(SAY) LD $@
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(CLI_LIBS)

UNIT_LIBS = $(CLI) $(MONITOR) $(RECEIVER) $(SIGNING) $(COMMON)
$(BUILD)/unit-tests: $(UNIT_OBJS) $(UNIT_LIBS)
	$(SAY) LD $@
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The hostile receiver the privilege-separation tests run in place of the
# real one (tests/bats/hostile-receiver.bats): the same confinement, lies.
$(BUILD)/tests/hostile-receiver: $(BUILD)/tests/tools/hostile-receiver.o $(RECEIVER) $(COMMON)
	$(SAY) LD $@
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(RECEIVER_LIBS)

$(BUILD)/tests/tools/%.o: tests/tools/%.c $(BUILD)/.flags
	@mkdir -p $(@D)
	$(SAY) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) $(INCLUDES) -MMD -MP -c -o $@ $<

check: WERROR = -Werror
check: all $(BUILD)/unit-tests $(BUILD)/tests/hostile-receiver
	@./scripts/install-deps
	@CELLOS_SANITIZE=$(SANITIZE) ./scripts/run-tests $(BUILD)/unit-tests tests/bats

demo: all
	@./scripts/demo

# The aarch64 build in a real arm64 kernel (SPEC section 17): the programs,
# the hostile receiver and the unit tests cross-built into
# build-aarch64-linux-gnu, then booted with Debian's arm64 kernel and
# busybox in qemu-system-aarch64 (scripts/check-arm64, tests/arm64/init).
# CC and AR are named: one set in the environment is the native one.
ARM64 = aarch64-linux-gnu
check-arm64:
	@./scripts/install-deps --arm64
	@$(MAKE) --no-print-directory CROSS=$(ARM64) CC=$(ARM64)-gcc \
	    AR=$(ARM64)-ar WERROR=-Werror SANITIZE= all \
	    build-$(ARM64)/unit-tests build-$(ARM64)/tests/hostile-receiver
	@./scripts/check-arm64 build-$(ARM64)

# libFuzzer targets call the production code; see scripts/fuzz.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = fuzz_wire fuzz_jcs fuzz_verify fuzz_records
FUZZ_FLAGS = -std=gnu11 -g -O1 $(INCLUDES) $(PKG_CFLAGS) \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(wildcard src/*/*.h)
	@mkdir -p $(@D)
	$(SAY) FUZZ $@
	$(Q)clang $(FUZZ_FLAGS) -o $@ $< $(LIB_SRCS) $(PKG_LIBS)

fuzz: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
	@./scripts/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Speed and memory, side by side in one run; see BENCHMARKS.md.
$(BUILD)/bench/sign-loop: bench/sign-loop.c
	@mkdir -p $(@D)
	$(SAY) CC $@
	$(Q)$(CC) -std=gnu11 -O2 $(PKG_CFLAGS) -o $@ $< $(PKG_LIBS)

$(BUILD)/bench/event-loop: bench/event-loop.c $(MONITOR) $(SIGNING) $(COMMON)
	@mkdir -p $(@D)
	$(SAY) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) $(INCLUDES) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

bench: all $(BUILD)/bench/sign-loop $(BUILD)/bench/event-loop
	@python3 scripts/bench

# An hour of faults at 100 cells, or what SOAK_SECONDS and SOAK_CELLS say
# (CI: 60 s at 20); SOAK_SEED replays a run. See scripts/soak.
SOAK_SECONDS ?= 3600
SOAK_CELLS ?= 100
soak: all
	@SOAK_SECONDS=$(SOAK_SECONDS) SOAK_CELLS=$(SOAK_CELLS) SOAK_SEED=$(SOAK_SEED) \
	    python3 scripts/soak

# The Debian package: dpkg-buildpackage, lintian, install, run, remove.
deb:
	@./scripts/deb

# An end-to-end daemon session under valgrind: zero errors, zero leaks.
memcheck: all
	@./scripts/memcheck

lint:
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --inline-suppr $(INCLUDES) --std=c11 src cmd
	$(Q)clang-tidy --quiet $(LIB_SRCS) cmd/*.c -- -std=gnu11 $(INCLUDES) \
	    -DLIBEXECDIR='"$(LIBEXECDIR)"' $(PKG_CFLAGS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(S6DIR)/log
	install -m 0755 $(BIN)/cellos-telemetry $(DESTDIR)$(BINDIR)/
	install -m 0755 $(BIN)/cellos-telemetryd $(DESTDIR)$(SBINDIR)/
	install -d $(DESTDIR)$(LIBEXECDIR)
	install -m 0755 $(BIN)/cellos-telemetryd-receiver $(DESTDIR)$(LIBEXECDIR)/
	install -m 0644 man/cellos-telemetry.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/cellos-telemetryd.8 $(DESTDIR)$(MANDIR)/man8/
	# the unit runs the program where this install puts it
	sed 's|/usr/sbin/cellos-telemetryd|$(SBINDIR)/cellos-telemetryd|' \
	    contrib/systemd/cellos-telemetryd@.service \
	    >$(DESTDIR)$(UNITDIR)/cellos-telemetryd@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/cellos-telemetryd@.service
	install -m 0644 contrib/systemd/cellos-telemetryd@.socket $(DESTDIR)$(UNITDIR)/
	install -d $(DESTDIR)$(TMPFILESDIR)
	install -m 0644 contrib/systemd/cellos-telemetryd.tmpfiles \
	    $(DESTDIR)$(TMPFILESDIR)/cellos-telemetryd.conf
	install -m 0755 contrib/s6/cellos-telemetryd/run \
	    contrib/s6/cellos-telemetryd/finish $(DESTDIR)$(S6DIR)/
	install -m 0755 contrib/s6/cellos-telemetryd/log/run $(DESTDIR)$(S6DIR)/log/
	install -m 0644 contrib/s6/cellos-telemetryd/notification-fd \
	    contrib/s6/cellos-telemetryd/type $(DESTDIR)$(S6DIR)/
	install -d $(DESTDIR)$(COMPLETIONDIR)
	install -m 0644 contrib/bash-completion/cellos-telemetryd \
	    contrib/bash-completion/cellos-telemetry $(DESTDIR)$(COMPLETIONDIR)/
	install -d $(DESTDIR)$(DATADIR)/schemas/data
	install -m 0644 schemas/*.json $(DESTDIR)$(DATADIR)/schemas/
	install -m 0644 schemas/data/*.json $(DESTDIR)$(DATADIR)/schemas/data/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/cellos-telemetry \
	    $(DESTDIR)$(SBINDIR)/cellos-telemetryd \
	    $(DESTDIR)$(LIBEXECDIR)/cellos-telemetryd-receiver \
	    $(DESTDIR)$(MANDIR)/man1/cellos-telemetry.1 \
	    $(DESTDIR)$(MANDIR)/man8/cellos-telemetryd.8 \
	    $(DESTDIR)$(UNITDIR)/cellos-telemetryd@.service \
	    $(DESTDIR)$(UNITDIR)/cellos-telemetryd@.socket \
	    $(DESTDIR)$(TMPFILESDIR)/cellos-telemetryd.conf \
	    $(DESTDIR)$(COMPLETIONDIR)/cellos-telemetryd \
	    $(DESTDIR)$(COMPLETIONDIR)/cellos-telemetry
	rm -rf $(DESTDIR)$(S6DIR) $(DESTDIR)$(DATADIR)/schemas
	# the directories that are ours alone, when nothing else is left there
	-rmdir $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)/s6 \
	    $(DESTDIR)$(DATADIR) 2>/dev/null

clean:
	rm -rf $(BUILD) $(BIN)

FORCE:
.PHONY: all check check-arm64 demo bench soak deb fuzz memcheck lint install uninstall clean FORCE
.SECONDARY:

-include $(LIB_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(BUILD)/cmd/*.d $(BUILD)/tests/tools/*.d
