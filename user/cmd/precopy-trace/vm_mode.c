// SPDX-License-Identifier: GPL-2.0
/* vm_mode.c - precopy-trace's VM mode (see vm_mode.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/caps.h"
#include "util/cli.h"
#include "util/clock.h"
#include "kvm/qemu_target.h"
#include "kvm/target.h"
#include "kvm/tracker.h"
#include "kvm/vm_ident.h"
#include "util/prom.h"
#include "util/virsh.h"
#include "live/forecast.h"
#include "live/heatmap.h"
#include "live/live_report.h"
#include "live/metrics_http.h"
#include "live/profile.h"
#include "live/recorder.h"
#include "vm_mode.h"

/* Everything a session holds; session_close() releases it all. */
struct session {
	const struct trace_options *o;
	struct target tg;
	struct tracker *tr;
	struct qemu_target *qt;   /* QEMU targets only */
	int vm;                   /* the tracker's index, -1 before */
	bool bitmap_warning;      /* QEMU in bitmap mode, fault hooks only */
	struct profile *prof;
	struct recorder *rec;
	struct heatmap *heat;
	bool heat_full;
	struct live_report *out;
	struct metrics_http *http;
	char labels[512];         /* of every /metrics series */
	char info_labels[512];    /* of precopy_trace_info */
	uint64_t dirty_total;     /* pages, over all intervals */
	struct precopy_vcpu_stat vprev[PRECOPY_MAX_VCPUS];
	/* QEMU's own dirty-rate measurement of the interval */
	bool have_vmm_rate;
	double vmm_rate, vmm_window;
	/* times, CLOCK_MONOTONIC seconds */
	double t0, last_epoch, iv_start;
	char err[320];
};

static void say(const char *what)
{
	fprintf(stderr, "precopy-trace: %s\n", what);
}

/* Sleep until the absolute monotonic time `deadline` (seconds); a signal
 * ends it early. */
static void sleep_until(double deadline)
{
	struct timespec ts;

	ts.tv_sec = (time_t)deadline;
	ts.tv_nsec = (long)((deadline - ts.tv_sec) * 1e9);
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* Whether the traced VMM exits within 2 s (e.g. QEMU after a quit).
 * Returns true once it is gone. */
static bool vmm_exits(struct session *s)
{
	double end = clock_now_s() + 2;

	while (target__alive(&s->tg)) {
		if (clock_now_s() >= end)
			return false;
		sleep_until(clock_now_s() + 0.02);
	}
	return true;
}

/* The labels of every /metrics series (the VM: name and uuid from its
 * command line, as libvirt and KubeVirt label theirs, and pid) and those
 * of precopy_trace_info (what is traced, with which hooks). */
static void prom_labels(struct session *s)
{
	extern const char *argp_program_version;
	struct vm_ident id;
	char pid[16];

	vm_ident__from_pid(s->tg.pid, &id);
	snprintf(pid, sizeof(pid), "%d", (int)s->tg.pid);
	prom__label(s->labels, sizeof(s->labels), "name", id.name);
	prom__label(s->labels, sizeof(s->labels), "uuid", id.uuid);
	prom__label(s->labels, sizeof(s->labels), "pid", pid);
	prom__label(s->info_labels, sizeof(s->info_labels), "target",
		    s->tg.kind == TARGET_QEMU ? "qemu" : "precopy-vm");
	prom__label(s->info_labels, sizeof(s->info_labels), "hooks",
		    tracker__describe(s->tr));
	prom__label(s->info_labels, sizeof(s->info_labels), "version",
		    argp_program_version);
}

/* Phase 1: the VMM, the tracker and, for QEMU, its QMP and slot watch.
 * Returns 0 or -1 (said on stderr). */
static int open_target(struct session *s)
{
	const struct trace_options *o = s->o;
	struct tracker_opts topts = tracker_opts__default();
	const unsigned int functions = TRACKER_HOOK_BIT(PRECOPY_HOOK_FENTRY) |
				       TRACKER_HOOK_BIT(PRECOPY_HOOK_KPROBE);
	const unsigned int faults = TRACKER_HOOK_BIT(PRECOPY_HOOK_PAGE_FAULT) |
				    TRACKER_HOOK_BIT(PRECOPY_HOOK_FAST_PF);
	size_t n;
	int ret;

	if (o->domain) {
		pid_t pid = virsh__domain_pid(o->domain, NULL, s->err,
					      sizeof(s->err));

		ret = pid < 0 ? (int)pid
			      : target__open_pid(&s->tg, pid, s->err,
						 sizeof(s->err));
	} else if (o->pid)
		ret = target__open_pid(&s->tg, o->pid, s->err, sizeof(s->err));
	else
		ret = target__spawn_workload(&s->tg, o->workload ? o->workload
							       : "hotcold",
					     o->vm_opts, s->err, sizeof(s->err));
	if (ret)
		goto fail;
	topts.hooks = o->hooks;
	topts.verbose = o->verbose;
	s->tr = tracker__open(&topts, s->err, sizeof(s->err));
	if (!s->tr)
		goto fail;
	if (s->tg.kind == TARGET_QEMU) {
		s->qt = o->domain ?
			qemu_target__open_domain(s->tg.pid, o->domain, s->err,
						 sizeof(s->err)) :
			qemu_target__open(s->tg.pid, o->qmp, s->err,
					  sizeof(s->err));
		if (!s->qt || qemu_target__start(s->qt, o->interval_s,
						 &s->tg.map, s->err,
						 sizeof(s->err)))
			goto fail;
		if (!qemu_target__ring(s->qt) &&
		    !(tracker__hooks(s->tr) & functions)) {
			if (!(tracker__hooks(s->tr) & faults)) {
				say("QEMU logs dirty pages in a bitmap, which "
				    "no hook attached on this kernel can see; "
				    "start QEMU with -accel "
				    "kvm,dirty-ring-size=65536");
				return -1;
			}
			s->bitmap_warning = true;
		}
	} else if (o->qmp) {
		say("--qmp applies to QEMU only");
		return -1;
	}
	n = strlen(s->tg.desc);
	snprintf(s->tg.desc + n, sizeof(s->tg.desc) - n, ", %llu MiB in %u "
		 "memory slot%s", (unsigned long long)
		 (guest_map__ram_pages(&s->tg.map) * 4096 >> 20),
		 s->tg.map.nslots, s->tg.map.nslots == 1 ? "" : "s");
	if (s->http)
		prom_labels(s);
	s->vm = tracker__add_vm(s->tr, s->tg.pid, &s->tg.map);
	if (s->vm < 0) {
		fprintf(stderr, "precopy-trace: cannot track pid %d: %s\n",
			(int)s->tg.pid, strerror(-s->vm));
		return -1;
	}
	tracker__vcpu_stats(s->tr, s->vm, s->vprev);
	return 0;
fail:
	say(s->err);
	return -1;
}

/* Phase 2: statistics, trace, heatmap, report. Returns 0 or -1. */
static int open_outputs(struct session *s)
{
	const struct trace_options *o = s->o;
	uint64_t pages = guest_map__pages(&s->tg.map);

	s->prof = profile__new(pages, o->epoch_ms / 1e3, o->top);
	if (!s->prof)
		goto nomem;
	if (o->record) {
		s->rec = recorder__open(o->record, pages, "precopy-trace",
					o->epoch_ms * 1000ull, s->tg.desc,
					s->err, sizeof(s->err));
		if (!s->rec) {
			say(s->err);
			return -1;
		}
	}
	if (o->heatmap && !(s->heat = heatmap__new(pages, 2048)))
		goto nomem;
	s->out = live_report__new(o->json ? REPORT_JSON
				  : isatty(STDOUT_FILENO) ? REPORT_LIVE
							  : REPORT_LINES,
				  stdout);
	if (!s->out)
		goto nomem;
	live_report__banner(s->out, s->tg.desc, tracker__describe(s->tr),
			    pages);
	if (s->bitmap_warning)
		live_report__note(s->out, "warning: QEMU logs dirty pages in a "
				  "bitmap; only the fault hooks can see that, "
				  "and only on hardware-virtualised guests. If "
				  "no dirtying shows, start QEMU with -accel "
				  "kvm,dirty-ring-size=65536");
	return 0;
nomem:
	say("out of memory");
	return -1;
}

/* Phase 3a, every epoch: harvest the tracker into the statistics and the
 * trace. Returns 0 or -1. */
static int harvest_epoch(struct session *s, double now)
{
	const uint64_t *bm;
	uint64_t np;

	tracker__harvest(s->tr);
	bm = tracker__vm_bitmap(s->tr, s->vm, &np);
	profile__add_epoch(s->prof, bm, now - s->last_epoch);
	if (s->rec && recorder__epoch(s->rec, (uint64_t)((s->last_epoch -
							  s->t0) * 1e6), bm)) {
		say(recorder__error(s->rec));
		return -1;
	}
	s->last_epoch = now;
	return 0;
}

/* Per-vCPU page rates of the interval, from cumulative counters. */
static unsigned int vcpu_rates(struct session *s, double seconds,
			       struct report_vcpu *out)
{
	struct precopy_vcpu_stat cur[PRECOPY_MAX_VCPUS];
	unsigned int i, n = 0;

	if (tracker__vcpu_stats(s->tr, s->vm, cur))
		return 0;
	for (i = 0; i < PRECOPY_MAX_VCPUS; i++) {
		uint64_t d = cur[i].new_dirty - s->vprev[i].new_dirty;
		uint64_t e = cur[i].events - s->vprev[i].events;

		if (e && n < REPORT_MAX_VCPUS) {
			out[n].vcpu = i == PRECOPY_VCPU_UNKNOWN ? -1 : (int)i;
			out[n].pages_per_s = d / seconds;
			out[n].events_per_s = e / seconds;
			n++;
		}
		s->vprev[i] = cur[i];
	}
	return n;
}

/* The VMM changed its memory slots: retarget the tracker, and restart the
 * statistics when the VM's page count changed. Returns 0 or -1. */
static int update_vm(struct session *s)
{
	uint64_t pages = guest_map__pages(&s->tg.map);
	struct profile *fresh;
	int ret = tracker__update_vm(s->tr, s->vm, &s->tg.map);

	if (ret) {
		fprintf(stderr, "precopy-trace: cannot follow the VM's new "
			"memory map: %s\n", strerror(-ret));
		return -1;
	}
	if (pages == profile__pages(s->prof)) {
		live_report__note(s->out, "the VM's memory slots changed");
		return 0;
	}
	fresh = profile__new(pages, s->o->epoch_ms / 1e3, s->o->top);
	if (!fresh) {
		say("out of memory");
		return -1;
	}
	profile__free(s->prof);
	s->prof = fresh;
	live_report__note(s->out, "the VM's memory size changed: statistics "
			  "restart");
	return 0;
}

/* Phase 3b, every interval: the report, the heatmap row, /metrics, and
 * QEMU's next measurement window unless this is the last interval (a
 * window nobody reads would only switch QEMU's logging on and off once
 * more, and delay the exit by its length). Returns 0 or -1. */
static int report_interval(struct session *s, double now, bool last)
{
	const struct trace_options *o = s->o;
	struct report rep;
	unsigned int i;

	memset(&rep, 0, sizeof(rep));
	if (s->heat && heatmap__add_row(s->heat, now - s->t0, now - s->iv_start,
					profile__interval_bitmap(s->prof)) &&
	    !s->heat_full) {
		live_report__note(s->out, "heatmap full (or out of memory): "
				  "later intervals are not drawn");
		s->heat_full = true;
	}
	s->iv_start = now;
	profile__interval(s->prof, &rep.iv);
	s->dirty_total += rep.iv.dirty_pages;
	rep.dirty_pages_total = s->dirty_total;
	rep.elapsed_s = now - s->t0;
	rep.t_mono = now;
	rep.nvcpus = vcpu_rates(s, rep.iv.seconds, rep.vcpus);
	tracker__stats(s->tr, &rep.stats);
	rep.unmapped = tracker__unmapped_events(s->tr, s->vm, NULL);
	rep.fin.ram_pages = guest_map__ram_pages(&s->tg.map);
	rep.fin.page_size = 4096;
	rep.fin.bandwidth = o->bandwidth_mib * 1024 * 1024;
	rep.fin.downtime_limit = o->downtime_ms / 1e3;
	rep.fin.ws = rep.iv.curve;
	rep.forecast_ok = !forecast__qemu(&rep.fin, &rep.fc);
	for (i = 0; i < rep.nvcpus; i++)
		rep.events_per_s += rep.vcpus[i].events_per_s;
	if (s->qt) {
		rep.logging = qemu_target__logging(s->qt);
		rep.has_vmm_rate = s->have_vmm_rate;
		rep.vmm_rate_mib = s->vmm_rate;
		rep.vmm_window_s = s->vmm_window;
	}
	live_report__emit(s->out, &rep);
	if (s->qt && !last) {
		bool changed = false;

		if (qemu_target__next_window(s->qt, &s->tg.map, &changed,
					     s->err, sizeof(s->err))) {
			if (vmm_exits(s))	/* the loop sees it exited */
				return 0;
			say(s->err);
			return -1;
		}
		if (changed && update_vm(s))
			return -1;
	}
	if (s->http) {
		char *body;
		size_t len;

		if (!report_prometheus(&rep, s->labels, s->info_labels, &body,
				       &len)) {
			metrics_http__set(s->http, body, len);
			free(body);
		}
	}
	return 0;
}


/* Phase 3: epochs and intervals until COUNT, the VMM's exit or a signal.
 * Returns 0 or -1. */
static int trace_loop(struct session *s)
{
	const struct trace_options *o = s->o;
	double next_epoch, next_interval;
	long intervals = 0;

	tracker__harvest(s->tr); /* start the first epoch now */
	s->t0 = s->last_epoch = s->iv_start = clock_now_s();
	next_epoch = s->t0 + o->epoch_ms / 1e3;
	next_interval = s->t0 + o->interval_s;
	while (!cli_exiting) {
		bool alive, interval_end;

		sleep_until(next_epoch);
		if (cli_exiting)
			break;
		alive = target__alive(&s->tg);
		interval_end = next_epoch + 1e-3 >= next_interval || !alive;
		/* QEMU's measurement window must end inside this interval. */
		if (interval_end && s->qt &&
		    qemu_target__end_window(s->qt, &s->vmm_rate,
					    &s->have_vmm_rate, &s->vmm_window,
					    s->err, sizeof(s->err))) {
			/* QEMU closes its QMP sockets as it quits: a VM
			 * that exits now ends the trace, it is no error */
			if (!vmm_exits(s)) {
				say(s->err);
				return -1;
			}
			s->have_vmm_rate = false;
			alive = false;
		}
		if (harvest_epoch(s, clock_now_s()))
			return -1;
		next_epoch += o->epoch_ms / 1e3;
		if (!interval_end)
			continue;
		if (report_interval(s, s->last_epoch,
				    o->count && intervals + 1 >= o->count))
			return -1;
		next_interval += o->interval_s;
		if (o->count && ++intervals >= o->count)
			break;
		if (!alive) {
			live_report__note(s->out, "the VM process exited");
			break;
		}
	}
	return 0;
}

/* Phase 4: finish the trace and the heatmap when all went well (else
 * discard the trace), and release everything. Returns the status. */
static int session_close(struct session *s, int status)
{
	if (s->rec && !status) {
		if (recorder__close(s->rec, (uint64_t)((clock_now_s() - s->t0) *
						       1e6),
				    s->err, sizeof(s->err))) {
			say(s->err);
			status = 1;
		}
	} else {
		recorder__discard(s->rec);
	}
	if (s->heat && !status) {
		char title[256];

		snprintf(title, sizeof(title), "precopy-trace: %s", s->tg.desc);
		if (heatmap__write_svg(s->heat, s->o->heatmap, title, s->err,
				       sizeof(s->err))) {
			say(s->err);
			status = 1;
		}
	}
	heatmap__free(s->heat);
	metrics_http__close(s->http);
	qemu_target__close(s->qt);
	live_report__free(s->out);
	profile__free(s->prof);
	if (s->vm >= 0)
		tracker__remove_vm(s->tr, s->vm);
	target__close(&s->tg);
	tracker__close(s->tr);
	return status;
}

int vm_mode__run(const struct trace_options *o)
{
	struct session s = { .o = o, .tg = { .pidfd = -1 }, .vm = -1 };
	int status = 1;

	if (!caps_can_trace(s.err, sizeof(s.err))) {
		fprintf(stderr, "precopy-trace: needs %s to load the "
			"tracker\n", s.err);
		return 1;
	}
	if (o->prometheus &&
	    !(s.http = metrics_http__open(o->prometheus, s.err,
					  sizeof(s.err)))) {
		say(s.err);
		return 1;
	}
	if (!open_target(&s) && !open_outputs(&s) && !trace_loop(&s))
		status = 0;
	return session_close(&s, status);
}
