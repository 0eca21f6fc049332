/* SPDX-License-Identifier: GPL-2.0 */
/*
 * caps.h - do we hold the capabilities that loading the eBPF trackers
 * needs? Least privilege: CAP_BPF (maps and programs) and CAP_PERFMON
 * (tracing programs: tp_btf, raw_tp, kprobe, fentry), or CAP_SYS_ADMIN,
 * which implies both (and is what kernels before 5.8 ask for). Being
 * uid 0 is neither needed nor enough.
 */
#ifndef PRECOPY_CAPS_H
#define PRECOPY_CAPS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * caps_can_trace() says whether this process's effective capabilities
 * allow loading and attaching the trackers. If not, and missing is not
 * NULL, it gets the names of the capabilities that are missing, e.g.
 * "CAP_BPF and CAP_PERFMON". Cannot fail: if the capabilities cannot be
 * read, it answers false.
 */
bool caps_can_trace(char *missing, size_t len);

#endif /* PRECOPY_CAPS_H */
