/* SPDX-License-Identifier: GPL-2.0 */
/*
 * median.h - the median of a handful of samples: the bandwidth readings
 * the planner keeps, the epoch lengths of a trace, the runs of a
 * migration benchmark, the guest's free dirty rate. One definition for
 * all of them: the middle value, or for an even count the mean of the two
 * middle values.
 */
#ifndef PRECOPY_MEDIAN_H
#define PRECOPY_MEDIAN_H

#include <stddef.h>
#include <stdint.h>

/* The median of v[0..n); sorts v in place, ascending. n must be >= 1
 * (the caller knows it has samples); NaNs are not allowed. Can't fail. */
double median_double(double *v, size_t n);

/* The same for integers; for an even n the mean of the two middle values
 * rounded toward zero. n >= 1; their sum must fit in an int64_t (times,
 * byte counts and rates do by far). */
int64_t median_i64(int64_t *v, size_t n);

#endif /* PRECOPY_MEDIAN_H */
