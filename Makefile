# lockmap: `make` builds, `make check` tests, `make demo` shows it working.
# `make help` lists the targets.

CC       ?= cc
PKGS     := jansson inih libkmod libarchive libsystemd libvirt libxml-2.0
CFLAGS   ?= -O2 -g
CFLAGS   += -DLOCKMAP_VERSION=\"$(shell git describe --always --dirty 2>/dev/null || echo 0.1)\"
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread \
            -iquote harness/src -iquote harness/kmod $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -ljansson -linih -lkmod -larchive -lsystemd -lvirt -lxml2) -pthread -lm
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

SRC      := $(wildcard harness/src/*.c)
LIBSRC   := $(filter-out harness/src/main.c,$(SRC))
UNITSRC  := $(wildcard tests/unit/test_*.c)
# The harness's headers, and the guest's table its profile checks read.
HDRS     := $(wildcard harness/src/*.h) guests/tickguest/tickguest_params.h

B        := build
S        := build-san

Q        := @
ifeq ($(V),1)
Q        :=
endif

.PHONY: all check check-slow control demo bench lint deps help clean install unit tickguest fuzz
all: $(B)/lockmap tickguest

help:
	@echo "make            build build/lockmap and build/tickguest.elf"
	@echo "make check      install missing packages, build, run every test"
	@echo "make check-slow the tests that build lab kernels (the positive control)"
	@echo "make control    build the fixed and unfixed lab kernels, run the control profile on both"
	@echo "make demo       install missing packages, build, run the demo profile"
	@echo "make unit       build the unit tests and yamlq (plain and ASan+UBSan)"
	@echo "make fuzz       build the libFuzzer targets (clang) in build/fuzz"
	@echo "make lint       shellcheck every script, cppcheck the harness"
	@echo "make install    install lockmap and its guest under PREFIX (/usr/local)"
	@echo "make clean      remove build/ and build-san/"
	@echo "V=1             show full command lines"

# ---- harness ----
$(B)/obj/%.o: harness/src/%.c $(HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(S)/obj/%.o: harness/src/%.c $(HDRS)
	@mkdir -p $(@D)
	@echo "  CC-SAN  $<"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -c -o $@ $<

$(B)/liblockmap.a: $(patsubst harness/src/%.c,$(B)/obj/%.o,$(LIBSRC))
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(S)/liblockmap.a: $(patsubst harness/src/%.c,$(S)/obj/%.o,$(LIBSRC))
	@echo "  AR-SAN  $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/lockmap: $(B)/obj/main.o $(B)/liblockmap.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(S)/lockmap: $(S)/obj/main.o $(S)/liblockmap.a
	@echo "  LD-SAN  $@"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LDLIBS)

# ---- the guest ----
tickguest:
	$(Q)$(MAKE) -s -C guests/tickguest O=$(CURDIR)/$(B)

# ---- unit tests (cmocka), plain and sanitized ----
$(B)/tests/%: tests/unit/%.c tests/unit/testutil.h $(B)/liblockmap.a
	@mkdir -p $(@D)
	@echo "  TEST    $@"
	$(Q)$(CC) $(CFLAGS) -iquote tests/unit -o $@ $< $(B)/liblockmap.a $(LDLIBS) -lcmocka

$(S)/tests/%: tests/unit/%.c tests/unit/testutil.h $(S)/liblockmap.a
	@mkdir -p $(@D)
	@echo "  TEST-SAN $@"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -iquote tests/unit -o $@ $< $(S)/liblockmap.a $(LDLIBS) -lcmocka

# yamlq, the YAML checker of the shell tests (libyaml; Debian's yq is Python),
# plain and sanitized: tests/e2e/yamlq.sh runs the sanitized one on broken YAML.
YAMLLIBS := $(shell pkg-config --libs yaml-0.1 2>/dev/null || echo -lyaml)
$(B)/tests/yamlq: tests/tools/yamlq.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(YAMLLIBS)

$(S)/tests/yamlq: tests/tools/yamlq.c
	@mkdir -p $(@D)
	@echo "  CC-SAN  $@"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $< $(YAMLLIBS)

# notify_sink, systemd's notify and journal sockets for the soak's tests.
$(B)/tests/notify_sink: tests/tools/notify_sink.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $<

UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNITSRC)) \
             $(patsubst tests/unit/%.c,$(S)/tests/%,$(UNITSRC)) \
             $(B)/tests/yamlq $(S)/tests/yamlq $(B)/tests/notify_sink
unit: $(UNIT_BINS)

# ---- fuzz targets (clang's libFuzzer), when clang can link one ----
# fuzz_classify is built from only what it needs, with clang and instrumented;
# a new dependency of classify.c shows up here, in `make check`, as an
# undefined symbol. fuzz_profile takes the whole harness (see below). `make fuzz` without clang, or without
# libFuzzer, writes why to build/fuzz/skip: tests/fuzz/run.sh skips with it.
FUZZCC   ?= clang
FUZZSAN  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
F        := $(B)/fuzz
FUZZOBJ  := $(patsubst %,$(F)/obj/%.o,classify kmsg text util)

$(F)/obj/%.o: harness/src/%.c $(HDRS)
	@mkdir -p $(@D)
	@echo "  CC-FUZZ $<"
	$(Q)$(FUZZCC) $(CFLAGS) -O1 $(FUZZSAN) -fsanitize=fuzzer-no-link -c -o $@ $<

$(F)/fuzz_classify: tests/fuzz/fuzz_classify.c $(FUZZOBJ)
	@echo "  LD-FUZZ $@"
	$(Q)$(FUZZCC) $(CFLAGS) -O1 $(FUZZSAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# The profile loader reaches the injectors' and launchers' tables (their keys
# and checks), so fuzz_profile links the harness but its commands, as an archive
# from which the linker takes what it needs.
$(F)/liblockmap.a: $(patsubst harness/src/%.c,$(F)/obj/%.o,$(filter-out harness/src/cmd_%.c,$(LIBSRC)))
	@echo "  AR-FUZZ $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(F)/fuzz_profile: tests/fuzz/fuzz_profile.c $(F)/liblockmap.a
	@echo "  LD-FUZZ $@"
	$(Q)$(FUZZCC) $(CFLAGS) -O1 $(FUZZSAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz:
	@mkdir -p $(F)
	$(Q)rm -f $(F)/skip; \
	if ! command -v $(FUZZCC) >/dev/null 2>&1; then \
		echo "$(FUZZCC) is not installed (apt-get install clang libclang-rt-dev)" >$(F)/skip; \
	elif ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return !d && n; }' | \
		$(FUZZCC) -fsanitize=fuzzer -x c -o $(F)/probe - >/dev/null 2>&1; then \
		echo "$(FUZZCC) cannot link libFuzzer (apt-get install libclang-rt-dev)" >$(F)/skip; \
	fi; \
	rm -f $(F)/probe; \
	if [ -f $(F)/skip ]; then echo "  SKIP    fuzz: $$(cat $(F)/skip)"; \
	else $(MAKE) --no-print-directory $(F)/fuzz_classify $(F)/fuzz_profile; fi

deps:
	$(Q)LOCKMAP_LAB_KERNEL=1 sh scripts/install-deps.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all unit $(S)/lockmap fuzz
	$(Q)sh tests/run.sh

# Kernel builds (harness/lab/build-kernel.sh) make these too slow for `make
# check`: .ci/run runs them after it when LOCKMAP_SLOW=1.
check-slow: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh tests/run.sh slow

control: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh scripts/control.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh scripts/demo.sh

bench: all
	$(Q)sh tests/bench.sh

lint:
	$(Q)shellcheck -x -s sh scripts/*.sh tests/*.sh tests/e2e/*.sh tests/slow/*.sh tests/fuzz/*.sh tests/lib/*.sh harness/lab/*.sh guests/linux/*.sh harness/slurm/*.sbatch .ci/run
	$(Q)cppcheck -q --error-exitcode=1 --enable=warning,portability -Iharness/src harness/src

PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
LIBDIR        ?= $(PREFIX)/lib
MANDIR        ?= $(PREFIX)/share/man
# /etc for a system's lockmap (PREFIX=/usr); else beside it, as autotools'
# sysconfdir: a `make install PREFIX=DIR` writes nothing outside DIR.
SYSCONFDIR    ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
UNITS         := lockmap-soak.service lockmap-soak@.service lockmap-soak.timer
# The units name the installed lockmap and profiles: @bindir@ and
# @sysconfdir@ become BINDIR and SYSCONFDIR.
UNITSED       := -e 's|@bindir@|$(BINDIR)|g' -e 's|@sysconfdir@|$(SYSCONFDIR)|g'
install: all
	install -D -m 0755 $(B)/lockmap $(DESTDIR)$(BINDIR)/lockmap
	install -D -m 0644 $(B)/tickguest.elf $(DESTDIR)$(LIBDIR)/lockmap/tickguest.elf
	install -d $(DESTDIR)$(LIBDIR)/lockmap/libvirt
	install -m 0644 guests/libvirt/*.xml $(DESTDIR)$(LIBDIR)/lockmap/libvirt/
	install -D -m 0755 harness/lab/init.sh $(DESTDIR)$(LIBDIR)/lockmap/lab/init.sh
	install -D -m 0755 guests/linux/build-initramfs.sh \
		$(DESTDIR)$(LIBDIR)/lockmap/linux/build-initramfs.sh
	install -D -m 0755 guests/linux/init.sh $(DESTDIR)$(LIBDIR)/lockmap/linux/init.sh
	install -D -m 0755 harness/lab/build-kernel.sh $(DESTDIR)$(LIBDIR)/lockmap/lab/build-kernel.sh
	install -D -m 0644 harness/lab/lab.config $(DESTDIR)$(LIBDIR)/lockmap/lab/lab.config
	install -D -m 0644 harness/lab/patches/revert-periodic-timer-catchup-fix.patch \
		$(DESTDIR)$(LIBDIR)/lockmap/lab/patches/revert-periodic-timer-catchup-fix.patch
	install -d $(DESTDIR)$(LIBDIR)/lockmap/kmod
	install -m 0644 harness/kmod/*.c harness/kmod/*.h harness/kmod/Kbuild harness/kmod/Makefile \
		$(DESTDIR)$(LIBDIR)/lockmap/kmod/
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	for u in $(UNITS); do \
		sed $(UNITSED) harness/systemd/$$u >$(DESTDIR)$(SYSTEMDUNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done
	install -d $(DESTDIR)$(SYSCONFDIR)/lockmap
	# A profile already there is the admin's: it stays as it is.
	for p in profiles/*.profile; do \
		d=$(DESTDIR)$(SYSCONFDIR)/lockmap/$$(basename $$p); \
		[ -e $$d ] || install -m 0644 $$p $$d || exit 1; \
	done
	install -D -m 0644 harness/man/lockmap.1 $(DESTDIR)$(MANDIR)/man1/lockmap.1

clean:
	rm -rf $(B) $(S)
	$(Q)$(MAKE) -s -C guests/tickguest clean O=$(CURDIR)/$(B) 2>/dev/null || true
