// SPDX-License-Identifier: GPL-2.0
/*
 * fam_gc.c - garbage-collected heap (a generational JVM or .NET heap).
 *
 * Model: a heap of `heap_frac` of the family's memory, its first
 * `nursery_frac` the young generation. The mutator allocates by bumping a
 * pointer through the nursery at `alloc_mibps` during bursts of `burst_s`
 * and at `quiet_share` of that rate in the `quiet_s` between them (request
 * bursts; allocation rates of 0.1-1 GB/s per busy JVM are common, Blackburn
 * et al. OOPSLA 2006 for the DaCapo figures). When the nursery is full a
 * minor collection copies `survive` of it to the old generation (a
 * promotion cursor moving through the old generation) and writes the
 * forwarding headers of the survivors in the nursery; the nursery is then
 * reused from its start. The mutator also stores into old objects
 * (`mutate_mibps`, Zipf `mutate_zipf`), each store dirtying its card in a
 * card table (one byte per 512 bytes of old generation). Every
 * `major_every_s` a stop-the-world full collection compacts the old
 * generation: it slides the live `live_frac` of it to the bottom, writing
 * those pages in address order at `compact_mibps`; the mutator waits.
 * The write-intensive collection phases are what made GC'd guests hard to
 * migrate in Hou et al., "Application-assisted live migration of virtual
 * machines with Java applications" (EuroSys 2015).
 */
#include <errno.h>

#include "family.h"
#include "pattern.h"

enum { HEAP, NURS, ALLOC, BURST, QUIET, QSHARE, SURV, MUT, MUTZ, MAJOR,
       LIVE, CRATE };

static const struct param_spec params[] = {
	[HEAP] = { "heap_frac", "", PK_REAL, 0.40, 0.90,
		   "heap, share of the family's memory" },
	[NURS] = { "nursery_frac", "", PK_REAL, 0.02, 0.15,
		   "young generation, share of the heap" },
	[ALLOC] = { "alloc_mibps", "MiB/s", PK_LOG, 10, 300,
		    "allocation rate during a burst" },
	[BURST] = { "burst_s", "s", PK_REAL, 0.5, 4, "burst length" },
	[QUIET] = { "quiet_s", "s", PK_REAL, 0.2, 3, "gap between bursts" },
	[QSHARE] = { "quiet_share", "", PK_REAL, 0, 0.2,
		     "allocation rate between bursts, share of the burst's" },
	[SURV] = { "survive", "", PK_REAL, 0.02, 0.15,
		   "share of the nursery surviving a minor collection" },
	[MUT] = { "mutate_mibps", "MiB/s", PK_LOG, 1, 30,
		  "stores into the old generation" },
	[MUTZ] = { "mutate_zipf", "", PK_REAL, 0.5, 1.0,
		   "Zipf exponent of old-object stores" },
	[MAJOR] = { "major_every_s", "s", PK_REAL, 8, 40,
		    "full collection period" },
	[LIVE] = { "live_frac", "", PK_REAL, 0.3, 0.9,
		   "live share of the old generation at a full collection" },
	[CRATE] = { "compact_mibps", "MiB/s", PK_LOG, 150, 1000,
		    "full collection compaction rate" },
};

struct gc {
	double v[NPARAMS(params)];
	uint64_t nursery, old, cards;
	struct seqw alloc, promo, comp;
	struct hotset mut, surv;
	double phase_end_s;	/* end of the current burst or quiet spell */
	int in_burst;
	double next_major_s;
	uint64_t comp_left;
};

static int gc_init(void *st, const double *v, const struct layout *lay,
		   struct rng *r)
{
	struct gc *g = st;
	uint64_t heap = (uint64_t)(v[HEAP] * (double)lay->avail);

	for (unsigned int i = 0; i < NPARAMS(params); i++)
		g->v[i] = v[i];
	g->nursery = (uint64_t)(v[NURS] * (double)heap) + 1;
	g->old = heap - g->nursery;
	g->cards = g->old / 512 + 1;
	seqw__init(&g->alloc, lay->base, g->nursery, 1, 0);
	seqw__init(&g->promo, lay->base + g->nursery, g->old, 1, 0);
	hotset__init(&g->mut, lay->base + g->nursery, g->old, v[MUTZ],
		     rng__u64(r));
	hotset__init(&g->surv, lay->base, g->nursery, 0, rng__u64(r));
	g->in_burst = 1;
	g->phase_end_s = rng__uniform(r, 0, v[BURST]);
	g->next_major_s = rng__uniform(r, 0.5, 1) * v[MAJOR];
	return 0;
}

static void minor_gc(struct gc *g, struct ebuf *b, struct rng *r)
{
	double n = g->v[SURV] * (double)g->nursery;

	hotset__run(&g->surv, b, r, (uint64_t)n);
	seqw__run(&g->promo, b, n, 0.5, 1);
}

static void gc_epoch(void *st, struct ebuf *b, struct rng *r)
{
	struct gc *g = st;
	double t = (double)b->t0_us / 1e6, ep = (double)b->len_us / 1e6;
	uint64_t base = g->promo.base + g->old, i, n;
	double rate;
	unsigned int w;

	if (!g->comp_left && t >= g->next_major_s) {
		g->comp_left = (uint64_t)(g->v[LIVE] * (double)g->old) + 1;
		seqw__init(&g->comp, g->promo.base, g->comp_left, 1, 0);
		g->next_major_s = t + g->v[MAJOR];
	}
	if (g->comp_left) {	/* stop the world */
		double c = MIBPS_TO_PAGES(g->v[CRATE]) * ep;

		if (c >= (double)g->comp_left)
			c = (double)g->comp_left;
		seqw__run(&g->comp, b, c, 0, c / (MIBPS_TO_PAGES(
				  g->v[CRATE]) * ep));
		g->comp_left -= (uint64_t)c;
		if (!g->comp_left)	/* promotion restarts above the live */
			g->promo.pos = (uint64_t)(g->v[LIVE] *
						  (double)g->old);
		return;
	}
	while (t >= g->phase_end_s) {
		g->in_burst = !g->in_burst;
		g->phase_end_s += rng__uniform(r, 0.5, 1.5) *
				  g->v[g->in_burst ? BURST : QUIET];
	}
	rate = MIBPS_TO_PAGES(g->v[ALLOC]) * (g->in_burst ? 1 : g->v[QSHARE]);
	for (w = seqw__run(&g->alloc, b, rate * ep, 0, 1); w; w--)
		minor_gc(g, b, r);
	n = pattern__count(r, b, MIBPS_TO_PAGES(g->v[MUT]));
	for (i = 0; i < n; i++) {
		uint64_t p = hotset__draw(&g->mut, r);
		double f = rng__u01(r);

		ebuf__add(b, f, p);
		ebuf__add(b, f, base + (p - g->promo.base) / 512);
	}
}

const struct family fam_gc = {
	.name = "gc",
	.model = "garbage-collected heap (a generational JVM or .NET heap). The "
		 "mutator bump-allocates through the nursery in bursts; when it "
		 "is full a minor collection copies the survivors to the old "
		 "generation and the nursery is reused from its start; stores "
		 "into old objects (Zipf) dirty their card-table byte; every "
		 "`major_every_s` a stop-the-world full collection slides the "
		 "live `live_frac` of the old generation down, in address order, "
		 "while the mutator waits (Blackburn et al. OOPSLA 2006; Hou et "
		 "al. EuroSys 2015 on migrating Java guests)",
	.params = params,
	.nr_params = NPARAMS(params),
	.state_size = sizeof(struct gc),
	.init = gc_init,
	.epoch = gc_epoch,
};
