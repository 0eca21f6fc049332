/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migrun.h - one measured live migration between two real QEMU processes,
 * on loopback or between two network namespaces: stock pre-copy, QEMU's
 * own convergence aids (auto-converge, dirty-limit), or driven by
 * precopy-plan through the plan ring of a patched QEMU (tools/qemu), with
 * the destination's memory compared to the source's afterwards and
 * optional injected faults.
 *
 * A run, in order:
 *   1. plan mode, planner "before": start the planner on a fresh ring;
 *   2. start the destination (-incoming tcp:ADDR:PORT -S, so it stays
 *      paused after the migration) and the source, each with a QMP socket
 *      and a serial log in the run folder; with netns names, each inside
 *      its network namespace (ADDR is then dst_addr, else 127.0.0.1);
 *   3. wait for `ready_text` in the source's serial log, then `warmup_s`;
 *   4. migrate-set-capabilities (auto-converge, or dirty-limit) and
 *      migrate-set-parameters max-bandwidth, downtime-limit, and in plan
 *      mode x-precopy-plan, in dirty-limit mode vcpu-dirty-limit; migrate;
 *      poll query-migrate every 50 ms; planner "after": started once the
 *      source reports its first bitmap sync; faults are injected once
 *      dirty-sync-count reaches fault_iteration;
 *   5. read total-time, downtime, setup-time, ram.transferred and
 *      dirty-sync-count from query-migrate;
 *   6. both VMs stopped (source postmigrate, destination paused): compare
 *      their RAM in place, page by page, read from the two processes
 *      (guestmem.h, memdiff.h: no dump, any size), all but
 *      the legacy window [640 KiB, 1 MiB) (PAM/VGA, and the kvmclock page
 *      KVM rewrites on the destination, see migrun.c);
 *   7. plan mode: read QEMU's counters from the ring, stop the planner with
 *      SIGTERM and record how it exited; quit both QEMUs.
 * For the workload guest (tools/guest), the write counter in its status
 * block is read from the source's RAM at the end of the warm-up's first
 * half, at `migrate` and after the switchover: the guest's write rate
 * before and during the migration.
 * Every process it started is gone when migrun__run() returns; they are
 * also asked to exit (SIGTERM, PR_SET_PDEATHSIG) if the caller dies.
 */
#ifndef PRECOPY_MIGRUN_H
#define PRECOPY_MIGRUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum migrun_accel { MIGRUN_KVM = 0, MIGRUN_TCG = 1 };
enum migrun_mode {
	MIGRUN_STOCK = 0,	/* QEMU's own pre-copy */
	MIGRUN_PLAN,		/* by precopy-plan through the plan ring */
	MIGRUN_AUTO_CONVERGE,	/* capability auto-converge (CPU throttle) */
	MIGRUN_DIRTY_LIMIT,	/* capability dirty-limit at vcpu_dirty_limit */
	MIGRUN_MODES
};
enum migrun_start { MIGRUN_PLANNER_BEFORE = 0, MIGRUN_PLANNER_AFTER = 1 };
enum migrun_fault {
	MIGRUN_FAULT_NONE = 0,
	MIGRUN_FAULT_KILL_PLANNER,	/* SIGKILL the planner mid-migration */
	MIGRUN_FAULT_GARBAGE,		/* publish a slot of random bytes */
	MIGRUN_FAULT_CORRUPT_DEST,	/* after the migration, flip a byte of
					 * one page of the destination's RAM
					 * (corrupt_gpa) before the compare:
					 * the check must say "differs" */
};

/*
 * The dirty ring's size by default: 65536 entries, except where QEMU's
 * dirty limit throttles the guest (mode dirty-limit-hand, or plan mode
 * with converge), 4096. QEMU reaps the ring about once a second, and on
 * this host's kernel a guest that dirtied more distinct pages than the
 * ring holds in that time overflowed it (KVM warns "ring should never get
 * full" and pushes past the end): pages' last writes were lost (memory
 * different in 2 of 8 stock runs with 4096 entries, 0 of 12 with 65536).
 * But QEMU's dirty limit throttles a vCPU only when it exits on a full
 * ring: with 65536 entries a limit of 1 MB/s still did not converge a
 * guest in 120 s (1,364 syncs), with 4096 it does.
 */
#define MIGRUN_RING_AUTO	0xffffffffu

struct migrun_config {
	const char *qemu;		/* qemu-system-x86_64 (patched) */
	enum migrun_accel accel;
	unsigned int dirty_ring;	/* KVM dirty-ring-size; 0: bitmap;
					 * MIGRUN_RING_AUTO: migrun_ring_size() */
	const char *kernel;		/* -kernel */
	const char *initrd;		/* -initrd, or NULL */
	const char *append;		/* kernel command line */
	const char *ready_text;		/* serial text: the workload runs */
	const char *error_text;		/* serial text: the guest stopped on
					 * an error (its line is reported at
					 * once), or NULL */
	unsigned int mem_mib;		/* guest RAM, 16..4096 */
	double warmup_s;		/* after ready, before migrate */
	double bandwidth_mibps;		/* max-bandwidth, > 0 */
	unsigned int downtime_ms;	/* downtime-limit, > 0 */
	enum migrun_mode mode;
	unsigned int vcpu_dirty_limit;	/* MB/s, dirty-limit mode (>= 1) */
	bool converge;			/* plan mode: precopy-plan --converge
					 * dirty-limit, on a second QMP socket
					 * of the source */
	const char *planner;		/* the precopy-plan binary */
	const char *const *planner_args; /* extra arguments, NULL-terminated, or NULL */
	enum migrun_start planner_start;
	enum migrun_fault fault;
	unsigned int fault_iteration;	/* dirty-sync-count to inject at (>= 1) */
	double timeout_s;		/* the migration itself */
	const char *src_netns;		/* run the source in /run/netns/NAME, or NULL */
	const char *dst_netns;		/* the destination, or NULL */
	const char *dst_addr;		/* listen address of the destination
					 * (IPv4; NULL: 127.0.0.1) */
	bool dst_ram_on_demand;		/* the destination's RAM is allocated
					 * on first touch, QEMU's default;
					 * false: at its start (-mem-prealloc),
					 * so that no page fault of its first
					 * write falls in the downtime */
	const char *workdir;		/* existing folder for sockets, logs */
	bool keep_dumps;		/* memory differs: write both RAMs to
					 * src.mem/dst.mem in workdir */
	bool verbose;			/* progress on stderr */
	uint64_t corrupt_gpa;		/* MIGRUN_FAULT_CORRUPT_DEST: where */
	/* Set (to non-zero) by the caller's SIGINT/SIGTERM handler, or NULL:
	 * the run stops at its next check (within about 100 ms, or when a
	 * QMP command in progress answers), cancels the migration and
	 * returns -1 with "interrupted", every child stopped and reaped and
	 * every file it made removed (the ring; the RAM copies unless
	 * keep_dumps). */
	const volatile sig_atomic_t *stop;
};

struct migrun_result {
	char status[24];		/* query-migrate status at the end,
					 * or "timeout" */
	int64_t total_time_ms;
	int64_t downtime_ms;
	int64_t setup_time_ms;
	int64_t transferred;		/* ram.transferred, bytes */
	int64_t dirty_syncs;		/* ram.dirty-sync-count */
	int64_t normal_pages;		/* ram.normal */
	int64_t duplicate_pages;	/* ram.duplicate (zero pages) */
	int64_t downtime_bytes;		/* ram.downtime-bytes: sent while the
					 * guest was stopped; -1: not told */
	/* from QEMU's downtime checkpoints (downtime_trace.h), -1: unread */
	int64_t downtime_us;		/* the downtime, in microseconds */
	int64_t pause_us;		/* the source stopping the guest to
					 * the destination ready to run it */
	/* memory equality */
	bool mem_checked;
	bool mem_equal;
	uint64_t mem_bytes;
	uint64_t mem_diff_pages;
	uint64_t mem_first_diff;	/* byte offset of the first difference */
	uint64_t mem_hash;		/* FNV-1a 64 of the source's RAM */
	/* the workload guest's writes per second (its status block) */
	bool guest_rate_read;
	double guest_rate_before;	/* over the warm-up's second half */
	double guest_rate_during;	/* from `migrate` to the switchover */
	/* QEMU's throttles, as query-migrate reported them */
	int64_t max_cpu_throttle;	/* cpu-throttle-percentage, max seen */
	int64_t max_dirty_limit_us;	/* dirty-limit-throttle-time-per-round */
	/* plan mode: QEMU's counters in the ring */
	bool ring_read;
	uint64_t plans_used, fallback_none, fallback_stale, rejected;
	bool fault_injected;		/* kill-planner, garbage, corrupt-dest */
	int planner_status;		/* exit status, or -signal; -1000 none */
	/* plan mode with converge: the dirty limits precopy-plan set (its
	 * "dirty_limit" log lines) */
	unsigned int limit_changes;
	uint64_t limit_first, limit_last; /* MB/s per vCPU; 0: none */
	bool limit_lifted;		/* a limit was set, then cancelled */
	double limit_free_rate;		/* QEMU's measure before any limit */
};

/* Defaults: KVM with a dirty ring of 4096 entries, 256 MiB, warm-up 2 s,
 * 64 MiB/s, 300 ms, stock, vcpu_dirty_limit 1 MB/s (QEMU's default),
 * planner before, no fault (fault_iteration 2), timeout 180 s. Strings
 * stay NULL. */
void migrun_config__default(struct migrun_config *c);

/*
 * Run one migration per *c. Returns 0 when the migration ran to an end
 * (r->status says whether it completed; r->mem_equal whether memory
 * matches), or -1 with a one-line reason in err when it could not be run
 * or measured (QEMU did not start, the guest never got ready, QMP failed,
 * the migration timed out: it is then cancelled, r->status is "timeout"
 * and r->transferred, r->dirty_syncs what QEMU had done). Every child is
 * stopped before returning.
 */
int migrun__run(const struct migrun_config *c, struct migrun_result *r,
		char *err, size_t errlen);

/* The names of the files a run makes in c->workdir (QMP sockets, serial
 * logs, stderr logs, the planner's logs, RAM copies), NULL-terminated. A
 * run replaces them: a caller given someone else's folder checks first
 * that none of them is there. */
extern const char *const migrun__files[];

/* The dirty-ring size a run of c uses (c->dirty_ring, or the default of
 * MIGRUN_RING_AUTO for its mode); 0: dirty bitmap. */
unsigned int migrun_ring_size(const struct migrun_config *c);

/* The mode's name: "stock", "plan", "auto-converge", "dirty-limit-hand";
 * migrun_mode__parse() the reverse (-1 for an unknown name). */
const char *migrun_mode__name(enum migrun_mode m);
int migrun_mode__parse(const char *name);

#endif /* PRECOPY_MIGRUN_H */
