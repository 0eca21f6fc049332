// SPDX-License-Identifier: GPL-2.0
/* recent.c - write counts over the last epochs (see recent.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/bitops.h"
#include "recent.h"

struct recent {
	uint64_t pages, words, last_mask;
	unsigned int span;	/* epochs counted */
	unsigned int seen;	/* epochs added, up to span */
	unsigned int next;	/* ring slot the next epoch goes in */
	uint64_t *ring;		/* span bitmaps of words words */
	uint8_t *cnt;		/* per page: epochs of the ring it is set in */
};

struct recent *recent__new(uint64_t pages, unsigned int span)
{
	struct recent *r;

	if (!pages || pages > (1ULL << 40) || !span ||
	    span > RECENT_SPAN_MAX) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->pages = pages;
	r->words = (pages + 63) / 64;
	r->last_mask = last_word_mask(pages);
	r->span = span;
	r->ring = calloc(r->words * span, sizeof(uint64_t));
	r->cnt = calloc(pages, 1);
	if (!r->ring || !r->cnt) {
		recent__free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

void recent__free(struct recent *r)
{
	if (!r)
		return;
	free(r->ring);
	free(r->cnt);
	free(r);
}

void recent__add(struct recent *r, const uint64_t *written)
{
	uint64_t *slot = r->ring + (uint64_t)r->next * r->words;
	uint64_t w, x;

	for (w = 0; w < r->words; w++) {
		uint64_t in = written[w], out = slot[w];

		if (w == r->words - 1)
			in &= r->last_mask;
		for (x = out & ~in; x; x &= x - 1)
			r->cnt[w * 64 + __builtin_ctzll(x)]--;
		for (x = in & ~out; x; x &= x - 1)
			r->cnt[w * 64 + __builtin_ctzll(x)]++;
		slot[w] = in;
	}
	r->next = (r->next + 1) % r->span;
	if (r->seen < r->span)
		r->seen++;
}

double recent__rate(const struct recent *r, uint64_t page)
{
	if (!r->seen || page >= r->pages)
		return 0;
	return (double)r->cnt[page] / r->seen;
}
