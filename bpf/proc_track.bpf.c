// SPDX-License-Identifier: GPL-2.0
/*
 * proc_track.bpf.c - the page-fault dirty tracker for processes.
 *
 * A traced process has its writable memory write-protected with userfaultfd
 * in asynchronous mode (see user/preload/preload.c), re-armed every epoch
 * with PAGEMAP_SCAN. The first write to a page after each re-arm is then a
 * page fault, and so is the first write to a page never touched before.
 * These programs turn such faults into the same per-page state as the KVM
 * tracker (tracker.bpf.c): a bit in the current epoch's dirty bitmap.
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
 * PROC_TRACK_SEARCH_STEPS steps). Page identity is the range's base page plus
 * the page offset inside the range.
 *
 * Epochs and tables: the epoch and the bitmap are those of the recording
 * scheme both trackers share (dirty_record.bpf.h). The recording section
 * covers everything from the range-table search to the bitmap update, so
 * user space can wait out every reader of an old buffer or an old range
 * table.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "proc_track_common.h"

#define DIRTY_DEFAULT_PAGES PROC_TRACK_DEFAULT_CAPACITY
#define DIRTY_NSTATS PROC_TRACK_STAT__COUNT
#define DIRTY_STAT_MAP_ERROR PROC_TRACK_STAT_MAP_ERROR
#include "dirty_record.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct proc_track_range);
	__uint(max_entries, PROC_TRACK_MAX_PROCS * 2 * PROC_TRACK_MAX_RANGES);
} ranges SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct proc_track_proc);
	__uint(max_entries, PROC_TRACK_MAX_PROCS);
} procs SEC(".maps");

/* Binary search of the process's current table. Returns the page index of
 * addr, or -1 if no range holds it. */
static __always_inline long long find_page(const struct proc_track_proc *p,
					   __u64 addr)
{
	__u32 t = p->table & 1, lo = 0, hi, mid, base, idx;
	struct proc_track_range *r;
	int i;

	hi = p->nranges[t];
	if (hi > PROC_TRACK_MAX_RANGES)
		hi = PROC_TRACK_MAX_RANGES;
	if (p->slot >= PROC_TRACK_MAX_PROCS)
		return -1;
	base = (p->slot * 2 + t) * PROC_TRACK_MAX_RANGES;
	for (i = 0; i < PROC_TRACK_SEARCH_STEPS; i++) {
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
	struct dirty_section sec;
	struct proc_track_proc *p;
	long long pg;
	int new_dirty;

	p = bpf_map_lookup_elem(&procs, &tgid);
	if (!p)
		return;
	stat_inc(user ? PROC_TRACK_STAT_FAULTS_USER : PROC_TRACK_STAT_FAULTS_KERNEL);
	if (!(err & PROC_TRACK_PF_WRITE)) {
		stat_inc(PROC_TRACK_STAT_NOT_WRITE);
		return;
	}
	if (!dirty_begin(&sec))
		return;
	pg = find_page(p, addr);
	if (pg < 0) {
		dirty_end(&sec);
		stat_inc(PROC_TRACK_STAT_NO_RANGE);
		return;
	}
	new_dirty = dirty_set(pg);
	dirty_end(&sec);
	if (new_dirty < 0) {
		stat_inc(PROC_TRACK_STAT_OUT_OF_RANGE);
		return;
	}
	stat_inc(PROC_TRACK_STAT_WRITES);
	if (new_dirty)
		stat_inc(PROC_TRACK_STAT_NEW_DIRTY);
}

static __always_inline void forget_on_exec(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!bpf_map_lookup_elem(&procs, &tgid))
		return;
	stat_inc(PROC_TRACK_STAT_EXECS);
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

/* Variant 2: raw tracepoints, for kernels without BTF for these
 * tracepoints. Like variant 1, and unlike classic tracepoints, they need
 * no tracefs. Arguments: (address, regs, error_code) for the page faults,
 * (task, old_pid, bprm) for exec. */
SEC("raw_tp/page_fault_user")
int pf_user_raw(struct bpf_raw_tracepoint_args *ctx)
{
	record_fault(ctx->args[0], ctx->args[2], true);
	return 0;
}

SEC("raw_tp/page_fault_kernel")
int pf_kernel_raw(struct bpf_raw_tracepoint_args *ctx)
{
	if (ctx->args[0] < (1ULL << 47))
		record_fault(ctx->args[0], ctx->args[2], false);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int exec_raw(struct bpf_raw_tracepoint_args *ctx)
{
	forget_on_exec();
	return 0;
}
