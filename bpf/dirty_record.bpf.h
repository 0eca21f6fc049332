/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dirty_record.bpf.h - the recording half both dirty trackers' BPF
 * programs share: the KVM tracker (tracker.bpf.c) and the process tracker
 * (proc_track.bpf.c). Include it once, from the program's .bpf.c, after
 * defining:
 *   DIRTY_DEFAULT_PAGES   the page space before the loader resizes it
 *   DIRTY_NSTATS          entries of the per-CPU counter map `stats`
 *   DIRTY_STAT_MAP_ERROR  the counter of failed map lookups
 *
 * The state, all shared with user space (user/lib/util/dirty_epochs.h):
 *   epoch    .bss: the epoch number, owned by user space; a program
 *            records into buffer (epoch & 1).
 *   dirty    u64 words, 2 * words_per_buf, BPF_F_MMAPABLE: the
 *            double-buffered dirty bitmap of the page space.
 *   inflight struct dirty_inflight per CPU, BPF_F_MMAPABLE: a sequence
 *            count, odd while the CPU is inside a recording section.
 *   stats    per-CPU u64 counters.
 *
 * A recording section, dirty_begin() .. dirty_end(), covers everything a
 * program reads that user space may replace (its tables) and the bitmap
 * update. To harvest, user space advances the epoch, waits until every
 * CPU's count is even or has moved (no section that could have read the
 * old epoch is still open), then reads and clears the old buffer. The
 * opening increment is a locked instruction, a full barrier on x86, so the
 * epoch and the tables are read after user space can see the section; the
 * closing store follows the bitmap update in program order, which x86
 * keeps. A section costs one locked add and one store.
 */
#ifndef PRECOPY_DIRTY_RECORD_BPF_H
#define PRECOPY_DIRTY_RECORD_BPF_H

#include "dirty_common.h"

/* Set by the loader before load: bitmap words per buffer. */
const volatile __u64 words_per_buf = DIRTY_DEFAULT_PAGES / 64;

/* Shared with user space (mmapped .bss). */
__u32 epoch;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2 * (DIRTY_DEFAULT_PAGES / 64));
} dirty SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct dirty_inflight);
	__uint(max_entries, DIRTY_MAX_CPUS);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, DIRTY_NSTATS);
} stats SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		(*v)++;
}

/* A recording section on this CPU: fl is its inflight slot, seq the count
 * before the section. */
struct dirty_section {
	struct dirty_inflight *fl;
	__u64 seq;
};

/* Open a section. Returns false (and counts a map error) if this CPU has
 * no inflight slot, which cannot happen: then nothing may be recorded. */
static __always_inline bool dirty_begin(struct dirty_section *s)
{
	__u32 cpu = bpf_get_smp_processor_id();

	s->fl = bpf_map_lookup_elem(&inflight, &cpu);
	if (!s->fl) {
		stat_inc(DIRTY_STAT_MAP_ERROR);
		return false;
	}
	/* Odd while recording. Only this CPU writes its slot. */
	s->seq = __sync_fetch_and_add(&s->fl->seq, 1);
	return true;
}

/* Close the section opened by dirty_begin(). */
static __always_inline void dirty_end(struct dirty_section *s)
{
	*(volatile __u64 *)&s->fl->seq = s->seq + 2;
}

/*
 * Set the bit of `page` in the current epoch's buffer, inside a section.
 * Returns 1 if this call set it, 0 if it was already set, -1 if page is
 * beyond the page space (not counted: the caller knows why).
 */
static __always_inline int dirty_set(__u64 page)
{
	__u64 bit = 1ULL << (page & 63), *word;
	__u32 idx;

	if (page >= words_per_buf * 64)
		return -1;
	idx = (*(volatile __u32 *)&epoch & 1) * words_per_buf + (page >> 6);
	word = bpf_map_lookup_elem(&dirty, &idx);
	if (!word) {
		stat_inc(DIRTY_STAT_MAP_ERROR);
		return 0;
	}
	/* Read first: most events of a busy page find the bit set, and a
	 * plain load costs less than a locked instruction. */
	if (*(volatile __u64 *)word & bit)
		return 0;
	return !(__sync_fetch_and_or(word, bit) & bit);
}

#endif /* PRECOPY_DIRTY_RECORD_BPF_H */
