/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heatmap.h - a guest-physical-region x time heatmap of dirtying, written
 * as a self-contained SVG (axes, legend, no external resources).
 *
 * Columns are equal spans of guest-physical memory (whole 2 MiB regions,
 * at most `max_cols` columns); rows are reporting intervals. A cell's
 * colour is the rate at which distinct pages of its span were dirtied in
 * that interval, in MiB/s, on a logarithmic scale; white is none.
 */
#ifndef PRECOPY_HEATMAP_H
#define PRECOPY_HEATMAP_H

#include <stddef.h>
#include <stdint.h>

#define HEATMAP_MAX_ROWS 7200

struct heatmap;

/* heatmap__new() prepares a map of a guest with `pages` 4 KiB pages and at
 * most max_cols columns (1..4096). NULL on bad arguments or no memory. */
struct heatmap *heatmap__new(uint64_t pages, unsigned int max_cols);

/* heatmap__free() frees. NULL is a no-op. */
void heatmap__free(struct heatmap *h);

/*
 * heatmap__add_row() adds one interval that ended at t_s (seconds since the
 * start) and lasted `seconds`, from the bitmap of pages dirtied in it.
 * Returns 0, or -ENOSPC after HEATMAP_MAX_ROWS rows, -ENOMEM (the row is
 * dropped).
 */
int heatmap__add_row(struct heatmap *h, double t_s, double seconds,
		     const uint64_t *bitmap);

/*
 * heatmap__write_svg() writes the SVG to path (temp file + rename).
 * Returns 0, or a negative errno with the reason in err.
 */
int heatmap__write_svg(const struct heatmap *h, const char *path,
		       const char *title, char *err, size_t errlen);

#endif /* PRECOPY_HEATMAP_H */
