/* SPDX-License-Identifier: GPL-2.0 */
/*
 * svgplot.h - a small SVG line-chart writer for reports: charts side by
 * side in one file, each with several series (one line and one marker per
 * point; hollow markers for points flagged so), linear or log axes with
 * round ticks, and a legend. No dependencies.
 */
#ifndef PRECOPY_SVGPLOT_H
#define PRECOPY_SVGPLOT_H

#include <stdbool.h>
#include <stdio.h>

struct svg_series {
	const char *name;
	unsigned int n;
	const double *x, *y;	/* n points; non-finite y are skipped */
	const bool *hollow;	/* NULL, or n flags: draw the marker hollow */
};

struct svg_chart {
	const char *title;
	const char *xlabel, *ylabel;
	bool logx, logy;	/* log axes ignore values <= 0 */
	unsigned int nseries;
	const struct svg_series *series;
};

/*
 * Write the charts side by side, with a figure title and an optional note
 * under the charts, to f. Text is XML-escaped. Returns 0, or -EINVAL
 * (no chart, a chart without points) or -EIO if writing failed.
 */
int svgplot__write(FILE *f, const char *title, const char *note,
		   const struct svg_chart *charts, unsigned int n);

#endif /* PRECOPY_SVGPLOT_H */
