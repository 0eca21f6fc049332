// SPDX-License-Identifier: GPL-2.0
/* test_progress.c - the non-convergence test: a first pass whose dirty
 * set falls by about what is sent progresses, a dirty set that stays put
 * while pages go out does not, and a dirty set that fits the budget
 * always does. */
#include "harness.h"
#include "model/progress.h"

/* Note n syncs: R falls by `fall` a sync from r0 while `step` pages are
 * sent a sync; returns how many said "not progressing". */
static unsigned int run(struct progress *g, unsigned int n, uint64_t *r,
			uint64_t *sent, uint64_t fall, uint64_t step,
			uint64_t budget)
{
	unsigned int i, stalled = 0;

	for (i = 0; i < n; i++) {
		if (!progress__note(g, *r, *sent, budget))
			stalled++;
		*r = *r > fall ? *r - fall : 0;
		*sent += step;
	}
	return stalled;
}

static void test_first_pass(void)
{
	struct progress g;
	uint64_t r = 200000, sent = 0;

	progress__init(&g);
	/* 784 MiB at 16 MiB/s: 409 pages a sync (2 written again) of
	 * 200,000: R falls by 1.6 % in 8 syncs, but by what was sent */
	ASSERT_TRUE(run(&g, 100, &r, &sent, 407, 409, 20000) == 0,
		    "a first pass progresses");
}

static void test_stall(void)
{
	struct progress g;
	uint64_t r = 50000, sent = 0;
	unsigned int n;

	progress__init(&g);
	n = run(&g, 8, &r, &sent, 0, 1000, 2000);
	ASSERT_TRUE(n == 0, "the first 8 syncs always progress");
	n = run(&g, 20, &r, &sent, 0, 1000, 2000);
	ASSERT_TRUE(n == 20, "R stuck while pages go out: not progressing");
	/* R falls, but by less than half of what is sent and under 5 % */
	n = run(&g, 20, &r, &sent, 100, 1000, 2000);
	ASSERT_TRUE(n == 20, "a fall of a tenth of the sends is no progress");
	/* R falls by more than half of what is sent: progress, once the
	 * fall spans enough of the 8 syncs looked at */
	n = run(&g, PROGRESS_SYNCS, &r, &sent, 600, 1000, 2000);
	printf("  falls of 600 per 1000 sent: %u of the first 8 syncs "
	       "stalled\n", n);
	ASSERT_TRUE(n < PROGRESS_SYNCS, "progress seen within 8 syncs");
	n = run(&g, 12, &r, &sent, 600, 1000, 2000);
	ASSERT_TRUE(n == 0, "a fall of 60 % of the sends is progress");
}

static void test_fits_budget(void)
{
	struct progress g;
	uint64_t r = 1500, sent = 0;

	progress__init(&g);
	ASSERT_TRUE(run(&g, 40, &r, &sent, 0, 1000, 2000) == 0,
		    "R within the budget always progresses");
	r = 2001;
	ASSERT_TRUE(!progress__note(&g, r, sent, 2000),
		    "one page over, stuck for 40 syncs: not progressing");
}

static void test_nothing_sent(void)
{
	struct progress g;
	uint64_t r = 50000, sent = 0;

	progress__init(&g);
	ASSERT_TRUE(run(&g, 30, &r, &sent, 0, 0, 2000) == 30 - PROGRESS_SYNCS,
		    "nothing sent, R stuck: not progressing after 8 syncs");
}

int main(void)
{
	RUN_TEST(test_first_pass);
	RUN_TEST(test_stall);
	RUN_TEST(test_fits_budget);
	RUN_TEST(test_nothing_sent);
	return harness_finish();
}
