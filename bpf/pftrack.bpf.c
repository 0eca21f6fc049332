// SPDX-License-Identifier: GPL-2.0
/*
 * pftrack.bpf.c - the page-fault dirty tracker for processes.
 *
 * A traced process has its writable memory write-protected with userfaultfd
 * in asynchronous mode (see user/preload/preload.c), re-armed every epoch
 * with PAGEMAP_SCAN. The first write to a page after each re-arm is then a
 * page fault, and so is the first write to a page never touched before.
 * These programs turn such faults into the same per-page state as the KVM
 * tracker (tracker.bpf.c): a bit in the current epoch's dirty bitmap, a
 * per-2 MiB-region count of pages newly dirtied, the page's last dirty
 * epoch and per-process counts.
 *
 * Hooks (the loader probes which variant this kernel accepts, tp_btf
 * first):
 *  - exceptions:page_fault_user: faults taken in user mode. A write fault
 *    has error code bit 1 (X86_PF_WRITE) set.
 *  - exceptions:page_fault_kernel: faults the kernel takes on user memory
 *    while writing it on the process's behalf (read(2) into a buffer,
 *    futexes): they un-protect a page exactly as a user write does, so
 *    without them the BPF view would miss pages PAGEMAP_SCAN reports.
 *  - sched:sched_process_exec: a traced process replaced its image; its
 *    range table is dropped at once, so faults of the new image are not
 *    charged to the old one's pages (the new image registers itself again).
 * Writes done through get_user_pages() (process_vm_writev, O_DIRECT) take
 * no fault and are seen only by PAGEMAP_SCAN; user space adds them.
 *
 * Filtering: the process (all its threads) must be in map `procs`, the
 * address inside one of its registered ranges (a binary search of at most
 * PFTRACK_SEARCH_STEPS steps). Page identity is the range's base page plus
 * the page offset inside the range.
 *
 * Epochs and tables: user space owns the epoch number in .bss; a program
 * reads it once and records into buffer (epoch & 1). The whole section
 * from the range-table lookup to the bitmap update is bracketed by the
 * CPU's inflight sequence count (odd inside), so user space can wait out
 * every reader of an old buffer or an old range table.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "pftrack_common.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 words_per_buf = PFTRACK_DEFAULT_CAPACITY / 64;
const volatile __u64 regions_per_buf =
	PFTRACK_DEFAULT_CAPACITY / PFTRACK_REGION_PAGES;

/* Shared with user space (mmapped .bss). */
__u32 epoch;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2 * (PFTRACK_DEFAULT_CAPACITY / 64));
} dirty SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2 * (PFTRACK_DEFAULT_CAPACITY / PFTRACK_REGION_PAGES));
} regions SEC(".maps");

struct page_epoch_elem {
	__u32 epoch_plus1[PFTRACK_PAGE_EPOCHS_PER_ELEM];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct page_epoch_elem);
	__uint(max_entries,
	       PFTRACK_DEFAULT_CAPACITY / PFTRACK_PAGE_EPOCHS_PER_ELEM);
} page_epoch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct pftrack_range);
	__uint(max_entries, PFTRACK_MAX_PROCS * 2 * PFTRACK_MAX_RANGES);
} ranges SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct pftrack_proc_stat);
	__uint(max_entries, PFTRACK_MAX_PROCS);
} proc_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct pftrack_inflight);
	__uint(max_entries, PFTRACK_MAX_CPUS);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, PFTRACK_STAT__COUNT);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct pftrack_proc);
	__uint(max_entries, PFTRACK_MAX_PROCS);
} procs SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		(*v)++;
}

/* Binary search of the process's current table. Returns the page index of
 * addr, or -1 if no range holds it. */
static __always_inline long long find_page(const struct pftrack_proc *p,
					   __u64 addr)
{
	__u32 t = p->table & 1, lo = 0, hi, mid, base, idx;
	struct pftrack_range *r;
	int i;

	hi = p->nranges[t];
	if (hi > PFTRACK_MAX_RANGES)
		hi = PFTRACK_MAX_RANGES;
	if (p->slot >= PFTRACK_MAX_PROCS)
		return -1;
	base = (p->slot * 2 + t) * PFTRACK_MAX_RANGES;
	for (i = 0; i < PFTRACK_SEARCH_STEPS; i++) {
		if (lo >= hi)
			break;
		mid = (lo + hi) / 2;
		idx = base + mid;
		r = bpf_map_lookup_elem(&ranges, &idx);
		if (!r)
			return -1;
		if (addr < r->start)
			hi = mid;
		else if (addr >= r->end)
			lo = mid + 1;
		else
			return r->page + ((addr - r->start) >> 12);
	}
	return -1;
}

static __always_inline void record_fault(__u64 addr, __u64 err, bool user)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct pftrack_proc_stat *ps;
	struct pftrack_inflight *fl;
	struct pftrack_proc *p;
	__u64 bit, old, *word, *region, page;
	struct page_epoch_elem *pe;
	__u32 cpu, ep, buf, idx, slot;
	bool new_dirty = false;
	long long pg;

	p = bpf_map_lookup_elem(&procs, &tgid);
	if (!p)
		return;
	stat_inc(user ? PFTRACK_STAT_FAULTS_USER : PFTRACK_STAT_FAULTS_KERNEL);
	if (!(err & PFTRACK_PF_WRITE)) {
		stat_inc(PFTRACK_STAT_NOT_WRITE);
		return;
	}
	slot = p->slot;
	cpu = bpf_get_smp_processor_id();
	fl = bpf_map_lookup_elem(&inflight, &cpu);
	if (!fl) {
		stat_inc(PFTRACK_STAT_MAP_ERROR);
		return;
	}
	__sync_fetch_and_add(&fl->seq, 1); /* odd: using a table and a buffer */

	pg = find_page(p, addr);
	if (pg < 0) {
		__sync_fetch_and_add(&fl->seq, 1);
		stat_inc(PFTRACK_STAT_NO_RANGE);
		ps = bpf_map_lookup_elem(&proc_stats, &slot);
		if (ps)
			__sync_fetch_and_add(&ps->no_range, 1);
		return;
	}
	page = pg;
	if (page >= words_per_buf * 64) {
		__sync_fetch_and_add(&fl->seq, 1);
		stat_inc(PFTRACK_STAT_OUT_OF_RANGE);
		return;
	}
	ep = *(volatile __u32 *)&epoch;
	buf = ep & 1;
	idx = buf * words_per_buf + (page >> 6);
	bit = 1ULL << (page & 63);
	word = bpf_map_lookup_elem(&dirty, &idx);
	if (word && !(*(volatile __u64 *)word & bit)) {
		old = __sync_fetch_and_or(word, bit);
		if (!(old & bit)) {
			new_dirty = true;
			idx = buf * regions_per_buf +
			      (page >> PFTRACK_REGION_SHIFT);
			region = bpf_map_lookup_elem(&regions, &idx);
			if (region)
				__sync_fetch_and_add(region, 1);
		}
	} else if (!word) {
		stat_inc(PFTRACK_STAT_MAP_ERROR);
	}
	__sync_fetch_and_add(&fl->seq, 1); /* even: done */

	stat_inc(PFTRACK_STAT_WRITES);
	ps = bpf_map_lookup_elem(&proc_stats, &slot);
	if (ps)
		__sync_fetch_and_add(&ps->writes, 1);
	if (!new_dirty)
		return;
	stat_inc(PFTRACK_STAT_NEW_DIRTY);
	if (ps)
		__sync_fetch_and_add(&ps->new_dirty, 1);
	idx = page / PFTRACK_PAGE_EPOCHS_PER_ELEM;
	pe = bpf_map_lookup_elem(&page_epoch, &idx);
	if (pe)
		pe->epoch_plus1[page % PFTRACK_PAGE_EPOCHS_PER_ELEM] = ep + 1;
}

static __always_inline void forget_on_exec(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!bpf_map_lookup_elem(&procs, &tgid))
		return;
	stat_inc(PFTRACK_STAT_EXECS);
	bpf_map_delete_elem(&procs, &tgid);
}

/* Variant 1: BTF-typed raw tracepoints (no per-event record copy). */
SEC("tp_btf/page_fault_user")
int BPF_PROG(pf_user_btf, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	record_fault(address, error_code, true);
	return 0;
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(pf_kernel_btf, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	/* Only faults on user addresses made on the process's behalf. */
	if (address < (1ULL << 47))
		record_fault(address, error_code, false);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_btf, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	forget_on_exec();
	return 0;
}

/* Variant 2: classic tracepoints. The exceptions events' record (not in
 * every vmlinux.h) is the common header, then address, ip, error_code. */
struct pf_tp_record {
	__u64 common;
	unsigned long address;
	unsigned long ip;
	unsigned long error_code;
};

SEC("tracepoint/exceptions/page_fault_user")
int pf_user_tp(struct pf_tp_record *ctx)
{
	record_fault(ctx->address, ctx->error_code, true);
	return 0;
}

SEC("tracepoint/exceptions/page_fault_kernel")
int pf_kernel_tp(struct pf_tp_record *ctx)
{
	if (ctx->address < (1ULL << 47))
		record_fault(ctx->address, ctx->error_code, false);
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int exec_tp(struct trace_event_raw_sched_process_exec *ctx)
{
	forget_on_exec();
	return 0;
}
