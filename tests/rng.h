/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rng.h - the tests' reproducible pseudo-random numbers: xorshift64
 * (Marsaglia), fast and good enough to pick pages. Each caller keeps its
 * own state, so a test's sequence does not depend on what ran before.
 */
#ifndef PRECOPY_TESTS_RNG_H
#define PRECOPY_TESTS_RNG_H

#include <stdint.h>

/* A state to start from; any non-zero value works. */
#define RNG_SEED 88172645463325252ULL

/* The next number of the sequence in *state (never 0). Can't fail. */
static inline uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

#endif /* PRECOPY_TESTS_RNG_H */
