// SPDX-License-Identifier: GPL-2.0
/* sim_report.c - precopy-sim's output (see sim_report.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "sim_report.h"
#include "svgplot.h"

#define MIB (1024.0 * 1024.0)

void sim_report__json(FILE *f, const struct sim_report_ctx *c,
		     const struct sim_result *r)
{
	fprintf(f, "{\"version\":%d,\"type\":\"result\",\"algo\":",
		SIM_JSON_VERSION);
	json_write_str(f, r->algo);
	fprintf(f, ",\"total_time_ms\":%.3f,\"downtime_ms\":%.3f,"
		"\"sent_pages\":%llu,\"iterations\":%llu,\"converged\":%s,"
		"\"verified\":%s,\"forced\":%s,\"live_pages\":%llu,"
		"\"final_pages\":%llu,\"budget_pages\":%llu,\"loops\":%llu,"
		"\"bandwidth_mib_per_s\":%.6g,\"downtime_limit_ms\":%.6g,"
		"\"start_ms\":%.3f,\"epoch_ms\":%.3f,\"pages\":%llu,"
		"\"page_size_bytes\":%u,\"trace\":",
		r->total_time_s * 1e3, r->downtime_s * 1e3,
		(unsigned long long)r->pages_sent,
		(unsigned long long)r->iterations,
		r->converged ? "true" : "false", r->verified ? "true" : "false",
		r->forced ? "true" : "false",
		(unsigned long long)r->live_pages,
		(unsigned long long)r->final_pages,
		(unsigned long long)r->budget, (unsigned long long)r->loops,
		r->bandwidth / MIB, r->downtime_limit_s * 1e3,
		r->start_s * 1e3, r->epoch_s * 1e3,
		(unsigned long long)r->pages, r->page_size);
	json_write_str(f, c->trace);
	fputs(",\"note\":", f);
	json_write_str(f, r->note);
	fprintf(f, ",\"resent_pages\":%llu,\"wasted_pages\":%llu,"
		"\"clean_sent_pages\":%llu,\"zero_sent_pages\":%llu",
		(unsigned long long)r->resent_pages,
		(unsigned long long)r->wasted_sends,
		(unsigned long long)r->clean_sends,
		(unsigned long long)r->zero_sends);
	if (r->nr_tags) {
		unsigned int i;

		fputs(",\"send_tags\":[", f);
		for (i = 0; i < r->nr_tags; i++) {
			fputs(i ? "," : "", f);
			json_write_str(f, r->tag_names[i]);
		}
		fputs("],\"sent_pages_by_tag\":[", f);
		for (i = 0; i < r->nr_tags; i++)
			fprintf(f, "%s%llu", i ? "," : "",
				(unsigned long long)r->tag_sent[i]);
		fputs("],\"wasted_pages_by_tag\":[", f);
		for (i = 0; i < r->nr_tags; i++)
			fprintf(f, "%s%llu", i ? "," : "",
				(unsigned long long)r->tag_wasted[i]);
		fputs("]", f);
	}
	fputs(",\"wasted_pages_by_delay\":[", f);
	for (unsigned int i = 0; i < SIM_WASTE_BINS; i++)
		fprintf(f, "%s%llu", i ? "," : "",
			(unsigned long long)r->wasted_by_delay[i]);
	fputs("],\"wasted_pages_by_age\":[", f);
	for (unsigned int i = 0; i <= SIM_WASTE_BINS; i++)
		fprintf(f, "%s%llu", i ? "," : "",
			(unsigned long long)r->wasted_by_age[i]);
	fputs("]}\n", f);
}

void sim_report__resends(FILE *f, const struct sim_result *r)
{
	unsigned int i;

	fprintf(f, "%s: re-sends: %llu pages sent more than once, %llu live "
		"sends wasted (page written again before the stop), %llu sends "
		"of clean pages; %llu sent = %llu pages + %llu + %llu\n",
		r->algo, (unsigned long long)r->resent_pages,
		(unsigned long long)r->wasted_sends,
		(unsigned long long)r->clean_sends,
		(unsigned long long)r->pages_sent,
		(unsigned long long)r->pages,
		(unsigned long long)r->wasted_sends,
		(unsigned long long)r->clean_sends);
	for (i = 0; i < r->nr_tags; i++)
		if (r->tag_sent[i])
			fprintf(f, "%s:   class %-12s %10llu live sends, %10llu "
				"wasted (%.1f%%)\n", r->algo, r->tag_names[i],
				(unsigned long long)r->tag_sent[i],
				(unsigned long long)r->tag_wasted[i],
				100.0 * r->tag_wasted[i] / r->tag_sent[i]);
	if (!r->wasted_sends)
		return;
	fprintf(f, "%s:   wasted by delay send->write (epochs 0,1,2,4..):",
		r->algo);
	for (i = 0; i < SIM_WASTE_BINS; i++)
		fprintf(f, " %llu", (unsigned long long)r->wasted_by_delay[i]);
	fprintf(f, "\n%s:   wasted by age at send (epochs 0,1,2,4..; never):",
		r->algo);
	for (i = 0; i <= SIM_WASTE_BINS; i++)
		fprintf(f, " %llu", (unsigned long long)r->wasted_by_age[i]);
	fputs("\n", f);
}

static void header(FILE *f, const struct sim_report_ctx *c,
		   const struct sim_result *r)
{
	fprintf(f, "trace %s: %llu pages of %u B, %llu epochs of %.0f ms "
		"(%.1f s)\n", c->trace, (unsigned long long)r->pages,
		r->page_size, (unsigned long long)c->tr->nr_epochs,
		r->epoch_s * 1e3, c->tr->end_us * 1e-6);
	fprintf(f, "bandwidth %.6g MiB/s, downtime limit %.6g ms (%llu "
		"pages), migration starts at %.3f s\n", r->bandwidth / MIB,
		r->downtime_limit_s * 1e3, (unsigned long long)r->budget,
		r->start_s);
}

void sim_report__table(FILE *f, const struct sim_report_ctx *c,
		      const struct sim_result *r, unsigned int n)
{
	const struct sim_result *q = NULL;
	int w = 7;	/* the algorithm column: its longest name */
	unsigned int i;

	if (!n)
		return;
	header(f, c, &r[0]);
	for (i = 0; i < n; i++) {
		if (!strcmp(r[i].algo, "qemu"))
			q = &r[i];
		if ((int)strlen(r[i].algo) > w)
			w = (int)strlen(r[i].algo);
	}
	fprintf(f, "%-*s %11s %8s %11s %11s %6s %9s %8s\n", w, "algo",
		"pages_sent", "vs_qemu", "total_ms", "downtime_ms", "iters",
		"converged", "verified");
	for (i = 0; i < n; i++) {
		char rel[16] = "-";

		if (q && q->pages_sent)
			snprintf(rel, sizeof(rel), "%+.1f%%",
				 100.0 * ((double)r[i].pages_sent /
					  q->pages_sent - 1));
		fprintf(f, "%-*s %11llu %8s %11.1f %11.1f %6llu %9s %8s\n",
			w, r[i].algo, (unsigned long long)r[i].pages_sent, rel,
			r[i].total_time_s * 1e3, r[i].downtime_s * 1e3,
			(unsigned long long)r[i].iterations,
			r[i].converged ? "yes" : r[i].forced ? "no (cap)" : "no",
			r[i].verified ? "yes" : "NO");
	}
	for (i = 0; i < n; i++)
		if (r[i].note[0])
			fprintf(f, "%s: %s\n", r[i].algo, r[i].note);
	for (i = 0; i < n; i++)
		if (r[i].loops) {
			fprintf(f, "note: migrations outlasted the trace; it "
				"was replayed (up to %llu times)\n",
				(unsigned long long)r[i].loops);
			break;
		}
}

static int write_csv(const char *path, const double *bw, unsigned int nbw,
		     const struct sim_result *r, unsigned int nalgo)
{
	unsigned int i, a;
	FILE *f;

	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "precopy-sim: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	fprintf(f, "bandwidth_mib_per_s,algo,sent_pages,total_time_ms,downtime_ms,"
		"iterations,converged,verified,live_pages,final_pages,"
		"budget_pages,loops\n");
	for (i = 0; i < nbw; i++)
		for (a = 0; a < nalgo; a++) {
			const struct sim_result *x = &r[i * nalgo + a];

			fprintf(f, "%.6g,%s,%llu,%.3f,%.3f,%llu,%d,%d,%llu,"
				"%llu,%llu,%llu\n", bw[i], x->algo,
				(unsigned long long)x->pages_sent,
				x->total_time_s * 1e3, x->downtime_s * 1e3,
				(unsigned long long)x->iterations,
				x->converged, x->verified,
				(unsigned long long)x->live_pages,
				(unsigned long long)x->final_pages,
				(unsigned long long)x->budget,
				(unsigned long long)x->loops);
		}
	if (fclose(f)) {
		fprintf(stderr, "precopy-sim: %s: %s\n", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

int sim_report__sweep(const struct sim_report_ctx *c, const char *prefix,
		     const double *bw, unsigned int nbw,
		     const struct sim_result *r, unsigned int nalgo)
{
	struct svg_series *ser[3] = { NULL };
	struct svg_chart charts[3];
	double *val = NULL;
	bool *hol = NULL;
	char path[4096], title[512], note[256];
	unsigned int i, a, k;
	FILE *f = NULL;
	int ret = -ENOMEM;

	if (!nbw || !nalgo)
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s.csv", prefix) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	ret = write_csv(path, bw, nbw, r, nalgo);
	if (ret)
		return ret;
	ret = -ENOMEM;
	val = calloc((size_t)3 * nalgo * nbw, sizeof(*val));
	hol = calloc((size_t)nalgo * nbw, sizeof(*hol));
	for (k = 0; k < 3; k++)
		ser[k] = calloc(nalgo, sizeof(*ser[k]));
	if (!val || !hol || !ser[0] || !ser[1] || !ser[2]) {
		fprintf(stderr, "precopy-sim: out of memory\n");
		goto cleanup;
	}
	for (a = 0; a < nalgo; a++) {
		for (i = 0; i < nbw; i++) {
			const struct sim_result *x = &r[i * nalgo + a];
			size_t at = (size_t)a * nbw + i;

			val[0 * nalgo * nbw + at] = (double)x->pages_sent;
			val[1 * nalgo * nbw + at] = x->total_time_s;
			val[2 * nalgo * nbw + at] = x->downtime_s * 1e3;
			hol[at] = !x->converged;
		}
		for (k = 0; k < 3; k++)
			ser[k][a] = (struct svg_series){
				.name = r[a].algo, .n = nbw, .x = bw,
				.y = &val[k * nalgo * nbw + (size_t)a * nbw],
				.hollow = &hol[(size_t)a * nbw],
			};
	}
	charts[0] = (struct svg_chart){ "Pages sent", "bandwidth (MiB/s)",
					"pages", true, true, nalgo, ser[0] };
	charts[1] = (struct svg_chart){ "Total migration time",
					"bandwidth (MiB/s)", "seconds", true,
					true, nalgo, ser[1] };
	charts[2] = (struct svg_chart){ "Downtime", "bandwidth (MiB/s)",
					"ms", true, true, nalgo, ser[2] };
	snprintf(title, sizeof(title), "%s: %llu pages, downtime limit %.6g ms",
		 base_name(c->trace), (unsigned long long)r[0].pages,
		 c->downtime_limit_ms);
	snprintf(note, sizeof(note), "hollow marker: did not converge "
		 "(downtime over the limit or stopped by the cap); migration "
		 "starts at %.2f s of the trace", r[0].start_s);
	if (snprintf(path, sizeof(path), "%s.svg", prefix) >= (int)sizeof(path)) {
		ret = -ENAMETOOLONG;
		goto cleanup;
	}
	f = fopen(path, "w");
	if (!f) {
		ret = -errno;
		fprintf(stderr, "precopy-sim: %s: %s\n", path, strerror(errno));
		goto cleanup;
	}
	ret = svgplot__write(f, title, note, charts, 3);
	if (fclose(f) && !ret)
		ret = -EIO;
	f = NULL;
	if (ret)
		fprintf(stderr, "precopy-sim: %s: cannot write the plot\n",
			path);
cleanup:
	for (k = 0; k < 3; k++)
		free(ser[k]);
	free(val);
	free(hol);
	return ret;
}
