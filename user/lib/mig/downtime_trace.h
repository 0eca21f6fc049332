/* SPDX-License-Identifier: GPL-2.0 */
/*
 * downtime_trace.h - a migration's downtime in microseconds, read from
 * QEMU's own downtime checkpoints (trace event vmstate_downtime_checkpoint,
 * log backend, lines "PID@SECONDS.MICROSECONDS:vmstate_downtime_checkpoint
 * NAME" with -msg timestamp=on).
 *
 * query-migrate reports the downtime in whole milliseconds, the difference
 * of two millisecond clock readings: a 5.4 ms stop-and-copy reads 5 or 6.
 * The checkpoints are taken in the same places at microsecond resolution,
 * on both sides, so they also say when the destination could run the guest
 * again: the pause the guest sees.
 */
#ifndef PRECOPY_DOWNTIME_TRACE_H
#define PRECOPY_DOWNTIME_TRACE_H

#include <stddef.h>
#include <stdint.h>

/* What QEMU is told: -trace enable=DOWNTIME_TRACE_EVENT,file=PATH, and
 * -msg timestamp=on for the timestamps. */
#define DOWNTIME_TRACE_EVENT "vmstate_downtime_checkpoint"

struct downtime_trace {
	int64_t downtime_us;	/* source: src-downtime-start to
				 * src-downtime-end, QEMU's own downtime */
	int64_t pause_us;	/* src-downtime-start to the destination's
				 * dst-precopy-bh-vm-started: the guest's
				 * pause; -1 when a reading is missing */
};

/*
 * The time in microseconds since the epoch of the checkpoint @name in
 * @text[0, @len) (a QEMU trace log; need not end in NUL): the last one
 * when @last, else the first one at or after @after_us. Returns 0 and sets
 * *@us, or -1 when there is none. Lines that are not checkpoints, and
 * malformed ones, are skipped. Can't fail otherwise.
 */
int downtime_trace__find(const char *text, size_t len, const char *name,
			 int last, uint64_t after_us, uint64_t *us);

/*
 * Read a migration's downtime from the source's trace log @src_path and
 * the destination's @dst_path (either may be NULL or unreadable): the last
 * src-downtime-start, the first src-downtime-end after it, and the first
 * dst-precopy-bh-vm-started after it. Fields it cannot read are -1.
 * Returns 0 when both fields were read, -1 otherwise. Reads at most 1 MiB
 * of each file.
 */
int downtime_trace__read(const char *src_path, const char *dst_path,
			 struct downtime_trace *t);

#endif /* PRECOPY_DOWNTIME_TRACE_H */
