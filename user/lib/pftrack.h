/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pftrack.h - libprecopy's page-fault dirty tracker for processes: loads
 * bpf/pftrack.bpf.c, attaches it to the page-fault tracepoints, and turns
 * the write faults of registered processes into per-epoch, per-page state.
 *
 * Life cycle:
 *	struct pftrack_opts o = pftrack_opts__default();
 *	struct pftrack *t = pftrack__open(&o, err, sizeof(err));
 *	int slot = pftrack__add_proc(t, tgid);
 *	pftrack__set_ranges(t, slot, ranges, n);   // as mappings appear
 *	loop:
 *		... the process runs ...
 *		pftrack__harvest(t);                   // ends the epoch
 *		bits = pftrack__bitmap(t, &npages);
 *	pftrack__close(t);
 *
 * Page space: one flat space of opts.capacity_pages pages shared by all
 * processes. The caller decides which page index each address range gets
 * (struct pftrack_range); the tracker only needs ranges of one process not
 * to overlap and indices below the capacity.
 *
 * Epochs work as in tracker.h: the BPF side writes into one of two bitmap
 * buffers chosen by the epoch number; pftrack__harvest() switches buffers,
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

#include "pftrack_common.h"

struct pftrack_opts {
	uint64_t capacity_pages; /* page space; multiple of 512, default 8 Mi */
	int variant;             /* enum pftrack_variant, -1 = best that loads */
	bool verbose;            /* libbpf debug output on stderr */
};

struct pftrack_stats {
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

struct pftrack;

/* pftrack_opts__default() returns the defaults. Cannot fail. */
struct pftrack_opts pftrack_opts__default(void);

/* pftrack_variant__name() returns "tp_btf", "tracepoint" or "?". */
const char *pftrack_variant__name(int variant);

/*
 * pftrack__probe() tries each variant on this kernel (load and attach of
 * all its programs). Returns the mask of variants that work (bit v for
 * variant v); why[v] (if not NULL) gets "ok" or the reason. Cannot fail.
 */
unsigned int pftrack__probe(char why[PFTRACK_VARIANT__COUNT][96]);

/*
 * pftrack__open() probes, loads and attaches the tracker with the best
 * variant (or opts->variant, which must work). Returns the tracker, or NULL
 * with a one-sentence reason in err (no privileges, no variant loads, bad
 * capacity, out of memory). Nothing stays attached on failure.
 */
struct pftrack *pftrack__open(const struct pftrack_opts *opts, char *err,
			      size_t errlen);

/* pftrack__close() detaches and frees everything. NULL is a no-op. */
void pftrack__close(struct pftrack *t);

/* pftrack__describe() returns one line naming the hooks in use and the
 * variants that failed, valid as long as the tracker. Cannot fail. */
const char *pftrack__describe(const struct pftrack *t);

/* pftrack__capacity() returns the page space size. Cannot fail. */
uint64_t pftrack__capacity(const struct pftrack *t);

/*
 * pftrack__add_proc() starts tracing process `tgid` (all its threads) with
 * an empty range table. Returns a slot >= 0, or -EEXIST (already traced),
 * -ENOSPC (PFTRACK_MAX_PROCS traced), or the errno of the map update.
 */
int pftrack__add_proc(struct pftrack *t, pid_t tgid);

/*
 * pftrack__set_ranges() replaces the range table of `slot` with n ranges,
 * sorted by start, not overlapping, page aligned, with indices inside the
 * capacity. The switch is atomic for the BPF side; when it returns, no
 * fault is still being resolved with the old table. Returns 0, -EINVAL (bad
 * ranges), -E2BIG (more than PFTRACK_MAX_RANGES), -ENOENT (bad slot, or
 * the process called exec and was dropped by the BPF side).
 */
int pftrack__set_ranges(struct pftrack *t, int slot,
			const struct pftrack_range *r, unsigned int n);

/* pftrack__remove_proc() stops tracing `slot`; its pages keep their bits
 * until harvested. Returns 0 or -ENOENT. */
int pftrack__remove_proc(struct pftrack *t, int slot);

/*
 * pftrack__harvest() ends the current epoch. Afterwards pftrack__bitmap()
 * shows the pages dirtied since the previous harvest. Returns the number
 * of the epoch harvested (0 for the first). Cannot fail.
 */
uint32_t pftrack__harvest(struct pftrack *t);

/*
 * pftrack__bitmap() returns the last harvested epoch's bitmap over the
 * whole page space (bit p of word p/64); *npages (if not NULL) gets the
 * high-water mark of the pages ever given to a range: bits at or above it
 * are zero. Valid until the next harvest. Cannot fail.
 */
const uint64_t *pftrack__bitmap(const struct pftrack *t, uint64_t *npages);

/* pftrack__page_last_epoch() returns 1 + the last epoch page `page` was
 * dirtied in (0: never or out of range). Cannot fail. */
uint32_t pftrack__page_last_epoch(const struct pftrack *t, uint64_t page);

/* pftrack__proc_stats() copies the cumulative counters of `slot`. Returns
 * 0 or -ENOENT. */
int pftrack__proc_stats(const struct pftrack *t, int slot,
			struct pftrack_proc_stat *out);

/* pftrack__stats() sums the per-CPU counters. Returns 0 or -errno. */
int pftrack__stats(const struct pftrack *t, struct pftrack_stats *out);

/*
 * pftrack__prog_stats() sums the kernel's run-time statistics of the two
 * fault programs (counted only while BPF statistics are enabled, e.g. with
 * bpf_enable_stats(BPF_STATS_RUN_TIME)): run time in ns and runs, over all
 * faults of every process. Returns 0 or the errno of the query.
 */
int pftrack__prog_stats(const struct pftrack *t, uint64_t *run_ns,
			uint64_t *run_cnt);

#endif /* PRECOPY_PFTRACK_H */
