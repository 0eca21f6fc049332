// SPDX-License-Identifier: GPL-2.0
/* test_recent.c - the recent write counts the planner reads once a
 * migration stalls: per page, the share of recent epochs in which it was
 * written, from a count that halves every `half` epochs; a page's rate
 * follows its writes, and old epochs fade. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "model/recent.h"

#define PAGES 130	/* three words, the last one partial */

static void add(struct recent *r, unsigned int e)
{
	uint64_t bm[3] = { 0 };

	bm[0] = 1ULL << 3;			/* page 3: every epoch */
	if (e % 4 == 0)
		bm[1] = 1ULL << (70 - 64);	/* page 70: every 4th */
	bm[2] = 1ULL << (129 - 128) | 1ULL << 5;	/* 129; 133 is past
							 * the end */
	recent__add(r, bm);
}

static void test_rates(void)
{
	struct recent *r = recent__new(PAGES, 8);
	uint64_t none[3] = { 0 };
	unsigned int e;
	double hot;

	if (!ASSERT_NOT_NULL(r, "recent"))
		return;
	ASSERT_TRUE(recent__rate(r, 3) == 0, "no epoch yet: rate 0");
	add(r, 0);
	ASSERT_TRUE(recent__rate(r, 3) == 1, "written in 1 of 1 epochs");
	ASSERT_TRUE(recent__rate(r, 129) == 1, "the last page counts");
	ASSERT_TRUE(recent__rate(r, 4) == 0, "page 4 never written");
	ASSERT_TRUE(recent__rate(r, 133) == 0, "past the end: 0");
	recent__add(r, none);
	ASSERT_TRUE(recent__rate(r, 3) == 0.5, "1 of 2 epochs");
	/* 200 epochs: page 3 every time, page 70 every fourth */
	for (e = 0; e < 200; e++)
		add(r, e);
	hot = recent__rate(r, 3);
	ASSERT_TRUE(hot > 0.9 && hot <= 1, "every epoch: about 1");
	ASSERT_TRUE(fabs(recent__rate(r, 70) - 0.25) < 0.1,
		    "every fourth epoch: about 0.25");
	printf("  rates: every epoch %.3f, every fourth %.3f\n", hot,
	       recent__rate(r, 70));
	/* the writes stop: the rate falls, by half within a few halvings */
	for (e = 0; e < 16; e++)
		recent__add(r, none);
	ASSERT_TRUE(recent__rate(r, 3) < 0.5 * hot, "old epochs fade");
	for (e = 0; e < 80; e++)
		recent__add(r, none);
	ASSERT_TRUE(recent__rate(r, 3) == 0, "and leave");
	recent__free(r);
}

static void test_counts_do_not_wrap(void)
{
	struct recent *r = recent__new(PAGES, RECENT_HALF_MAX);
	unsigned int e;

	if (!ASSERT_NOT_NULL(r, "recent"))
		return;
	for (e = 0; e < 2000; e++)
		add(r, 0);
	ASSERT_TRUE(recent__rate(r, 3) > 0.98, "a page written every epoch "
		    "for long keeps a rate of 1");
	recent__free(r);
}

static void test_bad_sizes(void)
{
	errno = 0;
	ASSERT_TRUE(recent__new(0, 4) == NULL && errno == EINVAL,
		    "no pages refused");
	errno = 0;
	ASSERT_TRUE(recent__new(64, 0) == NULL && errno == EINVAL,
		    "no halving period refused");
	errno = 0;
	ASSERT_TRUE(recent__new(64, RECENT_HALF_MAX + 1) == NULL &&
		    errno == EINVAL, "a period the byte counts cannot hold");
	recent__free(NULL);
}

int main(void)
{
	RUN_TEST(test_rates);
	RUN_TEST(test_counts_do_not_wrap);
	RUN_TEST(test_bad_sizes);
	return harness_finish();
}
