# Lifeboat: host build, tests and benchmarks. mk/*.mk add the boot stick (static build, kernel,
# initramfs, USB image) and its targets.
SHELL := /bin/bash
.DEFAULT_GOAL := all

BUILD   ?= build
CC      ?= cc
CFLAGS  ?= -O2 -g
LB_CFLAGS := -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-format-truncation -Wshadow -D_GNU_SOURCE \
             -D_FILE_OFFSET_BITS=64 -DNCURSES_WIDECHAR=1 -pthread -Iimager -Itui
# libntfs-3g reads NTFS $Bitmaps (imager/fs_ntfs.c); a build without LB_HAVE_NTFS3G copies NTFS raw.
# libblkid (util-linux) names what every partition holds and vetoes containers (imager/probe_blkid.c);
# without LB_HAVE_BLKID only the engine's own probes and the random-data rule run.
HOST_FEATURES ?= -DLB_HAVE_NTFS3G -DLB_HAVE_BLKID
HOST_LIBS ?= -lext2fs -lcom_err -lzstd -lxxhash -lsodium -ldeflate -lntfs-3g -lblkid -lncursesw -lm -pthread

ENGINE_SRCS := $(sort $(wildcard imager/*.c))
CLI_SRCS    := $(sort $(wildcard imager/cli/*.c))
TUI_SRCS    := $(sort $(wildcard tui/*.c))
UNIT_SRCS   := $(sort $(wildcard tests/unit/test_*.c))

ENGINE_OBJS := $(ENGINE_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS    := $(CLI_SRCS:%.c=$(BUILD)/%.o)
TUI_OBJS    := $(TUI_SRCS:%.c=$(BUILD)/%.o)
UNIT_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRCS   := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS   := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tools/%)

.PHONY: all lifeboat deps check check-fast unit bench run clean
all: lifeboat
lifeboat: $(BUILD)/lifeboat

$(BUILD)/%.o: %.c $(wildcard imager/*.h tui/*.h imager/cli/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LB_CFLAGS) $(HOST_FEATURES) -MMD -c -o $@ $<

$(BUILD)/libimager.a: $(ENGINE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/lifeboat: $(CLI_OBJS) $(TUI_OBJS) $(BUILD)/libimager.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJS) $(TUI_OBJS) $(BUILD)/libimager.a $(HOST_LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libimager.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LB_CFLAGS) $(HOST_FEATURES) -Itests/unit -o $@ $< $(BUILD)/libimager.a $(HOST_LIBS) -lz

# Test helpers that must not share engine code (e.g. a zlib-only image reader); each links the
# libraries it names in TOOL_LIBS_<name> (zlib when it names none).
TOOL_LIBS_lbi2_restore := -lzstd -lxxhash -lz
$(BUILD)/tools/%: tests/tools/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -D_FILE_OFFSET_BITS=64 -o $@ $< $(or $(TOOL_LIBS_$*),-lz)

unit: $(UNIT_BINS) $(TOOL_BINS)

deps:
	scripts/install-deps.sh host

# Suites run by make check; mk/*.mk add theirs (boot).
CHECK_SUITES := unit cli tui
-include $(wildcard mk/*.mk)

check: deps lifeboat unit $(CHECK_DEPS)
	tests/run.sh $(CHECK_SUITES)

# The engine's tests only: quick feedback while developing.
check-fast: lifeboat unit
	tests/run.sh unit cli

bench: lifeboat
	scripts/install-deps.sh bench
	bench/run.sh
	bench/ntfs.sh
	bench/ext_journal.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
