/* SPDX-License-Identifier: GPL-2.0 */
/*
 * recent.h - every page's write rate over the last few seconds: the number
 * of the last `span` epochs in which it was written, a causal count kept
 * over a ring of the epochs' write bitmaps.
 *
 * The planner reads it once a migration stalls (planner.h, "Stalled"):
 * where pre-copy does not converge, the pages to keep for the
 * stop-and-copy are the ones written most often lately, whatever their
 * timing; `precopy-sim --algo prob-rates --param prob-rates.ahead=0`, a
 * count of the same kind, converged on cases where the model did not.
 *
 * Cost: span bitmaps and one byte per page; recent__add O(words + bits
 * set in the epoch entering and in the one leaving).
 */
#ifndef PRECOPY_RECENT_H
#define PRECOPY_RECENT_H

#include <stdint.h>

#define RECENT_SPAN_MAX 255	/* epochs: the counts are bytes */

struct recent;

/* Counts over the last `span` epochs (1..RECENT_SPAN_MAX) of `pages`
 * pages. Returns NULL with errno EINVAL (span or pages out of range,
 * pages over 2^40) or ENOMEM. */
struct recent *recent__new(uint64_t pages, unsigned int span);

/* Free; NULL is ignored. */
void recent__free(struct recent *r);

/* One epoch's written pages (bitmap of (pages + 63) / 64 words; bits past
 * `pages` ignored): the oldest epoch of the span leaves. Can't fail. */
void recent__add(struct recent *r, const uint64_t *written);

/* Writes per epoch of page `page` over the epochs seen, at most the span
 * (0 before any epoch, or for a page past the end). */
double recent__rate(const struct recent *r, uint64_t page);

#endif /* PRECOPY_RECENT_H */
