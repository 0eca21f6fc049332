/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model.h - the dirty-probability model: for every guest page, the
 * probability that it is written again, learned online from the epochs of
 * dirty bitmaps a tracker harvests.
 *
 * Usage (online, e.g. in precopy-plan, or in the simulator):
 *
 *	struct model_params mp;
 *	model_params__default(&mp, pages, page_size, epoch_s);
 *	m = model__new(&mp);
 *	every harvested epoch:   model__update(m, &(struct model_epoch){
 *					.dirty = bitmap });
 *	when planning:           model__risk(m, horizon, risk);   per bucket
 *				 model__buckets_word(m, w, buckets); per page
 *	or, for one page:        model__prob(m, page, horizon)
 *
 * Bitmaps are arrays of uint64_t words over page indices: page p is bit
 * (p % 64) of word p / 64; model__words() words; bits at or past `pages` in
 * the last word are ignored.
 *
 * ===========================================================================
 * The rule
 * ===========================================================================
 *
 * State per page (2 bytes + 3 bits, see "Cost"):
 *   hist  8 bits: bit j set iff the page was dirty in the j-th most recent
 *         epoch (bit 0 = the last epoch fed).
 *   age   the age of its last write, in epochs: the long-horizon part's
 *         stamp (renewal.h, renewal__ages(); one stamp per page serves
 *         both). Writes RENEWAL_FORGET (1024) epochs old or more may be
 *         forgotten, and are by 1.5 times that: no record.
 *   aux   bit 0 "many": the page was written more than once in the last
 *         epoch it was dirty (needs write counts; else 0);
 *         bit 1 "late": its first write in that epoch came in the second
 *         half of the epoch (needs first-write times; else 0).
 *
 * Every page falls in one bucket b = ((t * 4 + aux) * 3 + n) * 6 + r of
 * MODEL_BUCKETS, from four features computed after the last epoch fed:
 *
 *   t  temporal class, 0..70 (MODEL_TCLASSES):
 *        1..60        dirty in one of the last 4 epochs: 1 + (L - 1) * 4 + o,
 *                     L = hist & 0xf (the exact last-4 pattern, 1..15) and
 *                     o = min(3, dirty epochs among the 4 before);
 *        61..64       last dirty 4..7 epochs ago: 61 + (age - 4);
 *        65..70       last dirty longer ago, by the stamp: age in
 *                     [8,16), [16,32), [32,64), [64,128), [128,256), and
 *                     256 epochs or more. Periodic writers (a sweep that
 *                     comes back every few seconds) are recognised before
 *                     they come back;
 *        0            no record (never dirty, or forgotten).
 *   aux  as above (0..3; 0 when t = 0).
 *   n  neighbourhood, 0..2: 2 if a page within +-neigh pages (itself
 *        excluded) was dirty in the last epoch; else 1 if one was dirty in
 *        one of the last 4 epochs; else 0.
 *   r  2 MiB region (2 MiB / page_size pages, at least 1), 0..5:
 *        r = 3 * a + d where d is the region's share of pages dirty in the
 *        last epoch (0: none, 1: under 1/16, 2: 1/16 or more) and a = 1 if
 *        an adjacent region had 1/16 or more (a moving front), else 0.
 *
 * Learning. Each epoch fed is an outcome for the bucket every page (of the
 * sample, see "Cost") was in just before it: n_b pages, k_b of them dirty. The model keeps decayed
 * sums N_b <- decay * N_b + n_b and K_b <- decay * K_b + k_b (decay 0.9 by
 * default: a memory of about 10 epochs, so phases are followed), and the
 * same per temporal class (N_t, K_t) and overall (N, K). The probability
 * that a page of bucket b is written in the next epoch is the hierarchically
 * smoothed frequency (prior weight m, 2 by default):
 *
 *	p0   = (K + 0.5) / (N + 1)                      overall rate
 *	p_t  = (K_t + m * p0) / (N_t + m)               temporal class t
 *	p1_b = (K_b + m * p_t) / (N_b + m)              bucket b of class t
 *
 * clamped to [1e-6, 1 - 1e-6]. Before any epoch was fed every p is 0.5.
 * Being empirical frequencies of the outcome they predict, the p1_b are
 * calibrated up to the drift of the workload (make eval reports Brier score,
 * log-loss and AUC).
 *
 * Horizon. A page sent now must stay clean until the migration ends, h
 * epochs from now. Its risk is the chance it is written within h epochs:
 *
 *	risk_h(b) = 1 - prod_{j=0..h-1} (1 - p1(succ^j(b)))
 *
 * where succ(b) is b's bucket after one more clean epoch: hist shifts left
 * by one (the class follows: L -> (L << 1) & 0xf, the bit shifted out moves
 * into the older count; ages 4..7 grow by one, age 8 is class 65); the
 * coarse age classes 65..70 and class 0 keep their class (a Markov
 * approximation: their p1 is the learned rate of the whole age band); aux,
 * n and r are kept. So this horizon is for the next few epochs; beyond
 * them the planner asks the long-horizon part (model__renewal(),
 * renewal.h: the age and previous gap of every page, and front.h: the
 * distance of a never-written page to the sequential writers below it),
 * which the model feeds with the same epochs. For a fractional h the last factor is raised to the
 * fractional part. h is clamped to [0, MODEL_HORIZON_MAX]; risk_0 = 0.
 *
 * ===========================================================================
 * Cost
 * ===========================================================================
 *
 * Memory: 1 (hist) + 1 (aux) bytes per page, plus five bitmaps (dirty in
 * the last epoch, in the last 4, in the last 8, and the front before and
 * after the last epoch), i.e. 2.625 bytes per page, plus 5 bytes per 2 MiB
 * region and fixed tables (MODEL_BUCKETS entries, 2048 ages); and the
 * long-horizon part, renewal.h: 2.125 bytes per page, whose stamps give
 * the ages (4.8 in all). The aux bytes exist only once an epoch with
 * detail was fed (until then every aux is 0); a tracker that gives bitmaps
 * alone, like KVM's dirty log, costs 1 byte per page less in memory and in
 * every update.
 *
 * Time per model__update(): one pass over the bitmap words. The history of
 * a word whose 64 pages are clean now and were clean for 8 epochs is not
 * touched (O(1)); other words shift 16 pages at a time (SSE2), and dirty
 * pages get their stamp (in the renewal part). Learning looks at a sample:
 * every word of a guest of up to MODEL_SAMPLE_PAGES pages, else a
 * pseudo-random subset of words holding about MODEL_SAMPLE_PAGES pages,
 * another one each epoch; there it costs O(64) per word. Then
 * O(regions + MODEL_BUCKETS).
 */
#ifndef PRECOPY_MODEL_H
#define PRECOPY_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MODEL_HIST_EPOCHS 8
#define MODEL_TCLASSES 71
#define MODEL_BUCKETS (MODEL_TCLASSES * 4 * 3 * 6)	/* 5112 */
#define MODEL_HORIZON_MAX 64.0				/* epochs */
#define MODEL_REGION_BYTES (2u << 20)
#define MODEL_WS_POINTS 3	/* working sets over 1, 4, 8 epochs */
#define MODEL_SAMPLE_PAGES (1u << 20)	/* learning sample per epoch */

struct model_params {
	uint64_t pages;		/* guest pages, 1..2^40 */
	uint32_t page_size;	/* bytes, a power of two in [512, 2^30] */
	double epoch_s;		/* nominal epoch length, seconds, > 0 */
	unsigned int neigh;	/* neighbourhood radius in pages, 1..32 */
	double decay;		/* forgetting factor per epoch, (0, 1] */
	double prior;		/* back-off prior weight m, > 0 */
	double long_decay;	/* the renewal part's decay, (0, 1] */
};

/* Fill *p with the defaults: neigh 4, decay 0.9, prior 2, long_decay
 * 0.995, and the given sizes. Can't fail. */
void model_params__default(struct model_params *p, uint64_t pages,
			   uint32_t page_size, double epoch_s);

/* One harvested epoch. Only `dirty` is required. The optional detail lists
 * some (or all) of the dirty pages in ascending order with their write
 * count in the epoch and/or the time of their first write after the
 * epoch's start; pages of the list that are not set in `dirty` are
 * ignored. */
struct model_epoch {
	const uint64_t *dirty;		/* model__words() words */
	uint64_t nr_detail;
	const uint64_t *detail_pages;	/* ascending; NULL if nr_detail 0 */
	const uint32_t *detail_counts;	/* or NULL: counts unknown */
	const uint32_t *detail_first_us; /* or NULL: times unknown */
	double length_s;		/* 0: params.epoch_s */
};

/* Decayed statistics of the outcomes, for reports. */
struct model_stats {
	uint64_t epochs;		/* epochs fed */
	uint64_t dirty_last;		/* pages dirty in the last epoch */
	/* distinct pages dirty in the last 1, 4, 8 epochs */
	uint64_t ws[MODEL_WS_POINTS];
	double epoch_s;			/* mean epoch length seen, seconds */
	double rate;			/* decayed overall p0 */
};

struct model;
struct renewal;

/* Per-epoch outcome counts of one bucket, handed to an observer (quality
 * evaluation): before the epoch, n pages were in bucket b and the model
 * gave them probability p (p1_b); k of them were dirty in the epoch. */
struct model_outcome {
	unsigned int bucket;
	uint64_t n, k;
	double p;
};
typedef void (*model_observer_fn)(void *ctx, const struct model *m,
				  const struct model_outcome *o,
				  unsigned int nr);

/*
 * Create a model. Returns it, or NULL with errno EINVAL (parameters out of
 * range) or ENOMEM. All pages start cold with no history.
 */
struct model *model__new(const struct model_params *p);

/* Free; NULL is ignored. Can't fail. */
void model__free(struct model *m);

/* The parameters in use. Can't fail. */
const struct model_params *model__params(const struct model *m);

/* Number of uint64_t words of a bitmap over the model's pages. */
uint64_t model__words(const struct model *m);

/*
 * Feed one epoch: learn from it (every page's outcome against its bucket),
 * then shift it into the history. Returns 0, or -EINVAL (ep or ep->dirty
 * NULL, detail pages not ascending or out of range, negative length); on
 * error the model is unchanged.
 */
int model__update(struct model *m, const struct model_epoch *ep);

/* Set (or clear, with fn NULL) the observer called by each later
 * model__update() once, after counting and before learning, with the
 * outcome of every bucket that held pages. Can't fail. */
void model__set_observer(struct model *m, model_observer_fn fn, void *ctx);

/* The bucket of page `page` now, in [0, MODEL_BUCKETS). page must be below
 * pages (else MODEL_BUCKETS is returned). */
unsigned int model__bucket(const struct model *m, uint64_t page);

/* The buckets of the pages of bitmap word w (pages 64w .. 64w + 63) whose
 * bit is set in mask, into out[bit]; other entries of out[64] are left
 * alone. Costs O(set bits). Bits at or past `pages`, and any w >=
 * model__words(), are ignored. Can't fail. */
void model__buckets_word(const struct model *m, uint64_t w, uint64_t mask,
			 uint16_t *out);

/* p1 of a bucket: probability of a write in the next epoch. */
double model__p1(const struct model *m, unsigned int bucket);

/* Fill risk[MODEL_BUCKETS] with risk_h of every bucket (see "Horizon").
 * O(MODEL_BUCKETS * h). Can't fail. */
void model__risk(const struct model *m, double horizon_epochs, float *risk);

/* Fill hz[MODEL_BUCKETS] with the cumulative hazard of every bucket over
 * h epochs, -log(1 - risk_h): risk_h = 1 - exp(-hz). Unlike risk it does
 * not round to 1, so it still orders buckets that are all but sure to be
 * written (at p1 <= 1 - 1e-6 it stays below 14 per epoch).
 * O(MODEL_BUCKETS * h). Can't fail. */
void model__hazard(const struct model *m, double horizon_epochs, float *hz);

/* risk_h of one page (O(h)); 0 for a page out of range. */
double model__prob(const struct model *m, uint64_t page,
		   double horizon_epochs);

/* The temporal class of a page with history hist and, when hist is 0, its
 * last write age epochs ago (0: none); and the class after one more clean
 * epoch (see "The rule"). Can't fail. */
unsigned int model__tclass(uint8_t hist, uint32_t age);
unsigned int model__tclass_next(unsigned int tclass);

/* The history of a page (bit 0 = last epoch); 0 out of range. */
uint8_t model__hist(const struct model *m, uint64_t page);

/* Statistics (see struct model_stats). Can't fail. */
void model__stats(const struct model *m, struct model_stats *st);

/* Bytes of state the model holds per page (for reports). */
double model__bytes_per_page(const struct model *m);

/* The model's long-horizon part (renewal.h), fed by model__update() with
 * the same epochs (prior: the model's; decay: long_decay). Can't fail. */
struct renewal *model__renewal(const struct model *m);

/* The front bitmap the renewal part's front classes use: the pages dirty
 * in one of the last 4 epochs fed (model__words() words). Can't fail. */
const uint64_t *model__front(const struct model *m);

/*
 * A page's cumulative hazard over the next h epochs, the way the planner
 * orders pages: the epoch model's (its bucket's, model__hazard) over the
 * first hs = min(h, short_h) epochs, then the long-horizon part's
 * (renewal.h, front.h) over the h - hs epochs after them. The chance of a
 * write within h epochs is 1 - exp(-hazard).
 *
 *	model__horizon(m, h, short_h, &hz);      once per h (O(MODEL_BUCKETS
 *						  * hs) + front.h's prepare)
 *	for w ascending: below = model__horizon_word(m, &hz, w, mask, below,
 *						     out);     (start below = 0)
 *
 * model__horizon_word() fills out[bit] for the pages of word w set in
 * mask (others untouched) and returns the `below` of the next word (1 +
 * the highest front page up to word w; front.h); a caller that skips
 * words passes front__below(model__front(m), w) instead. The model must
 * not be updated between the two.
 */
struct model_horizon {
	double h, hs;
	float hzb[MODEL_BUCKETS];
};
void model__horizon(struct model *m, double h, double short_h,
		    struct model_horizon *hz);
uint64_t model__horizon_word(const struct model *m,
			     const struct model_horizon *hz, uint64_t w,
			     uint64_t mask, uint64_t below, float *out);

#endif /* PRECOPY_MODEL_H */
