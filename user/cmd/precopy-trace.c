// SPDX-License-Identifier: GPL-2.0
/*
 * precopy-trace - live dirty-memory profiling of a running VM with the eBPF
 * tracker, and a forecast of whether QEMU's pre-copy would converge.
 *
 * Every epoch (default 100 ms) it harvests the tracker; every interval
 * (default 1 s) it prints the dirty rate, working sets, hottest regions,
 * per-vCPU rates, write locality and the convergence forecast.
 */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "forecast.h"
#include "heatmap.h"
#include "metrics_http.h"
#include "procmode.h"
#include "profile.h"
#include "qemu_target.h"
#include "recorder.h"
#include "target.h"
#include "report.h"
#include "tracker.h"

static struct env {
	pid_t pid;
	const char *workload;   /* pattern and parameters for precopy-vm */
	const char *vm_opts;    /* extra precopy-vm options */
	const char *qmp;        /* QEMU's QMP socket, or NULL to find it */
	unsigned int hooks;
	unsigned int epoch_ms;
	double interval_s;
	long count;             /* 0: until Ctrl-C */
	double bandwidth_mib;
	double downtime_ms;
	unsigned int top;
	const char *record;
	const char *heatmap;
	const char *prometheus;
	bool json;
	bool verbose;
	/* process mode: precopy-trace [OPTION...] -- CMD ARGS */
	const char *user;
	const char *preload;
	const char *output;
	bool keep;
	bool no_follow;
} env = {
	.epoch_ms = 100,
	.interval_s = 1.0,
	.bandwidth_mib = 128,
	.downtime_ms = 300,
	.top = 5,
};

static volatile sig_atomic_t exiting;

const char *argp_program_version = "precopy-trace 0.1";
static const char doc[] =
	"Profile how a running VM dirties its memory, with the eBPF tracker.\n"
	"\n"
	"USAGE: precopy-trace [OPTION...] [INTERVAL [COUNT]]\n"
	"       precopy-trace [OPTION...] [INTERVAL [COUNT]] -- CMD [ARG...]\n"
	"\n"
	"Without -p, starts the built-in workload VM (pattern hotcold) and\n"
	"traces it. INTERVAL is in seconds (default 1); COUNT intervals, or\n"
	"until Ctrl-C.\n"
	"\n"
	"With -- CMD, runs CMD (and traces its descendants) with its writable\n"
	"memory write-protected by userfaultfd, re-armed every epoch, and the\n"
	"page-fault tracker watching its write faults; until CMD exits or\n"
	"COUNT intervals (then CMD gets SIGTERM unless --keep).\n"
	"\n"
	"EXAMPLES:\n"
	"  precopy-trace                      # built-in workload VM, 1 s lines\n"
	"  precopy-trace -w 'zipf scatter=1' 1 10\n"
	"  precopy-trace -p 1234              # a running precopy-vm or QEMU\n"
	"  precopy-trace -p 1234 -b 1000 -d 50   # forecast at 1000 MiB/s, 50 ms\n"
	"  precopy-trace -j --record vm.trace.gz 1 60\n"
	"  precopy-trace --record redis.trace.gz -- redis-server --port 7777\n"
	"  precopy-trace -o report.txt 1 30 -- python3 job.py\n";

enum {
	OPT_RECORD = 256,
	OPT_VM_OPTS,
	OPT_QMP,
	OPT_HEATMAP,
	OPT_PROMETHEUS,
	OPT_USER,
	OPT_PRELOAD,
	OPT_KEEP,
	OPT_NO_FOLLOW,
};

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Trace this VMM process (precopy-vm or QEMU)", 0 },
	{ "workload", 'w', "SPEC", 0, "Start the workload VM with this pattern "
	  "and parameters (default \"hotcold\")", 0 },
	{ "vm-opts", OPT_VM_OPTS, "OPTS", 0, "Options for the started "
	  "workload VM, e.g. \"-m 512 -l ring\"", 0 },
	{ "qmp", OPT_QMP, "PATH", 0, "QMP socket of the QEMU process (default: "
	  "from its command line)", 0 },
	{ "hooks", 'H', "LIST", 0, "Hooks: auto (default) or a list of "
	  "ring_push,page_fault,fast_pf,fentry,kprobe", 0 },
	{ "epoch", 'E', "MS", 0, "Harvest every MS milliseconds (default 100)", 0 },
	{ "bandwidth", 'b', "MIBPS", 0, "Forecast link bandwidth in MiB/s "
	  "(default 128, QEMU's)", 0 },
	{ "downtime-limit", 'd', "MS", 0, "Forecast downtime limit in ms "
	  "(default 300, QEMU's)", 0 },
	{ "top", 't', "N", 0, "Hottest 2 MiB regions to show (default 5)", 0 },
	{ "json", 'j', NULL, 0, "One JSON object per interval "
	  "(docs/precopy-trace.schema.json)", 0 },
	{ "record", OPT_RECORD, "FILE", 0, "Record a dirty trace (.gz: "
	  "compressed text, .pctrace: native)", 0 },
	{ "heatmap", OPT_HEATMAP, "FILE.svg", 0, "Write an SVG heatmap of "
	  "guest-physical region x time at exit", 0 },
	{ "prometheus", OPT_PROMETHEUS, "ADDR:PORT", 0, "Serve /metrics for "
	  "Prometheus, e.g. 127.0.0.1:9464", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf debug output", 0 },
	{ "output", 'o', "FILE", 0, "Write the report to FILE (process mode: "
	  "keeps it apart from CMD's output)", 0 },
	{ "user", OPT_USER, "NAME", 0, "Process mode: run CMD as this user", 0 },
	{ "preload", OPT_PRELOAD, "PATH", 0, "Process mode: the preload "
	  "library (default: ../lib/libprecopy-preload.so)", 0 },
	{ "keep", OPT_KEEP, NULL, 0, "Process mode: when tracing stops first, "
	  "leave CMD running (untraced)", 0 },
	{ "no-follow", OPT_NO_FOLLOW, NULL, 0, "Process mode: trace CMD only, "
	  "not its fork and exec descendants", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	char err[160];

	switch (key) {
	case 'p':
		env.pid = (pid_t)cli_parse_num(arg, 1, 4194304, state, "pid");
		if (strchr(arg, '.'))
			cli_usage_error(state, "invalid pid '%s'", arg);
		break;
	case 'w':
		env.workload = arg;
		break;
	case OPT_VM_OPTS:
		env.vm_opts = arg;
		break;
	case OPT_QMP:
		env.qmp = arg;
		break;
	case 'H':
		if (tracker_hooks__parse(arg, &env.hooks, err, sizeof(err)))
			cli_usage_error(state, "%s", err);
		break;
	case 'E':
		env.epoch_ms = (unsigned int)cli_parse_num(arg, 10, 60000, state,
						       "epoch");
		break;
	case 'b':
		env.bandwidth_mib = cli_parse_num(arg, 0.001, 1e7, state,
					      "bandwidth");
		break;
	case 'd':
		env.downtime_ms = cli_parse_num(arg, 1, 3.6e6, state,
					    "downtime limit");
		break;
	case 't':
		env.top = (unsigned int)cli_parse_num(arg, 0, PROFILE_MAX_TOP,
						  state, "top count");
		break;
	case 'j':
		env.json = true;
		break;
	case OPT_RECORD:
		env.record = arg;
		break;
	case OPT_HEATMAP:
		env.heatmap = arg;
		break;
	case OPT_PROMETHEUS:
		env.prometheus = arg;
		break;
	case 'v':
		env.verbose = true;
		break;
	case 'o':
		env.output = arg;
		break;
	case OPT_USER:
		env.user = arg;
		break;
	case OPT_PRELOAD:
		env.preload = arg;
		break;
	case OPT_KEEP:
		env.keep = true;
		break;
	case OPT_NO_FOLLOW:
		env.no_follow = true;
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num == 0)
			env.interval_s = cli_parse_num(arg, 0.01, 3600, state,
						   "interval");
		else if (state->arg_num == 1)
			env.count = (long)cli_parse_num(arg, 1, 1e12, state,
						    "count");
		else
			cli_usage_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (env.pid && env.workload)
			cli_usage_error(state, "-p and -w exclude each other");
		if (env.interval_s * 1000 < env.epoch_ms)
			env.epoch_ms = (unsigned int)(env.interval_s * 1000);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleep until the absolute monotonic time `deadline` (seconds), answering
 * metrics scrapes meanwhile; returns early on a signal. */
static void sleep_until(double deadline, struct metrics_http *http)
{
	struct timespec ts;

	while (http && !exiting) {
		double left = deadline - now_s();

		if (left <= 0)
			return;
		if (metrics_http__serve(http, (int)(left * 1000) + 1) == -EINTR)
			return;
	}
	ts.tv_sec = (time_t)deadline;
	ts.tv_nsec = (long)((deadline - ts.tv_sec) * 1e9);
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static int open_target(struct target *t, char *err, size_t errlen)
{
	if (env.pid)
		return target__open_pid(t, env.pid, err, errlen);
	return target__spawn_workload(t, env.workload ? env.workload : "hotcold",
				      env.vm_opts, err, errlen);
}

/* Per-vCPU page rates of the interval, from cumulative counters. */
static unsigned int vcpu_rates(const struct tracker *tr, int vm,
			       struct precopy_vcpu_stat *prev, double seconds,
			       struct report_vcpu *out)
{
	struct precopy_vcpu_stat cur[PRECOPY_MAX_VCPUS];
	unsigned int i, n = 0;

	if (tracker__vcpu_stats(tr, vm, cur))
		return 0;
	for (i = 0; i < PRECOPY_MAX_VCPUS; i++) {
		uint64_t d = cur[i].new_dirty - prev[i].new_dirty;
		uint64_t e = cur[i].events - prev[i].events;

		if (e && n < REPORT_MAX_VCPUS) {
			out[n].vcpu = i == PRECOPY_VCPU_UNKNOWN ? -1 : (int)i;
			out[n].pages_per_s = d / seconds;
			out[n].events_per_s = e / seconds;
			n++;
		}
		prev[i] = cur[i];
	}
	return n;
}

/* The VMM changed its memory slots: retarget the tracker, and restart the
 * statistics when the VM's page count changed. */
static int update_vm(struct tracker *tr, int vm, const struct memmap *map,
		     struct profile **prof, struct report_out *out)
{
	uint64_t pages = memmap__pages(map);
	struct profile *fresh;
	int ret = tracker__update_vm(tr, vm, map);

	if (ret) {
		fprintf(stderr, "precopy-trace: cannot follow the VM's new "
			"memory map: %s\n", strerror(-ret));
		return ret;
	}
	if (pages == profile__pages(*prof)) {
		report_out__note(out, "the VM's memory slots changed");
		return 0;
	}
	fresh = profile__new(pages, env.epoch_ms / 1e3, env.top);
	if (!fresh) {
		fprintf(stderr, "precopy-trace: out of memory\n");
		return -ENOMEM;
	}
	profile__free(*prof);
	*prof = fresh;
	report_out__note(out, "the VM's memory size changed: statistics "
			 "restart");
	return 0;
}

/* Process mode: everything after "--" is the command; argv is cut there. */
static char **split_command(int *argc, char **argv)
{
	int i;

	for (i = 1; i < *argc; i++)
		if (!strcmp(argv[i], "--")) {
			argv[i] = NULL;
			*argc = i;
			return argv + i + 1;
		}
	return NULL;
}

static int run_process(char **cmd)
{
	struct procmode_opts o = {
		.argv = cmd,
		.preload = env.preload,
		.user = env.user,
		.record = env.record,
		.output = env.output,
		.epoch_ms = env.epoch_ms,
		.interval_s = env.interval_s,
		.count = env.count,
		.bandwidth_mib = env.bandwidth_mib,
		.downtime_ms = env.downtime_ms,
		.top = env.top,
		.json = env.json,
		.verbose = env.verbose,
		.follow = !env.no_follow,
		.keep = env.keep,
		.exiting = &exiting,
	};

	if (!cmd[0]) {
		fprintf(stderr, "precopy-trace: no command after --\n");
		return 2;
	}
	if (env.pid || env.workload) {
		fprintf(stderr, "precopy-trace: -p/-w and -- CMD exclude each "
			"other\n");
		return 2;
	}
	if (env.qmp || env.heatmap || env.prometheus || env.hooks ||
	    env.vm_opts) {
		fprintf(stderr, "precopy-trace: --qmp, --heatmap, --prometheus, "
			"--hooks and --vm-opts apply to VM tracing, not to "
			"-- CMD\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "precopy-trace: needs root (CAP_BPF and "
			"CAP_PERFMON) to load the page-fault tracker\n");
		return 1;
	}
	return procmode__run(&o);
}

int main(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_arg, NULL, doc, NULL,
					  NULL, NULL };
	struct precopy_vcpu_stat vprev[PRECOPY_MAX_VCPUS];
	struct tracker_opts topts = tracker_opts__default();
	struct report_out *out = NULL;
	struct qemu_target *qt = NULL;
	struct metrics_http *http = NULL;
	struct heatmap *heat = NULL;
	struct recorder *rec = NULL;
	struct profile *prof = NULL;
	struct tracker *tr = NULL;
	struct target tg = { .pidfd = -1 };
	char err[320];
	double t0, next_epoch, next_interval, last_epoch, iv_start;
	bool heat_full = false, bitmap_warning = false, have_vmm_rate = false;
	bool alive, interval_end;
	double vmm_rate = 0, vmm_window = 0;
	long intervals = 0;
	int vm = -1, ret, status = 1;
	char **cmd = split_command(&argc, argv);

	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (cmd)
		return run_process(cmd);

	topts.hooks = env.hooks;
	topts.verbose = env.verbose;
	if (geteuid() != 0) {
		fprintf(stderr, "precopy-trace: needs root (CAP_BPF and "
			"CAP_PERFMON) to load the tracker\n");
		return 1;
	}
	if (env.prometheus &&
	    !(http = metrics_http__open(env.prometheus, err, sizeof(err)))) {
		fprintf(stderr, "precopy-trace: %s\n", err);
		return 1;
	}
	ret = open_target(&tg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "precopy-trace: %s\n", err);
		goto cleanup;
	}
	tr = tracker__open(&topts, err, sizeof(err));
	if (!tr) {
		fprintf(stderr, "precopy-trace: %s\n", err);
		goto cleanup;
	}
	if (tg.kind == TARGET_QEMU) {
		qt = qemu_target__open(tg.pid, env.qmp, err, sizeof(err));
		if (!qt || qemu_target__start(qt, env.interval_s, &tg.map, err,
					      sizeof(err))) {
			fprintf(stderr, "precopy-trace: %s\n", err);
			goto cleanup;
		}
		if (!qemu_target__ring(qt) &&
		    !(tracker__hooks(tr) &
		      (TRACKER_HOOK_BIT(PRECOPY_HOOK_FENTRY) |
		       TRACKER_HOOK_BIT(PRECOPY_HOOK_KPROBE)))) {
			if (!(tracker__hooks(tr) &
			      (TRACKER_HOOK_BIT(PRECOPY_HOOK_PAGE_FAULT) |
			       TRACKER_HOOK_BIT(PRECOPY_HOOK_FAST_PF)))) {
				fprintf(stderr, "precopy-trace: QEMU logs dirty "
					"pages in a bitmap, which no hook "
					"attached on this kernel can see; start "
					"QEMU with -accel "
					"kvm,dirty-ring-size=4096\n");
				goto cleanup;
			}
			bitmap_warning = true;
		}
	} else if (env.qmp) {
		fprintf(stderr, "precopy-trace: --qmp applies to QEMU only\n");
		goto cleanup;
	}
	{
		size_t n = strlen(tg.desc);

		snprintf(tg.desc + n, sizeof(tg.desc) - n, ", %llu MiB in %u "
			 "memory slot%s", (unsigned long long)
			 (memmap__ram_pages(&tg.map) * 4096 >> 20),
			 tg.map.nslots, tg.map.nslots == 1 ? "" : "s");
	}
	vm = tracker__add_vm(tr, tg.pid, &tg.map);
	if (vm < 0) {
		fprintf(stderr, "precopy-trace: cannot track pid %d: %s\n",
			(int)tg.pid, strerror(-vm));
		goto cleanup;
	}
	tracker__vcpu_stats(tr, vm, vprev);
	prof = profile__new(memmap__pages(&tg.map), env.epoch_ms / 1e3,
			    env.top);
	if (!prof) {
		fprintf(stderr, "precopy-trace: out of memory\n");
		goto cleanup;
	}
	if (env.record) {
		rec = recorder__open(env.record, memmap__pages(&tg.map),
				     "precopy-trace", env.epoch_ms * 1000ull,
				     tg.desc, err, sizeof(err));
		if (!rec) {
			fprintf(stderr, "precopy-trace: %s\n", err);
			goto cleanup;
		}
	}
	if (env.heatmap &&
	    !(heat = heatmap__new(memmap__pages(&tg.map), 2048))) {
		fprintf(stderr, "precopy-trace: out of memory\n");
		goto cleanup;
	}
	out = report_out__new(env.json ? REPORT_JSON
					 : isatty(STDOUT_FILENO)
						   ? REPORT_LIVE
						   : REPORT_LINES,
				stdout);
	if (!out) {
		fprintf(stderr, "precopy-trace: out of memory\n");
		goto cleanup;
	}
	report_out__banner(out, tg.desc, tracker__describe(tr),
			     memmap__pages(&tg.map));
	if (bitmap_warning)
		report_out__note(out, "warning: QEMU logs dirty pages in a "
				 "bitmap; only the fault hooks can see that, "
				 "and only on hardware-virtualised guests. If "
				 "no dirtying shows, start QEMU with -accel "
				 "kvm,dirty-ring-size=4096");

	tracker__harvest(tr); /* start the first epoch now */
	t0 = last_epoch = iv_start = now_s();
	next_epoch = t0 + env.epoch_ms / 1e3;
	next_interval = t0 + env.interval_s;
	while (!exiting) {
		struct report rep;
		const uint64_t *bm;
		uint64_t np;
		double now;

		sleep_until(next_epoch, http);
		if (exiting)
			break;
		alive = target__alive(&tg);
		interval_end = next_epoch + 1e-3 >= next_interval || !alive;
		/* QEMU's measurement window must end inside this interval. */
		if (interval_end && qt &&
		    qemu_target__end_window(qt, &vmm_rate, &have_vmm_rate,
					    &vmm_window, err, sizeof(err))) {
			fprintf(stderr, "precopy-trace: %s\n", err);
			goto cleanup;
		}
		now = now_s();
		tracker__harvest(tr);
		bm = tracker__vm_bitmap(tr, vm, &np);
		profile__add_epoch(prof, bm, now - last_epoch);
		if (rec && recorder__epoch(rec, (uint64_t)((last_epoch - t0) *
							    1e6), bm)) {
			fprintf(stderr, "precopy-trace: %s\n",
				recorder__error(rec));
			goto cleanup;
		}
		last_epoch = now;
		next_epoch += env.epoch_ms / 1e3;
		if (!interval_end)
			continue;

		memset(&rep, 0, sizeof(rep));
		if (heat && heatmap__add_row(heat, now - t0, now - iv_start,
					     profile__interval_bitmap(prof)) &&
		    !heat_full) {
			report_out__note(out, "heatmap full (or out of "
					 "memory): later intervals are not "
					 "drawn");
			heat_full = true;
		}
		iv_start = now;
		profile__interval(prof, &rep.iv);
		rep.elapsed_s = now - t0;
		rep.t_mono = now;
		rep.nvcpus = vcpu_rates(tr, vm, vprev, rep.iv.seconds,
					rep.vcpus);
		tracker__stats(tr, &rep.stats);
		rep.unmapped = tracker__unmapped_events(tr, vm, NULL);
		rep.fin.ram_pages = memmap__ram_pages(&tg.map);
		rep.fin.page_size = 4096;
		rep.fin.bandwidth = env.bandwidth_mib * 1024 * 1024;
		rep.fin.downtime_limit = env.downtime_ms / 1e3;
		rep.fin.ws = rep.iv.curve;
		rep.forecast_ok = !forecast__qemu(&rep.fin, &rep.fc);
		for (unsigned int i = 0; i < rep.nvcpus; i++)
			rep.events_per_s += rep.vcpus[i].events_per_s;
		if (qt) {
			rep.logging = qemu_target__logging(qt);
			rep.has_vmm_rate = have_vmm_rate;
			rep.vmm_rate_mib = vmm_rate;
			rep.vmm_window_s = vmm_window;
		}
		report_out__emit(out, &rep);
		if (qt) {
			bool changed = false;

			if (qemu_target__next_window(qt, &tg.map, &changed, err,
						     sizeof(err))) {
				fprintf(stderr, "precopy-trace: %s\n", err);
				goto cleanup;
			}
			if (changed && update_vm(tr, vm, &tg.map, &prof, out))
				goto cleanup;
		}
		if (http) {
			char *body;
			size_t len;

			if (!report_prometheus(&rep, tg.pid, &body, &len)) {
				metrics_http__set(http, body, len);
				free(body);
			}
		}
		next_interval += env.interval_s;
		if (env.count && ++intervals >= env.count)
			break;
		if (!alive) {
			report_out__note(out, "the VM process exited");
			break;
		}
	}
	status = 0;
cleanup:
	if (rec && !status) {
		if (recorder__close(rec, (uint64_t)((now_s() - t0) * 1e6), err,
				    sizeof(err))) {
			fprintf(stderr, "precopy-trace: %s\n", err);
			status = 1;
		}
	} else {
		recorder__discard(rec);
	}
	if (heat && !status) {
		char title[256];

		snprintf(title, sizeof(title), "precopy-trace: %s", tg.desc);
		if (heatmap__write_svg(heat, env.heatmap, title, err,
				       sizeof(err))) {
			fprintf(stderr, "precopy-trace: %s\n", err);
			status = 1;
		}
	}
	heatmap__free(heat);
	metrics_http__close(http);
	qemu_target__close(qt);
	report_out__free(out);
	profile__free(prof);
	if (vm >= 0)
		tracker__remove_vm(tr, vm);
	target__close(&tg);
	tracker__close(tr);
	return status;
}
