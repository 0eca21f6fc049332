// SPDX-License-Identifier: GPL-2.0
/* procmode.c - precopy-trace's process mode (see procmode.h). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "forecast.h"
#include "pftrack.h"
#include "procmode.h"
#include "proctrace.h"
#include "profile.h"
#include "recorder.h"
#include "report.h"
#include "trace.h"

#define MAX_LIST 64

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void join_argv(char *const *argv, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; *argv && n + 1 < len; argv++)
		n += snprintf(buf + n, len - n, "%s%s", n ? " " : "", *argv);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* "pid:name pid:name..." of every process traced, cut to fit. */
static void proc_list(const struct proctrace *pt, char *buf, size_t len)
{
	struct proctrace_proc pr[MAX_LIST];
	unsigned int n = proctrace__procs(pt, pr, MAX_LIST), i;
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
static int publish(const char *tmp, const char *path, uint64_t pages,
		   const char *const meta[][2], char *err, size_t errlen)
{
	enum trace_format fmt = TRACE_FMT_TEXT;
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
	if (ends_with(path, ".gz"))
		fmt = TRACE_FMT_TEXT_GZ;
	else if (ends_with(path, ".pctrace"))
		fmt = TRACE_FMT_NATIVE;
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

static void fill_report(struct report *rep, const struct procmode_opts *o,
			struct proctrace *pt, struct profile *prof, double t0,
			double now, uint64_t pages)
{
	struct pftrack_stats s;

	memset(rep, 0, sizeof(*rep));
	profile__interval(prof, &rep->iv);
	rep->elapsed_s = now - t0;
	if (!pftrack__stats(proctrace__tracker(pt), &s)) {
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

static void truth_note(struct report_out *out, struct proctrace *pt)
{
	struct proctrace_totals t;
	char line[320];

	proctrace__totals(pt, &t);
	snprintf(line, sizeof(line),
		 "truth: %" PRIu64 "/%" PRIu64 " epochs BPF == PAGEMAP_SCAN; "
		 "pages bpf %" PRIu64 " scan %" PRIu64 " (racing %" PRIu64
		 ", missed %" PRIu64 "), unknown %" PRIu64 ", lost %" PRIu64
		 "; processes %" PRIu64, t.exact_epochs, t.epochs, t.bpf,
		 t.written, t.racing, t.missed, t.unknown, t.lost, t.checkins);
	report_out__note(out, line);
}

int procmode__run(const struct procmode_opts *o)
{
	struct proctrace_opts po = proctrace_opts__default();
	struct proctrace *pt = NULL;
	struct report_out *out = NULL;
	struct recorder *rec = NULL;
	struct profile *prof = NULL;
	struct proctrace_epoch ep;
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
	pt = proctrace__start(&po, err, sizeof(err));
	if (!pt) {
		fprintf(stderr, "precopy-trace: %s\n", err);
		goto cleanup;
	}
	prof = profile__new(proctrace__capacity(pt), epoch_s, o->top);
	if (!prof) {
		fprintf(stderr, "precopy-trace: out of memory\n");
		goto cleanup;
	}
	if (o->record) {
		snprintf(tmp, sizeof(tmp), "%s.part.pctrace", o->record);
		rec = recorder__open(tmp, proctrace__capacity(pt),
				     "precopy-trace", o->epoch_ms * 1000ull,
				     cmd, err, sizeof(err));
		if (!rec) {
			fprintf(stderr, "precopy-trace: %s\n", err);
			goto cleanup;
		}
	}
	out = report_out__new(o->json ? REPORT_JSON
			      : isatty(fileno(rf)) ? REPORT_LIVE
						   : REPORT_LINES, rf);
	if (!out) {
		fprintf(stderr, "precopy-trace: out of memory\n");
		goto cleanup;
	}
	snprintf(banner, sizeof(banner), "process %d: %s",
		 (int)proctrace__command_pid(pt), cmd);
	{
		struct proctrace_proc first;

		/* Pages registered at check-in; the space grows from there. */
		if (proctrace__procs(pt, &first, 1) != 1)
			first.pages = 0;
		report_out__banner(out, banner, proctrace__describe(pt),
				   first.pages);
	}

	t0 = ep_start = now_s();
	next_epoch = t0 + epoch_s;
	next_interval = t0 + o->interval_s;
	while (!*o->exiting) {
		ret = proctrace__wait(pt, next_epoch);
		if (ret == -EINTR && *o->exiting)
			break;
		if (now_s() < next_epoch && !proctrace__command_exited(pt, NULL))
			continue;
		now = now_s();
		if (proctrace__epoch(pt, &ep)) {
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
		cmd_done = proctrace__command_exited(pt, &cmd_status);
		if (now + 1e-3 < next_interval && !cmd_done)
			continue;
		if (intervals || ep.index > 0) {
			struct report rep;

			fill_report(&rep, o, pt, prof, t0, now, pages);
			if (rep.iv.epochs)
				report_out__emit(out, &rep);
		}
		next_interval += o->interval_s;
		if (cmd_done || (o->count && ++intervals >= o->count))
			break;
	}
	/* The last epoch: nothing comes after it to tell racing pages. */
	{
		const uint64_t *fin;
		uint64_t np;

		if (!proctrace__final_last(pt, &fin, &np)) {
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
	now = now_s();
	pftrack__prog_stats(proctrace__tracker(pt), &faults_ns, &faults_n);
	truth_note(out, pt);
	if (faults_n) {
		snprintf(err, sizeof(err), "BPF cost: %.0f ns per fault over "
			 "%" PRIu64 " faults", (double)faults_ns / faults_n,
			 faults_n);
		report_out__note(out, err);
	}
	if (rec) {
		char procs[TRACE_META_VAL_MAX + 1], truth[200], eus[32],
			dur[32];
		struct proctrace_totals t;
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
			{ NULL, NULL },
		};

		proctrace__totals(pt, &t);
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
		if (ret) {
			fprintf(stderr, "precopy-trace: %s\n", err);
			goto cleanup;
		}
	}
	status = 0;
cleanup:
	recorder__discard(rec);
	if (pt) {
		proctrace__detach(pt);
		if (!proctrace__command_exited(pt, &cmd_status) && !o->keep)
			proctrace__stop(pt, SIGTERM, 5000, &cmd_status);
		if (out && proctrace__command_exited(pt, NULL)) {
			snprintf(err, sizeof(err), "the command %s",
				 WIFEXITED(cmd_status) ? "exited" : "died");
			if (WIFEXITED(cmd_status))
				snprintf(err + strlen(err), 64,
					 " with status %d",
					 WEXITSTATUS(cmd_status));
			else
				snprintf(err + strlen(err), 64,
					 " of signal %d", WTERMSIG(cmd_status));
			report_out__note(out, err);
		}
		if (o->keep && !proctrace__command_exited(pt, NULL)) {
			/* Leave it running: forget it without a kill. */
			report_out__note(out, "the command runs on, untraced");
		}
	}
	report_out__free(out);
	profile__free(prof);
	if (!(o->keep && pt && !proctrace__command_exited(pt, NULL)))
		proctrace__free(pt);
	else
		proctrace__release(pt);
	if (rf != stdout)
		fclose(rf);
	return status;
}
