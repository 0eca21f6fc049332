// SPDX-License-Identifier: GPL-2.0
/*
 * memdiff.c - compare two copies of guest memory page by page. See
 * memdiff.h.
 */
#include <string.h>

#include "memdiff.h"

#define PAGE 4096u

static uint64_t fnv_words(uint64_t h, const unsigned char *p, size_t n)
{
	uint64_t w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

void memdiff__start(struct memdiff *d)
{
	memset(d, 0, sizeof(*d));
	d->hash_a = d->hash_b = 0xcbf29ce484222325ULL;
}

void memdiff__chunk(struct memdiff *d, const void *a, const void *b,
		    uint64_t off, uint64_t n, uint64_t skip_start,
		    uint64_t skip_end)
{
	const unsigned char *ma = a, *mb = b;
	uint64_t at, k, page;

	d->bytes += n;
	for (at = 0; at < n; at += k) {
		k = n - at < PAGE ? n - at : PAGE;
		page = off + at;
		if (page >= skip_start && page + k <= skip_end) {
			d->skipped += k;
			continue;
		}
		d->hash_a = fnv_words(d->hash_a, ma + at, k);
		d->hash_b = fnv_words(d->hash_b, mb + at, k);
		if (memcmp(ma + at, mb + at, k)) {
			if (!d->diff_pages) {
				uint64_t i = 0;

				while (ma[at + i] == mb[at + i])
					i++;
				d->first_diff = page + i;
			}
			d->diff_pages++;
		}
	}
}

void memdiff__buffers(const void *a, const void *b, uint64_t size,
		      uint64_t skip_start, uint64_t skip_end,
		      struct memdiff *d)
{
	memdiff__start(d);
	memdiff__chunk(d, a, b, 0, size, skip_start, skip_end);
}
