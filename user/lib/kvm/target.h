/* SPDX-License-Identifier: GPL-2.0 */
/*
 * target.h - the VMM process a tool tracks: found by pid or started by us,
 * with its guest memory map.
 *
 * Two kinds are understood:
 *  - the project's workload VM runner (precopy-vm), which publishes its
 *    memory map in /run/precopy/<pid>.memmap;
 *  - QEMU with KVM (see qemu_target.h), whose map comes from QMP and from
 *    the memory-slot ioctls it makes.
 */
#ifndef PRECOPY_TARGET_H
#define PRECOPY_TARGET_H

#include <stdbool.h>
#include <sys/types.h>

#include "guest_map.h"

enum target_kind {
	TARGET_WORKVM = 0, /* precopy-vm */
	TARGET_QEMU,       /* qemu-system-* with KVM */
};

struct target {
	enum target_kind kind;
	pid_t pid;
	pid_t child;        /* a workload VM we started and must stop, or 0 */
	int pidfd;          /* to notice the process exit, -1 if none */
	struct guest_map map;
	char comm[32];      /* process name */
	char desc[160];     /* what it runs, for humans */
};

/*
 * target__spawn_workload() starts precopy-vm (from the directory of the
 * running executable, else $PATH) with `args`, a pattern and its guest
 * parameters, e.g. "hotcold hot=128", plus `vm_opts` (e.g. "-m 512",
 * may be NULL), waits for its memory map and fills *t. Returns 0, or a
 * negative errno with the reason in err (precopy-vm not found, the VM
 * failed to start, with its message).
 */
int target__spawn_workload(struct target *t, const char *args,
			   const char *vm_opts, char *err, size_t errlen);

/*
 * target__open_pid() identifies process `pid`: a workload VM that
 * published its map, or a QEMU process (kind TARGET_QEMU, map left empty:
 * see qemu_target.h). Returns 0, or -ESRCH (no such process), -EPERM (not
 * allowed to trace it), -ENOTSUP (neither a precopy-vm nor a QEMU with
 * /dev/kvm open) with a one-sentence reason in err.
 */
int target__open_pid(struct target *t, pid_t pid, char *err, size_t errlen);

/* target__alive() says whether the process still runs. Cannot fail. */
bool target__alive(const struct target *t);

/* target__close() stops a workload VM we started and frees what *t holds.
 * Cannot fail. */
void target__close(struct target *t);

#endif /* PRECOPY_TARGET_H */
