// SPDX-License-Identifier: GPL-2.0
/* recent.c - decaying write counts per page (see recent.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/bitops.h"
#include "recent.h"

struct recent {
	uint64_t pages, words, last_mask;
	unsigned int half;	/* epochs between halvings */
	unsigned int inc;	/* a write's count: the most that keeps the
				 * counts under 255, the halvings' rounding
				 * small against them */
	unsigned int since;	/* epochs since the last halving */
	double weight;		/* the epochs added, decayed as the counts */
	uint8_t *cnt;		/* per page, padded to 8 bytes */
};

struct recent *recent__new(uint64_t pages, unsigned int half)
{
	struct recent *r;

	if (!pages || pages > (1ULL << 40) || !half ||
	    half > RECENT_HALF_MAX) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->pages = pages;
	r->words = (pages + 63) / 64;
	r->last_mask = last_word_mask(pages);
	r->half = half;
	r->inc = (UINT8_MAX - 1) / (2 * half);
	r->cnt = calloc(r->words, 64);
	if (!r->cnt) {
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

void recent__free(struct recent *r)
{
	if (!r)
		return;
	free(r->cnt);
	free(r);
}

/* Every count halved (rounded down), eight at a time. */
static void halve(struct recent *r)
{
	uint64_t i, n = r->words * 8, x;

	for (i = 0; i < n; i++) {
		memcpy(&x, r->cnt + i * 8, 8);
		x = (x >> 1) & 0x7f7f7f7f7f7f7f7fULL;
		memcpy(r->cnt + i * 8, &x, 8);
	}
	r->weight /= 2;
}

double recent__bytes_per_page(const struct recent *r)
{
	return (double)r->words * 64 / (double)r->pages;
}

void recent__add(struct recent *r, const uint64_t *written)
{
	uint64_t w, x;

	if (r->since == r->half) {
		halve(r);
		r->since = 0;
	}
	for (w = 0; w < r->words; w++) {
		x = written[w];
		if (w == r->words - 1)
			x &= r->last_mask;
		for (; x; x &= x - 1) {
			uint8_t *c = r->cnt + w * 64 + __builtin_ctzll(x);

			*c = *c + r->inc < UINT8_MAX ? *c + r->inc :
							UINT8_MAX;
		}
	}
	r->weight += r->inc;
	r->since++;
}

double recent__rate(const struct recent *r, uint64_t page)
{
	double x;

	if (r->weight <= 0 || page >= r->pages)
		return 0;
	x = r->cnt[page] / r->weight;
	return x < 1 ? x : 1;
}
