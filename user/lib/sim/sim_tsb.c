// SPDX-License-Identifier: GPL-2.0
/*
 * sim_tsb.c - time-series based pre-copy (Hu et al., ICPADS 2011) in the
 * simulator. It keeps, for the last `rounds` iterations, which pages were
 * written during each; a dirty page written in at least `threshold` of
 * them is "high-dirty" and is not sent before the stop-and-copy. Other
 * dirty pages go in address order. It stops when the dirty pages fit in
 * the downtime budget, when every dirty page is high-dirty, after
 * max_iters iterations or once max_factor times the guest's pages were
 * sent (the last two as in Xen; the downtime may then exceed the limit).
 *
 * Parameters: tsb.rounds (4, at most 16), tsb.threshold (2),
 * tsb.max_iters (30), tsb.max_factor (3).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bitops.h"
#include "sim.h"

#define TSB_MAX_ROUNDS 16

struct tsb_state {
	struct sim *s;
	uint64_t *list;
	uint64_t *hist[TSB_MAX_ROUNDS];	/* ring: pages written per round */
	unsigned int rounds, threshold, filled, next;
	double max_iters, max_factor;
	uint64_t sent;
};

static void tsb_free(struct tsb_state *t)
{
	unsigned int i;

	for (i = 0; i < TSB_MAX_ROUNDS; i++)
		free(t->hist[i]);
	free(t->list);
	free(t);
}

static int tsb_init(struct sim *s, void **state, char *err, size_t errlen)
{
	double rounds = 4, threshold = 2;
	struct tsb_state *t;
	unsigned int i;
	int ret;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->s = s;
	t->max_iters = 30;
	t->max_factor = 3;
	ret = sim__param(s, "rounds", 1, TSB_MAX_ROUNDS, &rounds, err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "threshold", 1, TSB_MAX_ROUNDS, &threshold,
				 err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "max_iters", 1, 1e9, &t->max_iters, err,
				 errlen);
	if (ret >= 0)
		ret = sim__param(s, "max_factor", 1, 1e6, &t->max_factor, err,
				 errlen);
	if (ret < 0)
		goto fail;
	t->rounds = (unsigned int)rounds;
	t->threshold = (unsigned int)threshold;
	if (t->threshold > t->rounds) {
		snprintf(err, errlen, "tsb.threshold %u is more than "
			 "tsb.rounds %u", t->threshold, t->rounds);
		ret = -EINVAL;
		goto fail;
	}
	ret = -ENOMEM;
	t->list = malloc(sim__pages(s) * sizeof(*t->list));
	if (!t->list)
		goto fail;
	for (i = 0; i < t->rounds; i++) {
		t->hist[i] = calloc(sim__words(s), sizeof(uint64_t));
		if (!t->hist[i])
			goto fail;
	}
	*state = t;
	return 0;
fail:
	tsb_free(t);
	return ret;
}

static int tsb_sync(void *state, const struct sim_sync *v,
		    struct sim_decision *d)
{
	struct tsb_state *t = state;
	uint64_t w, words = sim__words(t->s), n = 0;
	unsigned int i;

	memcpy(t->hist[t->next], v->written, words * sizeof(uint64_t));
	t->next = (t->next + 1) % t->rounds;
	if (t->filled < t->rounds)
		t->filled++;
	if (v->nr_dirty <= sim__budget(t->s) ||
	    (double)v->iteration >= t->max_iters ||
	    (double)t->sent >= t->max_factor * (double)sim__pages(t->s)) {
		d->stop = true;
		return 0;
	}
	for (w = 0; w < words; w++) {
		uint64_t x = v->dirty[w];

		while (x) {
			unsigned int b = __builtin_ctzll(x), c = 0;

			x &= x - 1;
			for (i = 0; i < t->filled; i++)
				c += (t->hist[i][w] >> b) & 1;
			if (c < t->threshold)
				t->list[n++] = w * 64 + b;
		}
	}
	if (!n) {
		d->stop = true;	/* only high-dirty pages left */
		return 0;
	}
	d->nr = n;
	d->pages = t->list;
	return 0;
}

static void tsb_done(void *state, uint64_t sent, double duration_s)
{
	struct tsb_state *t = state;

	(void)duration_s;
	t->sent += sent;
}

static void tsb_fini(void *state, struct sim_result *r)
{
	(void)r;
	tsb_free(state);
}

const struct sim_algo sim_algo_tsb = {
	.name = "tsb",
	.summary = "time-series based (Hu et al.): pages written in >= 2 of "
		   "the last 4 rounds wait for the stop-and-copy",
	.init = tsb_init,
	.sync = tsb_sync,
	.iteration_done = tsb_done,
	.fini = tsb_fini,
};
