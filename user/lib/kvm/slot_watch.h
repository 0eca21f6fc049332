/* SPDX-License-Identifier: GPL-2.0 */
/*
 * slot_watch.h - learn a VMM's guest memory map from its KVM memory-slot
 * ioctls (bpf/slot_watch.bpf.c), for VMMs that publish no map (QEMU).
 *
 * Watch a process, then make it re-register its slots (for QEMU: switch
 * dirty logging on, e.g. with QMP calc-dirty-rate, which re-issues
 * KVM_SET_USER_MEMORY_REGION for every RAM slot); slot_watch__poll() applies
 * what it saw to the process's memmap.
 */
#ifndef PRECOPY_MEMSLOTS_H
#define PRECOPY_MEMSLOTS_H

#include <stddef.h>
#include <sys/types.h>

#include "guest_map.h"

struct slot_watch;

/* slot_watch__open() loads and attaches the watcher. Returns it, or NULL with
 * a one-sentence reason in err (no privileges, no syscall tracepoints). */
struct slot_watch *slot_watch__open(char *err, size_t errlen);

/* slot_watch__close() detaches and frees. NULL is a no-op. */
void slot_watch__close(struct slot_watch *m);

/* slot_watch__watch() starts watching process `tgid`. Returns 0, -ENOSPC
 * when too many are watched, or the errno of the map update. */
int slot_watch__watch(struct slot_watch *m, pid_t tgid);

/*
 * slot_watch__poll() waits up to timeout_ms for slot registrations of `tgid`
 * and applies them to *map: a slot is added or replaced, a zero size
 * deletes it, and a slot that now overlaps others replaces them (the VMM
 * moved memory). Registrations of other watched processes are dropped.
 * Returns the number of changes applied (0: none), or a negative errno:
 * -E2BIG when the map is full. `lost` (if not NULL) gets the cumulative
 * count of registrations the kernel could not report (ring full).
 */
int slot_watch__poll(struct slot_watch *m, pid_t tgid, struct guest_map *map,
		   int timeout_ms, unsigned long long *lost);

#endif /* PRECOPY_MEMSLOTS_H */
