/* SPDX-License-Identifier: GPL-2.0 */
/*
 * link_estimate.h - what the migration link carries, as the planner sees
 * it: a robust bandwidth estimate from QEMU's readings, and the rate at
 * which pages went out lately (planner.h, "Bandwidth" and "Horizon").
 *
 *	link_estimate__init(&e, guess);
 *	after each iteration:
 *		link_estimate__add_bandwidth(&e, bytes_per_s);
 *		link_estimate__add_iteration(&e, pages_sent, duration_s);
 *	when planning: e.mu, e.sd, link_estimate__cautious(&e, k),
 *		       link_estimate__page_rate(&e)
 *
 * Bandwidth: mu is the median of the last LINK_BW_SAMPLES readings, sd
 * their median absolute deviation from it times LINK_MAD_TO_SD (a normal's
 * sd); until the first reading mu is the guess and sd 0. A median, not a
 * mean: a reading taken over a slow bitmap sync (107 KiB/s on an 8 MiB/s
 * link) must not drag the windows and the budget down with it.
 *
 * Page rate: the pages the last iterations sent over their durations, the
 * newest first, as many as span LINK_RATE_SPAN_S (or all kept): a single
 * iteration's rate is unsteady (QEMU's rate limiter lets a window of 204
 * pages out in 2 ms at the start of its period, and the next waits), and
 * zero pages go out far faster than the link's rate.
 *
 * No allocation; every function is O(LINK_BW_SAMPLES) or O(LINK_RATE_ITERS)
 * and can't fail.
 */
#ifndef PRECOPY_LINK_ESTIMATE_H
#define PRECOPY_LINK_ESTIMATE_H

#include <stdbool.h>
#include <stdint.h>

#define LINK_BW_SAMPLES 9	/* bandwidth readings kept */
#define LINK_MAD_TO_SD 1.4826	/* a normal's sd / its MAD */
#define LINK_RATE_ITERS 16	/* iterations kept for the page rate */
#define LINK_RATE_SPAN_S 0.5	/* the page rate spans at least this */

struct link_estimate {
	double mu, sd;		/* bandwidth estimate, bytes/s (read only) */
	/* private */
	double bw[LINK_BW_SAMPLES];	/* the last readings (ring) */
	unsigned int nbw, bwnext;
	uint64_t rate_pages[LINK_RATE_ITERS];	/* the last iterations (ring) */
	double rate_s[LINK_RATE_ITERS];
	unsigned int nrate, rate_next;
};

/* Start with bandwidth guess (bytes/s) as mu, sd 0, no page rate. */
void link_estimate__init(struct link_estimate *e, double guess);

/* Add a bandwidth reading x (bytes/s); ignored unless finite and > 0. */
void link_estimate__add_bandwidth(struct link_estimate *e, double x);

/* Add an iteration that sent `pages` in duration_s (> 0) seconds; an
 * iteration that sent nothing is ignored. */
void link_estimate__add_iteration(struct link_estimate *e, uint64_t pages,
				  double duration_s);

/* max(mu - k sd, mu / 4): the bandwidth with k sd of caution, never under
 * a quarter of the estimate. */
double link_estimate__cautious(const struct link_estimate *e, double k);

/* Whether mu rests on a reading (else it is the guess). */
bool link_estimate__measured(const struct link_estimate *e);

/* The page rate (pages/s); 0 before any iteration. */
double link_estimate__page_rate(const struct link_estimate *e);

#endif /* PRECOPY_LINK_ESTIMATE_H */
