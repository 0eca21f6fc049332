// SPDX-License-Identifier: GPL-2.0
/*
 * sim_xen.c - Xen's pre-copy after Clark et al. (NSDI 2005) in the
 * simulator: iterations in address order that skip a page written again
 * since the iteration's sync (it will be sent next time anyway); stop and
 * copy when the dirty pages fit in the downtime budget (Xen's own test is
 * "fewer than 50 pages"; the shared budget makes the algorithms
 * comparable), after max_iters iterations, or once max_factor times the
 * guest's pages were sent (then the downtime may exceed the limit).
 *
 * Parameters: xen.max_iters (30), xen.max_factor (3).
 */
#include <errno.h>
#include <stdlib.h>

#include "sim.h"

struct xen_state {
	struct sim *s;
	uint64_t *list;
	double max_iters, max_factor;
	uint64_t sent;
};

static int xen_init(struct sim *s, void **state, char *err, size_t errlen)
{
	struct xen_state *x;
	int ret;

	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->s = s;
	x->max_iters = 30;
	x->max_factor = 3;
	ret = sim__param(s, "max_iters", 1, 1e9, &x->max_iters, err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "max_factor", 1, 1e6, &x->max_factor, err,
				 errlen);
	if (ret < 0) {
		free(x);
		return ret;
	}
	x->list = malloc(sim__pages(s) * sizeof(*x->list));
	if (!x->list) {
		free(x);
		return -ENOMEM;
	}
	*state = x;
	return 0;
}

static int xen_sync(void *state, const struct sim_sync *v,
		    struct sim_decision *d)
{
	struct xen_state *x = state;

	if (v->nr_dirty <= sim__budget(x->s) ||
	    (double)v->iteration >= x->max_iters ||
	    (double)x->sent >= x->max_factor * (double)sim__pages(x->s)) {
		d->stop = true;
		return 0;
	}
	d->nr = sim__bitmap_list(x->s, v->dirty, x->list);
	d->pages = x->list;
	d->skip_rewritten = true;
	return 0;
}

static void xen_done(void *state, uint64_t sent, double duration_s)
{
	struct xen_state *x = state;

	(void)duration_s;
	x->sent += sent;
}

static void xen_fini(void *state, struct sim_result *r)
{
	struct xen_state *x = state;

	(void)r;
	free(x->list);
	free(x);
}

const struct sim_algo sim_algo_xen = {
	.name = "xen",
	.summary = "Xen (Clark et al.): skip pages rewritten during the pass, "
		   "at most 30 iterations or 3x RAM",
	.init = xen_init,
	.sync = xen_sync,
	.iteration_done = xen_done,
	.fini = xen_fini,
};
