// SPDX-License-Identifier: GPL-2.0
/* plan_metrics.c - precopy-plan's Prometheus metrics (plan_metrics.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_metrics.h"
#include "util/prom.h"

void plan_metrics__init(struct plan_metrics *pm, const char *source,
			const char *ring, const char *version)
{
	memset(pm, 0, sizeof(*pm));
	prom__label(pm->info, sizeof(pm->info), "source", source);
	prom__label(pm->info, sizeof(pm->info), "ring", ring);
	prom__label(pm->info, sizeof(pm->info), "version", version);
}

void plan_metrics__vm(struct plan_metrics *pm, const char *name,
		      const char *uuid, int pid)
{
	char p[16] = "";

	if (pid > 0)
		snprintf(p, sizeof(p), "%d", pid);
	pm->labels[0] = '\0';
	prom__label(pm->labels, sizeof(pm->labels), "name", name);
	prom__label(pm->labels, sizeof(pm->labels), "uuid", uuid);
	prom__label(pm->labels, sizeof(pm->labels), "pid", p);
}

void plan_metrics__start(struct plan_metrics *pm)
{
	pm->started++;
	pm->migrating = true;
	pm->iteration = 0;
	pm->window = 0;
	pm->converging = true;
	pm->advice[0] = '\0';
}

void plan_metrics__end(struct plan_metrics *pm, bool failed)
{
	if (failed)
		pm->failed++;
	else
		pm->completed++;
	pm->migrating = false;
}

void plan_metrics__plan(struct plan_metrics *pm, uint64_t iteration,
			const struct plan *p, bool published)
{
	if (published)
		pm->published++;
	else
		pm->dropped++;
	pm->iteration = iteration;
	pm->bandwidth = p->bandwidth;
	pm->budget = p->budget;
	pm->converging = p->converging;
	pm->need_bandwidth = p->converging ? 0 : p->need_bandwidth;
	pm->throttle = p->converging ? 0 : p->throttle;
	snprintf(pm->advice, sizeof(pm->advice), "%s",
		 !p->converging && p->reason ? p->reason : "");
	if (published && p->action == PLAN_SEND) {
		/* a later plan of the same iteration replaces the window */
		pm->window_iter = iteration;
		pm->window = p->window;
	}
}

void plan_metrics__sync(struct plan_metrics *pm, uint64_t ended,
			uint64_t sent, uint64_t remaining, uint64_t bandwidth)
{
	pm->sent += sent;
	pm->remaining = remaining;
	if (bandwidth)
		pm->qemu_bandwidth = (double)bandwidth;
	if (pm->window && pm->window_iter == ended) {
		pm->predicted += pm->window;
		pm->planned_sent += sent;
		pm->window = 0;
	}
}

int plan_metrics__render(const struct plan_metrics *pm,
			 const struct plan_ring_hdr *hdr, char **out,
			 size_t *len)
{
	FILE *f = open_memstream(out, len);
	const char *l = pm->labels, *c = *pm->labels ? "," : "";
	uint64_t used = 0, none = 0, stale = 0, rejected = 0;

	if (!f)
		return -ENOMEM;
	if (hdr) {
		used = atomic_load(&((struct plan_ring_hdr *)hdr)->plans_used);
		none = atomic_load(&((struct plan_ring_hdr *)hdr)->fallback_none);
		stale = atomic_load(&((struct plan_ring_hdr *)hdr)->fallback_stale);
		rejected = atomic_load(&((struct plan_ring_hdr *)hdr)->rejected);
	}
	prom__head(f, "precopy_plan_info", "gauge",
		   "The planner daemon: how it learns writes, its ring.");
	fprintf(f, "precopy_plan_info{%s%s%s} 1\n", l, *pm->info ? c : "",
		pm->info);
	prom__head(f, "precopy_plan_migrations_total", "counter",
		   "Migrations the planner served, by result.");
	fprintf(f, "precopy_plan_migrations_total{%s%sresult=\"started\"} %"
		PRIu64 "\n", l, c, pm->started);
	fprintf(f, "precopy_plan_migrations_total{%s%sresult=\"completed\"} %"
		PRIu64 "\n", l, c, pm->completed);
	fprintf(f, "precopy_plan_migrations_total{%s%sresult=\"failed\"} %"
		PRIu64 "\n", l, c, pm->failed);
	prom__head(f, "precopy_plan_plans_total", "counter",
		   "Plans made: published in the ring, or dropped (ring full).");
	fprintf(f, "precopy_plan_plans_total{%s%sresult=\"published\"} %"
		PRIu64 "\n", l, c, pm->published);
	fprintf(f, "precopy_plan_plans_total{%s%sresult=\"dropped\"} %"
		PRIu64 "\n", l, c, pm->dropped);
	prom__head(f, "precopy_plan_qemu_iterations_total", "counter",
		   "QEMU's iterations (its ring counters): that followed a "
		   "plan, or fell back to its own order without a plan or "
		   "with a stale one.");
	fprintf(f, "precopy_plan_qemu_iterations_total{%s%splan=\"followed\"} %"
		PRIu64 "\n", l, c, used);
	fprintf(f, "precopy_plan_qemu_iterations_total{%s%splan=\"none\"} %"
		PRIu64 "\n", l, c, none);
	fprintf(f, "precopy_plan_qemu_iterations_total{%s%splan=\"stale\"} %"
		PRIu64 "\n", l, c, stale);
	prom__head(f, "precopy_plan_rejected_plans_total", "counter",
		   "Malformed plans or sections QEMU rejected (and fell back).");
	fprintf(f, "precopy_plan_rejected_plans_total{%s} %" PRIu64 "\n", l,
		rejected);
	prom__head(f, "precopy_plan_sent_pages_total", "counter",
		   "Pages QEMU sent, every iteration.");
	fprintf(f, "precopy_plan_sent_pages_total{%s} %" PRIu64 "\n", l,
		pm->sent);
	prom__head(f, "precopy_plan_predicted_sent_pages_total", "counter",
		   "Pages the plans' windows predicted, over the iterations a "
		   "plan was published for.");
	fprintf(f, "precopy_plan_predicted_sent_pages_total{%s} %" PRIu64 "\n",
		l, pm->predicted);
	prom__head(f, "precopy_plan_planned_sent_pages_total", "counter",
		   "Pages QEMU sent in those same iterations.");
	fprintf(f, "precopy_plan_planned_sent_pages_total{%s} %" PRIu64 "\n",
		l, pm->planned_sent);
	prom__head(f, "precopy_plan_migrating", "gauge",
		   "1 while a migration is being planned.");
	fprintf(f, "precopy_plan_migrating{%s} %d\n", l, pm->migrating);
	prom__head(f, "precopy_plan_iteration", "gauge",
		   "The iteration of the last plan.");
	fprintf(f, "precopy_plan_iteration{%s} %" PRIu64 "\n", l,
		pm->iteration);
	prom__head(f, "precopy_plan_bandwidth_bytes_per_second", "gauge",
		   "The planner's bandwidth estimate.");
	fprintf(f, "precopy_plan_bandwidth_bytes_per_second{%s} %.0f\n", l,
		pm->bandwidth);
	prom__head(f, "precopy_plan_qemu_bandwidth_bytes_per_second", "gauge",
		   "The bandwidth QEMU measured at its last sync.");
	fprintf(f, "precopy_plan_qemu_bandwidth_bytes_per_second{%s} %.0f\n", l,
		pm->qemu_bandwidth);
	prom__head(f, "precopy_plan_remaining_pages", "gauge",
		   "Dirty pages left at QEMU's last sync.");
	fprintf(f, "precopy_plan_remaining_pages{%s} %" PRIu64 "\n", l,
		pm->remaining);
	prom__head(f, "precopy_plan_budget_pages", "gauge",
		   "Pages that fit in the downtime limit at the estimate.");
	fprintf(f, "precopy_plan_budget_pages{%s} %" PRIu64 "\n", l,
		pm->budget);
	prom__head(f, "precopy_plan_converging", "gauge",
		   "1 while the migration is converging (0: the advice says "
		   "what would make it).");
	fprintf(f, "precopy_plan_converging{%s} %d\n", l, pm->converging);
	prom__head(f, "precopy_plan_advice_bandwidth_bytes_per_second", "gauge",
		   "Advice when not converging: the bandwidth at which it would "
		   "(0: none).");
	fprintf(f, "precopy_plan_advice_bandwidth_bytes_per_second{%s} %.0f\n",
		l, pm->need_bandwidth);
	prom__head(f, "precopy_plan_advice_throttle_ratio", "gauge",
		   "Advice when not converging: the share of guest time to "
		   "throttle away (0: none).");
	fprintf(f, "precopy_plan_advice_throttle_ratio{%s} %.3f\n", l,
		pm->throttle);
	if (pm->advice[0]) {
		char a[256] = "";

		prom__label(a, sizeof(a), "advice", pm->advice);
		prom__head(f, "precopy_plan_advice_info", "gauge",
			   "The planner's advice while not converging.");
		fprintf(f, "precopy_plan_advice_info{%s%s%s} 1\n", l, c, a);
	}
	if (fclose(f))
		return -ENOMEM;
	return 0;
}
