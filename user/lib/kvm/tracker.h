/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tracker.h - libprecopy's dirty tracker: loads bpf/tracker.bpf.c, attaches
 * it to the best hooks this kernel accepts, and turns what it records into
 * per-epoch, per-page state of each tracked VM.
 *
 * Life cycle:
 *	struct tracker_opts o = tracker_opts__default();
 *	struct tracker *t = tracker__open(&o, err, sizeof(err));
 *	int vm = tracker__add_vm(t, pid, &memmap);
 *	loop:
 *		... the guest runs ...
 *		tracker__harvest(t);             // ends the epoch
 *		bits = tracker__vm_bitmap(t, vm, &npages);
 *	tracker__close(t);
 *
 * Epochs. The BPF side writes into one of two bitmap buffers, chosen by the
 * epoch number. tracker__harvest() switches buffers, waits until no CPU is
 * still recording into the old one, and moves it into the tracker's "last
 * epoch" view, clearing it for reuse. Events that happen during the harvest
 * land in the new epoch; none is lost or counted twice.
 *
 * All functions return 0 or a negative errno unless said otherwise. A
 * tracker is used from one thread at a time.
 */
#ifndef PRECOPY_TRACKER_H
#define PRECOPY_TRACKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "guest_map.h"
#include "tracker_common.h"
#include "tracker_hooks.h"

struct tracker_opts {
	uint64_t capacity_pages; /* page space for all VMs; default 16 Mi */
	unsigned int hooks;      /* TRACKER_HOOK_BIT mask; 0 = automatic */
	bool verbose;            /* libbpf debug output on stderr */
};

struct tracker_stats {
	uint64_t events[PRECOPY_HOOK__COUNT]; /* per hook, tracked VMs */
	uint64_t new_dirty;     /* page bits newly set */
	uint64_t unknown_slot;  /* events in a slot missing from a memmap */
	uint64_t out_of_range;  /* events beyond a VM's page range */
	uint64_t not_write;     /* fault events that were reads */
	uint64_t not_fixed;     /* fast faults that fixed nothing */
	uint64_t map_error;     /* internal map lookups failing (never) */
};

struct tracker;

/* tracker_opts__default() returns the defaults. Cannot fail. */
struct tracker_opts tracker_opts__default(void);

/*
 * tracker__open() probes the hooks, loads the tracker with maps sized to
 * opts->capacity_pages, and attaches it. With opts->hooks == 0 it picks the
 * best available set: the fentry hook, else the kprobe hook, else every
 * tracepoint that works. An explicit mask must be fully available.
 * Returns the tracker, or NULL with a one-sentence reason in err
 * (no privileges, no hook available, a requested hook unavailable, out of
 * memory). Nothing is left attached on failure.
 */
struct tracker *tracker__open(const struct tracker_opts *opts, char *err,
			      size_t errlen);

/* tracker__close() detaches and frees everything. NULL is a no-op. */
void tracker__close(struct tracker *t);

/* tracker__hooks() returns the mask of attached hooks. Cannot fail. */
unsigned int tracker__hooks(const struct tracker *t);

/*
 * tracker__describe() returns one line saying which hooks are used and
 * which are unavailable and why, e.g. "hooks: using ring_push, page_fault,
 * fast_pf; unavailable: fentry (Operation not permitted), kprobe (...)".
 * The string lives as long as the tracker. Cannot fail.
 */
const char *tracker__describe(const struct tracker *t);

/*
 * tracker__add_vm() starts tracking VMM process `tgid` whose guest memory
 * is laid out as `map`. Returns a VM handle >= 0, or -EEXIST (already
 * tracked), -ENOSPC (PRECOPY_MAX_VMS tracked, or no room left in the page
 * space), -EINVAL (empty map). Dirtying before this call is not recorded.
 */
int tracker__add_vm(struct tracker *t, pid_t tgid, const struct guest_map *map);

/*
 * tracker__update_vm() replaces the memory map of tracked VM `vm` (a VMM
 * added or moved a slot). Returns 0, -ENOENT for a bad handle, -ENOSPC if
 * the VM grew beyond the room it has and no larger room is free.
 */
int tracker__update_vm(struct tracker *t, int vm, const struct guest_map *map);

/*
 * tracker__remove_vm() stops tracking `vm` and clears all its state, so
 * the room can be reused by another VM. Returns 0 or -ENOENT.
 */
int tracker__remove_vm(struct tracker *t, int vm);

/*
 * tracker__harvest() ends the current epoch: afterwards the "last epoch"
 * views below show what was dirtied since the previous harvest (or since
 * tracker__add_vm()). Cannot fail; returns the number of the epoch that
 * was harvested (0 for the first).
 */
uint32_t tracker__harvest(struct tracker *t);

/*
 * tracker__vm_bitmap() returns the last harvested epoch's dirty bitmap of
 * `vm`: bit gfn of 64-bit word gfn/64 is set if the page was dirtied.
 * *npages (if not NULL) gets the number of valid bits. The memory stays
 * valid until the next harvest. NULL for a bad handle.
 */
const uint64_t *tracker__vm_bitmap(const struct tracker *t, int vm,
				   uint64_t *npages);

/*
 * tracker__vcpu_stats() copies the cumulative per-vCPU counters of `vm`
 * (PRECOPY_MAX_VCPUS entries; the last one collects events whose vCPU is
 * unknown). Returns 0 or -ENOENT.
 */
int tracker__vcpu_stats(const struct tracker *t, int vm,
			struct precopy_vcpu_stat out[PRECOPY_MAX_VCPUS]);

/* tracker__stats() sums the per-CPU counters. Returns 0 or -errno. */
int tracker__stats(const struct tracker *t, struct tracker_stats *out);

/*
 * tracker__unmapped_events() returns how many events of `vm` fell in memory
 * slots its map does not list (so their pages are unknown and must be
 * treated as dirty), and the first such slot in *slot. Cannot fail.
 */
uint64_t tracker__unmapped_events(const struct tracker *t, int vm,
				  uint32_t *slot);

/*
 * tracker__mark_dirty() sets page gfn of `vm` in the current epoch's
 * bitmap, as a hook would (its counters aside), for dirty pages learned
 * from another source; bench_tracker fills a 64 GiB page space with it,
 * without a 64 GiB guest. Returns 0, -ENOENT for a bad handle, -ERANGE for
 * a gfn beyond the VM.
 */
int tracker__mark_dirty(struct tracker *t, int vm, uint64_t gfn);

/*
 * tracker__prog_stats() reads the kernel's run-time statistics of the
 * program behind `hook` (counted only while BPF statistics are enabled,
 * e.g. with bpf_enable_stats(BPF_STATS_RUN_TIME)): total run time in ns and
 * run count, over all processes. Returns 0, -ENOENT if the hook is not
 * attached, or the errno of the query.
 */
int tracker__prog_stats(const struct tracker *t, enum precopy_hook hook,
			uint64_t *run_ns, uint64_t *run_cnt);

#endif /* PRECOPY_TRACKER_H */
