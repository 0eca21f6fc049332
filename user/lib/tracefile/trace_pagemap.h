/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace_pagemap.h - which address each page number of a process trace
 * stands for.
 *
 * A trace made of processes (precopy-trace -- CMD --record FILE) numbers
 * pages in order of first registration (proc/proc_space.h): page numbers
 * say nothing about addresses by themselves. The recorder writes beside
 * FILE the map FILE.pagemap, named in the trace's metadata as
 * `page_map=BASENAME`, so a trace can be read back to addresses:
 *
 *   # precopy-pagemap v1 page_size=4096 pages=<N>
 *   # first_page pages pid address
 *   0 16 4242 0x7f31c8a00000
 *   16 1 4242 0x5581d0c3a000
 *   ...
 *
 * One line per range: pages [first_page, first_page + pages) are the
 * virtual pages of process pid from address on, in order. Ranges are
 * sorted by first_page and do not overlap; pages no range names were
 * never registered. Comment lines start with '#'.
 */
#ifndef PRECOPY_TRACE_PAGEMAP_H
#define PRECOPY_TRACE_PAGEMAP_H

#include <stddef.h>
#include <stdint.h>

#define TRACE_PAGEMAP_SUFFIX ".pagemap"
#define TRACE_PAGEMAP_MAX (1u << 22)	/* ranges a reader accepts */

struct trace_pagemap_range {
	uint64_t page;		/* first page number */
	uint64_t pages;		/* > 0 */
	uint64_t addr;		/* virtual address of the first page */
	int32_t pid;
};

struct trace_pagemap {
	uint32_t page_size;
	uint64_t pages;		/* the trace's page space */
	size_t n;
	struct trace_pagemap_range *r;	/* sorted by page */
};

/*
 * trace_pagemap__write() writes the map of n ranges (any order; they are
 * sorted) to path, which must not exist (O_EXCL: a file is never
 * overwritten). Returns 0, or -errno with a message in err: the file
 * exists, ranges overlap or leave the page space, a write failed.
 */
int trace_pagemap__write(const char *path, uint32_t page_size, uint64_t pages,
			 struct trace_pagemap_range *r, size_t n, char *err,
			 size_t errlen);

/*
 * trace_pagemap__read() reads a map into *m (free with
 * trace_pagemap__free()). Returns 0, or -errno with "LINE N: what" in err
 * for a malformed file (bad header or line, unsorted or overlapping
 * ranges, a range past pages=, too many ranges).
 */
int trace_pagemap__read(const char *path, struct trace_pagemap *m, char *err,
			size_t errlen);

/* trace_pagemap__free() frees what read() allocated. Can't fail. */
void trace_pagemap__free(struct trace_pagemap *m);

/*
 * trace_pagemap__addr() finds the process and address of page number
 * `page`. Returns 0 with *pid and *addr set, or -ENOENT when no range
 * holds it. Can't fail otherwise.
 */
int trace_pagemap__addr(const struct trace_pagemap *m, uint64_t page,
			int32_t *pid, uint64_t *addr);

#endif /* PRECOPY_TRACE_PAGEMAP_H */
