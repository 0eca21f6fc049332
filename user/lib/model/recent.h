/* SPDX-License-Identifier: GPL-2.0 */
/*
 * recent.h - every page's write rate over the last few seconds: a causal
 * count of the epochs in which it was written, which halves every `half`
 * epochs (so an epoch weighs half as much `half` epochs later).
 *
 * The planner reads it once a migration stalls (planner.h, "Stalled"):
 * where pre-copy does not converge, the pages to keep for the
 * stop-and-copy are the ones written most often lately, whatever their
 * timing; `precopy-sim --algo prob-rates --param prob-rates.ahead=0`, a
 * count of the same kind, converged on cases where the model did not.
 *
 * The rate is the count over the epochs' weight decayed the same way:
 * for a page written in each epoch with probability r it is r in
 * expectation, a little below (the halving rounds a count down; a write
 * counts 254 / (2 * half), so that the rounding is small against the
 * counts).
 *
 * Cost: one byte per page; recent__add O(words + bits set), and every
 * `half` epochs a pass over the counts (O(pages / 8) word operations).
 */
#ifndef PRECOPY_RECENT_H
#define PRECOPY_RECENT_H

#include <stdint.h>

#define RECENT_HALF_MAX 127	/* epochs: counts stay under 2 * half */

struct recent;

/* Counts of `pages` pages halving every `half` epochs (1..RECENT_HALF_MAX).
 * Returns NULL with errno EINVAL (half or pages out of range, pages over
 * 2^40) or ENOMEM. */
struct recent *recent__new(uint64_t pages, unsigned int half);

/* Free; NULL is ignored. */
void recent__free(struct recent *r);

/* Bytes of state per page (its count, padded to whole words). */
double recent__bytes_per_page(const struct recent *r);

/* One epoch's written pages (bitmap of (pages + 63) / 64 words; bits past
 * `pages` ignored). Can't fail. */
void recent__add(struct recent *r, const uint64_t *written);

/* Writes per epoch of page `page` lately, in [0, 1] (0 before any epoch,
 * or for a page past the end). */
double recent__rate(const struct recent *r, uint64_t page);

#endif /* PRECOPY_RECENT_H */
