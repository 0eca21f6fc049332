// SPDX-License-Identifier: GPL-2.0
/* shadow.c - stock QEMU pre-copy replayed beside a planned migration (see
 * shadow.h). */
#include <errno.h>
#include <stdlib.h>

#include "util/bitops.h"
#include "shadow.h"

struct shadow {
	uint64_t pages, words, last_mask;
	uint64_t *need, *pass;
	uint64_t nneed;		/* bits set in need */
	uint64_t cursor;	/* next word of the pass to look at */
	uint64_t sent;
	bool stopped;
};

double shadow__bytes_per_page(const struct shadow *sh)
{
	return 2.0 * (double)sh->words * sizeof(uint64_t) / (double)sh->pages;
}

struct shadow *shadow__new(uint64_t pages)
{
	struct shadow *sh;
	uint64_t w;

	if (!pages || pages > (1ULL << 40)) {
		errno = EINVAL;
		return NULL;
	}
	sh = calloc(1, sizeof(*sh));
	if (!sh)
		return NULL;
	sh->pages = pages;
	sh->words = (pages + 63) / 64;
	sh->last_mask = last_word_mask(pages);
	sh->need = malloc(sh->words * sizeof(uint64_t));
	sh->pass = malloc(sh->words * sizeof(uint64_t));
	if (!sh->need || !sh->pass) {
		shadow__free(sh);
		errno = ENOMEM;
		return NULL;
	}
	for (w = 0; w < sh->words; w++)
		sh->need[w] = sh->pass[w] = ~0ULL;
	sh->need[sh->words - 1] = sh->pass[sh->words - 1] = sh->last_mask;
	sh->nneed = pages;
	return sh;
}

void shadow__free(struct shadow *sh)
{
	if (!sh)
		return;
	free(sh->need);
	free(sh->pass);
	free(sh);
}

void shadow__write(struct shadow *sh, const uint64_t *bm)
{
	uint64_t w;

	if (sh->stopped)
		return;
	for (w = 0; w < sh->words; w++) {
		uint64_t x = bm[w] & ~sh->need[w];

		if (w + 1 == sh->words)
			x &= sh->last_mask;
		if (!x)
			continue;
		sh->need[w] |= x;
		sh->nneed += pop64(x);
	}
}

/* End of a pass: QEMU's sync and switchover check. */
static void shadow_sync(struct shadow *sh, uint64_t budget)
{
	uint64_t w;

	if (sh->nneed <= budget) {
		sh->stopped = true;
		return;
	}
	for (w = 0; w < sh->words; w++)
		sh->pass[w] = sh->need[w];
	sh->cursor = 0;
}

void shadow__send(struct shadow *sh, uint64_t n, uint64_t budget)
{
	while (n && !sh->stopped) {
		uint64_t x, bit;

		while (sh->cursor < sh->words && !sh->pass[sh->cursor])
			sh->cursor++;
		if (sh->cursor == sh->words) {
			shadow_sync(sh, budget);
			continue;
		}
		x = sh->pass[sh->cursor];
		while (x && n) {
			bit = x & -x;
			x &= x - 1;
			if (sh->need[sh->cursor] & bit) {
				sh->need[sh->cursor] &= ~bit;
				sh->nneed--;
			}
			sh->sent++;
			n--;
		}
		sh->pass[sh->cursor] = x;
	}
}

uint64_t shadow__sent(const struct shadow *sh)
{
	return sh->sent;
}

uint64_t shadow__need(const struct shadow *sh)
{
	return sh->nneed;
}

bool shadow__stopped(const struct shadow *sh)
{
	return sh->stopped;
}
