// SPDX-License-Identifier: GPL-2.0
/* test_profile.c - live statistics on hand-made epochs. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "live/profile.h"

#define PAGES 4096

static void set(uint64_t *bm, uint64_t page)
{
	bm[page / 64] |= 1ull << (page % 64);
}

static void test_locality_and_regions(void)
{
	struct profile *p = profile__new(PAGES, 1.0, 1);
	struct profile_interval iv;
	uint64_t bm[PAGES / 64] = { 0 };

	if (!ASSERT_NOT_NULL(p, "new"))
		return;
	set(bm, 0);
	set(bm, 1);
	set(bm, 2);
	set(bm, 10);
	set(bm, 600); /* region 1 */
	profile__add_epoch(p, bm, 1.0);
	ASSERT_OK(profile__interval(p, &iv), "interval");
	ASSERT_EQ(iv.dirty_pages, 5, "dirty");
	ASSERT_TRUE(fabs(iv.mean_run - 5.0 / 3) < 1e-9, "mean run 5/3");
	ASSERT_TRUE(fabs(iv.neighbour_share - 0.6) < 1e-9, "3 of 5 clustered");
	ASSERT_EQ(iv.ntop, 1, "one top region asked");
	ASSERT_EQ(iv.top[0].region, 0, "hottest region");
	ASSERT_EQ(iv.top[0].pages, 4, "its pages");
	ASSERT_TRUE(fabs(iv.top_share - 0.8) < 1e-9, "top share");
	ASSERT_TRUE(fabs(iv.pages_per_s - 5) < 1e-9, "rate");
	ASSERT_EQ(profile__interval(p, &iv), -ENODATA, "no new epoch");
	profile__free(p);
}

static void test_word_edges_count_as_neighbours(void)
{
	struct profile *p = profile__new(PAGES, 1.0, 4);
	struct profile_interval iv;
	uint64_t bm[PAGES / 64] = { 0 };

	set(bm, 63);
	set(bm, 64);   /* a run across a word boundary */
	set(bm, 4095); /* the last page */
	profile__add_epoch(p, bm, 1.0);
	profile__interval(p, &iv);
	ASSERT_EQ(iv.dirty_pages, 3, "dirty");
	ASSERT_TRUE(fabs(iv.mean_run - 1.5) < 1e-9, "two runs");
	ASSERT_TRUE(fabs(iv.neighbour_share - 2.0 / 3) < 1e-9, "neighbours");
	ASSERT_EQ(iv.ntop, 2, "two regions");
	profile__free(p);
}

static void test_working_sets(void)
{
	struct profile *p = profile__new(PAGES, 0.5, 4);
	struct profile_interval iv;
	uint64_t bm[PAGES / 64];
	int i;

	memset(bm, 0, sizeof(bm));
	for (i = 0; i < 10; i++)
		set(bm, i);
	profile__add_epoch(p, bm, 0.5);
	memset(bm, 0, sizeof(bm));
	for (i = 5; i < 15; i++)
		set(bm, i);
	profile__add_epoch(p, bm, 0.5);
	memset(bm, 0, sizeof(bm));
	profile__add_epoch(p, bm, 0.5);
	set(bm, 100);
	profile__add_epoch(p, bm, 0.5);
	ASSERT_OK(profile__interval(p, &iv), "interval");
	ASSERT_EQ(iv.dirty_pages, 16, "union");
	ASSERT_EQ(iv.ws_1s, 1, "last two epochs: page 100");
	ASSERT_EQ(iv.ws_10s, 16, "all so far");
	ASSERT_FALSE(iv.ws_10s_full, "only 2 s of history");
	ASSERT_TRUE(fabs(iv.pages_per_s - 8) < 1e-9, "16 pages in 2 s");
	/* curve: mean epoch (21/4 pages at 0.5 s), then 1 s */
	ASSERT_EQ(iv.curve.n, 2, "curve points");
	ASSERT_TRUE(fabs(iv.curve.pages[0] - 21.0 / 4) < 1e-9, "epoch point");
	profile__free(p);
}

static void test_history_falls_off(void)
{
	struct profile *p = profile__new(PAGES, 1.0, 4);
	struct profile_interval iv;
	uint64_t bm[PAGES / 64] = { 0 }, none[PAGES / 64] = { 0 };
	int i;

	set(bm, 7);
	profile__add_epoch(p, bm, 1.0);
	for (i = 0; i < 70; i++)
		profile__add_epoch(p, none, 1.0);
	profile__interval(p, &iv);
	ASSERT_EQ(iv.ws_60s, 0, "a page dirtied 71 s ago is gone");
	ASSERT_TRUE(iv.ws_60s_full, "60 s of history");
	profile__add_epoch(p, bm, 1.0);
	profile__interval(p, &iv);
	ASSERT_EQ(iv.ws_60s, 1, "dirtied again");
	profile__free(p);
}

static void test_rejects_bad_arguments(void)
{
	ASSERT_TRUE(profile__new(0, 1, 1) == NULL, "no pages");
	ASSERT_TRUE(profile__new(10, 0, 1) == NULL, "no epoch");
	ASSERT_TRUE(profile__new(10, 1, PROFILE_MAX_TOP + 1) == NULL, "top");
}

int main(void)
{
	RUN_TEST(test_locality_and_regions);
	RUN_TEST(test_word_edges_count_as_neighbours);
	RUN_TEST(test_working_sets);
	RUN_TEST(test_history_falls_off);
	RUN_TEST(test_rejects_bad_arguments);
	return harness_finish();
}
