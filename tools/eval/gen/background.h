/* SPDX-License-Identifier: GPL-2.0 */
/*
 * background.h - the guest kernel's writes, common to every family.
 *
 * Model: the first LAYOUT_KERNEL_PAGES pages (16 MiB) are the kernel's.
 * Every epoch the timer tick rewrites a few timekeeping pages (jiffies,
 * the vDSO data page, clock sources) and each vCPU's per-CPU pages
 * (run queue, timer wheel, statistics), each several times. A trickle of
 * `kernel_mibps` of random writes over the whole guest stands for slab
 * allocations, page-table updates and page-cache bookkeeping.
 */
#ifndef EVALGEN_BACKGROUND_H
#define EVALGEN_BACKGROUND_H

#include "ebuf.h"
#include "pattern.h"
#include "rng.h"

#define LAYOUT_KERNEL_PAGES 4096ULL
#define BACKGROUND_TIMEKEEPING_PAGES 4

struct background {
	uint64_t percpu_pages;	/* vcpus x pages per CPU */
	double kernel_rate;	/* pages/s */
	struct hotset all;
};

/* vcpus (>= 1), pages per CPU, random writes in MiB/s, over pages guest
 * pages (> LAYOUT_KERNEL_PAGES). Can't fail. */
void background__init(struct background *bg, unsigned int vcpus,
		      unsigned int percpu, double kernel_mibps,
		      uint64_t pages, uint64_t key);

/* Add one epoch of kernel writes. */
void background__epoch(const struct background *bg, struct ebuf *b,
		       struct rng *r);

#endif /* EVALGEN_BACKGROUND_H */
