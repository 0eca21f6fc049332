// SPDX-License-Identifier: GPL-2.0
/*
 * bench_tracker.c - what the dirty tracker costs.
 *
 * 1. Per-event cost of each attached BPF program, from the kernel's BPF
 *    run-time statistics, while the workload VM dirties memory in ring mode.
 *    Target: <= 120 ns per dirty event. Beside it, on the same events, an
 *    empty program on the same tracepoint: what the accounting itself
 *    reports per run (two clock reads), so that the tracker's own work
 *    shows as the difference, whatever the machine's clock costs.
 * 2. Harvest cost of one epoch's state for a 16 Mi-page (64 GiB) VM, with
 *    0 %, 5 % and 100 % of pages dirty. Target: <= 20 ms.
 *
 * Prints one "bench ..." line per figure with its ratio to the target.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "kvm/tracker.h"
#include "util/bitops.h"
#include "workvm.h"

#define HARVEST_PAGES (16ull << 20)
#define EVENT_TARGET_NS 120.0
#define HARVEST_TARGET_MS 20.0

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define EVENT_RUNS 5

/* An empty program (r0 = 0; exit) on the raw tracepoint behind `hook`.
 * Returns the program's fd (*link_fd its attachment), or -errno when the
 * hook is no tracepoint (fentry, kprobe) or the load fails. */
static int empty_attach(enum precopy_hook hook, int *link_fd)
{
	static const char *const tp[PRECOPY_HOOK__COUNT] = {
		[PRECOPY_HOOK_RING_PUSH] = "kvm_dirty_ring_push",
		[PRECOPY_HOOK_PAGE_FAULT] = "kvm_page_fault",
		[PRECOPY_HOOK_FAST_PF] = "fast_page_fault",
	};
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd;

	if (!tp[hook])
		return -ENOENT;
	fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "empty", "GPL", insns,
			   2, NULL);
	if (fd < 0)
		return -errno;
	*link_fd = bpf_raw_tracepoint_open(tp[hook], fd);
	if (*link_fd < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Run time and run count of program fd so far. */
static void fd_stats(int fd, uint64_t *ns, uint64_t *cnt)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	*ns = *cnt = 0;
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len)) {
		*ns = info.run_time_ns;
		*cnt = info.run_cnt;
	}
}

/* One run: the VM dirties memory for ms; returns ns/event of `hook`, or a
 * negative value if the hook saw no event; *empty gets the ns/run of the
 * empty program empty_fd over the same run (-1 without one). */
static double event_run(struct tracker *t, const char *pattern,
			enum precopy_hook hook, unsigned int ms, int empty_fd,
			uint64_t *events, double *empty)
{
	struct workvm_config cfg = workvm_config__default();
	uint64_t ns0 = 0, cnt0 = 0, ns, cnt, ens0, ecnt0, ens, ecnt;
	struct workvm *vm;
	char cmdline[64], err[256];
	double per = -1;
	int vmh;

	snprintf(cmdline, sizeof(cmdline), "pattern=%s", pattern);
	cfg.cmdline = cmdline;
	cfg.mode = WORKVM_LOG_RING;
	vm = workvm__create(&cfg, err, sizeof(err));
	if (!vm) {
		fprintf(stderr, "bench: %s\n", err);
		return -2;
	}
	vmh = tracker__add_vm(t, getpid(), workvm__memmap(vm));
	tracker__prog_stats(t, hook, &ns0, &cnt0);
	fd_stats(empty_fd, &ens0, &ecnt0);
	*empty = -1;
	if (vmh >= 0 && !workvm__run(vm, ms, NULL, NULL) &&
	    !tracker__prog_stats(t, hook, &ns, &cnt) && cnt > cnt0) {
		per = (double)(ns - ns0) / (cnt - cnt0);
		*events = cnt - cnt0;
		fd_stats(empty_fd, &ens, &ecnt);
		if (ecnt > ecnt0)
			*empty = (double)(ens - ens0) / (ecnt - ecnt0);
	}
	tracker__harvest(t);
	if (vmh >= 0)
		tracker__remove_vm(t, vmh);
	workvm__destroy(vm);
	return per;
}

static int bench_event_cost(void)
{
	struct tracker_opts o = tracker_opts__default();
	const char *patterns[] = { "random", "hotcold", "seqsweep" };
	struct tracker *t = NULL;
	char err[256];
	int stats_fd, h, p, i, ret = 1;

	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		fprintf(stderr, "bench: cannot enable BPF run-time stats: %s\n",
			strerror(errno));
		return 1;
	}
	o.capacity_pages = 1 << 20;
	t = tracker__open(&o, err, sizeof(err));
	if (!t) {
		fprintf(stderr, "bench: %s\n", err);
		goto cleanup;
	}
	printf("%s\n", tracker__describe(t));
	for (h = 0; h < PRECOPY_HOOK__COUNT; h++) {
		int empty_fd, link_fd = -1;

		if (!(tracker__hooks(t) & TRACKER_HOOK_BIT(h)))
			continue;
		empty_fd = empty_attach(h, &link_fd);
		for (p = 0; p < 3; p++) {
			double runs[EVENT_RUNS], empty[EVENT_RUNS], above[EVENT_RUNS];
			double med, e;
			uint64_t events = 0;
			int n = 0, ne = 0;

			for (i = 0; i < EVENT_RUNS; i++) {
				double v = event_run(t, patterns[p], h, 1000,
						     empty_fd, &events, &e);

				if (v < 0)
					continue;
				runs[n++] = v;
				if (e >= 0) {
					empty[ne] = e;
					above[ne++] = v - e;
				}
			}
			if (!n) {
				printf("bench event_cost hook=%s pattern=%s: no "
				       "events fired (this hook is blind on "
				       "this kernel)\n", precopy_hook__name(h),
				       patterns[p]);
				continue;
			}
			qsort(runs, n, sizeof(double), cmp_double);
			med = runs[n / 2];
			printf("bench event_cost hook=%s pattern=%s runs=%d "
			       "events/run=%llu ns_per_event median=%.1f "
			       "min=%.1f max=%.1f target=%.0f ratio=%.2f %s\n",
			       precopy_hook__name(h), patterns[p], n,
			       (unsigned long long)events, med, runs[0],
			       runs[n - 1], EVENT_TARGET_NS,
			       med / EVENT_TARGET_NS,
			       med <= EVENT_TARGET_NS ? "OK" : "OVER");
			if (!ne)
				continue;
			qsort(empty, ne, sizeof(double), cmp_double);
			qsort(above, ne, sizeof(double), cmp_double);
			printf("bench event_cost hook=%s pattern=%s "
			       "empty_program_ns median=%.1f tracker_above_empty_ns "
			       "median=%.1f (same events, same runs)\n",
			       precopy_hook__name(h), patterns[p],
			       empty[ne / 2], above[ne / 2]);
		}
		if (empty_fd >= 0) {
			close(link_fd);
			close(empty_fd);
		}
	}
	ret = 0;
cleanup:
	tracker__close(t);
	close(stats_fd);
	return ret;
}

/* Fill `pct` percent of the VM's pages, spread evenly, then time harvests. */
static double time_harvest(struct tracker *t, int vm, unsigned int pct,
			   uint64_t *dirty_seen)
{
	double samples[7];
	uint64_t gfn, step = pct ? 100 / pct : 0, np, w;
	const uint64_t *bm;
	int i;

	for (i = 0; i < 7; i++) {
		double t0;

		if (pct == 100) {
			for (gfn = 0; gfn < HARVEST_PAGES; gfn++)
				tracker__mark_dirty(t, vm, gfn);
		} else if (pct) {
			/* pct% of pages: one in every 100/pct, offset varies */
			for (gfn = i % step; gfn < HARVEST_PAGES; gfn += step)
				tracker__mark_dirty(t, vm, gfn);
		}
		t0 = clock_now_ms();
		tracker__harvest(t);
		samples[i] = clock_now_ms() - t0;
	}
	bm = tracker__vm_bitmap(t, vm, &np);
	*dirty_seen = 0;
	for (w = 0; w < np / 64; w++)
		*dirty_seen += pop64(bm[w]);
	qsort(samples, 7, sizeof(double), cmp_double);
	return samples[3];
}

static int bench_harvest(void)
{
	struct tracker_opts o = tracker_opts__default();
	struct guest_map map = { 0 };
	struct tracker *t;
	unsigned int pcts[] = { 0, 5, 100 }, i;
	char err[256];
	int vm;

	o.capacity_pages = HARVEST_PAGES;
	t = tracker__open(&o, err, sizeof(err));
	if (!t) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	/* A 64 GiB guest; the pid only names it, no process dirties it. */
	guest_map__add(&map, 0, 0, HARVEST_PAGES, 0, "ram");
	vm = tracker__add_vm(t, 0x7ffffff0, &map);
	if (vm < 0) {
		fprintf(stderr, "bench: add_vm: %s\n", strerror(-vm));
		tracker__close(t);
		return 1;
	}
	for (i = 0; i < 3; i++) {
		uint64_t seen;
		double ms = time_harvest(t, vm, pcts[i], &seen);

		printf("bench harvest pages=%llu dirty=%u%% (%llu seen) "
		       "median_ms=%.3f target=%.0f ratio=%.3f %s\n",
		       (unsigned long long)HARVEST_PAGES, pcts[i],
		       (unsigned long long)seen, ms, HARVEST_TARGET_MS,
		       ms / HARVEST_TARGET_MS,
		       ms <= HARVEST_TARGET_MS ? "OK" : "OVER");
	}
	tracker__remove_vm(t, vm);
	tracker__close(t);
	return 0;
}

/* Usage: bench_tracker [events|harvest] (default: both). */
int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : "";
	int ret = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("bench tracker: skipped (needs root)\n");
		return 0;
	}
	if (strcmp(only, "harvest"))
		ret |= bench_event_cost();
	if (strcmp(only, "events"))
		ret |= bench_harvest();
	return ret;
}
