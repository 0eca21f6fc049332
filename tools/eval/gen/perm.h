/* SPDX-License-Identifier: GPL-2.0 */
/*
 * perm.h - a keyed pseudo-random bijection on [0, n).
 *
 * Scatters ranks over a region: rank r of a Zipf draw becomes page
 * perm__map(p, r), so the hottest items are spread over the region as a
 * hash table or an allocator spreads them, with no stride or other
 * regular structure. Four Feistel rounds over the smallest even number of
 * bits covering n, with cycle walking (at most a few steps on average).
 */
#ifndef EVALGEN_PERM_H
#define EVALGEN_PERM_H

#include <stdint.h>

struct perm {
	uint64_t n;
	unsigned int half_bits;
	uint64_t key[4];
};

/* A permutation of [0, n) (n >= 1) chosen by key. Can't fail. */
void perm__init(struct perm *p, uint64_t n, uint64_t key);

/* The image of x (x < n) in [0, n). Can't fail. */
uint64_t perm__map(const struct perm *p, uint64_t x);

#endif /* EVALGEN_PERM_H */
