/* SPDX-License-Identifier: GPL-2.0 */
/*
 * options.h - precopy-plan's command line, parsed and checked before the
 * daemon starts. A bad value prints one line and exits 2, a misuse 64
 * (util/cli.h); -h, --usage and -V exit 0.
 */
#ifndef PRECOPY_PLAN_OPTIONS_H
#define PRECOPY_PLAN_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/planner.h"

/* Where the planner learns the guest's writes. */
enum plan_source { SRC_AUTO, SRC_TRACKER, SRC_SYNC };

struct plan_options {
	const char *ring;
	pid_t pid;
	double bandwidth_mib;
	double downtime_ms;
	enum planner_objective objective;
	double handover;	/* planner_params.handover */
	double free_share;	/* planner_params.free_share; < 0: its default */
	unsigned int epoch_ms;
	enum plan_source source;
	uint64_t max_ram;
	bool converge;		/* --converge dirty-limit */
	const char *qmp;	/* --qmp PATH, or NULL: QEMU's own */
	bool once;
	bool json;
	bool verbose;
	const char *prometheus;	/* ADDR:PORT of /metrics, or NULL */
	const char *domain;	/* libvirt domain, or NULL */
};

extern const char *argp_program_version;

/*
 * plan_options__parse() sets *o to the defaults, then to argv's options.
 * On any error it prints one line and exits (64 usage, 2 bad value).
 */
void plan_options__parse(struct plan_options *o, int argc, char **argv);

#endif /* PRECOPY_PLAN_OPTIONS_H */
