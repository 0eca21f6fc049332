// SPDX-License-Identifier: GPL-2.0
/*
 * fam_phase.c - phase shifts: the working set moves between regions.
 *
 * Model: `regions` regions, each of `region_frac` of the family's memory
 * (times a factor uniform in [0.5, 1]) at a random place of its own slot
 * of the memory. A program phase (length uniform in [0.5, 1.5] x
 * `phase_s`) writes one region at `rate_mibps` with Zipf(`zipf_s`)
 * popularity (0 = uniform); at a phase boundary the working set moves to
 * another region, chosen uniformly among the others. A background of
 * `background_mibps` of uniform random writes covers the whole memory.
 * Program phases and their working-set changes: Sherwood et al.,
 * "Automatically characterizing large scale program behavior", ASPLOS
 * 2002; their effect on pre-copy, Nathan et al., "Resource availability
 * based performance benchmarking of virtual machine migrations", ICPE
 * 2013.
 */
#include "family.h"
#include "pattern.h"

enum { REGIONS, RFRAC, PHASE, RATE, ZIPF, BACK };

static const struct param_spec params[] = {
	[REGIONS] = { "regions", "", PK_INT, 2, 6, "regions" },
	[RFRAC] = { "region_frac", "", PK_REAL, 0.02, 0.15,
		    "largest region, share of the family's memory" },
	[PHASE] = { "phase_s", "s", PK_REAL, 3, 20, "mean phase length" },
	[RATE] = { "rate_mibps", "MiB/s", PK_LOG, 5, 250,
		   "writes into the current region" },
	[ZIPF] = { "zipf_s", "", PK_REAL, 0, 1.0,
		   "Zipf exponent inside a region (0 = uniform)" },
	[BACK] = { "background_mibps", "MiB/s", PK_LOG, 0.2, 5,
		   "uniform random writes over the whole memory" },
};

struct phase {
	double v[NPARAMS(params)];
	struct hotset reg[6], all;
	unsigned int nr, cur;
	double phase_end_s;
};

static int phase_init(void *st, const double *v, const struct layout *lay,
		      struct rng *r)
{
	struct phase *s = st;
	uint64_t slot;

	for (unsigned int i = 0; i < NPARAMS(params); i++)
		s->v[i] = v[i];
	s->nr = (unsigned int)v[REGIONS];
	slot = lay->avail / s->nr;
	for (unsigned int i = 0; i < s->nr; i++) {
		uint64_t len = (uint64_t)(v[RFRAC] * rng__uniform(r, 0.5, 1) *
					  (double)lay->avail) + 1;

		if (len > slot)
			len = slot;
		hotset__init(&s->reg[i], lay->base + i * slot +
			     rng__below(r, slot - len + 1), len, v[ZIPF],
			     rng__u64(r));
	}
	hotset__init(&s->all, lay->base, lay->avail, 0, rng__u64(r));
	s->cur = (unsigned int)rng__below(r, s->nr);
	s->phase_end_s = rng__uniform(r, 0, 1.5) * v[PHASE];
	return 0;
}

static void phase_epoch(void *st, struct ebuf *b, struct rng *r)
{
	struct phase *s = st;
	double t = (double)b->t0_us / 1e6;

	while (t >= s->phase_end_s) {
		s->cur = (s->cur + 1 + (unsigned int)rng__below(r, s->nr - 1)) %
			 s->nr;
		s->phase_end_s += rng__uniform(r, 0.5, 1.5) * s->v[PHASE];
	}
	hotset__run(&s->reg[s->cur], b, r,
		    pattern__count(r, b, MIBPS_TO_PAGES(s->v[RATE])));
	hotset__run(&s->all, b, r,
		    pattern__count(r, b, MIBPS_TO_PAGES(s->v[BACK])));
}

const struct family fam_phase = {
	.name = "phase",
	.model = "phase shifts. A program phase writes one region (Zipf or "
		 "uniform) at `rate_mibps`; at each phase boundary the working "
		 "set moves to another of `regions` regions; a uniform "
		 "background covers the whole memory (Sherwood et al. ASPLOS "
		 "2002 on program phases)",
	.params = params,
	.nr_params = NPARAMS(params),
	.state_size = sizeof(struct phase),
	.init = phase_init,
	.epoch = phase_epoch,
};
