/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - precopy-trace's per-interval report, written in one of three
 * forms: a live view redrawn in place (a terminal), plain lines (a pipe),
 * or JSON lines (schema: docs/precopy-trace.schema.json; every object
 * carries "version": TRACE_JSON_VERSION, bumped when a key is renamed or
 * removed, not when one is added).
 */
#ifndef PRECOPY_LIVE_REPORT_H
#define PRECOPY_LIVE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "forecast.h"
#include "profile.h"
#include "kvm/tracker.h"

#define TRACE_JSON_VERSION 2

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
	uint64_t dirty_pages_total;  /* iv.dirty_pages summed, cumulative */
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

struct live_report;

/* live_report__new() writes reports in `form` to f. NULL when out of
 * memory. */
struct live_report *live_report__new(enum report_form form, FILE *f);

/* live_report__free() frees. NULL is a no-op. */
void live_report__free(struct live_report *o);

/* live_report__banner() introduces the session: what is traced, with which
 * hooks, and its size. Text forms print it; JSON emits a "start" object. */
void live_report__banner(struct live_report *o, const char *target,
			const char *hooks, uint64_t pages);

/* live_report__emit() writes one interval's report. */
void live_report__emit(struct live_report *o, const struct report *r);

/* live_report__note() writes a one-line remark (JSON: a "note" object). */
void live_report__note(struct live_report *o, const char *text);

/*
 * report_prometheus() renders r in the Prometheus text exposition format
 * (util/prom.h) into a malloc'ed buffer *out of *len bytes: counters
 * precopy_dirty_pages_total, precopy_dirty_bytes_total,
 * precopy_events_total, precopy_dropped_events_total; gauges
 * precopy_working_set_pages and precopy_forecast_*; precopy_trace_info.
 * Every series carries `labels` (the VM's: pid, name, uuid; prom__label()
 * built), the info metric also `info_labels`. Returns 0 or -ENOMEM.
 */
int report_prometheus(const struct report *r, const char *labels,
		      const char *info_labels, char **out, size_t *len);

#endif /* PRECOPY_LIVE_REPORT_H */
