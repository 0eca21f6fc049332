/* SPDX-License-Identifier: GPL-2.0 */
/*
 * family.h - what a workload family is: its parameters (name, unit,
 * range, distribution) and its write process, one epoch at a time.
 *
 * A seed draws every parameter of its family from the ranges declared in
 * the family's table (param__draw()), then the family lays out its
 * regions in the guest and writes, epoch by epoch, with its own random
 * stream. The tables are the documentation: `eval-gen --describe` prints
 * them, docs/EVALUATION.md quotes them and the test checks every drawn
 * value against them.
 *
 * Guest layout shared by every family (layout.h): the first
 * LAYOUT_KERNEL_PAGES pages are the guest kernel's (timekeeping, per-CPU
 * data, written by background.h); the family owns [base, base + avail).
 */
#ifndef EVALGEN_FAMILY_H
#define EVALGEN_FAMILY_H

#include <stddef.h>
#include <stdint.h>

#include "ebuf.h"
#include "rng.h"

enum param_kind {
	PK_REAL,	/* uniform in [lo, hi] */
	PK_LOG,		/* log-uniform in [lo, hi] */
	PK_INT,		/* integer, uniform in [lo, hi] */
	PK_LOGINT,	/* integer, log-uniform in [lo, hi] */
};

struct param_spec {
	const char *name;
	const char *unit;
	enum param_kind kind;
	double lo, hi;
	const char *doc;
};

/* Draw one value from spec: always within [lo, hi]. Can't fail. */
double param__draw(const struct param_spec *spec, struct rng *r);

/* Where a family may write. */
struct layout {
	uint64_t pages;		/* guest pages */
	uint64_t base;		/* first page the family owns */
	uint64_t avail;		/* pages it owns: [base, base + avail) */
	double length_s;	/* trace length */
};

#define MIBPS_TO_PAGES(x) ((x) * 256.0)	/* MiB/s of 4 KiB pages */
#define MIB_TO_PAGES(x) ((uint64_t)((x) * 256.0))

struct family {
	const char *name;
	const char *model;	/* what it models, and where from */
	const struct param_spec *params;
	unsigned int nr_params;
	size_t state_size;
	/* Lay out and prepare state (zeroed, state_size bytes) from the
	 * drawn values v[nr_params]. r is the family's own stream. Returns
	 * 0 or -ENOMEM. */
	int (*init)(void *st, const double *v, const struct layout *lay,
		    struct rng *r);
	/* Add the writes of the epoch starting at b->t0_us. */
	void (*epoch)(void *st, struct ebuf *b, struct rng *r);
	/* Free what init allocated (may be NULL). */
	void (*fini)(void *st);
};

#define NPARAMS(a) ((unsigned int)(sizeof(a) / sizeof((a)[0])))

extern const struct family fam_kv, fam_gc, fam_oltp, fam_scan, fam_idle,
	fam_phase, fam_stream;

#endif /* EVALGEN_FAMILY_H */
