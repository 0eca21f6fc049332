/* SPDX-License-Identifier: GPL-2.0 */
/*
 * planner.h - turns the dirty-probability model (model.h) into a pre-copy
 * plan per iteration: a window sized from the link bandwidth, the pages to
 * send in order, the pages deferred, and the stop-and-copy decision; it
 * detects non-convergence and says what would fix it.
 *
 * Online use (precopy-plan with a patched QEMU, or the simulator):
 *
 *	planner_params__default(&pp, pages, page_size, downtime_s, epoch_s,
 *				bandwidth_guess);
 *	pl = planner__new(&pp, model);
 *	plan = plan__new(pages);
 *	loop:
 *		feed harvested epochs to the model (model__update) as they come;
 *		at each QEMU bitmap sync:
 *			planner__plan(pl, qemu_dirty_bitmap, plan);
 *			STOP: stop the guest, send plan->send[] (= every dirty
 *			      page) -- done;
 *			SEND: send plan->send[0 .. nr_send) in that order; the
 *			      pages of plan->deferred stay dirty in QEMU's bitmap
 *			      for a later iteration (a plan never drops a page);
 *		after the iteration: planner__feedback(pl, &(struct
 *			planner_feedback){ duration, pages sent, bandwidth,
 *			remaining });
 *
 * The dirty bitmap is QEMU's at the sync: every page not yet sent or
 * written since it was sent (in the first iteration: all pages). Bitmaps
 * are uint64_t words, page p = bit p % 64 of word p / 64.
 *
 * ===========================================================================
 * The rules
 * ===========================================================================
 *
 * Bandwidth. Each feedback is a measurement x (bytes/s). The estimate is
 * an exponentially weighted mean and variance (weight bw_alpha for the new
 * measurement): mu <- mu + a (x - mu), var <- (1 - a) (var + a (x - mu)^2).
 * Until the first measurement mu is params.bandwidth (the guess) and var 0.
 * The planner plans with the cautious bandwidth lo = max(mu - bw_sigmas *
 * sd, mu / 4).
 *
 * Budget. budget = floor(downtime_limit * lo / page_size): the pages a
 * stop-and-copy may hold and still meet the downtime limit.
 *
 * Horizon. How long a page sent now must stay clean: until the stop,
 * estimated as the time to bring R dirty pages down to the budget plus one
 * epoch for the last iteration, h = max(0, R - budget) * page_size / mu
 * in epochs + 1, clamped to [1, MODEL_HORIZON_MAX]. Every dirty page gets
 * risk_h from the model.
 *
 * Stop-and-copy. Only when R <= budget. Another iteration would send the
 * S pages it does not defer (at most the window) over t = S * page_size /
 * mu seconds; of them the sum of their risk over t comes back, and the
 * pages outside the dirty set that get written in t arrive (the model's
 * working-set curve W(t) less the expected writes to the dirty set):
 * R' = R - S + cost. Stopping now sends the fewest pages (any further
 * iteration only adds cost); continuing lowers the downtime by R - R'.
 * The planner continues while R - R' > min_gain * R and either
 * R - R' >= trade * cost (the downtime saved is worth the pages) or fewer
 * than `polish` iterations were already granted without that; else it
 * stops. A STOP plan lists every dirty page (the final round sends
 * everything still dirty). R = 0 stops at once.
 *
 * Deferral. Dirty pages whose risk_h >= defer_risk are deferred, the
 * riskiest first (by bucket), as many as keep the expected stop-and-copy
 * within 0.9 * budget: with F the pages written in one window (the last
 * epoch's dirty count, scaled to the window's length) and r1 a page's risk
 * over one window, a deferred set D is allowed while
 * |D| + F - sum_{D} r1 <= 0.9 * budget (a deferred page that would be
 * rewritten anyway costs the final round nothing). At least
 * defer_share * budget pages may be deferred in any case, and never more
 * than the budget: the deferred set always fits in the stop-and-copy, and
 * an iteration that does not stop sends at least one page.
 *
 * Window. window = max(1, floor(lo * iter_s / page_size)) pages: what the
 * link is expected to carry in one iteration of iter_s seconds (iter_s 0:
 * one epoch), so the plan is refreshed about as often as epochs come.
 * The send order is the pages not deferred by ascending risk_h (ties by
 * bucket number, then address), truncated to the window; the rest of the dirty pages are the
 * deferred set of the plan (plan->deferred, nr_risky of them by risk).
 *
 * Non-convergence. The planner keeps R at each sync. It is not converging
 * when R > budget and, over the last 8 syncs, R did not fall below 0.95 of
 * the smallest R seen before them, or after max_iters iterations. Then the
 * plan gives advice from forecast__qemu() (forecast.h) run on the model's
 * working-set curve with R as the first iteration: need_bandwidth, the
 * bandwidth at which that forecast converges, and throttle, the smallest
 * share of guest time to take away (dirtying slows in proportion) with
 * which it converges at mu; 0 where none is found. The planner keeps
 * planning: it is advice; the caller decides (throttle, raise the downtime
 * limit, or cancel).
 */
#ifndef PRECOPY_PLANNER_H
#define PRECOPY_PLANNER_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

struct planner_params {
	uint64_t pages;		/* guest pages, = the model's */
	uint32_t page_size;	/* bytes, = the model's */
	double downtime_limit_s; /* > 0 */
	double epoch_s;		/* the model's epoch length, > 0 */
	double bandwidth;	/* first guess, bytes/s, > 0 */
	double bw_alpha;	/* EWMA weight, (0, 1] (0.3) */
	double bw_sigmas;	/* lo = mu - k * sd, >= 0 (1) */
	double iter_s;		/* iteration length, >= 0; 0: one epoch */
	double defer_risk;	/* (0, 1] (0.5); 1 defers only sure pages */
	double defer_share;	/* of the budget, [0, 1] (0.5) */
	double min_gain;	/* [0, 1) (0.1), see Stop-and-copy */
	double trade;		/* >= 0 (2) */
	unsigned int polish;	/* 0..100 (1) */
	unsigned int max_iters;	/* non-convergence after this, >= 1 (1000) */
};

/* Defaults (the values in parentheses above) with the given sizes. */
void planner_params__default(struct planner_params *p, uint64_t pages,
			     uint32_t page_size, double downtime_limit_s,
			     double epoch_s, double bandwidth);

enum plan_action {
	PLAN_SEND = 0,		/* send send[] now, keep the rest dirty */
	PLAN_STOP = 1,		/* stop the guest and send send[] (all dirty) */
};

struct plan {
	uint64_t iteration;	/* 1 for the first plan */
	enum plan_action action;
	uint64_t dirty;		/* pages set in the bitmap planned */
	uint64_t window;	/* pages this iteration may send; 0 on STOP */
	uint64_t nr_send;	/* send[] entries: <= window, or = dirty (STOP) */
	uint64_t *send;		/* page indices, in sending order */
	uint64_t nr_deferred;	/* dirty pages not in send[] */
	uint64_t *deferred;	/* bitmap of them */
	uint64_t nr_risky;	/* of which deferred for their risk */
	uint64_t *risky;	/* bitmap of those: the pages to hold back
				 * until a later iteration; the others of
				 * deferred are just past the window */
	uint64_t budget;	/* pages that fit in the downtime limit */
	double horizon_epochs;
	double bandwidth;	/* mu, bytes/s */
	double bandwidth_sd;	/* sd */
	double bandwidth_lo;	/* lo */
	double downtime_s;	/* STOP: dirty * page_size / mu */
	double expected_next;	/* SEND: expected dirty pages at next sync */
	bool converging;
	double need_bandwidth;	/* advice when !converging (bytes/s; 0: none) */
	double throttle;	/* advice when !converging (0..0.99; 0: none) */
	const char *reason;	/* one short phrase on the decision */

	/* private */
	uint64_t cap;		/* send[] capacity */
	uint64_t pages;
};

/* Allocate a plan for `pages` pages. Returns NULL (errno EINVAL/ENOMEM). */
struct plan *plan__new(uint64_t pages);

/* Free; NULL is ignored. */
void plan__free(struct plan *p);

/* What QEMU reports after an iteration. */
struct planner_feedback {
	double duration_s;	/* wall time of the iteration, > 0 */
	uint64_t pages_sent;	/* pages it sent */
	double bandwidth;	/* measured bytes/s; 0: pages_sent * page /
				 * duration_s */
	uint64_t remaining;	/* dirty pages left (informative) */
};

struct planner;

/*
 * Create a planner over model m (which must outlive it, and have the same
 * pages and page_size). Returns NULL with errno EINVAL (bad parameters or
 * mismatch) or ENOMEM.
 */
struct planner *planner__new(const struct planner_params *p, struct model *m);

/* Free; NULL is ignored. */
void planner__free(struct planner *pl);

/*
 * Plan the next iteration for the dirty bitmap `dirty` (model__words()
 * words). Fills *out (resizing out->send as needed). Returns 0, or
 * -EINVAL (NULL arguments, plan made for another size), -ENOMEM (out is
 * then a STOP-less SEND plan of nothing: callers fall back to their own
 * order). Every dirty page is either in send[] or in deferred, never both;
 * no other page is in either.
 */
int planner__plan(struct planner *pl, const uint64_t *dirty, struct plan *out);

/* Report an iteration. Returns 0 or -EINVAL (duration <= 0 or a bandwidth
 * that is negative or not finite; the estimate is unchanged). A report
 * with nothing sent and no bandwidth is ignored. */
int planner__feedback(struct planner *pl, const struct planner_feedback *fb);

/* The current bandwidth estimate: mean and standard deviation, bytes/s. */
void planner__bandwidth(const struct planner *pl, double *mu, double *sd);

#endif /* PRECOPY_PLANNER_H */
