/* SPDX-License-Identifier: GPL-2.0 */
/*
 * profile.h - live dirty-memory statistics of one VM, computed from the
 * tracker's per-epoch dirty bitmaps: dirty rate, working sets over 1 s,
 * 10 s and 60 s, the hottest 2 MiB regions, write locality, and the
 * working-set curve the convergence forecast needs.
 *
 * Feed every harvested epoch with profile__add_epoch(); every reporting
 * interval, profile__interval() summarises the epochs since the previous
 * call. Memory: 4 bytes per page plus one bitmap. Cost: O(dirty pages) per
 * epoch, O(pages / 64) per interval.
 */
#ifndef PRECOPY_PROFILE_H
#define PRECOPY_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "forecast.h"

#define PROFILE_MAX_TOP 16
#define PROFILE_REGION_PAGES 512 /* 2 MiB of 4 KiB pages */

struct profile_region {
	uint64_t region; /* index: gfns [region*512, region*512+512) */
	uint64_t pages;  /* distinct pages dirtied in the interval */
};

struct profile_interval {
	double seconds;         /* length of the interval */
	unsigned int epochs;    /* epochs it covers */
	double longest_epoch_s; /* the longest of them: the epoch cadence held
				 * if it is about the epoch length */
	uint64_t dirty_pages;   /* distinct pages dirtied in the interval */
	double pages_per_s;     /* dirty_pages / seconds */
	double mib_per_s;       /* the same in MiB/s of 4 KiB pages */
	uint64_t ws_1s, ws_10s, ws_60s; /* distinct pages, trailing windows */
	bool ws_10s_full, ws_60s_full;  /* false: less history than that */
	unsigned int ntop;      /* regions in top[], hottest first */
	struct profile_region top[PROFILE_MAX_TOP];
	double top_share;       /* share of dirty_pages inside top[] */
	double mean_run;        /* mean length of runs of contiguous dirty pages */
	double neighbour_share; /* share of dirty pages with a dirty neighbour */
	struct ws_curve curve;  /* W(t) for forecast__qemu() */
};

struct profile;

/*
 * profile__new() prepares statistics for a VM of `pages` pages harvested
 * every epoch_s seconds, reporting the `top` hottest regions (at most
 * PROFILE_MAX_TOP). Returns NULL on bad arguments (errno EINVAL) or when
 * out of memory (ENOMEM).
 */
struct profile *profile__new(uint64_t pages, double epoch_s, unsigned int top);

/* profile__free() frees. NULL is a no-op. */
void profile__free(struct profile *p);

/* profile__add_epoch() adds one epoch's dirty bitmap (pages bits) that
 * lasted `seconds`. Cannot fail. */
void profile__add_epoch(struct profile *p, const uint64_t *bitmap,
			double seconds);

/*
 * profile__interval() summarises the epochs added since the previous call
 * into *out and starts a new interval. Returns 0, or -ENODATA if no epoch
 * was added (out untouched).
 */
int profile__interval(struct profile *p, struct profile_interval *out);

/* profile__pages() returns the page count it was made for. Cannot fail. */
uint64_t profile__pages(const struct profile *p);

/* profile__interval_bitmap() returns the union bitmap of the interval being
 * accumulated (valid until the next profile__interval()). Cannot fail. */
const uint64_t *profile__interval_bitmap(const struct profile *p);

#endif /* PRECOPY_PROFILE_H */
