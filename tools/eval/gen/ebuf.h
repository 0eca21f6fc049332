/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ebuf.h - one epoch of generated writes, and writing it to a trace.
 *
 * Families add (time, page) writes in any order; ebuf__flush() writes the
 * epoch to the trace as an EPOCH marker at t0 followed by its WRITEs in
 * time order. A page written many times in one epoch keeps two records,
 * its first and its last write: what a tracker with per-write timing
 * would report about it (written once, or more than once, and when),
 * without a hot page costing thousands of lines. Pages are checked: a
 * family bug that writes outside the guest is an error, not a clamp.
 */
#ifndef EVALGEN_EBUF_H
#define EVALGEN_EBUF_H

#include <stddef.h>
#include <stdint.h>

struct trace_writer;

struct ebuf_ev {
	uint64_t t_us;
	uint64_t page;
};

struct ebuf {
	uint64_t pages;		/* guest pages: every page must be below */
	uint64_t t0_us;		/* epoch start */
	uint64_t len_us;	/* epoch length */
	struct ebuf_ev *ev;
	size_t n, cap;
	int err;		/* sticky: -ENOMEM or -ERANGE (bad page) */
	uint64_t bad_page;	/* the first page out of range */
	uint64_t records;	/* WRITEs written so far, all epochs */
};

/* Empty buffer for a guest of the given pages. Can't fail. */
void ebuf__init(struct ebuf *b, uint64_t pages, uint64_t len_us);

/* Start the epoch at t0_us, dropping anything not flushed. */
void ebuf__start(struct ebuf *b, uint64_t t0_us);

/* A write of page at fraction f of the epoch (clamped to [0, 1)). Errors
 * are sticky in b->err and reported by ebuf__flush(). */
void ebuf__add(struct ebuf *b, double f, uint64_t page);

/* Write the epoch to w (marker, then WRITEs). Returns 0, b->err, or the
 * writer's negative errno. */
int ebuf__flush(struct ebuf *b, struct trace_writer *w);

/* Free the buffer. Can't fail. */
void ebuf__free(struct ebuf *b);

#endif /* EVALGEN_EBUF_H */
