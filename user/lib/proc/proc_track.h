/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proc_track.h - libprecopy's page-fault dirty tracker for processes: loads
 * bpf/proc_track.bpf.c, attaches it to the page-fault tracepoints, and turns
 * the write faults of registered processes into per-epoch, per-page state.
 *
 * Life cycle:
 *	struct proc_track_opts o = proc_track_opts__default();
 *	struct proc_track *t = proc_track__open(&o, err, sizeof(err));
 *	int slot = proc_track__add_proc(t, tgid);
 *	proc_track__set_ranges(t, slot, ranges, n);   // as mappings appear
 *	loop:
 *		... the process runs ...
 *		proc_track__harvest(t);                   // ends the epoch
 *		bits = proc_track__bitmap(t, &npages);
 *	proc_track__close(t);
 *
 * Page space: one flat space of opts.capacity_pages pages shared by all
 * processes. The caller decides which page index each address range gets
 * (struct proc_track_range); the tracker only needs ranges of one process not
 * to overlap and indices below the capacity.
 *
 * Epochs work as in tracker.h: the BPF side writes into one of two bitmap
 * buffers chosen by the epoch number; proc_track__harvest() switches buffers,
 * waits until no CPU still writes the old one, and copies it into the
 * "last epoch" view. No fault is lost or counted twice.
 *
 * All functions return 0 or a negative errno unless said otherwise. A
 * tracker is used from one thread at a time.
 */
#ifndef PRECOPY_PFTRACK_H
#define PRECOPY_PFTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proc_track_common.h"

struct proc_track_opts {
	uint64_t capacity_pages; /* page space; multiple of 512, default 8 Mi */
	int variant;             /* enum proc_track_variant, -1 = best that loads */
	bool verbose;            /* libbpf debug output on stderr */
};

struct proc_track_stats {
	uint64_t faults_user;   /* faults of traced processes in user mode */
	uint64_t faults_kernel; /* kernel-mode faults on their user memory */
	uint64_t not_write;     /* of those, reads and instruction fetches */
	uint64_t writes;        /* write faults inside a registered range */
	uint64_t no_range;      /* write faults outside every range */
	uint64_t new_dirty;     /* page bits newly set */
	uint64_t out_of_range;  /* page index beyond the capacity */
	uint64_t execs;         /* traced processes that called exec */
	uint64_t map_error;     /* internal map lookups failing (never) */
};

struct proc_track;

/* proc_track_opts__default() returns the defaults. Cannot fail. */
struct proc_track_opts proc_track_opts__default(void);

/*
 * proc_track__open() probes, loads and attaches the tracker with the best
 * variant (or opts->variant, which must work). Returns the tracker, or NULL
 * with a one-sentence reason in err (no privileges, no variant loads, bad
 * capacity, out of memory). Nothing stays attached on failure.
 */
struct proc_track *proc_track__open(const struct proc_track_opts *opts, char *err,
			      size_t errlen);

/* proc_track__close() detaches and frees everything. NULL is a no-op. */
void proc_track__close(struct proc_track *t);

/* proc_track__describe() returns one line naming the hooks in use and the
 * variants that failed, valid as long as the tracker. Cannot fail. */
const char *proc_track__describe(const struct proc_track *t);

/*
 * proc_track__add_proc() starts tracing process `tgid` (all its threads) with
 * an empty range table. Returns a slot >= 0, or -EEXIST (already traced),
 * -ENOSPC (PROC_TRACK_MAX_PROCS traced), or the errno of the map update.
 */
int proc_track__add_proc(struct proc_track *t, pid_t tgid);

/*
 * proc_track__set_ranges() replaces the range table of `slot` with n ranges,
 * sorted by start, not overlapping, page aligned, with indices inside the
 * capacity. The switch is atomic for the BPF side; when it returns, no
 * fault is still being resolved with the old table. Returns 0, -EINVAL (bad
 * ranges), -E2BIG (more than PROC_TRACK_MAX_RANGES), -ENOENT (bad slot, or
 * the process called exec and was dropped by the BPF side).
 */
int proc_track__set_ranges(struct proc_track *t, int slot,
			const struct proc_track_range *r, unsigned int n);

/* proc_track__remove_proc() stops tracing `slot`; its pages keep their bits
 * until harvested. Returns 0 or -ENOENT. */
int proc_track__remove_proc(struct proc_track *t, int slot);

/*
 * proc_track__harvest() ends the current epoch. Afterwards proc_track__bitmap()
 * shows the pages dirtied since the previous harvest. Returns the number
 * of the epoch harvested (0 for the first). Cannot fail.
 */
uint32_t proc_track__harvest(struct proc_track *t);

/*
 * proc_track__bitmap() returns the last harvested epoch's bitmap over the
 * whole page space (bit p of word p/64); *npages (if not NULL) gets the
 * high-water mark of the pages ever given to a range: bits at or above it
 * are zero. Valid until the next harvest. Cannot fail.
 */
const uint64_t *proc_track__bitmap(const struct proc_track *t, uint64_t *npages);

/* proc_track__stats() sums the per-CPU counters. Returns 0 or -errno. */
int proc_track__stats(const struct proc_track *t, struct proc_track_stats *out);

/*
 * proc_track__prog_stats() sums the kernel's run-time statistics of the two
 * fault programs (counted only while BPF statistics are enabled, e.g. with
 * bpf_enable_stats(BPF_STATS_RUN_TIME)): run time in ns and runs, over all
 * faults of every process. Returns 0 or the errno of the query.
 */
int proc_track__prog_stats(const struct proc_track *t, uint64_t *run_ns,
			uint64_t *run_cnt);

#endif /* PRECOPY_PFTRACK_H */
