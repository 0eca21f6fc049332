// SPDX-License-Identifier: GPL-2.0
/*
 * test_guestmem - guestmem: RAM read in place from another process with
 * process_vm_readv and compared in chunks (memdiff itself: test_memdiff),
 * and the workload guest's write counter read from its status block and
 * data pages (or from the block alone), on memory of this process laid
 * out like a guest's RAM. No QEMU needed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "guest_abi.h"
#include "mig/guestmem.h"
#include "mig/memdiff.h"

#define RAM (4u << 20)

/* A buffer laid out like the workload guest's RAM: status block with
 * `writes`, data pages holding write numbers, one `last`. */
static unsigned char *fake_ram(uint64_t writes, uint32_t last)
{
	unsigned char *ram = calloc(1, RAM);
	struct guest_status *st;
	uint32_t p;

	if (!ram)
		return NULL;
	st = (struct guest_status *)(ram + GUEST_STATUS_GPA);
	st->version = GUEST_ABI_VERSION;
	st->data_start = GUEST_DATA_START_DEFAULT;
	st->data_pages = (RAM - GUEST_DATA_START_DEFAULT) / GUEST_PAGE_SIZE;
	st->writes = writes;
	st->magic = GUEST_STATUS_MAGIC;
	/* pages written before the block's count, and one after it */
	for (p = 0; p < st->data_pages; p++)
		*(uint32_t *)(ram + GUEST_DATA_START_DEFAULT + p * 4096) =
			(uint32_t)(writes - 4096 + p % 1000);
	*(uint32_t *)(ram + GUEST_DATA_START_DEFAULT + 7 * 4096) = last;
	return ram;
}

/* This process's own memory stands for a QEMU's: read through
 * process_vm_readv, as migrun reads the source's and the destination's. */
static void test_guestmem_in_place(void)
{
	struct guestmem g, h;
	unsigned char *ram = fake_ram(1000000, 1000000 + 300), *copy = NULL;
	struct memdiff d;
	char err[256];
	uint64_t w = 0;

	if (!ASSERT_NOT_NULL(ram, "allocate"))
		return;
	if (!ASSERT_OK(guestmem__attach(&g, getpid(), (uintptr_t)ram, RAM, err,
					sizeof(err)), err))
		goto cleanup;
	ASSERT_OK(guestmem__guest_writes(&g, &w), "counter read");
	ASSERT_EQ(w, 1000300, "the count includes writes past the status block");
	*(uint32_t *)(ram + GUEST_DATA_START_DEFAULT + 9 * 4096) = 1000000 + 4000;
	ASSERT_OK(guestmem__guest_writes(&g, &w), "counter read again");
	ASSERT_EQ(w, 1004000, "a later write is seen in place");
	ASSERT_OK(guestmem__status_writes(&g, &w), "status block read");
	ASSERT_EQ(w, 1000000, "the block alone: its own count, no scan");
	/* a second "process" with the same bytes, then one page changed */
	copy = malloc(RAM);
	if (!ASSERT_NOT_NULL(copy, "allocate"))
		goto cleanup;
	memcpy(copy, ram, RAM);
	ASSERT_OK(guestmem__attach(&h, getpid(), (uintptr_t)copy, RAM, err,
				   sizeof(err)), err);
	ASSERT_OK(guestmem__compare(&g, &h, 0xa0000, 0x100000, &d, err,
				    sizeof(err)), err);
	ASSERT_EQ(d.diff_pages, 0, "equal");
	ASSERT_EQ(d.bytes, RAM, "all compared");
	ASSERT_EQ(d.skipped, 0x60000, "the legacy window skipped");
	copy[3 * 1048576 + 5] ^= 1;
	copy[0xb0000] ^= 1;	/* inside the skipped window */
	ASSERT_OK(guestmem__compare(&g, &h, 0xa0000, 0x100000, &d, err,
				    sizeof(err)), err);
	ASSERT_EQ(d.diff_pages, 1, "one page differs");
	ASSERT_EQ(d.first_diff, 3 * 1048576 + 5, "where");
	/* not the workload guest; reads past the RAM refused */
	((struct guest_status *)(ram + GUEST_STATUS_GPA))->magic = 0;
	ASSERT_TRUE(guestmem__guest_writes(&g, &w) < 0, "no block, no count");
	ASSERT_TRUE(guestmem__status_writes(&g, &w) < 0, "nor from the block");
	ASSERT_EQ(guestmem__read(&g, RAM - 8, &w, 16), -EFAULT, "past the end");
	h.size = RAM / 2;
	ASSERT_TRUE(guestmem__compare(&g, &h, 0, 0, &d, err, sizeof(err)) < 0,
		    "sizes differ");
	/* an address with nothing mapped: a clear error */
	ASSERT_TRUE(guestmem__attach(&h, getpid(), 4096, RAM, err,
				     sizeof(err)) < 0, "unmapped");
	ASSERT_TRUE(strstr(err, "cannot read the guest RAM") != NULL, err);
cleanup:
	free(ram);
	free(copy);
}

int main(void)
{
	RUN_TEST(test_guestmem_in_place);
	return harness_finish();
}
