// SPDX-License-Identifier: GPL-2.0
/* link_estimate.c - the link's bandwidth and page rate (see
 * link_estimate.h). */
#include <math.h>
#include <string.h>

#include "util/median.h"
#include "link_estimate.h"

void link_estimate__init(struct link_estimate *e, double guess)
{
	memset(e, 0, sizeof(*e));
	e->mu = guess;
}

void link_estimate__add_bandwidth(struct link_estimate *e, double x)
{
	double v[LINK_BW_SAMPLES];
	unsigned int i;

	if (!(x > 0) || !isfinite(x))
		return;
	e->bw[e->bwnext] = x;
	e->bwnext = (e->bwnext + 1) % LINK_BW_SAMPLES;
	if (e->nbw < LINK_BW_SAMPLES)
		e->nbw++;
	memcpy(v, e->bw, e->nbw * sizeof(v[0]));
	e->mu = median_double(v, e->nbw);
	for (i = 0; i < e->nbw; i++)
		v[i] = fabs(e->bw[i] - e->mu);
	e->sd = LINK_MAD_TO_SD * median_double(v, e->nbw);
}

void link_estimate__add_iteration(struct link_estimate *e, uint64_t pages,
				  double duration_s)
{
	if (!pages)
		return;
	e->rate_pages[e->rate_next] = pages;
	e->rate_s[e->rate_next] = duration_s;
	e->rate_next = (e->rate_next + 1) % LINK_RATE_ITERS;
	if (e->nrate < LINK_RATE_ITERS)
		e->nrate++;
}

double link_estimate__cautious(const struct link_estimate *e, double k)
{
	return fmax(e->mu - k * e->sd, e->mu / 4);
}

bool link_estimate__measured(const struct link_estimate *e)
{
	return e->nbw > 0;
}

double link_estimate__page_rate(const struct link_estimate *e)
{
	double pages = 0, s = 0;
	unsigned int i, k;

	for (i = 0; i < e->nrate && s < LINK_RATE_SPAN_S; i++) {
		k = (e->rate_next + LINK_RATE_ITERS - 1 - i) % LINK_RATE_ITERS;
		pages += (double)e->rate_pages[k];
		s += e->rate_s[k];
	}
	return s > 0 ? pages / s : 0;
}
