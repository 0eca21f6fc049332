/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vm_mode.h - precopy-trace's VM mode: trace a running VMM (-p PID:
 * precopy-vm or QEMU) or the built-in workload VM with the eBPF tracker,
 * and report every interval (rates, working sets, hot regions, per-vCPU
 * rates, locality, the convergence forecast), optionally recording a
 * trace, drawing a heatmap and serving Prometheus metrics.
 *
 * A session runs in phases: open the target and the tracker (and, for
 * QEMU, its QMP and memory-slot watch), open the outputs, then every
 * epoch harvest the tracker and every interval report, and at the end
 * finish the outputs. The /metrics server runs in a thread of its own
 * (metrics_http.h): no scraper can delay an epoch.
 */
#ifndef PRECOPY_TRACE_VM_MODE_H
#define PRECOPY_TRACE_VM_MODE_H

#include "options.h"

/*
 * vm_mode__run() traces until COUNT intervals, the VMM's exit or
 * cli_exiting (SIGINT/SIGTERM), and returns main()'s exit status: 0, or 1
 * with a one-line reason on stderr (missing capabilities, no such
 * process, a tracker that cannot load, an output that cannot be written).
 */
int vm_mode__run(const struct trace_options *o);

#endif /* PRECOPY_TRACE_VM_MODE_H */
