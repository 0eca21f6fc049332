/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bitops.h - small inline helpers over uint64_t bitmap words.
 *
 * pop64() is the population count of bitmap words everywhere in user/ and
 * tests/: the project builds for the baseline x86-64 target, which has no
 * POPCNT instruction, and there __builtin_popcountll() becomes a call into
 * libgcc that costs more than these dozen inline operations in per-word
 * loops. last_word_mask() masks the bits past the last page of a bitmap.
 */
#ifndef PRECOPY_BITOPS_H
#define PRECOPY_BITOPS_H

#include <stdint.h>

/* Number of set bits of x. Can't fail. */
static inline unsigned int pop64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned int)((x * 0x0101010101010101ULL) >> 56);
}

/* The bits of the last word of a bitmap of @pages bits that are pages:
 * the low pages % 64 bits, or all 64 when pages is a multiple of 64.
 * Can't fail. */
static inline uint64_t last_word_mask(uint64_t pages)
{
	return pages % 64 ? (1ULL << (pages % 64)) - 1 : ~0ULL;
}

#endif /* PRECOPY_BITOPS_H */
