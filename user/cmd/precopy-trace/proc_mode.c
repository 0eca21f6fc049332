// SPDX-License-Identifier: GPL-2.0
/* proc_mode.c - precopy-trace's process mode (see proc_mode.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "live/forecast.h"
#include "proc/proc_track.h"
#include "proc_mode.h"
#include "proc/proc_trace.h"
#include "live/profile.h"
#include "live/recorder.h"
#include "tracefile/trace_pagemap.h"
#include "live/live_report.h"
#include "tracefile/trace.h"

#define MAX_LIST 64

static void join_argv(char *const *argv, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; *argv && n + 1 < len; argv++)
		n += snprintf(buf + n, len - n, "%s%s", n ? " " : "", *argv);
}

/* "pid:name pid:name..." of every process traced, cut to fit. */
static void proc_list(const struct proc_trace *pt, char *buf, size_t len)
{
	struct proc_trace_proc pr[MAX_LIST];
	unsigned int n = proc_trace__procs(pt, pr, MAX_LIST), i;
	size_t used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && used + 1 < len; i++) {
		used += snprintf(buf + used, len - used, "%s%d:%s",
				 i ? " " : "", (int)pr[i].pid, pr[i].comm);
	}
	if (used >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

/* Rewrite the temporary native trace `tmp` as `path` with pages= `pages`
 * and the extra metadata. Returns 0 or -errno with err set. */
struct map_acc {
	struct trace_pagemap_range *r;
	size_t n, cap;
	bool oom;
};

static void map_add(void *arg, pid_t pid, uint64_t start, uint64_t end,
		    uint64_t page)
{
	struct map_acc *a = arg;

	if (a->n == a->cap) {
		size_t nc = a->cap ? 2 * a->cap : 64;
		void *p = realloc(a->r, nc * sizeof(*a->r));

		if (!p) {
			a->oom = true;
			return;
		}
		a->r = p;
		a->cap = nc;
	}
	a->r[a->n++] = (struct trace_pagemap_range){
		.page = page, .pages = (end - start) / 4096, .addr = start,
		.pid = (int32_t)pid,
	};
}

/* The trace's page map (tracefile/trace_pagemap.h): every process's pieces
 * of page space. Returns 0 or -errno with the reason in err. */
static int write_page_map(const struct proc_trace *pt, const char *path,
			  uint64_t pages, char *err, size_t errlen)
{
	struct map_acc a = { 0 };
	int ret;

	proc_trace__each_piece(pt, map_add, &a);
	if (a.oom) {
		free(a.r);
		snprintf(err, errlen, "page map: out of memory");
		return -ENOMEM;
	}
	ret = trace_pagemap__write(path, 4096, pages ? pages : 1, a.r, a.n,
				   err, errlen);
	free(a.r);
	return ret;
}

static int publish(const char *tmp, const char *path, uint64_t pages,
		   const char *const meta[][2], char *err, size_t errlen)
{
	enum trace_format fmt = trace_format__of_path(path);
	struct trace_reader *r;
	struct trace_writer *w = NULL;
	struct trace_header hdr;
	struct trace_event ev;
	const struct trace_header *in;
	unsigned int i;
	int ret;

	r = trace_reader__open(tmp, err, errlen);
	if (!r)
		return -errno;
	in = trace_reader__header(r);
	if (trace_header__init(&hdr, in->page_size, pages ? pages : 1)) {
		snprintf(err, errlen, "bad page count %" PRIu64, pages);
		ret = -EINVAL;
		goto out;
	}
	for (i = 0; i < in->meta_cnt; i++)
		trace_header__set(&hdr, in->meta[i].key, in->meta[i].value);
	for (i = 0; meta[i][0]; i++)
		trace_header__set(&hdr, meta[i][0], meta[i][1]);
	w = trace_writer__open(path, fmt, &hdr);
	if (!w) {
		ret = -errno;
		snprintf(err, errlen, "cannot create %s: %s", path,
			 strerror(errno));
		goto out;
	}
	while ((ret = trace_reader__next(r, &ev)) == 1) {
		if (ev.kind == TRACE_EV_WRITE)
			ret = trace_writer__write_event(w, ev.t_us, ev.page);
		else if (ev.kind == TRACE_EV_EPOCH)
			ret = trace_writer__mark_epoch(w, ev.t_us);
		else
			ret = trace_writer__mark_end(w, ev.t_us);
		if (ret) {
			snprintf(err, errlen, "writing %s: %s", path,
				 trace_writer__error(w));
			goto out;
		}
	}
	if (ret < 0) {
		snprintf(err, errlen, "re-reading %.200s: %.200s", tmp,
			 trace_reader__error(r));
		goto out;
	}
	ret = trace_writer__close(w);
	w = NULL;
	if (ret)
		snprintf(err, errlen, "writing %s: %s", path, strerror(-ret));
out:
	trace_writer__discard(w);
	trace_reader__close(r);
	return ret;
}

static void fill_report(struct report *rep, const struct proc_mode_opts *o,
			struct proc_trace *pt, struct profile *prof, double t0,
			double now, uint64_t pages)
{
	struct proc_track_stats s;

	memset(rep, 0, sizeof(*rep));
	profile__interval(prof, &rep->iv);
	rep->elapsed_s = now - t0;
	rep->t_mono = now;
	if (!proc_track__stats(proc_trace__tracker(pt), &s)) {
		rep->stats.events[PRECOPY_HOOK_PAGE_FAULT] = s.writes;
		rep->stats.new_dirty = s.new_dirty;
		rep->stats.not_write = s.not_write;
		rep->unmapped = s.no_range;
	}
	rep->fin.ram_pages = pages;
	rep->fin.page_size = 4096;
	rep->fin.bandwidth = o->bandwidth_mib * 1024 * 1024;
	rep->fin.downtime_limit = o->downtime_ms / 1e3;
	rep->fin.ws = rep->iv.curve;
	rep->forecast_ok = !forecast__qemu(&rep->fin, &rep->fc);
	rep->logging = "userfaultfd async write-protect, re-armed every "
		       "epoch with PAGEMAP_SCAN";
}

static void truth_note(struct live_report *out, struct proc_trace *pt)
{
	struct proc_trace_totals t;
	char line[320];

	proc_trace__totals(pt, &t);
	snprintf(line, sizeof(line),
		 "truth: %" PRIu64 "/%" PRIu64 " epochs BPF == PAGEMAP_SCAN; "
		 "pages bpf %" PRIu64 " scan %" PRIu64 " (racing %" PRIu64
		 ", missed %" PRIu64 "), unknown %" PRIu64 ", lost %" PRIu64
		 "; processes %" PRIu64, t.exact_epochs, t.epochs, t.bpf,
		 t.written, t.racing, t.missed, t.unknown, t.lost, t.checkins);
	live_report__note(out, line);
}

int proc_mode__run(const struct proc_mode_opts *o)
{
	struct proc_trace_opts po = proc_trace_opts__default();
	struct proc_trace *pt = NULL;
	struct live_report *out = NULL;
	struct recorder *rec = NULL;
	struct profile *prof = NULL;
	struct proc_trace_epoch ep;
	FILE *rf = stdout;
	char err[512], cmd[1024], tmp[4200], banner[1100];
	double t0, now, ep_start, prev_start = 0, prev_len = 0, next_epoch,
		next_interval, epoch_s = o->epoch_ms / 1e3;
	uint64_t pages = 0, faults_ns = 0, faults_n = 0;
	long intervals = 0;
	int status = 1, cmd_status = 0, ret;
	bool cmd_done = false;

	join_argv(o->argv, cmd, sizeof(cmd));
	if (o->output) {
		rf = fopen(o->output, "w");
		if (!rf) {
			fprintf(stderr, "precopy-trace: %s: %s\n", o->output,
				strerror(errno));
			return 1;
		}
	}
	po.argv = o->argv;
	po.preload = o->preload;
	po.user = o->user;
	po.follow = o->follow;
	po.verbose = o->verbose;
	if (o->checkin_ms)
		po.checkin_ms = o->checkin_ms;
	if (o->capacity_pages)
		po.capacity_pages = o->capacity_pages;
	pt = proc_trace__start(&po, err, sizeof(err));
	if (!pt) {
		fprintf(stderr, "precopy-trace: %s\n", err);
		goto cleanup;
	}
	prof = profile__new(proc_trace__capacity(pt), epoch_s, o->top);
	if (!prof) {
		fprintf(stderr, "precopy-trace: out of memory\n");
		goto cleanup;
	}
	if (o->record) {
		snprintf(tmp, sizeof(tmp), "%s.part.pctrace", o->record);
		rec = recorder__open(tmp, proc_trace__capacity(pt),
				     "precopy-trace", o->epoch_ms * 1000ull,
				     cmd, err, sizeof(err));
		if (!rec) {
			fprintf(stderr, "precopy-trace: %s\n", err);
			goto cleanup;
		}
	}
	out = live_report__new(o->json ? REPORT_JSON
			      : isatty(fileno(rf)) ? REPORT_LIVE
						   : REPORT_LINES, rf);
	if (!out) {
		fprintf(stderr, "precopy-trace: out of memory\n");
		goto cleanup;
	}
	snprintf(banner, sizeof(banner), "process %d: %s",
		 (int)proc_trace__command_pid(pt), cmd);
	{
		struct proc_trace_proc first;

		/* Pages registered at check-in; the space grows from there. */
		if (proc_trace__procs(pt, &first, 1) != 1)
			first.pages = 0;
		live_report__banner(out, banner, proc_trace__describe(pt),
				   first.pages);
	}

	t0 = ep_start = clock_now_s();
	next_epoch = t0 + epoch_s;
	next_interval = t0 + o->interval_s;
	while (!*o->exiting) {
		ret = proc_trace__wait(pt, next_epoch);
		if (ret == -EINTR && *o->exiting)
			break;
		if (clock_now_s() < next_epoch && !proc_trace__command_exited(pt, NULL))
			continue;
		now = clock_now_s();
		if (proc_trace__epoch(pt, &ep)) {
			fprintf(stderr, "precopy-trace: out of memory\n");
			goto cleanup;
		}
		pages = ep.pages;
		if (ep.have_final) {
			profile__add_epoch(prof, ep.final, prev_len);
			if (rec && recorder__epoch(rec, (uint64_t)((prev_start -
								    t0) * 1e6),
						   ep.final)) {
				fprintf(stderr, "precopy-trace: %s\n",
					recorder__error(rec));
				goto cleanup;
			}
		}
		prev_start = ep_start;
		prev_len = now - ep_start;
		ep_start = now;
		next_epoch += epoch_s;
		if (next_epoch < now)
			next_epoch = now + epoch_s; /* fell behind: skip */
		cmd_done = proc_trace__command_exited(pt, &cmd_status);
		if (now + 1e-3 < next_interval && !cmd_done)
			continue;
		if (intervals || ep.index > 0) {
			struct report rep;

			fill_report(&rep, o, pt, prof, t0, now, pages);
			if (rep.iv.epochs)
				live_report__emit(out, &rep);
		}
		next_interval += o->interval_s;
		if (cmd_done || (o->count && ++intervals >= o->count))
			break;
	}
	/* The last epoch: nothing comes after it to tell racing pages. */
	{
		const uint64_t *fin;
		uint64_t np;

		if (!proc_trace__final_last(pt, &fin, &np)) {
			profile__add_epoch(prof, fin, prev_len);
			if (rec && recorder__epoch(rec, (uint64_t)((prev_start -
								    t0) * 1e6),
						   fin)) {
				fprintf(stderr, "precopy-trace: %s\n",
					recorder__error(rec));
				goto cleanup;
			}
		}
	}
	now = clock_now_s();
	proc_track__prog_stats(proc_trace__tracker(pt), &faults_ns, &faults_n);
	truth_note(out, pt);
	if (faults_n) {
		snprintf(err, sizeof(err), "BPF cost: %.0f ns per fault over "
			 "%" PRIu64 " faults", (double)faults_ns / faults_n,
			 faults_n);
		live_report__note(out, err);
	}
	if (rec) {
		char procs[TRACE_META_VAL_MAX + 1], truth[200], eus[32],
			dur[32], map_path[PATH_MAX];
		char map_base[TRACE_META_VAL_MAX + 1];
		struct proc_trace_totals t;
		const char *meta[][2] = {
			{ "mode", "process" },
			{ "page_identity", "index of the page in the ranges "
			  "registered for write protection, in order of first "
			  "registration (per process, address order within one "
			  "scan); never reused" },
			{ "processes", procs },
			{ "bpf_vs_scan", truth },
			{ "duration_us", dur },
			{ "epoch_us", eus },
			{ "page_map", map_base },
			{ NULL, NULL },
		};
		const char *slash;

		/* the page map beside the trace: page numbers to addresses */
		snprintf(map_path, sizeof(map_path), "%s" TRACE_PAGEMAP_SUFFIX,
			 o->record);
		slash = strrchr(map_path, '/');
		snprintf(map_base, sizeof(map_base), "%.*s",
			 TRACE_META_VAL_MAX, slash ? slash + 1 : map_path);
		proc_trace__totals(pt, &t);
		proc_list(pt, procs, sizeof(procs));
		snprintf(truth, sizeof(truth), "exact_epochs=%" PRIu64 "/%"
			 PRIu64 " racing=%" PRIu64 " missed=%" PRIu64
			 " unknown=%" PRIu64 " lost=%" PRIu64, t.exact_epochs,
			 t.epochs, t.racing, t.missed, t.unknown, t.lost);
		snprintf(eus, sizeof(eus), "%u", o->epoch_ms * 1000);
		snprintf(dur, sizeof(dur), "%" PRIu64,
			 (uint64_t)((now - t0) * 1e6));
		ret = recorder__close(rec, (uint64_t)((now - t0) * 1e6), err,
				      sizeof(err));
		rec = NULL;
		if (!ret)
			ret = publish(tmp, o->record, pages, meta, err,
				      sizeof(err));
		unlink(tmp);
		if (!ret)
			ret = write_page_map(pt, map_path, pages, err,
					     sizeof(err));
		if (ret) {
			fprintf(stderr, "precopy-trace: %s\n", err);
			goto cleanup;
		}
	}
	status = 0;
cleanup:
	recorder__discard(rec);
	if (pt) {
		proc_trace__detach(pt);
		if (!proc_trace__command_exited(pt, &cmd_status) && !o->keep)
			proc_trace__stop(pt, SIGTERM, 5000, &cmd_status);
		if (out && proc_trace__command_exited(pt, NULL)) {
			snprintf(err, sizeof(err), "the command %s",
				 WIFEXITED(cmd_status) ? "exited" : "died");
			if (WIFEXITED(cmd_status))
				snprintf(err + strlen(err), 64,
					 " with status %d",
					 WEXITSTATUS(cmd_status));
			else
				snprintf(err + strlen(err), 64,
					 " of signal %d", WTERMSIG(cmd_status));
			live_report__note(out, err);
		}
		if (o->keep && !proc_trace__command_exited(pt, NULL)) {
			/* Leave it running: forget it without a kill. */
			live_report__note(out, "the command runs on, untraced");
		}
	}
	live_report__free(out);
	profile__free(prof);
	if (!(o->keep && pt && !proc_trace__command_exited(pt, NULL)))
		proc_trace__free(pt);
	else
		proc_trace__release(pt);
	if (rf != stdout)
		fclose(rf);
	return status;
}
