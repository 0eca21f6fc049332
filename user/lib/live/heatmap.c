// SPDX-License-Identifier: GPL-2.0
/* heatmap.c - region x time heatmap as SVG (see heatmap.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/bitops.h"
#include "util/xml.h"
#include "heatmap.h"

#define REGION_PAGES 512
#define MIB (1024.0 * 1024.0)
#define LEFT 90
#define TOP 40
#define PLOT_W 800
#define PLOT_H 420
#define LEGEND_W 18

struct heatmap {
	uint64_t pages, words;
	unsigned int cols;
	uint64_t col_pages;  /* pages per column, a multiple of REGION_PAGES */
	unsigned int rows, rows_cap;
	float *cells;        /* rows_cap x cols, MiB/s */
	double *t_end;       /* per row */
	double *t_len;
};

struct heatmap *heatmap__new(uint64_t pages, unsigned int max_cols)
{
	uint64_t regions = (pages + REGION_PAGES - 1) / REGION_PAGES;
	struct heatmap *h;

	if (!pages || !max_cols || max_cols > 4096)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->pages = pages;
	h->words = (pages + 63) / 64;
	h->col_pages = ((regions + max_cols - 1) / max_cols) * REGION_PAGES;
	h->cols = (unsigned int)((pages + h->col_pages - 1) / h->col_pages);
	h->t_end = calloc(HEATMAP_MAX_ROWS, sizeof(double));
	h->t_len = calloc(HEATMAP_MAX_ROWS, sizeof(double));
	if (!h->t_end || !h->t_len) {
		heatmap__free(h);
		return NULL;
	}
	return h;
}

void heatmap__free(struct heatmap *h)
{
	if (!h)
		return;
	free(h->cells);
	free(h->t_end);
	free(h->t_len);
	free(h);
}

int heatmap__add_row(struct heatmap *h, double t_s, double seconds,
		     const uint64_t *bitmap)
{
	float *row;
	uint64_t w;

	if (h->rows >= HEATMAP_MAX_ROWS)
		return -ENOSPC;
	if (h->rows == h->rows_cap) {
		unsigned int cap = h->rows_cap ? h->rows_cap * 2 : 64;
		float *cells;

		if (cap > HEATMAP_MAX_ROWS)
			cap = HEATMAP_MAX_ROWS;
		cells = realloc(h->cells, (size_t)cap * h->cols * sizeof(float));
		if (!cells)
			return -ENOMEM;
		h->cells = cells;
		h->rows_cap = cap;
	}
	row = h->cells + (size_t)h->rows * h->cols;
	memset(row, 0, h->cols * sizeof(float));
	for (w = 0; w < h->words; w++) {
		uint64_t bits = bitmap[w];

		if (w == h->words - 1)
			bits &= last_word_mask(h->pages);
		if (bits)
			row[w * 64 / h->col_pages] += pop64(bits);
	}
	for (w = 0; w < h->cols; w++)
		row[w] = (float)(row[w] * 4096.0 / MIB /
				 (seconds > 0 ? seconds : 1));
	h->t_end[h->rows] = t_s;
	h->t_len[h->rows] = seconds;
	h->rows++;
	return 0;
}

/* A perceptually ordered ramp (dark blue, teal, green, yellow). */
static void colour(double x, char out[8])
{
	static const double stops[][3] = {
		{ 68, 1, 84 }, { 59, 82, 139 }, { 33, 145, 140 },
		{ 94, 201, 98 }, { 253, 231, 37 },
	};
	double pos = x * 4;
	int i = pos >= 4 ? 3 : (int)pos;
	double f = pos - i;

	if (x < 0)
		i = 0, f = 0;
	snprintf(out, 8, "#%02x%02x%02x",
		 (int)(stops[i][0] + f * (stops[i + 1][0] - stops[i][0])),
		 (int)(stops[i][1] + f * (stops[i + 1][1] - stops[i][1])),
		 (int)(stops[i][2] + f * (stops[i + 1][2] - stops[i][2])));
}

int heatmap__write_svg(const struct heatmap *h, const char *path,
		       const char *title, char *err, size_t errlen)
{
	double lo = INFINITY, hi = 0, cw, rh, llo, lhi;
	unsigned int r, c, i, rows = h->rows ? h->rows : 1, cols = 0;
	char tmp[4096 + 8], col[8];
	FILE *f;
	int ret = 0;

	for (i = 0; i < h->rows * h->cols; i++) {
		if (h->cells[i] > 0 && h->cells[i] < lo)
			lo = h->cells[i];
		if (h->cells[i] > hi)
			hi = h->cells[i];
		if (h->cells[i] > 0 && i % h->cols >= cols)
			cols = i % h->cols + 1;
	}
	/* Draw up to the highest span ever dirtied (a VMM's ROM slots at the
	 * top of 4 GiB would squeeze RAM into a sliver), at least 1/8. */
	if (cols < (h->cols + 7) / 8)
		cols = (h->cols + 7) / 8;
	if (!(hi > 0)) {
		lo = 0.01;
		hi = 1;
	}
	if (lo >= hi)
		lo = hi / 10;
	llo = log10(lo);
	lhi = log10(hi);
	cw = (double)PLOT_W / cols;
	rh = (double)PLOT_H / rows;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "heatmap path too long");
		return -ENAMETOOLONG;
	}
	f = fopen(tmp, "w");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot write %s: %s", path,
			 strerror(errno));
		return ret;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
		"font-size=\"11\">\n", LEFT + PLOT_W + 120, TOP + PLOT_H + 60,
		LEFT + PLOT_W + 120, TOP + PLOT_H + 60);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f, "<text x=\"%d\" y=\"20\" font-size=\"14\">", LEFT);
	xml_write_text(f, title);
	fprintf(f, "</text>\n<g shape-rendering=\"crispEdges\">\n");
	for (r = 0; r < h->rows; r++)
		for (c = 0; c < cols; c++) {
			double v = h->cells[(size_t)r * h->cols + c];

			if (v <= 0)
				continue;
			colour((log10(v) - llo) / (lhi - llo), col);
			fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
				"height=\"%.2f\" fill=\"%s\"/>\n",
				LEFT + c * cw, TOP + r * rh, cw + 0.05,
				rh + 0.05, col);
		}
	fprintf(f, "</g>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		"fill=\"none\" stroke=\"black\"/>\n", LEFT, TOP, PLOT_W, PLOT_H);
	/* x axis: guest-physical address */
	for (i = 0; i <= 4; i++) {
		double x = LEFT + PLOT_W * i / 4.0;
		uint64_t gpa = (uint64_t)(cols * h->col_pages * i / 4.0) * 4096;

		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"black\"/><text x=\"%.1f\" y=\"%d\" "
			"text-anchor=\"middle\">0x%" PRIx64 "</text>\n", x,
			TOP + PLOT_H, x, TOP + PLOT_H + 5, x, TOP + PLOT_H + 18,
			gpa);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
		"guest-physical address (%" PRIu64 " KiB per column%s)</text>\n",
		LEFT + PLOT_W / 2, TOP + PLOT_H + 40, h->col_pages * 4,
		cols < h->cols ? "; nothing dirtied above" : "");
	/* y axis: time */
	for (i = 0; i <= 4 && h->rows; i++) {
		unsigned int row = (unsigned int)((h->rows - 1) * i / 4.0);
		double y = TOP + (row + 0.5) * rh;

		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
			"stroke=\"black\"/><text x=\"%d\" y=\"%.1f\" "
			"text-anchor=\"end\">%.1f s</text>\n", LEFT - 5, y, LEFT,
			y, LEFT - 8, y + 4, h->t_end[row]);
	}
	fprintf(f, "<text x=\"20\" y=\"%d\" transform=\"rotate(-90 20 %d)\" "
		"text-anchor=\"middle\">time</text>\n", TOP + PLOT_H / 2,
		TOP + PLOT_H / 2);
	/* legend */
	fprintf(f, "<defs><linearGradient id=\"ramp\" x1=\"0\" y1=\"1\" "
		"x2=\"0\" y2=\"0\">\n");
	for (i = 0; i <= 8; i++) {
		colour(i / 8.0, col);
		fprintf(f, "<stop offset=\"%.3f\" stop-color=\"%s\"/>\n",
			i / 8.0, col);
	}
	fprintf(f, "</linearGradient></defs>\n<rect x=\"%d\" y=\"%d\" "
		"width=\"%d\" height=\"%d\" fill=\"url(#ramp)\" "
		"stroke=\"black\"/>\n", LEFT + PLOT_W + 20, TOP, LEGEND_W,
		PLOT_H);
	for (i = 0; i <= 4; i++) {
		double v = pow(10, llo + (lhi - llo) * i / 4.0);
		double y = TOP + PLOT_H - PLOT_H * i / 4.0;

		fprintf(f, "<text x=\"%d\" y=\"%.1f\">%.3g</text>\n",
			LEFT + PLOT_W + 20 + LEGEND_W + 4, y + 4, v);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\">MiB/s dirtied</text>\n",
		LEFT + PLOT_W + 10, TOP - 8);
	fprintf(f, "</svg>\n");
	if (ferror(f))
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		snprintf(err, errlen, "cannot write %s: %s", path,
			 strerror(-ret));
	}
	return ret;
}
