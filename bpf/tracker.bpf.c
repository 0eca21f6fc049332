// SPDX-License-Identifier: GPL-2.0
/*
 * tracker.bpf.c - the KVM dirty-page tracker.
 *
 * Every program here turns one kind of "this guest page was dirtied" signal
 * into the same per-page state: a bit in the current epoch's dirty bitmap
 * (bpf/dirty_record.bpf.h, shared with the process tracker), and per-vCPU
 * counts.
 *
 * Sources, best first (the loader probes which this kernel accepts):
 *  - fentry/kprobe on mark_page_dirty_in_slot(): every dirtying KVM logs,
 *    bitmap or ring mode, PML included. Needs BPF trampolines or kprobes.
 *  - tracepoint kvm:kvm_dirty_ring_push: every page KVM pushes into a
 *    vCPU's dirty ring (ring mode only).
 *  - tracepoint kvm:kvm_page_fault: guest write faults (error code bit 1),
 *    which is how dirty logging without PML first sees a page per epoch.
 *  - tracepoint kvmmmu:fast_page_fault: write-protection faults that the
 *    fast path fixed (the dirty-logging fast path).
 * The tracepoints are attached as tp_btf or raw_tp programs: no tracefs.
 * Fault hooks see only the first write to a page after each clear of the
 * log; the ring and the function hooks see every logged dirtying.
 *
 * Filtering: only the VMM processes in .bss vm_ids[] (by tgid; for the
 * function hooks by kvm->userspace_pid when the kernel has it) are
 * recorded, so several VMMs can be tracked at once without mixing. Each
 * has two copies of its memory map in map `vms`; user space fills the one
 * not in use, switches vm_ids[i].cur, and waits out the recording sections
 * (dirty_record.bpf.h) that may still read the old one.
 *
 * Cost, per event: a locked add to open the recording section, a scan of
 * the tracked tgids (usually one), a scan of at most PRECOPY_MAX_SLOTS
 * slots, array lookups the verifier inlines, and a locked OR on the bitmap
 * word when the bit is not yet set. On the ring-push path no hash lookup
 * and no probe-read: the only helper calls left are the current tgid and
 * (before 6.10, which inlines it) the CPU number. make bench measures its
 * cost per event (bench_tracker).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "tracker_common.h"

#define DIRTY_DEFAULT_PAGES PRECOPY_DEFAULT_CAPACITY
#define DIRTY_NSTATS PRECOPY_STAT__COUNT
#define DIRTY_STAT_MAP_ERROR PRECOPY_STAT_MAP_ERROR
#include "dirty_record.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Configuration, set by the loader before load. */
const volatile int ret_pf_fixed = -1;  /* RET_PF_FIXED, -1 if unknown */

/* Tracked VMMs, written by user space (mmapped .bss): entries
 * [0, nvm_ids) are scanned; a tgid of 0 is a free entry. */
struct precopy_vm_id vm_ids[PRECOPY_MAX_VMS];
__u32 nvm_ids;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct precopy_vm);
	__uint(max_entries, 2 * PRECOPY_MAX_VMS);
} vms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct precopy_vcpu_stat);
	__uint(max_entries, PRECOPY_MAX_VMS * PRECOPY_MAX_VCPUS);
} vcpu_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct precopy_unmapped_key);
	__type(value, __u64);
	__uint(max_entries, 256);
} unmapped SEC(".maps");

/* The memory map of the VMM `tgid`, or NULL if it is not tracked. Inside a
 * recording section: the map stays valid until the section ends. */
static __always_inline struct precopy_vm *find_vm(__u32 tgid)
{
	__u32 n = *(volatile __u32 *)&nvm_ids, i, key;

	for (i = 0; i < PRECOPY_MAX_VMS; i++) {
		if (i >= n)
			break;
		if (*(volatile __u32 *)&vm_ids[i].tgid != tgid)
			continue;
		key = i * 2 + (*(volatile __u32 *)&vm_ids[i].cur & 1);
		return bpf_map_lookup_elem(&vms, &key);
	}
	return NULL;
}

/*
 * Record guest page `gfn` of `vm` as dirtied, inside a recording section.
 * The caller has resolved gfn through the VM's memory map.
 */
static __always_inline void record_gfn(const struct precopy_vm *vm, __u8 hook,
				       __u64 gfn, __u32 vcpu)
{
	struct precopy_vcpu_stat *vs;
	int new_dirty;
	__u32 idx;

	stat_inc(PRECOPY_STAT_EVENTS + hook);
	if (gfn >= vm->page_limit) {
		stat_inc(PRECOPY_STAT_OUT_OF_RANGE);
		return;
	}
	new_dirty = dirty_set(vm->page_base + gfn);
	if (new_dirty < 0) {
		stat_inc(PRECOPY_STAT_OUT_OF_RANGE);
		return;
	}
	if (new_dirty)
		stat_inc(PRECOPY_STAT_NEW_DIRTY);

	if (vcpu >= PRECOPY_MAX_VCPUS)
		vcpu = PRECOPY_VCPU_UNKNOWN;
	idx = vm->vm_index * PRECOPY_MAX_VCPUS + vcpu;
	vs = bpf_map_lookup_elem(&vcpu_stats, &idx);
	if (vs && vcpu != PRECOPY_VCPU_UNKNOWN) {
		/* A vCPU runs on one CPU at a time: plain increments. */
		vs->events++;
		vs->new_dirty += new_dirty;
	} else if (vs) {
		__sync_fetch_and_add(&vs->events, 1);
		if (new_dirty)
			__sync_fetch_and_add(&vs->new_dirty, 1);
	}
}

static __always_inline void note_unmapped(__u32 tgid, __u32 slot)
{
	struct precopy_unmapped_key key = { .tgid = tgid, .slot = slot };
	__u64 one = 1, *cnt;

	stat_inc(PRECOPY_STAT_UNKNOWN_SLOT);
	cnt = bpf_map_lookup_elem(&unmapped, &key);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&unmapped, &key, &one, BPF_NOEXIST);
}

/* Resolve (slot, offset) through the memory map of VMM tgid and record. */
static __always_inline void record_slot(__u32 tgid, __u8 hook, __u32 slot,
					__u64 offset, __u32 vcpu)
{
	struct dirty_section sec;
	struct precopy_vm *vm;
	int i;

	if (!dirty_begin(&sec))
		return;
	vm = find_vm(tgid);
	if (!vm)
		goto out;
	for (i = 0; i < PRECOPY_MAX_SLOTS; i++) {
		if (i >= vm->nslots)
			break;
		if (vm->slots[i].slot != slot)
			continue;
		if (offset >= vm->slots[i].npages)
			break;
		record_gfn(vm, hook, vm->slots[i].base_gfn + offset, vcpu);
		goto out;
	}
	note_unmapped(tgid, slot);
out:
	dirty_end(&sec);
}

/* Resolve a guest-physical address of a write fault of VMM tgid through
 * its memory map and record it: error_code bit 1 says a write, `fixed`
 * whether the fault made the page writable (fast_page_fault). */
static __always_inline void record_fault(__u32 tgid, __u8 hook, __u64 gpa,
					 __u64 error_code, bool fixed,
					 __u32 vcpu)
{
	struct dirty_section sec;
	struct precopy_vm *vm;
	__u64 gfn = gpa >> 12;
	int i;

	if (!dirty_begin(&sec))
		return;
	vm = find_vm(tgid);
	if (!vm)
		goto out;
	if (!(error_code & 2)) {
		stat_inc(PRECOPY_STAT_NOT_WRITE);
		goto out;
	}
	if (!fixed) {
		stat_inc(PRECOPY_STAT_NOT_FIXED);
		goto out;
	}
	for (i = 0; i < PRECOPY_MAX_SLOTS; i++) {
		if (i >= vm->nslots)
			break;
		if (gfn >= vm->slots[i].base_gfn &&
		    gfn - vm->slots[i].base_gfn < vm->slots[i].npages) {
			record_gfn(vm, hook, gfn, vcpu);
			goto out;
		}
	}
	/* A fault outside every memory slot is MMIO, not dirty memory. */
out:
	dirty_end(&sec);
}

static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

/* The VMM a struct kvm belongs to: the process that created it
 * (kvm->userspace_pid, 0 when the kernel does not record it), if tracked,
 * else the current process (dirtying may happen in a kworker). Reads only
 * the tgids, outside a section: record_slot() looks the VM up again. */
static __always_inline __u32 kvm_owner(__u32 userspace_pid)
{
	__u32 n = *(volatile __u32 *)&nvm_ids, i;

	for (i = 0; userspace_pid && i < PRECOPY_MAX_VMS; i++) {
		if (i >= n)
			break;
		if (*(volatile __u32 *)&vm_ids[i].tgid == userspace_pid)
			return userspace_pid;
	}
	return current_tgid();
}

/*
 * Every tracepoint hook is a BTF-typed raw tracepoint (tp_btf) or a raw
 * tracepoint (raw_tp): they get the tracepoint's arguments directly, no
 * trace record is formatted (about half the cost), and attaching them
 * needs no tracefs (a classic SEC("tracepoint/...") program needs tracefs
 * mounted for libbpf to find its id; a fresh machine has none).
 * Kernels since 6.12 may type a tracepoint's pointer arguments "maybe
 * NULL" (trusted_ptr_or_null): the verifier wants them checked first.
 *
 * Two forms of the ring-push hook: tp_btf, and raw_tp for kernels without
 * BTF for the tracepoint. The loader uses the first that loads.
 */
SEC("tp_btf/kvm_dirty_ring_push")
int BPF_PROG(handle_ring_push_btf, struct kvm_dirty_ring *ring, __u32 slot,
	     __u64 offset)
{
	if (!ring)
		return 0;
	/* A BTF pointer: read directly, no probe-read helper call. */
	record_slot(current_tgid(), PRECOPY_HOOK_RING_PUSH, slot, offset,
		    ring->index);
	return 0;
}

SEC("raw_tp/kvm_dirty_ring_push")
int handle_ring_push_raw(struct bpf_raw_tracepoint_args *ctx)
{
	struct kvm_dirty_ring *ring = (void *)ctx->args[0];

	record_slot(current_tgid(), PRECOPY_HOOK_RING_PUSH, (__u32)ctx->args[1],
		    ctx->args[2], BPF_CORE_READ(ring, index));
	return 0;
}

/* kvm_page_fault's arguments: (vcpu, fault_address, error_code) in 6.1,
 * 6.12 and 6.18, (fault_address, error_code) in older kernels. The loader
 * reads which from the tracepoint's BTF; the verifier only sees the branch
 * this kernel takes. The error code is the EPT exit qualification on VMX,
 * the #NPF error code on SVM; bit 1 means a write in both. */
const volatile bool pf_has_vcpu = true;

SEC("tp_btf/kvm_page_fault")
int handle_page_fault(__u64 *ctx)
{
	__u32 vcpu = PRECOPY_VCPU_UNKNOWN;
	__u64 gpa, err;

	if (pf_has_vcpu) {
		struct kvm_vcpu *v = (void *)ctx[0];

		gpa = ctx[1];
		err = ctx[2];
		if (v)
			vcpu = BPF_CORE_READ(v, vcpu_id);
	} else {
		gpa = ctx[0];
		err = (__u32)ctx[1];
	}
	record_fault(current_tgid(), PRECOPY_HOOK_PAGE_FAULT, gpa, err, true,
		     vcpu);
	return 0;
}

/* fast_page_fault(vcpu, fault, sptep, old_spte, ret) since the struct
 * kvm_page_fault rework. fault->error_code is a u32 in 6.1, a u64 in 6.18:
 * read it at the kernel's size. */
SEC("tp_btf/fast_page_fault")
int BPF_PROG(handle_fast_pf, struct kvm_vcpu *vcpu,
	     struct kvm_page_fault *fault, __u64 *sptep, __u64 old_spte,
	     int ret)
{
	__u64 new_spte = old_spte;
	bool fixed;

	if (!vcpu || !fault)
		return 0;
	if (ret_pf_fixed >= 0) {
		fixed = ret == ret_pf_fixed;
	} else {
		bpf_probe_read_kernel(&new_spte, sizeof(new_spte), sptep);
		fixed = old_spte != new_spte;
	}
	record_fault(current_tgid(), PRECOPY_HOOK_FAST_PF,
		     BPF_CORE_READ(fault, addr),
		     BPF_CORE_READ_BITFIELD_PROBED(fault, error_code), fixed,
		     BPF_CORE_READ(vcpu, vcpu_id));
	return 0;
}

/* mark_page_dirty_in_slot(kvm, memslot, gfn): only slots with dirty
 * logging on (KVM_MEM_LOG_DIRTY_PAGES) are logged. fentry reads the
 * memslot, a BTF-typed argument, directly; kprobe has to probe-read. */
SEC("fentry/mark_page_dirty_in_slot")
int BPF_PROG(handle_fentry, struct kvm *kvm,
	     const struct kvm_memory_slot *ms, gfn_t gfn)
{
	__u32 pid = 0;

	if (!ms || !(ms->flags & 1 /* KVM_MEM_LOG_DIRTY_PAGES */))
		return 0;
	/* Probe-read: struct kvm is large, this field lies beyond the
	 * 32 KiB a load instruction's offset can reach (40408 in 6.1). */
	if (bpf_core_field_exists(kvm->userspace_pid))
		pid = BPF_CORE_READ(kvm, userspace_pid);
	record_slot(kvm_owner(pid), PRECOPY_HOOK_FENTRY,
		    ((__u32)ms->as_id << 16) | (__u16)ms->id, gfn - ms->base_gfn,
		    PRECOPY_VCPU_UNKNOWN);
	return 0;
}

SEC("kprobe/mark_page_dirty_in_slot")
int BPF_KPROBE(handle_kprobe, struct kvm *kvm,
	       const struct kvm_memory_slot *ms, gfn_t gfn)
{
	__u32 pid = 0;

	if (!ms || !(BPF_CORE_READ(ms, flags) & 1))
		return 0;
	if (bpf_core_field_exists(kvm->userspace_pid))
		pid = BPF_CORE_READ(kvm, userspace_pid);
	record_slot(kvm_owner(pid), PRECOPY_HOOK_KPROBE,
		    ((__u32)BPF_CORE_READ(ms, as_id) << 16) |
			    (__u16)BPF_CORE_READ(ms, id),
		    gfn - BPF_CORE_READ(ms, base_gfn), PRECOPY_VCPU_UNKNOWN);
	return 0;
}
