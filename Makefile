# remsim build.  `make help` lists the targets.
#
# Files are found by pattern, so adding a module, a test or a benchmark
# needs no edit here:
#   lib/*.c                    -> build/libremsim.a       (codec, CAN, J1939, ...)
#   sim/*.c conformance/*.c    -> build/libremsim-app.a   (layers above lib/)
#   cli/*.c                    -> build/remsim
#   tests/unit/test_*.c        -> build/tests/test_*      (one cmocka suite each)
#   tests/integration/*.sh     -> run by tests/run.sh
#   bench/bench_*.c            -> build/bench/bench_*
#   tests/fuzz/fuzz_*.c        -> build/fuzz/fuzz_*       (clang, libFuzzer)

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
SAN     ?=
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)

PKGS     := openssl lua5.4 cmocka
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs openssl lua5.4 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
CFLAGS  ?= -O2 -g
CPPFLAGS_ALL := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Iinclude -I. $(PKG_CFLAGS) \
                -DREMSIM_VERSION='"$(VERSION)"'
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
ALL_CFLAGS := $(CPPFLAGS_ALL) $(WARN) $(CFLAGS) $(SANFLAGS) -MMD -MP
LDLIBS_ALL := $(PKG_LIBS) -lev -lpcap -lm

LIB_SRC  := $(wildcard lib/*.c)
APP_SRC  := $(wildcard sim/*.c conformance/*.c)
CLI_SRC  := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/unit/test_*.c)
BENCH_SRC:= $(wildcard bench/bench_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
APP_OBJ  := $(APP_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BIN:= $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

LIBA     := $(BUILD)/libremsim.a
APPA     := $(BUILD)/libremsim-app.a
REMSIM   := $(BUILD)/remsim

.PHONY: all deps test check unit integration sanitize bench bench-fleet fuzz fuzz-smoke demo install clean help

all: $(REMSIM) $(LIBA)

help:
	@echo "make deps      install missing Debian packages (apt-get, as root)"
	@echo "make           build $(REMSIM) and $(LIBA)"
	@echo "make test      deps, build, every test; then again under ASan+UBSan"
	@echo "make bench     benchmarks (rates per core)"
	@echo "make fuzz      libFuzzer on the stream decoder (FUZZ_SECONDS=60)"
	@echo "make demo      deps, build, then the main job on the built-in endpoint"
	@echo "make bench-fleet  the fleet + endpoint benchmarks (50k terminals, 100k frames/s)"
	@echo "make install   PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)"

deps:
	@bash ci/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(APPA): $(APP_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $(APP_OBJ)

$(REMSIM): $(CLI_OBJ) $(APPA) $(LIBA)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $(CLI_OBJ) $(APPA) $(LIBA) $(LDLIBS_ALL)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(APPA) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $< $(APPA) $(LIBA) $(LDLIBS_ALL) -lcmocka

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(APPA) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(APPA) $(LIBA) $(LDLIBS_ALL)

# Unit and integration tests against the current build.
check: $(REMSIM) $(TEST_BIN)
	@BUILD=$(BUILD) REMSIM=$(abspath $(REMSIM)) bash tests/run.sh $(TEST_BIN)

# The whole suite: plain build, then rebuilt with sanitizers.
test: deps
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory BUILD=build/san SAN=1 check

bench: deps $(BENCH_BIN) $(REMSIM)
	@for b in $(BENCH_BIN); do echo "== $$b"; $$b || exit 1; done

# The fleet and the built-in endpoint together on this machine (several
# minutes; docs/run.md).  CASES=50k|speed10|1hz|hj10k picks some.
bench-fleet: deps all
	@python3 bench/fleet.py $(REMSIM) $(CASES)

# libFuzzer targets compile the codec sources themselves, instrumented.
FUZZ_CC ?= clang
FUZZ_FLAGS := $(CPPFLAGS_ALL) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_LIB := lib/error.c lib/time.c lib/field.c lib/profile.c lib/frame.c lib/msg_decode.c lib/msg_encode.c \
            lib/msg_info.c lib/msg_report.c \
            lib/reasm.c lib/vin.c lib/json.c lib/can.c lib/candump.c lib/candump_write.c
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_LIB) -lm

FUZZ_SECONDS ?= 60
fuzz: deps $(FUZZ_BIN)
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

demo: deps all
	@bash ci/demo.sh $(REMSIM)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/remsim \
	           $(DESTDIR)$(PREFIX)/share/remsim/scenarios
	install -m 755 $(REMSIM) $(DESTDIR)$(PREFIX)/bin/remsim
	install -m 644 $(LIBA) $(DESTDIR)$(PREFIX)/lib/libremsim.a
	install -m 644 include/remsim/*.h $(DESTDIR)$(PREFIX)/include/remsim/
	if [ -d scenarios ]; then cp -R scenarios/. $(DESTDIR)$(PREFIX)/share/remsim/scenarios/; fi

clean:
	rm -rf build out

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
