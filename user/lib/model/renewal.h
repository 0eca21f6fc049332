/* SPDX-License-Identifier: GPL-2.0 */
/*
 * renewal.h - the long-horizon part of the dirty-probability model: for
 * every page, the chance that it is written within the next h epochs, for
 * h up to thousands of epochs, from the time since its last write (its
 * age), the gap between its last two writes, and when a sweep last passed
 * over its 64-page word.
 *
 * Why. A page sent in the first pass of a migration must stay clean for
 * the rest of it: tens of seconds, hundreds of epochs. The epoch model
 * (model.h) predicts the next epoch from the last eight and a few coarse
 * age bands whose rates it forgets within ~10 epochs; over a long horizon
 * it cannot tell a page swept by a periodic writer (a GC sweep, a batch
 * scan, a checkpoint) right after the sweep passed it (safe until the
 * sweep comes round) from the same page just before the sweep returns
 * (about to be written). A renewal view can: P(write within h | age a,
 * previous gap g) is low while a is well below g and high as a reaches g.
 *
 * Usage (the model owns one and feeds it; see model__renewal()):
 *
 *	renewal_params__default(&rp, pages);
 *	r = renewal__new(&rp);
 *	every epoch:     renewal__update(r, dirty, front_before, front_after);
 *	when planning:   renewal__prepare(r, from, h);
 *			 renewal__hazard_word(r, w, mask, fw, below, out);
 *	or, for a page:  renewal__hazard(r, page, front)
 *
 * Bitmaps are uint64_t words, page p = bit p % 64 of word p / 64.
 *
 * ===========================================================================
 * The rule
 * ===========================================================================
 *
 * State per page: the epoch of its last write (none if it was never
 * written, or last written RENEWAL_FORGET epochs ago or more) and the class
 * of the gap between its last two writes (none if written once). Before
 * epoch e is fed, a page last written in epoch e0 has age a = e - e0 >= 1.
 *
 *   age class    c(a): 0 none; a for a = 1..7; from 8 on, quarter octaves:
 *                8 + 4 (floor(log2 a) - 3) + q, q the next two bits of a
 *                (8-9, 10-11, 12-13, 14-15, 16-19, ...), up to class 39
 *                (ages of 2 * RENEWAL_FORGET or more count as the last).
 *   gap class    k(g): 0 none; g for g = 1..3; from 4 on, half octaves:
 *                4 + 2 (floor(log2 g) - 2) + the next bit (4-5, 6-7, 8-11,
 *                12-15, ...), up to class 21.
 *   word class   d: a word (64 pages) is swept in an epoch that writes
 *                RENEWAL_SWEEP_PAGES or more of its pages (a scan, a copy,
 *                a sequential writer; not scattered writes); per word the
 *                epoch of its last sweep. A page whose word was swept
 *                after the page's last write, by t epochs, has d = 1 +
 *                floor(log2 t) (at most RENEWAL_DCLASSES - 1); else d = 0.
 *                A sweep that wrote half of a word's pages passed over the
 *                other half too: they are safe until it comes round.
 *
 * The cell of a page with a write on record is (c(age), (k, d)). A page
 * never written, in a word that was swept, is in column INH at the age of
 * the word's sweep (the sweep's pages it did not write). A page never
 * written, in a word never swept, is not in the table: its hazard is
 * front.h's (the distance to the sequential writers below it), in one of
 * FRONT_BLOCKS chains by how many pages of its word are on record (none,
 * one, more: scattered writes nearby, e.g. a key-value store's keyspace,
 * against memory nobody touches).
 *
 * Learning. Each epoch fed is an outcome for every page of the sample
 * (about RENEWAL_SAMPLE_PAGES pages: every stride-th block of 64 words,
 * from another pseudo-random offset each epoch; every page of a smaller
 * guest) that has a write on record: exposure E[c][k] += 1 in the cell
 * of its age and gap class before the epoch, writes W[c][k] += 1 if it
 * was dirty in it. Both decay by `decay` per epoch (0.995: a memory of
 * ~200 epochs, so a sweep with a period of several seconds is remembered
 * across its quiet time). The
 * probability of a write in an epoch in a cell is smoothed towards its
 * gap class (prior weight m), that towards the age class, and the age
 * class towards the class below it (ages nobody reached yet take the
 * hazard of the oldest ones seen), the lowest towards the overall rate:
 *
 *	p0    = (W + 0.5) / (E + 1)
 *	pa[c] = (Wa[c] + m pa[c-1]) / (Ea[c] + m)    (pa[0] from p0, pa[1] too)
 *	pg[c][k] = (Wg[c][k] + m pa[c]) / (Eg[c][k] + m)  (summed over d)
 *	p[c][k,d] = (W[c][k,d] + m pg[c][k]) / (E[c][k,d] + m)
 *	p[c][INH] = (W[c][INH] + m pa[c]) / (E[c][INH] + m)
 *
 * clamped to [1e-7, 1 - 1e-6], as the hazard -log(1 - p) per epoch.
 *
 * Horizon. A page ages one epoch per clean epoch (and so does its word:
 * d stays), so its cumulative hazard over the epochs [from, from + h)
 * after the last one fed is the sum of the hazards of the cells it passes
 * through in its column: exact, not a Markov approximation (piecewise
 * linear in the age, so fractional from and h are fine). The chance of a
 * write is 1 - exp(-hazard).
 *
 * ===========================================================================
 * Cost
 * ===========================================================================
 *
 * Memory: 2 bytes per page (an 11-bit stamp, the epoch modulo 2048, and
 * the 5-bit gap class), a bitmap of the pages with a stamp, 2 bytes and a
 * bit per word (the sweep): 2.16 bytes per page; tables of 40 x 265
 * cells; front.h's chains. Touching one
 * 16-bit word per dirty page keeps the cost to one cache line per write.
 * renewal__update: O(words) to find the dirty pages, O(dirty) to stamp
 * them, O(sampled pages) to learn, O(cells) to refresh the tables, and
 * front.h's epoch; every RENEWAL_FORGET / 2 epochs an O(pages) pass
 * forgets stamps before they alias. renewal__hazard: O(1).
 */
#ifndef PRECOPY_RENEWAL_H
#define PRECOPY_RENEWAL_H

#include <stdint.h>

#define RENEWAL_STAMP_BITS 11	/* a page's stamp: its epoch modulo 2^11 */
#define RENEWAL_STAMP_MASK ((1u << RENEWAL_STAMP_BITS) - 1)
#define RENEWAL_ACLASSES 40
#define RENEWAL_GCLASSES 22
#define RENEWAL_DCLASSES 12
#define RENEWAL_SWEEP_PAGES 4		/* of a word's in one epoch: a sweep */
#define RENEWAL_FORGET 1024u		/* epochs a stamp is kept, at least */
#define RENEWAL_SAMPLE_PAGES (1u << 18)	/* learning sample per epoch */

struct renewal_params {
	uint64_t pages;		/* 1..2^40 */
	double decay;		/* per epoch, (0, 1] */
	double prior;		/* smoothing weight m, > 0 */
};

/* Defaults: decay 0.995, prior 2. Can't fail. */
void renewal_params__default(struct renewal_params *p, uint64_t pages);

struct renewal;

/* Create. Returns NULL with errno EINVAL (parameters out of range) or
 * ENOMEM. Every page starts with no record. */
struct renewal *renewal__new(const struct renewal_params *p);

/* Free; NULL is ignored. */
void renewal__free(struct renewal *r);

/* Feed one epoch's dirty bitmap ((pages + 63) / 64 words; bits past pages
 * ignored), with the front bitmaps (front.h) before and after it (NULL:
 * none): learn from it, then record its writes. Returns 0 or -EINVAL
 * (dirty NULL; nothing changed). */
int renewal__update(struct renewal *r, const uint64_t *dirty,
		    const uint64_t *front0, const uint64_t *front1);

/* Set the horizon of the hazards below: the epochs [from, from + h) after
 * the last one fed (negative values count as 0). O(front.h's prepare).
 * Can't fail. */
void renewal__prepare(struct renewal *r, double from, double h);

/* The cumulative hazard of page `page` over the prepared horizon, with
 * the front bitmap now (NULL: none): the chance of a write in it is
 * 1 - exp(-result). 0 for a page out of range or before any prepare.
 * O(1), plus the search for the front below the page's word. */
double renewal__hazard(const struct renewal *r, uint64_t page,
		       const uint64_t *front);

/* The same for the pages of word w set in mask, into out[bit] (other
 * entries untouched), with fw = front[w] and below = front__below(front,
 * w) (a caller going through the words in ascending order keeps it: 1 +
 * the highest page set in front below word w, 0 if none). Bits past pages
 * and w out of range are ignored. */
void renewal__hazard_word(const struct renewal *r, uint64_t w, uint64_t mask,
			  uint64_t fw, uint64_t below, float *out);

/* The same, added to out[bit] (the caller's part of the hazard) instead
 * of stored there. */
void renewal__add_hazard_word(const struct renewal *r, uint64_t w,
			      uint64_t mask, uint64_t fw, uint64_t below,
			      float *out);

/* The age class of an age in epochs (0 for 0), the first age of class c
 * (c < RENEWAL_ACLASSES; RENEWAL_ACLASSES gives 2 * RENEWAL_FORGET), and
 * the gap class of a gap (0 for 0). Can't fail. */
unsigned int renewal__aclass(uint32_t age);
uint32_t renewal__astart(unsigned int c);
unsigned int renewal__gclass(uint32_t gap);

/* The age of page `page` (epochs since its last write, counted at the
 * next epoch: 1 if written in the last one fed) and its gap class; age 0:
 * no record. Can't fail (0, 0 out of range). */
void renewal__page(const struct renewal *r, uint64_t page, uint32_t *age,
		   unsigned int *gclass);

/* The learned probability of a write in one epoch at age class c, gap
 * class g and word class d (g = RENEWAL_GCLASSES: a never-written page of
 * a written word, d ignored); 0 out of range. */
double renewal__p(const struct renewal *r, unsigned int c, unsigned int g,
		  unsigned int d);

/* The word class of a distance in epochs (see "The rule"). */
unsigned int renewal__dclass(uint32_t d);

/* Bytes of state per page. */
double renewal__bytes_per_page(const struct renewal *r);

/* The age of every page's last write, for a reader of many pages (the
 * epoch model's temporal classes): filled by renewal__ages(), valid until
 * the next renewal__update(). */
struct renewal_ages {
	const uint16_t *st;	/* per page: stamp in the low STAMP_BITS */
	const uint64_t *rec;	/* the pages with a stamp */
	uint16_t cur;		/* the stamp of the next epoch */
};

void renewal__ages(const struct renewal *r, struct renewal_ages *a);

/* Age (>= 1, < 2^RENEWAL_STAMP_BITS) of page p's last write before the
 * next epoch, 1 for a write in the last epoch fed; 0 when none is on
 * record (never written, or forgotten: see RENEWAL_FORGET). p must be
 * below the pages of the renewal model. As renewal__page(), inline. */
static inline uint32_t renewal_ages__age(const struct renewal_ages *a,
					 uint64_t p)
{
	if (!((a->rec[p / 64] >> (p % 64)) & 1))
		return 0;
	return (uint32_t)(a->cur - a->st[p]) & RENEWAL_STAMP_MASK;
}

#endif /* PRECOPY_RENEWAL_H */
