// SPDX-License-Identifier: GPL-2.0
/*
 * rng.c - xoshiro256** and the distributions of rng.h.
 */
#include <math.h>

#include "rng.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng__seed(struct rng *r, uint64_t a, uint64_t b)
{
	uint64_t x = a * 0xd1342543de82ef95ULL ^ splitmix64(&b);
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t rng__u64(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double rng__u01(struct rng *r)
{
	return (double)(rng__u64(r) >> 11) * 0x1.0p-53;
}

uint64_t rng__below(struct rng *r, uint64_t n)
{
	uint64_t x, lim;

	if (n == 0)
		return 0;
	lim = -n % n;	/* 2^64 mod n: reject below it */
	do
		x = rng__u64(r);
	while (x < lim);
	return x % n;
}

double rng__uniform(struct rng *r, double lo, double hi)
{
	return lo + (hi - lo) * rng__u01(r);
}

double rng__loguniform(struct rng *r, double lo, double hi)
{
	return lo * exp(log(hi / lo) * rng__u01(r));
}

double rng__exp(struct rng *r, double mean)
{
	return -mean * log1p(-rng__u01(r));
}

uint64_t rng__poisson(struct rng *r, double mean)
{
	if (mean <= 0)
		return 0;
	if (mean < 30) {
		double l = exp(-mean), p = 1;
		uint64_t k = 0;

		for (;;) {
			p *= rng__u01(r);
			if (p <= l)
				return k;
			k++;
		}
	}
	/* Box-Muller, one value */
	{
		double u1 = rng__u01(r), u2 = rng__u01(r);
		double z = sqrt(-2 * log1p(-u1)) * cos(2 * M_PI * u2);
		double x = floor(mean + sqrt(mean) * z + 0.5);

		return x < 0 ? 0 : (uint64_t)x;
	}
}
