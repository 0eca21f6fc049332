/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proc_mode.h - precopy-trace's process mode, `precopy-trace [OPTION...]
 * [INTERVAL [COUNT]] -- CMD ARGS`: runs CMD under the process tracer
 * (proc_trace.h), prints the same per-interval report as for a VM
 * (report.h, profile.h, forecast.h) and records a dirty trace.
 *
 * The trace (`record`) is written epoch by epoch to a temporary native
 * file sized for the whole page space, then rewritten in the format the
 * file name asks for (trace.h: *.gz gzip text, *.pctrace native, else
 * text) with pages= the number of pages registered during the run. Each
 * epoch's pages are final(k) of proc_trace.h: faults seen by BPF, pages
 * written before registration, and pages PAGEMAP_SCAN saw written without
 * a fault. Metadata: source, mode=process, command, epoch_us, timing=epoch,
 * page_identity, processes (pid:name of each traced process), and the
 * run's truth counts (bpf_vs_scan).
 */
#ifndef PRECOPY_PROCMODE_H
#define PRECOPY_PROCMODE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct proc_mode_opts {
	char *const *argv;       /* CMD ARGS */
	const char *preload;     /* NULL: found beside the program */
	const char *user;        /* run CMD as this user, or NULL */
	const char *record;      /* trace file, or NULL */
	const char *output;      /* report file, NULL: standard output */
	unsigned int epoch_ms;   /* <= 100 for the corpus */
	double interval_s;
	long count;              /* intervals; 0: until CMD exits */
	double bandwidth_mib;
	double downtime_ms;
	unsigned int top;
	bool json;
	bool verbose;
	bool follow;             /* trace descendants */
	bool keep;               /* at the end, leave CMD running, untraced */
	unsigned int checkin_ms;
	uint64_t capacity_pages;
	volatile sig_atomic_t *exiting; /* set by the caller's signal handler */
};

/*
 * proc_mode__run() runs the whole session and returns the exit status for
 * main(): 0 when tracing went well (CMD's own status is reported, not
 * returned), 1 with a one-line reason on stderr otherwise (CMD cannot be
 * traced, the trace cannot be written...). When it stops before CMD exits
 * (COUNT reached, or *exiting), it detaches from every process and ends
 * CMD with SIGTERM (SIGKILL after 5 s) unless keep is set.
 */
int proc_mode__run(const struct proc_mode_opts *o);

#endif /* PRECOPY_PROCMODE_H */
