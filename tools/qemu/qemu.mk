# SPDX-License-Identifier: GPL-2.0
#
# tools/qemu/qemu.mk - the patched QEMU, included by the top Makefile.
#
# QEMU_BIN is the binary other targets can depend on or run; `make qemu`
# (re)builds it when tools/qemu/build, its configure flags or
# tools/qemu/patches/*.patch changed, and returns at once otherwise.

QEMU_CACHE ?= $(CACHE)/qemu
QEMU_BIN := $(QEMU_CACHE)/bin/qemu-system-x86_64

.PHONY: qemu

## qemu: build the patched qemu-system-x86_64 10.0.2 into .cache/qemu/bin (linked into $(O)/libexec/precopy)
qemu:
	$(call msg,QEMU,$(QEMU_BIN))
	$(Q)QEMU_CACHE='$(QEMU_CACHE)' tools/qemu/build >/dev/null
	$(Q)$(call helper_link,qemu-system-x86_64,$(QEMU_BIN))

# plan_fake, the test producer for the patched QEMU's plan ring, links the
# ring library (the other helpers in tests/helpers/ stand alone).
$(OUT)/tests/helpers/plan_fake: tests/helpers/plan_fake.c user/lib/ring/plan_ring.c user/lib/ring/plan_ring.h | $(OUT)/.deps-ok
	$(call msg,CC-HELP,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) tests/helpers/plan_fake.c user/lib/ring/plan_ring.c -o $@
