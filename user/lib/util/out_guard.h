/* SPDX-License-Identifier: GPL-2.0 */
/*
 * out_guard.h - may a daemon write a line to its output now without
 * blocking? A daemon whose output is a pipe nobody reads must drop lines,
 * not stall: precopy-plan serves a live migration, and a planner blocked
 * on its standard output lets its heartbeat go stale, and QEMU drops its
 * plans (seen: a test that read the planner's output only at the end
 * filled the 64 KiB pipe after 84 plans).
 */
#ifndef PRECOPY_OUT_GUARD_H
#define PRECOPY_OUT_GUARD_H

#include <stdbool.h>
#include <stdint.h>

struct out_guard {
	int fd;			/* the output, e.g. STDOUT_FILENO */
	const char *prog;	/* for the message, e.g. "precopy-plan" */
	uint64_t dropped;	/* lines dropped so far */
};

/*
 * out_guard__ready() returns true when a line of at most PIPE_BUF (4096)
 * bytes can be written to g->fd now: poll(POLLOUT) with no wait, true for
 * regular files and for pipes, sockets and terminals with room. The
 * caller writes its line and flushes it at once (so that nothing is left
 * buffered). False when the pipe or socket is full: the caller drops the
 * line; g->dropped counts it, and the first drop is said once on stderr
 * ("PROG: nobody reads standard output: dropping its lines (counted)").
 * An output whose reader is gone also gives true: the write fails then as
 * it would have (EPIPE or SIGPIPE). Can't fail.
 */
bool out_guard__ready(struct out_guard *g);

#endif /* PRECOPY_OUT_GUARD_H */
