// SPDX-License-Identifier: GPL-2.0
/* svgplot.c - SVG line charts (see svgplot.h). */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "util/xml.h"
#include "svgplot.h"

#define CW 380		/* chart width */
#define CH 300		/* chart height */
#define ML 70		/* margins inside a chart cell */
#define MR 15
#define MT 30
#define MB 45
#define TOP 40		/* figure title band */
#define LEGEND 30	/* legend band */

static const char *const colors[] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
	"#e377c2", "#7f7f7f",
};

struct axis {
	double lo, hi;
	bool log;
};

static bool usable(double v, bool log)
{
	return isfinite(v) && (!log || v > 0);
}

static void axis_fit(struct axis *a, const struct svg_chart *c, bool x)
{
	unsigned int s, i;
	bool any = false;

	a->log = x ? c->logx : c->logy;
	a->lo = INFINITY;
	a->hi = -INFINITY;
	for (s = 0; s < c->nseries; s++)
		for (i = 0; i < c->series[s].n; i++) {
			double v = x ? c->series[s].x[i] : c->series[s].y[i];

			if (!usable(v, a->log))
				continue;
			any = true;
			a->lo = fmin(a->lo, v);
			a->hi = fmax(a->hi, v);
		}
	if (!any) {
		a->lo = a->log ? 1 : 0;
		a->hi = a->log ? 10 : 1;
	}
	if (a->log) {
		/* round out to 1, 2 or 5 times a power of ten */
		static const double m[] = { 1, 2, 5, 10 };
		double d = pow(10, floor(log10(a->lo)));
		int i;

		for (i = 2; i >= 0 && d * m[i] > a->lo; i--)
			;
		a->lo = d * m[i < 0 ? 0 : i];
		d = pow(10, floor(log10(a->hi)));
		for (i = 0; i < 3 && d * m[i] < a->hi; i++)
			;
		a->hi = d * m[i];
		if (a->hi <= a->lo)
			a->hi = a->lo * 10;
		return;
	}
	if (!x && a->lo > 0)
		a->lo = 0;	/* values from zero */
	if (a->hi <= a->lo)
		a->hi = a->lo + 1;
	a->hi += (a->hi - a->lo) * 0.05;
}

static double axis_pos(const struct axis *a, double v)
{
	if (a->log)
		return (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
	return (v - a->lo) / (a->hi - a->lo);
}

static double nice_step(double range)
{
	double raw = range / 5, mag = pow(10, floor(log10(raw))), r = raw / mag;

	return (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
}

static void fmt_num(char *buf, size_t len, double v)
{
	double a = fabs(v);

	if (a >= 1e6 && fmod(a, 1e6) == 0)
		snprintf(buf, len, "%gM", v / 1e6);
	else if (a >= 1e4 && fmod(a, 1e3) == 0)
		snprintf(buf, len, "%gk", v / 1e3);
	else
		snprintf(buf, len, "%g", v);
}

/* Round tick values of an axis into out; returns how many. */
static unsigned int ticks(const struct axis *a, double *out, unsigned int max)
{
	unsigned int n = 0;
	double v, step;

	if (a->log) {
		static const double mult[] = { 1, 2, 5 };
		unsigned int j;
		double d;

		for (d = pow(10, floor(log10(a->lo))); d <= a->hi * 1.0001 &&
		     n < max; d *= 10)
			for (j = 0; j < 3 && n < max; j++) {
				v = d * mult[j];
				if (v >= a->lo * 0.9999 && v <= a->hi * 1.0001)
					out[n++] = v;
			}
		return n;
	}
	step = nice_step(a->hi - a->lo);
	for (v = ceil(a->lo / step) * step; v <= a->hi + step * 1e-9 && n < max;
	     v += step)
		out[n++] = fabs(v) < step * 1e-9 ? 0 : v;
	return n;
}

static void chart(FILE *f, const struct svg_chart *c, double ox, double oy)
{
	struct axis ax, ay;
	double tk[64], pw = CW - ML - MR, ph = CH - MT - MB;
	unsigned int n, i, s;
	char buf[32];

	axis_fit(&ax, c, true);
	axis_fit(&ay, c, false);
	fprintf(f, "<g transform=\"translate(%.0f,%.0f)\">\n", ox, oy);
	fprintf(f, "<text x=\"%.0f\" y=\"18\" text-anchor=\"middle\" "
		"font-weight=\"bold\">", ML + pw / 2);
	xml_write_text(f, c->title);
	fputs("</text>\n", f);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" "
		"fill=\"none\" stroke=\"#444\"/>\n", ML, MT, pw, ph);
	n = ticks(&ax, tk, 64);
	for (i = 0; i < n; i++) {
		double x = ML + axis_pos(&ax, tk[i]) * pw;

		fmt_num(buf, sizeof(buf), tk[i]);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.0f\" "
			"stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%.0f\" "
			"text-anchor=\"middle\" font-size=\"11\">%s</text>\n",
			x, MT, x, MT + ph, x, MT + ph + 15, buf);
	}
	n = ticks(&ay, tk, 64);
	for (i = 0; i < n; i++) {
		double y = MT + ph - axis_pos(&ay, tk[i]) * ph;

		fmt_num(buf, sizeof(buf), tk[i]);
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" "
			"stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" "
			"text-anchor=\"end\" font-size=\"11\">%s</text>\n",
			ML, y, ML + pw, y, ML - 5, y + 4, buf);
	}
	fprintf(f, "<text x=\"%.0f\" y=\"%d\" text-anchor=\"middle\" "
		"font-size=\"12\">", ML + pw / 2, CH - 8);
	xml_write_text(f, c->xlabel);
	fprintf(f, "</text>\n<text transform=\"translate(14,%.0f) "
		"rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">",
		MT + ph / 2);
	xml_write_text(f, c->ylabel);
	fputs("</text>\n", f);
	for (s = 0; s < c->nseries; s++) {
		const struct svg_series *se = &c->series[s];
		const char *col = colors[s % (sizeof(colors) / sizeof(*colors))];
		bool pen = false;

		fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width="
			"\"1.8\" d=\"", col);
		for (i = 0; i < se->n; i++) {
			if (!usable(se->x[i], ax.log) ||
			    !usable(se->y[i], ay.log)) {
				pen = false;
				continue;
			}
			fprintf(f, "%s%.1f,%.1f ", pen ? "L" : "M",
				ML + axis_pos(&ax, se->x[i]) * pw,
				MT + ph - axis_pos(&ay, se->y[i]) * ph);
			pen = true;
		}
		fputs("\"/>\n", f);
		for (i = 0; i < se->n; i++) {
			bool hollow = se->hollow && se->hollow[i];

			if (!usable(se->x[i], ax.log) ||
			    !usable(se->y[i], ay.log))
				continue;
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" "
				"fill=\"%s\" stroke=\"%s\"/>\n",
				ML + axis_pos(&ax, se->x[i]) * pw,
				MT + ph - axis_pos(&ay, se->y[i]) * ph,
				hollow ? "white" : col, col);
		}
	}
	fputs("</g>\n", f);
}

int svgplot__write(FILE *f, const char *title, const char *note,
		   const struct svg_chart *charts, unsigned int n)
{
	unsigned int i, s, width, height;
	double x;

	if (!f || !charts || !n)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!charts[i].nseries)
			return -EINVAL;
	width = n * CW + 20;
	height = TOP + CH + LEGEND + (note ? 20 : 0);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" "
		"height=\"%u\" viewBox=\"0 0 %u %u\" font-family=\"sans-serif\" "
		"font-size=\"13\">\n<rect width=\"100%%\" height=\"100%%\" "
		"fill=\"white\"/>\n<text x=\"%u\" y=\"24\" text-anchor=\"middle\""
		" font-size=\"15\" font-weight=\"bold\">", width, height, width,
		height, width / 2);
	xml_write_text(f, title);
	fputs("</text>\n", f);
	for (i = 0; i < n; i++)
		chart(f, &charts[i], 10 + i * CW, TOP);
	/* Legend: the first chart's series. */
	x = 10 + ML;
	for (s = 0; s < charts[0].nseries; s++) {
		const char *col = colors[s % (sizeof(colors) / sizeof(*colors))];

		fprintf(f, "<line x1=\"%.0f\" y1=\"%d\" x2=\"%.0f\" y2=\"%d\" "
			"stroke=\"%s\" stroke-width=\"3\"/><text x=\"%.0f\" "
			"y=\"%d\">", x, TOP + CH + 15, x + 20, TOP + CH + 15, col,
			x + 25, TOP + CH + 19);
		xml_write_text(f, charts[0].series[s].name);
		fputs("</text>\n", f);
		x += 40 + 8 * (charts[0].series[s].name ?
			       strlen(charts[0].series[s].name) : 1);
	}
	if (note) {
		fprintf(f, "<text x=\"%.0f\" y=\"%d\" font-size=\"11\" "
			"fill=\"#555\">", 10.0 + ML, TOP + CH + LEGEND + 10);
		xml_write_text(f, note);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
	return ferror(f) ? -EIO : 0;
}
