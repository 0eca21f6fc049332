// SPDX-License-Identifier: GPL-2.0
/* test_recent.c - the recent write counts the planner reads once a
 * migration stalls: per page, the epochs of the last `span` in which it
 * was written, over the epochs seen; old epochs leave the count. */
#include <errno.h>
#include <stdlib.h>

#include "harness.h"
#include "model/recent.h"

static void test_window(void)
{
	struct recent *r = recent__new(130, 4);
	uint64_t a[3] = { 0 }, none[3] = { 0 };
	int i;

	if (!ASSERT_NOT_NULL(r, "recent"))
		return;
	ASSERT_TRUE(recent__rate(r, 3) == 0, "no epoch yet: rate 0");
	a[0] = 1ULL << 3;
	a[2] = 1ULL << (129 - 128);
	a[2] |= 1ULL << 5;	/* page 133: past the end, ignored */
	recent__add(r, a);
	ASSERT_TRUE(recent__rate(r, 3) == 1, "written in 1 of 1 epochs");
	ASSERT_TRUE(recent__rate(r, 129) == 1, "the last page counts");
	ASSERT_TRUE(recent__rate(r, 4) == 0, "page 4 never written");
	ASSERT_TRUE(recent__rate(r, 133) == 0, "past the end: 0");
	recent__add(r, none);
	ASSERT_TRUE(recent__rate(r, 3) == 0.5, "1 of 2 epochs");
	recent__add(r, a);
	recent__add(r, none);
	ASSERT_TRUE(recent__rate(r, 3) == 0.5, "2 of 4 epochs");
	/* the first epoch leaves the span */
	recent__add(r, none);
	ASSERT_TRUE(recent__rate(r, 3) == 0.25, "1 of the last 4");
	for (i = 0; i < 4; i++)
		recent__add(r, a);
	ASSERT_TRUE(recent__rate(r, 3) == 1, "every one of the last 4");
	ASSERT_TRUE(recent__rate(r, 129) == 1, "last page too");
	for (i = 0; i < 4; i++)
		recent__add(r, none);
	ASSERT_TRUE(recent__rate(r, 3) == 0, "all left the span");
	recent__free(r);
}

static void test_bad_sizes(void)
{
	errno = 0;
	ASSERT_TRUE(recent__new(0, 4) == NULL && errno == EINVAL,
		    "no pages refused");
	errno = 0;
	ASSERT_TRUE(recent__new(64, 0) == NULL && errno == EINVAL,
		    "an empty span refused");
	errno = 0;
	ASSERT_TRUE(recent__new(64, RECENT_SPAN_MAX + 1) == NULL &&
		    errno == EINVAL, "a span the byte counts cannot hold");
	recent__free(NULL);
}

int main(void)
{
	RUN_TEST(test_window);
	RUN_TEST(test_bad_sizes);
	return harness_finish();
}
