// SPDX-License-Identifier: GPL-2.0
/*
 * test_robust.c - the tracker under the conditions of real use: harvesting
 * while the guest runs, a VM exiting mid-epoch and another starting, and
 * events in a memory slot the tracker was not told about. Ring-mode VMs, so KVM's log is exact truth.
 *
 * Needs root and /dev/kvm; skips with the reason otherwise.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "kvm/tracker.h"
#include "vmchild.h"

static struct workvm_config ring_vm(const char *cmdline)
{
	struct workvm_config c = workvm_config__default();

	c.mem_mib = 128;
	c.mode = WORKVM_LOG_RING;
	c.cmdline = cmdline;
	return c;
}

static struct tracker *open_tracker(struct tracker_opts *o, char *err,
				    size_t errlen)
{
	o->capacity_pages = 1 << 20;
	return tracker__open(o, err, errlen);
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Harvests racing the running guest lose nothing and invent nothing: the
 * union of many harvests over one KVM epoch equals KVM's log. */
static void test_harvest_while_running(void)
{
	struct tracker_opts o = tracker_opts__default();
	struct workvm_config cfg = ring_vm("pattern=random");
	struct truth_cmp c;
	struct vmchild vmc;
	struct tracker *t = NULL;
	uint64_t *uni = NULL, np, w;
	int vm = -1, i, harvests = 0;
	char err[256];

	memset(&vmc, 0, sizeof(vmc));
	if (vmchild_skip_reason()) {
		TEST_SKIP("%s", vmchild_skip_reason());
		return;
	}
	t = open_tracker(&o, err, sizeof(err));
	if (!ASSERT_NOT_NULL(t, err))
		return;
	if (!ASSERT_OK(vmchild__start(&vmc, &cfg), vmc.err))
		goto cleanup;
	vm = tracker__add_vm(t, vmc.pid, &vmc.map);
	uni = calloc((vmc.pages + 63) / 64, 8);
	if (!ASSERT_TRUE(vm >= 0 && uni, "setup"))
		goto cleanup;
	for (i = 0; i < 2; i++) {
		const uint64_t *seen;

		memset(uni, 0, (vmc.pages + 63) / 64 * 8);
		if (!ASSERT_OK(vmchild__begin(&vmc, 600), "begin"))
			goto cleanup;
		for (harvests = 0; harvests < 40; harvests++) {
			msleep(10);
			tracker__harvest(t);
			seen = tracker__vm_bitmap(t, vm, &np);
			for (w = 0; w < (np + 63) / 64; w++)
				uni[w] |= seen[w];
		}
		if (!ASSERT_OK(vmchild__end(&vmc, NULL), vmc.err))
			goto cleanup;
		tracker__harvest(t);
		seen = tracker__vm_bitmap(t, vm, &np);
		for (w = 0; w < (np + 63) / 64; w++)
			uni[w] |= seen[w];
		c = truth_compare(vmc.truth, uni, np);
		printf("  %d harvests during a 600 ms epoch: tp=%llu fp=%llu "
		       "fn=%llu\n", harvests + 1, (unsigned long long)c.tp,
		       (unsigned long long)c.fp, (unsigned long long)c.fn);
		ASSERT_TRUE(c.tp > 0, "pages dirtied");
		ASSERT_EQ(c.fp, 0, "no invented pages");
		ASSERT_EQ(c.fn, 0, "no lost pages");
	}
cleanup:
	free(uni);
	if (vm >= 0)
		tracker__remove_vm(t, vm);
	vmchild__stop(&vmc, false);
	tracker__close(t);
}

/* A VMM killed mid-epoch leaves the tracker working; its state is cleared
 * on removal and a second VM is then tracked exactly. */
static void test_vm_exit_mid_epoch_then_second_vm(void)
{
	struct tracker_opts o = tracker_opts__default();
	struct workvm_config c1 = ring_vm("pattern=hotcold");
	struct workvm_config c2 = ring_vm("pattern=phases ws=300");
	struct tracker_stats st;
	struct truth_cmp c;
	struct vmchild a, b;
	struct tracker *t;
	const uint64_t *bm;
	uint64_t np;
	int va = -1, vb = -1, e;
	char err[256];

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (vmchild_skip_reason()) {
		TEST_SKIP("%s", vmchild_skip_reason());
		return;
	}
	t = open_tracker(&o, err, sizeof(err));
	if (!ASSERT_NOT_NULL(t, err))
		return;
	if (!ASSERT_OK(vmchild__start(&a, &c1), a.err))
		goto cleanup;
	va = tracker__add_vm(t, a.pid, &a.map);
	if (!ASSERT_TRUE(va >= 0, "add first VM"))
		goto cleanup;
	if (!ASSERT_OK(vmchild__begin(&a, 5000), "begin long epoch"))
		goto cleanup;
	msleep(300);
	vmchild__stop(&a, true); /* SIGKILL mid-epoch */
	tracker__harvest(t);
	tracker__vm_bitmap(t, va, &np);
	ASSERT_OK(tracker__stats(t, &st), "stats after the VM died");
	ASSERT_TRUE(st.new_dirty > 0, "the dead VM's epoch was recorded");
	ASSERT_OK(tracker__remove_vm(t, va), "remove the dead VM");
	va = -1;

	if (!ASSERT_OK(vmchild__start(&b, &c2), b.err))
		goto cleanup;
	vb = tracker__add_vm(t, b.pid, &b.map);
	if (!ASSERT_TRUE(vb >= 0, "add second VM"))
		goto cleanup;
	for (e = 0; e < 3; e++) {
		if (!ASSERT_OK(vmchild__epoch(&b, 200, NULL), b.err))
			goto cleanup;
		tracker__harvest(t);
		bm = tracker__vm_bitmap(t, vb, &np);
		c = truth_compare(b.truth, bm, np);
		ASSERT_TRUE(c.tp > 0, "second VM dirtied pages");
		ASSERT_EQ(c.fp, 0, "no pages left over from the first VM");
		ASSERT_EQ(c.fn, 0, "second VM fully seen");
	}
cleanup:
	if (va >= 0)
		tracker__remove_vm(t, va);
	if (vb >= 0)
		tracker__remove_vm(t, vb);
	vmchild__stop(&a, true);
	vmchild__stop(&b, false);
	tracker__close(t);
}

/* Events in a slot missing from the memory map are counted and reported
 * with the slot, so the caller can treat that memory as dirty. */
static void test_unmapped_slot_reported(void)
{
	struct tracker_opts o = tracker_opts__default();
	struct workvm_config cfg = ring_vm("pattern=seqsweep");
	struct tracker_stats st;
	struct guest_map partial;
	struct vmchild vmc;
	struct tracker *t;
	uint32_t slot = ~0u;
	uint64_t unmapped;
	unsigned int i;
	int vm = -1;
	char err[256];

	memset(&vmc, 0, sizeof(vmc));
	if (vmchild_skip_reason()) {
		TEST_SKIP("%s", vmchild_skip_reason());
		return;
	}
	t = open_tracker(&o, err, sizeof(err));
	if (!ASSERT_NOT_NULL(t, err))
		return;
	if (!ASSERT_OK(vmchild__start(&vmc, &cfg), vmc.err))
		goto cleanup;
	memset(&partial, 0, sizeof(partial));
	for (i = 0; i < vmc.map.nslots; i++)
		if (vmc.map.slots[i].slot != 1)
			partial.slots[partial.nslots++] = vmc.map.slots[i];
	vm = tracker__add_vm(t, vmc.pid, &partial);
	if (!ASSERT_TRUE(vm >= 0, "add VM without its data slot"))
		goto cleanup;
	if (!ASSERT_OK(vmchild__epoch(&vmc, 200, NULL), vmc.err))
		goto cleanup;
	tracker__harvest(t);
	ASSERT_OK(tracker__stats(t, &st), "stats");
	unmapped = tracker__unmapped_events(t, vm, &slot);
	printf("  unknown-slot events=%llu, reported slot %u\n",
	       (unsigned long long)unmapped, slot);
	ASSERT_TRUE(st.unknown_slot > 0, "counted in statistics");
	ASSERT_EQ(unmapped, st.unknown_slot, "reported per VM");
	ASSERT_EQ(slot, 1, "names the missing slot");
cleanup:
	if (vm >= 0)
		tracker__remove_vm(t, vm);
	vmchild__stop(&vmc, false);
	tracker__close(t);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN_TEST(test_harvest_while_running);
	RUN_TEST(test_vm_exit_mid_epoch_then_second_vm);
	RUN_TEST(test_unmapped_slot_reported);
	return harness_finish();
}
