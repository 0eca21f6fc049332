/* SPDX-License-Identifier: GPL-2.0 */
/*
 * options.h - precopy-trace's command line: the options of both modes,
 * parsed and checked before anything starts.
 *
 * VM mode (-p PID, -w SPEC or the built-in workload VM) and process mode
 * (everything after "--" is the command) share the report options; an
 * option of one mode given in the other is refused (exit 64), like a bad
 * value (exit 2), with one line on stderr (util/cli.h).
 */
#ifndef PRECOPY_TRACE_OPTIONS_H
#define PRECOPY_TRACE_OPTIONS_H

#include <stdbool.h>
#include <sys/types.h>

struct trace_options {
	/* VM mode */
	pid_t pid;              /* -p: a running VMM, or 0 */
	const char *workload;   /* -w: pattern and parameters for precopy-vm */
	const char *vm_opts;    /* extra precopy-vm options */
	const char *domain;     /* --domain: a libvirt domain, or NULL */
	const char *qmp;        /* QEMU's QMP socket, or NULL to find it */
	unsigned int hooks;     /* tracker hook mask, 0: auto */
	const char *heatmap;    /* SVG written at exit, or NULL */
	const char *prometheus; /* ADDR:PORT to serve /metrics on, or NULL */
	/* both modes */
	unsigned int epoch_ms;
	double interval_s;
	long count;             /* intervals; 0: until Ctrl-C (or CMD exits) */
	double bandwidth_mib;   /* of the forecast */
	double downtime_ms;     /* of the forecast */
	unsigned int top;
	const char *record;     /* trace file, or NULL */
	bool json;
	bool verbose;
	/* process mode: precopy-trace [OPTION...] -- CMD ARGS */
	char **cmd;             /* CMD ARGS, or NULL in VM mode */
	const char *user;
	const char *preload;
	const char *output;
	bool keep;
	bool no_follow;
};

/*
 * trace_options__parse() fills *o from argv (cut at "--": what follows is
 * o->cmd) and checks it for the mode it selects: options that do not
 * apply, paths that cannot be written. On any error it prints one line
 * and exits (64 usage, 2 bad value); -h and -V exit 0.
 */
void trace_options__parse(struct trace_options *o, int argc, char **argv);

#endif /* PRECOPY_TRACE_OPTIONS_H */
