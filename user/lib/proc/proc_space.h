/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proc_space.h - page identity of a traced process: which page index of the
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

#include "proc_proto.h"
#include "proc_track_common.h"

struct proc_space;

/* proc_space__new() returns an empty map, or NULL when out of memory. */
struct proc_space *proc_space__new(void);

/* proc_space__free() frees. NULL is a no-op. */
void proc_space__free(struct proc_space *s);

/*
 * proc_space__update() takes the complete list of ranges registered now (n
 * spans, sorted, page aligned, not overlapping), gives new pieces to the
 * parts not seen before, taking indices from *next_page (advanced) below
 * `capacity`, and rebuilds the range table. Returns the number of pages
 * newly indexed (>= 0); -EINVAL for unsorted, overlapping or unaligned
 * spans (nothing changed); -ENOSPC when the page space ran out (the parts
 * that fit are indexed, the rest is left out of the table); -ENOMEM.
 */
int64_t proc_space__update(struct proc_space *s, const struct proc_proto_span *v,
			unsigned int n, uint64_t *next_page, uint64_t capacity);

/* proc_space__table() returns the current range table (*n ranges, sorted),
 * valid until the next update. Cannot fail. */
const struct proc_track_range *proc_space__table(const struct proc_space *s,
					   unsigned int *n);

/*
 * proc_space__mark() sets in `bitmap` the bit of every page of [start, end)
 * that has an index (current or past piece). Returns the number of pages
 * marked; pages of the span without an index are added to *unindexed (if
 * not NULL). Cannot fail.
 */
uint64_t proc_space__mark(const struct proc_space *s, uint64_t start, uint64_t end,
		       uint64_t *bitmap, uint64_t *unindexed);

/* proc_space__page_of() returns the index of the page holding addr, or -1.
 * Cannot fail. */
int64_t proc_space__page_of(const struct proc_space *s, uint64_t addr);

/*
 * proc_space__piece() gives piece i (0 ..): its virtual range [*start,
 * *end) holds pages *page, *page + 1, ... of the page space. Pieces come in
 * address order. Returns 0, or -ENOENT past the last. Cannot fail.
 */
int proc_space__piece(const struct proc_space *s, unsigned int i,
		      uint64_t *start, uint64_t *end, uint64_t *page);

/* proc_space__pages() returns the pages held by all pieces. Cannot fail. */
uint64_t proc_space__pages(const struct proc_space *s);

#endif /* PRECOPY_PFSPACE_H */
