// SPDX-License-Identifier: GPL-2.0
/* test_model.c - the dirty-probability model: known histories give the
 * probabilities documented in model.h, features are what the header says,
 * bad input is refused, and predictions are calibrated. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "model/model.h"
#include "model/renewal.h"


static unsigned int mkb(unsigned int t, unsigned int aux, unsigned int n,
			unsigned int r)
{
	return ((t * 4 + aux) * 3 + n) * 6 + r;
}

static void set_bit(uint64_t *bm, uint64_t p)
{
	bm[p / 64] |= 1ULL << (p % 64);
}

static int feed(struct model *m, const uint64_t *bm)
{
	struct model_epoch ep = { .dirty = bm };

	return model__update(m, &ep);
}

static struct model *mk(uint64_t pages, unsigned int neigh, double decay)
{
	struct model_params mp;

	model_params__default(&mp, pages, 4096, 0.1);
	mp.neigh = neigh;
	mp.decay = decay;
	return model__new(&mp);
}

static void test_tclass(void)
{
	ASSERT_EQ(model__tclass(0, 0), 0, "no record");
	ASSERT_EQ(model__tclass(0x1, 0), 1, "last epoch only");
	ASSERT_EQ(model__tclass(0xf, 0), 57, "last 4, nothing older");
	ASSERT_EQ(model__tclass(0x11, 0), 2, "last + one older");
	ASSERT_EQ(model__tclass(0xff, 0), 60, "every epoch");
	ASSERT_EQ(model__tclass(0x7f, 0), 60, "3+ older count as 3");
	ASSERT_EQ(model__tclass(0x10, 0), 61, "age 4");
	ASSERT_EQ(model__tclass(0x80, 0), 64, "age 7");
	ASSERT_EQ(model__tclass(0, 8), 65, "age 8");
	ASSERT_EQ(model__tclass(0, 15), 65, "age 15");
	ASSERT_EQ(model__tclass(0, 100), 68, "age 64..127");
	ASSERT_EQ(model__tclass(0, 700), 70, "age 256+");
	/* Successors: the history shifts by one clean epoch. */
	ASSERT_EQ(model__tclass_next(1), 5, "L 1 -> 2");
	ASSERT_EQ(model__tclass_next(model__tclass(0x8, 0)), 61,
		  "L 8 -> age 4");
	ASSERT_EQ(model__tclass_next(61), 62, "age 4 -> 5");
	ASSERT_EQ(model__tclass_next(64), 65, "age 7 -> 8");
	ASSERT_EQ(model__tclass_next(67), 67, "coarse ages stay");
	ASSERT_EQ(model__tclass_next(0), 0, "no record stays");
	ASSERT_EQ(model__tclass_next(60), model__tclass(0xfe, 0),
		  "every epoch, then one clean");
}

static void test_fresh_model_is_half(void)
{
	struct model *m = mk(100, 4, 0.9);
	float risk[MODEL_BUCKETS];

	if (!ASSERT_NOT_NULL(m, "model"))
		return;
	ASSERT_NEAR(model__p1(m, 0), 0.5, 1e-6, "p1 0.5");
	ASSERT_NEAR(model__prob(m, 7, 1), 0.5, 1e-6, "risk_1 0.5");
	ASSERT_NEAR(model__prob(m, 7, 2), 0.75, 1e-6, "risk_2 = 1 - 0.5^2");
	ASSERT_TRUE(fabs(model__prob(m, 7, 1.5) - (1 - 0.5 * sqrt(0.5))) <
		    1e-6, "fractional horizon");
	ASSERT_NEAR(model__prob(m, 7, 0), 0, 1e-6, "risk_0 = 0");
	ASSERT_NEAR(model__prob(m, 100, 1), 0, 0, "out of range: exactly 0");
	model__risk(m, 3, risk);
	ASSERT_TRUE(fabs(risk[MODEL_BUCKETS - 1] - 0.875) < 1e-6, "table");
	model__free(m);
}

/*
 * The worked example: 128 pages in one 2 MiB region, neigh 1, decay 1 (no
 * forgetting), prior 2. Pages 0..63 are dirty in every epoch, 64..127
 * never. After E >= 10 epochs, by the rule of model.h:
 *  - pages 0..63 have hist 0xff with class 60 once 7 epochs are in the
 *    history (L = 15, 3 of the 4 before); bucket (60, 0, n=2, r=2); it saw
 *    64 dirty of 64 in each of the last E - 7 epochs:
 *    N_b = K_b = N_t = K_t = 64 (E - 7);
 *  - overall N = 128 E, K = 64 E, so p0 = (64E + .5) / (128E + 1) = 1/2;
 *  - p_t = (K_t + 2 p0) / (N_t + 2), p1 = (K_b + 2 p_t) / (N_b + 2).
 *  - pages 65..127 are cold, no dirty neighbour, region dense (64/128):
 *    bucket (0, 0, 0, 2) with N_b = 63 (E - 1), K_b = 0; class 0 holds
 *    those, page 64 (E - 1 epochs) and all 128 pages of the first epoch
 *    (64 dirty): N_t = 128 + 64 (E - 1), K_t = 64.
 */
static void test_known_history(void)
{
	const unsigned int E = 12;
	struct model *m = mk(128, 1, 1.0);
	uint64_t bm[2] = { ~0ULL, 0 };
	double nb, pt, p1, nt, pt0, p1c, s;
	unsigned int e, b;

	if (!ASSERT_NOT_NULL(m, "model"))
		return;
	for (e = 0; e < E; e++)
		ASSERT_OK(feed(m, bm), "update");
	b = model__bucket(m, 5);
	ASSERT_EQ(b, mkb(60, 0, 2, 2), "hot page bucket");
	nb = 64.0 * (E - 7);
	pt = (nb + 2 * 0.5) / (nb + 2);
	p1 = (nb + 2 * pt) / (nb + 2);
	ASSERT_NEAR(model__p1(m, b), p1, 1e-6, "hot p1 as documented");
	/* One step later it is in class 56 (L = 14), never seen: p1 = p_t =
	 * p0 = 1/2. */
	s = 1 - (1 - p1) * 0.5;
	ASSERT_NEAR(model__prob(m, 5, 2), s, 1e-6, "risk over 2 epochs");

	ASSERT_EQ(model__bucket(m, 64), mkb(0, 0, 2, 2), "edge page n=2");
	b = model__bucket(m, 100);
	ASSERT_EQ(b, mkb(0, 0, 0, 2), "cold page bucket");
	nt = 128 + 64.0 * (E - 1);
	pt0 = (64 + 2 * 0.5) / (nt + 2);
	p1c = (0 + 2 * pt0) / (63.0 * (E - 1) + 2);
	ASSERT_NEAR(model__p1(m, b), p1c, 1e-6, "cold p1 as documented");
	ASSERT_EQ(model__hist(m, 3), 0xff, "hist of the last 8 epochs");
	model__free(m);
}

/* Forgetting: with decay 0.5 a page class that stops being written is
 * believed cold again within a few epochs. */
static void test_decay_follows_phases(void)
{
	struct model *m = mk(64 * 64, 4, 0.5);
	uint64_t *bm = calloc(64, sizeof(*bm));
	unsigned int e, p;
	double before, after;

	if (!ASSERT_NOT_NULL(m, "model") || !ASSERT_NOT_NULL(bm, "bm"))
		goto out;
	/* Phase 1: pages with hist 0x1 (dirty once, alternate epochs) are
	 * always dirty again two epochs later: every even epoch pages 0..999
	 * are written. */
	for (e = 0; e < 40; e++) {
		for (p = 0; p < 64; p++)
			bm[p] = 0;
		if (e % 2 == 0)
			for (p = 0; p < 1000; p++)
				set_bit(bm, p);
		feed(m, bm);
	}
	/* Now (after an odd epoch) page 5 has hist 0b10: due next epoch. */
	before = model__prob(m, 5, 1);
	ASSERT_GE(before, 0.9, "periodic page predicted");
	/* Phase 2: nothing is written any more. */
	for (p = 0; p < 64; p++)
		bm[p] = 0;
	for (e = 0; e < 40; e++)
		feed(m, bm);
	/* A page with the same history pattern is no longer expected. */
	for (e = 0; e < 2; e++) {
		for (p = 0; p < 64; p++)
			bm[p] = 0;
		if (e == 0)
			set_bit(bm, 5);
		feed(m, bm);
	}
	after = model__prob(m, 5, 1);
	ASSERT_LE(after, 0.6, "phase change forgotten");
out:
	free(bm);
	model__free(m);
}

static void test_features(void)
{
	/* 4 regions of 512 pages (4 KiB pages), neigh 2. */
	struct model *m = mk(2048, 2, 0.9);
	uint64_t bm[32] = { 0 }, pages[2] = { 10, 600 };
	uint32_t counts[2] = { 3, 1 }, first[2] = { 10, 90000 };
	unsigned int p;

	if (!ASSERT_NOT_NULL(m, "model"))
		return;
	set_bit(bm, 10);
	set_bit(bm, 600);
	/* region 0 dense (>= 1/16 = 32 pages): pages 100..139 */
	for (p = 100; p < 140; p++)
		set_bit(bm, p);
	struct model_epoch ep = {
		.dirty = bm, .nr_detail = 2, .detail_pages = pages,
		.detail_counts = counts, .detail_first_us = first,
		.length_s = 0.1,
	};
	int ret;

	ret = model__update(m, &ep);
	ASSERT_OK(ret, "update");
	/* page 10: dirty, many writes, early first write -> aux 1 */
	ASSERT_EQ(model__bucket(m, 10), mkb(1, 1, 0, 2), "aux many");
	/* page 600: one write, late -> aux 2; region 1 sparse (1 page), its
	 * neighbour region 0 dense -> r = 3 + 1 */
	ASSERT_EQ(model__bucket(m, 600), mkb(1, 2, 0, 4), "aux late, r 4");
	/* page 12: cold, page 10 within 2 -> n 2 */
	ASSERT_EQ(model__bucket(m, 12), mkb(0, 0, 2, 2), "neighbour");
	ASSERT_EQ(model__bucket(m, 13), mkb(0, 0, 0, 2), "too far");
	/* page 1100 (region 2): no dirty region around -> r 0... region 2's
	 * neighbours are 1 (sparse) and 3 (clean) */
	ASSERT_EQ(model__bucket(m, 1100), mkb(0, 0, 0, 0), "cold region");
	ASSERT_EQ(model__bucket(m, 2048), MODEL_BUCKETS, "out of range");
	/* Three clean epochs: page 12's neighbour is "recent" -> n 1. */
	for (p = 0; p < 32; p++)
		bm[p] = 0;
	ASSERT_OK(feed(m, bm), "update");
	ASSERT_EQ(model__bucket(m, 12) / 6 % 3, 1, "recent neighbour");
	ASSERT_EQ(model__bucket(m, 10) / 72, model__tclass(0x2, 0), "history");
	model__free(m);
}

static void test_rejects_bad_input(void)
{
	struct model_params mp;
	struct model *m;
	uint64_t bm[2] = { 1, 0 }, bad[2] = { 5, 3 }, oob[1] = { 128 };

	model_params__default(&mp, 128, 4096, 0.1);
	mp.page_size = 3000;
	errno = 0;
	ASSERT_TRUE(model__new(&mp) == NULL && errno == EINVAL, "page size");
	model_params__default(&mp, 0, 4096, 0.1);
	ASSERT_TRUE(model__new(&mp) == NULL, "no pages");
	model_params__default(&mp, 128, 4096, 0.1);
	mp.decay = 0;
	ASSERT_TRUE(model__new(&mp) == NULL, "decay 0");
	m = mk(128, 4, 0.9);
	if (!ASSERT_NOT_NULL(m, "model"))
		return;
	ASSERT_EQ(model__update(m, NULL), -EINVAL, "NULL epoch");
	ASSERT_EQ(model__update(m, &(struct model_epoch){ 0 }), -EINVAL,
		  "NULL bitmap");
	ASSERT_EQ(model__update(m, &(struct model_epoch){ .dirty = bm,
			.nr_detail = 2, .detail_pages = bad }), -EINVAL,
		  "unsorted detail");
	ASSERT_EQ(model__update(m, &(struct model_epoch){ .dirty = bm,
			.nr_detail = 1, .detail_pages = oob }), -EINVAL,
		  "detail out of range");
	ASSERT_EQ(model__update(m, &(struct model_epoch){ .dirty = bm,
			.length_s = -1 }), -EINVAL, "negative length");
	ASSERT_EQ(model__hist(m, 0), 0, "unchanged after errors");
	model__free(m);
}

/* Every page is counted once per epoch whatever skipping happens, and on
 * a stationary random workload (pages dirty independently, a hot tenth at
 * 0.5, the rest at 0.02) the predictions are calibrated: in every band of
 * predicted probability, the mean prediction matches the observed rate. */
struct tally {
	uint64_t n, k;
	unsigned int epoch;
	double band_p[4], band_n[4], band_k[4];
};

static void tally_obs(void *ctx, const struct model *m,
		      const struct model_outcome *o, unsigned int nr)
{
	static const double edge[4] = { 0.1, 0.3, 0.6, 1.01 };
	struct tally *t = ctx;
	unsigned int i, b;

	(void)m;
	for (i = 0; i < nr; i++) {
		t->n += o[i].n;
		t->k += o[i].k;
		if (t->epoch < 50)
			continue;
		for (b = 0; o[i].p >= edge[b]; b++)
			;
		t->band_p[b] += o[i].p * o[i].n;
		t->band_n[b] += o[i].n;
		t->band_k[b] += o[i].k;
	}
}

static void test_counts_and_calibration(void)
{
	const uint64_t pages = 64 * 200 + 17;	/* partial last word */
	struct model *m = mk(pages, 4, 0.9);
	uint64_t words = (pages + 63) / 64, *bm = calloc(words, 8), dirty;
	struct tally t = { 0 };
	unsigned int e, b, seed = 12345, bands = 0;
	uint64_t p, total_dirty = 0;

	if (!ASSERT_NOT_NULL(m, "model") || !ASSERT_NOT_NULL(bm, "bm"))
		goto out;
	model__set_observer(m, tally_obs, &t);
	for (e = 0; e < 150; e++) {
		for (p = 0; p < words; p++)
			bm[p] = 0;
		dirty = 0;
		for (p = 0; p < pages; p++) {
			double q = p % 10 == 0 ? 0.5 : 0.02;

			seed = seed * 1103515245 + 12345;
			if ((seed >> 8) / (double)(1 << 24) < q) {
				set_bit(bm, p);
				dirty++;
			}
		}
		t.epoch = e;
		total_dirty += dirty;
		ASSERT_OK(feed(m, bm), "update");
	}
	ASSERT_EQ(t.n, 150 * pages, "every page counted every epoch");
	ASSERT_EQ(t.k, total_dirty, "every dirty page counted");
	for (b = 0; b < 4; b++) {
		double mp, obs;

		if (t.band_n[b] < 5000)
			continue;
		bands++;
		mp = t.band_p[b] / t.band_n[b];
		obs = t.band_k[b] / t.band_n[b];
		printf("  band %u: %8.0f predictions, mean p %.4f, observed "
		       "%.4f\n", b, t.band_n[b], mp, obs);
		ASSERT_TRUE(fabs(mp - obs) < 0.03, "calibrated band");
	}
	ASSERT_GE(bands, 2, "low and high predictions both made");
out:
	free(bm);
	model__free(m);
}

/* Stats: working sets over 1, 4, 8 epochs. */
static void test_working_sets(void)
{
	struct model *m = mk(1024, 4, 0.9);
	uint64_t bm[16];
	struct model_stats st;
	unsigned int e, i;

	if (!ASSERT_NOT_NULL(m, "model"))
		return;
	/* epoch e dirties pages 10e .. 10e+9 */
	for (e = 0; e < 20; e++) {
		for (i = 0; i < 16; i++)
			bm[i] = 0;
		for (i = 0; i < 10; i++)
			set_bit(bm, 10 * e + i);
		feed(m, bm);
	}
	model__stats(m, &st);
	ASSERT_EQ(st.epochs, 20, "epochs");
	ASSERT_EQ(st.ws[0], 10, "W(1)");
	ASSERT_EQ(st.ws[1], 40, "W(4)");
	ASSERT_EQ(st.ws[2], 80, "W(8)");
	/* 3.6 for the epoch model, 3.1 for the renewal part */
	ASSERT_LE(model__bytes_per_page(m), 7.0, "<= 7 bytes per page");
	model__free(m);
}

/* A page written once ages through the coarse classes, learns what an age
 * means (a sweep that comes back every 40 epochs), and is forgotten after
 * 1.5 x RENEWAL_FORGET epochs (the stamps are the renewal part's). */
static void test_ages(void)
{
	struct model *m = mk(4096, 4, 0.9);
	uint64_t bm[64];
	unsigned int e, i, t;
	double due, young;

	if (!ASSERT_NOT_NULL(m, "model"))
		return;
	/* A sweep: 100 pages per epoch, period 40 epochs over 4000 pages. */
	for (e = 0; e < 410; e++) {
		for (i = 0; i < 64; i++)
			bm[i] = 0;
		for (i = 0; i < 100; i++)
			set_bit(bm, (e % 40) * 100 + i);
		ASSERT_OK(feed(m, bm), "update");
	}
	/* The last epoch swept 900..999: the front. Page 1050 was swept 39
	 * epochs ago and is next; page 2050, swept 29 epochs ago, is not. */
	t = model__bucket(m, 1050) / 72;
	ASSERT_EQ(t, 67, "age 32..63");
	t = model__bucket(m, 950) / 72;
	ASSERT_EQ(t, 1, "just swept");
	due = model__prob(m, 1050, 4);
	young = model__prob(m, 2050, 4);
	ASSERT_GE(due, young + 0.05, "the sweep is expected back");
	ASSERT_GE(due, 10 * young, "ranked far above the swept page");
	printf("  risk over 4 epochs: due %.3f, swept 29 epochs ago %.3f\n",
	       due, young);
	/* Quiet for 1.5 x RENEWAL_FORGET epochs: every record is forgotten. */
	for (i = 0; i < 64; i++)
		bm[i] = 0;
	for (e = 0; e < RENEWAL_FORGET * 3 / 2 + 200; e++)
		feed(m, bm);
	ASSERT_EQ(model__bucket(m, 0) / 72, 0, "forgotten");
	ASSERT_EQ(model__bucket(m, 3999) / 72, 0, "forgotten too");
	model__free(m);
}

int main(void)
{
	RUN_TEST(test_tclass);
	RUN_TEST(test_fresh_model_is_half);
	RUN_TEST(test_known_history);
	RUN_TEST(test_decay_follows_phases);
	RUN_TEST(test_features);
	RUN_TEST(test_rejects_bad_input);
	RUN_TEST(test_counts_and_calibration);
	RUN_TEST(test_working_sets);
	RUN_TEST(test_ages);
	return harness_finish();
}
