/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pfspace.h - page identity of a traced process: which page index of the
 * tracer's flat page space each virtual page of the process has.
 *
 * A process's registered mappings change while it runs. Every virtual page
 * range the tracer is told about for the first time becomes a "piece" and
 * gets the next free indices of the page space, in address order within
 * one update; pieces are never dropped nor renumbered. So:
 *  - a page keeps its index for the whole session, also when its mapping
 *    is unmapped and mapped again at the same address;
 *  - a mapping that grows (brk, stack, mremap in place) gets new pieces for
 *    the new part only;
 *  - the page space of a session is the union of every process's pieces:
 *    page index = order of first registration, the trace's `pages=` is the
 *    number of pages ever registered.
 * The range table handed to the BPF side is the set of pieces clipped to
 * the mappings registered now, merged where both addresses and indices are
 * contiguous.
 *
 * Pure bookkeeping: no system calls. Not thread-safe.
 */
#ifndef PRECOPY_PFSPACE_H
#define PRECOPY_PFSPACE_H

#include <stdint.h>

#include "pfproto.h"
#include "pftrack_common.h"

struct pfspace;

/* pfspace__new() returns an empty map, or NULL when out of memory. */
struct pfspace *pfspace__new(void);

/* pfspace__free() frees. NULL is a no-op. */
void pfspace__free(struct pfspace *s);

/*
 * pfspace__update() takes the complete list of ranges registered now (n
 * spans, sorted, page aligned, not overlapping), gives new pieces to the
 * parts not seen before, taking indices from *next_page (advanced) below
 * `capacity`, and rebuilds the range table. Returns the number of pages
 * newly indexed (>= 0); -EINVAL for unsorted, overlapping or unaligned
 * spans (nothing changed); -ENOSPC when the page space ran out (the parts
 * that fit are indexed, the rest is left out of the table); -ENOMEM.
 */
int64_t pfspace__update(struct pfspace *s, const struct pfproto_span *v,
			unsigned int n, uint64_t *next_page, uint64_t capacity);

/* pfspace__table() returns the current range table (*n ranges, sorted),
 * valid until the next update. Cannot fail. */
const struct pftrack_range *pfspace__table(const struct pfspace *s,
					   unsigned int *n);

/*
 * pfspace__mark() sets in `bitmap` the bit of every page of [start, end)
 * that has an index (current or past piece). Returns the number of pages
 * marked; pages of the span without an index are added to *unindexed (if
 * not NULL). Cannot fail.
 */
uint64_t pfspace__mark(const struct pfspace *s, uint64_t start, uint64_t end,
		       uint64_t *bitmap, uint64_t *unindexed);

/* pfspace__page_of() returns the index of the page holding addr, or -1.
 * Cannot fail. */
int64_t pfspace__page_of(const struct pfspace *s, uint64_t addr);

/* pfspace__pages() returns the pages held by all pieces. Cannot fail. */
uint64_t pfspace__pages(const struct pfspace *s);

#endif /* PRECOPY_PFSPACE_H */
