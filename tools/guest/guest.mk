# SPDX-License-Identifier: GPL-2.0
#
# tools/guest/guest.mk - the workload guest kernel, $(OUT)/guest/guest.elf.
# Included by the top-level Makefile (which defines OUT, Q, msg, CC).
#
# A freestanding 32-bit multiboot v1 ELF: no multilib packages needed, only
# the compiler's -m32 code generation and binutils' elf_i386 linker.

GUEST_DIR := tools/guest
GUEST_ELF := $(OUT)/guest/guest.elf
GUEST_SRCS := $(wildcard $(GUEST_DIR)/*.c $(GUEST_DIR)/*.S)
GUEST_OBJS := $(patsubst $(GUEST_DIR)/%,$(OUT)/guest/%.o,$(GUEST_SRCS))
GUEST_HDRS := $(wildcard $(GUEST_DIR)/*.h)
GUEST_CC ?= $(CC)
GUEST_LD ?= ld
GUEST_CFLAGS := -m32 -march=i686 -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-unwind-tables \
	-mgeneral-regs-only -nostdlib -std=gnu11 -O2 -Wall -Wextra -Werror \
	-I$(GUEST_DIR)
GUEST_LDFLAGS := -m elf_i386 -nostdlib -static --build-id=none \
	-z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments -T $(GUEST_DIR)/guest.ld

.PHONY: guest
guest: $(GUEST_ELF)

$(OUT)/guest/%.c.o: $(GUEST_DIR)/%.c $(GUEST_HDRS) $(GUEST_DIR)/guest.mk
	$(call msg,CC-GUEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(OUT)/guest/%.S.o: $(GUEST_DIR)/%.S $(GUEST_HDRS) $(GUEST_DIR)/guest.mk
	$(call msg,AS-GUEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_ELF): $(GUEST_OBJS) $(GUEST_DIR)/guest.ld
	$(call msg,LD-GUEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(GUEST_LD) $(GUEST_LDFLAGS) $(GUEST_OBJS) -o $@

# `make build/guest/guest.elf` (the path relative to the tree) works too.
ifneq ($(O)/guest/guest.elf,$(GUEST_ELF))
$(O)/guest/guest.elf: $(GUEST_ELF)
endif
