// SPDX-License-Identifier: GPL-2.0
/*
 * precopy-migrate - live-migrate a workload VM between two real QEMU
 * processes (on loopback, or between two network namespaces), by stock
 * pre-copy, by QEMU's own convergence aids (auto-converge, dirty-limit)
 * and by the plan of precopy-plan (patched QEMU, tools/qemu), side by
 * side, and print the three metrics (total time, downtime, bytes
 * transferred) from query-migrate and the guest's write rate, with the
 * destination's memory checked against the source's after every
 * migration. See user/lib/mig/migrun.h.
 */
#include <arpa/inet.h>
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cli.h"
#include "mig/mig_report.h"
#include "mig/migrun.h"
#include "util/paths.h"


/*
 * The built-in workloads and limits: a slow link (4 MiB/s) with a 1 s
 * downtime limit, so that stock pre-copy needs about ten iterations for a
 * hot set of 4 MiB (1024 pages, 95 % of the writes) in a 32 MiB working
 * region, in a multiboot guest under KVM; and the same idea in a Linux
 * guest under TCG (memwork: 2 MiB hot in 16 MiB, 2000 page writes/s).
 * tick=2: on hosts whose KVM emulates guest code in batches (see
 * tools/guest/guest_abi.h), larger ticks let a 4096-entry dirty ring
 * overflow and KVM loses dirty pages; stock QEMU then leaves memory
 * different (seen here with tick=32: 212-235 pages; with tick=8: 7-9
 * pages in 2 of 7 runs; with tick=2: 0 in 16 runs). The ring's
 * default size is migrun.h's MIGRUN_RING_AUTO (65536 entries, 4096
 * where QEMU's dirty limit throttles).
 * rate=4000: the guest's clock caps its writes at 4,000/s, so the default
 * migration is as hard on a fast host as on a slow one. Free-running, the
 * same guest wrote 8,800 writes/s on one 2-core host (stock: 6 s, 6
 * syncs) and 20,000 on another (stock: 50-97 s, near the e2e timeouts).
 * Paced, stock took 2.2-4.6 s and 4-5 syncs at 4,000 (3 runs), 3.2-26 s
 * at 6,000, and never ended in 180 s at 8,000: the hot set, fully
 * rewritten in every iteration, plus the cold writes exceed the budget
 * at each sync. A host too slow for the rate gets an easier migration.
 */
#define MB_APPEND "pattern=hotcold pages=8192 hot=1024 hotbase=7168 " \
	"hotpct=95 delay=4 tick=2 rate=4000"
#define LINUX_APPEND "console=ttyS0 quiet memwork.pattern=hotcold " \
	"memwork.rate=2000 memwork.mib=16 memwork.hot_mib=2 memwork.hotpct=95"
#define DEFAULT_BANDWIDTH 4	/* MiB/s */
#define DEFAULT_DOWNTIME 1000	/* ms */
#define DEFAULT_WARMUP 5	/* s */

static const char *const fault_names[] = {
	[MIGRUN_FAULT_NONE] = "none",
	[MIGRUN_FAULT_KILL_PLANNER] = "kill-planner",
	[MIGRUN_FAULT_GARBAGE] = "garbage",
	[MIGRUN_FAULT_CORRUPT_DEST] = "corrupt-dest",
};

/* The signal that asked us to stop (SIGINT, SIGTERM, SIGHUP), or 0. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static struct env {
	enum migrun_mode modes[MIGRUN_MODES];	/* alternated in this order */
	unsigned int nmodes;
	unsigned int runs;
	struct migrun_config cfg;
	const char *append;
	const char *workdir;
	bool keep;
	bool json;
	bool accel_set;
} env = { .modes = { MIGRUN_STOCK, MIGRUN_PLAN }, .nmodes = 2, .runs = 1 };

const char *argp_program_version = "precopy-migrate 0.1";
static const char doc[] =
	"Live-migrate a workload VM with stock QEMU pre-copy and with the plan\n"
	"of precopy-plan, side by side, between two QEMU processes on loopback\n"
	"(or between two network namespaces, --netns).\n"
	"\n"
	"USAGE: precopy-migrate [--mode MODE[,MODE...]] [--runs N]\n"
	"                       [--accel kvm|tcg] [--bandwidth MIBPS]\n"
	"                       [--downtime-limit MS] [OPTION...]\n"
	"\n"
	"Modes: stock (QEMU's pre-copy), plan (by precopy-plan through the plan\n"
	"ring), auto-converge (QEMU's CPU throttle), dirty-limit-hand (QEMU's\n"
	"dirty-limit capability at --vcpu-dirty-limit); both = stock,plan (the\n"
	"default). Runs alternate (stock, plan, stock, ...) and the table ends\n"
	"with the median of each mode and the ratios of each mode to the first\n"
	"(plan/stock; with --compare, plan/auto-converge). The guest's write\n"
	"rate (writes/s of the workload guest, read from its counter in the\n"
	"source's RAM) is shown before and during the migration; during it,\n"
	"from the counter at `migrate` and after the switchover, so that the\n"
	"source's RAM is not read while it migrates.\n"
	"QEMU reports the downtime in whole ms; it is also read to the\n"
	"microsecond from QEMU's downtime checkpoints (trace event\n"
	"vmstate_downtime_checkpoint, logged to the work folder): JSON\n"
	"downtime_us, and pause_us (the table's pause ms), from the source\n"
	"stopping the guest to the destination ready to run it.\n"
	"\n"
	"With --converge dirty-limit, precopy-plan acts on non-convergence: it\n"
	"sets QEMU's per-vCPU dirty-page-rate limit (QMP set-vcpu-dirty-limit,\n"
	"KVM's dirty ring) to the rate its forecast says converges, and lifts\n"
	"it after the switchover. --compare runs auto-converge,\n"
	"dirty-limit-hand,plan with --converge dirty-limit.\n"
	"\n"
	"After every migration both VMs are stopped and their RAM is compared\n"
	"in place, page by page, read from the two QEMU processes (no dump), so\n"
	"guests of several GiB are checked too (--mem up to 4096). The exit\n"
	"status is 0 when every migration completed with equal memory.\n"
	"\n"
	"Defaults, found from this program's location (bin/): the helpers in\n"
	"../libexec/precopy/ (the build tree's, or an install's): under kvm\n"
	"the project's multiboot workload guest (guest.elf, '" MB_APPEND "'),\n"
	"under tcg Debian's kernel with the memwork initramfs\n"
	"(linuxguest/, make linuxguest), the patched QEMU\n"
	"(qemu-system-x86_64, make qemu); precopy-plan beside this program.\n"
	"\n"
	"EXAMPLES:\n"
	"  precopy-migrate                      stock vs plan once, KVM\n"
	"  precopy-migrate --runs 3 -j          three each, JSON lines\n"
	"  precopy-migrate --mode plan --fault kill-planner\n"
	"  precopy-migrate --compare --bandwidth 16 --append 'pattern=seqsweep\n"
	"      pages=16384 delay=16 tick=2'    converging a guest stock cannot\n"
	"  precopy-migrate --netns src,dst --dst-addr 10.0.0.2 --bandwidth 1000\n"
	"                                       over a link shaped with tc\n";

enum {
	OPT_MODE = 0x100, OPT_RUNS, OPT_ACCEL, OPT_WARMUP, OPT_QEMU,
	OPT_PLANNER, OPT_KERNEL, OPT_INITRD, OPT_APPEND, OPT_READY, OPT_START,
	OPT_FAULT, OPT_FAULT_AT, OPT_TIMEOUT, OPT_WORKDIR, OPT_KEEP,
	OPT_CONVERGE, OPT_COMPARE, OPT_DLIMIT, OPT_NETNS, OPT_DST_ADDR,
	OPT_PLANNER_ARG, OPT_DST_RAM,
};

#define MAX_PLANNER_ARGS 16
static const char *planner_args[MAX_PLANNER_ARGS + 1];
static unsigned int nr_planner_args;

static const struct argp_option opts[] = {
	{ "mode", OPT_MODE, "LIST", 0, "modes to alternate, comma-separated: stock, "
	  "plan, auto-converge, dirty-limit-hand; both = stock,plan (default)", 0 },
	{ "converge", OPT_CONVERGE, "HOW", 0, "plan mode on non-convergence: none "
	  "(default) or dirty-limit (precopy-plan sets QEMU's dirty limit)", 0 },
	{ "compare", OPT_COMPARE, NULL, 0, "--mode auto-converge,dirty-limit-hand,plan "
	  "--converge dirty-limit", 0 },
	{ "vcpu-dirty-limit", OPT_DLIMIT, "MBPS", 0, "dirty-limit-hand: QEMU's "
	  "vcpu-dirty-limit in MB/s (default 1, QEMU's)", 0 },
	{ "netns", OPT_NETNS, "SRC,DST", 0, "run the source and the destination in "
	  "these network namespaces (/run/netns/NAME, made beforehand)", 0 },
	{ "dst-addr", OPT_DST_ADDR, "IP", 0, "with --netns: the destination's IPv4 "
	  "address (it listens there)", 0 },
	{ "dst-ram", OPT_DST_RAM, "WHEN", 0, "when the destination allocates "
	  "its RAM: prealloc (default: at its start, -mem-prealloc) or "
	  "on-demand (QEMU's default: the first write to a page faults, and "
	  "pages first sent in the stop-and-copy fault inside the downtime)", 0 },
	{ "runs", OPT_RUNS, "N", 0, "migrations per mode (default 1, max 50)", 0 },
	{ "accel", OPT_ACCEL, "ACCEL", 0, "kvm (default when /dev/kvm opens) or tcg", 0 },
	{ "dirty-ring", 'r', "N", 0, "KVM dirty-ring-size (default 65536, or 4096 where QEMU's dirty limit throttles, which acts on ring-full exits; 0: dirty bitmap)", 0 },
	{ "bandwidth", 'b', "MIBPS", 0, "max-bandwidth in MiB/s (default 4)", 0 },
	{ "downtime-limit", 'd', "MS", 0, "downtime-limit in ms (default 1000)", 0 },
	{ "mem", 'm', "MIB", 0, "guest RAM in MiB (default 256)", 0 },
	{ "warmup", OPT_WARMUP, "S", 0, "seconds the workload runs before migrating (default 5)", 0 },
	{ "qemu", OPT_QEMU, "PATH", 0, "the patched qemu-system-x86_64", 0 },
	{ "planner", OPT_PLANNER, "PATH", 0, "the precopy-plan program", 0 },
	{ "planner-arg", OPT_PLANNER_ARG, "ARG", 0, "one more argument for "
	  "precopy-plan (repeat for several), e.g. --planner-arg=--prometheus "
	  "--planner-arg=127.0.0.1:9465", 0 },
	{ "kernel", OPT_KERNEL, "PATH", 0, "guest kernel (-kernel)", 0 },
	{ "initrd", OPT_INITRD, "PATH", 0, "guest initramfs (-initrd)", 0 },
	{ "append", OPT_APPEND, "TEXT", 0, "guest command line", 0 },
	{ "ready", OPT_READY, "TEXT", 0, "serial text that says the workload runs", 0 },
	{ "planner-start", OPT_START, "WHEN", 0,
	  "before (default: before QEMU) or after (once QEMU synced its bitmap)", 0 },
	{ "fault", OPT_FAULT, "FAULT", 0,
	  "none, kill-planner (SIGKILL mid-migration), garbage (random plan "
	  "slot) or corrupt-dest (flip a byte of the destination's memory "
	  "before the check: it must say DIFFERS)", 0 },
	{ "fault-at", OPT_FAULT_AT, "N", 0, "inject at this dirty-sync-count (default 2)", 0 },
	{ "timeout", OPT_TIMEOUT, "S", 0, "give up on a migration after S seconds (default 180)", 0 },
	{ "workdir", OPT_WORKDIR, "DIR", 0, "folder for sockets and logs, without an earlier run's (default: a new /tmp folder)", 0 },
	{ "keep", OPT_KEEP, NULL, 0, "keep the work folder: each run's logs (and "
	  "copies of both RAMs when they differ) in a folder runN-MODE", 0 },
	{ "json", 'j', NULL, 0, "JSON lines: one per migration, then the summary", 0 },
	{ "verbose", 'v', NULL, 0, "more detail on stderr (progress)", 0 },
	{},
};

/* --mode: a comma-separated list of modes, each at most once. */
static void parse_modes(const char *arg, struct argp_state *st)
{
	char buf[256], *tok, *save = NULL;
	unsigned int i;
	int m;

	if (!strcmp(arg, "both"))
		arg = "stock,plan";
	if (strlen(arg) >= sizeof(buf))
		cli_value_error(st, "--mode list too long");
	snprintf(buf, sizeof(buf), "%s", arg);
	env.nmodes = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		m = migrun_mode__parse(tok);
		if (m < 0)
			cli_value_error(st, "unknown mode '%s' (stock, plan, auto-converge, "
					"dirty-limit-hand, both)", tok);
		for (i = 0; i < env.nmodes; i++)
			if (env.modes[i] == (enum migrun_mode)m)
				cli_usage_error(st, "mode '%s' given twice", tok);
		env.modes[env.nmodes++] = (enum migrun_mode)m;
	}
	if (!env.nmodes)
		cli_value_error(st, "no mode in '%s'", arg);
}

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct migrun_config *c = &env.cfg;

	switch (key) {
	case OPT_MODE:
		parse_modes(arg, st);
		break;
	case OPT_COMPARE:
		parse_modes("auto-converge,dirty-limit-hand,plan", st);
		c->converge = true;
		break;
	case OPT_CONVERGE:
		if (!strcmp(arg, "none"))
			c->converge = false;
		else if (!strcmp(arg, "dirty-limit"))
			c->converge = true;
		else
			cli_value_error(st, "unknown --converge '%s' (none, dirty-limit)", arg);
		break;
	case OPT_DLIMIT:
		c->vcpu_dirty_limit = (unsigned int)cli_parse_num(arg, 1, 1000000, st,
								  "--vcpu-dirty-limit");
		break;
	case OPT_NETNS: {
		char *comma = strchr(arg, ',');

		if (!comma || comma == arg || !comma[1] || strchr(comma + 1, ',') ||
		    strchr(arg, '/'))
			cli_value_error(st, "invalid --netns '%s' (expected SRC,DST)", arg);
		*comma = 0;
		c->src_netns = arg;
		c->dst_netns = comma + 1;
		break;
	}
	case OPT_DST_ADDR: {
		struct in_addr a;

		if (inet_pton(AF_INET, arg, &a) != 1)
			cli_value_error(st, "invalid --dst-addr '%s' (an IPv4 address)", arg);
		c->dst_addr = arg;
		break;
	}
	case OPT_DST_RAM:
		if (!strcmp(arg, "prealloc"))
			c->dst_ram_on_demand = false;
		else if (!strcmp(arg, "on-demand"))
			c->dst_ram_on_demand = true;
		else
			cli_value_error(st, "invalid --dst-ram '%s' (prealloc or "
					"on-demand)", arg);
		break;
	case OPT_RUNS:
		env.runs = (unsigned int)cli_parse_num(arg, 1, MIG_REPORT_MAX_RUNS, st, "--runs");
		break;
	case OPT_ACCEL:
		if (!strcmp(arg, "kvm"))
			c->accel = MIGRUN_KVM;
		else if (!strcmp(arg, "tcg"))
			c->accel = MIGRUN_TCG;
		else
			cli_value_error(st, "unknown accelerator '%s' (kvm, tcg)", arg);
		env.accel_set = true;
		break;
	case 'r':
		c->dirty_ring = (unsigned int)cli_parse_num(arg, 0, 65536, st, "--dirty-ring");
		break;
	case 'b':
		c->bandwidth_mibps = cli_parse_num(arg, 1, 100000, st, "--bandwidth");
		break;
	case 'd':
		c->downtime_ms = (unsigned int)cli_parse_num(arg, 1, 60000, st, "--downtime-limit");
		break;
	case 'm':
		c->mem_mib = (unsigned int)cli_parse_num(arg, 16, 4096, st, "--mem");
		break;
	case OPT_WARMUP:
		c->warmup_s = cli_parse_num(arg, 0, 600, st, "--warmup");
		break;
	case OPT_QEMU:
		c->qemu = arg;
		break;
	case OPT_PLANNER_ARG:
		if (nr_planner_args == MAX_PLANNER_ARGS)
			cli_usage_error(st, "more than %d --planner-arg",
					MAX_PLANNER_ARGS);
		planner_args[nr_planner_args++] = arg;
		c->planner_args = planner_args;
		break;
	case OPT_PLANNER:
		c->planner = arg;
		break;
	case OPT_KERNEL:
		c->kernel = arg;
		break;
	case OPT_INITRD:
		c->initrd = arg;
		break;
	case OPT_APPEND:
		env.append = arg;
		break;
	case OPT_READY:
		c->ready_text = arg;
		break;
	case OPT_START:
		if (!strcmp(arg, "before"))
			c->planner_start = MIGRUN_PLANNER_BEFORE;
		else if (!strcmp(arg, "after"))
			c->planner_start = MIGRUN_PLANNER_AFTER;
		else
			cli_value_error(st, "unknown --planner-start '%s' (before, after)", arg);
		break;
	case OPT_FAULT:
		if (!strcmp(arg, "none"))
			c->fault = MIGRUN_FAULT_NONE;
		else if (!strcmp(arg, "kill-planner"))
			c->fault = MIGRUN_FAULT_KILL_PLANNER;
		else if (!strcmp(arg, "garbage"))
			c->fault = MIGRUN_FAULT_GARBAGE;
		else if (!strcmp(arg, "corrupt-dest"))
			c->fault = MIGRUN_FAULT_CORRUPT_DEST;
		else
			cli_value_error(st, "unknown fault '%s' (none, kill-planner, "
					"garbage, corrupt-dest)", arg);
		break;
	case OPT_FAULT_AT:
		c->fault_iteration = (unsigned int)cli_parse_num(arg, 1, 1000, st, "--fault-at");
		break;
	case OPT_TIMEOUT:
		c->timeout_s = cli_parse_num(arg, 1, 86400, st, "--timeout");
		break;
	case OPT_WORKDIR:
		env.workdir = arg;
		break;
	case OPT_KEEP:
		env.keep = true;
		c->keep_dumps = true;
		break;
	case 'j':
		env.json = true;
		break;
	case 'v':
		c->verbose = true;
		break;
	case ARGP_KEY_ARG:
		cli_usage_error(st, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!c->src_netns != !c->dst_addr)
			cli_usage_error(st, "--netns and --dst-addr go together");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* A helper file beside this command (util/paths.h: BIN/../libexec/precopy/
 * in the build tree or an install); the path looked at if it is missing. */
static const char *helper(const char *name)
{
	static char bufs[4][PATH_MAX + 64];
	static int i;
	char *b = bufs[i++ % 4];

	paths__helper(name, b, sizeof(bufs[0]));
	return b;
}

static bool exists(const char *p)
{
	return p && access(p, R_OK) == 0;
}

/* --workdir DIR is the user's folder: it must be a folder, and hold none
 * of the files (with --keep, none of the runN-MODE folders) a run would
 * replace. Returns 0, or -1 said on stderr. */
static int check_workdir(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	unsigned int i, m;

	/* QEMU's options (-qmp unix:PATH,server=on, -trace file=PATH) end a
	 * path at its first comma */
	if (strchr(dir, ',')) {
		fprintf(stderr, "precopy-migrate: --workdir %s: a comma in the "
			"path cannot be passed to QEMU's options; give a "
			"folder without one\n", dir);
		return -1;
	}
	if (stat(dir, &st)) {
		fprintf(stderr, "precopy-migrate: --workdir %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "precopy-migrate: --workdir %s: not a folder\n",
			dir);
		return -1;
	}
	for (i = 0; migrun__files[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, migrun__files[i]);
		if (!lstat(path, &st))
			goto exists;
	}
	for (i = 1; env.keep && i <= env.runs; i++)
		for (m = 0; m < env.nmodes; m++) {
			snprintf(path, sizeof(path), "%s/run%u-%s", dir, i,
				 migrun_mode__name(env.modes[m]));
			if (!lstat(path, &st))
				goto exists;
		}
	return 0;
exists:
	fprintf(stderr, "precopy-migrate: --workdir %s: %s exists; refusing to "
		"overwrite it (give a folder without an earlier run's files)\n",
		dir, path);
	return -1;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_opt, NULL, doc, NULL, NULL, NULL };
	static struct mig_report rep;
	struct migrun_result r;
	char tmpl[] = "/tmp/precopy-migrate.XXXXXX", err[512];
	unsigned int i, m, failed = 0;
	bool want_planner = false;
	char rundir[PATH_MAX];
	const char *base;
	bool made_workdir = false;
	int ret = 1;

	migrun_config__default(&env.cfg);
	env.cfg.bandwidth_mibps = DEFAULT_BANDWIDTH;
	env.cfg.downtime_ms = DEFAULT_DOWNTIME;
	env.cfg.warmup_s = DEFAULT_WARMUP;
	cli_parse(&argp, argc, argv, 0, NULL);
	if (env.workdir && check_workdir(env.workdir))
		return CLI_EXIT_BAD_VALUE;
	if (!env.cfg.corrupt_gpa) /* a page in the middle of RAM */
		env.cfg.corrupt_gpa = ((uint64_t)env.cfg.mem_mib << 19) + 0x123;
	/* SIGINT, SIGTERM, SIGHUP: the run in progress stops, everything it
	 * started is stopped and reaped and its files removed; then we die
	 * of the signal. No SA_RESTART: waits end at once. */
	{
		struct sigaction sa = { .sa_handler = on_signal };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		env.cfg.stop = &stop_signal;
		signal(SIGPIPE, SIG_IGN); /* a write to a dead peer: EPIPE */
	}
	if (!env.accel_set && access("/dev/kvm", R_OK | W_OK))
		env.cfg.accel = MIGRUN_TCG;
	if (!env.cfg.qemu)
		env.cfg.qemu = helper("qemu-system-x86_64");
	if (!env.cfg.planner) {
		static char planner[PATH_MAX];

		paths__sibling("precopy-plan", planner, sizeof(planner));
		env.cfg.planner = planner;
	}
	if (env.cfg.accel == MIGRUN_KVM) {
		if (!env.cfg.kernel)
			env.cfg.kernel = helper("guest.elf");
		if (!env.cfg.ready_text) {
			env.cfg.ready_text = "precopy-guest: pattern=";
			env.cfg.error_text = "precopy-guest: error: ";
		}
		env.cfg.append = env.append ? env.append : MB_APPEND;
	} else {
		if (!env.cfg.kernel)
			env.cfg.kernel = helper("linuxguest/vmlinuz");
		if (!env.cfg.initrd)
			env.cfg.initrd = helper("linuxguest/initrd.cpio.gz");
		if (!env.cfg.ready_text) {
			env.cfg.ready_text = "memwork: ready";
			env.cfg.error_text = "memwork: error: ";
		}
		env.cfg.append = env.append ? env.append : LINUX_APPEND;
	}
	if (!exists(env.cfg.qemu)) {
		fprintf(stderr, "precopy-migrate: no QEMU at %s (build it with `make qemu`, or --qemu)\n",
			env.cfg.qemu);
		return 1;
	}
	if (!exists(env.cfg.kernel) || (env.cfg.initrd && !exists(env.cfg.initrd))) {
		fprintf(stderr, "precopy-migrate: guest image missing: %s%s%s (`make guest linuxguest`, or --kernel/--initrd)\n",
			env.cfg.kernel, env.cfg.initrd ? " " : "",
			env.cfg.initrd ? env.cfg.initrd : "");
		return 1;
	}
	for (m = 0; m < env.nmodes; m++)
		want_planner |= env.modes[m] == MIGRUN_PLAN;
	if (want_planner && !exists(env.cfg.planner)) {
		fprintf(stderr, "precopy-migrate: no planner at %s (--planner)\n",
			env.cfg.planner);
		return 1;
	}
	for (m = 0; m < env.nmodes; m++) {
		if ((env.modes[m] == MIGRUN_DIRTY_LIMIT ||
		     (env.modes[m] == MIGRUN_PLAN && env.cfg.converge)) &&
		    (env.cfg.accel != MIGRUN_KVM || !env.cfg.dirty_ring)) {
			fprintf(stderr, "precopy-migrate: QEMU's dirty limit needs KVM "
				"with a dirty ring (--accel kvm, --dirty-ring N)\n");
			return CLI_EXIT_USAGE;
		}
	}
	if (env.cfg.src_netns) {
		char p[300];

		for (m = 0; m < 2; m++) {
			snprintf(p, sizeof(p), "/run/netns/%s",
				 m ? env.cfg.dst_netns : env.cfg.src_netns);
			if (access(p, R_OK)) {
				fprintf(stderr, "precopy-migrate: no network namespace %s: %s\n",
					p, strerror(errno));
				return CLI_EXIT_BAD_VALUE;
			}
		}
	}
	if (env.cfg.accel == MIGRUN_KVM && access("/dev/kvm", R_OK | W_OK)) {
		fprintf(stderr, "precopy-migrate: cannot use /dev/kvm: %s (try --accel tcg)\n",
			strerror(errno));
		return 1;
	}
	if (env.workdir) {
		env.cfg.workdir = env.workdir;
	} else {
		if (!mkdtemp(tmpl)) {
			fprintf(stderr, "precopy-migrate: cannot create a work folder: %s\n",
				strerror(errno));
			return 1;
		}
		env.cfg.workdir = tmpl;
		made_workdir = true;
	}
	if (!env.json) {
		printf("precopy-migrate: %s, %u MiB guest, %g MiB/s, downtime limit %u ms, %u run%s per mode%s%s%s%s%s\n",
		       env.cfg.accel == MIGRUN_KVM ? "KVM multiboot workload guest"
						   : "TCG Linux guest with memwork",
		       env.cfg.mem_mib, env.cfg.bandwidth_mibps, env.cfg.downtime_ms,
		       env.runs, env.runs == 1 ? "" : "s",
		       env.cfg.converge ? ", plan converges by dirty limit" : "",
		       env.cfg.src_netns ? ", between network namespaces " : "",
		       env.cfg.src_netns ? env.cfg.src_netns : "",
		       env.cfg.src_netns ? " and " : "",
		       env.cfg.src_netns ? env.cfg.dst_netns : "");
		fflush(stdout);
	}
	mig_report__init(&rep, stdout, env.json, env.modes, env.nmodes,
			 env.runs);
	rep.accel = env.cfg.accel == MIGRUN_KVM ? "kvm" : "tcg";
	rep.fault = fault_names[env.cfg.fault];
	rep.converge = env.cfg.converge;
	mig_report__table_header(&rep);
	base = env.cfg.workdir;
	for (i = 1; i <= env.runs && !stop_signal; i++) {
		for (m = 0; m < env.nmodes && !stop_signal; m++) {
			enum migrun_mode mode = env.modes[m];

			env.cfg.mode = mode;
			if (env.keep) {	/* each run's logs apart */
				snprintf(rundir, sizeof(rundir), "%s/run%u-%s", base,
					 i, migrun_mode__name(mode));
				if (mkdir(rundir, 0700) && errno != EEXIST) {
					fprintf(stderr, "precopy-migrate: cannot create %s: %s\n",
						rundir, strerror(errno));
					failed++;
					continue;
				}
				env.cfg.workdir = rundir;
			}
			if (migrun__run(&env.cfg, &r, err, sizeof(err))) {
				fprintf(stderr, "precopy-migrate: run %u (%s): %s\n", i,
					migrun_mode__name(mode), err);
				mig_report__run(&rep, i, mode, &r, err);
				failed++;
				continue;
			}
			if (!mig_report__run(&rep, i, mode, &r, NULL))
				failed++;
			if (r.guest_rate_read && r.guest_rate_before > 0 &&
			    r.guest_rate_during < 1)
				fprintf(stderr, "precopy-migrate: run %u (%s): "
					"the guest wrote nothing during the "
					"migration (%.0f writes/s before): a "
					"stopped vCPU? (README, \"Known host "
					"bugs\")\n", i,
					migrun_mode__name(mode),
					r.guest_rate_before);
		}
	}
	if (stop_signal)
		goto cleanup;
	mig_report__summary(&rep, failed);
	ret = failed ? 1 : 0;
cleanup:
	if (made_workdir && !env.keep) {
		char path[sizeof(tmpl) + 32];

		/* only files migrun makes: sockets, logs, dumps */
		for (i = 0; migrun__files[i]; i++) {
			snprintf(path, sizeof(path), "%s/%s", tmpl,
				 migrun__files[i]);
			unlink(path);
		}
		rmdir(tmpl);
	} else if (made_workdir) {
		fprintf(stderr, "precopy-migrate: logs kept in %s\n", tmpl);
	}
	if (stop_signal) {
		fflush(stdout);
		signal(stop_signal, SIG_DFL);
		raise(stop_signal);
	}
	return ret;
}
