// SPDX-License-Identifier: GPL-2.0
/*
 * test_proc_space.c - page identity of a traced process (proc_space.h): indices
 * handed out in order of first registration, never reused, growth getting
 * new pieces only, the table clipped to what is registered now, marking.
 */
#include <errno.h>
#include <stdlib.h>

#include "harness.h"
#include "proc/proc_space.h"

#define K 4096ull

static void test_first_registration_order(void)
{
	struct proc_space *s = proc_space__new();
	struct proc_proto_span v[] = { { 100 * K, 104 * K }, { 200 * K, 202 * K } };
	const struct proc_track_range *t;
	uint64_t next = 10;
	unsigned int n;

	if (!ASSERT_NOT_NULL(s, "new"))
		return;
	ASSERT_EQ(proc_space__update(s, v, 2, &next, 1000), 6, "pages added");
	ASSERT_EQ(next, 16, "next page");
	t = proc_space__table(s, &n);
	ASSERT_EQ(n, 2, "two ranges");
	ASSERT_EQ(t[0].page, 10, "first range at the first free index");
	ASSERT_EQ(t[1].page, 14, "second range follows");
	ASSERT_EQ(proc_space__page_of(s, 101 * K + 5), 11, "page of an address");
	ASSERT_EQ(proc_space__page_of(s, 150 * K), -1, "hole has no index");
	proc_space__free(s);
}

static void test_growth_and_reuse(void)
{
	struct proc_space *s = proc_space__new();
	struct proc_proto_span a[] = { { 100 * K, 104 * K } };
	struct proc_proto_span grown[] = { { 98 * K, 106 * K } };
	struct proc_proto_span gone[] = { { 300 * K, 301 * K } };
	const struct proc_track_range *t;
	uint64_t next = 0;
	unsigned int n;

	if (!ASSERT_NOT_NULL(s, "new"))
		return;
	proc_space__update(s, a, 1, &next, 1000);
	/* Grows on both sides: only the new parts get new indices. */
	ASSERT_EQ(proc_space__update(s, grown, 1, &next, 1000), 4, "growth");
	ASSERT_EQ(proc_space__page_of(s, 100 * K), 0, "old page keeps index");
	ASSERT_EQ(proc_space__page_of(s, 98 * K), 4, "new low part");
	ASSERT_EQ(proc_space__page_of(s, 104 * K), 6, "new high part");
	t = proc_space__table(s, &n);
	ASSERT_EQ(n, 3, "three pieces, not mergeable by index");
	/* Unmapped: out of the table, but the index stays reserved. */
	proc_space__update(s, gone, 1, &next, 1000);
	t = proc_space__table(s, &n);
	ASSERT_EQ(n, 1, "only the new mapping in the table");
	ASSERT_EQ(t[0].page, 8, "new mapping gets a new index");
	/* Mapped again at the same address: same indices as before. */
	ASSERT_EQ(proc_space__update(s, grown, 1, &next, 1000), 0, "no new pages");
	ASSERT_EQ(proc_space__page_of(s, 100 * K), 0, "same index again");
	ASSERT_EQ(proc_space__pages(s), 9, "pages ever indexed");
	proc_space__free(s);
}

static void test_merge_mark_and_errors(void)
{
	struct proc_space *s = proc_space__new();
	struct proc_proto_span v[] = { { 10 * K, 12 * K }, { 12 * K, 20 * K } };
	struct proc_proto_span bad[] = { { 10 * K, 12 * K }, { 11 * K, 20 * K } };
	struct proc_proto_span odd[] = { { 10 * K + 1, 12 * K } };
	struct proc_proto_span big[] = { { 100 * K, 200 * K } };
	uint64_t bm[4] = { 0 }, next = 0, unindexed = 0;
	unsigned int n;

	if (!ASSERT_NOT_NULL(s, "new"))
		return;
	proc_space__update(s, v, 2, &next, 1000);
	proc_space__table(s, &n);
	ASSERT_EQ(n, 1, "adjacent ranges with contiguous indices merge");
	ASSERT_EQ(proc_space__mark(s, 11 * K, 14 * K, bm, &unindexed), 3, "mark");
	ASSERT_EQ(bm[0], 0xe, "pages 1..3");
	ASSERT_EQ(proc_space__mark(s, 19 * K, 22 * K, bm, &unindexed), 1,
		  "mark across the end");
	ASSERT_EQ(unindexed, 2, "pages without index counted");
	ASSERT_EQ(proc_space__update(s, bad, 2, &next, 1000), -EINVAL, "overlap");
	ASSERT_EQ(proc_space__update(s, odd, 1, &next, 1000), -EINVAL, "unaligned");
	ASSERT_EQ(proc_space__update(s, big, 1, &next, 50), -ENOSPC, "full");
	ASSERT_EQ(next, 50, "filled up to the capacity");
	ASSERT_EQ(proc_space__page_of(s, 139 * K), 49, "last page that fits");
	ASSERT_EQ(proc_space__page_of(s, 140 * K), -1, "beyond: no index");
	proc_space__free(s);
}

int main(void)
{
	RUN_TEST(test_first_registration_order);
	RUN_TEST(test_growth_and_reuse);
	RUN_TEST(test_merge_mark_and_errors);
	return harness_finish();
}
