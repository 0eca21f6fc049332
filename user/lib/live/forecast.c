// SPDX-License-Identifier: GPL-2.0
/* forecast.c - QEMU pre-copy convergence forecast (see forecast.h). */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "forecast.h"

int ws_curve__add(struct ws_curve *c, double t_s, double pages)
{
	if (c->n >= FORECAST_MAX_POINTS)
		return -E2BIG;
	if (!(t_s > 0) || !(pages >= 0) || !isfinite(t_s) || !isfinite(pages))
		return -EINVAL;
	if (c->n && t_s <= c->t_s[c->n - 1])
		return -EINVAL;
	if (c->n && pages < c->pages[c->n - 1])
		pages = c->pages[c->n - 1];
	c->t_s[c->n] = t_s;
	c->pages[c->n] = pages;
	c->n++;
	return 0;
}

double ws_curve__at(const struct ws_curve *c, double t)
{
	double t0 = 0, p0 = 0, slope;
	unsigned int i;

	if (!c->n || t <= 0)
		return 0;
	for (i = 0; i < c->n; i++) {
		if (t <= c->t_s[i])
			return p0 + (c->pages[i] - p0) * (t - t0) /
					    (c->t_s[i] - t0);
		t0 = c->t_s[i];
		p0 = c->pages[i];
	}
	/* Past the last point: the last segment's slope. */
	if (c->n == 1)
		slope = c->pages[0] / c->t_s[0];
	else
		slope = (c->pages[c->n - 1] - c->pages[c->n - 2]) /
			(c->t_s[c->n - 1] - c->t_s[c->n - 2]);
	return p0 + slope * (t - t0);
}

static double dirtied(const struct forecast_input *in, double t)
{
	double w = ws_curve__at(&in->ws, t);

	return w > (double)in->ram_pages ? (double)in->ram_pages : w;
}

/* One run of the model at bandwidth bw; fills out, returns convergence. */
static bool simulate(const struct forecast_input *in, double bw,
		     struct forecast *out)
{
	double page = in->page_size, d = (double)in->ram_pages, t, next;
	double sent = 0, total = 0;
	unsigned int k, stalled = 0;

	memset(out, 0, sizeof(*out));
	for (k = 1; k <= FORECAST_MAX_ITER; k++) {
		t = d * page / bw;
		total += t;
		sent += d;
		next = ceil(dirtied(in, t));
		if (next * page / bw <= in->downtime_limit) {
			out->converges = true;
			out->iterations = k;
			out->downtime_s = next * page / bw;
			out->total_s = total + out->downtime_s;
			out->pages_sent = (uint64_t)(sent + next);
			return true;
		}
		stalled = next >= 0.99 * d ? stalled + 1 : 0;
		d = next;
		if (stalled >= 3)
			break;
	}
	out->converges = false;
	out->iterations = k > FORECAST_MAX_ITER ? FORECAST_MAX_ITER : k;
	out->steady_pages = (uint64_t)d;
	out->total_s = INFINITY;
	out->downtime_s = d * page / bw;
	out->pages_sent = (uint64_t)sent;
	return false;
}

int forecast__qemu(const struct forecast_input *in, struct forecast *out)
{
	struct forecast probe;
	double lo, hi;
	int i;

	if (!in->ram_pages || !in->page_size || !(in->bandwidth > 0) ||
	    !(in->downtime_limit > 0) || !in->ws.n)
		return -EINVAL;
	if (simulate(in, in->bandwidth, out))
		return 0;

	/* Not converging: find the bandwidth that would, by bisection on a
	 * doubling bracket. */
	lo = in->bandwidth;
	hi = lo;
	for (i = 0; i < 20 && !simulate(in, hi * 2, &probe); i++)
		hi *= 2;
	hi *= 2;
	if (i == 20) {
		out->needed_bandwidth = 0;
		return 0;
	}
	for (i = 0; i < 40 && hi - lo > lo * 1e-3; i++) {
		double mid = (lo + hi) / 2;

		if (simulate(in, mid, &probe))
			hi = mid;
		else
			lo = mid;
	}
	out->needed_bandwidth = hi;
	return 0;
}
