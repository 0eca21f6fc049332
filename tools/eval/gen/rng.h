/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rng.h - the generator's deterministic random numbers.
 *
 * xoshiro256** seeded through splitmix64. Everything the workload
 * generator draws comes from one of these, so a (family, seed) pair gives
 * the same trace, byte for byte, on every machine: no floating-point
 * function whose result may differ between libm versions is used on the
 * path from a draw to a page number except log/exp/pow in the
 * distributions below, which glibc computes correctly rounded on x86-64
 * for the arguments used (and the test checks determinism).
 */
#ifndef EVALGEN_RNG_H
#define EVALGEN_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

/* Seed from (a, b): distinct pairs give independent streams. Can't fail. */
void rng__seed(struct rng *r, uint64_t a, uint64_t b);

/* Next 64 random bits. Can't fail. */
uint64_t rng__u64(struct rng *r);

/* Uniform in [0, 1), 53 bits. Can't fail. */
double rng__u01(struct rng *r);

/* Uniform integer in [0, n); n == 0 gives 0. Unbiased. Can't fail. */
uint64_t rng__below(struct rng *r, uint64_t n);

/* Uniform in [lo, hi). Can't fail. */
double rng__uniform(struct rng *r, double lo, double hi);

/* Log-uniform in [lo, hi) (lo > 0): every factor of 2 equally likely. */
double rng__loguniform(struct rng *r, double lo, double hi);

/* Exponential with the given mean (> 0). Can't fail. */
double rng__exp(struct rng *r, double mean);

/* Poisson count with the given mean (>= 0): exact (Knuth) below 30, a
 * rounded normal approximation above. Can't fail. */
uint64_t rng__poisson(struct rng *r, double mean);

#endif /* EVALGEN_RNG_H */
