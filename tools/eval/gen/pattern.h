/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pattern.h - the write patterns families are built from.
 *
 * seqw: a cursor moving through a region in address order and wrapping
 * (logs, ring buffers, bump allocators, scans, compaction). It passes a
 * given number of pages per epoch and writes a fraction of them (density,
 * decided per 16-page chunk and pass, so a sparse pass writes runs of
 * pages, not a comb), with times spread evenly over the part of the epoch
 * it runs in.
 *
 * hotset: random writes over a region with Zipf-distributed popularity
 * (s = 0: uniform), the ranks scattered over the region by a keyed
 * permutation (perm.h), each at a uniform time in the epoch.
 */
#ifndef EVALGEN_PATTERN_H
#define EVALGEN_PATTERN_H

#include <stdint.h>

#include "ebuf.h"
#include "perm.h"
#include "rng.h"
#include "zipf.h"

struct seqw {
	uint64_t base, len;	/* region [base, base + len) */
	uint64_t pos;		/* next page, relative to base */
	uint64_t pass;		/* completed passes */
	double carry;		/* fractional page to pass next time */
	double density;		/* fraction of passed pages written */
	uint64_t key;
};

/* Cursor at the start of [base, base + len) (len >= 1). Can't fail. */
void seqw__init(struct seqw *s, uint64_t base, uint64_t len, double density,
		uint64_t key);

/* Pass `pages` pages (fractions carry over), writing them at epoch
 * fractions from f0 to f1. Returns how many times the cursor wrapped. */
unsigned int seqw__run(struct seqw *s, struct ebuf *b, double pages,
		       double f0, double f1);

struct hotset {
	uint64_t base, n;
	struct zipf z;
	struct perm p;
};

/* Region [base, base + n) (n >= 1), Zipf exponent s. Can't fail. */
void hotset__init(struct hotset *h, uint64_t base, uint64_t n, double s,
		  uint64_t key);

/* One page drawn from the set. Can't fail. */
uint64_t hotset__draw(const struct hotset *h, struct rng *r);

/* `writes` draws, each written at a uniform time of the epoch. */
void hotset__run(const struct hotset *h, struct ebuf *b, struct rng *r,
		 uint64_t writes);

/* Writes in one epoch of a process writing rate per second: Poisson with
 * mean rate * epoch length. */
uint64_t pattern__count(struct rng *r, const struct ebuf *b, double rate);

#endif /* EVALGEN_PATTERN_H */
