/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memdiff.h - compare two copies of guest memory page by page (a source's
 * and a destination's RAM, read in chunks by guestmem.h).
 */
#ifndef PRECOPY_MEMDIFF_H
#define PRECOPY_MEMDIFF_H

#include <stddef.h>
#include <stdint.h>

struct memdiff {
	uint64_t bytes;		/* compared size (both copies have it) */
	uint64_t skipped;	/* bytes not compared */
	uint64_t diff_pages;	/* 4 KiB pages that differ */
	uint64_t first_diff;	/* byte offset of the first difference */
	uint64_t hash_a;	/* FNV-1a 64 over a's 64-bit words */
	uint64_t hash_b;
};

/* Start a comparison: *d empty, hashes at their seed. Can't fail. */
void memdiff__start(struct memdiff *d);

/*
 * Add the chunk a[0, n) vs b[0, n), at byte offset off of the whole
 * (chunks in ascending order, each a whole number of 4 KiB pages but the
 * last), skipping the pages inside the byte range [skip_start, skip_end)
 * of the whole (empty when skip_end <= skip_start; the hashes skip them
 * too). Can't fail.
 */
void memdiff__chunk(struct memdiff *d, const void *a, const void *b,
		    uint64_t off, uint64_t n, uint64_t skip_start,
		    uint64_t skip_end);

/* The whole comparison of a[0, size) and b[0, size) at once: d->diff_pages
 * is 0 iff they are equal outside the skipped range. Can't fail. */
void memdiff__buffers(const void *a, const void *b, uint64_t size,
		      uint64_t skip_start, uint64_t skip_end,
		      struct memdiff *d);

#endif /* PRECOPY_MEMDIFF_H */
