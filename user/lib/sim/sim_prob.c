// SPDX-License-Identifier: GPL-2.0
/*
 * sim_prob.c - this project's method in the simulator, as the patched QEMU
 * runs it: the dirty-probability model (model.h) learns from every epoch
 * as it ends; at each sync (QEMU's bitmap sync, the start of every
 * iteration) the planner (planner.h) plans over the dirty bitmap, the plan
 * is encoded as the plan ring carries it to QEMU (plan_serve__encode, the
 * ring's default 65536 ranges per plan), and the iteration is executed by
 * QEMU's own executor, plan_exec_* (ring/plan_ring.h, the code QEMU's patch
 * compiles), over QEMU's bitmap (dirty at the sync, less what the
 * iteration sent):
 *
 *   SEND  the dirty zero pages not held back, in one pass over the RAM
 *         per migration (zero_first; only with the simulator's zero pages
 *         on), then the plan's send order (pages still dirty, in order), then the
 *         dirty pages outside the held-back set in QEMU's own order
 *         (address order from where its page search left off, wrapping),
 *         until the executor says the iteration is done (window used up,
 *         or only held-back pages left; after one such empty iteration
 *         the next drops the held-back set).
 *   STOP  ends the iteration at once; QEMU syncs and switches over if its
 *         own check holds (the dirty pages fit the downtime limit at the
 *         link's bandwidth), else that iteration is QEMU's own: address
 *         order from its cursor until the unsent dirty pages fit its
 *         threshold, then a sync, as sim_qemu.c's threshold_sync
 *         (plan_exec_switchover; migration_iteration_run); with
 *         qemu.threshold_sync=0, a whole pass as sim_qemu.c's. Syncs take no
 *         time here, so such syncs happen at the same instant.
 *
 * After each iteration the planner is told the bandwidth (the link's) and
 * the fresh count of the next sync (pages found written that had been
 * clean, i.e. sent), as QEMU reports them. Each send is tagged with the
 * class of its risk_h at planning time (address-order sends: "address"),
 * for the simulator's re-send accounting.
 *
 * Parameters (defaults of model_params__default / planner_params__default):
 *   prob.neigh, prob.decay, prob.prior, prob.long_decay    the model
 *   prob.objective (0 pages, 1 time, 2 downtime), prob.defer_risk,
 *   prob.defer_share, prob.margin, prob.guard, prob.handover, prob.coarse,
 *   prob.min_horizon, prob.leak_weight,
 *   prob.free_share, prob.min_gain, prob.trade, prob.polish, prob.iter_s,
 *   prob.edge,
 *   prob.bw_sigmas, prob.stop_sigmas, prob.short_horizon,
 *   prob.max_horizon   the planner
 *
 * prob-clairvoyant, a diagnostic (not a method: it reads the future). The
 * same planner and execution, with every dirty page's hazard over the
 * plan's horizon of h epochs taken from the trace instead of the model:
 * (h / T)^4 for a page next written T epochs from now (T at least 0.01),
 * 0 for one never written again; so a page written well within the
 * horizon has a risk near 1 (held back, or sent last), one written well
 * beyond it near 0, and the order is by the time to the next write. Its
 * distance to the oracle is what the policy loses with perfect
 * predictions of the next write; prob's distance to it, what the model's
 * predictions lose. It takes prob's parameters, named
 * prob-clairvoyant.NAME.
 *
 * prob-rates, a diagnostic too. The same planner, with every dirty page's
 * hazard over h epochs taken as its true local write rate times the
 * horizon: lambda * h * epoch, lambda the page's writes in the trace
 * within window_s seconds around now (by default half before, half after;
 * the trace replays as the simulator replays it) over window_s. It knows how
 * often each page is written around now, past and future, better than
 * any online estimate of rates can, and not when, but for what the counts
 * leak (a page with no write in the window's second half is clean for
 * that long): an optimistic bound for a predictor of rates. Its distance
 * to prob-clairvoyant is about what the timing of the writes is worth;
 * prob's distance to it, what the model loses on rates. Parameters:
 * prob's, named prob-rates.NAME, prob-rates.window_s (default 10, 0.2 to
 * 600) and prob-rates.ahead, the share of the window after now (default
 * 0.5; 0: the window ends now, so the rates are those a causal estimator
 * could count, each page's writes over the last window_s, and nothing of
 * the future is read).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "model/planner.h"
#include "ring/plan_ring.h"
#include "ring/plan_serve.h"
#include "sim.h"

#define TAG_ADDRESS 7

static const char *const prob_tags[SIM_TAGS] = {
	"risk<0.02", "risk<0.1", "risk<0.25", "risk<0.5", "risk<0.75",
	"risk<0.95", "risk>=0.95", "address",
};

/* prob-rates: every page's writes within [now - (1 - ahead) * window_s,
 * now + ahead * window_s] of trace time, kept by two cursors into the
 * simulator's write sequence as now advances. */
struct rate_window {
	const struct sim *s;
	uint32_t *cnt;		/* per page */
	uint64_t head;		/* the first write after the window */
	uint64_t tail;		/* the first write in it */
	double now;		/* -1 before any */
	double window_s;
	double ahead;		/* the share of the window after now */
};

struct prob_state {
	struct sim *s;
	struct model *m;
	struct planner *pl;
	struct plan *plan;
	uint64_t *list;		/* the iteration's pages, in order */
	uint8_t *tags;		/* their classes */
	uint64_t *sent;		/* bitmap of the pages sent since the sync */
	uint64_t *prev;		/* dirty bitmap of the previous sync */
	uint64_t *qd;		/* QEMU's bitmap in an iteration: dirty at
				 * the sync, less the pages it sent */
	uint64_t cursor;	/* where QEMU's own (address) order resumes */
	uint64_t zero_cursor;	/* QEMU's one pass of zero pages first */
	struct plan_exec ex;	/* QEMU's executor (plan_ring.h) */
	struct plan_ring_plan *rp; /* the plan as the ring carries it */
	uint64_t max_ranges;	/* the ring's, per plan */
	uint64_t qsync;		/* QEMU's sync count */
	bool threshold_sync;	/* QEMU syncs when what is unsent fits
				 * (qemu.threshold_sync), else at pass ends */
	uint64_t next_id;	/* of the next encoded plan */
	bool have_prev;
	uint64_t plans;
	bool warned_nonconv;
	double need_bw, throttle;
	struct rate_window *rates;	/* prob-rates only */
	int err;
};

static void prob_free(struct prob_state *p)
{
	plan__free(p->plan);
	planner__free(p->pl);
	model__free(p->m);
	free(p->list);
	free(p->tags);
	free(p->sent);
	free(p->prev);
	free(p->qd);
	free(p->rp);
	if (p->rates)
		free(p->rates->cnt);
	free(p->rates);
	free(p);
}

static int prob_params(struct sim *s, struct model_params *mp,
		       struct planner_params *pp, char *err, size_t errlen)
{
	double neigh = mp->neigh, polish = pp->polish, obj = pp->objective;
	int ret;

	ret = sim__param(s, "neigh", 1, 32, &neigh, err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "decay", 0.01, 1, &mp->decay, err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "prior", 0.001, 1e6, &mp->prior, err,
				 errlen);
	if (ret >= 0)
		ret = sim__param(s, "objective", 0, 2, &obj, err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "defer_risk", 0.001, 1, &pp->defer_risk,
				 err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "defer_share", 0, 1, &pp->defer_share, err,
				 errlen);
	if (ret >= 0)
		ret = sim__param(s, "margin", 0, 1, &pp->margin, err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "guard", 0, 1, &pp->guard, err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "handover", 0, 1, &pp->handover, err,
				 errlen);
	if (ret >= 0)
		ret = sim__param(s, "coarse", 0, 1, &pp->coarse, err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "min_horizon", 1, MODEL_HORIZON_MAX,
				 &pp->min_horizon, err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "leak_weight", 0, 1, &pp->leak_weight, err,
				 errlen);
	if (ret >= 0)
		ret = sim__param(s, "min_gain", 0, 0.99, &pp->min_gain, err,
				 errlen);
	if (ret >= 0)
		ret = sim__param(s, "free_share", 0, 1, &pp->free_share, err,
				 errlen);
	if (ret >= 0)
		ret = sim__param(s, "trade", 0, 1e6, &pp->trade, err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "polish", 0, 100, &polish, err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "iter_s", 0, 3600, &pp->iter_s, err,
				 errlen);
	if (ret >= 0)
		ret = sim__param(s, "edge", 0, 1, &pp->edge, err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "bw_sigmas", 0, 10, &pp->bw_sigmas, err,
				 errlen);
	if (ret >= 0)
		ret = sim__param(s, "stop_sigmas", 0, 10, &pp->stop_sigmas,
				 err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "long_decay", 0.01, 1, &mp->long_decay,
				 err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "short_horizon", 0, MODEL_HORIZON_MAX,
				 &pp->short_horizon, err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "max_horizon", 1, 65536, &pp->max_horizon,
				 err, errlen);
	if (ret >= 0)
		ret = sim__param(s, "stall_span_s", 0, 3600, &pp->stall_span_s,
				 err, errlen);
	if (ret < 0)
		return ret;
	mp->neigh = (unsigned int)neigh;
	pp->polish = (unsigned int)polish;
	pp->objective = (enum planner_objective)(unsigned int)obj;
	return 0;
}

static int prob_init(struct sim *s, void **state, char *err, size_t errlen)
{
	const struct sim_config *cfg = sim__config(s);
	uint64_t words = sim__words(s), pages = sim__pages(s);
	struct model_params mp;
	struct planner_params pp;
	double tsync = 1;	/* qemu.threshold_sync, sim_qemu.c */
	struct prob_state *p;
	int ret;

	model_params__default(&mp, pages, sim__page_size(s), sim__epoch_s(s));
	planner_params__default(&pp, pages, sim__page_size(s),
				cfg->downtime_limit_s, sim__epoch_s(s),
				cfg->bandwidth);
	ret = prob_params(s, &mp, &pp, err, errlen);
	if (ret < 0)
		return ret;
	ret = sim__param_of(s, "qemu", "threshold_sync", 0, 1, &tsync, err,
			    errlen);
	if (ret < 0)
		return ret;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->s = s;
	p->threshold_sync = tsync >= 0.5;
	p->list = malloc(pages * sizeof(*p->list));
	p->tags = malloc(pages * sizeof(*p->tags));
	p->sent = calloc(words, sizeof(uint64_t));
	p->prev = calloc(words, sizeof(uint64_t));
	p->qd = calloc(words, sizeof(uint64_t));
	{
		struct plan_serve_opts so;

		plan_serve_opts__default(&so, 0);
		p->max_ranges = so.max_ranges;
	}
	p->rp = malloc(sizeof(*p->rp) +
		       p->max_ranges * sizeof(struct plan_ring_range));
	plan_exec_init(&p->ex, true);
	/* no zero pages, no pass of them */
	p->zero_cursor = sim__config(s)->zero_pages ? 0 : sim__pages(s);
	errno = ENOMEM;
	if (!p->list || !p->tags || !p->sent || !p->prev ||
	    !p->qd || !p->rp)
		goto fail;
	p->m = model__new(&mp);
	if (!p->m)
		goto fail;
	p->pl = planner__new(&pp, p->m);
	if (!p->pl)
		goto fail;
	p->plan = plan__new(pages);
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

/* prob-clairvoyant's hazard (see the top): ctx is the simulation. */
static float clairvoyant_hazard(void *ctx, uint64_t page, double h)
{
	const struct sim *s = ctx;
	double t = sim__next_write_s(s, page) / sim__epoch_s(s);

	if (!isfinite(t))
		return 0;
	return (float)fmin(1e6, pow(h / fmax(t, 0.01), 4));
}

/* Move the window of w to the simulator's now. */
static void rate_window_move(struct rate_window *w)
{
	double now = sim__now_s(w->s), t;
	uint64_t pg;

	if (now == w->now)
		return;
	for (;; w->head++) {
		sim__write_time(w->s, w->head, &pg, &t);
		if (t > now + w->ahead * w->window_s)
			break;
		w->cnt[pg]++;
	}
	for (; w->tail < w->head; w->tail++) {
		sim__write_time(w->s, w->tail, &pg, &t);
		if (t >= now - (1 - w->ahead) * w->window_s)
			break;
		w->cnt[pg]--;
	}
	w->now = now;
}

/* prob-rates' hazard (see the top): ctx is the rate window. */
static float rates_hazard(void *ctx, uint64_t page, double h)
{
	struct rate_window *w = ctx;

	if (!w->cnt)		/* a trace without writes */
		return 0;
	rate_window_move(w);
	return (float)(w->cnt[page] / w->window_s * h *
		       sim__epoch_s(w->s));
}

static int prob_rates_init(struct sim *s, void **state, char *err,
			   size_t errlen)
{
	struct prob_state *p;
	struct rate_window *w;
	double window_s = 10, ahead = 0.5;
	int ret = sim__param(s, "window_s", 0.2, 600, &window_s, err,
			     errlen);

	if (ret >= 0)
		ret = sim__param(s, "ahead", 0, 1, &ahead, err, errlen);
	if (ret < 0)
		return ret;
	ret = prob_init(s, state, err, errlen);
	if (ret)
		return ret;
	p = *state;
	w = calloc(1, sizeof(*w));
	if (!w)
		goto nomem;
	p->rates = w;
	w->s = s;
	w->now = -1;
	w->window_s = window_s;
	w->ahead = ahead;
	if (sim__trace_writes(s)) {
		w->cnt = calloc(sim__pages(s), sizeof(*w->cnt));
		if (!w->cnt)
			goto nomem;
	}
	planner__set_hazard_source(p->pl, rates_hazard, w);
	return 0;
nomem:
	snprintf(err, errlen, "prob-rates: out of memory");
	prob_free(p);
	*state = NULL;
	return -ENOMEM;
}

static int prob_clairvoyant_init(struct sim *s, void **state, char *err,
				 size_t errlen)
{
	struct prob_state *p;
	int ret = prob_init(s, state, err, errlen);

	if (ret)
		return ret;
	p = *state;
	ret = sim__future_init(s);
	if (ret) {
		snprintf(err, errlen, "prob-clairvoyant: cannot index the future "
			 "writes: %s", strerror(-ret));
		prob_free(p);
		*state = NULL;
		return ret;
	}
	planner__set_hazard_source(p->pl, clairvoyant_hazard, s);
	return 0;
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
	planner__epoch(p->pl, ev->bitmap, me.length_s);
}

static uint8_t risk_tag(double r)
{
	static const double up[] = { 0.02, 0.1, 0.25, 0.5, 0.75, 0.95 };
	uint8_t i;

	for (i = 0; i < sizeof(up) / sizeof(up[0]); i++)
		if (r < up[i])
			return i;
	return 6;
}

/* plan_exec_dirty_fn over QEMU's bitmap p->qd: the first dirty page in
 * [from, end), or end. */
static uint64_t qd_next(void *opaque, uint64_t from, uint64_t end)
{
	const struct prob_state *p = opaque;
	uint64_t w, x;

	if (from >= end)
		return end;
	w = from / 64;
	x = p->qd[w] & (~0ULL << (from % 64));
	for (;;) {
		if (x) {
			uint64_t pg = w * 64 + __builtin_ctzll(x);

			return pg < end ? pg : end;
		}
		if (++w * 64 >= end)
			return end;
		x = p->qd[w];
	}
}

/* Send pg in the running iteration (QEMU clears its bit). */
static void take(struct prob_state *p, uint64_t *n, uint64_t pg, uint8_t tag)
{
	p->qd[pg / 64] &= ~(1ULL << (pg % 64));
	p->tags[*n] = tag;
	p->list[(*n)++] = pg;
	/* QEMU's window counts normal pages, not zero pages */
	if (!sim__zero(p->s, pg))
		plan_exec_sent(&p->ex, 1);
}

/* QEMU's patch, under a plan, sends the dirty zero pages outside the
 * held-back set first, in one pass over the RAM per migration (they cost
 * the link and the window nothing); with the simulator's zero pages on
 * (sim.h), the next one of that pass, or `pages` once it is over. */
static uint64_t zero_first(struct prob_state *p, uint64_t pages)
{
	while (p->zero_cursor < pages) {
		uint64_t pg = plan_exec_undeferred(&p->ex, qd_next, p,
						   p->zero_cursor, pages);

		p->zero_cursor = pg < pages ? pg + 1 : pages;
		if (pg < pages && sim__zero(p->s, pg))
			return pg;
	}
	return pages;
}

/* One iteration under the plan in force, as QEMU's patch runs it with
 * plan_exec_* (plan_ring.h): the send order's pages still dirty, then the
 * dirty pages outside the deferred set in QEMU's own order (address order
 * from where its page search left off, wrapping), until the executor says
 * the iteration is done (without a plan: until the unsent dirty pages of
 * the nr_dirty at the sync fit the budget). Returns the pages sent, in
 * p->list. */
static uint64_t follow(struct prob_state *p, uint64_t nr_dirty)
{
	uint64_t n = 0, pages = sim__pages(p->s), pg;
	uint64_t budget = sim__budget(p->s);
	/* QEMU's own iteration (no plan: a STOP it refused): it syncs as
	 * soon as the dirty pages it has not sent fit its threshold, like
	 * sim_qemu.c's threshold_sync (the first pass stays whole) */
	uint64_t cap = !p->ex.plan && p->threshold_sync && p->qsync > 1 &&
		       nr_dirty > budget ? nr_dirty - budget : UINT64_MAX;

	while (!plan_exec_done(&p->ex) && n < cap) {
		if (p->ex.plan && (pg = zero_first(p, pages)) < pages) {
			take(p, &n, pg, TAG_ADDRESS);
			continue;
		}
		if (plan_exec_next(&p->ex, qd_next, p, &pg)) {
			take(p, &n, pg, risk_tag(planner__page_risk(p->pl, pg)));
			continue;
		}
		pg = plan_exec_undeferred(&p->ex, qd_next, p, p->cursor, pages);
		if (pg >= pages) {
			pg = plan_exec_undeferred(&p->ex, qd_next, p, 0,
						  p->cursor);
			if (pg >= p->cursor)
				pg = pages;
		}
		if (pg < pages) {
			take(p, &n, pg, TAG_ADDRESS);
			p->cursor = (pg + 1) % pages;
			continue;
		}
		if (plan_exec_exhausted(&p->ex))
			break;
	}
	return n;
}

/* The fresh pages of this sync, as QEMU counts them: dirty now, and
 * clean at some point since the previous sync (sent in the iteration, or
 * not dirty at the previous sync). */
static uint64_t fresh_count(struct prob_state *p, const uint64_t *dirty)
{
	uint64_t w, n = 0;

	for (w = 0; w < sim__words(p->s); w++)
		n += (uint64_t)__builtin_popcountll(dirty[w] &
						    (p->sent[w] | ~p->prev[w]));
	return n;
}

static void log_plan(struct prob_state *p, uint64_t fresh)
{
	const struct plan *pl = p->plan;

	fprintf(sim__config(p->s)->log, "prob: plan %llu: %s; dirty %llu, "
		"budget %llu, window %llu, held back %llu, horizon %.1f "
		"epochs, expected next %.0f, fresh %llu, leak %.0f/s, regret "
		"%lld%s: %s\n",
		(unsigned long long)pl->iteration,
		pl->action == PLAN_STOP ? "stop" : "send",
		(unsigned long long)pl->dirty, (unsigned long long)pl->budget,
		(unsigned long long)pl->window,
		(unsigned long long)pl->nr_risky, pl->horizon_epochs,
		pl->expected_next, (unsigned long long)fresh,
		planner__leak(p->pl), (long long)pl->regret,
		pl->converging ? "" : ", not converging", pl->reason);
}

static int prob_sync(void *state, const struct sim_sync *v,
		     struct sim_decision *d)
{
	struct prob_state *p = state;
	uint64_t words = sim__words(p->s), fresh = 0, n = 0;
	unsigned int round;
	int ret;

	if (p->err)
		return p->err;
	if (p->have_prev) {
		struct planner_feedback fb = { .duration_s = 1 };

		fresh = fresh_count(p, v->dirty);
		fb.has_fresh = true;
		fb.fresh = fresh;
		fb.pages_sent = 0;
		for (uint64_t w = 0; w < words; w++)
			fb.pages_sent += (uint64_t)__builtin_popcountll(
				p->sent[w]);
		if (fb.pages_sent) {
			fb.duration_s = fb.pages_sent * sim__dt(p->s);
			planner__feedback(p->pl, &fb);
		}
	}
	memcpy(p->prev, v->dirty, words * sizeof(uint64_t));
	p->have_prev = true;
	/* QEMU's sync (more than one at this instant when an iteration
	 * ends with nothing sent: a STOP, or only held-back pages) */
	for (round = 0; round < 4 && !n; round++) {
		struct plan_serve_pub pub;

		p->qsync++;
		plan_exec_begin(&p->ex, p->qsync,
				(uint64_t)(v->now_s * 1e9));
		if (p->qsync > 1 &&
		    plan_exec_switchover(&p->ex, v->nr_dirty <= sim__budget(p->s),
					 v->nr_dirty == 0)) {
			d->stop = true;
			return 0;
		}
		ret = planner__plan(p->pl, v->dirty, p->plan);
		if (ret)
			return ret;
		p->plans++;
		if (sim__config(p->s)->log)
			log_plan(p, fresh);
		if (!p->plan->converging && !p->warned_nonconv) {
			p->warned_nonconv = true;
			p->need_bw = p->plan->need_bandwidth;
			p->throttle = p->plan->throttle;
		}
		plan_serve__encode(p->plan, sim__pages(p->s), p->max_ranges,
				   p->rp, &pub);
		p->rp->id = ++p->next_id;
		p->rp->generation = 0;
		p->rp->iteration = p->qsync;
		plan_exec_adopt(&p->ex, p->rp);
		memcpy(p->qd, v->dirty, words * sizeof(uint64_t));
		n = follow(p, v->nr_dirty);
	}
	if (!n) {
		/* cannot happen (the executor drops deferral after one
		 * empty iteration): QEMU's own pass */
		n = sim__bitmap_list(p->s, v->dirty, p->list);
		memset(p->tags, TAG_ADDRESS, n);
	}
	d->nr = n;
	d->pages = p->list;
	d->tags = p->tags;
	memset(p->sent, 0, words * sizeof(uint64_t));
	for (uint64_t i = 0; i < d->nr; i++)
		p->sent[p->list[i] / 64] |= 1ULL << (p->list[i] % 64);
	return 0;
}

static void prob_fini(void *state, struct sim_result *r)
{
	struct prob_state *p = state;
	int n = 0;

	if (p->warned_nonconv)
		n = snprintf(r->note, sizeof(r->note),
			     "planner: not converging; advice: bandwidth %.1f "
			     "MiB/s or throttle %.0f%%; ", p->need_bw / (1 << 20),
			     p->throttle * 100);
	if (n >= 0 && (size_t)n < sizeof(r->note))
		snprintf(r->note + n, sizeof(r->note) - n, "%llu plans, %llu "
			 "fallbacks to QEMU's order",
			 (unsigned long long)p->plans,
			 (unsigned long long)planner__fallbacks(p->pl));
	prob_free(p);
}

const struct sim_algo sim_algo_prob = {
	.name = "prob",
	.summary = "dirty-probability model + bandwidth window planner "
		   "(this project)",
	.init = prob_init,
	.epoch = prob_epoch,
	.sync = prob_sync,
	.fini = prob_fini,
	.nr_tags = SIM_TAGS,
	.tag_names = prob_tags,
};

const struct sim_algo sim_algo_prob_clairvoyant = {
	.name = "prob-clairvoyant",
	.summary = "prob's planner fed every page's true next write (a "
		   "diagnostic, not a method)",
	.init = prob_clairvoyant_init,
	.epoch = prob_epoch,
	.sync = prob_sync,
	.fini = prob_fini,
	.nr_tags = SIM_TAGS,
	.tag_names = prob_tags,
};

const struct sim_algo sim_algo_prob_rates = {
	.name = "prob-rates",
	.summary = "prob's planner fed every page's true write rate around "
		   "now (a diagnostic, not a method)",
	.init = prob_rates_init,
	.epoch = prob_epoch,
	.sync = prob_sync,
	.fini = prob_fini,
	.nr_tags = SIM_TAGS,
	.tag_names = prob_tags,
};
