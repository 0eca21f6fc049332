// SPDX-License-Identifier: GPL-2.0
/* test_shadow.c - the shadow QEMU of the planner's guard behaves as stock
 * pre-copy: address-order passes over the pages of its last sync, pages
 * written during a pass wait for the next one, a sync at each pass end
 * that switches over once what needs sending fits the budget. */
#include <stdlib.h>

#include "harness.h"
#include "model/shadow.h"

static void test_passes(void)
{
	struct shadow *sh = shadow__new(130);
	uint64_t bm[3] = { 0 };

	if (!ASSERT_NOT_NULL(sh, "shadow"))
		return;
	ASSERT_EQ(shadow__need(sh), 130, "all pages to send");
	shadow__send(sh, 100, 5);
	ASSERT_EQ(shadow__sent(sh), 100, "100 sent");
	ASSERT_EQ(shadow__need(sh), 30, "30 left");
	/* pages 3 (sent) and 120 (not yet) written during the pass */
	bm[0] = 1ULL << 3;
	bm[1] = 1ULL << (120 - 64);
	shadow__write(sh, bm);
	ASSERT_EQ(shadow__need(sh), 31, "page 3 needs a send again");
	shadow__send(sh, 30, 5);
	ASSERT_EQ(shadow__need(sh), 1, "the pass is done, page 3 left");
	ASSERT_TRUE(!shadow__stopped(sh), "no sync yet");
	/* the next send reaches the pass end: sync, 1 <= 5: switch over */
	shadow__send(sh, 10, 5);
	ASSERT_TRUE(shadow__stopped(sh), "switched over");
	ASSERT_EQ(shadow__sent(sh), 130, "nothing sent after the stop");
	ASSERT_EQ(shadow__need(sh), 1, "page 3 in the stop-and-copy");
	shadow__write(sh, bm);
	ASSERT_EQ(shadow__need(sh), 1, "frozen once stopped");
	shadow__free(sh);
}

static void test_no_switchover_over_budget(void)
{
	struct shadow *sh = shadow__new(64);
	uint64_t all = ~0ULL;

	if (!ASSERT_NOT_NULL(sh, "shadow"))
		return;
	shadow__send(sh, 64, 10);
	shadow__write(sh, &all);	/* everything rewritten */
	shadow__send(sh, 1, 10);	/* sync: 64 > 10, a second pass */
	ASSERT_TRUE(!shadow__stopped(sh), "64 pages do not fit 10");
	ASSERT_EQ(shadow__sent(sh), 65, "second pass started");
	ASSERT_EQ(shadow__need(sh), 63, "63 left");
	ASSERT_TRUE(shadow__new(0) == NULL, "no pages refused");
	shadow__free(sh);
}

int main(void)
{
	RUN_TEST(test_passes);
	RUN_TEST(test_no_switchover_over_budget);
	return harness_finish();
}
