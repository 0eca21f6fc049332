// SPDX-License-Identifier: GPL-2.0
/*
 * tracker.bpf.c - the KVM dirty-page tracker.
 *
 * Every program here turns one kind of "this guest page was dirtied" signal
 * into the same per-page state: a bit in the current epoch's dirty bitmap,
 * a per-2 MiB-region count of pages newly dirtied, the page's last dirty
 * epoch, per-vCPU counts, and optionally a sampled raw event.
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
 * Fault hooks see only the first write to a page after each clear of the
 * log; the ring and the function hooks see every logged dirtying.
 *
 * Filtering: only processes registered in map `vms` (by tgid; for the
 * function hooks by kvm->userspace_pid when the kernel has it) are
 * recorded, so several VMMs can be tracked at once without mixing.
 *
 * Epochs: user space owns the epoch number in .bss. A program reads it once
 * per event and records into buffer (epoch & 1). To harvest, user space
 * advances the epoch, waits until no CPU is inside a recording section of
 * the old buffer (map `inflight`), then reads and clears the old buffer.
 * The recording section is bracketed by atomic increments, which are full
 * barriers on x86, so the harvester never misses a late writer.
 *
 * Cost: one hash lookup, a bounded scan of at most PRECOPY_MAX_SLOTS slots,
 * and one atomic OR on the bitmap when the bit is not yet set.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "tracker_common.h"

char LICENSE[] SEC("license") = "GPL";

/* Configuration, set by the loader before load. */
const volatile __u64 words_per_buf = PRECOPY_DEFAULT_CAPACITY / 64;
const volatile __u64 regions_per_buf =
	PRECOPY_DEFAULT_CAPACITY / PRECOPY_REGION_PAGES;
const volatile __u32 sample_every = 0; /* 0: no raw events; N: 1 in N */
const volatile int ret_pf_fixed = -1;  /* RET_PF_FIXED, -1 if unknown */

/* Shared with user space (mmapped .bss). */
__u32 epoch;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2 * (PRECOPY_DEFAULT_CAPACITY / 64));
} dirty SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2 * (PRECOPY_DEFAULT_CAPACITY / PRECOPY_REGION_PAGES));
} regions SEC(".maps");

struct page_epoch_elem {
	__u32 epoch_plus1[PRECOPY_PAGE_EPOCHS_PER_ELEM];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct page_epoch_elem);
	__uint(max_entries, PRECOPY_DEFAULT_CAPACITY / PRECOPY_PAGE_EPOCHS_PER_ELEM);
} page_epoch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct precopy_vcpu_stat);
	__uint(max_entries, PRECOPY_MAX_VMS * PRECOPY_MAX_VCPUS);
} vcpu_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct precopy_inflight);
	__uint(max_entries, PRECOPY_MAX_CPUS);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, PRECOPY_STAT__COUNT);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct precopy_vm);
	__uint(max_entries, PRECOPY_MAX_VMS);
} vms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct precopy_unmapped_key);
	__type(value, __u64);
	__uint(max_entries, 256);
} unmapped SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		(*v)++;
}

/* Per-CPU sampling counters (one slot per CPU, touched only by its CPU). */
static __u64 sample_tick[PRECOPY_MAX_CPUS];

static __always_inline bool sample_now(void)
{
	__u32 cpu;

	if (!sample_every)
		return false;
	if (sample_every == 1)
		return true;
	cpu = bpf_get_smp_processor_id();
	if (cpu >= PRECOPY_MAX_CPUS)
		return false;
	return ++sample_tick[cpu] % sample_every == 0;
}

static __always_inline void emit_event(const struct precopy_vm *vm,
				       __u8 hook, __u32 slot, __u64 offset,
				       __u64 gfn, __u32 vcpu, __u32 ep,
				       bool new_dirty)
{
	struct precopy_event *e;
	__u64 id;

	if (!sample_now())
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(PRECOPY_STAT_RB_DROPPED);
		return;
	}
	id = bpf_get_current_pid_tgid();
	e->ts_ns = bpf_ktime_get_ns();
	e->gfn = gfn;
	e->offset = offset;
	e->tgid = id >> 32;
	e->tid = (__u32)id;
	e->slot = slot;
	e->epoch = ep;
	e->vcpu = vcpu;
	e->hook = hook;
	e->vm_index = vm->vm_index;
	e->new_dirty = new_dirty;
	bpf_ringbuf_submit(e, 0);
	stat_inc(PRECOPY_STAT_RB_SAMPLED);
}

/*
 * Record guest page `gfn` of `vm` as dirtied. The caller has already
 * resolved and range-checked gfn against the VM's memory map.
 */
static __always_inline void record_gfn(const struct precopy_vm *vm, __u8 hook,
				       __u32 slot, __u64 offset, __u64 gfn,
				       __u32 vcpu)
{
	struct precopy_inflight *fl;
	struct precopy_vcpu_stat *vs;
	struct page_epoch_elem *pe;
	__u64 page, bit, old, seq, *word, *region;
	__u32 cpu, ep, buf, idx;
	bool new_dirty = false;

	stat_inc(PRECOPY_STAT_EVENTS + hook);
	if (gfn >= vm->page_limit) {
		stat_inc(PRECOPY_STAT_OUT_OF_RANGE);
		return;
	}
	page = vm->page_base + gfn;
	if (page >= words_per_buf * 64) {
		stat_inc(PRECOPY_STAT_OUT_OF_RANGE);
		return;
	}

	cpu = bpf_get_smp_processor_id();
	fl = bpf_map_lookup_elem(&inflight, &cpu);
	if (!fl) {
		stat_inc(PRECOPY_STAT_MAP_ERROR);
		return;
	}
	/* Odd while recording. The locked add is a full barrier: the epoch
	 * is read after the harvester can see us. Only this CPU writes its
	 * slot, so the closing store needs no lock. */
	seq = __sync_fetch_and_add(&fl->seq, 1);

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
			      (page >> PRECOPY_REGION_SHIFT);
			region = bpf_map_lookup_elem(&regions, &idx);
			if (region)
				__sync_fetch_and_add(region, 1);
		}
	} else if (!word) {
		stat_inc(PRECOPY_STAT_MAP_ERROR);
	}

	*(volatile __u64 *)&fl->seq = seq + 2; /* even: done with the buffer */

	if (new_dirty) {
		stat_inc(PRECOPY_STAT_NEW_DIRTY);
		idx = page / PRECOPY_PAGE_EPOCHS_PER_ELEM;
		pe = bpf_map_lookup_elem(&page_epoch, &idx);
		if (pe)
			pe->epoch_plus1[page % PRECOPY_PAGE_EPOCHS_PER_ELEM] =
				ep + 1;
	}

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

	emit_event(vm, hook, slot, offset, gfn, vcpu, ep, new_dirty);
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

/* Resolve (slot, offset) through the VM's memory map and record it. */
static __always_inline void record_slot(__u32 tgid, __u8 hook, __u32 slot,
					__u64 offset, __u32 vcpu)
{
	struct precopy_vm *vm = bpf_map_lookup_elem(&vms, &tgid);
	int i;

	if (!vm)
		return;
	for (i = 0; i < PRECOPY_MAX_SLOTS; i++) {
		if (i >= vm->nslots)
			break;
		if (vm->slots[i].slot != slot)
			continue;
		if (offset >= vm->slots[i].npages)
			break;
		record_gfn(vm, hook, slot, offset,
			   vm->slots[i].base_gfn + offset, vcpu);
		return;
	}
	note_unmapped(tgid, slot);
}

/* Resolve a guest-physical address through the VM's memory map. */
static __always_inline void record_gpa(__u32 tgid, __u8 hook, __u64 gpa,
				       __u32 vcpu)
{
	struct precopy_vm *vm = bpf_map_lookup_elem(&vms, &tgid);
	__u64 gfn = gpa >> 12;
	int i;

	if (!vm)
		return;
	for (i = 0; i < PRECOPY_MAX_SLOTS; i++) {
		if (i >= vm->nslots)
			break;
		if (gfn >= vm->slots[i].base_gfn &&
		    gfn - vm->slots[i].base_gfn < vm->slots[i].npages) {
			record_gfn(vm, hook, vm->slots[i].slot,
				   gfn - vm->slots[i].base_gfn, gfn, vcpu);
			return;
		}
	}
	/* A fault outside every memory slot is MMIO, not dirty memory. */
}

static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

/* Two forms of the ring-push hook: the BTF-typed raw tracepoint gets the
 * tracepoint's arguments directly (no trace record is formatted, about half
 * the cost); the classic tracepoint is the fallback for kernels without
 * BTF for it. The loader uses the first that loads. */
SEC("tp_btf/kvm_dirty_ring_push")
int BPF_PROG(handle_ring_push_btf, struct kvm_dirty_ring *ring, __u32 slot,
	     __u64 offset)
{
	record_slot(current_tgid(), PRECOPY_HOOK_RING_PUSH, slot, offset,
		    BPF_CORE_READ(ring, index));
	return 0;
}

SEC("tracepoint/kvm/kvm_dirty_ring_push")
int handle_ring_push(struct trace_event_raw_kvm_dirty_ring_push *ctx)
{
	record_slot(current_tgid(), PRECOPY_HOOK_RING_PUSH, ctx->slot,
		    ctx->offset, ctx->index);
	return 0;
}

/* kvm_page_fault's error code: EPT exit qualification on VMX, #NPF error
 * code on SVM; bit 1 means a write in both. Older kernels have no vcpu_id
 * and a 32-bit error code; CO-RE adjusts the loads. */
SEC("tracepoint/kvm/kvm_page_fault")
int handle_page_fault(struct trace_event_raw_kvm_page_fault *ctx)
{
	__u32 vcpu = PRECOPY_VCPU_UNKNOWN;
	__u64 err = ctx->error_code;

	if (!bpf_map_lookup_elem(&vms, &(__u32){ current_tgid() }))
		return 0;
	if (!(err & 2)) {
		stat_inc(PRECOPY_STAT_NOT_WRITE);
		return 0;
	}
	if (bpf_core_field_exists(ctx->vcpu_id))
		vcpu = ctx->vcpu_id;
	record_gpa(current_tgid(), PRECOPY_HOOK_PAGE_FAULT, ctx->fault_address,
		   vcpu);
	return 0;
}

SEC("tracepoint/kvmmmu/fast_page_fault")
int handle_fast_pf(struct trace_event_raw_fast_page_fault *ctx)
{
	bool fixed;

	if (!bpf_map_lookup_elem(&vms, &(__u32){ current_tgid() }))
		return 0;
	if (!(ctx->error_code & 2)) {
		stat_inc(PRECOPY_STAT_NOT_WRITE);
		return 0;
	}
	if (ret_pf_fixed >= 0)
		fixed = ctx->ret == ret_pf_fixed;
	else
		fixed = ctx->old_spte != ctx->new_spte;
	if (!fixed) {
		stat_inc(PRECOPY_STAT_NOT_FIXED);
		return 0;
	}
	record_gpa(current_tgid(), PRECOPY_HOOK_FAST_PF, ctx->cr2_or_gpa,
		   ctx->vcpu_id);
	return 0;
}

/* The VMM a struct kvm belongs to: the process that created it, when the
 * kernel records that and it is tracked (dirtying may happen in a kworker),
 * else the current process. */
static __always_inline __u32 kvm_owner(struct kvm *kvm)
{
	if (bpf_core_field_exists(kvm->userspace_pid)) {
		__u32 pid = BPF_CORE_READ(kvm, userspace_pid);

		if (pid && bpf_map_lookup_elem(&vms, &pid))
			return pid;
	}
	return current_tgid();
}

static __always_inline void record_memslot(struct kvm *kvm,
					   const struct kvm_memory_slot *ms,
					   __u64 gfn, __u8 hook)
{
	__u32 flags, slot;
	__u64 base;

	if (!ms)
		return;
	flags = BPF_CORE_READ(ms, flags);
	if (!(flags & 1 /* KVM_MEM_LOG_DIRTY_PAGES */))
		return;
	slot = ((__u32)BPF_CORE_READ(ms, as_id) << 16) |
	       (__u16)BPF_CORE_READ(ms, id);
	base = BPF_CORE_READ(ms, base_gfn);
	record_slot(kvm_owner(kvm), hook, slot, gfn - base,
		    PRECOPY_VCPU_UNKNOWN);
}

SEC("fentry/mark_page_dirty_in_slot")
int BPF_PROG(handle_fentry, struct kvm *kvm,
	     const struct kvm_memory_slot *memslot, gfn_t gfn)
{
	record_memslot(kvm, memslot, gfn, PRECOPY_HOOK_FENTRY);
	return 0;
}

SEC("kprobe/mark_page_dirty_in_slot")
int BPF_KPROBE(handle_kprobe, struct kvm *kvm,
	       const struct kvm_memory_slot *memslot, gfn_t gfn)
{
	record_memslot(kvm, memslot, gfn, PRECOPY_HOOK_KPROBE);
	return 0;
}
