// SPDX-License-Identifier: GPL-2.0
/* test_renewal.c - the long-horizon parts of the model: the classes are
 * consistent; a periodic writer's page is safe right after its write and
 * due as its period comes round, and so is a page a sweep passed over but
 * did not write (renewal.h); a never-written page ahead of
 * a sequential writer is due in the order of its distance, and memory no
 * writer moves through stays cold (front.h); precopy-sim --quality scores
 * the long horizon; bad input is refused. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "model/front.h"
#include "model/quality.h"
#include "model/renewal.h"
#include "tracefile/trace.h"

static double risk(struct renewal *r, uint64_t page, const uint64_t *front,
		   double from, double h)
{
	renewal__prepare(r, from, h);
	return -expm1(-renewal__hazard(r, page, front));
}

static void test_classes(void)
{
	uint32_t a;
	unsigned int c, prev = 0;

	for (a = 1; a < 5000; a++) {
		c = renewal__aclass(a);
		if (!ASSERT_TRUE(c >= prev && c < RENEWAL_ACLASSES, "monotone"))
			return;
		if (!ASSERT_TRUE(a >= 2 * RENEWAL_FORGET ||
				 (renewal__astart(c) <= a &&
				  a < renewal__astart(c + 1)), "astart bounds"))
			return;
		if (!ASSERT_TRUE(renewal__gclass(a) < RENEWAL_GCLASSES,
				 "gap classes"))
			return;
		prev = c;
	}
	ASSERT_EQ(renewal__aclass(0), 0, "no age, no class");
	ASSERT_EQ(renewal__aclass(9), 8, "8-9");
	ASSERT_EQ(renewal__aclass(10), 9, "10-11");
	ASSERT_EQ(renewal__aclass(16), 12, "16-19");
	ASSERT_EQ(renewal__gclass(5), 4, "4-5");
	ASSERT_EQ(renewal__gclass(6), 5, "6-7");
	ASSERT_EQ(renewal__gclass(12), 7, "12-15");
	ASSERT_EQ(renewal__gclass(70000), RENEWAL_GCLASSES - 1, "capped");
	ASSERT_EQ(renewal__aclass(70000), RENEWAL_ACLASSES - 1, "capped");
	ASSERT_EQ(front__class(0, 5, 1ULL << 2, 0), 2, "3 pages up: class 2");
	ASSERT_EQ(front__class(3, 0, 0, 100), 7, "93 pages up: class 7");
	ASSERT_EQ(front__class(3, 0, 0, 0), 0, "no front");
}

/* 4096 pages, each written every 50 epochs at its own phase. */
static void test_periodic(void)
{
	uint64_t pages = 4096, words = pages / 64, *bm = NULL, e, p;
	struct renewal_params rp;
	struct renewal *r;
	double just, due, early;

	renewal_params__default(&rp, pages);
	r = renewal__new(&rp);
	bm = calloc(words, sizeof(*bm));
	if (!ASSERT_NOT_NULL(r, "new") || !ASSERT_NOT_NULL(bm, "bitmap"))
		goto out;
	for (e = 0; e < 400; e++) {
		memset(bm, 0, words * sizeof(*bm));
		for (p = 0; p < pages; p++)
			if ((e + p) % 50 == 0)
				bm[p / 64] |= 1ULL << (p % 64);
		ASSERT_OK(renewal__update(r, bm, NULL, NULL), "update");
	}
	/* after epoch 399: page p was written at age (399 + p) % 50 */
	just = risk(r, 1, NULL, 0, 30);		/* written in the last one */
	due = risk(r, 45, NULL, 0, 10);		/* written 44 epochs ago */
	early = risk(r, 41, NULL, 0, 2);	/* 40 ago: 9 epochs to go */
	printf("  risk: just written, next 30 epochs %.3f; 44 epochs ago, "
	       "next 10 %.3f; 40 ago, next 2 %.3f\n", just, due, early);
	ASSERT_LE(just, 0.1, "safe right after the write");
	ASSERT_GE(due, 0.8, "due as the period comes round");
	ASSERT_LE(early, 0.3, "not before");
	ASSERT_EQ(renewal__update(r, NULL, NULL, NULL), -EINVAL, "NULL");
out:
	renewal__free(r);
	free(bm);
}

/* Chunk c of pass n written? (a quarter of them, at random) */
static bool chunk_on(uint64_t c, uint64_t n)
{
	uint64_t h = (c + 1) * 0x9e3779b97f4a7c15ULL ^
		     (n + 7) * 0xbf58476d1ce4e5b9ULL;

	h ^= h >> 31;
	h *= 0x94d049bb133111ebULL;
	return ((h >> 40) & 3) == 0;
}

/* A scan passes over 8192 pages in 4 epochs every 40 epochs and writes a
 * random quarter of the 16-page chunks it crosses. A page it never wrote
 * is as safe as the pages it wrote until the next pass, and due then: the
 * sweeps of its word say so (renewal.h's INH column), not its own history
 * (it has none). */
static void test_partial_sweep(void)
{
	uint64_t pages = 8192, words = pages / 64, *bm = NULL, e, p, n;
	struct renewal_params rp;
	struct renewal *r;
	double soon, later;
	uint32_t age;
	unsigned int g;

	renewal_params__default(&rp, pages);
	r = renewal__new(&rp);
	bm = calloc(words, sizeof(*bm));
	if (!ASSERT_NOT_NULL(r, "new") || !ASSERT_NOT_NULL(bm, "bitmap"))
		goto out;
	for (e = 0; e < 406; e++) {
		memset(bm, 0, words * sizeof(*bm));
		for (p = 0; p < pages && e % 40 < 4; p++)
			if (p / 2048 == e % 40 && chunk_on(p / 16, e / 40))
				bm[p / 64] |= 1ULL << (p % 64);
		ASSERT_OK(renewal__update(r, bm, NULL, NULL), "update");
	}
	/* the last pass was epochs 400..403: a page no pass wrote */
	for (p = 0; p < pages; p++) {
		for (n = 0; n <= 10 && !chunk_on(p / 16, n); n++)
			;
		if (n > 10)
			break;
	}
	renewal__page(r, p, &age, &g);
	soon = risk(r, p, NULL, 0, 30);
	later = risk(r, p, NULL, 30, 15);
	printf("  page %llu, never written: risk over the next 30 epochs "
	       "%.3f, over the 15 after them %.3f\n", (unsigned long long)p,
	       soon, later);
	ASSERT_TRUE(p < pages && age == 0, "a page no pass wrote");
	ASSERT_LE(soon, 0.05, "safe until the next pass");
	ASSERT_GE(later, 0.1, "which may write it");
out:
	renewal__free(r);
	free(bm);
}

/* A writer appends 32 pages an epoch from page 1024 through memory never
 * written before; pages below 1024 are never written. */
static void test_front(void)
{
	uint64_t pages = 65536, words = pages / 64, *bm = NULL, *f0 = NULL;
	uint64_t *f1 = NULL, e, p, pos = 1024;
	struct renewal_params rp;
	struct renewal *r;
	double near, mid, far, cold, near_short;

	renewal_params__default(&rp, pages);
	r = renewal__new(&rp);
	bm = calloc(words, sizeof(*bm));
	f0 = calloc(words, sizeof(*f0));
	f1 = calloc(words, sizeof(*f1));
	if (!ASSERT_NOT_NULL(r, "new") || !ASSERT_NOT_NULL(bm, "bitmap") ||
	    !f0 || !f1)
		goto out;
	for (e = 0; e < 300; e++, pos += 32) {
		memset(bm, 0, words * sizeof(*bm));
		for (p = pos; p < pos + 32; p++)
			bm[p / 64] |= 1ULL << (p % 64);
		/* the front after the epoch: the last 4 epochs' pages that
		 * have their lower neighbour too */
		memcpy(f0, f1, words * sizeof(*f1));
		memset(f1, 0, words * sizeof(*f1));
		for (p = pos + 32 > 128 ? pos + 32 - 128 : 0; p < pos + 32; p++)
			if (p > 1024)
				f1[p / 64] |= 1ULL << (p % 64);
		ASSERT_OK(renewal__update(r, bm, f0, f1), "update");
	}
	/* the front is at pos - 1; 50 epochs ahead covers 1600 pages */
	near = risk(r, pos + 200, f1, 0, 50);
	mid = risk(r, pos + 1000, f1, 0, 50);
	far = risk(r, pos + 20000, f1, 0, 50);
	cold = risk(r, 500, f1, 0, 50);
	near_short = risk(r, pos + 1000, f1, 0, 5);
	printf("  risk over 50 epochs: 200 pages ahead %.3f, 1000 ahead %.3f, "
	       "20000 ahead %.3f, below the writer %.3f; 1000 ahead over 5 "
	       "epochs %.3f\n", near, mid, far, cold, near_short);
	ASSERT_GE(near, 0.8, "just ahead: due");
	ASSERT_GE(mid, 0.5, "within reach: likely");
	ASSERT_LE(far, 0.25, "far ahead: not yet");
	ASSERT_LE(cold, 0.05, "no writer: cold");
	ASSERT_LE(near_short, mid - 0.3, "the horizon matters");
	ASSERT_TRUE(near >= mid && mid >= far, "ordered by distance");
out:
	renewal__free(r);
	free(bm);
	free(f0);
	free(f1);
}

/* precopy-sim --quality's long horizons on a periodic sweep (2048 pages,
 * 512 of them written per epoch, every 40 epochs): the model as the
 * planner asks it must beat the epoch model alone at 20 epochs. */
static void test_quality_horizon(void)
{
	size_t cap = 4 << 20, len = 0;
	char *buf = malloc(cap), err[256];
	struct trace_reader *rd = NULL;
	struct trace_epochs *tr = NULL;
	struct quality_report *q = calloc(1, sizeof(*q));
	unsigned int e;
	uint64_t p;

	if (!ASSERT_NOT_NULL(buf, "buffer") || !ASSERT_NOT_NULL(q, "report"))
		goto out;
	len += snprintf(buf + len, cap - len,
			"# precopy-trace v1 page_size=4096 pages=4096\n");
	for (e = 0; e < 400; e++) {
		unsigned int ph = e % 40;

		len += snprintf(buf + len, cap - len, "# epoch %u\n",
				e * 100000);
		for (p = 0; p < 2048 && ph < 4; p++)
			if (p / 512 == ph)
				len += snprintf(buf + len, cap - len,
						"%u %llu\n", e * 100000,
						(unsigned long long)p);
	}
	len += snprintf(buf + len, cap - len, "# end %u\n", 400 * 100000);
	rd = trace_reader__open_mem(buf, len, err, sizeof(err));
	if (!ASSERT_NOT_NULL(rd, "reader") ||
	    !ASSERT_OK(trace_epochs__load(rd, 0, &tr), "load") ||
	    !ASSERT_OK(quality__run(tr, q, err, sizeof(err)), "quality"))
		goto out;
	{
		const struct quality_acc *a = q->hacc[0][QUALITY_ALL];

		printf("  20 epochs: prob brier %.4f auc %.3f, epoch %.4f "
		       "%.3f, last %.4f %.3f\n",
		       quality_acc__brier(&a[QUALITY_H_PROB]),
		       quality_acc__auc(&a[QUALITY_H_PROB]),
		       quality_acc__brier(&a[QUALITY_H_EPOCH]),
		       quality_acc__auc(&a[QUALITY_H_EPOCH]),
		       quality_acc__brier(&a[QUALITY_H_LAST]),
		       quality_acc__auc(&a[QUALITY_H_LAST]));
		ASSERT_EQ(q->horizon_epochs[0], 20, "first horizon");
		ASSERT_TRUE(a[QUALITY_H_PROB].n > 0, "scored");
		ASSERT_LE(quality_acc__brier(&a[QUALITY_H_PROB]),
			  0.5 * quality_acc__brier(&a[QUALITY_H_EPOCH]),
			  "the long horizon halves the Brier score");
		ASSERT_GE(quality_acc__auc(&a[QUALITY_H_PROB]),
			  quality_acc__auc(&a[QUALITY_H_EPOCH]) - 0.01,
			  "and ranks as well");
	}
out:
	trace_epochs__free(tr);
	trace_reader__close(rd);
	free(buf);
	free(q);
}

static void test_rejects(void)
{
	struct renewal_params rp;

	renewal_params__default(&rp, 0);
	errno = 0;
	ASSERT_TRUE(!renewal__new(&rp) && errno == EINVAL, "0 pages");
	renewal_params__default(&rp, 64);
	rp.decay = 0;
	errno = 0;
	ASSERT_TRUE(!renewal__new(&rp) && errno == EINVAL, "decay 0");
	errno = 0;
	ASSERT_TRUE(!front__new(1.5, 1) && errno == EINVAL, "front decay");
}

int main(void)
{
	RUN_TEST(test_classes);
	RUN_TEST(test_periodic);
	RUN_TEST(test_partial_sweep);
	RUN_TEST(test_front);
	RUN_TEST(test_quality_horizon);
	RUN_TEST(test_rejects);
	return harness_finish();
}
