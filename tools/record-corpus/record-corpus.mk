# SPDX-License-Identifier: GPL-2.0
#
# tools/record-corpus/record-corpus.mk - trace-cut, the trace copier that
# tools/record-corpus/record-holdout uses, built into $(OUT)/tools/. Included
# by the top-level Makefile (OUT, Q, msg, CC, ALL_CFLAGS, DEPFLAGS, LIB,
# LDLIBS).

TRACE_CUT := $(OUT)/tools/trace-cut

all: $(TRACE_CUT)
TEST_EXTRA += $(TRACE_CUT)

$(OUT)/obj/record-corpus/%.o: tools/record-corpus/%.c | $(OUT)/.deps-ok
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(TRACE_CUT): $(OUT)/obj/record-corpus/trace_cut.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(LIB) $(LDLIBS) -o $@
