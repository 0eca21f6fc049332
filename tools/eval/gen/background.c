// SPDX-License-Identifier: GPL-2.0
/*
 * background.c - timer ticks and kernel trickle (background.h).
 */
#include "background.h"
#include "family.h"

void background__init(struct background *bg, unsigned int vcpus,
		      unsigned int percpu, double kernel_mibps,
		      uint64_t pages, uint64_t key)
{
	bg->percpu_pages = (uint64_t)vcpus * percpu;
	bg->kernel_rate = MIBPS_TO_PAGES(kernel_mibps);
	hotset__init(&bg->all, 0, pages, 0, key);
}

void background__epoch(const struct background *bg, struct ebuf *b,
		       struct rng *r)
{
	uint64_t i, n = BACKGROUND_TIMEKEEPING_PAGES + bg->percpu_pages;

	/* per-CPU pages follow the timekeeping pages, 8 pages apart */
	for (i = 0; i < n; i++) {
		uint64_t page = i < BACKGROUND_TIMEKEEPING_PAGES ? i :
			BACKGROUND_TIMEKEEPING_PAGES +
			(i - BACKGROUND_TIMEKEEPING_PAGES) * 8;

		ebuf__add(b, rng__u01(r) * 0.1, page);
		ebuf__add(b, 0.9 + rng__u01(r) * 0.1, page);
	}
	hotset__run(&bg->all, b, r, pattern__count(r, b, bg->kernel_rate));
}
