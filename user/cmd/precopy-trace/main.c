// SPDX-License-Identifier: GPL-2.0
/*
 * precopy-trace - live dirty-memory profiling of a running VM with the eBPF
 * tracker, and a forecast of whether QEMU's pre-copy would converge; or,
 * with -- CMD, of a process and its descendants.
 *
 * Every epoch (default 100 ms) it harvests the tracker; every interval
 * (default 1 s) it prints the dirty rate, working sets, hottest regions,
 * per-vCPU rates, write locality and the convergence forecast.
 *
 *   options.c    the command line of both modes, checked before anything
 *   vm_mode.c    VM mode: target, tracker, epochs, intervals, outputs
 *   proc_mode.c  process mode: the command under the page-fault tracer
 */
#include <signal.h>
#include <stdio.h>

#include "util/caps.h"
#include "util/cli.h"
#include "options.h"
#include "proc_mode.h"
#include "vm_mode.h"

static int run_process(const struct trace_options *o)
{
	struct proc_mode_opts po = {
		.argv = o->cmd,
		.preload = o->preload,
		.user = o->user,
		.record = o->record,
		.output = o->output,
		.epoch_ms = o->epoch_ms,
		.interval_s = o->interval_s,
		.count = o->count,
		.bandwidth_mib = o->bandwidth_mib,
		.downtime_ms = o->downtime_ms,
		.top = o->top,
		.json = o->json,
		.verbose = o->verbose,
		.follow = !o->no_follow,
		.keep = o->keep,
		.exiting = &cli_exiting,
	};
	char missing[64];

	if (!caps_can_trace(missing, sizeof(missing))) {
		fprintf(stderr, "precopy-trace: needs %s to load the "
			"page-fault tracker\n", missing);
		return 1;
	}
	return proc_mode__run(&po);
}

int main(int argc, char **argv)
{
	struct trace_options o;

	trace_options__parse(&o, argc, argv);
	cli_catch_stop_signals();
	signal(SIGPIPE, SIG_IGN);
	return o.cmd ? run_process(&o) : vm_mode__run(&o);
}
