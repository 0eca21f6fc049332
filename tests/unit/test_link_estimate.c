// SPDX-License-Identifier: GPL-2.0
/* test_link_estimate.c - the planner's view of the link: a bandwidth
 * estimate that a few wild readings (a slow bitmap sync) do not move, a
 * cautious bandwidth never under a quarter of it, and the rate pages went
 * out at over the last half second of iterations. */
#include <math.h>

#include "harness.h"
#include "model/link_estimate.h"

#define MIB (1024.0 * 1024.0)

static void test_guess_then_readings(void)
{
	struct link_estimate e;

	link_estimate__init(&e, 8 * MIB);
	ASSERT_TRUE(e.mu == 8 * MIB && e.sd == 0, "the guess until a reading");
	ASSERT_TRUE(link_estimate__cautious(&e, 2) == 8 * MIB,
		    "no spread: the estimate itself");
	link_estimate__add_bandwidth(&e, 0);
	link_estimate__add_bandwidth(&e, -1);
	link_estimate__add_bandwidth(&e, NAN);
	link_estimate__add_bandwidth(&e, INFINITY);
	ASSERT_TRUE(e.mu == 8 * MIB, "readings of 0, < 0, NaN, inf ignored");
	link_estimate__add_bandwidth(&e, 4 * MIB);
	ASSERT_TRUE(e.mu == 4 * MIB && e.sd == 0, "one reading: it");
}

static void test_robust_to_slow_syncs(void)
{
	struct link_estimate e;
	unsigned int i;

	link_estimate__init(&e, 1 * MIB);
	for (i = 0; i < 12; i++)	/* an 8 MiB/s link read around it */
		link_estimate__add_bandwidth(&e, (8 + (i % 3) * 0.5 - 0.5) *
						 MIB);
	link_estimate__add_bandwidth(&e, 107 * 1024);	/* a slow sync */
	link_estimate__add_bandwidth(&e, 107 * 1024);
	link_estimate__add_bandwidth(&e, 107 * 1024);
	printf("  mu %.2f MiB/s, sd %.2f MiB/s after 3 slow readings of 9\n",
	       e.mu / MIB, e.sd / MIB);
	ASSERT_TRUE(fabs(e.mu - 8 * MIB) <= 0.5 * MIB,
		    "3 slow readings of 9 leave the median near 8 MiB/s");
	ASSERT_TRUE(link_estimate__cautious(&e, 1) > 6 * MIB,
		    "and the cautious bandwidth too");
	for (i = 0; i < LINK_BW_SAMPLES; i++)	/* the link really slowed */
		link_estimate__add_bandwidth(&e, 2 * MIB);
	ASSERT_TRUE(e.mu == 2 * MIB && e.sd == 0,
		    "only the last LINK_BW_SAMPLES readings count");
}

static void test_cautious_floor(void)
{
	struct link_estimate e;

	link_estimate__init(&e, 1);
	link_estimate__add_bandwidth(&e, 1 * MIB);
	link_estimate__add_bandwidth(&e, 9 * MIB);
	link_estimate__add_bandwidth(&e, 5 * MIB);	/* mu 5, MAD 4 */
	ASSERT_TRUE(e.mu == 5 * MIB &&
		    fabs(e.sd - LINK_MAD_TO_SD * 4 * MIB) < 1,
		    "sd: the MAD times the normal's factor");
	ASSERT_TRUE(link_estimate__cautious(&e, 0) == 5 * MIB, "k 0: mu");
	ASSERT_TRUE(link_estimate__cautious(&e, 2) == 5 * MIB / 4,
		    "never under a quarter of mu");
}

static void test_page_rate(void)
{
	struct link_estimate e;
	unsigned int i;

	link_estimate__init(&e, MIB);
	ASSERT_TRUE(link_estimate__page_rate(&e) == 0, "no iteration: 0");
	link_estimate__add_iteration(&e, 0, 0.1);
	ASSERT_TRUE(link_estimate__page_rate(&e) == 0,
		    "an iteration that sent nothing is ignored");
	/* 100 ms iterations of 200 pages, then a burst of zero pages */
	for (i = 0; i < 10; i++)
		link_estimate__add_iteration(&e, 200, 0.1);
	ASSERT_TRUE(fabs(link_estimate__page_rate(&e) - 2000) < 1e-9,
		    "200 pages per 100 ms: 2,000 pages/s");
	link_estimate__add_iteration(&e, 5000, 0.1);
	/* the newest first, until 0.5 s: 5000 + 4 x 200 in 0.5 s */
	ASSERT_TRUE(fabs(link_estimate__page_rate(&e) - 11600) < 1e-9,
		    "over the last 0.5 s of iterations, not one");
	for (i = 0; i < LINK_RATE_ITERS; i++)
		link_estimate__add_iteration(&e, 10, 0.01);
	ASSERT_TRUE(fabs(link_estimate__page_rate(&e) - 1000) < 1e-9,
		    "all kept when they span less than 0.5 s");
}

int main(void)
{
	RUN_TEST(test_guess_then_readings);
	RUN_TEST(test_robust_to_slow_syncs);
	RUN_TEST(test_cautious_floor);
	RUN_TEST(test_page_rate);
	return harness_finish();
}
