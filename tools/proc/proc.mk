# SPDX-License-Identifier: GPL-2.0
#
# tools/proc/proc.mk - the process tracer's pieces that are not plain
# libprecopy objects or commands. Included by the top-level Makefile (which
# defines OUT, Q, msg, CC, ALL_CFLAGS, LIB, VMLIB, LDLIBS).
#
#   $(OUT)/lib/libprecopy-preload.so   loaded into traced processes
#   $(OUT)/tests/helpers/X             programs the tests trace (not tests)
#   $(OUT)/tests/bench/bench_proc_trace   traced-vs-untraced slowdown benchmark

PRELOAD_SO := $(OUT)/lib/libprecopy-preload.so
PRELOAD_SRCS := $(wildcard user/preload/*.c)
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPERS := $(patsubst tests/helpers/%.c,$(OUT)/tests/helpers/%,$(HELPER_SRCS))
PROC_TRACE_BENCH := $(OUT)/tests/bench/bench_proc_trace

all: $(PRELOAD_SO)
TEST_EXTRA += $(PRELOAD_SO) $(HELPERS)
bench: $(PRELOAD_SO) $(HELPERS) $(PROC_TRACE_BENCH)

$(PRELOAD_SO): $(PRELOAD_SRCS) user/lib/proc/proc_proto.h user/lib/proc/proc_uffd.h | $(OUT)/.deps-ok
	$(call msg,CC-SO,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -shared -fvisibility=hidden \
		-Wl,-z,nodelete $(PRELOAD_SRCS) -lpthread -o $@

$(OUT)/tests/helpers/%: tests/helpers/%.c | $(OUT)/.deps-ok
	$(call msg,CC-HELP,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@

# proc_static must be static: the tracer refuses such programs.
$(OUT)/tests/helpers/proc_static: tests/helpers/proc_static.c | $(OUT)/.deps-ok
	$(call msg,CC-HELP,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -static $< -o $@

$(PROC_TRACE_BENCH): tests/bench/bench_proc_trace.sh
	$(call msg,COPY,$@)
	$(Q)mkdir -p $(@D)
	$(Q)install -m 755 $< $@
