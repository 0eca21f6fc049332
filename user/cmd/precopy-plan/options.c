// SPDX-License-Identifier: GPL-2.0
/*
 * options.c - precopy-plan's command line (options.h): the help text, the
 * options and their checks.
 */
#include <argp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cli.h"
#include "ring/plan_ring.h"
#include "ring/plan_serve.h"
#include "options.h"




/* The options parse_arg() fills (cli_parse() passes no input). */
static struct plan_options *parsing;

const char *argp_program_version = "precopy-plan 0.1";
static const char doc[] =
	"Plan a patched QEMU's pre-copy live migration through the shared-memory\n"
	"plan ring.\n"
	"\n"
	"USAGE: precopy-plan [OPTION...]\n"
	"\n"
	"Creates (or reuses) the ring file, then serves every migration QEMU\n"
	"runs through it: at each bitmap sync it publishes the send order and\n"
	"the pages to defer for the iteration that begins. Runs until SIGINT or\n"
	"SIGTERM (or one migration with --once); QEMU exiting does not stop it.\n"
	"\n"
	"EXAMPLES:\n"
	"  precopy-plan                         # /dev/shm/precopy-plan\n"
	"  precopy-plan -j --once               # JSON lines, one migration\n"
	"  precopy-plan --source sync -b 1000 -d 50\n"
	"  precopy-plan --converge dirty-limit --qmp /run/qemu-plan.qmp\n"
	"  precopy-plan --domain vm1 --prometheus 127.0.0.1:9465\n"
	"\n"
	"--converge dirty-limit: when the migration stalls (for 2 s the dirty\n"
	"pages fell by less than half of what the link carried; not before\n"
	"the first pass over RAM is done), set QEMU's per-vCPU dirty-page-rate\n"
	"limit (set-vcpu-dirty-limit; needs KVM's dirty ring) to the rate at which\n"
	"the planner's forecast converges, halve it while it still stalls, and\n"
	"lift it after the switchover (cancel-vcpu-dirty-limit). The QMP socket\n"
	"must be one no other client holds (QEMU serves one client per socket).\n"
	"\n"
	"--domain NAME serves the QEMU of a libvirt domain: found from its UUID\n"
	"(virsh domuuid), its migration parameter x-precopy-plan set to the\n"
	"ring through libvirt's monitor passthrough (virsh qemu-monitor-command;\n"
	"$LIBVIRT_DEFAULT_URI picks the connection), and its name and UUID\n"
	"label the metrics.\n";

enum {
	OPT_RING = 256,
	OPT_SOURCE,
	OPT_MAX_RAM,
	OPT_ONCE,
	OPT_CONVERGE,
	OPT_QMP,
	OPT_OBJECTIVE,
	OPT_PROMETHEUS,
	OPT_DOMAIN,
	OPT_HANDOVER,
	OPT_FREE_SHARE,
};

static const struct argp_option opts[] = {
	{ "ring", OPT_RING, "PATH", 0, "The plan ring file (default "
	  PLAN_SERVE_PATH ")", 0 },
	{ "pid", 'p', "PID", 0, "The QEMU process (default: the one that "
	  "attaches to the ring)", 0 },
	{ "bandwidth", 'b', "MIBPS", 0, "First guess of the link bandwidth in "
	  "MiB/s (default 128)", 0 },
	{ "downtime-limit", 'd', "MS", 0, "Downtime limit in ms (default 300)",
	  0 },
	{ "epoch", 'E', "MS", 0, "Harvest the tracker every MS milliseconds "
	  "(default 100)", 0 },
	{ "source", OPT_SOURCE, "SRC", 0, "Where writes are learned: auto "
	  "(default: the tracker under KVM when it attaches, else sync), "
	  "tracker, or sync (QEMU's sync bitmaps; iterations of at least "
	  "0.5 s, as syncs cost QEMU time)", 0 },
	{ "max-ram", OPT_MAX_RAM, "SIZE", 0, "Largest guest the ring holds, "
	  "e.g. 64G (default)", 0 },
	{ "converge", OPT_CONVERGE, "HOW", 0, "On non-convergence: none (default) "
	  "or dirty-limit (QEMU's dirty-page-rate limit, see below)", 0 },
	{ "qmp", OPT_QMP, "PATH", 0, "QEMU's QMP socket for --converge (default: "
	  "the -qmp socket on QEMU's command line)", 0 },
	{ "objective", OPT_OBJECTIVE, "OBJ", 0, "What the plan minimises: "
	  "pages (default: fewest pages, hence shortest time, downtime up to "
	  "the limit is free), time (the same with iterations of at least "
	  "0.5 s: fewer syncs), or downtime (also polish the downtime below "
	  "the limit)", 0 },
	{ "handover", OPT_HANDOVER, "SHARE", 0, "Once stock QEMU would have "
	  "switched over and the plan does not converge, hand the switchover "
	  "back to QEMU's own rule when the plan has cost this share of "
	  "stock's pages more (default 0.1; 1: never)", 0 },
	{ "free-share", OPT_FREE_SHARE, "SHARE", 0, "Objectives pages and "
	  "time: below the downtime limit, run one more short iteration when "
	  "the pages it adds are at most this share of those it takes off the "
	  "stop-and-copy (default 0.01; 0: stop as soon as the rest fits the "
	  "limit)", 0 },
	{ "once", OPT_ONCE, NULL, 0, "Exit after one migration completes", 0 },
	{ "prometheus", OPT_PROMETHEUS, "ADDR:PORT", 0, "Serve /metrics for "
	  "Prometheus (plans, fallbacks, rejected plans, bandwidth, remaining "
	  "pages, converging, predicted against sent pages, advice), e.g. "
	  "127.0.0.1:9465", 0 },
	{ "domain", OPT_DOMAIN, "NAME", 0, "Serve the QEMU of this libvirt "
	  "domain (sets its x-precopy-plan through libvirt)", 0 },
	{ "json", 'j', NULL, 0, "JSON lines: one per event and per plan", 0 },
	{ "verbose", 'v', NULL, 0, "More detail on stderr (libbpf's log)",
	  0 },
	{},
};

/* SIZE: bytes with an optional K, M, G or T suffix (powers of 1024). */
static uint64_t parse_size(const char *arg, struct argp_state *state)
{
	char *end;
	double v;
	int shift = 0;

	errno = 0;
	v = strtod(arg, &end);
	if (end != arg && *end) {
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: shift = -1;
		}
		end++;
		if (*end == 'i')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
	}
	v *= (double)(1ULL << (shift < 0 ? 0 : shift));
	if (errno || end == arg || *end || shift < 0 || !(v >= 1 << 20) ||
	    v > (double)PLAN_RING_MAX_PAGES * 4096)
		cli_value_error(state, "invalid size '%s' (expected e.g. 512M, "
				"64G; 1M..4P)", arg);
	return (uint64_t)v;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	struct plan_options *o = parsing;

	switch (key) {
	case OPT_RING:
		if (!*arg)
			cli_value_error(state, "empty ring path");
		o->ring = arg;
		break;
	case 'p':
		o->pid = cli_parse_pid(arg, state);
		break;
	case 'b':
		o->bandwidth_mib = cli_parse_bandwidth_mib(arg, state);
		break;
	case 'd':
		o->downtime_ms = cli_parse_downtime_ms(arg, state);
		break;
	case OPT_OBJECTIVE:
		if (planner_objective__parse(arg, &o->objective))
			cli_usage_error(state, "invalid objective '%s' (pages, "
					"time or downtime)", arg);
		break;
	case OPT_HANDOVER:
		o->handover = cli_parse_num(arg, 0, 1, state, "--handover");
		break;
	case OPT_FREE_SHARE:
		o->free_share = cli_parse_num(arg, 0, 1, state, "--free-share");
		break;
	case 'E':
		o->epoch_ms = cli_parse_epoch_ms(arg, state);
		break;
	case OPT_SOURCE:
		if (!strcmp(arg, "auto"))
			o->source = SRC_AUTO;
		else if (!strcmp(arg, "tracker"))
			o->source = SRC_TRACKER;
		else if (!strcmp(arg, "sync"))
			o->source = SRC_SYNC;
		else
			cli_value_error(state, "invalid source '%s' (expected "
					"auto, tracker or sync)", arg);
		break;
	case OPT_MAX_RAM:
		o->max_ram = parse_size(arg, state);
		break;
	case OPT_CONVERGE:
		if (!strcmp(arg, "none"))
			o->converge = false;
		else if (!strcmp(arg, "dirty-limit"))
			o->converge = true;
		else
			cli_value_error(state, "invalid --converge '%s' (expected "
					"none or dirty-limit)", arg);
		break;
	case OPT_QMP:
		if (!*arg)
			cli_value_error(state, "empty QMP socket path");
		o->qmp = arg;
		break;
	case OPT_ONCE:
		o->once = true;
		break;
	case OPT_PROMETHEUS:
		o->prometheus = arg;
		break;
	case OPT_DOMAIN:
		if (!*arg)
			cli_value_error(state, "empty domain name");
		o->domain = arg;
		break;
	case 'j':
		o->json = true;
		break;
	case 'v':
		o->verbose = true;
		break;
	case ARGP_KEY_ARG:
		cli_usage_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

void plan_options__parse(struct plan_options *o, int argc, char **argv)
{
	static const struct argp argp = { opts, parse_arg, NULL, doc, NULL,
					  NULL, NULL };

	*o = (struct plan_options){
		.ring = PLAN_SERVE_PATH,
		.bandwidth_mib = 128,
		.downtime_ms = 300,
		.epoch_ms = 100,
		.handover = 0.1,
		.free_share = -1,
		.max_ram = 64ULL << 30,
	};
	parsing = o;
	cli_parse(&argp, argc, argv, 0, NULL);
	parsing = NULL;
}
