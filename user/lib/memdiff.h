/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memdiff.h - compare two guest memory dumps (pmemsave files) page by page.
 */
#ifndef PRECOPY_MEMDIFF_H
#define PRECOPY_MEMDIFF_H

#include <stddef.h>
#include <stdint.h>

struct memdiff {
	uint64_t bytes;		/* file size (both files have it) */
	uint64_t skipped;	/* bytes not compared */
	uint64_t diff_pages;	/* 4 KiB pages that differ */
	uint64_t first_diff;	/* byte offset of the first difference */
	uint64_t hash_a;	/* FNV-1a 64 over a's 64-bit words */
	uint64_t hash_b;
};

/*
 * Compare the files a and b, skipping the pages inside the byte range
 * [skip_start, skip_end) (empty when skip_end <= skip_start; the hashes
 * skip them too). Returns 0 with *d filled (equal iff d->diff_pages == 0),
 * or -1 with a reason in err (a file cannot be read, or the sizes differ).
 */
int memdiff__files(const char *a, const char *b, uint64_t skip_start,
		   uint64_t skip_end, struct memdiff *d, char *err,
		   size_t errlen);

#endif /* PRECOPY_MEMDIFF_H */
