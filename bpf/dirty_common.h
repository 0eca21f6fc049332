/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dirty_common.h - plain C types of the recording scheme both dirty
 * trackers share (bpf/dirty_record.bpf.h on the BPF side,
 * user/lib/util/dirty_epochs.h on the user side): the KVM tracker
 * (tracker.bpf.c) and the process tracker (proc_track.bpf.c).
 */
#ifndef PRECOPY_DIRTY_COMMON_H
#define PRECOPY_DIRTY_COMMON_H

#define DIRTY_MAX_CPUS 512

/* Value of map `inflight`: one cache line per CPU. seq is odd while a
 * program on that CPU is inside a recording section. */
struct dirty_inflight {
	unsigned long long seq;
	unsigned long long pad[7];
};

#endif /* PRECOPY_DIRTY_COMMON_H */
