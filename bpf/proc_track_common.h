/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proc_track_common.h - plain C types shared by the page-fault tracker's BPF
 * programs (proc_track.bpf.c) and its user-space loader (user/lib/proc/proc_track.c).
 *
 * Page space. One flat page space holds every traced process. User space
 * hands out page indices to address ranges as it learns about them (the
 * writable mappings a process registered for write protection), in the
 * order it learns about them: range r of process p covers the virtual pages
 * [start, end) and its first page has index `page`. Indices are never
 * reused, so a page index names one virtual page of one process for the
 * whole session.
 *
 * Range tables. Each process slot owns two tables of PROC_TRACK_MAX_RANGES
 * ranges in map `ranges` (sorted by start, not overlapping): entries
 * [(slot * 2 + t) * PROC_TRACK_MAX_RANGES, ... + nranges[t]). The programs
 * search table `table` of the process's struct proc_track_proc; user space
 * fills the other table, then switches `table` (double buffering), and
 * waits out readers of the old table with the `inflight` counters before
 * writing it again.
 *
 * State, besides the epoch, `dirty`, `inflight` and `stats` of the
 * recording scheme both trackers share (dirty_record.bpf.h; `stats`
 * indexed by enum proc_track_stat):
 *   ranges      BPF_F_MMAPABLE array of struct proc_track_range, the range
 *               tables above.
 *   procs       hash: tgid -> struct proc_track_proc.
 */
#ifndef PRECOPY_PFTRACK_COMMON_H
#define PRECOPY_PFTRACK_COMMON_H

#define PROC_TRACK_MAX_PROCS 32
#define PROC_TRACK_MAX_RANGES 4096 /* per table; the search does 13 steps */
#define PROC_TRACK_SEARCH_STEPS 13
#define PROC_TRACK_REGION_SHIFT 9 /* 512 pages of 4 KiB = 2 MiB */
#define PROC_TRACK_REGION_PAGES (1u << PROC_TRACK_REGION_SHIFT)
#define PROC_TRACK_DEFAULT_CAPACITY (8u << 20) /* pages: 32 GiB of 4 KiB */

/* x86 page-fault error code bits. */
#define PROC_TRACK_PF_WRITE 0x2
#define PROC_TRACK_PF_USER 0x4

/* Which attachment of the fault hooks is in use. */
enum proc_track_variant {
	PROC_TRACK_VARIANT_TP_BTF = 0, /* tp_btf/page_fault_{user,kernel} */
	PROC_TRACK_VARIANT_RAW_TP,     /* raw_tp/page_fault_{user,kernel} */
	PROC_TRACK_VARIANT__COUNT,
};

/* Per-CPU statistics counters (map `stats`). */
enum proc_track_stat {
	PROC_TRACK_STAT_FAULTS_USER = 0, /* faults of traced processes, user mode */
	PROC_TRACK_STAT_FAULTS_KERNEL,   /* kernel-mode faults on their memory */
	PROC_TRACK_STAT_NOT_WRITE,       /* faults that were reads or fetches */
	PROC_TRACK_STAT_WRITES,          /* write faults inside a range */
	PROC_TRACK_STAT_NO_RANGE,        /* write faults outside every range */
	PROC_TRACK_STAT_NEW_DIRTY,       /* bits newly set */
	PROC_TRACK_STAT_OUT_OF_RANGE,    /* page index beyond the page space */
	PROC_TRACK_STAT_EXECS,           /* traced processes that called exec */
	PROC_TRACK_STAT_MAP_ERROR,       /* map lookup failed (cannot happen) */
	PROC_TRACK_STAT__COUNT,
};

/* One registered address range: virtual pages [start, end) are pages
 * [page, page + (end - start) / 4096) of the page space. */
struct proc_track_range {
	unsigned long long start;
	unsigned long long end;
	unsigned long long page;
};

/* Value of map `procs`: one traced process. */
struct proc_track_proc {
	unsigned int slot;        /* 0 .. PROC_TRACK_MAX_PROCS-1 */
	unsigned int table;       /* 0 or 1: the table being searched */
	unsigned int nranges[2];  /* ranges in each table */
};

#endif /* PRECOPY_PFTRACK_COMMON_H */
