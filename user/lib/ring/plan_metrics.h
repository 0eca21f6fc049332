/* SPDX-License-Identifier: GPL-2.0 */
/*
 * plan_metrics.h - precopy-plan's fleet metrics: what the planner daemon
 * did and what QEMU did with it, in the Prometheus text format (served by
 * live/metrics_http with `precopy-plan --prometheus ADDR`).
 *
 *   counters  precopy_plan_migrations_total{result="started|completed|failed"}
 *             precopy_plan_plans_total{result="published|dropped"}
 *             precopy_plan_qemu_iterations_total{plan="followed|none|stale"}
 *             precopy_plan_rejected_plans_total  (QEMU's, malformed plans)
 *             precopy_plan_sent_pages_total       (QEMU, every iteration)
 *             precopy_plan_predicted_sent_pages_total  (the plan's window,
 *             precopy_plan_planned_sent_pages_total   and what QEMU sent,
 *                                                      over the iterations
 *                                                      a plan was made for)
 *   gauges    precopy_plan_migrating, precopy_plan_iteration,
 *             precopy_plan_bandwidth_bytes_per_second (the planner's
 *             estimate), precopy_plan_qemu_bandwidth_bytes_per_second,
 *             precopy_plan_remaining_pages, precopy_plan_budget_pages,
 *             precopy_plan_converging, precopy_plan_advice_bandwidth_bytes_
 *             per_second and precopy_plan_advice_throttle_ratio (0: none)
 *   info      precopy_plan_info{source, ring, version} 1,
 *             precopy_plan_advice_info{advice="..."} 1 while not converging
 * Every series carries the VM's labels: name and uuid (as libvirt and
 * KubeVirt label theirs: kvm/vm_ident) and pid.
 *
 * The caller feeds events as they happen; render at any time. Not thread
 * safe: one planner loop owns it.
 */
#ifndef PRECOPY_PLAN_METRICS_H
#define PRECOPY_PLAN_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan_ring.h"
#include "model/planner.h"

struct plan_metrics {
	char labels[512];	/* the VM's, prom__label() built */
	char info[512];		/* precopy_plan_info's own */
	uint64_t started, completed, failed;
	uint64_t published, dropped;
	uint64_t sent, predicted, planned_sent;
	bool migrating, converging;
	uint64_t iteration, remaining, budget;
	double bandwidth, qemu_bandwidth, need_bandwidth, throttle;
	char advice[160];	/* the plan's reason while not converging */
	uint64_t window_iter;	/* the iteration the last plan was for */
	uint64_t window;	/* its window (pages); 0: none */
};

/* plan_metrics__init() empties pm and sets the info labels (source: how
 * writes are learned, ring: the ring file, version). Can't fail. */
void plan_metrics__init(struct plan_metrics *pm, const char *source,
			const char *ring, const char *version);

/* plan_metrics__vm() sets the VM's labels: name and uuid (either may be
 * "" or NULL), pid (0: none). Can't fail (over-long labels are cut). */
void plan_metrics__vm(struct plan_metrics *pm, const char *name,
		      const char *uuid, int pid);

/* A migration started, or ended (failed or completed). Can't fail. */
void plan_metrics__start(struct plan_metrics *pm);
void plan_metrics__end(struct plan_metrics *pm, bool failed);

/* A plan for `iteration` was made; published: it reached the ring (else
 * the ring was full). Can't fail. */
void plan_metrics__plan(struct plan_metrics *pm, uint64_t iteration,
			const struct plan *p, bool published);

/* QEMU synced its bitmap: `ended` is the iteration that ended, in which
 * it sent `sent` pages; `remaining` dirty pages are left; it measured
 * `bandwidth` bytes/s (0: unknown). Can't fail. */
void plan_metrics__sync(struct plan_metrics *pm, uint64_t ended,
			uint64_t sent, uint64_t remaining, uint64_t bandwidth);

/*
 * plan_metrics__render() writes the exposition into a malloc'ed *out of
 * *len bytes; hdr (may be NULL) gives QEMU's counters of the ring
 * (iterations followed, fallbacks, rejected plans). Returns 0 or -ENOMEM.
 */
int plan_metrics__render(const struct plan_metrics *pm,
			 const struct plan_ring_hdr *hdr, char **out,
			 size_t *len);

#endif /* PRECOPY_PLAN_METRICS_H */
