// SPDX-License-Identifier: GPL-2.0
/* recorder.c - harvested epochs to a dirty trace (see recorder.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recorder.h"
#include "tracefile/trace.h"

struct recorder {
	struct trace_writer *w;
	char path[256];
	uint64_t pages;
	char error[320];
};

struct recorder *recorder__open(const char *path, uint64_t pages,
				const char *source, uint64_t epoch_us,
				const char *command, char *err, size_t errlen)
{
	enum trace_format fmt = trace_format__of_path(path);
	struct trace_header hdr;
	struct recorder *r;
	char num[32];

	if (trace_header__init(&hdr, 4096, pages)) {
		snprintf(err, errlen, "cannot record a trace of %" PRIu64
			 " pages", pages);
		return NULL;
	}
	snprintf(num, sizeof(num), "%" PRIu64, epoch_us);
	trace_header__set(&hdr, "source", source);
	trace_header__set(&hdr, "epoch_us", num);
	trace_header__set(&hdr, "timing", "epoch");
	if (command) {
		char clean[TRACE_META_VAL_MAX + 1];
		size_t i, n;

		/* Metadata values are one line without control characters or
		 * surrounding blanks: blank them out and trim. */
		snprintf(clean, sizeof(clean), "%s", command);
		for (i = 0; clean[i]; i++)
			if ((unsigned char)clean[i] < 0x20 || clean[i] == 0x7f)
				clean[i] = ' ';
		n = strlen(clean);
		while (n && clean[n - 1] == ' ')
			clean[--n] = '\0';
		trace_header__set(&hdr, "command", clean + strspn(clean, " "));
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->w = trace_writer__open(path, fmt, &hdr);
	if (!r->w) {
		snprintf(err, errlen, "cannot create %s: %s", path,
			 strerror(errno));
		free(r);
		return NULL;
	}
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->pages = pages;
	return r;
}

int recorder__epoch(struct recorder *r, uint64_t start_us,
		    const uint64_t *bitmap)
{
	uint64_t w;
	int ret;

	ret = trace_writer__mark_epoch(r->w, start_us);
	for (w = 0; !ret && w < (r->pages + 63) / 64; w++) {
		uint64_t bits = bitmap[w];

		while (bits && !ret) {
			ret = trace_writer__write_event(
				r->w, start_us, w * 64 + __builtin_ctzll(bits));
			bits &= bits - 1;
		}
	}
	if (ret)
		snprintf(r->error, sizeof(r->error), "writing %s: %s", r->path,
			 trace_writer__error(r->w));
	return ret;
}

const char *recorder__error(const struct recorder *r)
{
	return r->error;
}

int recorder__close(struct recorder *r, uint64_t end_us, char *err,
		    size_t errlen)
{
	int ret;

	if (!r)
		return 0;
	ret = trace_writer__mark_end(r->w, end_us);
	if (ret) {
		snprintf(err, errlen, "writing %s: %s", r->path,
			 trace_writer__error(r->w));
		trace_writer__discard(r->w);
	} else {
		ret = trace_writer__close(r->w);
		if (ret)
			snprintf(err, errlen, "writing %s: %s", r->path,
				 strerror(-ret));
	}
	free(r);
	return ret;
}

void recorder__discard(struct recorder *r)
{
	if (!r)
		return;
	trace_writer__discard(r->w);
	free(r);
}
