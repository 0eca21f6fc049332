// SPDX-License-Identifier: GPL-2.0
/*
 * slot_watch.bpf.c - learn a VMM's KVM memory slots from its ioctls.
 *
 * The dirty ring reports a dirtied page as (slot, offset in the slot);
 * turning that into a guest-physical page needs the VMM's slot layout,
 * which KVM does not export. Every slot is created, changed and deleted
 * with KVM_SET_USER_MEMORY_REGION(2), and QEMU re-issues it for each RAM
 * slot whenever dirty logging is switched on or off. This program watches
 * those calls of registered processes (map `watched`) and sends each to
 * user space through a ring buffer.
 *
 * It is a raw tracepoint on raw_syscalls:sys_enter filtered on the ioctl
 * number, not the classic tracepoint syscalls:sys_enter_ioctl: a classic
 * tracepoint needs tracefs mounted for libbpf to find its id, and a fresh
 * machine has none. The cost is a compare on every system call.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "slot_watch_common.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u8);
	__uint(max_entries, SLOT_WATCH_MAX_WATCHED);
} watched SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} slot_events SEC(".maps");

__u64 lost; /* events the ring buffer had no room for */

/* The leading fields of kvm_userspace_memory_region(2). */
struct user_region {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
};

#define NR_IOCTL 16 /* x86-64 */

SEC("raw_tp/sys_enter")
int handle_ioctl(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (void *)ctx->args[0];
	__u32 tgid, cmd;
	struct memslot_event *e;
	struct user_region r;
	void *arg;

	if (ctx->args[1] != NR_IOCTL)
		return 0;
	cmd = (__u32)BPF_CORE_READ(regs, si);
	if (cmd != SLOT_WATCH_SET_REGION && cmd != SLOT_WATCH_SET_REGION2)
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (!bpf_map_lookup_elem(&watched, &tgid))
		return 0;
	arg = (void *)BPF_CORE_READ(regs, dx);
	if (bpf_probe_read_user(&r, sizeof(r), arg))
		return 0;
	e = bpf_ringbuf_reserve(&slot_events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost, 1);
		return 0;
	}
	e->tgid = tgid;
	e->slot = r.slot;
	e->flags = r.flags;
	e->pad = 0;
	e->gpa = r.guest_phys_addr;
	e->size = r.memory_size;
	e->hva = r.userspace_addr;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
