// SPDX-License-Identifier: GPL-2.0
/*
 * sim_qemu.c - QEMU's pre-copy (migration/ram.c) in the simulator: each
 * iteration sends every dirty page in address order; at a sync, when the
 * dirty pages fit in threshold = bandwidth x downtime-limit (the budget),
 * it stops and copies. No parameters.
 */
#include <errno.h>
#include <stdlib.h>

#include "sim.h"

struct qemu_state {
	struct sim *s;
	uint64_t *list;
};

static int qemu_init(struct sim *s, void **state, char *err, size_t errlen)
{
	struct qemu_state *q;

	(void)err;
	(void)errlen;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->s = s;
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

	if (v->nr_dirty <= sim__budget(q->s)) {
		d->stop = true;
		return 0;
	}
	d->nr = sim__bitmap_list(q->s, v->dirty, q->list);
	d->pages = q->list;
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
