/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dirtylimit.h - precopy-plan's answer to a migration that does not
 * converge: QEMU's per-vCPU dirty-page-rate limit (QMP
 * set-vcpu-dirty-limit; KVM with a dirty ring), set to the rate the
 * planner's forecast says converges, only once the migration has stalled,
 * and lifted after the switchover (cancel-vcpu-dirty-limit).
 *
 *	d = dirtylimit__new(qmp_path);
 *	at a migration's start:		dirtylimit__start(d, note, len);
 *	at each of QEMU's bitmap syncs:	dirtylimit__sync(d, &in, note, len);
 *	when it completes or fails:	dirtylimit__lift(d, note, len);
 *	dirtylimit__free(d);		(lifts a limit still set)
 *
 * How QEMU's limit works, and why the rules below (system/dirtylimit.c in
 * QEMU 10.0): a thread measures each vCPU's dirty rate every second, in
 * MB/s of dirty-ring entries (on hosts whose KVM emulates guest code, one
 * entry per store, stack stores included, so it is several times the
 * guest's data-page rate), and sets how long the vCPU sleeps each time its
 * dirty ring fills: in one step proportional to (current - quota) when
 * they are more than 50 % apart, in small steps otherwise, and not at all
 * when they are within 25 MB/s.
 *
 * The rules:
 * - Measure. At the start, a limit far above any rate
 *   (DIRTYLIMIT_MEASURE MB/s) is set: it throttles nothing, and makes
 *   QEMU measure every vCPU's rate from then on (query-vcpu-dirty-limit,
 *   read every 0.5 s); the median of the last 5 measures before any real
 *   limit (the highest rate over the vCPUs), c, is the unthrottled rate
 *   (it moves with the host's load).
 * - Stall. The migration has stalled when more pages are dirty than the
 *   budget and, over the last DIRTYLIMIT_STALL_S seconds, the fewest dirty
 *   pages at a sync fell below the fewest seen before them by less than
 *   half of what the link carried meanwhile (in.bandwidth_pages_s x
 *   DIRTYLIMIT_STALL_S; without a bandwidth: by less than a tenth): the
 *   guest dirtied more than half of what the link carried, the trigger of
 *   QEMU's auto-converge (throttle-trigger-threshold 50). With a quarter,
 *   a first limit that left the guest dirtying ~1,100 pages/s of a
 *   2,048-page/s link drained for 11 s before the next step (hotcold-wide,
 *   20.7 s in all); with half, the same guest took 15.1-19.8 s. The
 *   first pass over RAM does not look stalled while it progresses: while
 *   more pages than the budget were never sent (in.unsent) and those fell
 *   by as much over the window, the dirty pages are mostly the ones the
 *   first pass has not reached, and a guest that dirties pages faster
 *   than the link carries them would look stalled long before its steady
 *   state is known (limits set there, mid first pass, made migrations of
 *   19.8 s where limits set after it made 15.8-17.4 s). A first pass
 *   that stalls itself (its pages never sent stay) is a stall.
 *   The planner's own verdict (in.converging) is not enough: it compares
 *   the dirty pages over its last 8 plans, and with plans refreshed every
 *   window (a fraction of a second) that is not a trend.
 * - Limit. On a stall, with the planner's throttle advice x (the share of
 *   guest time to take away for the forecast to converge; 0.5 when it has
 *   none), the quota is q = (1 - x) * c, at most c - 26 (QEMU ignores a
 *   difference within 25 MB/s), at least 1 MB/s, set for every vCPU.
 * - Tighten. While a limit is set and the migration stalls again
 *   DIRTYLIMIT_STALL_S seconds after the last change, q is halved (down to
 *   1 MB/s), once QEMU's measured rate is within 1.5 times q (or within
 *   its dead band of it): the limit took effect and did not do. While the
 *   measure is still above that, the halving waits, for at most 3 x
 *   DIRTYLIMIT_STALL_S after the change. QEMU's controller lags: on
 *   hotcold-wide (8 MiB/s, 1 s) it measured 179-193 MB/s under quotas of
 *   160, 80 and 40 MB/s alike, a new halving came every 2 s of stall, and
 *   one run went to 1 MB/s in 8 changes and took 82.5 s (2,476 guest
 *   writes/s during it, against 10,000-11,000 in runs of 14-25 s).
 * - Lift. dirtylimit__lift() cancels the limit (the switchover is done,
 *   or the migration failed and the guest runs on at full speed).
 */
#ifndef PRECOPY_DIRTYLIMIT_H
#define PRECOPY_DIRTYLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DIRTYLIMIT_MEASURE 100000	/* MB/s: measures, throttles nothing */
#define DIRTYLIMIT_STALL_S 2.0		/* seconds of no progress = stalled */
#define DIRTYLIMIT_DEADBAND 25		/* MB/s QEMU's controller ignores */

struct dirtylimit;

/* What the planner knows at a sync. */
struct dirtylimit_input {
	double t_s;		/* now, seconds (any monotonic origin) */
	uint64_t iteration;	/* QEMU's iteration (dirty-sync count) */
	uint64_t remaining;	/* dirty pages at the sync */
	uint64_t budget;	/* pages the downtime limit allows */
	bool converging;	/* the planner's verdict (for the note) */
	double bandwidth_pages_s; /* the planner's bandwidth estimate; 0:
				   * unknown */
	double throttle;	/* its advice: share of guest time, 0..0.99; 0:
				 * none */
	uint64_t unsent;	/* pages never sent yet (dirty at every sync,
				 * not written by the guest in between); 0:
				 * unknown */
};

/* The state, for logs. */
struct dirtylimit_state {
	bool connected;		/* QMP answers */
	bool measuring;		/* the measuring limit is set */
	uint64_t quota;		/* MB/s in force; 0: none (or measuring) */
	double free_rate;	/* c, MB/s; 0: not measured yet */
	double current_rate;	/* QEMU's last measure, MB/s (max over vCPUs) */
	unsigned int changes;	/* limits set (not counting the measuring one) */
};

/* A controller over the QMP socket at qmp_path (connected on first use).
 * Returns NULL (errno ENOMEM, or EINVAL for a NULL path). */
struct dirtylimit *dirtylimit__new(const char *qmp_path);

/* Lift a limit still set, close, free. NULL is ignored. */
void dirtylimit__free(struct dirtylimit *d);

/*
 * A migration starts: (re)connect to QMP, forget the last migration's
 * history, set the measuring limit. Returns 0, or -1 with a one-line
 * reason in note (QMP unreachable, QEMU refused: no dirty ring); later
 * calls try again.
 */
int dirtylimit__start(struct dirtylimit *d, char *note, size_t len);

/*
 * A sync: refresh QEMU's measure (at most every 0.5 s), apply the rules.
 * Returns 1 when it set a new quota (note says which, and why), 0 when
 * nothing changed, -1 when QMP failed (note says; the limit in force, if
 * any, stays).
 */
int dirtylimit__sync(struct dirtylimit *d, const struct dirtylimit_input *in,
		     char *note, size_t len);

/* Cancel any limit (the measuring one too). Returns 1 when one was
 * cancelled, 0 when none was set, -1 when QMP failed (note says). */
int dirtylimit__lift(struct dirtylimit *d, char *note, size_t len);

/* QEMU process pid's QMP unix socket from its command line (-qmp
 * unix:PATH, or a -chardev socket with -mon mode=control): 0, or a
 * negative errno (-ENOENT: none). */
int dirtylimit__find_qmp(pid_t pid, char *out, size_t outlen);

/* The state now. Can't fail. */
void dirtylimit__state(const struct dirtylimit *d, struct dirtylimit_state *s);

#endif /* PRECOPY_DIRTYLIMIT_H */
