/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migrun.h - one measured live migration between two real QEMU processes
 * on loopback: stock pre-copy, or driven by precopy-plan through the plan
 * ring of a patched QEMU (tools/qemu), with the destination's memory
 * compared to the source's afterwards and optional injected faults.
 *
 * A run, in order:
 *   1. plan mode, planner "before": start the planner on a fresh ring;
 *   2. start the destination (-incoming tcp:127.0.0.1:PORT -S, so it stays
 *      paused after the migration) and the source, each with a QMP socket
 *      and a serial log in the run folder;
 *   3. wait for `ready_text` in the source's serial log, then `warmup_s`;
 *   4. migrate-set-parameters max-bandwidth, downtime-limit and, in plan
 *      mode, x-precopy-plan; migrate; poll query-migrate every 50 ms;
 *      planner "after": started once the source reports its first bitmap
 *      sync; faults are injected once dirty-sync-count reaches
 *      fault_iteration;
 *   5. read total-time, downtime, setup-time, ram.transferred and
 *      dirty-sync-count from query-migrate;
 *   6. both VMs stopped (source postmigrate, destination paused): pmemsave
 *      [0, mem) of each and compare them page by page (memdiff.h), all
 *      but the legacy window [640 KiB, 1 MiB) (PAM/VGA mappings, and the
 *      kvmclock page KVM rewrites on the destination, see migrun.c);
 *   7. plan mode: read QEMU's counters from the ring, stop the planner with
 *      SIGTERM and record how it exited; quit both QEMUs.
 * Every process it started is gone when migrun__run() returns.
 */
#ifndef PRECOPY_MIGRUN_H
#define PRECOPY_MIGRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum migrun_accel { MIGRUN_KVM = 0, MIGRUN_TCG = 1 };
enum migrun_start { MIGRUN_PLANNER_BEFORE = 0, MIGRUN_PLANNER_AFTER = 1 };
enum migrun_fault {
	MIGRUN_FAULT_NONE = 0,
	MIGRUN_FAULT_KILL_PLANNER,	/* SIGKILL the planner mid-migration */
	MIGRUN_FAULT_GARBAGE,		/* publish a slot of random bytes */
};

struct migrun_config {
	const char *qemu;		/* qemu-system-x86_64 (patched) */
	enum migrun_accel accel;
	unsigned int dirty_ring;	/* KVM dirty-ring-size; 0: bitmap */
	const char *kernel;		/* -kernel */
	const char *initrd;		/* -initrd, or NULL */
	const char *append;		/* kernel command line */
	const char *ready_text;		/* serial text: the workload runs */
	unsigned int mem_mib;		/* guest RAM, 16..4096 */
	double warmup_s;		/* after ready, before migrate */
	double bandwidth_mibps;		/* max-bandwidth, > 0 */
	unsigned int downtime_ms;	/* downtime-limit, > 0 */
	bool plan;			/* drive the migration by precopy-plan */
	const char *planner;		/* the precopy-plan binary */
	const char *const *planner_args; /* extra arguments, NULL-terminated, or NULL */
	enum migrun_start planner_start;
	enum migrun_fault fault;
	unsigned int fault_iteration;	/* dirty-sync-count to inject at (>= 1) */
	double timeout_s;		/* the migration itself */
	const char *workdir;		/* existing folder for sockets, logs, dumps */
	bool keep_dumps;		/* keep src.mem/dst.mem in workdir */
	bool verbose;			/* progress on stderr */
};

struct migrun_result {
	char status[24];		/* query-migrate status at the end */
	int64_t total_time_ms;
	int64_t downtime_ms;
	int64_t setup_time_ms;
	int64_t transferred;		/* ram.transferred, bytes */
	int64_t dirty_syncs;		/* ram.dirty-sync-count */
	int64_t normal_pages;		/* ram.normal */
	int64_t duplicate_pages;	/* ram.duplicate (zero pages) */
	/* memory equality */
	bool mem_checked;
	bool mem_equal;
	uint64_t mem_bytes;
	uint64_t mem_diff_pages;
	uint64_t mem_first_diff;	/* byte offset, if any */
	uint64_t mem_hash;		/* FNV-1a 64 of the source's dump */
	/* plan mode: QEMU's counters in the ring */
	bool ring_read;
	uint64_t plans_used, fallback_none, fallback_stale, rejected;
	bool fault_injected;
	int planner_status;		/* exit status, or -signal; -1000 none */
};

/* Defaults: KVM with a dirty ring of 4096 entries, 256 MiB, warm-up 2 s, 64 MiB/s, 300 ms, stock, planner
 * before, no fault (fault_iteration 2), timeout 180 s. Strings stay NULL. */
void migrun_config__default(struct migrun_config *c);

/*
 * Run one migration per *c. Returns 0 when the migration ran to an end
 * (r->status says whether it completed; r->mem_equal whether memory
 * matches), or -1 with a one-line reason in err when it could not be run
 * or measured (QEMU did not start, the guest never got ready, QMP failed,
 * the migration timed out: it is then cancelled). Every child is stopped
 * before returning.
 */
int migrun__run(const struct migrun_config *c, struct migrun_result *r,
		char *err, size_t errlen);

#endif /* PRECOPY_MIGRUN_H */
