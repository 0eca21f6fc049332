# SPDX-License-Identifier: GPL-2.0
#
# tools/install/install.mk - man pages, `make install` and the helpers'
# folder. Included by the top-level Makefile (which defines OUT, Q, msg,
# CMDS, GUEST_ELF, PRELOAD_SO, QEMU_BIN, LINUXGUEST_KERNEL/INITRD).
#
# One layout, built and installed alike: the commands in bin/, the files
# they run or load in libexec/precopy/ beside it. Each command finds its
# helpers from its own location (/proc/self/exe: BIN/../libexec/precopy/,
# user/lib/util/paths.h), so the build tree $(O) and an install under
# $(PREFIX) work the same, wherever they are:
#
#   bin/precopy-{trace,vm,sim,migrate,plan}
#   libexec/precopy/guest.elf                the workload guest (-kernel)
#   libexec/precopy/libprecopy-preload.so    loaded into traced processes
#   libexec/precopy/qemu-system-x86_64       the patched QEMU, if built (make qemu)
#   libexec/precopy/linuxguest/{vmlinuz,initrd.cpio.gz}   if built (make linuxguest)
#   share/man/man1/precopy-*.1               from each command's --help (help2man)
#   share/precopy/*.schema.json              the JSON output contracts
#
#   make install [PREFIX=/usr/local] [DESTDIR=/tmp/stage]
#   make uninstall [PREFIX=...] [DESTDIR=...]
#
# In the build tree the helpers are symbolic links into $(O) and .cache/;
# install copies the files.

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/precopy
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/precopy

HELPER_DIR := $(OUT)/libexec/precopy
MAN_PAGES := $(patsubst $(OUT)/bin/%,$(OUT)/man/%.1,$(CMDS))

# What each man page's NAME line says.
MAN_NAME_precopy-trace := live dirty-memory profile of a VM or a process, with eBPF
MAN_NAME_precopy-vm := run the workload VM and print KVM's own dirty log
MAN_NAME_precopy-sim := replay dirty traces through pre-copy migration algorithms
MAN_NAME_precopy-migrate := live-migrate a workload VM, stock pre-copy against the plan
MAN_NAME_precopy-plan := the planner daemon of a patched QEMU's pre-copy migration

.PHONY: man install uninstall helpers

all: helpers man

## man: man pages of the commands, from their --help (help2man), in $(O)/man
man: $(MAN_PAGES)

$(OUT)/man/%.1: $(OUT)/bin/% tools/install/install.mk | $(OUT)/.deps-ok
	$(call msg,MAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)help2man --no-info --section=1 --name="$(MAN_NAME_$*)" \
		--output=$@.tmp $< && mv $@.tmp $@

# The build tree's helpers' folder: relative links, so $(O) can move.
helpers: $(HELPER_DIR)/guest.elf $(HELPER_DIR)/libprecopy-preload.so

$(HELPER_DIR)/guest.elf: | $(GUEST_ELF)
	$(Q)mkdir -p $(@D) && ln -sfn ../../guest/guest.elf $@

$(HELPER_DIR)/libprecopy-preload.so: | $(PRELOAD_SO)
	$(Q)mkdir -p $(@D) && ln -sfn ../../lib/libprecopy-preload.so $@

# helper_link NAME TARGET: $(HELPER_DIR)/NAME -> TARGET (absolute, in .cache).
helper_link = mkdir -p $(dir $(HELPER_DIR)/$(1)) && ln -sfn $(2) $(HELPER_DIR)/$(1)

## install: install the commands, helpers, man pages (PREFIX=/usr/local, DESTDIR)
install: all
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)
	$(Q)install -m 755 $(CMDS) $(DESTDIR)$(BINDIR)/
	$(Q)install -m 644 $(GUEST_ELF) $(DESTDIR)$(LIBEXECDIR)/guest.elf
	$(Q)install -m 755 $(PRELOAD_SO) $(DESTDIR)$(LIBEXECDIR)/
	$(Q)if [ -x '$(QEMU_BIN)' ]; then \
		install -m 755 '$(QEMU_BIN)' $(DESTDIR)$(LIBEXECDIR)/qemu-system-x86_64; \
	else \
		echo "  (no patched QEMU in $(QEMU_BIN): not installed; make qemu first)"; \
	fi
	$(Q)if [ -f '$(LINUXGUEST_KERNEL)' ] && [ -f '$(LINUXGUEST_INITRD)' ]; then \
		install -d $(DESTDIR)$(LIBEXECDIR)/linuxguest && \
		install -m 644 '$(LINUXGUEST_KERNEL)' '$(LINUXGUEST_INITRD)' \
			$(DESTDIR)$(LIBEXECDIR)/linuxguest/; \
	fi
	$(Q)install -m 644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man1/
	$(Q)install -m 644 docs/*.schema.json $(DESTDIR)$(DATADIR)/

## uninstall: remove what install put under PREFIX (and DESTDIR)
uninstall:
	$(Q)rm -f $(patsubst $(OUT)/bin/%,$(DESTDIR)$(BINDIR)/%,$(CMDS)) \
		$(patsubst $(OUT)/man/%,$(DESTDIR)$(MANDIR)/man1/%,$(MAN_PAGES))
	$(Q)rm -rf $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)
