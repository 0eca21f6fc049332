# SPDX-License-Identifier: GPL-2.0
#
# tools/eval/evalgen.mk - the workload generator of `make eval`
# (tools/eval/gen/), built into $(OUT)/tools/eval-gen. Included by the
# top-level Makefile (which defines OUT, Q, msg, CC, ALL_CFLAGS, LIB,
# LDLIBS).

EVALGEN := $(OUT)/tools/eval-gen
EVALGEN_SRCS := $(wildcard tools/eval/gen/*.c)
EVALGEN_OBJS := $(patsubst tools/eval/gen/%.c,$(OUT)/obj/evalgen/%.o,$(EVALGEN_SRCS))

all: $(EVALGEN)
TEST_EXTRA += $(EVALGEN)

$(OUT)/obj/evalgen/%.o: tools/eval/gen/%.c | $(OUT)/.deps-ok
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itools/eval/gen -c $< -o $@

$(EVALGEN): $(EVALGEN_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(EVALGEN_OBJS) $(LIB) $(LDLIBS) -o $@
