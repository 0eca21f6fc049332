# SPDX-License-Identifier: GPL-2.0
#
# tools/pftrace/pftrace.mk - the process tracer's pieces that are not plain
# libprecopy objects or commands. Included by the top-level Makefile (which
# defines OUT, Q, msg, CC, ALL_CFLAGS, LIB, VMLIB, LDLIBS).
#
#   $(OUT)/lib/libprecopy-preload.so   loaded into traced processes
#   $(OUT)/tests/helpers/X             programs the tests trace (not tests)
#   $(OUT)/tests/bench/bench_pftrace   traced-vs-untraced slowdown benchmark

PRELOAD_SO := $(OUT)/lib/libprecopy-preload.so
PRELOAD_SRCS := $(wildcard user/preload/*.c)
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPERS := $(patsubst tests/helpers/%.c,$(OUT)/tests/helpers/%,$(HELPER_SRCS))
PFTRACE_BENCH := $(OUT)/tests/bench/bench_pftrace

all: $(PRELOAD_SO)
TEST_EXTRA += $(PRELOAD_SO) $(HELPERS)
bench: $(PRELOAD_SO) $(HELPERS) $(PFTRACE_BENCH)

$(PRELOAD_SO): $(PRELOAD_SRCS) user/lib/pfproto.h user/lib/uffd_uapi.h | $(OUT)/.deps-ok
	$(call msg,CC-SO,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -shared -fvisibility=hidden \
		-Wl,-z,nodelete $(PRELOAD_SRCS) -lpthread -o $@

$(OUT)/tests/helpers/%: tests/helpers/%.c | $(OUT)/.deps-ok
	$(call msg,CC-HELP,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@

# pfstatic must be static: the tracer refuses such programs.
$(OUT)/tests/helpers/pfstatic: tests/helpers/pfstatic.c | $(OUT)/.deps-ok
	$(call msg,CC-HELP,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -static $< -o $@

$(PFTRACE_BENCH): tests/bench/bench_pftrace.sh
	$(call msg,COPY,$@)
	$(Q)mkdir -p $(@D)
	$(Q)install -m 755 $< $@
