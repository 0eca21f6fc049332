// SPDX-License-Identifier: GPL-2.0
/*
 * mig_report.c - precopy-migrate's table or JSON lines, medians and
 * ratios (see mig_report.h).
 */
#include <string.h>

#include "util/json.h"
#include "util/median.h"
#include "mig_report.h"

#define MIB (1024.0 * 1024.0)

void mig_report__init(struct mig_report *rep, FILE *out, bool json,
		      const enum migrun_mode *modes, unsigned int nmodes,
		      unsigned int runs)
{
	memset(rep, 0, sizeof(*rep));
	rep->out = out;
	rep->json = json;
	rep->accel = "kvm";
	rep->fault = "none";
	rep->nmodes = nmodes < MIGRUN_MODES ? nmodes : MIGRUN_MODES;
	memcpy(rep->modes, modes, rep->nmodes * sizeof(*modes));
	rep->runs = runs;
}

void mig_report__table_header(struct mig_report *rep)
{
	if (rep->json)
		return;
	fprintf(rep->out, "%-4s %-16s %-10s %9s %9s %9s %12s %6s  %-12s %-16s %s\n",
		"run", "mode", "status", "total ms", "down ms", "pause ms",
		"sent MiB", "syncs", "memory", "guest w/s (pre)",
		"plans/fallbacks/rejected");
	fflush(rep->out);
}

/* The median of v[0..n) (sorts it), -1 when there is no sample. */
static int64_t median(int64_t *v, unsigned int n)
{
	return n ? median_i64(v, n) : -1;
}

/* One migration's line: a table row, or a JSON object (with "error" when
 * @error is given). */
static void print_run(struct mig_report *rep, unsigned int run,
		      enum migrun_mode mode, const struct migrun_result *r,
		      const char *error)
{
	bool plan = mode == MIGRUN_PLAN;
	char mem[80], ring[64], rate[48], pause[24];

	if (!r->mem_checked)
		snprintf(mem, sizeof(mem), "not checked");
	else if (r->mem_equal)
		snprintf(mem, sizeof(mem), "equal");
	else
		snprintf(mem, sizeof(mem), "DIFFERS (%llu page%s, first at "
			 "0x%llx)", (unsigned long long)r->mem_diff_pages,
			 r->mem_diff_pages == 1 ? "" : "s",
			 (unsigned long long)r->mem_first_diff);
	if (plan && r->ring_read)
		snprintf(ring, sizeof(ring), "%llu/%llu/%llu",
			 (unsigned long long)r->plans_used,
			 (unsigned long long)(r->fallback_none + r->fallback_stale),
			 (unsigned long long)r->rejected);
	else
		snprintf(ring, sizeof(ring), "-");
	if (r->guest_rate_read)
		snprintf(rate, sizeof(rate), "%.0f (%.0f)", r->guest_rate_during,
			 r->guest_rate_before);
	else
		snprintf(rate, sizeof(rate), "-");
	if (r->pause_us >= 0)
		snprintf(pause, sizeof(pause), "%.2f", r->pause_us / 1000.0);
	else
		snprintf(pause, sizeof(pause), "-");
	if (rep->json) {
		fprintf(rep->out, "{\"version\": %d, \"type\": \"run\", \"run\": %u, "
			"\"mode\": \"%s\", \"accel\": \"%s\", "
			"\"status\": \"%s\", \"total_time_ms\": %lld, "
			"\"downtime_ms\": %lld, \"setup_time_ms\": %lld, "
			"\"transferred_bytes\": %lld, \"dirty_sync_count\": %lld, "
			"\"normal_pages\": %lld, \"duplicate_pages\": %lld, "
			"\"downtime_bytes\": %lld, "
			"\"memory_checked\": %s, \"memory_equal\": %s, "
			"\"memory_bytes\": %llu, \"memory_diff_pages\": %llu, "
			"\"memory_first_diff_offset_bytes\": %llu, "
			"\"memory_fnv64\": \"%016llx\", \"fault\": \"%s\", "
			"\"fault_injected\": %s, \"max_cpu_throttle_pct\": %lld, "
			"\"max_dirty_limit_sleep_ms\": %.3f",
			MIG_REPORT_JSON_VERSION, run, migrun_mode__name(mode),
			rep->accel,
			error ? (r->status[0] ? r->status : "error") : r->status,
			(long long)r->total_time_ms, (long long)r->downtime_ms,
			(long long)r->setup_time_ms, (long long)r->transferred,
			(long long)r->dirty_syncs, (long long)r->normal_pages,
			(long long)r->duplicate_pages,
			(long long)r->downtime_bytes,
			r->mem_checked ? "true" : "false",
			r->mem_equal ? "true" : "false",
			(unsigned long long)r->mem_bytes,
			(unsigned long long)r->mem_diff_pages,
			(unsigned long long)r->mem_first_diff,
			(unsigned long long)r->mem_hash,
			rep->fault,
			r->fault_injected ? "true" : "false",
			(long long)r->max_cpu_throttle,
			r->max_dirty_limit_us / 1000.0);
		if (r->downtime_us >= 0)
			fprintf(rep->out, ", \"downtime_us\": %lld", (long long)r->downtime_us);
		if (r->pause_us >= 0)
			fprintf(rep->out, ", \"pause_us\": %lld", (long long)r->pause_us);
		if (r->guest_rate_read)
			fprintf(rep->out, ", \"guest_writes_per_s\": %.0f, "
				"\"guest_writes_before_per_s\": %.0f",
				r->guest_rate_during, r->guest_rate_before);
		if (plan)
			fprintf(rep->out, ", \"ring_read\": %s, \"plans_used\": %llu, "
				"\"fallback_none\": %llu, \"fallback_stale\": %llu, "
				"\"rejected\": %llu, \"planner_status\": %d",
				r->ring_read ? "true" : "false",
				(unsigned long long)r->plans_used,
				(unsigned long long)r->fallback_none,
				(unsigned long long)r->fallback_stale,
				(unsigned long long)r->rejected,
				r->planner_status);
		if (plan && rep->converge)
			fprintf(rep->out, ", \"limit_changes\": %u, \"limit_first_mb_per_s\": %llu, "
				"\"limit_last_mb_per_s\": %llu, \"limit_free_mb_per_s\": %.0f, "
				"\"limit_lifted\": %s",
				r->limit_changes, (unsigned long long)r->limit_first,
				(unsigned long long)r->limit_last, r->limit_free_rate,
				r->limit_lifted ? "true" : "false");
		if (error) {
			fprintf(rep->out, ", \"error\": ");
			json_write_str(rep->out, error);
		}
		fprintf(rep->out, "}\n");
	} else {
		fprintf(rep->out, "%-4u %-16s %-10s %9lld %9lld %9s %12.1f %6lld  %-12s %-16s %s\n",
			run, migrun_mode__name(mode),
			error ? (r->status[0] ? r->status : "error") : r->status,
			(long long)r->total_time_ms, (long long)r->downtime_ms,
			pause, r->transferred / MIB, (long long)r->dirty_syncs, mem, rate,
			ring);
	}
	fflush(rep->out);
}

static void summarize(struct mig_report_mode *s)
{
	s->m_total = median(s->total, s->n);
	s->m_down = median(s->down, s->n);
	s->m_bytes = median(s->bytes, s->n);
	s->m_syncs = median(s->syncs, s->n);
	s->m_rate = median(s->rate, s->nrate);
	s->m_rate_before = median(s->rate_before, s->nrate);
	/* every run's or none: a median of some would compare unlike sets */
	s->m_down_us = s->n_us == s->n ? median(s->down_us, s->n_us) : -1;
	s->m_pause_us = s->n_us == s->n ? median(s->pause_us, s->n_us) : -1;
}

static double ratio(int64_t a, int64_t b)
{
	return b > 0 && a >= 0 ? (double)a / (double)b : -1;
}

/* Both modes have the downtime and the pause to the microsecond. */
static bool has_precise(const struct mig_report_mode *x,
			const struct mig_report_mode *y)
{
	return x->m_down_us > 0 && y->m_down_us > 0 && x->m_pause_us > 0 &&
	       y->m_pause_us > 0;
}

/* JSON: the ratios of x's downtime and pause read to the microsecond
 * to y's, when both modes have them (nothing otherwise). */
static void print_precise_ratios(struct mig_report *rep,
				 const struct mig_report_mode *x,
				 const struct mig_report_mode *y)
{
	if (has_precise(x, y))
		fprintf(rep->out, ", \"downtime_precise\": %.3f, \"pause\": %.3f",
			ratio(x->m_down_us, y->m_down_us),
			ratio(x->m_pause_us, y->m_pause_us));
}

/* The ratios of mode a's medians to mode b's. */
static void print_ratios(struct mig_report *rep, const char *a,
			 const struct mig_report_mode *x, const char *b,
			 const struct mig_report_mode *y, bool json)
{
	if (json) {
		fprintf(rep->out, "\"%s/%s\": {\"total_time\": %.3f, \"downtime\": %.3f, "
			"\"transferred\": %.3f, \"guest_writes\": %.3f",
			a, b, ratio(x->m_total, y->m_total),
			ratio(x->m_down, y->m_down),
			ratio(x->m_bytes, y->m_bytes),
			ratio(x->m_rate, y->m_rate));
		print_precise_ratios(rep, x, y);
		fprintf(rep->out, "}");
		return;
	}
	fprintf(rep->out, "%s/%s: total time %.2f, downtime %.2f, bytes transferred %.2f",
		a, b, ratio(x->m_total, y->m_total), ratio(x->m_down, y->m_down),
		ratio(x->m_bytes, y->m_bytes));
	if (has_precise(x, y))
		fprintf(rep->out, ", downtime to the us %.2f, guest pause %.2f",
			ratio(x->m_down_us, y->m_down_us),
			ratio(x->m_pause_us, y->m_pause_us));
	if (x->nrate && y->nrate)
		fprintf(rep->out, ", guest writes/s during the migration %.2f",
			ratio(x->m_rate, y->m_rate));
	fprintf(rep->out, "\n");
}

/* Print the medians of every mode and the ratios of each mode to the
 * first one that has results (plan/stock keeps its own "ratio" key). */
void mig_report__summary(struct mig_report *rep, unsigned int failed)
{
	struct mig_report_mode *sum = rep->mode;
	const struct mig_report_mode *st = &sum[MIGRUN_STOCK], *pl = &sum[MIGRUN_PLAN];
	unsigned int i, ref = MIGRUN_MODES;
	bool first = true;

	for (i = 0; i < rep->nmodes; i++) {
		summarize(&sum[rep->modes[i]]);
		if (ref == MIGRUN_MODES && sum[rep->modes[i]].n)
			ref = rep->modes[i];
	}
	if (rep->json) {
		fprintf(rep->out, "{\"version\": %d, \"type\": \"summary\", \"summary\": true, "
			"\"runs\": %u, \"failed\": %u", MIG_REPORT_JSON_VERSION,
			rep->runs, failed);
		for (i = 0; i < rep->nmodes; i++) {
			const struct mig_report_mode *s = &sum[rep->modes[i]];

			if (!s->n)
				continue;
			fprintf(rep->out, ", \"%s\": {\"n\": %u, \"total_time_ms\": %lld, "
				"\"downtime_ms\": %lld, \"transferred_bytes\": %lld, "
				"\"dirty_sync_count\": %lld",
				migrun_mode__name(rep->modes[i]), s->n, (long long)s->m_total,
				(long long)s->m_down, (long long)s->m_bytes,
				(long long)s->m_syncs);
			if (s->m_down_us >= 0)
				fprintf(rep->out, ", \"downtime_us\": %lld, \"pause_us\": %lld",
					(long long)s->m_down_us,
					(long long)s->m_pause_us);
			if (s->nrate)
				fprintf(rep->out, ", \"guest_writes_per_s\": %lld, "
					"\"guest_writes_before_per_s\": %lld",
					(long long)s->m_rate, (long long)s->m_rate_before);
			fprintf(rep->out, "}");
		}
		if (st->n && pl->n) {
			fprintf(rep->out, ", \"ratio\": {\"total_time\": %.3f, \"downtime\": %.3f, "
				"\"transferred\": %.3f",
				ratio(pl->m_total, st->m_total),
				ratio(pl->m_down, st->m_down),
				ratio(pl->m_bytes, st->m_bytes));
			print_precise_ratios(rep, pl, st);
			fprintf(rep->out, "}");
		}
		fprintf(rep->out, ", \"ratios\": {");
		for (i = 0; ref < MIGRUN_MODES && i < rep->nmodes; i++) {
			if (rep->modes[i] == ref || !sum[rep->modes[i]].n)
				continue;
			fprintf(rep->out, "%s", first ? "" : ", ");
			first = false;
			print_ratios(rep, migrun_mode__name(rep->modes[i]),
				     &sum[rep->modes[i]], migrun_mode__name(ref),
				     &sum[ref], true);
		}
		fprintf(rep->out, "}}\n");
		fflush(rep->out);
		return;
	}
	for (i = 0; i < rep->nmodes; i++) {
		const struct mig_report_mode *s = &sum[rep->modes[i]];
		char rate[48] = "-", pause[24] = "-";

		if (!s->n)
			continue;
		if (s->nrate)
			snprintf(rate, sizeof(rate), "%lld (%lld)", (long long)s->m_rate,
				 (long long)s->m_rate_before);
		if (s->m_pause_us >= 0)
			snprintf(pause, sizeof(pause), "%.2f", s->m_pause_us / 1000.0);
		fprintf(rep->out, "%-4s %-16s %-10s %9lld %9lld %9s %12.1f %6lld  %-12s %-16s (median of %u)\n",
			"med", migrun_mode__name(rep->modes[i]), "", (long long)s->m_total,
			(long long)s->m_down, pause, s->m_bytes / MIB, (long long)s->m_syncs,
			"", rate, s->n);
	}
	for (i = 0; ref < MIGRUN_MODES && i < rep->nmodes; i++)
		if (rep->modes[i] != ref && sum[rep->modes[i]].n)
			print_ratios(rep, migrun_mode__name(rep->modes[i]),
				     &sum[rep->modes[i]], migrun_mode__name(ref),
				     &sum[ref], false);
	if (failed)
		fprintf(rep->out, "%u migration%s failed or left memory different\n",
			failed, failed == 1 ? "" : "s");
	fflush(rep->out);
}


bool mig_report__run(struct mig_report *rep, unsigned int run,
		     enum migrun_mode mode, const struct migrun_result *r,
		     const char *error)
{
	struct mig_report_mode *s;

	print_run(rep, run, mode, r, error);
	if (error || strcmp(r->status, "completed") || !r->mem_equal ||
	    (unsigned int)mode >= MIGRUN_MODES)
		return false;
	s = &rep->mode[mode];
	if (s->n >= MIG_REPORT_MAX_RUNS)
		return true;
	s->total[s->n] = r->total_time_ms;
	s->down[s->n] = r->downtime_ms;
	s->bytes[s->n] = r->transferred;
	s->syncs[s->n] = r->dirty_syncs;
	if (r->downtime_us >= 0 && r->pause_us >= 0) {
		s->down_us[s->n_us] = r->downtime_us;
		s->pause_us[s->n_us] = r->pause_us;
		s->n_us++;
	}
	s->n++;
	if (r->guest_rate_read) {
		s->rate[s->nrate] = (int64_t)(r->guest_rate_during + 0.5);
		s->rate_before[s->nrate] = (int64_t)(r->guest_rate_before + 0.5);
		s->nrate++;
	}
	return true;
}
