// SPDX-License-Identifier: GPL-2.0
/*
 * precopy-sim - replay dirty-page traces through pre-copy migration
 * algorithms (qemu, xen, tsb, prob, oracle) under one bandwidth and
 * downtime limit, and compare pages sent, total time and downtime.
 *
 * The command line is a contract scripts rely on:
 *   precopy-sim --trace FILE --algo NAME --bandwidth MIBPS
 *               --downtime-limit MS --json
 * prints one JSON object with at least version, algo, total_time_ms,
 * downtime_ms, sent_pages, iterations and converged; its schema is
 * docs/precopy-sim.schema.json. Keep it stable: add keys, and bump
 * SIM_JSON_VERSION when one is renamed or removed.
 */
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cli.h"
#include "util/clock.h"
#include "util/json.h"
#include "model/quality.h"
#include "model/planner.h"
#include "sim/sim.h"
#include "sim/sim_report.h"
#include "tracefile/trace.h"

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
	bool out_given;		/* --out named the files: they may be replaced */
	const char *nonzero_path;	/* --nonzero */
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
	"clairvoyant lower bound); default all. By name only, not in all:\n"
	"prob-clairvoyant, prob's planner fed every page's true next write\n"
	"(a diagnostic: how far the policy alone is from the oracle), and\n"
	"prob-rates, fed every page's true write rate around now (how far\n"
	"a perfect predictor of rates gets; --param prob-rates.window_s,\n"
	"default 10 s, and prob-rates.ahead, the share of it after now,\n"
	"default 0.5, 0 for a causal count). The trace is the interchange\n"
	"text (plain, gzip or zlib) or the native format. Time model, oracle\n"
	"bound and looping: see user/lib/sim/sim.h and\n"
	"user/lib/sim/sim_oracle.c.\n"
	"\n"
	"--sweep runs every algorithm at each bandwidth and writes PREFIX.csv\n"
	"and PREFIX.svg (pages sent, total time and downtime against\n"
	"bandwidth, one line per algorithm). Without --out, PREFIX is sweep\n"
	"and an existing sweep.csv or sweep.svg is refused, not replaced.\n"
	"--quality replays the trace through the model alone and scores its\n"
	"next-epoch predictions (Brier, log-loss, AUC) against the baselines.\n"
	"\n"
	"EXAMPLES:\n"
	"  precopy-sim --trace t.trace.gz --bandwidth 128\n"
	"  precopy-sim --trace t.trace.gz --algo prob --bandwidth 64 \\\n"
	"              --downtime-limit 300 --json\n"
	"  precopy-sim --trace t.trace.gz --sweep 32,64,128,256 --out t\n";

enum {
	OPT_START = 0x100,
	OPT_MAXSENT,
	OPT_PARAM,
	OPT_QUALITY,
	OPT_STATS,
	OPT_SWEEP,
	OPT_OBJECTIVE,
	OPT_DIRTYLOG,
	OPT_ZERO,
	OPT_NONZERO,
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
	{ "epoch-ms", 'E', "MS", 0, "Regroup writes into fixed epochs "
	  "(default: the trace's own epochs, or 100 ms without markers)", 0 },
	{ "max-sent", OPT_MAXSENT, "RAMS", 0, "Safety cap: force the stop "
	  "after this many times the RAM was sent (default 20)", 0 },
	{ "objective", OPT_OBJECTIVE, "OBJ", 0, "What prob's plan minimises: "
	  "pages (default; = total time here), time (iterations of at least "
	  "0.5 s), downtime (polish below the limit); see "
	  "user/lib/model/planner.h", 0 },
	{ "dirty-log", OPT_DIRTYLOG, "LOG", 0, "sync (default, QEMU's: a "
	  "page is dirty from a write until sent, and also when written since "
	  "the previous sync, before it was sent) or exact (only the former); "
	  "see sim.h", 0 },
	{ "zero-pages", OPT_ZERO, NULL, 0, "A page with no write so far is a "
	  "zero page: sent at no cost, as QEMU does, and not counted in the "
	  "pages sent; see sim.h", 0 },
	{ "nonzero", OPT_NONZERO, "FILE", 0, "With --zero-pages (implied): "
	  "the pages not all zeroes at the trace's start though not written "
	  "in it, page numbers separated by blanks or newlines", 0 },
	{ "param", OPT_PARAM, "ALGO.NAME=VALUE", 0, "Algorithm parameter "
	  "(repeatable; see the algorithm's source)", 0 },
	{ "verbose", 'v', NULL, 0, "Log every sync of every algorithm, and "
	  "its re-send accounting, to stderr", 0 },
	{ "quality", OPT_QUALITY, NULL, 0, "Score the model's predictions "
	  "instead of migrating", 0 },
	{ "stats", OPT_STATS, NULL, 0, "Print the trace's size and dirty rate "
	  "(JSON with --json) instead of migrating", 0 },
	{ "sweep", OPT_SWEEP, "LIST", 0, "Bandwidths in MiB/s to sweep", 0 },
	{ "out", 'o', "PREFIX", 0, "Output prefix of --sweep (default "
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
		cli_value_error(state, "algorithm list too long");
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		const struct sim_algo *a = sim_algo__find(tok);

		if (!a)
			cli_value_error(state, "unknown algorithm '%s' (qemu, "
					"xen, tsb, prob, oracle, all or "
					"prob-clairvoyant)", tok);
		if (env.nr_algos == MAX_ALGOS)
			cli_value_error(state, "too many algorithms");
		env.algos[env.nr_algos++] = a;
	}
	if (!env.nr_algos)
		cli_value_error(state, "empty algorithm list");
}

static void parse_sweep(const char *arg, struct argp_state *state)
{
	char buf[1024], *tok, *save = NULL;

	if (strlen(arg) >= sizeof(buf))
		cli_value_error(state, "bandwidth list too long");
	strcpy(buf, arg);
	env.nr_sweep = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (env.nr_sweep == MAX_SWEEP)
			cli_value_error(state, "at most %d bandwidths",
					MAX_SWEEP);
		env.sweep[env.nr_sweep++] = cli_parse_bandwidth_mib(tok, state);
	}
	if (!env.nr_sweep)
		cli_value_error(state, "empty bandwidth list");
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
		env.bandwidth_mib = cli_parse_bandwidth_mib(arg, state);
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
	case 'E':
		env.epoch_ms = cli_parse_num(arg, 0.001, 1e7, state, "epoch");
		break;
	case OPT_MAXSENT:
		env.max_sent = cli_parse_num(arg, 1, 1e6, state, "cap");
		break;
	case OPT_OBJECTIVE: {
		static char objparam[32];
		enum planner_objective o;

		if (planner_objective__parse(arg, &o))
			cli_usage_error(state, "invalid objective '%s' (pages, "
					"time or downtime)", arg);
		if (env.cfg.nr_params == SIM_PARAMS_MAX)
			cli_usage_error(state, "too many parameters");
		snprintf(objparam, sizeof(objparam), "prob.objective=%d", o);
		env.cfg.params[env.cfg.nr_params++] = objparam;
		break;
	}
	case OPT_ZERO:
		env.cfg.zero_pages = true;
		break;
	case OPT_NONZERO:
		env.cfg.zero_pages = true;
		env.nonzero_path = arg;
		break;
	case OPT_DIRTYLOG:
		if (!strcmp(arg, "exact"))
			env.cfg.dirty_log = SIM_LOG_EXACT;
		else if (!strcmp(arg, "sync"))
			env.cfg.dirty_log = SIM_LOG_SYNC;
		else
			cli_usage_error(state, "invalid dirty log '%s' (exact "
					"or sync)", arg);
		break;
	case OPT_PARAM:
		if (env.cfg.nr_params == SIM_PARAMS_MAX)
			cli_usage_error(state, "at most %d --param",
					SIM_PARAMS_MAX);
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
	case 'o':
		env.out = arg;
		env.out_given = true;
		break;
	case ARGP_KEY_ARG:
		cli_usage_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!env.trace)
			cli_usage_error(state, "--trace FILE is required");
		if (!env.quality && !env.stats && !env.nr_sweep &&
		    !env.bandwidth_mib)
			cli_usage_error(state, "--bandwidth MIBPS is required");
		if ((env.quality ? 1 : 0) + (env.nr_sweep ? 1 : 0) +
		    (env.stats ? 1 : 0) > 1)
			cli_usage_error(state, "--quality, --stats and --sweep "
					"are exclusive");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* --nonzero FILE: page numbers (< pages) into a bitmap for cfg.nonzero.
 * Returns 0, or -1 with a one-line message. */
static int load_nonzero(uint64_t pages, uint64_t **bm)
{
	FILE *f = fopen(env.nonzero_path, "r");
	unsigned long long pg;
	int c, ret = -1;

	*bm = calloc((pages + 63) / 64, sizeof(uint64_t));
	if (!f || !*bm) {
		fprintf(stderr, "precopy-sim: --nonzero %s: %s\n",
			env.nonzero_path, strerror(errno));
		goto out;
	}
	for (;;) {
		c = fscanf(f, "%llu", &pg);
		if (c == EOF)
			break;
		if (c != 1) {
			fprintf(stderr, "precopy-sim: --nonzero %s: not a page "
				"number\n", env.nonzero_path);
			goto out;
		}
		if (pg >= pages) {
			fprintf(stderr, "precopy-sim: --nonzero %s: page %llu "
				"past the trace's %llu pages\n", env.nonzero_path,
				pg, (unsigned long long)pages);
			goto out;
		}
		(*bm)[pg / 64] |= 1ULL << (pg % 64);
	}
	ret = 0;
out:
	if (f)
		fclose(f);
	return ret;
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
		if (env.cfg.log)
			sim_report__resends(env.cfg.log, &res[i]);
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
		printf("{\"version\":%d,\"type\":\"stats\",\"trace\":",
		       SIM_JSON_VERSION);
		json_write_str(stdout, env.trace);
		printf(",\"pages\":%llu,\"page_size_bytes\":%u,\"epochs\":%llu,"
		       "\"epoch_ms\":%.3f,\"length_s\":%.3f,\"writes\":%llu,"
		       "\"mean_epoch_dirty_pages\":%.1f,"
		       "\"dirty_rate_pages_per_s\":%.1f,"
		       "\"dirty_rate_mib_per_s\":%.3f}\n",
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

/* A run that takes long (a slow link makes the replayed trace loop many
 * times) says on stderr how far it got: after 3 s, then every 5 s. */
static void show_progress(void *arg, const char *algo, double sim_s,
			  double rams_sent)
{
	static double t0, next;
	double now = clock_now_s();

	(void)arg;
	if (!t0) {
		t0 = now;
		next = now + 3;
	}
	if (now < next)
		return;
	next = now + 5;
	fprintf(stderr, "precopy-sim: %s at %g MiB/s: %.0f s of migration "
		"simulated, %.2f of at most %g RAMs sent, after %.0f s",
		algo, env.cfg.bandwidth / MIB, sim_s, rams_sent, env.max_sent,
		now - t0);
	if (rams_sent > 0) /* the cap bounds the rest of this run */
		fprintf(stderr, " (this algorithm: at most %.0f min more)",
			(env.max_sent - rams_sent) / rams_sent * (now - t0) /
				60);
	fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_arg, NULL, doc, NULL,
					  NULL, NULL };
	struct sim_result res[MAX_ALGOS], *all = NULL;
	struct sim_report_ctx ctx;
	struct trace_epochs *tr = NULL;
	struct sim_trace *st = NULL;
	uint64_t *nonzero = NULL;
	char serr[256];
	unsigned int i;
	int err;

	sim_config__default(&env.cfg, 1, 0.3);
	cli_parse(&argp, argc, argv, 0, NULL);
	if (env.nr_sweep) {
		/* Check where the results go before the work, not after. */
		char path[4096];

		static const char *const ext[] = { "csv", "svg" };

		for (i = 0; i < 2; i++) {
			snprintf(path, sizeof(path), "%s.%s", env.out, ext[i]);
			cli_check_output(path, "--out");
			/* The default name was not the user's choice: a file
			 * of that name is not ours to replace. */
			if (!env.out_given && !access(path, F_OK))
				cli_value_error(NULL, "%s exists: name the "
						"sweep's output with --out "
						"PREFIX (refusing to "
						"overwrite it)", path);
		}
	}
	if (!env.nr_algos)
		parse_algos("all", NULL);
	env.cfg.downtime_limit_s = env.downtime_ms / 1000;
	env.cfg.start_s = env.start_ms < 0 ? -1 : env.start_ms / 1000;
	env.cfg.max_sent_ram = env.max_sent;
	env.cfg.progress = show_progress;
	err = load_trace(&tr);
	if (err)
		goto cleanup;
	if (env.nonzero_path) {
		if (load_nonzero(tr->hdr.pages, &nonzero)) {
			err = -EINVAL;
			goto cleanup;
		}
		env.cfg.nonzero = nonzero;
	}
	st = sim_trace__new(tr, serr, sizeof(serr));
	if (!st) {
		fprintf(stderr, "precopy-sim: %s: %s\n", env.trace, serr);
		err = -errno;
		goto cleanup;
	}
	ctx = (struct sim_report_ctx){
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
		err = sim_report__sweep(&ctx, env.out, env.sweep, env.nr_sweep,
				       all, env.nr_algos);
		if (!err)
			printf("precopy-sim: wrote %s.csv and %s.svg (%u "
			       "bandwidths x %u algorithms)\n", env.out,
			       env.out, env.nr_sweep, env.nr_algos);
		goto cleanup;
	}

	err = run_one(st, env.bandwidth_mib, res);
	if (err)
		goto cleanup;
	if (env.json)
		for (i = 0; i < env.nr_algos; i++)
			sim_report__json(stdout, &ctx, &res[i]);
	else
		sim_report__table(stdout, &ctx, res, env.nr_algos);
cleanup:
	free(all);
	free(nonzero);
	sim_trace__free(st);
	trace_epochs__free(tr);
	return err ? 1 : 0;
}
