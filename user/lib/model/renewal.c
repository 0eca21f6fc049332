// SPDX-License-Identifier: GPL-2.0
/* renewal.c - write hazard by age and previous gap (see renewal.h). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/bitops.h"
#include "front.h"
#include "renewal.h"

#define NA RENEWAL_ACLASSES
#define NG RENEWAL_GCLASSES
#define P_LO 1e-7
#define P_HI (1 - 1e-6)
#define ND RENEWAL_DCLASSES
#define NK (NG * ND + 1)	/* columns: (gap, d) classes, then INH */
#define INH (NG * ND)

struct renewal {
	struct renewal_params p;
	uint64_t words, last_mask;
	uint64_t stride;		/* learning samples 1/stride words */
	uint64_t epochs;		/* fed */
	uint16_t cur;			/* stamp of the next epoch */
	double from, h;			/* prepared horizon */
	struct front *fr;		/* never-written pages */

	uint16_t *st;			/* per page: stamp | gap class << 11 */
	uint16_t *wst;			/* per word: stamp of its last sweep */
	uint64_t *wrec;			/* words with a sweep stamp */
	uint64_t *rec;			/* pages with a stamp */

	double e[NA][NK], w[NA][NK];	/* decayed exposure and writes */
	uint32_t ce[NA][NK], cw[NA][NK]; /* this epoch's */
	float hz[NA][NK];		/* hazard per epoch */
	double cb[NK][NA + 1];		/* cumulative hazard at class starts */
	uint32_t as[NA + 1];		/* astart() */
	float fz[FRONT_BLOCKS][FRONT_CLASSES]; /* the front's, prepared */
	float tz[NA + 1][NK];		/* prepared, at each class start */
	float iw[NA];			/* 1 / width of each age class */
};

static inline unsigned int ilog2(uint32_t x)
{
	return 31 - __builtin_clz(x);
}

static inline unsigned int aclass(uint32_t a)
{
	unsigned int l;

	if (a < 8)
		return a;
	if (a >= RENEWAL_FORGET * 2)
		a = RENEWAL_FORGET * 2 - 1;
	l = ilog2(a);
	return 8 + 4 * (l - 3) + ((a >> (l - 2)) & 3);
}

unsigned int renewal__aclass(uint32_t a)
{
	return aclass(a);
}

static uint32_t astart(unsigned int c)
{
	unsigned int l;

	if (c < 8)
		return c;
	if (c >= NA)
		return RENEWAL_FORGET * 2;
	l = 3 + (c - 8) / 4;
	return (4u + (c - 8) % 4) << (l - 2);
}

uint32_t renewal__astart(unsigned int c)
{
	return astart(c);
}

static inline unsigned int gclass(uint32_t g)
{
	unsigned int l;

	if (g < 4)
		return g;
	if (g >= RENEWAL_FORGET * 2)
		g = RENEWAL_FORGET * 2 - 1;
	l = ilog2(g);
	return 4 + 2 * (l - 2) + ((g >> (l - 1)) & 1);
}

unsigned int renewal__gclass(uint32_t g)
{
	return gclass(g);
}

void renewal_params__default(struct renewal_params *p, uint64_t pages)
{
	memset(p, 0, sizeof(*p));
	p->pages = pages;
	p->decay = 0.995;
	p->prior = 2;
}

static bool params_ok(const struct renewal_params *p)
{
	return p->pages >= 1 && p->pages <= (1ULL << 40) &&
	       isfinite(p->decay) && p->decay > 0 && p->decay <= 1 &&
	       isfinite(p->prior) && p->prior > 0;
}

/* A page's state in 16 bits: the stamp of its last write, epoch modulo
 * 2^11 (rec says whether it has one; forget_old() keeps every age below
 * RENEWAL_FORGET * 3 / 2 < 2^11), and its gap class above. */
#define STAMP_BITS RENEWAL_STAMP_BITS
#define STAMP_MASK RENEWAL_STAMP_MASK

static uint16_t stamp_of(uint64_t e)
{
	return (uint16_t)(e & STAMP_MASK);
}

/* Age (>= 1) of state x before the epoch with stamp cur. */
/* How far ahead a pass over the words fetches their stamps (two lines
 * per word). */
#define PREFETCH_WORDS 8

static inline uint32_t age_of(uint16_t cur, uint16_t x)
{
	return (uint32_t)(cur - x) & STAMP_MASK;
}

static inline unsigned int gcl_of(uint16_t x)
{
	return x >> STAMP_BITS;
}

static void refresh(struct renewal *r);

struct renewal *renewal__new(const struct renewal_params *p)
{
	struct renewal *r;

	if (!p || !params_ok(p)) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->p = *p;
	r->words = (p->pages + 63) / 64;
	r->last_mask = last_word_mask(p->pages);
	r->stride = (p->pages + RENEWAL_SAMPLE_PAGES - 1) /
		    RENEWAL_SAMPLE_PAGES;
	r->cur = stamp_of(0);
	for (unsigned int c = 0; c <= NA; c++)
		r->as[c] = astart(c);
	for (unsigned int c = 0; c < NA; c++)
		r->iw[c] = 1.0f / (float)(r->as[c + 1] - r->as[c] ?
					  r->as[c + 1] - r->as[c] : 1);
	r->st = calloc(r->words * 64, sizeof(*r->st));
	r->wst = calloc(r->words, sizeof(*r->wst));
	r->wrec = calloc((r->words + 63) / 64, sizeof(*r->wrec));
	r->rec = calloc(r->words, sizeof(*r->rec));
	r->fr = front__new(p->decay, p->prior);
	if (!r->st || !r->wst || !r->wrec || !r->rec || !r->fr) {
		renewal__free(r);
		errno = ENOMEM;
		return NULL;
	}
	refresh(r);
	return r;
}

void renewal__free(struct renewal *r)
{
	if (!r)
		return;
	free(r->st);
	free(r->wst);
	free(r->wrec);
	free(r->rec);
	front__free(r->fr);
	free(r);
}

static inline uint64_t wmask(const struct renewal *r, uint64_t w)
{
	return w + 1 == r->words ? r->last_mask : ~0ULL;
}

/* Is the block of 64 words holding word w in this epoch's learning
 * sample: every stride-th block, from another pseudo-random offset each
 * epoch? All words when stride is 1. */
static inline bool sampled(const struct renewal *r, uint64_t w, uint64_t off)
{
	return r->stride <= 1 || ((w >> 6) + off) % r->stride == 0;
}

/* Was word w swept (RENEWAL_SWEEP_PAGES of its pages written in one
 * epoch) within the last RENEWAL_FORGET epochs or so? */
static inline bool swept(const struct renewal *r, uint64_t w)
{
	return r->wrec[w / 64] >> (w % 64) & 1;
}

/* The front chain of the never-written pages of word w: by the pages of
 * the word on record, 0, 1, 2 or more (writes nearby, not a sweep). */
static inline unsigned int fblock(const struct renewal *r, uint64_t w)
{
	uint64_t x = r->rec[w];

	return !x ? 0 : !(x & (x - 1)) ? 1 : 2;
}

static inline unsigned int dclass(uint32_t d)
{
	if (!d)
		return 0;
	d = 1 + ilog2(d);
	return d < ND ? d : ND - 1;
}

unsigned int renewal__dclass(uint32_t d)
{
	return dclass(d);
}

/* The column of a page with a record (state x) in a word whose last
 * sweep has age wa (UINT32_MAX: none): its gap class, and the class of how
 * much later than the page's last write the sweep came (0: not later). */
static inline unsigned int column(uint16_t cur, uint16_t x, uint32_t wa)
{
	uint32_t a = age_of(cur, x);

	return gcl_of(x) * ND + (wa < a ? dclass(a - wa) : 0);
}

static float hazard_of(double p)
{
	return (float)-log1p(-fmin(fmax(p, P_LO), P_HI));
}

/* Probabilities from the decayed counts (smoothed: cell -> its gap class
 * -> its age class -> the class below -> overall), then hazards and their
 * sums. */
static void refresh(struct renewal *r)
{
	double m = r->p.prior, se = 0, sw = 0, p0, prev = 0;
	unsigned int c, k, g, d;

	for (c = 1; c < NA; c++)
		for (k = 0; k < NK; k++) {
			se += r->e[c][k];
			sw += r->w[c][k];
		}
	p0 = (sw + 0.5) / (se + 1);
	for (c = 0; c < NA; c++) {
		double ea = 0, wa = 0, pa;

		for (k = 0; k < NK; k++) {
			ea += r->e[c][k];
			wa += r->w[c][k];
		}
		pa = (wa + m * (c < 2 ? p0 : prev)) / (ea + m);
		prev = pa;
		for (g = 0; g < NG; g++) {
			double eg = 0, wg = 0, pg;

			for (d = 0; d < ND; d++) {
				eg += r->e[c][g * ND + d];
				wg += r->w[c][g * ND + d];
			}
			pg = (wg + m * pa) / (eg + m);
			for (d = 0; d < ND; d++) {
				k = g * ND + d;
				r->hz[c][k] = hazard_of((r->w[c][k] + m * pg) /
							(r->e[c][k] + m));
			}
		}
		r->hz[c][INH] = hazard_of((r->w[c][INH] + m * pa) /
					  (r->e[c][INH] + m));
	}
	for (k = 0; k < NK; k++) {
		r->cb[k][0] = 0;
		r->cb[k][1] = 0;
		for (c = 1; c < NA; c++)
			r->cb[k][c + 1] = r->cb[k][c] +
				(double)(r->as[c + 1] - r->as[c]) * r->hz[c][k];
	}
}

/* Learning over word w: each page with a record, its cell before the
 * epoch and whether it was written (bits of d); the never-written pages
 * of a word with a record in the INH column at the word's age. */
static void learn_word(struct renewal *r, uint64_t w, uint64_t d)
{
	uint64_t v = wmask(r, w), rec = r->rec[w] & v, inh = ~rec & v;
	uint16_t cur = r->cur;
	uint32_t wa = UINT32_MAX;

	if (swept(r, w)) {
		unsigned int c;

		wa = age_of(cur, r->wst[w]);
		c = aclass(wa);
		r->ce[c][INH] += pop64(inh);
		r->cw[c][INH] += pop64(inh & d);
	}
	while (rec) {
		unsigned int i = __builtin_ctzll(rec);
		uint16_t x = r->st[w * 64 + i];
		unsigned int c = aclass(age_of(cur, x));

		rec &= rec - 1;
		r->ce[c][column(cur, x, wa)]++;
		r->cw[c][column(cur, x, wa)] += (d >> i) & 1;
	}
}

/* Forget stamps of RENEWAL_FORGET epochs or more before they alias. */
static void forget_old(struct renewal *r)
{
	uint64_t w;

	for (w = 0; w < r->words; w++) {
		uint64_t x = r->rec[w];

		while (x) {
			unsigned int i = __builtin_ctzll(x);
			uint64_t pg = w * 64 + i;

			x &= x - 1;
			if (age_of(r->cur, r->st[pg]) >= RENEWAL_FORGET) {
				r->st[pg] = 0;
				r->rec[w] &= ~(1ULL << i);
			}
		}
		if (swept(r, w) &&
		    age_of(r->cur, r->wst[w]) >= RENEWAL_FORGET)
			r->wrec[w / 64] &= ~(1ULL << (w % 64));
	}
}

int renewal__update(struct renewal *r, const uint64_t *dirty,
		    const uint64_t *front0, const uint64_t *front1)
{
	double dc = r->p.decay;
	uint64_t w, below0 = 0, below1 = 0;
	unsigned int c, k;

	uint64_t off, h;
	bool in = false;

	if (!dirty)
		return -EINVAL;
	h = (r->epochs + 1) * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	off = (h >> 16) % r->stride;
	memset(r->ce, 0, sizeof(r->ce));
	memset(r->cw, 0, sizeof(r->cw));
	for (w = 0; w < r->words; w++) {
		uint64_t v = wmask(r, w), d = dirty[w] & v;
		uint64_t f0 = front0 ? front0[w] & v : 0;
		uint64_t f1 = front1 ? front1[w] & v : 0;

		if (!(w & 63))
			in = sampled(r, w, off);
		if (w + PREFETCH_WORDS < r->words) {
			__builtin_prefetch(&r->st[(w + PREFETCH_WORDS) * 64]);
			__builtin_prefetch(&r->st[(w + PREFETCH_WORDS) * 64 +
						  32]);
		}
		if (in) {
			learn_word(r, w, d);
			front__learn_word(r->fr, fblock(r, w), w,
					  swept(r, w) ? 0 : ~r->rec[w] & v, d, f0,
					  below0, f1, below1);
		}
		if (f0)
			below0 = w * 64 + 64 - __builtin_clzll(f0);
		if (f1)
			below1 = w * 64 + 64 - __builtin_clzll(f1);
		if (d) {
			uint16_t *st = &r->st[w * 64], cur = r->cur;
			uint64_t rec = r->rec[w], x = d & rec, y = d & ~rec;

			while (x) {	/* written before: a new gap */
				unsigned int i = __builtin_ctzll(x);

				x &= x - 1;
				st[i] = (uint16_t)(cur | gclass(age_of(cur,
						st[i])) << STAMP_BITS);
			}
			while (y) {	/* a first write */
				unsigned int i = __builtin_ctzll(y);

				y &= y - 1;
				st[i] = cur;
			}
			r->rec[w] = rec | d;
			if (pop64(d) >= RENEWAL_SWEEP_PAGES) {
				r->wst[w] = cur;
				r->wrec[w / 64] |= 1ULL << (w % 64);
			}
		}
	}
	for (c = 0; c < NA; c++)
		for (k = 0; k < NK; k++) {
			r->e[c][k] = dc * r->e[c][k] + r->ce[c][k];
			r->w[c][k] = dc * r->w[c][k] + r->cw[c][k];
		}
	refresh(r);
	front__end_epoch(r->fr);
	r->epochs++;
	r->cur = stamp_of(r->epochs);
	if (r->epochs % (RENEWAL_FORGET / 2) == 0)
		forget_old(r);
	return 0;
}

/* Cumulative hazard from age 1 to age a (>= 1) at gap class k. */
static inline double cum(const struct renewal *r, unsigned int k, double a)
{
	unsigned int c;

	if (a >= RENEWAL_FORGET * 2)
		return r->cb[k][NA] + (a - RENEWAL_FORGET * 2) *
				       r->hz[NA - 1][k];
	c = aclass((uint32_t)a);
	return r->cb[k][c] + (a - r->as[c]) * r->hz[c][k];
}

/* The prepared hazard at age a (>= 1) in column k: linear between the
 * values at the starts of a's class and of the next. */
static inline float interp(const struct renewal *r, uint32_t a, unsigned int k)
{
	unsigned int c = aclass(a);

	if (a >= RENEWAL_FORGET * 2)
		return r->tz[NA][k];
	return r->tz[c][k] + (float)(a - r->as[c]) * r->iw[c] *
			     (r->tz[c + 1][k] - r->tz[c][k]);
}

/* out[i] = z, or out[i] += z when adding. */
static inline void put(float *out, unsigned int i, float z, bool add)
{
	out[i] = add ? out[i] + z : z;
}

/* The prepared hazard of the pages of word w set in mask, into out (added
 * to what out holds when add). */
static inline void word_hazard(const struct renewal *r, uint64_t w,
			       uint64_t mask, uint64_t fw, uint64_t below,
			       float *out, bool add)
{
	uint64_t rec = r->rec[w], x;
	const uint16_t *st = &r->st[w * 64];
	uint16_t cur = r->cur;
	uint32_t wa = UINT32_MAX;

	if (!(r->h > 0)) {
		for (x = mask; x && !add; x &= x - 1)
			out[__builtin_ctzll(x)] = 0;
		return;
	}
	if (swept(r, w)) {
		float z;

		wa = age_of(cur, r->wst[w]);
		z = interp(r, wa, INH);
		for (x = mask & ~rec; x; x &= x - 1)
			put(out, __builtin_ctzll(x), z, add);
	} else if (mask & ~rec) {
		const float *fz = r->fz[fblock(r, w)];

		for (x = mask & ~rec; x; x &= x - 1) {
			unsigned int i = __builtin_ctzll(x);

			put(out, i, fz[front__class(w, i, fw, below)], add);
		}
	}
	for (x = mask & rec; x; x &= x - 1) {
		unsigned int i = __builtin_ctzll(x);
		uint32_t a = age_of(cur, st[i]);
		unsigned int k = gcl_of(st[i]) * ND +
				 (wa < a ? dclass(a - wa) : 0);

		put(out, i, interp(r, a, k), add);
	}
}

void renewal__prepare(struct renewal *r, double from, double h)
{
	unsigned int b, k, c;

	r->from = from > 0 ? from : 0;
	r->h = h > 0 ? h : 0;
	front__prepare(r->fr, r->from, r->h);
	for (b = 0; b < FRONT_BLOCKS; b++)
		for (k = 0; k < FRONT_CLASSES; k++)
			r->fz[b][k] = (float)front__hazard(r->fr, b, k);
	/* at the start of each age class (interp() goes between them) */
	for (c = 1; c <= NA; c++) {
		double a = r->as[c] + r->from;

		for (k = 0; k < NK; k++)
			r->tz[c][k] = (float)(cum(r, k, a + r->h) -
					      cum(r, k, a));
	}
}

double renewal__hazard(const struct renewal *r, uint64_t page,
		       const uint64_t *front)
{
	uint64_t w = page / 64;
	float z[64];

	if (page >= r->p.pages)
		return 0;
	word_hazard(r, w, 1ULL << (page % 64),
		    front ? front[w] & wmask(r, w) : 0, front__below(front, w),
		    z, false);
	return z[page % 64];
}

void renewal__hazard_word(const struct renewal *r, uint64_t w, uint64_t mask,
			  uint64_t fw, uint64_t below, float *out)
{
	if (w >= r->words)
		return;
	mask &= wmask(r, w);
	if (mask)
		word_hazard(r, w, mask, fw & wmask(r, w), below, out, false);
}

void renewal__add_hazard_word(const struct renewal *r, uint64_t w,
			      uint64_t mask, uint64_t fw, uint64_t below,
			      float *out)
{
	if (w >= r->words)
		return;
	if (w + PREFETCH_WORDS < r->words) {
		__builtin_prefetch(&r->st[(w + PREFETCH_WORDS) * 64]);
		__builtin_prefetch(&r->st[(w + PREFETCH_WORDS) * 64 + 32]);
	}
	mask &= wmask(r, w);
	if (mask)
		word_hazard(r, w, mask, fw & wmask(r, w), below, out, true);
}

void renewal__page(const struct renewal *r, uint64_t page, uint32_t *age,
		   unsigned int *gclass)
{
	*age = 0;
	*gclass = 0;
	if (page >= r->p.pages || !((r->rec[page / 64] >> (page % 64)) & 1))
		return;
	*age = age_of(r->cur, r->st[page]);
	*gclass = gcl_of(r->st[page]);
}

void renewal__ages(const struct renewal *r, struct renewal_ages *a)
{
	a->st = r->st;
	a->rec = r->rec;
	a->cur = r->cur;
}

double renewal__p(const struct renewal *r, unsigned int c, unsigned int g,
		  unsigned int d)
{
	if (c >= NA || g > NG || d >= ND)
		return 0;
	return -expm1(-(double)r->hz[c][g == NG ? INH : g * ND + d]);
}

double renewal__bytes_per_page(const struct renewal *r)
{
	(void)r;
	return sizeof(uint16_t) + 1.0 / 8 +
	       (sizeof(uint16_t) + 1.0 / 8) / 64;
}
