// SPDX-License-Identifier: GPL-2.0
/*
 * precopy-migrate - live-migrate a workload VM between two real QEMU
 * processes on loopback, by stock pre-copy and by the plan of
 * precopy-plan (patched QEMU, tools/qemu), side by side, and print the
 * three metrics (total time, downtime, bytes transferred) from
 * query-migrate, with the destination's memory checked against the
 * source's after every migration. See user/lib/migrun.h.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "migrun.h"

#define MAX_RUNS 50
#define MIB (1024.0 * 1024.0)

/* The built-in workloads: the multiboot guest under KVM, a Debian kernel
 * with the memwork initramfs under TCG. */
/*
 * The built-in workloads and limits: a slow link (4 MiB/s) with a 1 s
 * downtime limit, so that stock pre-copy needs about ten iterations for a
 * hot set of 4 MiB (1024 pages, 95 % of the writes) in a 32 MiB working
 * region, in a multiboot guest under KVM; and the same idea in a Linux
 * guest under TCG (memwork: 2 MiB hot in 16 MiB, 2000 page writes/s).
 * tick=2: on hosts whose KVM emulates guest code in batches (see
 * tools/guest/guest_abi.h), larger ticks let the 4096-entry dirty ring
 * overflow and KVM loses dirty pages; stock QEMU then leaves memory
 * different (seen here with tick=32: 212-235 pages; with tick=8: 7-9
 * pages in 2 of 7 runs; with tick=2: 0 in 16 runs).
 */
#define MB_APPEND "pattern=hotcold pages=8192 hot=1024 hotbase=7168 " \
	"hotpct=95 delay=4 tick=2"
#define LINUX_APPEND "console=ttyS0 quiet memwork.pattern=hotcold " \
	"memwork.rate=2000 memwork.mib=16 memwork.hot_mib=2 memwork.hotpct=95"
#define DEFAULT_BANDWIDTH 4	/* MiB/s */
#define DEFAULT_DOWNTIME 1000	/* ms */
#define DEFAULT_WARMUP 5	/* s */

enum mode { MODE_BOTH, MODE_STOCK, MODE_PLAN };

static struct env {
	enum mode mode;
	unsigned int runs;
	struct migrun_config cfg;
	const char *append;
	const char *workdir;
	bool keep;
	bool json;
	bool accel_set;
} env = { .mode = MODE_BOTH, .runs = 1 };

const char *argp_program_version = "precopy-migrate 0.1";
static const char doc[] =
	"Live-migrate a workload VM with stock QEMU pre-copy and with the plan\n"
	"of precopy-plan, side by side, between two QEMU processes on loopback.\n"
	"\n"
	"USAGE: precopy-migrate [--mode both|stock|plan] [--runs N]\n"
	"                       [--accel kvm|tcg] [--bandwidth MIBPS]\n"
	"                       [--downtime-limit MS] [OPTION...]\n"
	"\n"
	"Runs alternate (stock, plan, stock, ...) and the table ends with the\n"
	"median of each mode and the plan/stock ratios. After every migration\n"
	"both VMs are stopped and their memory is compared page by page. The\n"
	"exit status is 0 when every migration completed with equal memory.\n"
	"\n"
	"Defaults: under kvm the project's multiboot workload guest\n"
	"(build/guest/guest.elf, '" MB_APPEND "'), under tcg Debian's kernel\n"
	"with the memwork initramfs (.cache/linuxguest, tools/linuxguest), the\n"
	"patched QEMU of tools/qemu/build and precopy-plan next to this\n"
	"program.\n"
	"\n"
	"EXAMPLES:\n"
	"  precopy-migrate                      stock vs plan once, KVM\n"
	"  precopy-migrate --runs 3 -j          three each, JSON lines\n"
	"  precopy-migrate --mode plan --fault kill-planner\n";

enum {
	OPT_MODE = 0x100, OPT_RUNS, OPT_ACCEL, OPT_BW, OPT_DT, OPT_MEM,
	OPT_WARMUP, OPT_QEMU, OPT_PLANNER, OPT_KERNEL, OPT_INITRD, OPT_APPEND,
	OPT_READY, OPT_START, OPT_FAULT, OPT_FAULT_AT, OPT_TIMEOUT,
	OPT_WORKDIR, OPT_KEEP, OPT_RING,
};

static const struct argp_option opts[] = {
	{ "mode", OPT_MODE, "MODE", 0, "both (default), stock or plan", 0 },
	{ "runs", OPT_RUNS, "N", 0, "migrations per mode (default 1, max 50)", 0 },
	{ "accel", OPT_ACCEL, "ACCEL", 0, "kvm (default when /dev/kvm opens) or tcg", 0 },
	{ "dirty-ring", OPT_RING, "N", 0, "KVM dirty-ring-size (default 4096; 0: dirty bitmap)", 0 },
	{ "bandwidth", OPT_BW, "MIBPS", 0, "max-bandwidth in MiB/s (default 4)", 0 },
	{ "downtime-limit", OPT_DT, "MS", 0, "downtime-limit in ms (default 1000)", 0 },
	{ "mem", OPT_MEM, "MIB", 0, "guest RAM in MiB (default 256)", 0 },
	{ "warmup", OPT_WARMUP, "S", 0, "seconds the workload runs before migrating (default 5)", 0 },
	{ "qemu", OPT_QEMU, "PATH", 0, "the patched qemu-system-x86_64", 0 },
	{ "planner", OPT_PLANNER, "PATH", 0, "the precopy-plan program", 0 },
	{ "kernel", OPT_KERNEL, "PATH", 0, "guest kernel (-kernel)", 0 },
	{ "initrd", OPT_INITRD, "PATH", 0, "guest initramfs (-initrd)", 0 },
	{ "append", OPT_APPEND, "TEXT", 0, "guest command line", 0 },
	{ "ready", OPT_READY, "TEXT", 0, "serial text that says the workload runs", 0 },
	{ "planner-start", OPT_START, "WHEN", 0,
	  "before (default: before QEMU) or after (once QEMU synced its bitmap)", 0 },
	{ "fault", OPT_FAULT, "FAULT", 0,
	  "none, kill-planner (SIGKILL mid-migration) or garbage (random plan slot)", 0 },
	{ "fault-at", OPT_FAULT_AT, "N", 0, "inject at this dirty-sync-count (default 2)", 0 },
	{ "timeout", OPT_TIMEOUT, "S", 0, "give up on a migration after S seconds (default 180)", 0 },
	{ "workdir", OPT_WORKDIR, "DIR", 0, "folder for sockets and logs (default: a new /tmp folder)", 0 },
	{ "keep", OPT_KEEP, NULL, 0, "keep the work folder and the memory dumps", 0 },
	{ "json", 'j', NULL, 0, "JSON lines: one per migration, then the summary", 0 },
	{ "verbose", 'v', NULL, 0, "progress on stderr", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct migrun_config *c = &env.cfg;

	switch (key) {
	case OPT_MODE:
		if (!strcmp(arg, "both"))
			env.mode = MODE_BOTH;
		else if (!strcmp(arg, "stock"))
			env.mode = MODE_STOCK;
		else if (!strcmp(arg, "plan"))
			env.mode = MODE_PLAN;
		else
			cli_usage_error(st, "unknown mode '%s' (both, stock, plan)", arg);
		break;
	case OPT_RUNS:
		env.runs = (unsigned int)cli_parse_num(arg, 1, MAX_RUNS, st, "--runs");
		break;
	case OPT_ACCEL:
		if (!strcmp(arg, "kvm"))
			c->accel = MIGRUN_KVM;
		else if (!strcmp(arg, "tcg"))
			c->accel = MIGRUN_TCG;
		else
			cli_usage_error(st, "unknown accelerator '%s' (kvm, tcg)", arg);
		env.accel_set = true;
		break;
	case OPT_RING:
		c->dirty_ring = (unsigned int)cli_parse_num(arg, 0, 65536, st, "--dirty-ring");
		break;
	case OPT_BW:
		c->bandwidth_mibps = cli_parse_num(arg, 1, 100000, st, "--bandwidth");
		break;
	case OPT_DT:
		c->downtime_ms = (unsigned int)cli_parse_num(arg, 1, 60000, st, "--downtime-limit");
		break;
	case OPT_MEM:
		c->mem_mib = (unsigned int)cli_parse_num(arg, 16, 4096, st, "--mem");
		break;
	case OPT_WARMUP:
		c->warmup_s = cli_parse_num(arg, 0, 600, st, "--warmup");
		break;
	case OPT_QEMU:
		c->qemu = arg;
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
			cli_usage_error(st, "unknown --planner-start '%s' (before, after)", arg);
		break;
	case OPT_FAULT:
		if (!strcmp(arg, "none"))
			c->fault = MIGRUN_FAULT_NONE;
		else if (!strcmp(arg, "kill-planner"))
			c->fault = MIGRUN_FAULT_KILL_PLANNER;
		else if (!strcmp(arg, "garbage"))
			c->fault = MIGRUN_FAULT_GARBAGE;
		else
			cli_usage_error(st, "unknown fault '%s' (none, kill-planner, garbage)", arg);
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
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* dir of this program; paths default relative to it (build/bin). */
static char bindir[PATH_MAX];

static const char *rel(const char *suffix)
{
	static char bufs[6][PATH_MAX + 64];
	static int i;
	char *b = bufs[i++ % 6];

	snprintf(b, sizeof(bufs[0]), "%s/%s", bindir, suffix);
	return b;
}

static bool exists(const char *p)
{
	return p && access(p, R_OK) == 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t median(int64_t *v, unsigned int n)
{
	if (!n)
		return -1;
	qsort(v, n, sizeof(*v), cmp_i64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct summary {
	int64_t total[MAX_RUNS], down[MAX_RUNS], bytes[MAX_RUNS], syncs[MAX_RUNS];
	unsigned int n;
	int64_t m_total, m_down, m_bytes, m_syncs;
};

static void print_run(unsigned int run, bool plan,
		      const struct migrun_result *r)
{
	char mem[64], ring[64];

	if (!r->mem_checked)
		snprintf(mem, sizeof(mem), "not checked");
	else if (r->mem_equal)
		snprintf(mem, sizeof(mem), "equal");
	else
		snprintf(mem, sizeof(mem), "DIFFERS (%llu pages)",
			 (unsigned long long)r->mem_diff_pages);
	if (plan && r->ring_read)
		snprintf(ring, sizeof(ring), "%llu/%llu/%llu",
			 (unsigned long long)r->plans_used,
			 (unsigned long long)(r->fallback_none + r->fallback_stale),
			 (unsigned long long)r->rejected);
	else
		snprintf(ring, sizeof(ring), "-");
	if (env.json) {
		printf("{\"run\": %u, \"mode\": \"%s\", \"accel\": \"%s\", "
		       "\"status\": \"%s\", \"total_time_ms\": %lld, "
		       "\"downtime_ms\": %lld, \"setup_time_ms\": %lld, "
		       "\"transferred\": %lld, \"dirty_sync_count\": %lld, "
		       "\"normal_pages\": %lld, \"duplicate_pages\": %lld, "
		       "\"memory_checked\": %s, \"memory_equal\": %s, "
		       "\"memory_bytes\": %llu, \"memory_diff_pages\": %llu, "
		       "\"memory_fnv64\": \"%016llx\"",
		       run, plan ? "plan" : "stock",
		       env.cfg.accel == MIGRUN_KVM ? "kvm" : "tcg", r->status,
		       (long long)r->total_time_ms, (long long)r->downtime_ms,
		       (long long)r->setup_time_ms, (long long)r->transferred,
		       (long long)r->dirty_syncs, (long long)r->normal_pages,
		       (long long)r->duplicate_pages,
		       r->mem_checked ? "true" : "false",
		       r->mem_equal ? "true" : "false",
		       (unsigned long long)r->mem_bytes,
		       (unsigned long long)r->mem_diff_pages,
		       (unsigned long long)r->mem_hash);
		if (plan)
			printf(", \"ring_read\": %s, \"plans_used\": %llu, "
			       "\"fallback_none\": %llu, \"fallback_stale\": %llu, "
			       "\"rejected\": %llu, \"fault_injected\": %s, "
			       "\"planner_status\": %d",
			       r->ring_read ? "true" : "false",
			       (unsigned long long)r->plans_used,
			       (unsigned long long)r->fallback_none,
			       (unsigned long long)r->fallback_stale,
			       (unsigned long long)r->rejected,
			       r->fault_injected ? "true" : "false",
			       r->planner_status);
		printf("}\n");
	} else {
		printf("%-4u %-6s %-10s %9lld %9lld %12.1f %6lld  %-12s %s\n",
		       run, plan ? "plan" : "stock", r->status,
		       (long long)r->total_time_ms, (long long)r->downtime_ms,
		       r->transferred / MIB, (long long)r->dirty_syncs, mem, ring);
	}
	fflush(stdout);
}

static void summarize(struct summary *s)
{
	s->m_total = median(s->total, s->n);
	s->m_down = median(s->down, s->n);
	s->m_bytes = median(s->bytes, s->n);
	s->m_syncs = median(s->syncs, s->n);
}

static double ratio(int64_t a, int64_t b)
{
	return b > 0 && a >= 0 ? (double)a / (double)b : -1;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_opt, NULL, doc, NULL, NULL, NULL };
	struct summary sum[2] = { 0 };
	struct migrun_result r;
	char tmpl[] = "/tmp/precopy-migrate.XXXXXX", err[512], exe[PATH_MAX];
	unsigned int i, m, failed = 0;
	bool made_workdir = false;
	ssize_t n;
	int ret = 1;

	migrun_config__default(&env.cfg);
	env.cfg.bandwidth_mibps = DEFAULT_BANDWIDTH;
	env.cfg.downtime_ms = DEFAULT_DOWNTIME;
	env.cfg.warmup_s = DEFAULT_WARMUP;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		snprintf(bindir, sizeof(bindir), "%s", exe);
		*strrchr(bindir, '/') = 0;
	} else {
		snprintf(bindir, sizeof(bindir), ".");
	}
	if (!env.accel_set && access("/dev/kvm", R_OK | W_OK))
		env.cfg.accel = MIGRUN_TCG;
	if (!env.cfg.qemu)
		env.cfg.qemu = rel("../../.cache/qemu/bin/qemu-system-x86_64");
	if (!env.cfg.planner)
		env.cfg.planner = rel("precopy-plan");
	if (env.cfg.accel == MIGRUN_KVM) {
		if (!env.cfg.kernel)
			env.cfg.kernel = rel("../guest/guest.elf");
		if (!env.cfg.ready_text)
			env.cfg.ready_text = "precopy-guest: pattern=";
		env.cfg.append = env.append ? env.append : MB_APPEND;
	} else {
		if (!env.cfg.kernel)
			env.cfg.kernel = rel("../../.cache/linuxguest/vmlinuz");
		if (!env.cfg.initrd)
			env.cfg.initrd = rel("../../.cache/linuxguest/initrd.cpio.gz");
		if (!env.cfg.ready_text)
			env.cfg.ready_text = "memwork: ready";
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
	if (env.mode != MODE_STOCK && !exists(env.cfg.planner)) {
		fprintf(stderr, "precopy-migrate: no planner at %s (--planner)\n",
			env.cfg.planner);
		return 1;
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
		printf("precopy-migrate: %s, %u MiB guest, %g MiB/s, downtime limit %u ms, %u run%s per mode\n",
		       env.cfg.accel == MIGRUN_KVM ? "KVM multiboot workload guest"
						   : "TCG Linux guest with memwork",
		       env.cfg.mem_mib, env.cfg.bandwidth_mibps, env.cfg.downtime_ms,
		       env.runs, env.runs == 1 ? "" : "s");
		printf("%-4s %-6s %-10s %9s %9s %12s %6s  %-12s %s\n", "run", "mode",
		       "status", "total ms", "down ms", "sent MiB", "syncs",
		       "memory", "plans/fallbacks/rejected");
		fflush(stdout);
	}
	for (i = 1; i <= env.runs; i++) {
		for (m = 0; m < 2; m++) {
			bool plan = m == 1;
			struct summary *s = &sum[m];

			if ((plan && env.mode == MODE_STOCK) ||
			    (!plan && env.mode == MODE_PLAN))
				continue;
			env.cfg.plan = plan;
			if (migrun__run(&env.cfg, &r, err, sizeof(err))) {
				fprintf(stderr, "precopy-migrate: run %u (%s): %s\n", i,
					plan ? "plan" : "stock", err);
				failed++;
				continue;
			}
			print_run(i, plan, &r);
			if (strcmp(r.status, "completed") || !r.mem_equal) {
				failed++;
				continue;
			}
			s->total[s->n] = r.total_time_ms;
			s->down[s->n] = r.downtime_ms;
			s->bytes[s->n] = r.transferred;
			s->syncs[s->n] = r.dirty_syncs;
			s->n++;
		}
	}
	summarize(&sum[0]);
	summarize(&sum[1]);
	if (env.json) {
		printf("{\"summary\": true, \"runs\": %u, \"failed\": %u", env.runs, failed);
		for (m = 0; m < 2; m++)
			if (sum[m].n)
				printf(", \"%s\": {\"n\": %u, \"total_time_ms\": %lld, "
				       "\"downtime_ms\": %lld, \"transferred\": %lld, "
				       "\"dirty_sync_count\": %lld}",
				       m ? "plan" : "stock", sum[m].n,
				       (long long)sum[m].m_total, (long long)sum[m].m_down,
				       (long long)sum[m].m_bytes, (long long)sum[m].m_syncs);
		if (sum[0].n && sum[1].n)
			printf(", \"ratio\": {\"total_time\": %.3f, \"downtime\": %.3f, "
			       "\"transferred\": %.3f}",
			       ratio(sum[1].m_total, sum[0].m_total),
			       ratio(sum[1].m_down, sum[0].m_down),
			       ratio(sum[1].m_bytes, sum[0].m_bytes));
		printf("}\n");
	} else {
		for (m = 0; m < 2; m++)
			if (sum[m].n)
				printf("%-4s %-6s %-10s %9lld %9lld %12.1f %6lld  (median of %u)\n",
				       "med", m ? "plan" : "stock", "",
				       (long long)sum[m].m_total, (long long)sum[m].m_down,
				       sum[m].m_bytes / MIB, (long long)sum[m].m_syncs,
				       sum[m].n);
		if (sum[0].n && sum[1].n)
			printf("plan/stock: total time %.2f, downtime %.2f, bytes transferred %.2f\n",
			       ratio(sum[1].m_total, sum[0].m_total),
			       ratio(sum[1].m_down, sum[0].m_down),
			       ratio(sum[1].m_bytes, sum[0].m_bytes));
		if (failed)
			printf("%u migration%s failed or left memory different\n",
			       failed, failed == 1 ? "" : "s");
	}
	ret = failed ? 1 : 0;
	if (made_workdir && !env.keep) {
		static const char *const files[] = {
			"src.qmp", "dst.qmp", "src.serial", "dst.serial",
			"src.stderr", "dst.stderr", "planner.jsonl",
			"planner.stderr", "src.mem", "dst.mem",
		};
		char path[sizeof(tmpl) + 32];

		/* only files migrun makes: sockets, logs, dumps */
		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", tmpl, files[i]);
			unlink(path);
		}
		rmdir(tmpl);
	} else if (made_workdir) {
		fprintf(stderr, "precopy-migrate: logs kept in %s\n", tmpl);
	}
	return ret;
}
