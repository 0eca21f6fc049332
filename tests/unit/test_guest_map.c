// SPDX-License-Identifier: GPL-2.0
/* test_guest_map.c - the guest memory map: building, translating, text form. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kvm/guest_map.h"

static void test_add_and_translate(void)
{
	struct guest_map m = { 0 };
	uint64_t gfn = 0;

	ASSERT_OK(guest_map__add(&m, 0, 0, 512, 0, "low"), "slot 0");
	ASSERT_OK(guest_map__add(&m, 1, 0x200000, 65024, 0, "data"), "slot 1");
	ASSERT_OK(guest_map__add(&m, 0x10002, 0x100000000ull, 1024, 0, "hi"),
		  "slot in another address space");
	ASSERT_EQ(guest_map__pages(&m), (0x100000000ull >> 12) + 1024, "span");
	ASSERT_EQ(guest_map__ram_pages(&m), 512 + 65024 + 1024, "ram");
	ASSERT_OK(guest_map__gfn_of(&m, 1, 0, &gfn), "slot 1 offset 0");
	ASSERT_EQ(gfn, 512, "gfn of slot 1 offset 0");
	ASSERT_OK(guest_map__gfn_of(&m, 0x10002, 5, &gfn), "as 1");
	ASSERT_EQ(gfn, (0x100000000ull >> 12) + 5, "gfn in as 1");
	ASSERT_EQ(guest_map__gfn_of(&m, 1, 65024, &gfn), -ENOENT, "past slot");
	ASSERT_EQ(guest_map__gfn_of(&m, 7, 0, &gfn), -ENOENT, "unknown slot");
}

static void test_add_rejects_bad_slots(void)
{
	struct guest_map m = { 0 };
	unsigned int i;

	ASSERT_OK(guest_map__add(&m, 0, 0, 512, 0, NULL), "slot 0");
	ASSERT_EQ(guest_map__add(&m, 1, 0x1000, 4, 0, NULL), -EINVAL, "overlap");
	ASSERT_EQ(guest_map__add(&m, 0, 0x800000, 4, 0, NULL), -EINVAL,
		  "duplicate id");
	ASSERT_EQ(guest_map__add(&m, 2, 0x800001, 4, 0, NULL), -EINVAL,
		  "unaligned");
	ASSERT_EQ(guest_map__add(&m, 2, 0x800000, 0, 0, NULL), -EINVAL, "empty");
	ASSERT_EQ(m.nslots, 1, "nothing added by failures");
	for (i = 1; i < PRECOPY_MAX_SLOTS; i++)
		ASSERT_OK(guest_map__add(&m, i, (uint64_t)i << 30, 1, 0, NULL),
			  "fill");
	ASSERT_EQ(guest_map__add(&m, 99, 1ull << 40, 1, 0, NULL), -E2BIG, "full");
}

static void test_text_roundtrip(void)
{
	struct guest_map a = { 0 }, b;
	char buf[4096], err[128];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	guest_map__add(&a, 0, 0, 512, 0x7f0000000000ull, "low");
	guest_map__add(&a, 1, 0x200000, 100, 0x7f0000200000ull, "data");
	if (!ASSERT_NOT_NULL(f, "fmemopen"))
		return;
	ASSERT_OK(guest_map__write(&a, f), "write");
	fclose(f);
	ASSERT_OK(guest_map__parse(buf, &b, err, sizeof(err)), err);
	ASSERT_EQ(b.nslots, 2, "slots");
	ASSERT_EQ(b.slots[1].gpa, 0x200000, "gpa");
	ASSERT_EQ(b.slots[1].npages, 100, "pages");
	ASSERT_EQ(b.slots[1].hva, 0x7f0000200000ull, "hva");
	ASSERT_STREQ(b.slots[0].name, "low", "name");
}

static void test_parse_errors_name_the_line(void)
{
	struct guest_map m;
	char err[128];

	ASSERT_EQ(guest_map__parse("# c\nslot 0 gpa 0 pages 1\nbogus\n", &m, err,
				sizeof(err)), -EINVAL, "bad keyword");
	ASSERT_TRUE(strstr(err, "line 3") != NULL, err);
	ASSERT_EQ(guest_map__parse("slot 0 gpa 0x10 pages 1\n", &m, err,
				sizeof(err)), -EINVAL, "unaligned");
	ASSERT_TRUE(strstr(err, "line 1") != NULL, err);
	ASSERT_EQ(guest_map__parse("slot 0 gpa zz pages 1\n", &m, err,
				sizeof(err)), -EINVAL, "not a number");
	ASSERT_EQ(guest_map__parse("slot 0 gpa 0\n", &m, err, sizeof(err)),
		  -EINVAL, "pages missing");
	ASSERT_EQ(guest_map__parse("slot -1 gpa 0 pages 1\n", &m, err,
				sizeof(err)), -EINVAL, "negative");
	ASSERT_EQ(guest_map__parse("slot 1 gpa 0 pages 1 hva\n", &m, err,
				sizeof(err)), -EINVAL, "dangling key");
	ASSERT_OK(guest_map__parse("\n\n# only comments\n", &m, err, sizeof(err)),
		  "empty map parses");
	ASSERT_EQ(m.nslots, 0, "no slots");
}

static void test_publish_and_load(void)
{
	struct guest_map a = { 0 }, b;
	char err[256];
	pid_t fake = 0x7ffffff0; /* no such process; only names the file */
	int ret;

	guest_map__add(&a, 3, 0x400000, 8, 0, "x");
	ret = guest_map__publish(fake, &a);
	if (ret == -EACCES || ret == -EPERM || ret == -EROFS) {
		TEST_SKIP("cannot write " MEMMAP_DIR ": %s", strerror(-ret));
		return;
	}
	if (!ASSERT_OK(ret, "publish"))
		return;
	ASSERT_OK(guest_map__load_pid(fake, &b, err, sizeof(err)), err);
	ASSERT_EQ(b.nslots, 1, "slots");
	ASSERT_EQ(b.slots[0].slot, 3, "slot id");
	ASSERT_OK(guest_map__unpublish(fake), "unpublish");
	ASSERT_EQ(guest_map__load_pid(fake, &b, err, sizeof(err)), -ENOENT,
		  "gone");
	ASSERT_TRUE(strstr(err, "not a precopy workload VM") != NULL, err);
}

int main(void)
{
	RUN_TEST(test_add_and_translate);
	RUN_TEST(test_add_rejects_bad_slots);
	RUN_TEST(test_text_roundtrip);
	RUN_TEST(test_parse_errors_name_the_line);
	RUN_TEST(test_publish_and_load);
	return harness_finish();
}
