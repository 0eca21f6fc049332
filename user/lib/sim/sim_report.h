/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim_report.h - how precopy-sim prints results: a human table, JSON (one
 * object per result and line; the fields are a contract, see
 * precopy-sim.c), and a bandwidth sweep as CSV plus an SVG plot.
 */
#ifndef PRECOPY_SIMREPORT_H
#define PRECOPY_SIMREPORT_H

#include <stdio.h>

#include "sim.h"
#include "tracefile/trace.h"

struct sim_report_ctx {
	const char *trace;		/* path, for the reader */
	const struct trace_epochs *tr;
	double bandwidth_mib;		/* of a single run */
	double downtime_limit_ms;
};

/* Print a table of n results of one run (same bandwidth). Can't fail. */
void sim_report__table(FILE *f, const struct sim_report_ctx *c,
		      const struct sim_result *r, unsigned int n);

/* Version of precopy-sim's JSON objects (docs/precopy-sim.schema.json):
 * bumped when a key is renamed or removed, not when one is added. */
#define SIM_JSON_VERSION 2

/* Print one result as one JSON object on one line. Fields: version, type
 * ("result"), algo, total_time_ms, downtime_ms, sent_pages, iterations,
 * converged, verified, forced, live_pages, final_pages, budget_pages, loops,
 * bandwidth_mib_per_s, downtime_limit_ms, start_ms, epoch_ms, pages,
 * page_size_bytes, trace, note, resent_pages, wasted_pages,
 * clean_sent_pages (see struct sim_result); and for an algorithm that tags
 * its sends, send_tags (class names), sent_pages_by_tag and
 * wasted_pages_by_tag (live sends and wasted live sends per class);
 * wasted_pages_by_delay and wasted_pages_by_age (sim_result's
 * wasted_by_delay and wasted_by_age).
 * Can't fail. */
void sim_report__json(FILE *f, const struct sim_report_ctx *c,
		     const struct sim_result *r);

/* Print the re-send accounting of one result (a line, plus one per class
 * of an algorithm that tags its sends). Can't fail. */
void sim_report__resends(FILE *f, const struct sim_result *r);

/*
 * Write PREFIX.csv (one row per bandwidth and algorithm) and PREFIX.svg
 * (pages sent, total time and downtime against bandwidth, one line per
 * algorithm; hollow markers: not converged) for r[i * nalgo + a], the
 * result of algorithm a at bandwidth bw[i] (MiB/s). Returns 0, or a
 * negative errno with a message on stderr.
 */
int sim_report__sweep(const struct sim_report_ctx *c, const char *prefix,
		     const double *bw, unsigned int nbw,
		     const struct sim_result *r, unsigned int nalgo);

#endif /* PRECOPY_SIMREPORT_H */
