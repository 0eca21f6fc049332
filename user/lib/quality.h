/* SPDX-License-Identifier: GPL-2.0 */
/*
 * quality.h - how good are next-epoch dirty predictions? Brier score,
 * log-loss and AUC of probabilistic predictions, accumulated from grouped
 * outcomes (n pages predicted with probability p, k of them dirty), and a
 * replay of a trace through the model (model.h) that scores it against two
 * baselines:
 *
 *   last  "dirty last epoch": the page was dirty in the previous epoch;
 *   tsb   TSB's history rule: dirty in at least 2 of the last 4 epochs.
 *
 * A rule gives 0 or 1, which has an infinite log-loss the first time it is
 * wrong; each baseline is therefore calibrated online like the model: its
 * prediction for a page is the decayed frequency (decay 0.9, (K + 0.5) /
 * (N + 1)) with which pages of the same rule value were dirty in the next
 * epoch. Every prediction is made before the epoch it predicts is seen.
 *
 * Scores are over every page and every epoch after the first ("all") and
 * over the page-epochs of pages dirty in one of the 8 epochs before
 * ("active"), where prediction is harder. AUC is computed from predictions
 * binned on a logit grid (QUALITY_BINS bins over [1e-6, 1 - 1e-6]; ties in
 * a bin count one half), so it is exact to about 1e-3.
 */
#ifndef PRECOPY_QUALITY_H
#define PRECOPY_QUALITY_H

#include <stdint.h>
#include <stdio.h>

#include "trace.h"

#define QUALITY_BINS 2048

struct quality_acc {
	double n, k;		/* predictions, positives */
	double brier;		/* sum of squared errors */
	double logloss;		/* sum of -log likelihoods (natural log) */
	double pos[QUALITY_BINS], neg[QUALITY_BINS];
};

/* Add n predictions of probability p of which k came true (k <= n; p is
 * clamped to [1e-6, 1 - 1e-6]). Can't fail. */
void quality_acc__add(struct quality_acc *q, double p, double n, double k);

/* Mean Brier score, mean log-loss, AUC (0.5 if there are no positives or
 * no negatives), positive rate. Can't fail; 0 on an empty accumulator. */
double quality_acc__brier(const struct quality_acc *q);
double quality_acc__logloss(const struct quality_acc *q);
double quality_acc__auc(const struct quality_acc *q);
double quality_acc__rate(const struct quality_acc *q);

enum { QUALITY_PROB, QUALITY_LAST, QUALITY_TSB, QUALITY__N };
enum { QUALITY_ALL, QUALITY_ACTIVE, QUALITY__SETS };

struct quality_report {
	uint64_t pages, epochs;
	struct quality_acc acc[QUALITY__SETS][QUALITY__N];
};

/* The predictors' names: "prob", "last", "tsb". */
extern const char *const quality_names[QUALITY__N];

/*
 * Replay tr epoch by epoch through a model with default parameters and
 * score it and the baselines. Returns 0 and fills *out (which is large:
 * allocate it), or a negative errno with a message in err: -EINVAL (a
 * trace without epochs), -ENOMEM.
 */
int quality__run(const struct trace_epochs *tr, struct quality_report *out,
		 char *err, size_t errlen);

/* Print the report as a table, or as one JSON object on one line. */
void quality__print(FILE *f, const char *name, const struct quality_report *q);
void quality__print_json(FILE *f, const char *name,
			 const struct quality_report *q);

#endif /* PRECOPY_QUALITY_H */
