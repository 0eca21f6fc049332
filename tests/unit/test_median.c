// SPDX-License-Identifier: GPL-2.0
/* test_median.c - the one median (util/median.h) the planner, the
 * simulator, the dirty-limit controller and precopy-migrate share. */
#include <stdint.h>

#include "harness.h"
#include "util/median.h"

static void test_odd_and_even_counts(void)
{
	double one[] = { 7.5 };
	double odd[] = { 9, 1, 5, 3, 7 };
	double even[] = { 4, 10, 1, 2 };
	double ties[] = { 2, 2, 2, 8 };

	ASSERT_NEAR(median_double(one, 1), 7.5, 0, "one sample");
	ASSERT_NEAR(median_double(odd, 5), 5, 0, "odd: the middle value");
	ASSERT_NEAR(median_double(even, 4), 3, 0,
		    "even: the mean of the two middle values (2 and 4)");
	ASSERT_NEAR(median_double(ties, 4), 2, 0, "ties");
	/* sorted in place, as the header says */
	ASSERT_TRUE(odd[0] == 1 && odd[2] == 5 && odd[4] == 9, "odd sorted");
	ASSERT_TRUE(even[0] == 1 && even[3] == 10, "even sorted");
}

static void test_integers(void)
{
	int64_t odd[] = { 300, -5, 12 };
	int64_t even[] = { 11, 4, 1000000000000LL, -2 };
	int64_t neg[] = { -3, 4 };
	int64_t big[] = { INT64_MAX / 2, INT64_MAX / 2 - 2 };

	ASSERT_EQ(median_i64(odd, 3), 12, "odd");
	ASSERT_EQ(median_i64(even, 4), 7, "even: (4 + 11) / 2 toward zero");
	ASSERT_EQ(median_i64(neg, 2), 0, "(-3 + 4) / 2 rounds toward zero");
	ASSERT_EQ(median_i64(big, 2), INT64_MAX / 2 - 1, "large values");
}

int main(void)
{
	RUN_TEST(test_odd_and_even_counts);
	RUN_TEST(test_integers);
	return harness_finish();
}
