// SPDX-License-Identifier: GPL-2.0
/* profile.c - live dirty-memory statistics (see profile.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/bitops.h"
#include "profile.h"

struct profile {
	uint64_t pages, words;
	double epoch_s;
	unsigned int top;
	uint32_t epoch;        /* epochs added so far; 1-based numbering */
	uint32_t *last;        /* per page: last epoch dirtied, 0 = never */
	uint32_t hist_len;     /* epochs of history the counts cover */
	uint64_t *count;       /* per epoch e % hist_len: pages whose last is e */
	uint64_t *interval;    /* union bitmap of the current interval */
	unsigned int iv_epochs;
	double iv_seconds;
	double iv_longest;     /* longest epoch of the interval */
	uint64_t iv_epoch_pages; /* sum of per-epoch dirty counts */
	double elapsed;        /* seconds since the first epoch */
};

struct profile *profile__new(uint64_t pages, double epoch_s, unsigned int top)
{
	struct profile *p;

	if (!pages || !(epoch_s > 0) || top > PROFILE_MAX_TOP) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pages = pages;
	p->words = (pages + 63) / 64;
	p->epoch_s = epoch_s;
	p->top = top;
	p->hist_len = (uint32_t)ceil(60.0 / epoch_s) + 2;
	p->last = calloc(pages, sizeof(uint32_t));
	p->count = calloc(p->hist_len, sizeof(uint64_t));
	p->interval = calloc(p->words, sizeof(uint64_t));
	if (!p->last || !p->count || !p->interval) {
		profile__free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void profile__free(struct profile *p)
{
	if (!p)
		return;
	free(p->last);
	free(p->count);
	free(p->interval);
	free(p);
}

void profile__add_epoch(struct profile *p, const uint64_t *bitmap,
			double seconds)
{
	uint32_t cur = ++p->epoch;
	uint64_t w, n = 0;

	p->count[cur % p->hist_len] = 0; /* epoch cur - hist_len falls off */
	for (w = 0; w < p->words; w++) {
		uint64_t bits = bitmap[w];

		if (w == p->words - 1)
			bits &= last_word_mask(p->pages);
		p->interval[w] |= bits;
		while (bits) {
			uint64_t page = w * 64 + __builtin_ctzll(bits);
			uint32_t old = p->last[page];

			if (old && cur - old < p->hist_len)
				p->count[old % p->hist_len]--;
			p->last[page] = cur;
			n++;
			bits &= bits - 1;
		}
	}
	p->count[cur % p->hist_len] = n;
	p->iv_epochs++;
	p->iv_seconds += seconds;
	if (seconds > p->iv_longest)
		p->iv_longest = seconds;
	p->iv_epoch_pages += n;
	p->elapsed += seconds;
}

/* Distinct pages dirtied in the last `epochs` epochs. */
static uint64_t working_set(const struct profile *p, uint32_t epochs)
{
	uint64_t sum = 0;
	uint32_t i;

	if (epochs > p->epoch)
		epochs = p->epoch;
	if (epochs > p->hist_len)
		epochs = p->hist_len;
	for (i = 0; i < epochs; i++)
		sum += p->count[(p->epoch - i) % p->hist_len];
	return sum;
}

static uint32_t epochs_in(const struct profile *p, double seconds)
{
	double e = seconds / p->epoch_s;

	return e < 1 ? 1 : (uint32_t)(e + 0.5);
}

static void insert_top(struct profile_interval *out, unsigned int cap,
		       uint64_t region, uint64_t pages)
{
	unsigned int i;

	if (!pages || (out->ntop == cap && pages <= out->top[cap - 1].pages))
		return;
	i = out->ntop < cap ? out->ntop++ : cap - 1;
	while (i > 0 && out->top[i - 1].pages < pages) {
		out->top[i] = out->top[i - 1];
		i--;
	}
	out->top[i].region = region;
	out->top[i].pages = pages;
}

/* Regions, runs and neighbours of the interval's union bitmap. */
static void scan_interval(const struct profile *p, struct profile_interval *out)
{
	uint64_t w, runs = 0, with_neighbour = 0, region_pages = 0;
	uint64_t prev_top = 0; /* bit 63 of the previous word */
	unsigned int k;

	for (w = 0; w < p->words; w++) {
		uint64_t b = p->interval[w];
		uint64_t next_low = w + 1 < p->words ? p->interval[w + 1] & 1 : 0;
		uint64_t left = (b << 1) | prev_top;    /* page-1 dirty */
		uint64_t right = (b >> 1) | (next_low << 63); /* page+1 */

		out->dirty_pages += pop64(b);
		runs += pop64(b & ~left); /* run starts */
		with_neighbour += pop64(b & (left | right));
		region_pages += pop64(b);
		prev_top = b >> 63;
		if ((w + 1) % (PROFILE_REGION_PAGES / 64) == 0 ||
		    w + 1 == p->words) {
			insert_top(out, p->top, w / (PROFILE_REGION_PAGES / 64),
				   region_pages);
			region_pages = 0;
		}
	}
	out->mean_run = runs ? (double)out->dirty_pages / runs : 0;
	out->neighbour_share = out->dirty_pages ?
		(double)with_neighbour / out->dirty_pages : 0;
	for (k = 0, region_pages = 0; k < out->ntop; k++)
		region_pages += out->top[k].pages;
	out->top_share = out->dirty_pages ?
		(double)region_pages / out->dirty_pages : 0;
}

int profile__interval(struct profile *p, struct profile_interval *out)
{
	double mean_epoch;

	if (!p->iv_epochs)
		return -ENODATA;
	memset(out, 0, sizeof(*out));
	out->seconds = p->iv_seconds;
	out->epochs = p->iv_epochs;
	out->longest_epoch_s = p->iv_longest;
	scan_interval(p, out);
	out->pages_per_s = out->dirty_pages / p->iv_seconds;
	out->mib_per_s = out->pages_per_s * 4096.0 / (1024.0 * 1024.0);
	out->ws_1s = working_set(p, epochs_in(p, 1));
	out->ws_10s = working_set(p, epochs_in(p, 10));
	out->ws_60s = working_set(p, epochs_in(p, 60));
	out->ws_10s_full = p->elapsed >= 10 - p->epoch_s / 2;
	out->ws_60s_full = p->elapsed >= 60 - p->epoch_s / 2;

	mean_epoch = (double)p->iv_epoch_pages / p->iv_epochs;
	ws_curve__add(&out->curve, p->epoch_s, mean_epoch);
	if (p->epoch_s < 1 && p->elapsed >= 1 - p->epoch_s / 2)
		ws_curve__add(&out->curve, 1, out->ws_1s);
	if (out->ws_10s_full && p->epoch_s < 10)
		ws_curve__add(&out->curve, 10, out->ws_10s);
	if (out->ws_60s_full && p->epoch_s < 60)
		ws_curve__add(&out->curve, 60, out->ws_60s);

	memset(p->interval, 0, p->words * sizeof(uint64_t));
	p->iv_epochs = 0;
	p->iv_seconds = 0;
	p->iv_longest = 0;
	p->iv_epoch_pages = 0;
	return 0;
}

const uint64_t *profile__interval_bitmap(const struct profile *p)
{
	return p->interval;
}

uint64_t profile__pages(const struct profile *p)
{
	return p->pages;
}
