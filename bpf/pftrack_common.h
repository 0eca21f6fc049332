/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pftrack_common.h - plain C types shared by the page-fault tracker's BPF
 * programs (pftrack.bpf.c) and its user-space loader (user/lib/pftrack.c).
 *
 * Page space. One flat page space holds every traced process. User space
 * hands out page indices to address ranges as it learns about them (the
 * writable mappings a process registered for write protection), in the
 * order it learns about them: range r of process p covers the virtual pages
 * [start, end) and its first page has index `page`. Indices are never
 * reused, so a page index names one virtual page of one process for the
 * whole session.
 *
 * Range tables. Each process slot owns two tables of PFTRACK_MAX_RANGES
 * ranges in map `ranges` (sorted by start, not overlapping): entries
 * [(slot * 2 + t) * PFTRACK_MAX_RANGES, ... + nranges[t]). The programs
 * search table `table` of the process's struct pftrack_proc; user space
 * fills the other table, then switches `table` (double buffering), and
 * waits out readers of the old table with the `inflight` counters before
 * writing it again.
 *
 * Maps (BPF_F_MMAPABLE arrays unless said otherwise):
 *   dirty       u64 words, 2 * words_per_buf: the double-buffered epoch
 *               dirty bitmap; buffer (epoch & 1) is being written.
 *   regions     u64 per 2 MiB region (512 pages), 2 * regions_per_buf:
 *               pages newly dirtied in the epoch, double-buffered.
 *   page_epoch  u32 per page: 1 + the last epoch it was dirtied in.
 *   ranges      struct pftrack_range, the range tables above.
 *   proc_stats  struct pftrack_proc_stat per process slot.
 *   inflight    one cache line per CPU: odd while a program on that CPU
 *               reads a range table or writes a bitmap.
 *   stats       per-CPU u64 counters indexed by enum pftrack_stat.
 *   procs       hash: tgid -> struct pftrack_proc.
 */
#ifndef PRECOPY_PFTRACK_COMMON_H
#define PRECOPY_PFTRACK_COMMON_H

#define PFTRACK_MAX_PROCS 32
#define PFTRACK_MAX_RANGES 4096 /* per table; the search does 13 steps */
#define PFTRACK_SEARCH_STEPS 13
#define PFTRACK_MAX_CPUS 512
#define PFTRACK_REGION_SHIFT 9 /* 512 pages of 4 KiB = 2 MiB */
#define PFTRACK_REGION_PAGES (1u << PFTRACK_REGION_SHIFT)
#define PFTRACK_PAGE_EPOCHS_PER_ELEM 16
#define PFTRACK_DEFAULT_CAPACITY (8u << 20) /* pages: 32 GiB of 4 KiB */

/* x86 page-fault error code bits. */
#define PFTRACK_PF_WRITE 0x2
#define PFTRACK_PF_USER 0x4

/* Which attachment of the fault hooks is in use. */
enum pftrack_variant {
	PFTRACK_VARIANT_TP_BTF = 0, /* tp_btf/page_fault_{user,kernel} */
	PFTRACK_VARIANT_TRACEPOINT, /* tracepoint/exceptions/page_fault_* */
	PFTRACK_VARIANT__COUNT,
};

/* Per-CPU statistics counters (map `stats`). */
enum pftrack_stat {
	PFTRACK_STAT_FAULTS_USER = 0, /* faults of traced processes, user mode */
	PFTRACK_STAT_FAULTS_KERNEL,   /* kernel-mode faults on their memory */
	PFTRACK_STAT_NOT_WRITE,       /* faults that were reads or fetches */
	PFTRACK_STAT_WRITES,          /* write faults inside a range */
	PFTRACK_STAT_NO_RANGE,        /* write faults outside every range */
	PFTRACK_STAT_NEW_DIRTY,       /* bits newly set */
	PFTRACK_STAT_OUT_OF_RANGE,    /* page index beyond the page space */
	PFTRACK_STAT_EXECS,           /* traced processes that called exec */
	PFTRACK_STAT_MAP_ERROR,       /* map lookup failed (cannot happen) */
	PFTRACK_STAT__COUNT,
};

/* One registered address range: virtual pages [start, end) are pages
 * [page, page + (end - start) / 4096) of the page space. */
struct pftrack_range {
	unsigned long long start;
	unsigned long long end;
	unsigned long long page;
};

/* Value of map `procs`: one traced process. */
struct pftrack_proc {
	unsigned int slot;        /* 0 .. PFTRACK_MAX_PROCS-1 */
	unsigned int table;       /* 0 or 1: the table being searched */
	unsigned int nranges[2];  /* ranges in each table */
};

/* Value of map `proc_stats`, per process slot (cumulative). */
struct pftrack_proc_stat {
	unsigned long long writes;    /* write faults inside a range */
	unsigned long long new_dirty; /* pages it dirtied first in an epoch */
	unsigned long long no_range;  /* write faults outside every range */
	unsigned long long pad;
};

/* Value of map `inflight`: one cache line per CPU. */
struct pftrack_inflight {
	unsigned long long seq;
	unsigned long long pad[7];
};

#endif /* PRECOPY_PFTRACK_COMMON_H */
