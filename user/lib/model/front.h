/* SPDX-License-Identifier: GPL-2.0 */
/*
 * front.h - when will a page nobody has written yet be written? From its
 * distance to the sequential writers below it.
 *
 * Why. Sequential writers (a ring buffer, a log, a scan, a bump
 * allocator) move through memory in address order: the pages just ahead
 * of their front are written soon, in the order of their distance, the
 * pages far ahead much later, and memory no writer moves through never.
 * Pages that have been written have an age (renewal.h); these have none,
 * so their distance to the front is what tells them apart.
 *
 * The rule. The front is a bitmap of the pages of runs written in the
 * last few epochs (model.h: a page and the one below it both dirty in one
 * of the last 4 epochs), so that isolated random writes do not count. A
 * page with no write on record is in class
 *
 *	k = 1 + floor(log2 d), d = its distance to the nearest front page
 *	    below it, for d < FRONT_MAX; else (or none) k = 0,
 *
 * FRONT_CLASSES classes. As the writer advances a page's class falls, and
 * a page of class 1 is next: the class follows a Markov chain, learned
 * online, one chain per block (FRONT_BLOCKS; the caller's grouping of the
 * pages, e.g. by the writes near them; a page is taken to stay in its
 * block). Each epoch fed, every candidate page of the sample (a page with
 * no write on record, in a sampled word) is an outcome: exposure E[k] and,
 * if it was written, W[k]; if not, a move from its class before the epoch
 * (the front before) to its class after it (the front after): N[k][k'].
 * All decay by `decay` per epoch. With prior weight m:
 *
 *	p[k]     = (W[k] + m p0) / (E[k] + m),  p0 = (W + 0.5) / (E + 1)
 *	T[k][k'] = (N[k][k'] + m [k = k']) / (sum_k' N[k][k'] + m)
 *	M[k][k'] = (1 - p[k]) T[k][k']
 *
 * and the chance that a page of class k is not written in the next n
 * epochs is S_n = M^n 1 (computed with powers M^(2^j)). The cumulative
 * hazard over the epochs [from, from + h) is log(S_from / S_from+h) (from
 * and from + h rounded to whole epochs; capped at 50).
 *
 * Cost: no state per page (the caller keeps the front bitmaps and which
 * pages have a write on record); per epoch O(sampled candidates) and
 * O(FRONT_BLOCKS * FRONT_POWERS * FRONT_CLASSES^3) (~0.5 M operations);
 * front__prepare O(FRONT_BLOCKS * FRONT_POWERS * FRONT_CLASSES^2).
 */
#ifndef PRECOPY_FRONT_H
#define PRECOPY_FRONT_H

#include <stdint.h>

#define FRONT_CLASSES 21
#define FRONT_BLOCKS 3		/* chains: pages its word holds on record */
#define FRONT_MAX (1ULL << 20)		/* pages: farther is no front */
#define FRONT_POWERS 17			/* M^(2^j), j < 17: 131071 epochs */

struct front;

/* Create with a decay per epoch in (0, 1] and a prior weight > 0.
 * Returns NULL with errno EINVAL or ENOMEM. */
struct front *front__new(double decay, double prior);

/* Free; NULL is ignored. */
void front__free(struct front *f);

/* The class of a distance d >= 1 in pages. Can't fail. */
static inline unsigned int front__dclass(uint64_t d)
{
	if (!d || d >= FRONT_MAX)
		return 0;
	return 1 + (63 - __builtin_clzll(d));
}

/* The class of page 64w + i given fw, the bits of word w of the front
 * bitmap, and below, 1 + the highest front page below word w (0: none).
 * Can't fail. */
static inline unsigned int front__class(uint64_t w, unsigned int i,
					uint64_t fw, uint64_t below)
{
	uint64_t x = i ? fw & (~0ULL >> (64 - i)) : 0;

	if (x)
		return front__dclass(i - (63 - __builtin_clzll(x)));
	return below ? front__dclass(w * 64 + i + 1 - below) : 0;
}

/* 1 + the highest page set in bitmap fb below word w (looking at most
 * FRONT_MAX pages down), 0 if none or fb NULL. */
uint64_t front__below(const uint64_t *fb, uint64_t w);

/* Learning, one word of one epoch: the candidate pages of word w (bits of
 * cand) in chain blk (< FRONT_BLOCKS), which of them were written (d), the
 * front before the epoch (fw0, below0) and after it (fw1, below1). Can't
 * fail. */
void front__learn_word(struct front *f, unsigned int blk, uint64_t w,
		       uint64_t cand, uint64_t d, uint64_t fw0, uint64_t below0,
		       uint64_t fw1, uint64_t below1);

/* End of an epoch's learning: decay, add, refresh the chain. Can't fail. */
void front__end_epoch(struct front *f);

/* Prepare the hazards over the epochs [from, from + h) from now (from, h
 * >= 0). Can't fail. */
void front__prepare(struct front *f, double from, double h);

/* The prepared cumulative hazard of class k in chain b (0 before any
 * prepare or out of range). */
double front__hazard(const struct front *f, unsigned int b, unsigned int k);

/* The learned chance of a write in the next epoch for class k, chain b. */
double front__p(const struct front *f, unsigned int b, unsigned int k);

#endif /* PRECOPY_FRONT_H */
