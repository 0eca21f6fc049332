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
 * ("active"), where prediction is harder.
 *
 * Long horizons. A page sent in pre-copy must stay clean for many epochs,
 * so the replay also scores the chance of a write within the next H
 * epochs, for H in QUALITY_HORIZONS: every H epochs (from epoch H on)
 * each page gets a prediction for the H epochs that follow, scored when
 * they have been seen. Predictors:
 *
 *   prob   the model as the planner asks it (model__horizon(), short
 *          horizon 4: the epoch model, then the long-horizon part);
 *   epoch  the epoch model alone, its chain risk over min(H, 64) epochs
 *          (what the planner used before the long-horizon part);
 *   last   "written in the last H epochs", calibrated like the baselines
 *          above (per rule value, the decayed frequency, decay 0.9 per
 *          window).
 *
 * "active" here: the page was dirty in one of the 8 epochs before the
 * prediction. AUC is computed from predictions
 * binned on a logit grid (QUALITY_BINS bins over [1e-6, 1 - 1e-6]; ties in
 * a bin count one half), so it is exact to about 1e-3.
 */
#ifndef PRECOPY_QUALITY_H
#define PRECOPY_QUALITY_H

#include <stdint.h>
#include <stdio.h>

#include "tracefile/trace.h"

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
enum { QUALITY_H_PROB, QUALITY_H_EPOCH, QUALITY_H_LAST, QUALITY_H__N };
#define QUALITY_HORIZONS 2	/* 20 and 100 epochs */

struct quality_report {
	uint64_t pages, epochs;
	struct quality_acc acc[QUALITY__SETS][QUALITY__N];
	unsigned int horizon_epochs[QUALITY_HORIZONS];
	struct quality_acc hacc[QUALITY_HORIZONS][QUALITY__SETS][QUALITY_H__N];
};

/* The predictors' names: "prob", "last", "tsb"; at long horizons "prob",
 * "epoch", "last". */
extern const char *const quality_names[QUALITY__N];
extern const char *const quality_h_names[QUALITY_H__N];

/*
 * Replay tr epoch by epoch through a model with default parameters and
 * score it and the baselines. Returns 0 and fills *out (which is large:
 * allocate it), or a negative errno with a message in err: -EINVAL (a
 * trace without epochs), -ENOMEM.
 */
int quality__run(const struct trace_epochs *tr, struct quality_report *out,
		 char *err, size_t errlen);

/* Version of the JSON object (precopy-sim --quality --json, in
 * docs/precopy-sim.schema.json); kept equal to precopy-sim's
 * SIM_JSON_VERSION. */
#define QUALITY_JSON_VERSION 2

/* Print the report as a table, or as one JSON object on one line
 * (version, type "quality", trace, pages, epochs, then per set). */
void quality__print(FILE *f, const char *name, const struct quality_report *q);
void quality__print_json(FILE *f, const char *name,
			 const struct quality_report *q);

#endif /* PRECOPY_QUALITY_H */
