# Hostile input: libFuzzer targets (tests/fuzz/), their seeds and crash inputs replayed in
# `make check`, and the unit and command-line suites run again under ASan+UBSan.
# Included by the top-level Makefile.
#
#   make fuzz        every target at once (FUZZ_JOBS at a time) for FUZZ_SECONDS (default 600:
#                    ten minutes) with clang/libFuzzer, from its seeds in tests/fuzz/corpus/<t>/
#                    (none: it fails); crash inputs land in tests/fuzz/crashes/<t>/ to commit.
#                    Disks are in memory (bdev_mem.c): 5-12 k executions per CPU-second for
#                    fat, ptable, plan and image (meta 20 k+), so ten minutes on an idle 2-core
#                    machine (240 CPU-seconds each) make over 10^6 executions per target
#   make check-asan  the unit and CLI suites against build/asan/lifeboat (ASan+UBSan, gcc)
#   make asan        just build build/asan: lifeboat, unit tests, fuzz replay binaries
# `make check` builds build/asan and runs the suites `fuzz` (replay) and `asan`.

ASAN_BUILD ?= build/asan
SAN_CFLAGS ?= -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_BUILD ?= build/fuzz
FUZZ_CC ?= clang
FUZZ_CFLAGS ?= -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
               -fno-sanitize-recover=all -Wno-unknown-warning-option
FUZZ_SECONDS ?= 600
FUZZ_JOBS ?=
FUZZ_LIBS := -lext2fs -lcom_err -lzstd -lxxhash -lsodium -ldeflate -lntfs-3g -lblkid -lz -lm -pthread
FUZZ_TARGETS := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
export ASAN_BUILD

.PHONY: fuzz fuzz-build fuzz-deps asan check-asan fuzz-replay

# --- replay binaries: the fuzz targets with a plain main, gcc, in whatever BUILD this make has
# (the recursive make below sets BUILD=$(ASAN_BUILD) and the sanitizer flags) ----------------
$(BUILD)/fuzz-replay/%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c $(wildcard tests/fuzz/*.h) $(BUILD)/libimager.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LB_CFLAGS) -DLB_FUZZ_REPLAY -Itests/fuzz -o $@ $< tests/fuzz/replay_main.c \
		$(BUILD)/libimager.a $(FUZZ_LIBS)
fuzz-replay: $(FUZZ_TARGETS:%=$(BUILD)/fuzz-replay/%)

asan:
	$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) CFLAGS='$(SAN_CFLAGS)' lifeboat unit fuzz-replay

check-asan: asan
	tests/asan/unit_cli.test.sh

CHECK_SUITES += fuzz asan
CHECK_DEPS += asan

# --- libFuzzer builds (clang) ----------------------------------------------------------------
FUZZ_OBJS := $(ENGINE_SRCS:%.c=$(FUZZ_BUILD)/%.o)

$(FUZZ_BUILD)/imager/%.o: imager/%.c $(wildcard imager/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(LB_CFLAGS) $(HOST_FEATURES) -MMD -c -o $@ $<

$(FUZZ_BUILD)/libimager.a: $(FUZZ_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(FUZZ_BUILD)/libimager.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(LB_CFLAGS) -Itests/fuzz -o $@ $< \
		$(FUZZ_BUILD)/libimager.a $(FUZZ_LIBS)

fuzz-deps:
	scripts/install-deps.sh host fuzz

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
$(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%): | fuzz-deps

fuzz: fuzz-build
	FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) \
		tests/fuzz/run.sh $(FUZZ_TARGETS)
