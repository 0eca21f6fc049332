/* SPDX-License-Identifier: GPL-2.0 */
/*
 * simreport.h - how precopy-sim prints results: a human table, JSON (one
 * object per result and line; the fields are a contract, see
 * precopy-sim.c), and a bandwidth sweep as CSV plus an SVG plot.
 */
#ifndef PRECOPY_SIMREPORT_H
#define PRECOPY_SIMREPORT_H

#include <stdio.h>

#include "sim.h"
#include "trace.h"

struct simreport_ctx {
	const char *trace;		/* path, for the reader */
	const struct trace_epochs *tr;
	double bandwidth_mib;		/* of a single run */
	double downtime_limit_ms;
};

/* Print a table of n results of one run (same bandwidth). Can't fail. */
void simreport__table(FILE *f, const struct simreport_ctx *c,
		      const struct sim_result *r, unsigned int n);

/* Print one result as one JSON object on one line. Fields: algo,
 * total_time_ms, downtime_ms, pages_sent, iterations, converged, verified,
 * forced, live_pages, final_pages, budget_pages, loops, bandwidth_mibps,
 * downtime_limit_ms, start_ms, epoch_ms, pages, page_size, trace, note.
 * Can't fail. */
void simreport__json(FILE *f, const struct simreport_ctx *c,
		     const struct sim_result *r);

/*
 * Write PREFIX.csv (one row per bandwidth and algorithm) and PREFIX.svg
 * (pages sent, total time and downtime against bandwidth, one line per
 * algorithm; hollow markers: not converged) for r[i * nalgo + a], the
 * result of algorithm a at bandwidth bw[i] (MiB/s). Returns 0, or a
 * negative errno with a message on stderr.
 */
int simreport__sweep(const struct simreport_ctx *c, const char *prefix,
		     const double *bw, unsigned int nbw,
		     const struct sim_result *r, unsigned int nalgo);

#endif /* PRECOPY_SIMREPORT_H */
