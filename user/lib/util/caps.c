// SPDX-License-Identifier: GPL-2.0
/* caps.c - capabilities the trackers need (see caps.h). */
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective >> (cap % 32) & 1;
}

bool caps_can_trace(char *missing, size_t len)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	bool bpf, perfmon;

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d)) {
		if (missing && len)
			snprintf(missing, len, "CAP_BPF and CAP_PERFMON");
		return false;
	}
	if (has(d, CAP_SYS_ADMIN))
		return true;
	bpf = has(d, CAP_BPF);
	perfmon = has(d, CAP_PERFMON);
	if (missing && len)
		snprintf(missing, len, "%s%s%s", bpf ? "" : "CAP_BPF",
			 !bpf && !perfmon ? " and " : "",
			 perfmon ? "" : "CAP_PERFMON");
	return bpf && perfmon;
}
