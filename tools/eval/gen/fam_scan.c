// SPDX-License-Identifier: GPL-2.0
/*
 * fam_scan.c - batch scan (analytics pass, external sort run, ETL job).
 *
 * Model: an area of `area_frac` of the family's memory is processed in
 * passes, in address order, at `scan_mibps`; a pass writes `density` of
 * the pages it crosses (in runs: the decision is per 16-page chunk and
 * pass), e.g. an in-place transform or a column being rewritten. With
 * `pingpong` = 1 the area is two halves and each pass writes the other
 * half (the input and output buffers of a merge sort). Between passes the
 * job pauses `gap_s` (reading, shuffling, I/O). A small accumulator of
 * `acc_pages` (aggregation table, counters) is written throughout, each
 * of its pages in an epoch with probability `acc_prob`. Scans are the
 * case where address-order pre-copy re-sends most (Clark et al., NSDI
 * 2005, writable working sets; Ibrahim et al., "Optimizing live
 * migration of HPC applications", HPDC 2011).
 */
#include "family.h"
#include "pattern.h"

enum { AREA, RATE, DENS, GAP, PING, ACC, ACCP };

static const struct param_spec params[] = {
	[AREA] = { "area_frac", "", PK_REAL, 0.30, 0.90,
		   "scanned area, share of the family's memory" },
	[RATE] = { "scan_mibps", "MiB/s", PK_LOG, 20, 400,
		   "scan speed (pages crossed per second)" },
	[DENS] = { "density", "", PK_REAL, 0.25, 1.0,
		   "share of the crossed pages a pass writes" },
	[GAP] = { "gap_s", "s", PK_REAL, 0, 5, "pause between passes" },
	[PING] = { "pingpong", "", PK_INT, 0, 1,
		   "1: passes alternate between the two halves" },
	[ACC] = { "acc_pages", "pages", PK_LOGINT, 8, 1024,
		  "accumulator pages" },
	[ACCP] = { "acc_prob", "", PK_REAL, 0.5, 1.0,
		   "chance an accumulator page is written in an epoch" },
};

struct scan {
	double v[NPARAMS(params)];
	uint64_t area_base, area, acc_base;
	struct seqw cur;
	uint64_t passes;
	double resume_s;	/* the pause ends; < 0: scanning */
};

static void start_pass(struct scan *s)
{
	uint64_t half = s->area / 2, pass = s->passes;

	if (s->v[PING] > 0.5)
		seqw__init(&s->cur, s->area_base + (pass % 2) * half, half,
			   s->v[DENS], pass);
	else
		seqw__init(&s->cur, s->area_base, s->area, s->v[DENS], 0);
	s->cur.pass = pass;
}

static int scan_init(void *st, const double *v, const struct layout *lay,
		     struct rng *r)
{
	struct scan *s = st;

	for (unsigned int i = 0; i < NPARAMS(params); i++)
		s->v[i] = v[i];
	s->area_base = lay->base;
	s->area = (uint64_t)(v[AREA] * (double)lay->avail);
	s->acc_base = s->area_base + s->area;
	start_pass(s);
	/* the trace starts somewhere in a pass */
	s->cur.pos = rng__below(r, s->cur.len);
	s->resume_s = -1;
	return 0;
}

static void scan_epoch(void *st, struct ebuf *b, struct rng *r)
{
	struct scan *s = st;
	double t = (double)b->t0_us / 1e6, ep = (double)b->len_us / 1e6;
	uint64_t i;

	for (i = 0; i < (uint64_t)s->v[ACC]; i++)
		if (rng__u01(r) < s->v[ACCP]) {
			ebuf__add(b, rng__u01(r) * 0.5, s->acc_base + i);
			ebuf__add(b, 0.5 + rng__u01(r) * 0.5, s->acc_base + i);
		}
	if (s->resume_s >= 0) {
		if (t < s->resume_s)
			return;
		s->resume_s = -1;
	}
	if (seqw__run(&s->cur, b, MIBPS_TO_PAGES(s->v[RATE]) * ep, 0, 1)) {
		/* the pass ended in this epoch: the rest of it was extra,
		 * harmless (a new pass would have begun the same way) */
		s->passes++;
		start_pass(s);
		if (s->v[GAP] > 0)
			s->resume_s = t + ep + s->v[GAP];
	}
}

const struct family fam_scan = {
	.name = "scan",
	.model = "batch scan (analytics pass, external sort, ETL). Passes cross "
		 "a large area in address order at `scan_mibps`, writing "
		 "`density` of it in runs (with `pingpong`, alternately the two "
		 "halves, as a merge sort's input and output), pause `gap_s` "
		 "between passes, and keep a small accumulator hot throughout "
		 "(Clark et al. NSDI 2005 writable working sets; Ibrahim et al. "
		 "HPDC 2011)",
	.params = params,
	.nr_params = NPARAMS(params),
	.state_size = sizeof(struct scan),
	.init = scan_init,
	.epoch = scan_epoch,
};
