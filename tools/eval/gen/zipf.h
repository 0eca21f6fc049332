/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zipf.h - Zipf-distributed ranks in O(1) time and memory.
 *
 * P(rank = k) is proportional to k^-s for k in [1, n]. Sampled by
 * rejection-inversion (W. Hormann, G. Derflinger, "Rejection-inversion to
 * generate variates from monotone discrete distributions", ACM TOMACS
 * 6(3), 1996), which needs no table, so a keyspace of a million pages
 * costs nothing to set up. s == 0 is the uniform distribution.
 */
#ifndef EVALGEN_ZIPF_H
#define EVALGEN_ZIPF_H

#include <stdint.h>

#include "rng.h"

struct zipf {
	uint64_t n;
	double s;
	double h_x1, h_n, s_cut;
};

/* Ranks in [1, n] (n >= 1) with exponent s (0 <= s <= 4). Can't fail. */
void zipf__init(struct zipf *z, uint64_t n, double s);

/* One rank in [0, n) (the rank minus 1: 0 is the hottest). Can't fail. */
uint64_t zipf__draw(const struct zipf *z, struct rng *r);

#endif /* EVALGEN_ZIPF_H */
