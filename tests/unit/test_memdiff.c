// SPDX-License-Identifier: GPL-2.0
/* test_memdiff.c - memdiff, the check behind every "memory equal" of the
 * suite, does see a difference: one flipped byte in one page of a copy
 * makes the copies differ in exactly that page, named by its offset; the
 * same flip inside the skipped range does not; equal copies are equal.
 * Every comparison is made whole (memdiff__buffers) and in chunks
 * (memdiff__chunk, as guestmem__compare reads a guest's RAM), with the
 * same result. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mig/memdiff.h"

#define PAGE 4096u
#define PAGES 1024u /* a 4 MiB "guest" */
#define CHUNK (64u * PAGE)

static unsigned char *mem, *copy;

/* copy = mem with the byte at flip_at inverted (none if past the end). */
static void make_copy(uint64_t flip_at)
{
	memcpy(copy, mem, (size_t)PAGES * PAGE);
	if (flip_at < (uint64_t)PAGES * PAGE)
		copy[flip_at] ^= 0xff;
}

/* Compare mem and copy whole and in chunks; both into *d (the chunked
 * result must equal the whole one). */
static bool compare(uint64_t skip_start, uint64_t skip_end, struct memdiff *d)
{
	struct memdiff c;
	uint64_t off;

	memdiff__buffers(mem, copy, (uint64_t)PAGES * PAGE, skip_start,
			 skip_end, d);
	memdiff__start(&c);
	for (off = 0; off < (uint64_t)PAGES * PAGE; off += CHUNK)
		memdiff__chunk(&c, mem + off, copy + off, off, CHUNK,
			       skip_start, skip_end);
	return ASSERT_EQ(c.diff_pages, d->diff_pages, "chunked: same pages") &&
	       ASSERT_EQ(c.first_diff, d->first_diff, "chunked: same first") &&
	       ASSERT_EQ(c.skipped, d->skipped, "chunked: same skipped") &&
	       ASSERT_EQ(c.hash_a, d->hash_a, "chunked: same hash a") &&
	       ASSERT_EQ(c.hash_b, d->hash_b, "chunked: same hash b") &&
	       ASSERT_EQ(c.bytes, d->bytes, "chunked: same size");
}

static void test_equal_copies(void)
{
	struct memdiff d;

	make_copy(~0ull);
	if (!compare(0, 0, &d))
		return;
	ASSERT_EQ(d.bytes, (uint64_t)PAGES * PAGE, "bytes");
	ASSERT_EQ(d.diff_pages, 0, "no page differs");
	ASSERT_EQ(d.hash_a, d.hash_b, "same hash");
}

/* One byte flipped, in each position of a page in turn (first, middle,
 * last byte) and in pages at the start, middle and end of the copy, and
 * at a chunk's edge. */
static void test_one_flipped_byte(void)
{
	static const uint64_t pages[] = { 0, 1, 63, 64, 511, PAGES - 1 };
	static const uint64_t offsets[] = { 0, 1234, PAGE - 1 };
	struct memdiff d;
	unsigned int i, j;

	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		for (j = 0; j < sizeof(offsets) / sizeof(offsets[0]); j++) {
			uint64_t at = pages[i] * PAGE + offsets[j];

			make_copy(at);
			if (!compare(0, 0, &d))
				return;
			ASSERT_EQ(d.diff_pages, 1, "exactly one page differs");
			ASSERT_EQ(d.first_diff, at, "the flipped byte named");
			ASSERT_EQ(d.first_diff / PAGE, pages[i],
				  "the page named");
			ASSERT_NE(d.hash_a, d.hash_b, "hashes differ");
		}
}

/* Two flipped pages: both counted, the first named. */
static void test_two_pages(void)
{
	struct memdiff d;

	make_copy(300 * PAGE + 7);
	copy[700 * PAGE + 5] ^= 0x01;
	if (!compare(0, 0, &d))
		return;
	ASSERT_EQ(d.diff_pages, 2, "two pages differ");
	ASSERT_EQ(d.first_diff, 300 * PAGE + 7, "the lower one named first");
}

/* A flip inside [skip_start, skip_end) is not compared, one outside is;
 * a page only partly inside the range is compared. */
static void test_skipped_range(void)
{
	struct memdiff d;

	make_copy(160 * PAGE + 9);
	if (!compare(160 * PAGE, 256 * PAGE, &d))
		return;
	ASSERT_EQ(d.diff_pages, 0, "flip in the skipped range ignored");
	ASSERT_EQ(d.skipped, 96 * PAGE, "skipped bytes");
	if (!compare(161 * PAGE, 256 * PAGE, &d))
		return;
	ASSERT_EQ(d.diff_pages, 1, "flip just below the range seen");
	ASSERT_EQ(d.first_diff, 160 * PAGE + 9, "and named");
	if (!compare(160 * PAGE + 1, 256 * PAGE, &d))
		return;
	ASSERT_EQ(d.diff_pages, 1, "a page partly in the range is compared");
}

int main(void)
{
	unsigned int i;

	mem = malloc((size_t)PAGES * PAGE);
	copy = malloc((size_t)PAGES * PAGE);
	if (!mem || !copy)
		return 1;
	srand(7);
	for (i = 0; i < PAGES * PAGE; i++)
		mem[i] = (unsigned char)rand();
	RUN_TEST(test_equal_copies);
	RUN_TEST(test_one_flipped_byte);
	RUN_TEST(test_two_pages);
	RUN_TEST(test_skipped_range);
	free(mem);
	free(copy);
	return harness_finish();
}
