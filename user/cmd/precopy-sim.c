// SPDX-License-Identifier: GPL-2.0
/*
 * precopy-sim - replay dirty-page traces through pre-copy migration
 * algorithms (qemu, xen, tsb, prob, oracle) under one bandwidth and
 * downtime limit, and compare pages sent, total time and downtime.
 *
 * The command line is a contract scripts rely on:
 *   precopy-sim --trace FILE --algo NAME --bandwidth MIBPS
 *               --downtime-limit MS --json
 * prints one JSON object with at least algo, total_time_ms, downtime_ms,
 * pages_sent, iterations and converged. Keep it stable.
 */
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "quality.h"
#include "sim.h"
#include "simreport.h"
#include "trace.h"

#define MIB (1024.0 * 1024.0)
#define MAX_ALGOS 8
#define MAX_SWEEP 64

static struct env {
	const char *trace;
	const struct sim_algo *algos[MAX_ALGOS];
	unsigned int nr_algos;
	double bandwidth_mib;	/* 0: not given */
	double downtime_ms;
	double start_ms;	/* < 0: default */
	double epoch_ms;	/* 0: the trace's own epochs */
	double max_sent;
	bool json;
	bool quality;
	bool stats;
	double sweep[MAX_SWEEP];
	unsigned int nr_sweep;
	const char *out;
	struct sim_config cfg;
} env = {
	.downtime_ms = 300,
	.start_ms = -1,
	.max_sent = 20,
	.out = "sweep",
};

const char *argp_program_version = "precopy-sim 0.1";
static const char doc[] =
	"Replay a dirty-page trace through pre-copy migration algorithms.\n"
	"\n"
	"USAGE: precopy-sim --trace FILE [--algo NAME[,NAME..]|all]\n"
	"                   --bandwidth MIBPS [--downtime-limit MS] [--json]\n"
	"       precopy-sim --trace FILE --sweep MIBPS,MIBPS,.. [--out PREFIX]\n"
	"       precopy-sim --trace FILE --quality [--json]\n"
	"\n"
	"Algorithms: qemu, xen, tsb, prob (this project), oracle (the\n"
	"clairvoyant lower bound); default all. The trace is the interchange\n"
	"text (plain, gzip or zlib) or the native format. Time model, oracle\n"
	"bound and looping: see user/lib/sim.h and user/lib/sim_oracle.c.\n"
	"\n"
	"--sweep runs every algorithm at each bandwidth and writes PREFIX.csv\n"
	"and PREFIX.svg (pages sent, total time and downtime against\n"
	"bandwidth, one line per algorithm). --quality replays the trace\n"
	"through the model alone and scores its next-epoch predictions\n"
	"(Brier, log-loss, AUC) against the baselines.\n"
	"\n"
	"EXAMPLES:\n"
	"  precopy-sim --trace t.trace.gz --bandwidth 128\n"
	"  precopy-sim --trace t.trace.gz --algo prob --bandwidth 64 \\\n"
	"              --downtime-limit 300 --json\n"
	"  precopy-sim --trace t.trace.gz --sweep 32,64,128,256 --out t\n";

enum {
	OPT_START = 0x100,
	OPT_EPOCH,
	OPT_MAXSENT,
	OPT_PARAM,
	OPT_QUALITY,
	OPT_STATS,
	OPT_SWEEP,
	OPT_OUT,
};

static const struct argp_option opts[] = {
	{ "trace", 't', "FILE", 0, "Trace to replay (- for stdin)", 0 },
	{ "algo", 'a', "NAMES", 0, "Algorithms, comma-separated, or all "
	  "(default)", 0 },
	{ "bandwidth", 'b', "MIBPS", 0, "Link bandwidth in MiB/s", 0 },
	{ "downtime-limit", 'd', "MS", 0, "Downtime limit in ms (default "
	  "300)", 0 },
	{ "json", 'j', NULL, 0, "JSON: one object per algorithm and line", 0 },
	{ "start-ms", OPT_START, "MS", 0, "Migration start in the trace "
	  "(default min(10000, 40% of the trace))", 0 },
	{ "epoch-ms", OPT_EPOCH, "MS", 0, "Regroup writes into fixed epochs "
	  "(default: the trace's own epochs, or 100 ms without markers)", 0 },
	{ "max-sent", OPT_MAXSENT, "RAMS", 0, "Safety cap: force the stop "
	  "after this many times the RAM was sent (default 20)", 0 },
	{ "param", OPT_PARAM, "ALGO.NAME=VALUE", 0, "Algorithm parameter "
	  "(repeatable; see the algorithm's source)", 0 },
	{ "verbose", 'v', NULL, 0, "Log every sync of every algorithm to "
	  "stderr", 0 },
	{ "quality", OPT_QUALITY, NULL, 0, "Score the model's predictions "
	  "instead of migrating", 0 },
	{ "stats", OPT_STATS, NULL, 0, "Print the trace's size and dirty rate "
	  "(JSON with --json) instead of migrating", 0 },
	{ "sweep", OPT_SWEEP, "LIST", 0, "Bandwidths in MiB/s to sweep", 0 },
	{ "out", OPT_OUT, "PREFIX", 0, "Output prefix of --sweep (default "
	  "sweep)", 0 },
	{},
};

static void parse_algos(const char *arg, struct argp_state *state)
{
	char buf[256], *tok, *save = NULL;
	unsigned int i;

	env.nr_algos = 0;
	if (!strcmp(arg, "all")) {
		for (i = 0; sim_algos[i] && i < MAX_ALGOS; i++)
			env.algos[env.nr_algos++] = sim_algos[i];
		return;
	}
	if (strlen(arg) >= sizeof(buf))
		argp_error(state, "algorithm list too long");
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		const struct sim_algo *a = sim_algo__find(tok);

		if (!a)
			argp_error(state, "unknown algorithm '%s' (qemu, xen, "
				   "tsb, prob, oracle or all)", tok);
		if (env.nr_algos == MAX_ALGOS)
			argp_error(state, "too many algorithms");
		env.algos[env.nr_algos++] = a;
	}
	if (!env.nr_algos)
		argp_error(state, "empty algorithm list");
}

static void parse_sweep(const char *arg, struct argp_state *state)
{
	char buf[1024], *tok, *save = NULL;

	if (strlen(arg) >= sizeof(buf))
		argp_error(state, "bandwidth list too long");
	strcpy(buf, arg);
	env.nr_sweep = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (env.nr_sweep == MAX_SWEEP)
			argp_error(state, "at most %d bandwidths", MAX_SWEEP);
		env.sweep[env.nr_sweep++] = cli_parse_num(tok, 0.001, 1e7, state,
						      "bandwidth");
	}
	if (!env.nr_sweep)
		argp_error(state, "empty bandwidth list");
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 't':
		env.trace = arg;
		break;
	case 'a':
		parse_algos(arg, state);
		break;
	case 'b':
		env.bandwidth_mib = cli_parse_num(arg, 0.001, 1e7, state,
					      "bandwidth");
		break;
	case 'd':
		env.downtime_ms = cli_parse_num(arg, 0.001, 1e7, state,
					    "downtime limit");
		break;
	case 'j':
		env.json = true;
		break;
	case 'v':
		env.cfg.log = stderr;
		break;
	case OPT_START:
		env.start_ms = cli_parse_num(arg, 0, 1e10, state, "start");
		break;
	case OPT_EPOCH:
		env.epoch_ms = cli_parse_num(arg, 0.001, 1e7, state, "epoch");
		break;
	case OPT_MAXSENT:
		env.max_sent = cli_parse_num(arg, 1, 1e6, state, "cap");
		break;
	case OPT_PARAM:
		if (env.cfg.nr_params == SIM_PARAMS_MAX)
			argp_error(state, "at most %d --param", SIM_PARAMS_MAX);
		env.cfg.params[env.cfg.nr_params++] = arg;
		break;
	case OPT_QUALITY:
		env.quality = true;
		break;
	case OPT_STATS:
		env.stats = true;
		break;
	case OPT_SWEEP:
		parse_sweep(arg, state);
		break;
	case OPT_OUT:
		env.out = arg;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!env.trace)
			argp_error(state, "--trace FILE is required");
		if (!env.quality && !env.stats && !env.nr_sweep &&
		    !env.bandwidth_mib)
			argp_error(state, "--bandwidth MIBPS is required");
		if ((env.quality ? 1 : 0) + (env.nr_sweep ? 1 : 0) +
		    (env.stats ? 1 : 0) > 1)
			argp_error(state, "--quality, --stats and --sweep are "
				   "exclusive");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int load_trace(struct trace_epochs **tr)
{
	char err[512];
	uint64_t eus = (uint64_t)llround(env.epoch_ms * 1000);
	int ret;

	ret = trace__load_epochs(env.trace, eus, tr, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "precopy-sim: %s\n", err);
		return ret;
	}
	/* Without epoch markers the whole trace is one epoch: regroup it
	 * into 100 ms epochs, as trackers record. */
	if (!eus && (*tr)->nr_epochs <= 1 && (*tr)->end_us > 150000) {
		if (!strcmp(env.trace, "-")) {
			fprintf(stderr, "precopy-sim: the trace on stdin has no "
				"epoch markers; pass --epoch-ms\n");
			return -EINVAL;
		}
		trace_epochs__free(*tr);
		*tr = NULL;
		ret = trace__load_epochs(env.trace, 100000, tr, err,
					 sizeof(err));
		if (ret) {
			fprintf(stderr, "precopy-sim: %s\n", err);
			return ret;
		}
	}
	if (!(*tr)->nr_epochs) {
		fprintf(stderr, "precopy-sim: %s: the trace has no epochs\n",
			env.trace);
		return -EINVAL;
	}
	return 0;
}

static int run_one(const struct sim_trace *tr, double bw_mib,
		   struct sim_result *res)
{
	char err[512];
	unsigned int i;
	int ret;

	env.cfg.bandwidth = bw_mib * MIB;
	for (i = 0; i < env.nr_algos; i++) {
		ret = sim__run(tr, env.algos[i], &env.cfg, &res[i], err,
			       sizeof(err));
		if (ret) {
			fprintf(stderr, "precopy-sim: %s: %s\n", env.trace, err);
			return ret;
		}
		if (!res[i].verified) {
			fprintf(stderr, "precopy-sim: %s: %s left %llu pages "
				"stale at the destination\n", env.trace,
				res[i].algo,
				(unsigned long long)res[i].mismatches);
			return -EPROTO;
		}
	}
	return 0;
}

static int print_stats(const struct sim_trace *st,
		       const struct trace_epochs *tr)
{
	double r1 = sim_trace__dirty_rate(st, 1.0);
	double mean = (double)sim_trace__writes(st) / tr->nr_epochs;
	double mib = (double)tr->hdr.page_size / MIB;

	if (r1 < 0) {
		fprintf(stderr, "precopy-sim: out of memory\n");
		return -ENOMEM;
	}
	if (env.json) {
		printf("{\"trace\":\"");
		for (const char *c = env.trace; *c; c++)
			printf(*c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
		printf("\",\"pages\":%llu,\"page_size\":%u,\"epochs\":%llu,"
		       "\"epoch_ms\":%.3f,\"length_s\":%.3f,\"writes\":%llu,"
		       "\"dirty_per_epoch\":%.1f,\"dirty_rate_pages\":%.1f,"
		       "\"dirty_rate_mibps\":%.3f}\n",
		       (unsigned long long)tr->hdr.pages, tr->hdr.page_size,
		       (unsigned long long)tr->nr_epochs,
		       sim_trace__epoch_s(st) * 1e3, sim_trace__length_s(st),
		       (unsigned long long)sim_trace__writes(st), mean, r1,
		       r1 * mib);
		return 0;
	}
	printf("trace %s: %llu pages of %u B (%.1f MiB), %llu epochs of "
	       "%.0f ms (%.1f s)\n", env.trace,
	       (unsigned long long)tr->hdr.pages, tr->hdr.page_size,
	       tr->hdr.pages * mib, (unsigned long long)tr->nr_epochs,
	       sim_trace__epoch_s(st) * 1e3, sim_trace__length_s(st));
	printf("dirty pages per epoch %.1f; dirty rate over 1 s windows "
	       "%.0f pages/s = %.2f MiB/s\n", mean, r1, r1 * mib);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_arg, NULL, doc, NULL,
					  NULL, NULL };
	struct sim_result res[MAX_ALGOS], *all = NULL;
	struct simreport_ctx ctx;
	struct trace_epochs *tr = NULL;
	struct sim_trace *st = NULL;
	char serr[256];
	unsigned int i;
	int err;

	sim_config__default(&env.cfg, 1, 0.3);
	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return 1;
	if (!env.nr_algos)
		parse_algos("all", NULL);
	env.cfg.downtime_limit_s = env.downtime_ms / 1000;
	env.cfg.start_s = env.start_ms < 0 ? -1 : env.start_ms / 1000;
	env.cfg.max_sent_ram = env.max_sent;
	err = load_trace(&tr);
	if (err)
		goto cleanup;
	st = sim_trace__new(tr, serr, sizeof(serr));
	if (!st) {
		fprintf(stderr, "precopy-sim: %s: %s\n", env.trace, serr);
		err = -errno;
		goto cleanup;
	}
	ctx = (struct simreport_ctx){
		.trace = env.trace, .tr = tr,
		.bandwidth_mib = env.bandwidth_mib,
		.downtime_limit_ms = env.downtime_ms,
	};

	if (env.stats) {
		err = print_stats(st, tr);
		goto cleanup;
	}

	if (env.quality) {
		struct quality_report q;
		char qerr[256];

		err = quality__run(tr, &q, qerr, sizeof(qerr));
		if (err) {
			fprintf(stderr, "precopy-sim: %s: %s\n", env.trace,
				qerr);
			goto cleanup;
		}
		if (env.json)
			quality__print_json(stdout, env.trace, &q);
		else
			quality__print(stdout, env.trace, &q);
		goto cleanup;
	}

	if (env.nr_sweep) {
		all = calloc((size_t)env.nr_sweep * env.nr_algos,
			     sizeof(*all));
		if (!all) {
			fprintf(stderr, "precopy-sim: out of memory\n");
			err = -ENOMEM;
			goto cleanup;
		}
		for (i = 0; i < env.nr_sweep; i++) {
			err = run_one(st, env.sweep[i],
				      &all[(size_t)i * env.nr_algos]);
			if (err)
				goto cleanup;
		}
		err = simreport__sweep(&ctx, env.out, env.sweep, env.nr_sweep,
				       all, env.nr_algos);
		goto cleanup;
	}

	err = run_one(st, env.bandwidth_mib, res);
	if (err)
		goto cleanup;
	if (env.json)
		for (i = 0; i < env.nr_algos; i++)
			simreport__json(stdout, &ctx, &res[i]);
	else
		simreport__table(stdout, &ctx, res, env.nr_algos);
cleanup:
	free(all);
	sim_trace__free(st);
	trace_epochs__free(tr);
	return err ? 1 : 0;
}
