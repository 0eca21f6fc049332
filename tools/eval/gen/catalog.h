/* SPDX-License-Identifier: GPL-2.0 */
/*
 * catalog.h - the generated benchmark: which families, which seeds, and
 * the split between tuning and reporting.
 *
 * Every family is drawn with seeds 1..CATALOG_SEEDS. The split is by
 * seed: odd seeds are the TUNE split (what a policy may be tuned on),
 * even seeds the REPORT split (what results are reported on; never tune
 * on it). A trace is named FAMILY-SEED (e.g. kv-3).
 *
 * CATALOG_VERSION names the generator's output: any change that alters
 * a single byte of any trace must bump it, so caches of older traces are
 * never mistaken for current ones.
 */
#ifndef EVALGEN_CATALOG_H
#define EVALGEN_CATALOG_H

#include <stdint.h>

#include "family.h"

#define CATALOG_VERSION 1
#define CATALOG_SEEDS 6

enum split { SPLIT_TUNE, SPLIT_REPORT, SPLIT_ALL };

/* The families, in catalog order; *nr receives their number. */
const struct family *const *catalog__families(unsigned int *nr);

/* The family called name, or NULL. */
const struct family *catalog__find(const char *name);

/* The split a seed belongs to (SPLIT_TUNE or SPLIT_REPORT). */
enum split catalog__split(uint64_t seed);

/* "tune", "report", "all". */
const char *catalog__split_name(enum split s);

/* Parse a split name. Returns 0, or -EINVAL. */
int catalog__parse_split(const char *name, enum split *s);

#endif /* EVALGEN_CATALOG_H */
