# SPDX-License-Identifier: GPL-2.0
#
# tests/fuzz.mk - libFuzzer targets, included by the top-level Makefile.
#
# Convention: tests/fuzz/fuzz_NAME.c fuzzes user/lib/STAGE/NAME.c and the
# files of the same library, user/lib/STAGE/NAME_*.c (trace: trace_input.c,
# trace_text.c...), found in whichever stage folder holds them, which are
# compiled into the fuzzer with the same instrumentation (the library
# archive is built by gcc without coverage). Seeds committed in
# tests/fuzz/corpus/NAME/ start the working corpus $(OUT)/fuzz/corpus/NAME/,
# which keeps what the runs find; tests/fuzz/NAME.dict is used if present.
#
#   make fuzz                       build and run every fuzzer FUZZ_SECONDS
#   make fuzz FUZZ_SECONDS=600      longer
#   make fuzz FUZZERS=fuzz_trace    only some
#   make fuzz FUZZ_ARGS=-jobs=2     extra libFuzzer flags
#   make fuzz-build                 build only
#
# A crash stops the run; libFuzzer leaves the input as
# $(OUT)/fuzz/crash-* (replay: $(OUT)/fuzz/fuzz_NAME FILE).

FUZZ_SECONDS ?= 60
FUZZ_ARGS ?=
FUZZ_CC ?= $(CLANG)
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer \
	-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION $(WARNINGS) -std=gnu11 \
	-D_GNU_SOURCE -Iuser/lib
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS ?= $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRCS))
FUZZ_BINS := $(addprefix $(OUT)/fuzz/,$(FUZZERS))

.PHONY: fuzz fuzz-build

# The library sources a fuzzer covers: user/lib/*/NAME.[ch] and
# user/lib/*/NAME_*.[ch] ($$* is NAME).
.SECONDEXPANSION:
$(OUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(wildcard user/lib/*/$$*.c user/lib/*/$$*_*.c) \
		$$(wildcard user/lib/*/$$*.h user/lib/*/$$*_*.h) | $(OUT)/.deps-ok
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(filter %.c,$^) -lz -lm -o $@

## fuzz-build: build the libFuzzer targets into $(O)/fuzz/
fuzz-build: $(FUZZ_BINS)

## fuzz: run each fuzzer FUZZ_SECONDS (default 60) from its seed corpus
fuzz: $(FUZZ_BINS)
	$(Q)set -e; for f in $(FUZZERS); do \
		name=$${f#fuzz_}; \
		corpus=$(OUT)/fuzz/corpus/$$name; \
		mkdir -p $$corpus; \
		args="-max_total_time=$(FUZZ_SECONDS) -print_final_stats=1"; \
		args="$$args -rss_limit_mb=2048 -timeout=10 $(FUZZ_ARGS)"; \
		[ -f tests/fuzz/$$name.dict ] && args="$$args -dict=$(CURDIR)/tests/fuzz/$$name.dict"; \
		seeds=; [ -d tests/fuzz/corpus/$$name ] && seeds=$(CURDIR)/tests/fuzz/corpus/$$name; \
		echo "  FUZZ     $$f for $(FUZZ_SECONDS) s"; \
		( cd $(OUT)/fuzz && ./$$f $$args $$corpus $$seeds ) || { \
			echo "fuzz: $$f failed; the input is in $(OUT)/fuzz/" >&2; \
			exit 1; }; \
	done
