// SPDX-License-Identifier: GPL-2.0
/*
 * sim_prob.c - this project's method in the simulator: the
 * dirty-probability model (model.h) learns from every epoch as it ends,
 * and at each sync the planner (planner.h) decides the window, the send
 * order, the deferred pages and when to stop. After each iteration the
 * planner is told the bandwidth measured (here: the link's).
 *
 * Parameters (defaults of model_params__default / planner_params__default):
 *   prob.neigh, prob.decay, prob.prior            the model
 *   prob.defer_risk, prob.defer_share, prob.min_gain, prob.iter_s,
 *   prob.bw_sigmas                                the planner
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "model.h"
#include "planner.h"
#include "sim.h"

struct prob_state {
	struct sim *s;
	struct model *m;
	struct planner *pl;
	struct plan *plan;
	uint64_t plans;
	bool warned_nonconv;
	double need_bw, throttle;
	int err;
};

static void prob_free(struct prob_state *p)
{
	plan__free(p->plan);
	planner__free(p->pl);
	model__free(p->m);
	free(p);
}

static int prob_init(struct sim *s, void **state, char *err, size_t errlen)
{
	const struct sim_config *cfg = sim__config(s);
	struct model_params mp;
	struct planner_params pp;
	struct prob_state *p;
	double neigh, polish;
	int ret = 0;

	model_params__default(&mp, sim__pages(s), sim__page_size(s),
			      sim__epoch_s(s));
	planner_params__default(&pp, sim__pages(s), sim__page_size(s),
				cfg->downtime_limit_s, sim__epoch_s(s),
				cfg->bandwidth);
	neigh = mp.neigh;
	polish = pp.polish;
	ret = sim__param(s, "neigh", 1, 32, &neigh, err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "decay", 0.01, 1, &mp.decay, err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "prior", 0.001, 1e6, &mp.prior, err,
				 errlen);
	if (ret >= 0)
		ret = sim__param(s, "defer_risk", 0.001, 1, &pp.defer_risk,
				 err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "defer_share", 0, 1, &pp.defer_share, err,
				 errlen);
	if (ret >= 0)
		ret = sim__param(s, "min_gain", 0, 0.99, &pp.min_gain, err,
				 errlen);
	if (ret >= 0)
		ret = sim__param(s, "trade", 0, 1e6, &pp.trade, err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "polish", 0, 100, &polish, err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "iter_s", 0, 3600, &pp.iter_s, err,
				 errlen);
	if (ret >= 0)
		ret = sim__param(s, "bw_sigmas", 0, 10, &pp.bw_sigmas, err,
				 errlen);
	if (ret < 0)
		return ret;
	mp.neigh = (unsigned int)neigh;
	pp.polish = (unsigned int)polish;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->s = s;
	p->m = model__new(&mp);
	if (!p->m)
		goto fail;
	p->pl = planner__new(&pp, p->m);
	if (!p->pl)
		goto fail;
	p->plan = plan__new(sim__pages(s));
	if (!p->plan)
		goto fail;
	*state = p;
	return 0;
fail:
	ret = -errno;
	snprintf(err, errlen, "prob: cannot set up the model and planner: %s",
		 errno == EINVAL ? "bad parameters" : "out of memory");
	prob_free(p);
	return ret ? ret : -ENOMEM;
}

static void prob_epoch(void *state, const struct sim_epoch *ev)
{
	struct prob_state *p = state;
	struct model_epoch me = {
		.dirty = ev->bitmap,
		.nr_detail = ev->ep->nr_pages,
		.detail_pages = ev->ep->pages,
		.detail_counts = ev->ep->counts,
		.length_s = ev->length_s > 0 ? ev->length_s : 0,
	};
	int ret;

	ret = model__update(p->m, &me);
	if (ret && !p->err)
		p->err = ret;
}

static int prob_sync(void *state, const struct sim_sync *v,
		     struct sim_decision *d)
{
	struct prob_state *p = state;
	int ret;

	if (p->err)
		return p->err;
	ret = planner__plan(p->pl, v->dirty, p->plan);
	if (ret)
		return ret;
	p->plans++;
	if (sim__config(p->s)->log)
		fprintf(sim__config(p->s)->log, "prob: plan %llu: %s; dirty %llu, "
			"budget %llu, window %llu, risky %llu, horizon %.1f "
			"epochs, expected next %.0f: %s\n",
			(unsigned long long)p->plan->iteration,
			p->plan->action == PLAN_STOP ? "stop" : "send",
			(unsigned long long)p->plan->dirty,
			(unsigned long long)p->plan->budget,
			(unsigned long long)p->plan->window,
			(unsigned long long)p->plan->nr_risky,
			p->plan->horizon_epochs, p->plan->expected_next,
			p->plan->reason);
	if (!p->plan->converging && !p->warned_nonconv) {
		p->warned_nonconv = true;
		p->need_bw = p->plan->need_bandwidth;
		p->throttle = p->plan->throttle;
	}
	if (p->plan->action == PLAN_STOP) {
		d->stop = true;
		return 0;
	}
	d->nr = p->plan->nr_send;
	d->pages = p->plan->send;
	return 0;
}

static void prob_done(void *state, uint64_t sent, double duration_s)
{
	struct prob_state *p = state;
	struct planner_feedback fb = {
		.duration_s = duration_s,
		.pages_sent = sent,
	};

	if (sent && duration_s > 0)
		planner__feedback(p->pl, &fb);
}

static void prob_fini(void *state, struct sim_result *r)
{
	struct prob_state *p = state;

	if (p->warned_nonconv)
		snprintf(r->note, sizeof(r->note),
			 "planner: not converging; advice: bandwidth %.1f MiB/s"
			 " or throttle %.0f%%", p->need_bw / (1 << 20),
			 p->throttle * 100);
	prob_free(p);
}

const struct sim_algo sim_algo_prob = {
	.name = "prob",
	.summary = "dirty-probability model + bandwidth window planner "
		   "(this project)",
	.init = prob_init,
	.epoch = prob_epoch,
	.sync = prob_sync,
	.iteration_done = prob_done,
	.fini = prob_fini,
};
