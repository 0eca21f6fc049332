# SPDX-License-Identifier: GPL-2.0
#
# tools/linuxguest/linuxguest.mk - the Linux test guest, included by the top
# Makefile: Debian's bookworm kernel and an initramfs whose /init is
# memwork. tools/linuxguest/build does the work and skips it when nothing
# changed; LINUXGUEST_KERNEL and LINUXGUEST_INITRD are what it makes.

LINUXGUEST_CACHE ?= $(CACHE)/linuxguest
LINUXGUEST_KERNEL := $(LINUXGUEST_CACHE)/vmlinuz
LINUXGUEST_INITRD := $(LINUXGUEST_CACHE)/initrd.cpio.gz

.PHONY: linuxguest

## linuxguest: the Linux test guest (Debian kernel + memwork initramfs) in .cache/linuxguest
linuxguest:
	$(call msg,GUEST,$(LINUXGUEST_INITRD))
	$(Q)LINUXGUEST_CACHE='$(LINUXGUEST_CACHE)' tools/linuxguest/build >/dev/null
	$(Q)$(call helper_link,linuxguest/vmlinuz,$(LINUXGUEST_KERNEL))
	$(Q)$(call helper_link,linuxguest/initrd.cpio.gz,$(LINUXGUEST_INITRD))
