/* SPDX-License-Identifier: GPL-2.0 */
/*
 * slot_watch_common.h - types shared by slot_watch.bpf.c and its loader
 * (user/lib/kvm/slot_watch.c): KVM memory-slot registrations seen in the ioctls
 * of watched VMM processes.
 */
#ifndef PRECOPY_MEMSLOTS_COMMON_H
#define PRECOPY_MEMSLOTS_COMMON_H

/* _IOW(KVMIO, 0x46, struct kvm_userspace_memory_region) */
#define SLOT_WATCH_SET_REGION 0x4020ae46u
/* _IOW(KVMIO, 0x49, struct kvm_userspace_memory_region2) */
#define SLOT_WATCH_SET_REGION2 0x40a0ae49u
#define SLOT_WATCH_MAX_WATCHED 16

/* One KVM_SET_USER_MEMORY_REGION(2) call, as the VMM asked for it. */
struct memslot_event {
	unsigned int tgid;
	unsigned int slot;            /* as_id << 16 | id */
	unsigned int flags;           /* KVM_MEM_* */
	unsigned int pad;
	unsigned long long gpa;
	unsigned long long size;      /* bytes; 0 deletes the slot */
	unsigned long long hva;
};

#endif /* PRECOPY_MEMSLOTS_COMMON_H */
