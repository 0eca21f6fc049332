/* SPDX-License-Identifier: GPL-2.0 */
/*
 * workvm.h - the workload VM: a one-vCPU KVM guest, driven directly
 * through /dev/kvm in the manner of the kernel's KVM selftests, that runs
 * the project's guest image (tools/guest) and reports KVM's own dirty log.
 *
 * The guest is a 32-bit multiboot kernel. workvm loads its ELF segments,
 * builds a multiboot information block with the memory size and command
 * line, and enters it in flat 32-bit protected mode. The same image boots
 * under QEMU with -kernel.
 *
 * Memory layout: slot 0 holds guest-physical [0, 2 MiB) (code, stack,
 * status block), slot 1 holds [2 MiB, size) (the pattern's data). Both are
 * dirty-logged, in bitmap mode (KVM_GET_DIRTY_LOG) or in ring mode (a
 * per-vCPU KVM dirty ring).
 *
 * Time is cut into epochs by the caller: workvm__run() lets the guest run
 * for a given time, stops it, and returns what KVM logged as dirty since
 * the previous call. While the vCPU is stopped nothing is dirtied, so a
 * tracker harvested at that moment sees exactly the same epoch.
 *
 * A workvm is used by one thread at a time. All functions returning int
 * return 0 or a negative errno.
 */
#ifndef PRECOPY_WORKVM_H
#define PRECOPY_WORKVM_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm/guest_map.h"

enum workvm_log_mode {
	WORKVM_LOG_BITMAP = 0, /* KVM_GET_DIRTY_LOG per slot */
	WORKVM_LOG_RING,       /* KVM_CAP_DIRTY_LOG_RING */
};

struct workvm_config {
	uint64_t mem_mib;          /* guest RAM, 4 .. 3072; default 256 */
	enum workvm_log_mode mode;
	uint32_t ring_entries;     /* ring mode, power of two in 64..65536;
				    * 0 (default): workvm_ring_auto() */
	const char *guest_path;    /* guest ELF; NULL: workvm__default_guest */
	const char *cmdline;       /* multiboot command line, "pattern=..." */
	bool serial_echo;          /* copy the guest's serial output to stderr */
};

/* Dirty ring entries for a guest of mem_mib MiB: the smallest power of
 * two that holds every page plus 64, at least 4096, at most 65536. */
uint32_t workvm_ring_auto(uint64_t mem_mib);

/* What one workvm__run() call saw. */
struct workvm_epoch {
	uint64_t dirty_pages;   /* distinct pages in KVM's log */
	uint64_t ring_entries;  /* ring mode: entries harvested (with repeats) */
	uint64_t ring_full;     /* ring mode: KVM_EXIT_DIRTY_RING_FULL exits */
	uint64_t ring_resyncs;  /* ring mode: dirty run found off our index */
	uint64_t ring_lost;     /* ring mode: entries an overflow cost KVM's
				 * log (a ring reaped full to its last entry
				 * counts 1, entries skipped after it each 1):
				 * non-zero, this epoch's log is incomplete */
	uint64_t exits;         /* KVM_RUN returns */
	uint64_t guest_writes;  /* pattern writes the guest counted */
	double run_ms;          /* wall time the epoch lasted */
};

struct workvm;

/* workvm_config__default() returns the defaults. Cannot fail. */
struct workvm_config workvm_config__default(void);

/*
 * workvm__default_guest() returns the guest image path used when the
 * config names none: $PRECOPY_GUEST if set, else the helper guest.elf in
 * libexec/precopy/ beside the running program's bin/ (util/paths.h: the
 * build tree or an install). Cannot fail; the file may not exist.
 */
const char *workvm__default_guest(void);

/*
 * workvm__create() opens /dev/kvm, creates the VM with its memory slots and
 * dirty logging, loads the guest and prepares the vCPU. Returns the VM, or
 * NULL with a one-sentence reason in err: /dev/kvm missing or not
 * permitted, dirty ring unsupported, bad size, guest file unreadable or
 * not a 32-bit ELF that fits in memory, command line too long.
 */
struct workvm *workvm__create(const struct workvm_config *cfg, char *err,
			      size_t errlen);

/* workvm__destroy() frees everything. NULL is a no-op. */
void workvm__destroy(struct workvm *vm);

/* workvm__memmap() returns the VM's memory map. Cannot fail. */
const struct guest_map *workvm__memmap(const struct workvm *vm);

/* workvm__pages() returns the guest's page count. Cannot fail. */
uint64_t workvm__pages(const struct workvm *vm);

/* workvm__mode() returns the dirty-log mode. Cannot fail. */
enum workvm_log_mode workvm__mode(const struct workvm *vm);

/*
 * workvm__run() runs the guest for ms milliseconds (wall clock), stops the
 * vCPU, and harvests KVM's dirty log. If `truth` is not NULL, it must hold
 * workvm__pages() bits; it is cleared and then bit gfn is set for every
 * page KVM logged as dirty since the previous call. `ep` (if not NULL)
 * gets the epoch's counts. Returns 0; -EINTR if a signal other than the
 * epoch timer interrupted the run (the log is still harvested); -EIO with
 * workvm__error() set if the guest shut down or KVM failed.
 */
int workvm__run(struct workvm *vm, unsigned int ms, uint64_t *truth,
		struct workvm_epoch *ep);

/* workvm__error() returns the last error message, "" if none. */
const char *workvm__error(const struct workvm *vm);

/*
 * workvm__guest_writes() returns the guest's own count of pattern writes so
 * far, read from its status block; 0 before the guest published one.
 */
uint64_t workvm__guest_writes(const struct workvm *vm);

/*
 * workvm__start() runs the guest in short steps until it reports that its
 * pattern runs (or that it idles), at most timeout_ms. The pages it dirtied
 * meanwhile are harvested and dropped. Returns 0; -EIO with
 * workvm__error() set if the guest rejected its command line or KVM
 * failed; -ETIMEDOUT if it never started; -EINTR on a signal.
 */
int workvm__start(struct workvm *vm, unsigned int timeout_ms);

/*
 * workvm__guest_mem() returns the host mapping of guest-physical address 0
 * and the size in bytes in *len. Cannot fail.
 */
void *workvm__guest_mem(const struct workvm *vm, uint64_t *len);

#endif /* PRECOPY_WORKVM_H */
