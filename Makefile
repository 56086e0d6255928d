# svcwrap: one non-recursive Makefile.
#
#   make              native binary            build/posix/svcwrap
#   make win          Windows binary           build/win/svcwrap.exe
#   make san          native, ASan + UBSan     build/posix-san/svcwrap
#   make children     the test child programs (C and Go, both platforms)
#   make test         everything: unit + native integration + Windows under Wine
#   make unit | itest | wtest    one part of it
#   make demo         build, install the example service under Wine, run it
#   make fuzz         the config/argument fuzzer, for FUZZ_SECONDS (600)
#   make bench        benchmarks beside the peers (docs/benchmarks.md)
#   make lint | format | format-check | clean
#   make V=1          show the commands

CC        ?= cc
WIN_CC    := x86_64-w64-mingw32-gcc
Q         := $(if $(V),,@)

WARN := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
        -Wshadow -Wpointer-arith -Wformat=2 -Wwrite-strings -Wvla \
        -Wmissing-declarations -Wsign-compare
STD  := -std=c11
# The test children are test tools, held to -Wall -Wextra -Werror only.
CHILD_WARN := -Wall -Wextra -Werror

# inih is built from its source for both platforms (scripts/win-deps), with
# the switches svcwrap needs; libuv and cJSON are Debian's packages here.
POSIX_DEPS   := build/deps/posix
NATIVE_PKGS  := libuv libcjson
NATIVE_CFLAGS = $(STD) $(WARN) -O2 -g -D_POSIX_C_SOURCE=200809L \
                -D_DEFAULT_SOURCE -Isrc -I$(POSIX_DEPS)/include \
                $(shell pkg-config --cflags $(NATIVE_PKGS))
NATIVE_LIBS   = $(POSIX_DEPS)/lib/libinih.a $(shell pkg-config --libs $(NATIVE_PKGS))
HARDEN        := -fstack-protector-strong -D_FORTIFY_SOURCE=2
SAN           := -fsanitize=address,undefined -fno-omit-frame-pointer \
                 -fno-sanitize-recover=all

WIN_DEPS   := build/deps/win
WIN_CFLAGS := $(STD) $(WARN) -O2 -g -Isrc -I$(WIN_DEPS)/include \
              -D_WIN32_WINNT=0x0A00 -DUNICODE -D_UNICODE \
              -D__USE_MINGW_ANSI_STDIO=1
WIN_LIBS   := $(WIN_DEPS)/lib/libuv.a $(WIN_DEPS)/lib/libinih.a \
              $(WIN_DEPS)/lib/libcjson.a -lws2_32 -liphlpapi -luserenv \
              -lpsapi -lole32 -ldbghelp -luuid -lshell32 -luser32 -ladvapi32
WIN_LDFLAGS := -municode -static -Wl,--dynamicbase -Wl,--nxcompat \
               -Wl,--high-entropy-va

CORE_SRC  := $(wildcard src/core/*.c)
BASE_SRC  := $(wildcard src/base/*.c)
APP_SRC   := $(wildcard src/app/*.c) src/main.c
POSIX_SRC := $(wildcard src/os/posix/*.c src/os/common/*.c)
WIN_SRC   := $(wildcard src/os/win/*.c src/os/common/*.c)

POSIX_OBJ := $(patsubst %.c,build/posix/obj/%.o,$(CORE_SRC) $(BASE_SRC) $(APP_SRC) $(POSIX_SRC))
SAN_OBJ   := $(patsubst %.c,build/posix-san/obj/%.o,$(CORE_SRC) $(BASE_SRC) $(APP_SRC) $(POSIX_SRC))
WIN_OBJ   := $(patsubst %.c,build/win/obj/%.o,$(CORE_SRC) $(BASE_SRC) $(APP_SRC) $(WIN_SRC)) \
             build/win/obj/messages.o
# Unit tests link the pure core and the app pieces that need no OS (the
# log writer's tests stand in for the wrapper log themselves).
SAN_CORE_OBJ := $(patsubst %.c,build/posix-san/obj/%.o,$(CORE_SRC) \
                  src/app/output.c src/app/logfile.c src/app/logwriter.c)

# ...and the glue run.c needs, over the fake OS backend (src/os/fake/,
# tests only: never in a shipped binary), so tests/unit/test_run.c drives
# `run` without processes.
FAKE_SRC     := $(wildcard src/os/fake/*.c)
UNIT_APP_SRC := src/app/run.c src/app/capture.c src/app/endpoint.c \
                src/app/fsutil.c src/base/log.c src/app/config_file.c \
                src/app/health_probe.c src/app/health_limits.c \
                src/app/hooks.c src/app/metrics.c
SAN_FAKE_OBJ := $(patsubst %.c,build/posix-san/obj/%.o,$(UNIT_APP_SRC) $(FAKE_SRC))

UNIT_SRC  := $(wildcard tests/unit/*.c)
UNIT_OBJ  := $(patsubst %.c,build/posix-san/obj/%.o,$(UNIT_SRC))

GO_ENV := GOCACHE=$(CURDIR)/build/gocache GO111MODULE=off CGO_ENABLED=0
GO_SRC := $(wildcard tests/children/gochild/*.go)

.PHONY: all win san children unit itest wtest test demo fuzz bench lint \
        format format-check clean setup deps-win
all: build/posix/svcwrap

setup:
	$(Q)scripts/setup

# ---- native -----------------------------------------------------------------
$(POSIX_DEPS)/.stamp: scripts/win-deps
	$(Q)scripts/win-deps posix

build/posix/obj/%.o: %.c $(POSIX_DEPS)/.stamp
	@mkdir -p $(@D)
	$(Q)$(CC) $(NATIVE_CFLAGS) $(HARDEN) -MMD -MP -c $< -o $@

build/posix/svcwrap: $(POSIX_OBJ)
	$(Q)$(CC) -o $@ $^ $(NATIVE_LIBS)
	@echo "built $@"

build/posix-san/obj/%.o: %.c $(POSIX_DEPS)/.stamp
	@mkdir -p $(@D)
	$(Q)$(CC) $(NATIVE_CFLAGS) $(SAN) -MMD -MP -c $< -o $@

build/posix-san/svcwrap: $(SAN_OBJ)
	$(Q)$(CC) $(SAN) -o $@ $^ $(NATIVE_LIBS)
	@echo "built $@"

san: build/posix-san/svcwrap

# ---- Windows ------------------------------------------------------------------
$(WIN_DEPS)/.stamp: scripts/win-deps
	$(Q)scripts/win-deps

deps-win: $(WIN_DEPS)/.stamp

build/win/obj/%.o: %.c $(WIN_DEPS)/.stamp
	@mkdir -p $(@D)
	$(Q)$(WIN_CC) $(WIN_CFLAGS) -MMD -MP -c $< -o $@

# The Event Log message table, compiled into the exe.
build/win/obj/messages.o: src/os/win/res/messages.mc
	@mkdir -p build/win/obj/res
	$(Q)x86_64-w64-mingw32-windmc -h build/win/obj/res -r build/win/obj/res $<
	$(Q)x86_64-w64-mingw32-windres -I build/win/obj/res \
	  build/win/obj/res/messages.rc -O coff -o $@

build/win/svcwrap.exe: $(WIN_OBJ)
	$(Q)$(WIN_CC) $(WIN_LDFLAGS) -o $@ $^ $(WIN_LIBS)
	@echo "built $@"

win: build/win/svcwrap.exe

# ---- test children --------------------------------------------------------------
build/posix/testchild: tests/children/testchild.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(STD) $(CHILD_WARN) -O1 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -o $@ $<

build/win/testchild.exe: tests/children/testchild.c
	@mkdir -p $(@D)
	$(Q)$(WIN_CC) $(STD) $(CHILD_WARN) -O1 -municode -D_WIN32_WINNT=0x0A00 -DUNICODE \
	  -D_UNICODE -o $@ $< -luser32 -ladvapi32

build/posix/gochild: $(GO_SRC)
	@mkdir -p $(@D)
	$(Q)cd tests/children/gochild && $(GO_ENV) go build -o $(CURDIR)/$@ .

build/win/gochild.exe: $(GO_SRC)
	@mkdir -p $(@D)
	$(Q)cd tests/children/gochild && $(GO_ENV) GOOS=windows GOARCH=amd64 \
	  go build -o $(CURDIR)/$@ .

children: build/posix/testchild build/win/testchild.exe build/posix/gochild \
          build/win/gochild.exe

# ---- tests ---------------------------------------------------------------------
build/posix-san/unit: $(UNIT_OBJ) $(SAN_CORE_OBJ) $(SAN_FAKE_OBJ)
	$(Q)$(CC) $(SAN) -o $@ $^ $(NATIVE_LIBS) -lcmocka

unit: build/posix-san/unit
	$(Q)build/posix-san/unit

PYTEST := /usr/bin/python3 -m pytest -p no:cacheprovider

itest: build/posix-san/svcwrap build/posix/svcwrap build/posix/testchild \
       build/posix/gochild
	$(Q)$(PYTEST) tests/integration -q -rfEs

wtest: build/win/svcwrap.exe build/win/testchild.exe build/win/gochild.exe
	$(Q)$(PYTEST) tests/wine -q -rfEs

# Each part runs even if an earlier one failed; the target fails if any did.
test: setup
	$(Q)$(MAKE) --no-print-directory all san children deps-win win
	$(Q)rc=0; \
	  $(MAKE) --no-print-directory format-check lint || rc=1; \
	  $(MAKE) --no-print-directory unit || rc=1; \
	  $(MAKE) --no-print-directory itest || rc=1; \
	  $(MAKE) --no-print-directory wtest || rc=1; \
	  if [ $$rc -ne 0 ]; then echo "make test: FAILED (see the summaries above)"; \
	  else echo "make test: all suites passed"; fi; exit $$rc

demo: setup
	$(Q)$(MAKE) --no-print-directory deps-win win children
	$(Q)scripts/demo

# ---- fuzzing (clang's libFuzzer; not part of make test) -------------------------
FUZZ_SECONDS ?= 600
FUZZ_FLAGS := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
              -g -O1 -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
              -Isrc -I$(POSIX_DEPS)/include \
              $(shell pkg-config --cflags libcjson libuv 2>/dev/null)

build/fuzz/fuzz_config: tests/fuzz/fuzz_config.c $(CORE_SRC) $(POSIX_DEPS)/.stamp
	@mkdir -p $(@D)
	$(Q)clang $(FUZZ_FLAGS) -o $@ $(filter %.c,$^) $(POSIX_DEPS)/lib/libinih.a \
	  $(shell pkg-config --libs libcjson libuv) -lm

fuzz: setup build/fuzz/fuzz_config
	@mkdir -p build/fuzz/corpus
	$(Q)build/fuzz/fuzz_config -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	  -artifact_prefix=build/fuzz/ build/fuzz/corpus tests/fuzz/corpus

# ---- style and static analysis -------------------------------------------------
FORMAT_SRC = $(shell find src tests/unit tests/fuzz -name '*.[ch]')

format:
	$(Q)clang-format -i $(FORMAT_SRC)

format-check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRC) && echo "format-check: clean"

# The layering rule (scripts/lint-layers: includes point one way, no
# platform #if in core or app .c files), then cppcheck over every source
# file of both backends.
lint:
	$(Q)/usr/bin/python3 scripts/lint-layers src
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	  --inline-suppr --std=c11 -Isrc -D_POSIX_C_SOURCE=200809L \
	  src/core src/base src/app src/os/posix src/os/common src/os/fake src/main.c
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	  --inline-suppr --std=c11 -Isrc -D_WIN32 -DUNICODE -D_UNICODE \
	  --platform=win64 src/os/win && echo "lint: clean"

# ---- benchmarks beside the peers (not part of make test) -------------------------
# bench/run.py installs the peers (scripts/bench-setup), measures, and
# writes docs/benchmarks.md; see bench/README.md.
bench: setup all win children
	$(Q)/usr/bin/python3 bench/run.py

clean:
	rm -rf build/posix build/posix-san build/win build/test-tmp build/fuzz

-include $(shell find build/posix build/posix-san build/win -name '*.d' -type f 2>/dev/null)
