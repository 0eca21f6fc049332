// SPDX-License-Identifier: GPL-2.0
/*
 * sim_qemu.c - QEMU's pre-copy (migration/ram.c) in the simulator: each
 * iteration sends every dirty page in address order; at a sync, when the
 * dirty pages fit in threshold = bandwidth x downtime-limit (the budget),
 * it stops and copies.
 *
 * Parameter qemu.threshold_sync (1 default, 0): where QEMU really syncs.
 * migration_iteration_run() syncs as soon as its pending estimate (dirty
 * pages not sent yet) falls below threshold_size, not at the end of a
 * pass, and its page search goes on from where it was (wrapping). With
 * 1, from the second iteration on, an iteration sends the dirty pages
 * from that cursor on until only `budget` are left unsent, then syncs;
 * those stay dirty and count at the sync. The first pass stays whole:
 * QEMU's estimate counts the never-written (zero) pages of RAM too, which
 * a trace does not hold, and on a guest whose untouched memory follows
 * its data (the workload guest) its first sync comes at the pass's end.
 *
 * No switchover before QEMU has measured its link: threshold_size is 0
 * until the first BUFFER_DELAY (100 ms) of sending has passed
 * (migration_update_counters()), so at the first sync, where everything
 * already fits the budget, QEMU sends for 100 ms, then (the rest fits
 * its new threshold) syncs and stops if what is dirty then fits; nothing
 * dirty stops at once.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "sim.h"

#define QEMU_BUFFER_DELAY_S 0.1	/* migration.c's BUFFER_DELAY */

struct qemu_state {
	struct sim *s;
	uint64_t *list;
	double threshold_sync;
	uint64_t cursor;	/* QEMU's page search position */
};

static int qemu_init(struct sim *s, void **state, char *err, size_t errlen)
{
	struct qemu_state *q;
	int ret;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->s = s;
	q->threshold_sync = 1;
	ret = sim__param(s, "threshold_sync", 0, 1, &q->threshold_sync, err,
			 errlen);
	if (ret < 0) {
		free(q);
		return ret;
	}
	q->list = malloc(sim__pages(s) * sizeof(*q->list));
	if (!q->list) {
		free(q);
		return -ENOMEM;
	}
	*state = q;
	return 0;
}

static int qemu_sync(void *state, const struct sim_sync *v,
		     struct sim_decision *d)
{
	struct qemu_state *q = state;
	uint64_t n, i, first = 0, budget = sim__budget(q->s);

	if (v->nr_dirty <= budget && (v->iteration > 1 || !v->nr_dirty)) {
		d->stop = true;
		return 0;
	}
	n = sim__bitmap_list(q->s, v->dirty, q->list);
	if (v->nr_dirty <= budget && q->threshold_sync >= 0.5) {
		/* the first sync, all fits: one measuring period, then sync */
		uint64_t period = (uint64_t)ceil(QEMU_BUFFER_DELAY_S /
						 sim__dt(q->s));

		d->nr = n < period ? n : period;
		d->pages = q->list;
		q->cursor = q->list[d->nr - 1] + 1;
		return 0;
	}
	if (q->threshold_sync < 0.5 || v->iteration == 1) {
		d->nr = n;
		d->pages = q->list;
		q->cursor = 0;
		return 0;
	}
	/* address order from the cursor on, wrapping: rotate the list */
	while (first < n && q->list[first] < q->cursor)
		first++;
	if (first) {
		uint64_t *tmp = malloc(first * sizeof(*tmp));

		if (!tmp)
			return -ENOMEM;
		for (i = 0; i < first; i++)
			tmp[i] = q->list[i];
		for (i = first; i < n; i++)
			q->list[i - first] = q->list[i];
		for (i = 0; i < first; i++)
			q->list[n - first + i] = tmp[i];
		free(tmp);
	}
	d->nr = n - budget;
	d->pages = q->list;
	q->cursor = q->list[d->nr - 1] + 1;
	return 0;
}

static void qemu_fini(void *state, struct sim_result *r)
{
	struct qemu_state *q = state;

	(void)r;
	free(q->list);
	free(q);
}

const struct sim_algo sim_algo_qemu = {
	.name = "qemu",
	.summary = "QEMU: address-order passes, stop when dirty fits the "
		   "downtime limit",
	.init = qemu_init,
	.sync = qemu_sync,
	.fini = qemu_fini,
};
