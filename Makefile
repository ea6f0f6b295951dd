# Tessera: box office, gates and a sync server over one C library.
#
#   make            build everything into $(BUILD)/
#   make check      build and run every test; ends with "check: N passed, N failed"
#   make SAN=1      build with AddressSanitizer and UBSan (use a separate BUILD=)
#   make fuzz       build the libFuzzer targets with clang and run each for FUZZ_SECONDS
#   make demo       a local sync server with a sample venue, then the box office
#   make install    the programs, man pages, sample venues and the server's systemd unit
#                   under DESTDIR/PREFIX (default /usr/local); make uninstall takes them away
#
# BUILD=dir keeps a build apart (helpers, sanitizer builds) so that two builds never share objects.

BUILD   ?= build
SAN     ?= 0
CC      ?= gcc
PKG_CONFIG ?= pkg-config

LIBPKGS  = ncursesw sqlite3 libsodium libqrencode zbar libpng libcurl libmicrohttpd jansson gnutls zlib
TESTPKGS = cmocka
TOOLS    = qrencode zbarimg tmux sqlite3 openssl curl groff man

# A fresh Debian machine: install what is missing before anything asks pkg-config.
ifeq ($(filter clean,$(MAKECMDGOALS)),)
ifneq ($(shell $(PKG_CONFIG) --exists $(LIBPKGS) $(TESTPKGS) 2>/dev/null && \
	for t in $(TOOLS); do command -v $$t >/dev/null || exit 1; done && echo ok),ok)
$(info make: libraries or tools are missing; running scripts/install-deps)
ifneq ($(shell scripts/install-deps >&2 && echo ok),ok)
$(error scripts/install-deps failed: install the packages it names, then run make again)
endif
endif
endif

WARN    = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
	  -Wmissing-prototypes -Wformat=2 -Wvla -Wundef -Wwrite-strings -Wimplicit-fallthrough
CSTD    = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
OPT     = -O2 -g
ifeq ($(SAN),1)
OPT     = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
PKGCFLAGS := $(shell $(PKG_CONFIG) --cflags $(LIBPKGS))
PKGLIBS   := $(shell $(PKG_CONFIG) --libs $(LIBPKGS)) -lpthread -lm
TESTCFLAGS := $(shell $(PKG_CONFIG) --cflags $(TESTPKGS))
TESTLIBS   := $(shell $(PKG_CONFIG) --libs $(TESTPKGS))

CFLAGS  += $(CSTD) $(WARN) $(OPT) -MMD -MP -Icommon $(PKGCFLAGS)
LDFLAGS += $(OPT)

COMMON_SRC    := $(sort $(wildcard common/*.c))
SYNC_SRC      := $(filter-out sync/main.c,$(sort $(wildcard sync/*.c)))
BOXOFFICE_SRC := $(filter-out boxoffice/main.c,$(sort $(wildcard boxoffice/*.c)))
SCANNER_SRC   := $(filter-out scanner/main.c,$(sort $(wildcard scanner/*.c)))
TEST_SRC      := $(sort $(wildcard tests/test_*.c))
SHELL_TESTS   := $(sort $(wildcard tests/t[0-9]*.sh))

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIBTESSERA    = $(BUILD)/libtessera.a
LIBSYNC       = $(BUILD)/libsync.a
LIBBOXOFFICE  = $(BUILD)/libboxoffice.a
LIBSCANNER    = $(BUILD)/libscanner.a
# A program is built once its folder has a main.c.
PROGRAMS      = $(patsubst %/main.c,$(BUILD)/tessera-%,$(wildcard sync/main.c boxoffice/main.c scanner/main.c))
TESTS         = $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))

.PHONY: all check fuzz fuzzers demo clean bench
# Keep the objects make would otherwise delete as intermediates.
.SECONDARY:
all: $(PROGRAMS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TESTCFLAGS) -Itests -Isync -Iboxoffice -Iscanner -c $< -o $@

$(LIBTESSERA): $(call obj,$(COMMON_SRC))
$(LIBSYNC): $(call obj,$(SYNC_SRC))
$(LIBBOXOFFICE): $(call obj,$(BOXOFFICE_SRC))
$(LIBSCANNER): $(call obj,$(SCANNER_SRC))
$(BUILD)/lib%.a:
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tessera-sync: $(BUILD)/sync/main.o $(LIBSYNC) $(LIBTESSERA)
$(BUILD)/tessera-boxoffice: $(BUILD)/boxoffice/main.o $(LIBBOXOFFICE) $(LIBTESSERA)
$(BUILD)/tessera-scanner: $(BUILD)/scanner/main.o $(LIBSCANNER) $(LIBTESSERA)
$(PROGRAMS):
	$(CC) $(LDFLAGS) -o $@ $^ $(PKGLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIBSYNC) $(LIBBOXOFFICE) $(LIBSCANNER) $(LIBTESSERA)
	$(CC) $(LDFLAGS) -o $@ $^ $(TESTLIBS) $(PKGLIBS)
# test_stamp's clock ticks between any two readings: every time() of the library is its own.
$(BUILD)/tests/test_stamp: LDFLAGS += -Wl,--wrap=time

FUZZ_SRC     := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BUILD    = $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS   = $(CSTD) -g -O1 -fsanitize=fuzzer,address,undefined -Icommon $(PKGCFLAGS)
FUZZERS       = $(patsubst fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRC))
# make check runs each fuzzer briefly when clang is there (it is on Debian's build machines).
FUZZ_CHECK   := $(if $(shell command -v clang),$(FUZZERS))

# Every cmocka binary and every shell test runs; one line of summary at the end.
check: $(PROGRAMS) $(TESTS) $(FUZZ_CHECK)
	@BUILD=$(abspath $(BUILD)) SRCDIR=$(CURDIR) tests/run-tests $(TESTS) $(SHELL_TESTS) $(FUZZ_CHECK)

$(FUZZ_BUILD)/%: fuzz/%.c $(COMMON_SRC)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $^ $(PKGLIBS)

fuzzers: $(FUZZERS)
fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do \
		n=$$(basename $$f); mkdir -p $(FUZZ_BUILD)/corpus-$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) $(FUZZ_BUILD)/corpus-$$n fuzz/seeds/$$n || exit 1; \
	done

# make torture: the long fault tests of docs/reliability.md: every tests/test_fault_* and
# tests/t4*.sh with TESSERA_TORTURE=1 (10,000 scans offline, 100 server kills, a minute of door
# time...), then each fuzzer for TORTURE_FUZZ_SECONDS; prints every figure measured.
TORTURE_TESTS        = $(filter $(BUILD)/tests/test_fault_%,$(TESTS)) $(filter tests/t4%,$(SHELL_TESTS))
TORTURE_FUZZ_SECONDS ?= 20

.PHONY: torture
torture: $(PROGRAMS) $(TESTS) $(FUZZ_CHECK)
	@BUILD=$(abspath $(BUILD)) SRCDIR=$(CURDIR) TESSERA_TORTURE=1 tests/run-tests \
	    $(TORTURE_TESTS); rc=$$?; \
	for f in $(FUZZ_CHECK); do \
		n=$$(basename $$f); mkdir -p $(FUZZ_BUILD)/corpus-$$n; \
		if $$f -max_total_time=$(TORTURE_FUZZ_SECONDS) -seed=1 $(FUZZ_BUILD)/corpus-$$n \
		    $$([ -d fuzz/seeds/$$n ] && echo fuzz/seeds/$$n) \
		    >$(BUILD)/test-logs/torture-$$n.log 2>&1; then \
			runs=$$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' \
			    $(BUILD)/test-logs/torture-$$n.log); \
			echo "figure: fuzz: $$n: $$runs runs in $(TORTURE_FUZZ_SECONDS) s, no crash" \
			    >>$(BUILD)/test-logs/torture-fuzz.log; \
		else echo "FAIL $$n (log: $(BUILD)/test-logs/torture-$$n.log)"; rc=1; fi; \
	done; \
	echo "torture figures:"; \
	for t in $(notdir $(TORTURE_TESTS)) torture-fuzz; do \
		grep -h '^figure:' $(BUILD)/test-logs/$$t.log 2>/dev/null; \
	done; \
	rm -f $(BUILD)/test-logs/torture-fuzz.log; exit $$rc

# make bench: build bench/ and run every figure, print the table and write $(BENCH_CSV)
# (docs/performance.md). Not part of make check. BENCH_ARGS="-q" is a smoke run with tiny sizes;
# BENCH_ARGS="gate scan" runs only those figures; sizes come from BENCH_* variables.
BENCH_SRC     := $(sort $(wildcard bench/*.c))
BENCH_BIN      = $(BUILD)/tessera-bench
BENCH_CSV     ?= bench/results.csv
BENCH_ARGS    ?=
BENCH_SCANNER  = $(filter %/tessera-scanner,$(PROGRAMS))

$(BUILD)/bench/%.o: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ibench -Isync -c $< -o $@

$(BENCH_BIN): $(call obj,$(BENCH_SRC)) $(LIBSYNC) $(LIBTESSERA)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKGLIBS)

bench: $(BENCH_BIN) $(BENCH_SCANNER)
	$(BENCH_BIN) -o $(BENCH_CSV) $(if $(BENCH_SCANNER),-s $(BENCH_SCANNER)) $(BENCH_ARGS)

demo: $(PROGRAMS)
	@scripts/demo $(BUILD)

# make install PREFIX=/usr/local DESTDIR=: the programs, the manual, the sample venues, and the
# server's systemd unit (running as the user "tessera", which the sysusers.d file declares, with
# its store in /var/lib/tessera: docs/operating.md). Nothing outside DESTDIR is touched: no user
# is made and no service is started. make uninstall removes exactly the files install put.
PREFIX      ?= /usr/local
DESTDIR     ?=
INSTALL     ?= install
BINDIR       = $(PREFIX)/bin
MANDIR       = $(PREFIX)/share/man
DATADIR      = $(PREFIX)/share/tessera
UNITDIR      = $(PREFIX)/lib/systemd/system
SYSUSERSDIR  = $(PREFIX)/lib/sysusers.d
MAN1         = $(sort $(wildcard man/*.1))
MAN7         = $(sort $(wildcard man/*.7))
VENUES       = $(sort $(wildcard data/venues/*.csv))
INSTALLED    = $(addprefix $(BINDIR)/,$(notdir $(PROGRAMS))) \
	       $(addprefix $(MANDIR)/man1/,$(notdir $(MAN1))) \
	       $(addprefix $(MANDIR)/man7/,$(notdir $(MAN7))) \
	       $(addprefix $(DATADIR)/venues/,$(notdir $(VENUES))) \
	       $(UNITDIR)/tessera-sync.service $(SYSUSERSDIR)/tessera.conf

.PHONY: install uninstall
install: $(PROGRAMS)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(DATADIR)/venues $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	$(INSTALL) -m 0755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 0644 $(MAN7) $(DESTDIR)$(MANDIR)/man7/
	$(INSTALL) -m 0644 $(VENUES) $(DESTDIR)$(DATADIR)/venues/
	sed 's|@BINDIR@|$(BINDIR)|g' dist/tessera-sync.service.in \
	    >$(DESTDIR)$(UNITDIR)/tessera-sync.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/tessera-sync.service
	$(INSTALL) -m 0644 dist/tessera.sysusers $(DESTDIR)$(SYSUSERSDIR)/tessera.conf

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rmdir $(DESTDIR)$(DATADIR)/venues $(DESTDIR)$(DATADIR) 2>/dev/null || :

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
