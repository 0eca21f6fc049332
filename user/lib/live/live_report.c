// SPDX-License-Identifier: GPL-2.0
/* report.c - precopy-trace's per-interval report (see report.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "live_report.h"
#include "util/prom.h"

#define MIB (1024.0 * 1024.0)

struct live_report {
	enum report_form form;
	FILE *f;
	char target[160];
	char hooks[640];
	uint64_t pages;
};

struct live_report *live_report__new(enum report_form form, FILE *f)
{
	struct live_report *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->form = form;
	o->f = f;
	return o;
}

void live_report__free(struct live_report *o)
{
	free(o);
}

void live_report__banner(struct live_report *o, const char *target,
			const char *hooks, uint64_t pages)
{
	snprintf(o->target, sizeof(o->target), "%s", target);
	snprintf(o->hooks, sizeof(o->hooks), "%s", hooks);
	o->pages = pages;
	if (o->form == REPORT_JSON) {
		fprintf(o->f, "{\"version\":%d,\"type\":\"start\",\"target\":",
			TRACE_JSON_VERSION);
		json_write_str(o->f, target);
		fprintf(o->f, ",\"hooks\":");
		json_write_str(o->f, hooks);
		fprintf(o->f, ",\"pages\":%" PRIu64 "}\n", pages);
	} else {
		fprintf(o->f, "Tracing %s; page space %" PRIu64 " pages\n%s\n",
			target, pages, hooks);
	}
	fflush(o->f);
}

void live_report__note(struct live_report *o, const char *text)
{
	if (o->form == REPORT_JSON) {
		fprintf(o->f, "{\"version\":%d,\"type\":\"note\",\"text\":",
			TRACE_JSON_VERSION);
		json_write_str(o->f, text);
		fprintf(o->f, "}\n");
	} else {
		fprintf(o->f, "%s\n", text);
	}
	fflush(o->f);
}

static const char *ws_str(char *buf, size_t len, uint64_t v, bool full)
{
	if (full)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "%" PRIu64 "+", v);
	return buf;
}

static void forecast_text(FILE *f, const struct report *r)
{
	const struct forecast *fc = &r->fc;

	fprintf(f, "forecast @ %.0f MiB/s, %.0f ms: ", r->fin.bandwidth / MIB,
		r->fin.downtime_limit * 1e3);
	if (!r->forecast_ok) {
		fprintf(f, "no data");
	} else if (fc->converges) {
		fprintf(f, "converges in %u iteration%s, total %.2f s, "
			"downtime %.0f ms, %" PRIu64 " pages sent", fc->iterations,
			fc->iterations == 1 ? "" : "s",
			fc->total_s, fc->downtime_s * 1e3, fc->pages_sent);
	} else {
		fprintf(f, "WILL NOT CONVERGE (%" PRIu64 " pages redirtied "
			"per iteration)", fc->steady_pages);
		if (fc->needed_bandwidth > 0)
			fprintf(f, "; needs %.0f MiB/s",
				ceil(fc->needed_bandwidth / MIB));
	}
}

static void emit_lines(struct live_report *o, const struct report *r)
{
	const struct profile_interval *iv = &r->iv;
	char a[32], b[32];
	unsigned int i;

	fprintf(o->f, "[%7.1fs] %.0f pages/s %.1f MiB/s | ws 1s=%" PRIu64
		" 10s=%s 60s=%s | top", r->elapsed_s, iv->pages_per_s,
		iv->mib_per_s, iv->ws_1s,
		ws_str(a, sizeof(a), iv->ws_10s, iv->ws_10s_full),
		ws_str(b, sizeof(b), iv->ws_60s, iv->ws_60s_full));
	for (i = 0; i < iv->ntop && i < 3; i++)
		fprintf(o->f, " 0x%" PRIx64 ":%" PRIu64, iv->top[i].region << 21,
			iv->top[i].pages);
	fprintf(o->f, " (%.0f%%) | run %.1f nb %.0f%% | ", iv->top_share * 100,
		iv->mean_run, iv->neighbour_share * 100);
	forecast_text(o->f, r);
	fprintf(o->f, " | drops %" PRIu64 "\n", r->unmapped);
}

static void emit_live(struct live_report *o, const struct report *r)
{
	const struct profile_interval *iv = &r->iv;
	char a[32], b[32];
	unsigned int i;

	fprintf(o->f, "\033[H\033[J");
	fprintf(o->f, "precopy-trace: %s; page space %" PRIu64 " pages\n"
		"%s\n", o->target, o->pages, o->hooks);
	if (r->logging)
		fprintf(o->f, "dirty logging: %s\n", r->logging);
	fprintf(o->f, "\nelapsed %.1f s, interval %.2f s (%u epochs)\n\n",
		r->elapsed_s, iv->seconds, iv->epochs);
	fprintf(o->f, "dirty rate    %12.0f pages/s  %10.1f MiB/s  "
		"(%.0f events/s)\n", iv->pages_per_s, iv->mib_per_s,
		r->events_per_s);
	if (r->has_vmm_rate)
		fprintf(o->f, "QEMU measured %10.1f MiB/s of dirty-log entries "
			"in its last window\n", r->vmm_rate_mib);
	fprintf(o->f, "working set   1 s %-10" PRIu64 " 10 s %-10s 60 s %s\n",
		iv->ws_1s, ws_str(a, sizeof(a), iv->ws_10s, iv->ws_10s_full),
		ws_str(b, sizeof(b), iv->ws_60s, iv->ws_60s_full));
	fprintf(o->f, "locality      mean run %.1f pages, %.0f%% of dirty "
		"pages have a dirty neighbour\n", iv->mean_run,
		iv->neighbour_share * 100);
	fprintf(o->f, "\nhottest 2 MiB regions (%.0f%% of dirty pages):\n",
		iv->top_share * 100);
	for (i = 0; i < iv->ntop; i++)
		fprintf(o->f, "  gpa 0x%010" PRIx64 "  %4" PRIu64
			" pages  %5.1f%%\n", iv->top[i].region << 21,
			iv->top[i].pages,
			iv->dirty_pages ? 100.0 * iv->top[i].pages /
						  iv->dirty_pages : 0);
	fprintf(o->f, "\nper vCPU (pages it dirtied first in their epoch):\n");
	for (i = 0; i < r->nvcpus; i++) {
		if (r->vcpus[i].vcpu < 0)
			fprintf(o->f, "  (unattributed)");
		else
			fprintf(o->f, "  vCPU %-3d      ", r->vcpus[i].vcpu);
		fprintf(o->f, " %10.0f pages/s %12.0f events/s\n",
			r->vcpus[i].pages_per_s, r->vcpus[i].events_per_s);
	}
	fprintf(o->f, "\n");
	forecast_text(o->f, r);
	fprintf(o->f, "\n\ndrops: %" PRIu64 " events in unknown memory slots\n",
		r->unmapped);
}

/* Write r as one JSON object without a newline. */
static void report_json(FILE *f, const struct report *r)
{
	const struct profile_interval *iv = &r->iv;
	const struct forecast *fc = &r->fc;
	unsigned int i;

	fprintf(f, "{\"version\":%d,\"type\":\"interval\",\"elapsed_s\":%.3f,"
		"\"t_mono_s\":%.6f,\"interval_s\":%.3f,\"epochs\":%u,"
		"\"longest_epoch_ms\":%.1f,"
		"\"dirty_pages\":%" PRIu64 ",\"dirty_pages_per_s\":%.1f,"
		"\"dirty_mib_per_s\":%.3f,", TRACE_JSON_VERSION, r->elapsed_s,
		r->t_mono, iv->seconds, iv->epochs, iv->longest_epoch_s * 1e3,
		iv->dirty_pages, iv->pages_per_s, iv->mib_per_s);
	fprintf(f, "\"working_set\":{\"1s_pages\":%" PRIu64 ",\"10s_pages\":%"
		PRIu64 ",\"60s_pages\":%" PRIu64 ",\"10s_complete\":%s,\"60s_complete\":%s},",
		iv->ws_1s, iv->ws_10s, iv->ws_60s,
		iv->ws_10s_full ? "true" : "false",
		iv->ws_60s_full ? "true" : "false");
	fprintf(f, "\"top_regions\":[");
	for (i = 0; i < iv->ntop; i++)
		fprintf(f, "%s{\"gpa\":%" PRIu64 ",\"pages\":%" PRIu64
			",\"share\":%.4f}", i ? "," : "", iv->top[i].region << 21,
			iv->top[i].pages,
			iv->dirty_pages ? (double)iv->top[i].pages /
						  iv->dirty_pages : 0);
	fprintf(f, "],\"top_share\":%.4f,", iv->top_share);
	fprintf(f, "\"vcpus\":[");
	for (i = 0; i < r->nvcpus; i++) {
		fprintf(f, "%s{\"vcpu\":", i ? "," : "");
		if (r->vcpus[i].vcpu < 0)
			fprintf(f, "null");
		else
			fprintf(f, "%d", r->vcpus[i].vcpu);
		fprintf(f, ",\"pages_per_s\":%.1f,\"events_per_s\":%.1f}",
			r->vcpus[i].pages_per_s, r->vcpus[i].events_per_s);
	}
	fprintf(f, "],\"locality\":{\"mean_run_pages\":%.3f,\"neighbour_share\":"
		"%.4f},", iv->mean_run, iv->neighbour_share);
	fprintf(f, "\"forecast\":{\"bandwidth_mib_per_s\":%.3f,"
		"\"downtime_limit_ms\":%.1f,", r->fin.bandwidth / MIB,
		r->fin.downtime_limit * 1e3);
	if (!r->forecast_ok)
		fprintf(f, "\"converges\":null");
	else if (fc->converges)
		fprintf(f, "\"converges\":true,\"iterations\":%u,"
			"\"total_time_ms\":%.1f,\"downtime_ms\":%.1f,"
			"\"sent_pages\":%" PRIu64, fc->iterations,
			fc->total_s * 1e3, fc->downtime_s * 1e3, fc->pages_sent);
	else
	{
		fprintf(f, "\"converges\":false,\"steady_pages\":%" PRIu64
			",\"needed_bandwidth_mib_per_s\":", fc->steady_pages);
		if (fc->needed_bandwidth > 0)
			fprintf(f, "%.3f", fc->needed_bandwidth / MIB);
		else
			fprintf(f, "null");
	}
	fprintf(f, "},\"drops\":{\"unknown_slot\":%" PRIu64
		"},\"events_per_s\":%.1f,\"vmm_dirty_mib_per_s\":",
		r->unmapped, r->events_per_s);
	if (r->has_vmm_rate)
		fprintf(f, "%.3f,\"vmm_window_s\":%.3f", r->vmm_rate_mib,
			r->vmm_window_s);
	else
		fprintf(f, "null");
	if (r->logging) {
		fprintf(f, ",\"logging\":");
		json_write_str(f, r->logging);
	}
	fprintf(f, "}");
}

void live_report__emit(struct live_report *o, const struct report *r)
{
	switch (o->form) {
	case REPORT_JSON:
		report_json(o->f, r);
		fputc('\n', o->f);
		break;
	case REPORT_LIVE:
		emit_live(o, r);
		break;
	default:
		emit_lines(o, r);
	}
	fflush(o->f);
}

int report_prometheus(const struct report *r, const char *labels,
		      const char *info_labels, char **out, size_t *len)
{
	const struct profile_interval *iv = &r->iv;
	const struct forecast *fc = &r->fc;
	FILE *f = open_memstream(out, len);
	const char *l = labels, *c = *labels ? "," : "";
	int h;

	if (!f)
		return -ENOMEM;
	prom__head(f, "precopy_trace_info", "gauge",
		   "What precopy-trace watches: the VM's labels and how.");
	fprintf(f, "precopy_trace_info{%s%s%s} 1\n", l,
		*info_labels ? c : "", info_labels);
	prom__head(f, "precopy_dirty_pages_total", "counter",
		   "Guest pages dirtied: the distinct pages of each reporting "
		   "interval, summed (rate() is the dirty rate).");
	fprintf(f, "precopy_dirty_pages_total{%s} %" PRIu64 "\n", l,
		r->dirty_pages_total);
	prom__head(f, "precopy_dirty_bytes_total", "counter",
		   "The same in bytes of guest memory.");
	fprintf(f, "precopy_dirty_bytes_total{%s} %" PRIu64 "\n", l,
		r->dirty_pages_total * 4096);
	prom__head(f, "precopy_working_set_pages", "gauge",
		   "Distinct pages dirtied within the trailing window.");
	fprintf(f, "precopy_working_set_pages{%s%swindow=\"1s\"} %" PRIu64 "\n"
		"precopy_working_set_pages{%s%swindow=\"10s\"} %" PRIu64 "\n"
		"precopy_working_set_pages{%s%swindow=\"60s\"} %" PRIu64 "\n",
		l, c, iv->ws_1s, l, c, iv->ws_10s, l, c, iv->ws_60s);
	prom__head(f, "precopy_forecast_converges", "gauge",
		   "1 if QEMU's default pre-copy is forecast to converge.");
	fprintf(f, "precopy_forecast_converges{%s} %d\n", l,
		r->forecast_ok && fc->converges);
	if (r->forecast_ok && fc->converges) {
		prom__head(f, "precopy_forecast_iterations", "gauge",
			   "Forecast pre-copy iterations.");
		fprintf(f, "precopy_forecast_iterations{%s} %u\n", l,
			fc->iterations);
		prom__head(f, "precopy_forecast_total_seconds", "gauge",
			   "Forecast total migration time.");
		fprintf(f, "precopy_forecast_total_seconds{%s} %.3f\n", l,
			fc->total_s);
		prom__head(f, "precopy_forecast_downtime_seconds", "gauge",
			   "Forecast downtime.");
		fprintf(f, "precopy_forecast_downtime_seconds{%s} %.4f\n", l,
			fc->downtime_s);
		prom__head(f, "precopy_forecast_sent_pages", "gauge",
			   "Forecast pages sent.");
		fprintf(f, "precopy_forecast_sent_pages{%s} %" PRIu64 "\n", l,
			fc->pages_sent);
	} else if (r->forecast_ok && fc->needed_bandwidth > 0) {
		prom__head(f, "precopy_forecast_needed_bandwidth_bytes_per_second",
			   "gauge", "Bandwidth that would make pre-copy converge.");
		fprintf(f, "precopy_forecast_needed_bandwidth_bytes_per_second"
			"{%s} %.0f\n", l, fc->needed_bandwidth);
	}
	prom__head(f, "precopy_forecast_bandwidth_bytes_per_second", "gauge",
		   "Bandwidth the forecast assumes.");
	fprintf(f, "precopy_forecast_bandwidth_bytes_per_second{%s} %.0f\n", l,
		r->fin.bandwidth);
	prom__head(f, "precopy_forecast_downtime_limit_seconds", "gauge",
		   "Downtime limit the forecast assumes.");
	fprintf(f, "precopy_forecast_downtime_limit_seconds{%s} %.4f\n", l,
		r->fin.downtime_limit);
	prom__head(f, "precopy_events_total", "counter",
		   "Dirty-log events recorded by the tracker (repeats "
		   "included), per hook.");
	for (h = 0; h < PRECOPY_HOOK__COUNT; h++)
		fprintf(f, "precopy_events_total{%s%shook=\"%s\"} %" PRIu64 "\n",
			l, c, precopy_hook__name(h), r->stats.events[h]);
	prom__head(f, "precopy_dropped_events_total", "counter",
		   "Events that could not be placed: in unknown memory slots.");
	fprintf(f, "precopy_dropped_events_total{%s%sreason=\"unknown_slot\"} %"
		PRIu64 "\n", l, c, r->unmapped);
	if (fclose(f))
		return -ENOMEM;
	return 0;
}
