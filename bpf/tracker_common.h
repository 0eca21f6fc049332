/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tracker_common.h - plain C types shared by the dirty tracker's BPF programs
 * (tracker.bpf.c) and its user-space loader (user/lib/kvm/tracker.c).
 *
 * Page space. The tracker keeps one flat page space for all tracked VMs.
 * Each VM owns the pages [page_base, page_base + page_limit): page
 * page_base + gfn is the VM's guest-physical page gfn. page_base is a
 * multiple of PRECOPY_REGION_PAGES, so every 64-page bitmap word and every
 * 2 MiB region belongs to exactly one VM.
 *
 * State, besides the epoch, `dirty`, `inflight` and `stats` of the
 * recording scheme both trackers share (dirty_record.bpf.h; `stats`
 * indexed by enum precopy_stat):
 *   vm_ids      .bss, struct precopy_vm_id per VM index: which VMM it is
 *               (0: free) and which copy of its memory map is in use;
 *               entries [0, nvm_ids) are scanned.
 *   vms         array: struct precopy_vm, two copies per VM index
 *               (index * 2 + cur).
 *   vcpu_stats  BPF_F_MMAPABLE array: struct precopy_vcpu_stat per
 *               (vm_index, vcpu).
 *   unmapped    LRU hash: (tgid, slot) -> events whose slot is unknown.
 */
#ifndef PRECOPY_TRACKER_COMMON_H
#define PRECOPY_TRACKER_COMMON_H

#define PRECOPY_MAX_VMS 16
#define PRECOPY_MAX_SLOTS 32
#define PRECOPY_MAX_VCPUS 64
#define PRECOPY_VCPU_UNKNOWN (PRECOPY_MAX_VCPUS - 1)
#define PRECOPY_REGION_SHIFT 9 /* 512 pages of 4 KiB = 2 MiB */
#define PRECOPY_REGION_PAGES (1u << PRECOPY_REGION_SHIFT)
#define PRECOPY_DEFAULT_CAPACITY (16u << 20) /* pages: 64 GiB of 4 KiB */

/* The hooks a dirty event can come from. */
enum precopy_hook {
	PRECOPY_HOOK_RING_PUSH = 0, /* tracepoint kvm:kvm_dirty_ring_push */
	PRECOPY_HOOK_PAGE_FAULT,    /* tracepoint kvm:kvm_page_fault, writes */
	PRECOPY_HOOK_FAST_PF,       /* tracepoint kvmmmu:fast_page_fault */
	PRECOPY_HOOK_FENTRY,        /* fentry mark_page_dirty_in_slot */
	PRECOPY_HOOK_KPROBE,        /* kprobe mark_page_dirty_in_slot */
	PRECOPY_HOOK__COUNT,
};

/* Per-CPU statistics counters (map `stats`). */
enum precopy_stat {
	PRECOPY_STAT_EVENTS = 0, /* + hook: events of tracked VMs, per hook */
	PRECOPY_STAT_NEW_DIRTY = PRECOPY_HOOK__COUNT, /* bits newly set */
	PRECOPY_STAT_UNKNOWN_SLOT,  /* slot not in the VM's memory map */
	PRECOPY_STAT_OUT_OF_RANGE,  /* gfn beyond the VM's page range */
	PRECOPY_STAT_NOT_WRITE,     /* fault events that were not writes */
	PRECOPY_STAT_NOT_FIXED,     /* fast_page_fault that did not fix */
	PRECOPY_STAT_MAP_ERROR,     /* map lookup failed (cannot happen) */
	PRECOPY_STAT__COUNT,
};

/* One KVM memory slot of a tracked VM. */
struct precopy_slot {
	unsigned int slot;         /* as_id << 16 | slot id, as KVM reports */
	unsigned int flags;        /* reserved, 0 */
	unsigned long long base_gfn; /* first guest-physical page */
	unsigned long long npages;
};

/* Entry of .bss vm_ids[]: the VMM tracked under one VM index. */
struct precopy_vm_id {
	unsigned int tgid;         /* 0: entry free */
	unsigned int cur;          /* copy of its memory map in use, 0 or 1 */
};

/* Value of map `vms`: the memory map of one tracked VMM process. */
struct precopy_vm {
	unsigned int vm_index;     /* 0 .. PRECOPY_MAX_VMS-1 */
	unsigned int nslots;
	unsigned long long page_base;  /* first page in the flat page space */
	unsigned long long page_limit; /* pages of this VM (max gfn + 1) */
	struct precopy_slot slots[PRECOPY_MAX_SLOTS];
};

/* Key of map `unmapped`. */
struct precopy_unmapped_key {
	unsigned int tgid;
	unsigned int slot;
};

/* Value of map `vcpu_stats`, index vm_index * PRECOPY_MAX_VCPUS + vcpu. */
struct precopy_vcpu_stat {
	unsigned long long events;    /* dirty events seen */
	unsigned long long new_dirty; /* pages this vCPU dirtied first */
	unsigned long long pad[6];    /* one cache line per vCPU */
};

#endif /* PRECOPY_TRACKER_COMMON_H */
