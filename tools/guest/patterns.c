// SPDX-License-Identifier: GPL-2.0
/*
 * patterns.c - set-up of the write patterns and the batch drivers around
 * the assembly loops (loops.S). No division in any per-write path.
 */
#include "guest.h"

struct lstate ls;
struct zbin zbins[ZBIN_MAX];

_Static_assert(__builtin_offsetof(struct lstate, rng) == LS_RNG, "LS_RNG");
_Static_assert(__builtin_offsetof(struct lstate, base) == LS_BASE, "LS_BASE");
_Static_assert(__builtin_offsetof(struct lstate, end) == LS_END, "LS_END");
_Static_assert(__builtin_offsetof(struct lstate, pages) == LS_PAGES, "LS_PAGES");
_Static_assert(__builtin_offsetof(struct lstate, passes) == LS_PASSES, "LS_PASSES");
_Static_assert(__builtin_offsetof(struct lstate, cur) == LS_CUR, "LS_CUR");
_Static_assert(__builtin_offsetof(struct lstate, step) == LS_STEP, "LS_STEP");
_Static_assert(__builtin_offsetof(struct lstate, thr) == LS_THR, "LS_THR");
_Static_assert(__builtin_offsetof(struct lstate, hot) == LS_HOT, "LS_HOT");
_Static_assert(__builtin_offsetof(struct lstate, hot_lo) == LS_HOT_LO, "LS_HOT_LO");
_Static_assert(__builtin_offsetof(struct lstate, hot_hi) == LS_HOT_HI, "LS_HOT_HI");
_Static_assert(__builtin_offsetof(struct lstate, cold_wrap) == LS_COLD_WRAP, "LS_COLD_WRAP");
_Static_assert(__builtin_offsetof(struct lstate, pmul) == LS_PMUL, "LS_PMUL");
_Static_assert(__builtin_offsetof(struct lstate, padd) == LS_PADD, "LS_PADD");
_Static_assert(__builtin_offsetof(struct lstate, pmask) == LS_PMASK, "LS_PMASK");
_Static_assert(__builtin_offsetof(struct lstate, plim) == LS_PLIM, "LS_PLIM");
_Static_assert(__builtin_offsetof(struct lstate, room) == LS_ROOM, "LS_ROOM");
_Static_assert(__builtin_offsetof(struct lstate, span) == LS_SPAN, "LS_SPAN");
_Static_assert(sizeof(struct lstate) == LS_SIZE, "LS_SIZE");

static struct params P;
static uint64_t passes;
static int32_t pass_left;	/* random, zipf: writes until the next pass */
static uint32_t phase_left, wbase;	/* phases */
static void (*loop)(uint32_t n);

uint64_t pattern_passes(void)
{
	return passes;
}

/* Fold the loops' 32-bit pass count into the 64-bit total. */
static void collect_passes(void)
{
	passes += ls.passes;
	ls.passes = 0;
}

/* Random and zipf: one pass per `pages` writes. */
static void count_passes(uint32_t n)
{
	pass_left -= (int32_t)n;
	while (pass_left <= 0) {
		pass_left += (int32_t)P.pages;
		passes++;
	}
}

static void run(void (*fn)(uint32_t), uint32_t n)
{
	if (!P.delay) {
		fn(n);
		return;
	}
	while (n--) {
		uint32_t d = P.delay;

		fn(1);
		while (d--)
			__asm__ __volatile__("");
	}
}

static void batch_sweep(uint32_t n)	/* seqsweep, hotcold */
{
	run(loop, n);
	collect_passes();
}

static void batch_draw(uint32_t n)	/* random, zipf */
{
	run(loop, n);
	count_passes(n);
}

/* phases: the working set [wbase, wbase + ws) (mod pages). */
static void phase_window(void)
{
	ls.base = P.data_start + (wbase << GUEST_PAGE_SHIFT);
	ls.pages = P.ws;
	if (wbase + P.ws <= P.pages) {
		loop = loop_random;
	} else {
		loop = loop_random_wrap;
		ls.room = (P.pages - wbase) << GUEST_PAGE_SHIFT;
		ls.span = P.pages << GUEST_PAGE_SHIFT;
	}
}

static void batch_phases(uint32_t n)
{
	while (n) {
		uint32_t m = n < phase_left ? n : phase_left;

		run(loop, m);
		n -= m;
		phase_left -= m;
		if (!phase_left) {
			phase_left = P.phase_writes;
			wbase += P.ws;
			if (wbase >= P.pages)
				wbase -= P.pages;
			passes++;
			phase_window();
		}
	}
}

/* floor(hi * 2^32 / d), hi < d */
static uint32_t div_hi(uint32_t hi, uint32_t d)
{
	uint32_t q, r;

	__asm__("divl %4" : "=a"(q), "=d"(r) : "a"(0u), "d"(hi), "rm"(d));
	(void)r;
	return q;
}

/* 2^(j/4) in 16.16 fixed point, j = 0..3. */
static const uint32_t quarter_octave[4] = { 65536, 77936, 92682, 110218 };

/*
 * Zipf-like ranks: X log-uniform on [1, pages+1), rank = floor(X) - 1, so
 * P(rank = r) = log((r+2)/(r+1)) / log(pages+1) ~ 1/(r+1) (s = 1). X is
 * drawn by picking one of the quarter-octave bins [2^(i/4), 2^((i+1)/4))
 * uniformly, then uniformly inside it (piecewise-linear log).
 */
static void zipf_setup(void)
{
	const uint64_t top = ((uint64_t)P.pages + 1) << GUEST_PAGE_SHIFT;
	const uint32_t add = P.scatter ? 0 : P.data_start;
	uint32_t i, nb = 0, p2;

	for (i = 0; nb < ZBIN_MAX; i++) {
		/* bin edges in 20.12 fixed point */
		uint64_t lo = ((uint64_t)quarter_octave[i & 3] << (i >> 2)) >> 4;
		uint64_t hi = ((uint64_t)quarter_octave[(i + 1) & 3]
			       << ((i + 1) >> 2)) >> 4;

		if (lo >= top)
			break;
		if (hi > top)
			hi = top;
		zbins[nb].lo = (uint32_t)(lo - GUEST_PAGE_SIZE) + add;
		zbins[nb].w = (uint32_t)(hi - lo);
		nb++;
	}
	ls.pages = nb;

	/* scatter=1: x -> (x * mul + add) mod p2, one full cycle of [0, p2)
	 * (mul = 1 mod 4, add odd), walked until it falls below pages. */
	for (p2 = 1; p2 < P.pages; p2 <<= 1)
		;
	ls.pmul = ((uint32_t)(((uint64_t)p2 * 0x9E3779B9u) >> 32) & ~3u) | 1u;
	ls.padd = (((p2 / 3) | 1u) & (p2 - 1)) << GUEST_PAGE_SHIFT;
	ls.pmask = (p2 - 1) << GUEST_PAGE_SHIFT;
	ls.plim = P.pages << GUEST_PAGE_SHIFT;
}

batch_fn pattern_setup(const struct params *p)
{
	const uint64_t end = (uint64_t)p->data_start +
			     ((uint64_t)p->pages << GUEST_PAGE_SHIFT);

	P = *p;
	ls.ctr = 0;
	ls.rng = p->seed * LCG_K + LCG_C;
	ls.base = p->data_start;
	ls.end = (uint32_t)end;
	ls.pages = p->pages;
	ls.passes = 0;
	passes = 0;
	pass_left = (int32_t)p->pages;

	switch (p->pattern) {
	case GUEST_PAT_HOTCOLD:
		ls.hot = p->hot;
		ls.hot_lo = p->data_start + (p->hotbase << GUEST_PAGE_SHIFT);
		ls.hot_hi = ls.hot_lo + (p->hot << GUEST_PAGE_SHIFT);
		ls.cold_wrap = p->hotbase ? p->data_start : ls.hot_hi;
		ls.cur = ls.cold_wrap;
		/* P(rng <= thr) = hotpct / 100 */
		ls.thr = p->hotpct >= 100 ? 0xffffffffu : div_hi(p->hotpct, 100) - 1;
		loop = loop_hotcold;
		return batch_sweep;
	case GUEST_PAT_ZIPF:
		zipf_setup();
		loop = p->scatter ? loop_zipf_scatter : loop_zipf;
		return batch_draw;
	case GUEST_PAT_SEQSWEEP:
		ls.step = p->stride << GUEST_PAGE_SHIFT;
		ls.cur = p->data_start;
		loop = loop_seqsweep;
		return batch_sweep;
	case GUEST_PAT_RANDOM:
		loop = loop_random;
		return batch_draw;
	case GUEST_PAT_PHASES:
		phase_left = p->phase_writes;
		wbase = 0;
		phase_window();
		return batch_phases;
	default:
		return (batch_fn)0;
	}
}
