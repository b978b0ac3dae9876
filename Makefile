# SPDX-License-Identifier: EUPL-1.2
# smimewatch: GNU make. `make`, `make check`, `make demo`, `make install`, `make deb`,
# `make clean`.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR   ?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
CATALOGDIR ?= /usr/lib/systemd/catalog
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

BUILD     ?= build
CC        ?= cc
CFLAGS    ?= -O2 -g
WARNINGS  := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
PKGS      := openssl ldap libsystemd jansson
# The allocator: jemalloc (see src/cycle.c), or glibc's with MALLOC=glibc.
# The sanitizers bring their own.
MALLOC    ?= jemalloc
ifneq ($(SANFLAGS),)
override MALLOC := glibc
endif
ifeq ($(filter $(MALLOC),jemalloc glibc),)
$(error MALLOC=$(MALLOC): the allocator is jemalloc or glibc)
endif
ifeq ($(MALLOC),jemalloc)
PKGS      += jemalloc
MALLOC_CFLAGS := -DSW_JEMALLOC
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)
ALL_CFLAGS = -std=c11 -pthread -D_GNU_SOURCE -DSMIMEWATCH_VERSION='"$(VERSION)"' -Iinclude $(MALLOC_CFLAGS) \
             $(WARNINGS) $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS) -pthread

SRC       := $(wildcard src/*.c)
LIB_OBJ   := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(filter-out src/main.c,$(SRC)))
TESTLIB_SRC := $(wildcard tests/lib/*.c)
TESTLIB_OBJ := $(patsubst tests/lib/%.c,$(BUILD)/tests/lib/%.o,$(TESTLIB_SRC))
TEST_SRC  := $(wildcard tests/check_*.c)
TEST_BIN  := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
# Heavy tests that run once per make check, in the plain pass: check_deb
# builds the Debian package, lints and installs it.
ONCE_TESTS := $(BUILD)/tests/check_deb
ifneq ($(SANFLAGS),)
TEST_BIN  := $(filter-out $(ONCE_TESTS),$(TEST_BIN))
endif
SAN       := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.SECONDARY:
.PHONY: all check check-plain check-san test deps demo bench fuzz analyze soak install uninstall clean deb

all: $(BUILD)/smimewatch

$(BUILD)/obj/%.o: src/%.c $(wildcard include/*.h) | $(BUILD)/obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libsmimewatch.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/smimewatch: $(BUILD)/obj/main.o $(BUILD)/libsmimewatch.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/lib/%.o: tests/lib/%.c $(wildcard tests/lib/*.h include/*.h) | $(BUILD)/tests/lib
	$(CC) $(ALL_CFLAGS) -Itests/lib $(shell pkg-config --cflags check) -c -o $@ $<

$(BUILD)/tests/check_%: tests/check_%.c $(TESTLIB_OBJ) $(BUILD)/libsmimewatch.a $(wildcard tests/lib/*.h)
	$(CC) $(ALL_CFLAGS) -Itests/lib $(shell pkg-config --cflags check) $(ALL_LDFLAGS) \
	    -o $@ $< $(TESTLIB_OBJ) $(BUILD)/libsmimewatch.a $(PKG_LIBS) $(CHECK_LIBS)

# check_fuzz replays the committed fuzz corpora through each target's
# function, renamed from LLVMFuzzerTestOneInput to NAME_one.
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_OBJ  := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/fuzz/%.o,$(FUZZ_SRC))
$(BUILD)/tests/fuzz/%.o: tests/fuzz/%.c $(wildcard tests/fuzz/*.h include/*.h) | $(BUILD)/tests/fuzz
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -DLLVMFuzzerTestOneInput=$*_one -c -o $@ $<

$(BUILD)/tests/fuzz/fuzz-targets.h: $(FUZZ_SRC) | $(BUILD)/tests/fuzz
	for t in $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRC)); do echo "FUZZ_TARGET($$t)"; done > $@

$(BUILD)/tests/check_fuzz: tests/check_fuzz.c $(FUZZ_OBJ) $(BUILD)/tests/fuzz/fuzz-targets.h \
                           $(TESTLIB_OBJ) $(BUILD)/libsmimewatch.a $(wildcard tests/lib/*.h)
	$(CC) $(ALL_CFLAGS) -Itests/lib -I$(BUILD)/tests/fuzz $(shell pkg-config --cflags check) \
	    $(ALL_LDFLAGS) -o $@ $< $(FUZZ_OBJ) $(TESTLIB_OBJ) $(BUILD)/libsmimewatch.a $(PKG_LIBS) \
	    $(CHECK_LIBS)

$(BUILD)/obj $(BUILD)/tests/lib $(BUILD)/tests/fuzz:
	mkdir -p $@

# tests/bench's data generator: built for the bench only, never by make check.
$(BUILD)/tests/benchgen: tests/benchgen.c $(BUILD)/tests/lib/certgen.o $(BUILD)/libsmimewatch.a
	$(CC) $(ALL_CFLAGS) -Itests/lib $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The tests find the binary, the sources and the data through these.
# KILL9_ROUNDS: how often check_service's kill_nine kills the service
# (default 20); the first pass of make check does the full 200, once.
test: $(BUILD)/smimewatch $(TEST_BIN)
	@SMIMEWATCH_BIN=$(abspath $(BUILD)/smimewatch) SMIMEWATCH_SRCDIR=$(CURDIR) \
	    SMIMEWATCH_KILL9_ROUNDS=$(KILL9_ROUNDS) tests/run-tests $(TEST_BIN)

# Everything twice: an ordinary build, then one under ASan and UBSan.
check: deps
	$(MAKE) test KILL9_ROUNDS=200
	$(MAKE) BUILD=build-san SANFLAGS="$(SAN)" CFLAGS="-O1 -g" test

check-plain: deps
	$(MAKE) test

deps:
	@.ci/deps build

# One --verify cycle over 10,000 mailboxes, timed beside openssl verify, with
# a large CRL and at three sizes (see tests/bench --help).
BENCH_ARGS ?= --crl-compare 100000 --scale 1000,10000,50000
bench: deps $(BUILD)/smimewatch $(BUILD)/tests/benchgen
	@SMIMEWATCH_BIN=$(abspath $(BUILD)/smimewatch) \
	    SMIMEWATCH_BENCHGEN=$(abspath $(BUILD)/tests/benchgen) tests/bench $(BENCH_ARGS)

demo: deps
	@.ci/deps demo
	$(MAKE) all
	@SMIMEWATCH_BIN=$(abspath $(BUILD)/smimewatch) tests/demo

# The service for SOAK_CHECKS checks (SIGUSR1 asks for each) against a
# slapd whose entries change before every check, twice: built plainly, where
# RSS must stay flat after check 50, and with ASan, UBSan and LeakSanitizer,
# where nothing may leak at exit (ASan's allocator makes RSS meaningless
# there: tests/check_service.c, soak). Both: exact journal entries per
# change, constant open files, the figures printed. Minutes (about 4 for
# 300 checks), so not part of make check.
SOAK_CHECKS ?= 300
soak: deps
	$(MAKE) $(BUILD)/smimewatch $(BUILD)/tests/check_service
	$(MAKE) BUILD=build-san SANFLAGS="$(SAN)" CFLAGS="-O1 -g" build-san/smimewatch \
	    build-san/tests/check_service
	SMIMEWATCH_BIN=$(abspath $(BUILD)/smimewatch) SMIMEWATCH_SRCDIR=$(CURDIR) CK_RUN_CASE=soak \
	    SMIMEWATCH_SOAK_CHECKS=$(SOAK_CHECKS) tests/journald-ns $(BUILD)/tests/check_service
	SMIMEWATCH_BIN=$(abspath build-san/smimewatch) SMIMEWATCH_SRCDIR=$(CURDIR) CK_RUN_CASE=soak \
	    SMIMEWATCH_SOAK_CHECKS=$(SOAK_CHECKS) tests/journald-ns build-san/tests/check_service

# libFuzzer targets of the parsers of outside bytes (clang's runtime from
# Debian's libclang-rt-14-dev), one tests/fuzz/fuzz_NAME.c each: each runs
# FUZZ_SECONDS on its own corpus (build-fuzz/corpus-NAME, seeded from the
# committed tests/fuzz/corpus/NAME) and prints how many inputs it ran (and
# how many a second). A
# crash stops make with the input in build-fuzz/crash-NAME-*: add it to
# tests/fuzz/corpus/NAME, where make check replays every file (check_fuzz).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
fuzz: deps
	@.ci/deps fuzz
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="-O1 -g" \
	    SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
	    build-fuzz/libsmimewatch.a
	for t in $(FUZZ_TARGETS); do \
	    clang -std=c11 -D_GNU_SOURCE -Iinclude -Itests/fuzz -O1 -g \
	        -fsanitize=fuzzer,address,undefined -o build-fuzz/$$t tests/fuzz/$$t.c \
	        build-fuzz/libsmimewatch.a $(PKG_LIBS) -pthread && \
	    mkdir -p build-fuzz/corpus-$$t && \
	    build-fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 \
	        -artifact_prefix=build-fuzz/crash-$$t- build-fuzz/corpus-$$t tests/fuzz/corpus/$$t \
	        > build-fuzz/$$t.log 2>&1; rc=$$?; \
	    execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' build-fuzz/$$t.log); \
	    rate=$$(sed -n 's/^stat::average_exec_per_sec: *//p' build-fuzz/$$t.log); \
	    echo "fuzz: $$t: $${execs:-?} executions in $(FUZZ_SECONDS) s ($${rate:-?}/s)"; \
	    if [ $$rc != 0 ]; then tail -40 build-fuzz/$$t.log; exit 1; fi; \
	done

# Static analysis of src/: GCC's -fanalyzer and cppcheck, no findings
# allowed (a finding that is wrong is suppressed where it is, with why: GCC
# 12 honours #pragma GCC diagnostic around the function for the analyzer's
# warnings, which is how its false leaks of pointers stored into the
# caller's arrays are silenced, one function each).
ANALYZER := -fanalyzer -Werror
analyze:
	@.ci/deps analyze
	@rm -rf build-analyze && mkdir -p build-analyze
	@for f in $(SRC); do \
	    echo "gcc -fanalyzer $$f"; \
	    $(CC) $(ALL_CFLAGS) $(ANALYZER) -c -o build-analyze/$$(basename $$f .c).o $$f || exit 1; \
	done
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
	    --inline-suppr --std=c11 -D_GNU_SOURCE -Iinclude --suppress=missingIncludeSystem \
	    src/
	@echo "analyze: gcc -fanalyzer and cppcheck found nothing in src/"

install: $(BUILD)/smimewatch
	install -D -m 0755 $(BUILD)/smimewatch $(DESTDIR)$(SBINDIR)/smimewatch
	install -D -m 0644 conf/smimewatch.conf $(DESTDIR)$(SYSCONFDIR)/smimewatch/smimewatch.conf.example
	[ -e $(DESTDIR)$(SYSCONFDIR)/smimewatch/smimewatch.conf ] || \
	    install -m 0644 conf/smimewatch.conf $(DESTDIR)$(SYSCONFDIR)/smimewatch/smimewatch.conf
	for m in man/*.[0-9]; do install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	if [ -f systemd/smimewatch.service ]; then \
	    sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/smimewatch.service > $(BUILD)/smimewatch.service && \
	    install -D -m 0644 $(BUILD)/smimewatch.service $(DESTDIR)$(UNITDIR)/smimewatch.service; fi
	for c in systemd/*.catalog; do [ -f "$$c" ] && install -D -m 0644 $$c $(DESTDIR)$(CATALOGDIR)/$${c##*/}; done; true
	install -D -m 0644 completion/smimewatch.bash $(DESTDIR)$(BASHCOMPDIR)/smimewatch

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/smimewatch $(DESTDIR)$(UNITDIR)/smimewatch.service
	rm -f $(DESTDIR)$(CATALOGDIR)/smimewatch*.catalog $(DESTDIR)$(MANDIR)/man*/smimewatch*
	rm -f $(DESTDIR)$(BASHCOMPDIR)/smimewatch

# The Debian package, built in a copy of the tree under $(BUILD)/deb so that
# the tree stays clean: $(BUILD)/deb/smimewatch_$(VERSION)_<arch>.deb.
DEB_DIR = $(BUILD)/deb
deb: deps
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/smimewatch-$(VERSION)
	tar -c --exclude='./build*' --exclude=./.git . | tar -x -C $(DEB_DIR)/smimewatch-$(VERSION)
	cd $(DEB_DIR)/smimewatch-$(VERSION) && env -u MAKEFLAGS -u MAKELEVEL \
	    dpkg-buildpackage -us -uc -b
	@ls $(DEB_DIR)/smimewatch_$(VERSION)_*.deb

clean:
	rm -rf build build-san build-fuzz build-analyze
