// SPDX-License-Identifier: GPL-2.0
/*
 * downtime_trace.c - QEMU's downtime checkpoints at microsecond resolution
 * (see downtime_trace.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "downtime_trace.h"

#define TRACE_READ_MAX (1u << 20)

/* Parse the digits at s[0, n) into *v; the count of digits read (0: none,
 * or an overflowing number). */
static size_t parse_digits(const char *s, size_t n, uint64_t *v)
{
	size_t i = 0;

	*v = 0;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		if (*v > (UINT64_MAX - 9) / 10)
			return 0;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
		i++;
	}
	return i;
}

/*
 * One line l[0, n) (no newline): "PID@SEC.USEC:EVENT NAME". Returns 0 with
 * *us set when it is a checkpoint named @name, -1 otherwise.
 */
static int parse_line(const char *l, size_t n, const char *name,
		      uint64_t *us)
{
	static const char ev[] = DOWNTIME_TRACE_EVENT " ";
	size_t i, k, name_len = strlen(name);
	uint64_t v, sec, usec;

	if (!(i = parse_digits(l, n, &v)) || i >= n || l[i++] != '@')
		return -1;
	if (!(k = parse_digits(l + i, n - i, &sec)) || (i += k) >= n ||
	    l[i++] != '.')
		return -1;
	/* QEMU prints six digits */
	if ((k = parse_digits(l + i, n - i, &usec)) != 6 || (i += k) >= n ||
	    l[i++] != ':')
		return -1;
	if (n - i < sizeof(ev) - 1 || memcmp(l + i, ev, sizeof(ev) - 1))
		return -1;
	i += sizeof(ev) - 1;
	if (n - i != name_len || memcmp(l + i, name, name_len))
		return -1;
	if (sec > (UINT64_MAX - usec) / 1000000)
		return -1;
	*us = sec * 1000000 + usec;
	return 0;
}

int downtime_trace__find(const char *text, size_t len, const char *name,
			 int last, uint64_t after_us, uint64_t *us)
{
	size_t pos = 0;
	int found = -1;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		uint64_t t;

		if (!parse_line(text + pos, n, name, &t)) {
			if (last) {
				*us = t;
				found = 0;
			} else if (t >= after_us) {
				*us = t;
				return 0;
			}
		}
		pos += n + 1;
	}
	return found;
}

/* The first TRACE_READ_MAX bytes of path, malloc'd, in *buf and *len;
 * -1 when it cannot be read. */
static int slurp(const char *path, char **buf, size_t *len)
{
	FILE *f;
	char *b;
	size_t n;

	if (!path || !(f = fopen(path, "r")))
		return -1;
	b = malloc(TRACE_READ_MAX);
	if (!b) {
		fclose(f);
		return -1;
	}
	n = fread(b, 1, TRACE_READ_MAX, f);
	fclose(f);
	*buf = b;
	*len = n;
	return 0;
}

int downtime_trace__read(const char *src_path, const char *dst_path,
			 struct downtime_trace *t)
{
	char *src = NULL, *dst = NULL;
	size_t src_len = 0, dst_len = 0;
	uint64_t start, end, run;

	t->downtime_us = -1;
	t->pause_us = -1;
	if (slurp(src_path, &src, &src_len) ||
	    downtime_trace__find(src, src_len, "src-downtime-start", 1, 0,
				 &start))
		goto cleanup;
	if (!downtime_trace__find(src, src_len, "src-downtime-end", 0, start,
				  &end))
		t->downtime_us = (int64_t)(end - start);
	if (!slurp(dst_path, &dst, &dst_len) &&
	    !downtime_trace__find(dst, dst_len, "dst-precopy-bh-vm-started", 0,
				  start, &run))
		t->pause_us = (int64_t)(run - start);
cleanup:
	free(src);
	free(dst);
	return t->downtime_us >= 0 && t->pause_us >= 0 ? 0 : -1;
}
