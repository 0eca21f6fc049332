// SPDX-License-Identifier: GPL-2.0
/* model.c - the dirty-probability model (see model.h for the rule). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "util/bitops.h"
#include "model.h"
#include "renewal.h"

#define P_MIN 1e-6

struct model {
	struct model_params p;
	uint64_t words;
	uint64_t last_mask;		/* valid bits of the last word */
	uint64_t rpp;			/* pages per region */
	unsigned int rshift;		/* log2(rpp) */
	uint64_t nregions;

	uint8_t *hist;			/* per page */
	uint8_t *aux;			/* per page; NULL until an epoch has detail */
	uint64_t *last;			/* dirty in the last epoch */
	uint64_t *recent;		/* dirty in one of the last 4 */
	uint64_t *act;			/* dirty in one of the last 8 */
	uint64_t *front;		/* recent, with the page below too */
	uint64_t *front0;		/* front before the last epoch */
	uint32_t *rdirty;		/* per region: dirty last epoch */
	uint8_t *rclass;		/* per region: feature r */

	uint64_t epochs;
	uint64_t stride;		/* learning samples 1/stride words */
	uint64_t salt;			/* this epoch's sample */
	uint64_t sampled_pages;		/* pages looked at, all epochs */
	double len_sum;			/* seconds of the epochs fed */
	uint64_t dirty_last;
	uint64_t ws[MODEL_WS_POINTS];

	/* learned table */
	double n[MODEL_BUCKETS], k[MODEL_BUCKETS];
	double nt[MODEL_TCLASSES], kt[MODEL_TCLASSES];
	double ng, kg;
	float p1[MODEL_BUCKETS];
	uint16_t succ[MODEL_BUCKETS];

	/* scratch of one update */
	uint64_t cn[MODEL_BUCKETS], ck[MODEL_BUCKETS];

	model_observer_fn obs;
	void *obs_ctx;

	uint8_t tc_hist[256];		/* class of a non-zero history */
	/* class of a page with no history by the age of its last write */
	uint8_t tc_age[RENEWAL_STAMP_MASK + 1];

	struct renewal *rn;		/* the long-horizon part */
	struct renewal_ages ages;	/* its stamps: the ages of old writes */
};

/* Temporal class of a page from its history and, when that is empty, the
 * age of its last write in epochs (0: none known). See model.h. */
unsigned int model__tclass(uint8_t h, uint32_t age)
{
	unsigned int l = h & 0xf, o;

	if (l) {
		o = __builtin_popcount(h >> 4);
		return 1 + (l - 1) * 4 + (o > 3 ? 3 : o);
	}
	if (h)
		return 61 + __builtin_ctz(h) - 4;
	if (age < MODEL_HIST_EPOCHS)
		return 0;	/* no record (an age < 8 has a history) */
	if (age < 16)
		return 65;
	if (age < 32)
		return 66;
	if (age < 64)
		return 67;
	if (age < 128)
		return 68;
	if (age < 256)
		return 69;
	return 70;
}

unsigned int model__tclass_next(unsigned int t)
{
	unsigned int l, o, l2, b3;

	if (t == 0 || t >= MODEL_TCLASSES)
		return 0;
	if (t >= 65)
		return t;	/* coarse ages: the same class (Markov) */
	if (t >= 61)
		return t + 1;	/* age 4..7 -> 5..8; age 8 is class 65 */
	l = (t - 1) / 4 + 1;
	o = (t - 1) % 4;
	b3 = (l >> 3) & 1;
	l2 = (l << 1) & 0xf;
	if (!l2)
		return 61;	/* last dirty 4 epochs ago */
	return 1 + (l2 - 1) * 4 + (o + b3 > 3 ? 3 : o + b3);
}

/* How far ahead a pass over the words fetches their per-page bytes (the
 * bytes of 5 % random dirty pages: every word's line, which the hardware
 * prefetcher did not bring in time). */
#define PREFETCH_WORDS 8

static inline unsigned int mkbucket(unsigned int t, unsigned int aux,
				    unsigned int n, unsigned int r)
{
	return ((t * 4 + aux) * 3 + n) * 6 + r;
}

void model_params__default(struct model_params *p, uint64_t pages,
			   uint32_t page_size, double epoch_s)
{
	memset(p, 0, sizeof(*p));
	p->pages = pages;
	p->page_size = page_size;
	p->epoch_s = epoch_s;
	p->neigh = 4;
	p->decay = 0.9;
	p->prior = 2;
	p->long_decay = 0.995;
}

static bool params_ok(const struct model_params *p)
{
	return p->pages >= 1 && p->pages <= (1ULL << 40) &&
	       p->page_size >= 512 && p->page_size <= (1U << 30) &&
	       !(p->page_size & (p->page_size - 1)) &&
	       isfinite(p->epoch_s) && p->epoch_s > 0 &&
	       p->neigh >= 1 && p->neigh <= 32 &&
	       isfinite(p->decay) && p->decay > 0 && p->decay <= 1 &&
	       isfinite(p->prior) && p->prior > 0 &&
	       isfinite(p->long_decay) && p->long_decay > 0 &&
	       p->long_decay <= 1;
}

static void recompute(struct model *m)
{
	double p0, pt[MODEL_TCLASSES], mw = m->p.prior, v;
	unsigned int b, t;

	p0 = (m->kg + 0.5) / (m->ng + 1);
	for (t = 0; t < MODEL_TCLASSES; t++)
		pt[t] = (m->kt[t] + mw * p0) / (m->nt[t] + mw);
	for (b = 0; b < MODEL_BUCKETS; b++) {
		t = b / (4 * 3 * 6);
		v = (m->k[b] + mw * pt[t]) / (m->n[b] + mw);
		if (v < P_MIN)
			v = P_MIN;
		if (v > 1 - P_MIN)
			v = 1 - P_MIN;
		m->p1[b] = (float)v;
	}
}

struct model *model__new(const struct model_params *p)
{
	struct model *m;
	unsigned int b, t, aux, n, r, t2;
	uint32_t h;

	if (!p || !params_ok(p)) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->p = *p;
	m->words = (p->pages + 63) / 64;
	m->last_mask = last_word_mask(p->pages);
	m->rpp = MODEL_REGION_BYTES / p->page_size;
	if (!m->rpp)
		m->rpp = 1;
	m->rshift = __builtin_ctzll(m->rpp);
	m->stride = (p->pages + MODEL_SAMPLE_PAGES - 1) / MODEL_SAMPLE_PAGES;
	m->nregions = (p->pages + m->rpp - 1) / m->rpp;
	/* whole words: shift_word() works on groups of 16 pages */
	m->hist = calloc(m->words * 64, sizeof(*m->hist));
	m->last = calloc(m->words, sizeof(uint64_t));
	m->recent = calloc(m->words, sizeof(uint64_t));
	m->act = calloc(m->words, sizeof(uint64_t));
	m->front = calloc(m->words, sizeof(uint64_t));
	m->front0 = calloc(m->words, sizeof(uint64_t));
	m->rdirty = calloc(m->nregions, sizeof(*m->rdirty));
	m->rclass = calloc(m->nregions, sizeof(*m->rclass));
	{
		struct renewal_params rp;

		renewal_params__default(&rp, p->pages);
		rp.decay = p->long_decay;
		rp.prior = p->prior;
		m->rn = renewal__new(&rp);
	}
	if (!m->hist || !m->last || !m->recent ||
	    !m->act || !m->front || !m->front0 || !m->rdirty || !m->rclass || !m->rn)
		goto err;
	renewal__ages(m->rn, &m->ages);
	for (h = 0; h < 256; h++)
		m->tc_hist[h] = model__tclass(h, 0);
	/* age h (0: no record) of a page whose history is empty: at least
	 * MODEL_HIST_EPOCHS epochs */
	for (h = 0; h <= RENEWAL_STAMP_MASK; h++)
		m->tc_age[h] = h ? model__tclass(0, h < 8 ? 8 : h) : 0;
	for (b = 0; b < MODEL_BUCKETS; b++) {
		r = b % 6;
		n = (b / 6) % 3;
		aux = (b / 18) % 4;
		t = b / 72;
		t2 = model__tclass_next(t);
		m->succ[b] = mkbucket(t2, t2 ? aux : 0, n, r);
	}
	recompute(m);
	return m;
err:
	model__free(m);
	errno = ENOMEM;
	return NULL;
}

void model__free(struct model *m)
{
	if (!m)
		return;
	free(m->hist);
	free(m->aux);
	free(m->last);
	free(m->recent);
	free(m->act);
	free(m->front);
	free(m->front0);
	free(m->rdirty);
	free(m->rclass);
	renewal__free(m->rn);
	free(m);
}

const struct model_params *model__params(const struct model *m)
{
	return &m->p;
}

uint64_t model__words(const struct model *m)
{
	return m->words;
}

void model__set_observer(struct model *m, model_observer_fn fn, void *ctx)
{
	m->obs = fn;
	m->obs_ctx = fn ? ctx : NULL;
}

/* Bits of the pages within +-r of each page of word w of bitmap bm, the
 * page itself excluded. */
static inline uint64_t spread(uint64_t prev, uint64_t cur, uint64_t next,
			      unsigned int r)
{
	uint64_t s = 0;
	unsigned int i;

	for (i = 1; i <= r; i++)
		s |= (cur << i) | (prev >> (64 - i)) | (cur >> i) |
		     (next << (64 - i));
	return s;
}

static inline uint64_t wmask(const struct model *m, uint64_t w)
{
	return w + 1 == m->words ? m->last_mask : ~0ULL;
}

static inline unsigned int region_of(const struct model *m, uint64_t page)
{
	return m->rclass[page >> m->rshift];
}

/* Feature n of the 64 pages of word w: bit masks (n2: level 2, n1: 1). */
static inline void nb_masks(const struct model *m, uint64_t w, uint64_t *n2,
			    uint64_t *n1)
{
	uint64_t lp = w ? m->last[w - 1] : 0, rp = w ? m->recent[w - 1] : 0;
	uint64_t ln = w + 1 < m->words ? m->last[w + 1] : 0;
	uint64_t rn = w + 1 < m->words ? m->recent[w + 1] : 0;

	*n2 = spread(lp, m->last[w], ln, m->p.neigh);
	*n1 = spread(rp, m->recent[w], rn, m->p.neigh) & ~*n2;
}

/* Temporal class of a page now. */
static inline unsigned int page_tclass(const struct model *m, uint64_t page)
{
	uint8_t h = m->hist[page];

	if (h)
		return m->tc_hist[h];
	return m->tc_age[renewal_ages__age(&m->ages, page)];
}

static inline unsigned int page_bucket(const struct model *m, uint64_t page,
				       unsigned int nlevel)
{
	unsigned int t = page_tclass(m, page);

	return mkbucket(t, t && m->aux ? m->aux[page] & 3 : 0, nlevel,
			region_of(m, page));
}

void model__buckets_word(const struct model *m, uint64_t w, uint64_t mask,
			 uint16_t *out)
{
	uint64_t n2, n1, base = w * 64;

	if (w >= m->words)
		return;
	mask &= wmask(m, w);
	if (!mask)
		return;
	nb_masks(m, w, &n2, &n1);
	while (mask) {
		unsigned int i = __builtin_ctzll(mask);
		unsigned int nl = (n2 >> i) & 1 ? 2 : (n1 >> i) & 1 ? 1 : 0;

		mask &= mask - 1;
		out[i] = page_bucket(m, base + i, nl);
	}
}

unsigned int model__bucket(const struct model *m, uint64_t page)
{
	uint64_t n2, n1, w = page / 64;
	unsigned int i = page % 64;

	if (page >= m->p.pages)
		return MODEL_BUCKETS;
	nb_masks(m, w, &n2, &n1);
	return page_bucket(m, page, (n2 >> i) & 1 ? 2 : (n1 >> i) & 1 ? 1 : 0);
}

/* Count the clean pages of `mask` in word w, which have no history in the
 * last MODEL_HIST_EPOCHS epochs, into cn[]: in bulk when none of them has
 * a write on record either, else one by one. */
static void count_cold(struct model *m, uint64_t w, uint64_t mask,
		       uint64_t n2, uint64_t n1)
{
	uint64_t base = w * 64;
	unsigned int i;

	if (!mask)
		return;
	if (!(m->ages.rec[w] & mask) && m->rpp >= 64) {
		unsigned int r = m->rclass[base >> m->rshift];
		unsigned int c2 = pop64(mask & n2);
		unsigned int c1 = pop64(mask & n1);

		m->cn[mkbucket(0, 0, 2, r)] += c2;
		m->cn[mkbucket(0, 0, 1, r)] += c1;
		m->cn[mkbucket(0, 0, 0, r)] += pop64(mask) - c1 - c2;
		return;
	}
	if (m->rpp >= 64) {
		unsigned int r = m->rclass[base >> m->rshift];

		while (mask) {
			unsigned int nl, t;

			i = __builtin_ctzll(mask);
			mask &= mask - 1;
			nl = (n2 >> i) & 1 ? 2 : (n1 >> i) & 1 ? 1 : 0;
			t = m->tc_age[renewal_ages__age(&m->ages, base + i)];
			m->cn[mkbucket(t, 0, nl, r)]++;
		}
		return;
	}
	while (mask) {
		unsigned int nl;

		i = __builtin_ctzll(mask);
		mask &= mask - 1;
		nl = (n2 >> i) & 1 ? 2 : (n1 >> i) & 1 ? 1 : 0;
		m->cn[page_bucket(m, base + i, nl)]++;
	}
}

static int check_epoch(const struct model *m, const struct model_epoch *ep)
{
	uint64_t i;

	if (!ep || !ep->dirty || !isfinite(ep->length_s) || ep->length_s < 0)
		return -EINVAL;
	if (ep->nr_detail && !ep->detail_pages)
		return -EINVAL;
	for (i = 0; i < ep->nr_detail; i++) {
		if (ep->detail_pages[i] >= m->p.pages)
			return -EINVAL;
		if (i && ep->detail_pages[i] <= ep->detail_pages[i - 1])
			return -EINVAL;
	}
	return 0;
}

static void learn(struct model *m)
{
	struct model_outcome o[256];
	unsigned int b, no = 0;
	double d = m->p.decay, sn = 0, sk = 0;
	double tn[MODEL_TCLASSES] = { 0 }, tk[MODEL_TCLASSES] = { 0 };

	for (b = 0; b < MODEL_BUCKETS; b++) {
		if (!m->cn[b])
			continue;
		if (m->obs) {
			o[no++] = (struct model_outcome){
				.bucket = b, .n = m->cn[b], .k = m->ck[b],
				.p = m->p1[b],
			};
			if (no == 256) {
				m->obs(m->obs_ctx, m, o, no);
				no = 0;
			}
		}
		tn[b / 72] += m->cn[b];
		tk[b / 72] += m->ck[b];
		sn += m->cn[b];
		sk += m->ck[b];
	}
	if (m->obs && no)
		m->obs(m->obs_ctx, m, o, no);
	for (b = 0; b < MODEL_BUCKETS; b++) {
		m->n[b] = d * m->n[b] + m->cn[b];
		m->k[b] = d * m->k[b] + m->ck[b];
	}
	for (b = 0; b < MODEL_TCLASSES; b++) {
		m->nt[b] = d * m->nt[b] + tn[b];
		m->kt[b] = d * m->kt[b] + tk[b];
	}
	m->ng = d * m->ng + sn;
	m->kg = d * m->kg + sk;
	recompute(m);
}

static void update_regions(struct model *m)
{
	uint64_t r;

	for (r = 0; r < m->nregions; r++) {
		uint64_t size = r + 1 == m->nregions ?
					m->p.pages - r * m->rpp : m->rpp;
		unsigned int d;

		d = !m->rdirty[r] ? 0 : m->rdirty[r] * 16 < size ? 1 : 2;
		m->rclass[r] = d;	/* own share; adjacency below */
	}
	for (r = 0; r < m->nregions; r++) {
		bool a = (r && (m->rclass[r - 1] % 3) == 2) ||
			 (r + 1 < m->nregions && (m->rclass[r + 1] % 3) == 2);

		m->rclass[r] = m->rclass[r] % 3 + (a ? 3 : 0);
	}
	/* the second pass reads a neighbour already rewritten: % 3 keeps
	 * its own share. */
}

/* Does this epoch's learning look at word w? All words of a guest of up
 * to MODEL_SAMPLE_PAGES pages; else a pseudo-random 1/stride of them,
 * another subset each epoch. */
static inline bool sampled(const struct model *m, uint64_t w)
{
	uint64_t h;

	if (m->stride <= 1)
		return true;
	h = (w + 1) * 0x9e3779b97f4a7c15ULL ^ m->salt;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (h >> 32) % m->stride == 0;
}

/* Learning: count the pages of word w by bucket and outcome (before the
 * state changes). */
static void learn_word(struct model *m, uint64_t w, uint64_t d, uint64_t a,
		       uint64_t n2, uint64_t n1)
{
	uint64_t todo = a | d, base = w * 64;

	count_cold(m, w, ~todo & wmask(m, w), n2, n1);
	while (todo) {
		unsigned int i = __builtin_ctzll(todo), b, nl;

		todo &= todo - 1;
		nl = (n2 >> i) & 1 ? 2 : (n1 >> i) & 1 ? 1 : 0;
		b = page_bucket(m, base + i, nl);
		m->cn[b]++;
		m->ck[b] += (d >> i) & 1;
	}
}

#ifdef __SSE2__
#define BYTES_1 0x0101010101010101ULL	/* a byte times it: in every byte */

/* Shift the epoch into word w's pages, 16 pages (bytes of an SSE2
 * register) at a time. Sets the word's act/recent/last bits. */
static void shift_word(struct model *m, uint64_t w, uint64_t d, uint64_t a)
{
	const __m128i sel = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128,
					  1, 2, 4, 8, 16, 32, 64, -128);
	const __m128i low4 = _mm_set1_epi8(0xf), zero = _mm_setzero_si128();
	const __m128i keep = _mm_set1_epi8((char)0xfe);
	uint64_t todo = a | d, nact = 0, nrec = 0;
	uint8_t *h = &m->hist[w * 64];
	unsigned int g;

	for (g = 0; g < 4; g++) {
		unsigned int db = (d >> (16 * g)) & 0xffff, nz, rz;
		__m128i x, v;

		if (!((todo >> (16 * g)) & 0xffff))
			continue;
		x = _mm_loadu_si128((const __m128i *)(h + 16 * g));
		/* each byte of half i holds byte i of db; built in
		 * registers (_mm_setr_epi8 went through the stack, and the
		 * 16-byte load of two 8-byte stores stalled the pass) */
		v = _mm_unpacklo_epi64(
			_mm_cvtsi64_si128((long long)((db & 0xff) * BYTES_1)),
			_mm_cvtsi64_si128((long long)((db >> 8) * BYTES_1)));
		v = _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(v, sel), sel),
				  _mm_set1_epi8(1));
		x = _mm_or_si128(_mm_and_si128(_mm_slli_epi16(x, 1), keep), v);
		_mm_storeu_si128((__m128i *)(h + 16 * g), x);
		nz = _mm_movemask_epi8(_mm_cmpeq_epi8(x, zero));
		rz = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(x, low4),
						      zero));
		nact |= (uint64_t)(~nz & 0xffff) << (16 * g);
		nrec |= (uint64_t)(~rz & 0xffff) << (16 * g);
	}
	m->act[w] = nact;
	m->recent[w] = nrec;
	m->last[w] = d;
}
#else
/* Shift the epoch into word w's pages one by one. Sets the word's
 * act/recent/last bits. */
static void shift_word(struct model *m, uint64_t w, uint64_t d, uint64_t a)
{
	uint64_t todo = a | d, nact = 0, nrec = 0, base = w * 64;

	while (todo) {
		unsigned int i = __builtin_ctzll(todo);
		uint8_t x;

		todo &= todo - 1;
		x = (uint8_t)((m->hist[base + i] << 1) | ((d >> i) & 1));
		m->hist[base + i] = x;
		nact |= (uint64_t)(x != 0) << i;
		nrec |= (uint64_t)((x & 0xf) != 0) << i;
	}
	m->act[w] = nact;
	m->recent[w] = nrec;
	m->last[w] = d;
}
#endif

/* aux of the dirty pages of word w, from the epoch's detail list. */
static void aux_word(struct model *m, const struct model_epoch *ep,
		     uint64_t w, uint64_t d, uint64_t *di, uint32_t len_us)
{
	uint64_t base = w * 64;

	while (d) {
		uint64_t page = base + __builtin_ctzll(d);
		uint8_t x = 0;

		d &= d - 1;
		while (*di < ep->nr_detail && ep->detail_pages[*di] < page)
			(*di)++;
		if (*di < ep->nr_detail && ep->detail_pages[*di] == page) {
			if (ep->detail_counts && ep->detail_counts[*di] > 1)
				x |= 1;
			if (ep->detail_first_us &&
			    (uint64_t)ep->detail_first_us[*di] * 2 >= len_us)
				x |= 2;
		}
		m->aux[page] = x;
	}
}

int model__update(struct model *m, const struct model_epoch *ep)
{
	uint64_t w, di = 0, ws[MODEL_WS_POINTS] = { 0 };
	uint64_t prev_last = 0, prev_recent = 0;
	uint32_t len_us;
	int err;

	err = check_epoch(m, ep);
	if (err)
		return err;
	if (ep->nr_detail && !m->aux) {
		/* the first epoch with detail: until now every aux was 0 */
		m->aux = calloc(m->words * 64, sizeof(*m->aux));
		if (!m->aux)
			return -ENOMEM;
	}
	len_us = (uint32_t)fmin(((ep->length_s ? ep->length_s : m->p.epoch_s)
				 * 1e6), 4e9);
	{
		uint64_t *t = m->front0;	/* front0: before this epoch */

		m->front0 = m->front;
		m->front = t;
	}
	memset(m->cn, 0, sizeof(m->cn));
	memset(m->ck, 0, sizeof(m->ck));
	m->salt = (m->epochs + 1) * 0xd6e8feb86659fd93ULL;
	for (w = 0; w < m->words; w++) {
		uint64_t d = ep->dirty[w] & wmask(m, w), a = m->act[w];
		uint64_t lp = prev_last, rp = prev_recent;

		prev_last = m->last[w];
		prev_recent = m->recent[w];
		if (w + PREFETCH_WORDS < m->words)
			__builtin_prefetch(&m->hist[(w + PREFETCH_WORDS) * 64]);
		if (sampled(m, w)) {
			uint64_t ln = w + 1 < m->words ? m->last[w + 1] : 0;
			uint64_t rn = w + 1 < m->words ? m->recent[w + 1] : 0;
			uint64_t n2, n1;

			n2 = spread(lp, prev_last, ln, m->p.neigh);
			n1 = spread(rp, prev_recent, rn, m->p.neigh) & ~n2;
			learn_word(m, w, d, a, n2, n1);
			m->sampled_pages += pop64(wmask(m, w));
		}
		if (!(a | d))
			continue;	/* cold word: its state stays zero */
		if (d) {
			ws[0] += pop64(d);
			m->rdirty[(w * 64) >> m->rshift] +=
				m->rpp >= 64 ? pop64(d) : 0;
			if (m->rpp < 64) {
				uint64_t x = d;

				while (x) {
					m->rdirty[(w * 64 +
						   __builtin_ctzll(x)) >>
						  m->rshift]++;
					x &= x - 1;
				}
			}
			if (ep->nr_detail) {
				aux_word(m, ep, w, d, &di, len_us);
			} else if (m->aux) {
				uint64_t x = d;

				while (x) {
					m->aux[w * 64 + __builtin_ctzll(x)] = 0;
					x &= x - 1;
				}
			}
		}
		shift_word(m, w, d, a);
		/* a page of a run: it and the page below it recent */
		m->front[w] = m->recent[w] & ((m->recent[w] << 1) |
					      (w ? m->recent[w - 1] >> 63 : 0));
		ws[1] += pop64(m->recent[w]);
		ws[2] += pop64(m->act[w]);
	}
	learn(m);
	renewal__update(m->rn, ep->dirty, m->front0, m->front);
	update_regions(m);
	memset(m->rdirty, 0, m->nregions * sizeof(*m->rdirty));
	memcpy(m->ws, ws, sizeof(ws));
	m->dirty_last = ws[0];
	renewal__ages(m->rn, &m->ages);	/* the stamps of this epoch */
	m->epochs++;
	m->len_sum += ep->length_s ? ep->length_s : m->p.epoch_s;
	return 0;
}

double model__p1(const struct model *m, unsigned int bucket)
{
	return bucket < MODEL_BUCKETS ? m->p1[bucket] : 0;
}

static double chain_risk(const struct model *m, unsigned int b, double h)
{
	double keep = 1, frac;
	unsigned int j, whole;

	if (!(h > 0))
		return 0;
	if (h > MODEL_HORIZON_MAX)
		h = MODEL_HORIZON_MAX;
	whole = (unsigned int)h;
	frac = h - whole;
	for (j = 0; j < whole; j++) {
		keep *= 1 - m->p1[b];
		b = m->succ[b];
	}
	if (frac > 0)
		keep *= pow(1 - m->p1[b], frac);
	return 1 - keep;
}

void model__risk(const struct model *m, double h, float *risk)
{
	unsigned int b;

	for (b = 0; b < MODEL_BUCKETS; b++)
		risk[b] = (float)chain_risk(m, b, h);
}

static double chain_hazard(const struct model *m, unsigned int b, double h)
{
	double hz = 0, frac;
	unsigned int j, whole;

	if (!(h > 0))
		return 0;
	if (h > MODEL_HORIZON_MAX)
		h = MODEL_HORIZON_MAX;
	whole = (unsigned int)h;
	frac = h - whole;
	for (j = 0; j < whole; j++) {
		hz -= log1p(-m->p1[b]);
		b = m->succ[b];
	}
	if (frac > 0)
		hz -= frac * log1p(-m->p1[b]);
	return hz;
}

void model__hazard(const struct model *m, double h, float *hz)
{
	unsigned int b;

	for (b = 0; b < MODEL_BUCKETS; b++)
		hz[b] = (float)chain_hazard(m, b, h);
}

double model__prob(const struct model *m, uint64_t page, double h)
{
	unsigned int b = model__bucket(m, page);

	return b < MODEL_BUCKETS ? chain_risk(m, b, h) : 0;
}

uint8_t model__hist(const struct model *m, uint64_t page)
{
	return page < m->p.pages ? m->hist[page] : 0;
}

void model__stats(const struct model *m, struct model_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->epochs = m->epochs;
	st->dirty_last = m->dirty_last;
	memcpy(st->ws, m->ws, sizeof(st->ws));
	st->epoch_s = m->epochs ? m->len_sum / m->epochs : m->p.epoch_s;
	st->rate = (m->kg + 0.5) / (m->ng + 1);
}

double model__bytes_per_page(const struct model *m)
{
	double per_region = sizeof(uint32_t) + sizeof(uint8_t);

	return sizeof(uint8_t) * (m->aux ? 2 : 1) + 5.0 / 8 +
	       per_region * m->nregions / m->p.pages +
	       renewal__bytes_per_page(m->rn);
}

struct renewal *model__renewal(const struct model *m)
{
	return m->rn;
}

const uint64_t *model__front(const struct model *m)
{
	return m->front;
}

void model__horizon(struct model *m, double h, double short_h,
		    struct model_horizon *hz)
{
	if (!(h > 0))
		h = 0;
	hz->h = h;
	hz->hs = fmin(h, short_h > 0 ? short_h : 0);
	if (hz->hs > 0)
		model__hazard(m, hz->hs, hz->hzb);
	else
		memset(hz->hzb, 0, sizeof(hz->hzb));
	renewal__prepare(m->rn, hz->hs, h - hz->hs);
}

uint64_t model__horizon_word(const struct model *m,
			     const struct model_horizon *hz, uint64_t w,
			     uint64_t mask, uint64_t below, float *out)
{
	uint64_t fw, x, n2, n1, base = w * 64;

	if (w >= m->words)
		return below;
	fw = m->front[w];
	mask &= wmask(m, w);
	if (w + PREFETCH_WORDS < m->words)
		__builtin_prefetch(&m->hist[(w + PREFETCH_WORDS) * 64]);
	if (mask) {
		/* the epoch model's short part by bucket, then the renewal
		 * model's long part added to it */
		nb_masks(m, w, &n2, &n1);
		for (x = mask; x; x &= x - 1) {
			unsigned int i = __builtin_ctzll(x);
			unsigned int nl = (n2 >> i) & 1 ? 2 :
					  (n1 >> i) & 1 ? 1 : 0;

			out[i] = hz->hzb[page_bucket(m, base + i, nl)];
		}
		if (hz->h - hz->hs > 0)
			renewal__add_hazard_word(m->rn, w, mask, fw, below,
						 out);
	}
	return fw ? w * 64 + 64 - __builtin_clzll(fw) : below;
}
