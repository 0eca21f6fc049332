/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clock.h - the monotonic clock (CLOCK_MONOTONIC) in the units callers
 * want: every deadline, timeout and duration measured in user/ and tests/
 * reads it through these. Header-only, so the preload library and the
 * tests use the same functions without linking libprecopy.
 *
 * None can fail: CLOCK_MONOTONIC is always available on Linux.
 */
#ifndef PRECOPY_CLOCK_H
#define PRECOPY_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds since an arbitrary start (boot). */
static inline uint64_t clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Milliseconds, with a fraction. */
static inline double clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Seconds, with a fraction. */
static inline double clock_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* PRECOPY_CLOCK_H */
