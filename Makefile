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
LDLIBS := -lbpf -lelf -lz -lpthread -lm

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	-I$(dir $(VMLINUX_H)) -Ibpf -Wall -Werror

# ---------------------------------------------------------------------------
# Sources
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUT)/include/%.skel.h,$(BPF_SRCS))

LIB_SRCS := $(wildcard user/lib/*.c)
LIB_OBJS := $(patsubst user/%.c,$(OUT)/obj/%.o,$(LIB_SRCS))
LIB := $(OUT)/lib/libprecopy.a

VM_SRCS := $(wildcard user/vm/*.c)
VM_OBJS := $(patsubst user/%.c,$(OUT)/obj/%.o,$(VM_SRCS))
VMLIB := $(OUT)/lib/libworkvm.a

CMD_SRCS := $(wildcard user/cmd/*.c)
CMDS := $(patsubst user/cmd/%.c,$(OUT)/bin/%,$(CMD_SRCS))

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUT)/tests/unit/%,$(UNIT_SRCS))
BPF_TEST_SRCS := $(wildcard tests/bpf/*.c)
BPF_TESTS := $(patsubst tests/bpf/%.c,$(OUT)/tests/bpf/%,$(BPF_TEST_SRCS))
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCHES := $(patsubst tests/bench/%.c,$(OUT)/tests/bench/%,$(BENCH_SRCS))

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SECONDARY: $(BPF_OBJS) $(SKELS)
.PHONY: all deps help clean test bench vmlinux guest run trace e2e

all: $(CMDS) guest

## deps: install the Debian packages the project needs (idempotent)
deps:
	$(Q)tools/deps

# Build prerequisites: install what is missing before the first compile.
$(OUT)/.deps-ok: tools/deps
	$(Q)tools/deps --check >/dev/null 2>&1 || tools/deps
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
$(OUT)/obj/%.o: user/%.c $(wildcard user/lib/*.h user/vm/*.h bpf/*.h) $(SKELS) | $(OUT)/.deps-ok
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

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
	$(Q)$(CC) $(ALL_CFLAGS) $< $(LIB) $(VMLIB) $(LDLIBS) -o $@

# ---------------------------------------------------------------------------
# Tests
$(OUT)/tests/%: tests/%.c tests/harness.h $(LIB) $(VMLIB) $(SKELS)
	$(call msg,CC-TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests $< $(LIB) $(VMLIB) $(LDLIBS) -o $@

include $(wildcard tools/*/*.mk tests/*.mk)

## run: the main job: the workload VM migrated by stock QEMU and by the plan, side by side
RUN_ARGS ?=
run: $(OUT)/.deps-ok all qemu
	$(Q)$(OUT)/bin/precopy-migrate $(RUN_ARGS)

## trace: live dirty-memory profile of the built-in workload VM (precopy-trace)
TRACE_ARGS ?= 1 5
trace: $(OUT)/.deps-ok all
	$(Q)$(OUT)/bin/precopy-trace $(TRACE_ARGS)

## e2e: real migrations (KVM and TCG), stock vs plan, faults; prints the table
e2e: $(OUT)/.deps-ok all qemu linuxguest
	$(Q)OUT=$(OUT) tests/e2e/test_migrate.py

## test: run the whole test suite (installs missing packages first)
test: $(OUT)/.deps-ok all $(UNIT_TESTS) $(BPF_TESTS) $(TEST_EXTRA) qemu linuxguest
	$(Q)OUT=$(OUT) tests/run

## bench: run the benchmarks and print measured ratios
bench: $(OUT)/.deps-ok all $(BENCHES)
	$(Q)OUT=$(OUT) tests/bench/run

## clean: remove build outputs (the download cache in .cache/ stays)
clean:
	rm -rf $(OUT)

## help: list the targets
help:
	@echo "precopy make targets:"
	@sed -n 's/^## \([a-z-]*\): /  \1\t/p' $(MAKEFILE_LIST) | expand -t 14
	@echo "variables: O=builddir V=1 (verbose) VMLINUX_H=path"
