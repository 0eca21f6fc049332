// SPDX-License-Identifier: GPL-2.0
/*
 * zipf.c - rejection-inversion Zipf sampling (zipf.h).
 *
 * With h(x) = x^-s and H its antiderivative (H(x) = (x^(1-s) - 1)/(1-s),
 * log x when s == 1), draw u uniform between H(n + 1/2) and H(3/2) - 1,
 * invert x = H^-1(u), round to k and accept unless k falls in the small
 * region where the hat exceeds the histogram.
 */
#include <math.h>

#include "zipf.h"

/* (e^x - 1)/x, and log(1 + x)/x, both continuous at 0. */
static double expm1_x(double x)
{
	return fabs(x) > 1e-8 ? expm1(x) / x : 1 + x / 2;
}

static double log1p_x(double x)
{
	return fabs(x) > 1e-8 ? log1p(x) / x : 1 - x / 2;
}

static double h(const struct zipf *z, double x)
{
	return exp(-z->s * log(x));
}

static double H(const struct zipf *z, double x)
{
	double lx = log(x);

	return expm1_x((1 - z->s) * lx) * lx;
}

static double H_inv(const struct zipf *z, double x)
{
	double t = (1 - z->s) * x;

	if (t < -1)
		t = -1;
	return exp(log1p_x(t) * x);
}

void zipf__init(struct zipf *z, uint64_t n, double s)
{
	z->n = n ? n : 1;
	z->s = s;
	z->h_x1 = H(z, 1.5) - 1;
	z->h_n = H(z, (double)z->n + 0.5);
	z->s_cut = 2 - H_inv(z, H(z, 2.5) - h(z, 2));
}

uint64_t zipf__draw(const struct zipf *z, struct rng *r)
{
	if (z->s < 1e-6 || z->n == 1)
		return rng__below(r, z->n);
	for (;;) {
		double u = z->h_n + rng__u01(r) * (z->h_x1 - z->h_n);
		double x = H_inv(z, u);
		double kd = floor(x + 0.5);
		uint64_t k;

		if (kd < 1)
			kd = 1;
		else if (kd > (double)z->n)
			kd = (double)z->n;
		k = (uint64_t)kd;
		if (kd - x <= z->s_cut || u >= H(z, kd + 0.5) - h(z, kd))
			return k - 1;
	}
}
