/* SPDX-License-Identifier: GPL-2.0 */
/*
 * forecast.h - will QEMU's default pre-copy converge, and what will it cost?
 *
 * The model of QEMU's pre-copy (migration/ram.c): the first iteration sends
 * every RAM page; each later iteration sends the pages dirtied during the
 * previous one (QEMU's bitmap is refreshed only at a sync). When the pages
 * still to send fit in threshold = bandwidth x downtime-limit, QEMU stops
 * the guest and sends them: that is the downtime.
 *
 * The workload enters as its working-set curve W(t): the number of distinct
 * pages dirtied in a window of t seconds, measured by the tracker for a few
 * window lengths (e.g. 0.1 s, 1 s, 10 s, 60 s). W is interpolated linearly
 * between points, W(0) = 0, and extrapolated past the last point with the
 * last segment's slope, capped at the RAM size.
 *
 * Iteration k sends D(k-1) pages in T(k) = D(k-1) * page / bandwidth seconds,
 * during which D(k) = W(T(k)) pages get dirtied. It converges at the first k
 * with D(k) * page / bandwidth <= downtime-limit. It does not converge when
 * D stops shrinking (D(k) >= 0.99 * D(k-1) for 3 iterations in a row) or
 * after FORECAST_MAX_ITER iterations.
 *
 * Costs ignored: zero-page and compression savings, per-iteration sync time,
 * device state. The forecast is an estimate; its inputs are measurements.
 */
#ifndef PRECOPY_FORECAST_H
#define PRECOPY_FORECAST_H

#include <stdbool.h>
#include <stdint.h>

#define FORECAST_MAX_POINTS 16
#define FORECAST_MAX_ITER 1000

/* Working-set curve: pages[i] distinct pages dirtied within t_s[i] s. */
struct ws_curve {
	unsigned int n;
	double t_s[FORECAST_MAX_POINTS];   /* increasing, > 0 */
	double pages[FORECAST_MAX_POINTS]; /* non-decreasing, >= 0 */
};

struct forecast_input {
	uint64_t ram_pages;     /* pages QEMU sends in the first iteration */
	uint32_t page_size;     /* bytes */
	double bandwidth;       /* bytes per second, > 0 */
	double downtime_limit;  /* seconds, > 0 */
	struct ws_curve ws;
};

struct forecast {
	bool converges;
	unsigned int iterations; /* pre-copy iterations before stop-and-copy */
	double total_s;          /* all iterations + downtime */
	double downtime_s;       /* final stop-and-copy */
	uint64_t pages_sent;     /* all iterations + the final copy */
	/* Only when !converges: */
	uint64_t steady_pages;   /* pages each iteration keeps resending */
	double needed_bandwidth; /* bytes/s that would converge; 0: none found
				  * below 1e6 x the given bandwidth */
};

/*
 * ws_curve__add() appends a point. Returns 0, or -EINVAL if t_s is not
 * greater than the previous point's or pages is negative, -E2BIG when full.
 * A point with fewer pages than the previous one is raised to it (a window
 * can not hold fewer pages than a shorter window). */
int ws_curve__add(struct ws_curve *c, double t_s, double pages);

/* ws_curve__at() returns W(t) for t >= 0, uncapped. Cannot fail; 0 for an
 * empty curve. */
double ws_curve__at(const struct ws_curve *c, double t_s);

/*
 * forecast__qemu() runs the model. Returns 0, or -EINVAL for inputs out of
 * range (no RAM, no page size, bandwidth or downtime limit <= 0, empty
 * curve); *out is then untouched.
 */
int forecast__qemu(const struct forecast_input *in, struct forecast *out);

#endif /* PRECOPY_FORECAST_H */
