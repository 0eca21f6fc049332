// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_downtime_trace.c - libFuzzer target for the reader of QEMU's
 * downtime checkpoints. Any input is a trace log: a checkpoint found must
 * be named in the input, the first one found is the first at or after its
 * own time, a search from the last one's time finds one no earlier, and
 * nothing may read past the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mig/downtime_trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = { "src-downtime-start", "src-downtime-end",
				       "dst-precopy-bh-vm-started" };
	const char *text = (const char *)data;
	char *copy;
	size_t i;

	/* an exact-size copy, so ASan sees a read past the input */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, text, size);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint64_t first = 0, last = 0, after = 0;
		int f = downtime_trace__find(copy, size, names[i], 0, 0, &first);
		int l = downtime_trace__find(copy, size, names[i], 1, 0, &last);

		if (f != l)
			abort();
		if (f)
			continue;
		if (!memmem(copy, size, names[i], strlen(names[i])))
			abort();
		if (downtime_trace__find(copy, size, names[i], 0, first, &after) ||
		    after != first)
			abort();
		if (downtime_trace__find(copy, size, names[i], 0, last, &after) ||
		    after < last)
			abort();
	}
	free(copy);
	return 0;
}
