/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mig_report.h - precopy-migrate's report: a line per migration (a table
 * row, or a JSON object of docs/precopy-migrate.schema.json), then the
 * medians of each mode over its completed migrations with equal memory,
 * and the ratios of each mode's medians to the first mode that has any.
 *
 *	struct mig_report rep;
 *	mig_report__init(&rep, stdout, json, modes, nmodes, runs);
 *	mig_report__table_header(&rep);
 *	for each migration: mig_report__run(&rep, run, mode, &result, err);
 *	mig_report__summary(&rep, failed);
 */
#ifndef PRECOPY_MIG_REPORT_H
#define PRECOPY_MIG_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "migrun.h"

#define MIG_REPORT_MAX_RUNS 50	/* migrations per mode */
/* Version of the JSON lines (docs/precopy-migrate.schema.json); bumped
 * when a key is renamed or removed, not when one is added. */
#define MIG_REPORT_JSON_VERSION 2

/* One mode's completed migrations with equal memory, and their medians
 * (-1: no sample). The downtime and pause to the microsecond count only
 * when every one of them has both (n_us == n). */
struct mig_report_mode {
	int64_t total[MIG_REPORT_MAX_RUNS], down[MIG_REPORT_MAX_RUNS];
	int64_t bytes[MIG_REPORT_MAX_RUNS], syncs[MIG_REPORT_MAX_RUNS];
	int64_t rate[MIG_REPORT_MAX_RUNS], rate_before[MIG_REPORT_MAX_RUNS];
	int64_t down_us[MIG_REPORT_MAX_RUNS], pause_us[MIG_REPORT_MAX_RUNS];
	unsigned int n, nrate, n_us;
	int64_t m_total, m_down, m_bytes, m_syncs, m_rate, m_rate_before;
	int64_t m_down_us, m_pause_us;
};

struct mig_report {
	FILE *out;
	bool json;			/* JSON lines, else a table */
	const char *accel;		/* "kvm" or "tcg", for the JSON */
	const char *fault;		/* --fault's name, for the JSON */
	bool converge;			/* plan mode converges by dirty limit */
	enum migrun_mode modes[MIGRUN_MODES];	/* in the order run */
	unsigned int nmodes;
	unsigned int runs;		/* migrations asked for per mode */
	struct mig_report_mode mode[MIGRUN_MODES];
};

/* An empty report to @out of @nmodes modes (at most MIGRUN_MODES) and
 * @runs migrations per mode (at most MIG_REPORT_MAX_RUNS); accel "kvm",
 * fault "none", no converge until the caller sets them. Can't fail. */
void mig_report__init(struct mig_report *rep, FILE *out, bool json,
		      const enum migrun_mode *modes, unsigned int nmodes,
		      unsigned int runs);

/* The table's column names (nothing in JSON). */
void mig_report__table_header(struct mig_report *rep);

/*
 * Report migration @run of @mode: its line (with @error, a one-line
 * reason, when it could not be run), flushed. Returns true when it
 * completed with memory equal and no @error, and then counts it into the
 * mode's medians (while fewer than MIG_REPORT_MAX_RUNS are counted);
 * false otherwise (a failure for the caller to count).
 */
bool mig_report__run(struct mig_report *rep, unsigned int run,
		     enum migrun_mode mode, const struct migrun_result *r,
		     const char *error);

/* The medians of every mode and the ratios of each mode to the first one
 * with results (plan/stock also under its own "ratio" key), with @failed,
 * the migrations that failed or left memory different. */
void mig_report__summary(struct mig_report *rep, unsigned int failed);

#endif /* PRECOPY_MIG_REPORT_H */
