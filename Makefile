# SPDX-License-Identifier: GPL-2.0
#
# precopy - eBPF dirty-memory tracking for pre-copy live migration.
#
# `make help` lists the targets. Everything is built into $(O) (default
# build/), commands into $(O)/bin. `V=1` prints full commands.

O ?= build
OUT := $(abspath $(O))
CACHE ?= $(abspath .cache)

CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
CC ?= gcc
ARCH := x86
VMLINUX_H ?= vmlinux/$(ARCH)/vmlinux.h

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(patsubst $(OUT)/%,%,$(2))";
endif

CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Werror
ALL_CFLAGS := $(CFLAGS) $(WARNINGS) -std=gnu11 -D_GNU_SOURCE \
	-I$(OUT)/include -Iuser/lib -Iuser/vm -Ibpf -Itools/guest
# Header dependencies: each object's .d file, written by the compiler.
DEPFLAGS = -MMD -MP -MF $@.d
# A test program's goes under obj/, so that $(OUT)/tests/GROUP/ holds only
# programs (`prove build/tests/unit/*` runs them all).
TEST_DEPFLAGS = -MMD -MP -MF $(OUT)/obj/tests/$*.d
LDLIBS := -lbpf -lelf -lz -lpthread -lm

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	-I$(dir $(VMLINUX_H)) -Ibpf -Wall -Werror

# ---------------------------------------------------------------------------
# Sources
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUT)/include/%.skel.h,$(BPF_SRCS))

# libprecopy, one folder per pipeline stage (user/lib/README.md)
LIB_SRCS := $(wildcard user/lib/*/*.c)
LIB_OBJS := $(patsubst user/%.c,$(OUT)/obj/%.o,$(LIB_SRCS))
LIB := $(OUT)/lib/libprecopy.a

VM_SRCS := $(wildcard user/vm/*.c)
VM_OBJS := $(patsubst user/%.c,$(OUT)/obj/%.o,$(VM_SRCS))
VMLIB := $(OUT)/lib/libworkvm.a

# A command is user/cmd/NAME.c, or a folder user/cmd/NAME/ of sources.
CMD_SRCS := $(wildcard user/cmd/*.c)
CMD_DIRS := $(patsubst %/,%,$(dir $(wildcard user/cmd/*/*.c)))
CMDS := $(patsubst user/cmd/%.c,$(OUT)/bin/%,$(CMD_SRCS)) \
	$(patsubst user/cmd/%,$(OUT)/bin/%,$(sort $(CMD_DIRS)))

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUT)/tests/unit/%,$(UNIT_SRCS))
BPF_TEST_SRCS := $(wildcard tests/bpf/*.c)
BPF_TESTS := $(patsubst tests/bpf/%.c,$(OUT)/tests/bpf/%,$(BPF_TEST_SRCS))
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCHES := $(patsubst tests/bench/%.c,$(OUT)/tests/bench/%,$(BENCH_SRCS))

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps help clean test bench vmlinux guest run trace e2e install

all: $(CMDS) guest

## deps: install the Debian packages to build and test (idempotent; tools/deps)
deps:
	$(Q)tools/deps build test

# Prerequisites by purpose (tools/deps): what `make` needs before the first
# compile, what the tests and the migrations need, what the benchmarks
# need. The corpus recorder (tools/record-corpus) installs its own.
$(OUT)/.deps-ok: tools/deps
	$(Q)tools/deps --check build >/dev/null 2>&1 || tools/deps build
	$(Q)mkdir -p $(@D) && touch $@
$(OUT)/.deps-test-ok: tools/deps
	$(Q)tools/deps --check test >/dev/null 2>&1 || tools/deps test
	$(Q)mkdir -p $(@D) && touch $@
$(OUT)/.deps-bench-ok: tools/deps
	$(Q)tools/deps --check bench >/dev/null 2>&1 || tools/deps bench
	$(Q)mkdir -p $(@D) && touch $@

## vmlinux: regenerate vmlinux/x86/vmlinux.h from the running kernel's BTF
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX_H).tmp
	mv $(VMLINUX_H).tmp $(VMLINUX_H)

# ---------------------------------------------------------------------------
# BPF objects and skeletons
$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(VMLINUX_H) | $(OUT)/.deps-ok
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(LLVM_STRIP) -g $@.tmp -o $@ 2>/dev/null || mv $@.tmp $@
	$(Q)rm -f $@.tmp

$(OUT)/include/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# ---------------------------------------------------------------------------
# User space: libraries, commands
$(OUT)/obj/%.o: user/%.c $(SKELS) | $(OUT)/.deps-ok
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(VMLIB): $(VM_OBJS)
	$(call msg,AR,$@)
	$(Q)mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/bin/%: $(OUT)/obj/cmd/%.o $(LIB) $(VMLIB)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(VMLIB) $(LIB) $(LDLIBS) -o $@

# Commands made of a folder: every object of user/cmd/NAME/.
define cmd_dir_rule
$(OUT)/bin/$(1): $(patsubst user/%.c,$(OUT)/obj/%.o,$(wildcard user/cmd/$(1)/*.c)) $(LIB) $(VMLIB)
	$$(call msg,LINK,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $$(filter %.o,$$^) $(VMLIB) $(LIB) $(LDLIBS) -o $$@
endef
$(foreach d,$(sort $(CMD_DIRS)),$(eval $(call cmd_dir_rule,$(notdir $(d)))))

# ---------------------------------------------------------------------------
# Tests
$(OUT)/tests/%: tests/%.c $(LIB) $(VMLIB) $(SKELS)
	$(call msg,CC-TEST,$@)
	$(Q)mkdir -p $(@D) $(dir $(OUT)/obj/tests/$*)
	$(Q)$(CC) $(ALL_CFLAGS) $(TEST_DEPFLAGS) -Itests $< $(VMLIB) $(LIB) $(LDLIBS) -o $@

include $(wildcard tools/*/*.mk tests/*.mk)
-include $(shell find $(OUT) -name '*.d' 2>/dev/null)

## run: the main job: the workload VM migrated by stock QEMU and by the plan, side by side
RUN_ARGS ?=
run: $(OUT)/.deps-ok $(OUT)/.deps-test-ok all qemu
	$(Q)$(OUT)/bin/precopy-migrate $(RUN_ARGS)

## trace: live dirty-memory profile of the built-in workload VM (precopy-trace)
TRACE_ARGS ?= 1 5
trace: $(OUT)/.deps-ok all
	$(Q)$(OUT)/bin/precopy-trace $(TRACE_ARGS)

## e2e: real migrations (KVM and TCG), stock vs plan, faults; prints the table
e2e: $(OUT)/.deps-ok $(OUT)/.deps-test-ok all qemu linuxguest
	$(Q)OUT=$(OUT) tests/e2e/test_migrate.py

## test: run the whole test suite (installs missing packages first)
test: $(OUT)/.deps-ok $(OUT)/.deps-test-ok all $(UNIT_TESTS) $(BPF_TESTS) $(TEST_EXTRA) qemu linuxguest
	$(Q)OUT=$(OUT) tests/run

## bench: run the benchmarks and print measured ratios
bench: $(OUT)/.deps-ok $(OUT)/.deps-test-ok $(OUT)/.deps-bench-ok all $(BENCHES)
	$(Q)OUT=$(OUT) tests/bench/run

## clean: remove build outputs (the download cache in .cache/ stays)
clean:
	rm -rf $(OUT)

## help: list the targets
help:
	@echo "precopy make targets:"
	@sed -n 's/^## \([a-z0-9-]*\): /  \1\t/p' $(MAKEFILE_LIST) | expand -t 14
	@echo "variables: O=builddir V=1 (verbose) VMLINUX_H=path PREFIX=/usr/local DESTDIR= (install)"
