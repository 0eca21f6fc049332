/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - precopy-trace's per-interval report, written in one of three
 * forms: a live view redrawn in place (a terminal), plain lines (a pipe),
 * or JSON lines (schema: docs/precopy-trace.schema.json).
 */
#ifndef PRECOPY_REPORT_H
#define PRECOPY_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "forecast.h"
#include "profile.h"
#include "tracker.h"

#define REPORT_MAX_VCPUS 64

enum report_form {
	REPORT_LINES = 0,
	REPORT_LIVE,
	REPORT_JSON,
};

struct report_vcpu {
	int vcpu;            /* -1: dirtying not attributed to a vCPU */
	double pages_per_s;  /* pages it dirtied first in their epoch */
	double events_per_s; /* dirty events */
};

struct report {
	double elapsed_s;            /* since tracing started */
	double t_mono;               /* CLOCK_MONOTONIC at the interval's end */
	struct profile_interval iv;
	unsigned int nvcpus;
	struct report_vcpu vcpus[REPORT_MAX_VCPUS];
	struct tracker_stats stats;  /* cumulative */
	uint64_t unmapped;           /* events in slots missing from the map */
	struct forecast_input fin;
	struct forecast fc;
	bool forecast_ok;
	double events_per_s;         /* dirty events (e.g. ring entries) */
	bool has_vmm_rate;           /* the VMM measured the same window */
	double vmm_rate_mib;         /* its own dirty rate, MiB/s */
	double vmm_window_s;         /* the length of its window */
	const char *logging;         /* how dirty logging is on, or NULL */
};

struct report_out;

/* report_out__new() writes reports in `form` to f. NULL when out of
 * memory. */
struct report_out *report_out__new(enum report_form form, FILE *f);

/* report_out__free() frees. NULL is a no-op. */
void report_out__free(struct report_out *o);

/* report_out__banner() introduces the session: what is traced, with which
 * hooks, and its size. Text forms print it; JSON emits a "start" object. */
void report_out__banner(struct report_out *o, const char *target,
			const char *hooks, uint64_t pages);

/* report_out__emit() writes one interval's report. */
void report_out__emit(struct report_out *o, const struct report *r);

/* report_out__note() writes a one-line remark (JSON: a "note" object). */
void report_out__note(struct report_out *o, const char *text);

/*
 * report_prometheus() renders r in the Prometheus text exposition format
 * (metrics precopy_*, labelled with the VMM's pid) into a malloc'ed
 * buffer *out of *len bytes. Returns 0 or -ENOMEM.
 */
int report_prometheus(const struct report *r, int pid, char **out,
		      size_t *len);

/* report_json() writes r as one JSON object without a newline. */
void report_json(FILE *f, const struct report *r);

#endif /* PRECOPY_REPORT_H */
