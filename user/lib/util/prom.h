/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prom.h - writing the Prometheus text exposition format (0.0.4), shared
 * by precopy-trace's and precopy-plan's /metrics.
 *
 * Conventions of both exporters: a counter is named *_total and only
 * grows (Prometheus computes rate() from it); units are in the name
 * (_bytes, _pages, _seconds); every series carries the VM's labels
 * (name and uuid, as libvirt and KubeVirt label theirs, and pid), and an
 * *_info gauge of value 1 carries the descriptive labels.
 */
#ifndef PRECOPY_PROM_H
#define PRECOPY_PROM_H

#include <stddef.h>
#include <stdio.h>

/* prom__head() writes the "# HELP" and "# TYPE" lines of metric name
 * (type: "counter" or "gauge"). Can't fail (f's errors are f's). */
void prom__head(FILE *f, const char *name, const char *type,
		const char *help);

/*
 * prom__label() appends `key="value"` to the label set in buf (len bytes,
 * NUL terminated; a comma first when buf is not empty), escaping the
 * value as the format wants (backslash, double quote, newline). An empty
 * value adds nothing (Prometheus treats it as absent). Returns 0, or
 * -ENOSPC (buf is left as it was).
 */
int prom__label(char *buf, size_t len, const char *key, const char *value);

#endif /* PRECOPY_PROM_H */
