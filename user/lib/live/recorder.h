/* SPDX-License-Identifier: GPL-2.0 */
/*
 * recorder.h - write harvested epochs as a dirty trace (trace.h's
 * interchange format, or its native form).
 *
 * Each epoch becomes an EPOCH marker at its start time followed by one WRITE
 * per dirty page, stamped with the epoch's start time (the tracker knows the
 * epoch a page was dirtied in, not the instant): metadata `timing=epoch`
 * says so. The format follows the file name: *.gz gzip-compressed text,
 * *.pctrace native, anything else plain text; "-" is standard output.
 */
#ifndef PRECOPY_RECORDER_H
#define PRECOPY_RECORDER_H

#include <stddef.h>
#include <stdint.h>

struct recorder;

/*
 * recorder__open() creates the trace for `pages` pages of 4 KiB, with
 * metadata source=, epoch_us= and command= (command may be NULL). Returns
 * the recorder, or NULL with a one-sentence reason in err.
 */
struct recorder *recorder__open(const char *path, uint64_t pages,
				const char *source, uint64_t epoch_us,
				const char *command, char *err, size_t errlen);

/*
 * recorder__epoch() appends one epoch that started at start_us (not before
 * the previous epoch) with the dirty bitmap `bitmap` (pages bits). Returns
 * 0, or a negative errno with the reason in recorder__error(); a write
 * error is sticky.
 */
int recorder__epoch(struct recorder *r, uint64_t start_us,
		    const uint64_t *bitmap);

/* recorder__error() returns the last error message, "" if none. */
const char *recorder__error(const struct recorder *r);

/*
 * recorder__close() ends the trace at end_us, flushes it and publishes the
 * file. Always frees r (NULL: returns 0). Returns 0, or a negative errno
 * with the reason in err; the final path then keeps its old content.
 */
int recorder__close(struct recorder *r, uint64_t end_us, char *err,
		    size_t errlen);

/* recorder__discard() frees r and removes the unfinished file. */
void recorder__discard(struct recorder *r);

#endif /* PRECOPY_RECORDER_H */
