# migsafe — PostgreSQL migration safety runner.
#
#   make            build build/migsafe
#   make deps       install the Debian/Ubuntu packages that are missing
#   make demo       deps + build + check and apply migrations-example on a throwaway PostgreSQL
#   make test       deps + build + unit tests + end-to-end tests on a throwaway PostgreSQL
#   make test-sanitize   the same suite built with ASan + UBSan
#   make install PREFIX=/usr/local

PREFIX ?= /usr/local
BUILD ?= build
CC ?= cc
PYTHON ?= /usr/bin/python3
PYTEST_ARGS ?=

PKGS := libpq libcjson libgit2
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -Ichecks -Irunner \
	-DMIGSAFE_VERSION='"$(VERSION)"' $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(EXTRA_LDFLAGS)
# migsafe allocates through mimalloc: libpg_query mallocs and frees every
# token and parse-tree block, and glibc's malloc was a sixth of `check`'s CPU
# (bench/NOTES.md). Sanitizer and fuzz builds keep glibc's, which ASan replaces.
MALLOC_LIBS ?= -lmimalloc
LIBS = -lpg_query $(PKG_LIBS) $(MALLOC_LIBS) -lm -pthread

CHECKS_SRC := $(sort $(wildcard checks/*.c))
RUNNER_SRC := $(sort $(filter-out runner/main.c,$(wildcard runner/*.c)))
LIB_OBJ := $(CHECKS_SRC:%.c=$(BUILD)/%.o) $(RUNNER_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/runner/main.o
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps demo test test-unit test-e2e test-sanitize test-valgrind test-slow install clean bench fuzz fuzz-build fuzz-compile

all: $(BUILD)/migsafe

deps:
	@ci/install-deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/migsafe: $(LIB_OBJ) $(MAIN_OBJ)
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(ALL_LDFLAGS) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(LIB_OBJ) -o $@ $(ALL_LDFLAGS) $(LIBS) -lcmocka

test-unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

test-e2e: $(BUILD)/migsafe
	MIGSAFE_BIN=$(abspath $(BUILD)/migsafe) ci/pg-temp run -- \
		$(PYTHON) -m pytest -q -p no:cacheprovider tests/e2e $(PYTEST_ARGS)

test: deps
	$(MAKE) --no-print-directory all
	$(MAKE) --no-print-directory fuzz-compile
	$(MAKE) --no-print-directory test-unit
	$(MAKE) --no-print-directory test-e2e PYTEST_ARGS="$(PYTEST_ARGS) -m 'not slow'"

# The whole suite again, built with AddressSanitizer and UndefinedBehaviorSanitizer.
test-sanitize: deps
	$(MAKE) --no-print-directory BUILD=build/asan CFLAGS="-O1 -g -fno-omit-frame-pointer" MALLOC_LIBS= \
		EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" \
		PYTEST_ARGS="$(PYTEST_ARGS) -m 'not slow'" all test-unit test-e2e

# Reliability tests marked slow (kill -9, restarts, concurrent runners); run by .ci/run.
test-slow: all
	MIGSAFE_BIN=$(abspath $(BUILD)/migsafe) ci/pg-temp run -- \
		$(PYTHON) -m pytest -q -p no:cacheprovider -m slow tests/e2e $(PYTEST_ARGS)

# A subset of commands under valgrind (tests/valgrind.sh): no invalid access, no leak.
test-valgrind: all
	MIGSAFE_BIN=$(abspath $(BUILD)/migsafe) ci/pg-temp run -- tests/valgrind.sh

# libFuzzer targets (fuzz/fuzz_*.c), built with clang, ASan and UBSan, each run
# FUZZ_SECONDS seconds on seeds from migrations-example and ../shared/corpus.
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzzers/%)

$(BUILD)/fuzzers/%: fuzz/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $< $(LIB_OBJ) -o $@ $(ALL_LDFLAGS) $(LIBS)

fuzz-build: $(FUZZ_BIN)

# The fuzz targets compiled (not linked: libFuzzer needs clang) with the
# project's compiler and warnings, so that `make test` catches a target left
# behind by an API change.
fuzz-compile:
	@for f in $(FUZZ_SRC); do $(CC) $(ALL_CFLAGS) -c $$f -o /dev/null || exit 1; done

fuzz: deps
	$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang CFLAGS="-O1 -g -fno-omit-frame-pointer" MALLOC_LIBS= \
		EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh build/fuzz

# Side-by-side benchmarks against squawk, dbmate and psql (bench/RESULTS.md).
bench: deps all
	bench/run.sh

demo: deps all
	@ci/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/migsafe $(DESTDIR)$(PREFIX)/bin/migsafe
	install -m 0644 docs/migsafe.1 $(DESTDIR)$(PREFIX)/share/man/man1/migsafe.1

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
