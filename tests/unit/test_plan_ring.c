// SPDX-License-Identifier: GPL-2.0
/* test_plan_ring.c - the plan ring between the planner (plan_serve.c, the
 * producer) and QEMU (the consumer functions of plan_ring.c stand in for
 * it): layout, events and sync bitmaps go one way, plans the other; full
 * rings, staleness, malformed plans, file ownership and mode, a restarted
 * planner, and cutting plans to the ring's range capacity. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "ring/plan_serve.h"

#define PAGES 4096		/* the guest's ram pages */

static char path[64];

static void set_bit(uint64_t *bm, uint64_t p)
{
	bm[p / 64] |= 1ULL << (p % 64);
}

static void small_opts(struct plan_serve_opts *o)
{
	plan_serve_opts__default(o, 64ULL << 20);	/* 16384 pages */
	o->max_ranges = 64;
	o->plan_slots = 2;
	o->ev_slots = 4;
	o->max_blocks = 8;
}

/* A fresh ring path (removed first). */
static void fresh_path(const char *name)
{
	snprintf(path, sizeof(path), "/tmp/test-plan-ring-%d-%s", (int)getpid(),
		 name);
	unlink(path);
}

/* Two RAM blocks: pc.ram pages [0, 3072) at gpa 0 and [3072, 4032) at
 * 4 GiB (split around the PCI hole), and a ROM [4032, 4096) unmapped. */
static const struct plan_ring_block blocks[] = {
	{ "pc.ram", 0, 3072, 0, 0, 0 },
	{ "pc.ram", 3072, 960, 4ULL << 30, 1, 0 },
	{ "pc.rom", 4032, 64, PLAN_RING_NO_GPA, -1, 0 },
};

/* Open producer and consumer on path; the consumer attaches and publishes
 * the layout. */
static bool open_both(struct plan_serve *s, struct plan_ring *r,
		      const struct plan_serve_opts *o)
{
	char err[256];
	const char *why = NULL;

	if (!ASSERT_OK(plan_serve__open(s, path, o, err, sizeof(err)), err))
		return false;
	if (!ASSERT_OK(plan_ring_open(r, path, &why), why ? why : "open"))
		return false;
	plan_ring_attach(r, 4242);
	return ASSERT_OK(plan_ring_publish_layout(r, blocks, 3, PAGES,
						  PLAN_ACCEL_KVM), "layout");
}

static void close_both(struct plan_serve *s, struct plan_ring *r)
{
	plan_ring_close(r);
	plan_serve__close(s);
	unlink(path);
}

/* A plan: send order 10,11,12,5,6,100 and deferred {200..203, 300}. */
static struct plan *sample_plan(void)
{
	static const uint64_t order[] = { 10, 11, 12, 5, 6, 100 };
	struct plan *p = plan__new(PAGES);
	unsigned int i;

	if (!p)
		return NULL;
	p->send = malloc(sizeof(order));
	if (!p->send) {
		plan__free(p);
		return NULL;
	}
	memcpy(p->send, order, sizeof(order));
	p->nr_send = 6;
	p->window = 6;
	p->action = PLAN_SEND;
	for (i = 200; i < 204; i++)
		set_bit(p->deferred, i), set_bit(p->risky, i);
	set_bit(p->deferred, 300);
	set_bit(p->risky, 300);
	/* and a page past the window, deferred but not held back: QEMU
	 * sends it in its own order, it is not in the ring's deferred set */
	set_bit(p->deferred, 400);
	p->nr_deferred = 6;
	p->nr_risky = 5;
	return p;
}

static bool range_is(const struct plan_ring_range *r, uint64_t start,
		     uint64_t len)
{
	return ASSERT_EQ(r->start, start, "range start") &&
	       ASSERT_EQ(r->len, len, "range len");
}

static void test_roundtrip(void)
{
	struct plan_serve_opts o;
	struct plan_serve s;
	struct plan_ring r;
	struct plan_ring_event ev = { .type = PLAN_EV_START, .iteration = 0 };
	struct plan_serve_sync si;
	struct plan_serve_pub pub;
	struct plan *p = NULL;
	uint64_t *dirty, *written, got_d[PAGES / 64], got_f[PAGES / 64], x;
	struct plan_serve_epoch ei;
	const char *why;

	fresh_path("roundtrip");
	small_opts(&o);
	if (!open_both(&s, &r, &o))
		goto cleanup;
	if (!ASSERT_FALSE(s.reused, "new ring") ||
	    !ASSERT_EQ(r.hdr->planner_pid, getpid(), "planner pid") ||
	    !ASSERT_NE(r.hdr->planner_heartbeat_ns, 0, "heartbeat"))
		goto cleanup;
	/* events and the layout */
	ASSERT_OK(plan_ring_push_event(&r, &ev), "push START");
	if (!ASSERT_EQ(plan_serve__pop_event(&s, &ev), 1, "pop START") ||
	    !ASSERT_EQ(ev.type, PLAN_EV_START, "type") ||
	    !ASSERT_EQ(ev.generation, 1, "generation") ||
	    !ASSERT_EQ(plan_serve__pop_event(&s, &ev), 0, "ring empty"))
		goto cleanup;
	if (!ASSERT_OK(plan_serve__read_layout(&s), "read layout") ||
	    !ASSERT_EQ(s.layout->nr, 3, "blocks") ||
	    !ASSERT_EQ(s.layout->ram_pages, PAGES, "ram pages") ||
	    !ASSERT_EQ(s.layout->generation, 1, "layout generation") ||
	    !ASSERT_EQ(s.layout->accel, PLAN_ACCEL_KVM, "accel") ||
	    !ASSERT_EQ(s.layout->blocks[1].gpa, 4ULL << 30, "gpa") ||
	    !ASSERT_STREQ(s.layout->blocks[2].name, "pc.rom", "name"))
		goto cleanup;
	/* guest-physical <-> ram pages */
	ASSERT_OK(plan_serve__gfn_to_ram(s.layout, 4096, (4ULL << 18) + 5, &x),
		  "gfn above 4G");
	ASSERT_EQ(x, 3077, "ram page of gfn 4G+5");
	ASSERT_OK(plan_serve__ram_to_gfn(s.layout, 4096, 3077, &x), "ram page");
	ASSERT_EQ(x, (4ULL << 18) + 5, "gfn of ram page 3077");
	ASSERT_EQ(plan_serve__gfn_to_ram(s.layout, 4096, 3072, &x), -ENOENT,
		  "gfn in the hole");
	ASSERT_EQ(plan_serve__ram_to_gfn(s.layout, 4096, 4040, &x), -ENOENT,
		  "unmapped rom");
	{
		uint64_t gfn_pages = (4ULL << 18) + 960, *g, ram[PAGES / 64];

		g = calloc(plan_ring_words(gfn_pages), 8);
		if (!ASSERT_TRUE(g, "alloc"))
			goto cleanup;
		memset(ram, 0, sizeof(ram));
		set_bit(g, 7);
		set_bit(g, (4ULL << 18) + 959);
		set_bit(g, 3500);	/* in the hole */
		ASSERT_EQ(plan_serve__gfn_bitmap_to_ram(s.layout, 4096, g,
							gfn_pages, ram, PAGES),
			  2, "bits translated");
		ASSERT_EQ(ram[0], 1ULL << 7, "ram page 7");
		ASSERT_EQ(ram[4031 / 64], 1ULL << (4031 % 64), "ram page 4031");
		free(g);
	}
	/* the sync bitmaps */
	if (!ASSERT_OK(plan_ring_sync_begin(&r, 3, &dirty, &written), "sync"))
		goto cleanup;
	set_bit(dirty, 1);
	set_bit(dirty, 4095);
	set_bit(written, 4095);
	set_bit(written, 1);
	plan_ring_sync_end(&r, 2, 2, 1);
	memset(got_d, 0xff, sizeof(got_d));
	if (!ASSERT_OK(plan_serve__read_sync(&s, got_d, got_f, PAGES / 64, &si),
		       "read sync"))
		goto cleanup;
	ASSERT_EQ(si.iteration, 3, "sync iteration");
	ASSERT_EQ(si.generation, 1, "sync generation");
	ASSERT_EQ(si.pages, PAGES, "sync pages");
	ASSERT_EQ(si.dirty_count, 2, "dirty count");
	ASSERT_EQ(si.written_count, 2, "written count");
	ASSERT_EQ(si.fresh_count, 1, "fresh count");
	ASSERT_EQ(got_d[0], 2, "dirty word 0");
	ASSERT_EQ(got_d[1], 0, "dirty word 1");
	ASSERT_EQ(got_d[63], 1ULL << 63, "dirty word 63");
	ASSERT_EQ(got_f[0], 2, "written word 0");
	ASSERT_EQ(got_f[63], 1ULL << 63, "written word 63");
	{	/* a caller's bitmap longer than the section, written not wanted */
		uint64_t big[PAGES / 64 + 2];

		memset(big, 0xff, sizeof(big));
		ASSERT_OK(plan_serve__read_sync(&s, big, NULL, PAGES / 64 + 2,
						&si), "read sync, longer bitmap");
		ASSERT_EQ(big[63], 1ULL << 63, "dirty word 63 again");
		ASSERT_EQ(big[PAGES / 64], 0, "past the section: cleared");
		ASSERT_EQ(big[PAGES / 64 + 1], 0, "to the caller's end");
	}
	/* an epoch (TCG): none yet, then one */
	ASSERT_EQ(plan_serve__read_epoch(&s, got_f, PAGES / 64, &ei), -ENODATA,
		  "no epoch yet");
	if (!ASSERT_OK(plan_ring_epoch_begin(&r, 3, 7, 100, 200, &written),
		       "epoch"))
		goto cleanup;
	set_bit(written, 64);
	set_bit(written, 4000);
	plan_ring_epoch_end(&r, 2);
	memset(got_f, 0xff, sizeof(got_f));
	if (!ASSERT_OK(plan_serve__read_epoch(&s, got_f, PAGES / 64, &ei),
		       "read epoch"))
		goto cleanup;
	ASSERT_EQ(ei.iteration, 3, "epoch iteration");
	ASSERT_EQ(ei.index, 7, "epoch index");
	ASSERT_EQ(ei.end_ns - ei.start_ns, 100, "epoch length");
	ASSERT_EQ(ei.written_count, 2, "epoch count");
	ASSERT_EQ(got_f[0], 0, "epoch word 0");
	ASSERT_EQ(got_f[1], 1, "epoch word 1");
	ASSERT_EQ(got_f[4000 / 64], 1ULL << (4000 % 64), "epoch page 4000");
	/* a plan */
	p = sample_plan();
	if (!ASSERT_TRUE(p, "plan") ||
	    !ASSERT_OK(plan_serve__publish(&s, p, 1, 3, PAGES, &pub), "publish"))
		goto cleanup;
	ASSERT_EQ(pub.nr_send, 3, "send ranges");
	ASSERT_EQ(pub.nr_deferred, 2, "deferred ranges");
	ASSERT_EQ(pub.send_pages, 6, "send pages");
	ASSERT_EQ(pub.deferred_pages, 5, "deferred pages");
	if (!ASSERT_EQ(plan_ring_take(&r, 3, &why), PLAN_TAKE_OK,
		       why ? why : "take"))
		goto cleanup;
	ASSERT_EQ(r.plan->id, pub.id, "plan id");
	ASSERT_EQ(r.plan->nr_send, 3, "consumer send ranges");
	ASSERT_EQ(r.plan->nr_deferred, 2, "consumer deferred ranges");
	ASSERT_EQ(r.plan->window, 6, "window");
	ASSERT_EQ(r.plan->action, PLAN_ACT_SEND, "action");
	range_is(&r.plan->ranges[0], 10, 3);
	range_is(&r.plan->ranges[1], 5, 2);
	range_is(&r.plan->ranges[2], 100, 1);
	range_is(&r.plan->ranges[3], 200, 4);
	range_is(&r.plan->ranges[4], 300, 1);
	ASSERT_EQ(plan_ring_deferred_end(r.plan, 199), 199, "before deferred");
	ASSERT_EQ(plan_ring_deferred_end(r.plan, 200), 204, "deferred start");
	ASSERT_EQ(plan_ring_deferred_end(r.plan, 203), 204, "deferred last");
	ASSERT_EQ(plan_ring_deferred_end(r.plan, 204), 204, "after deferred");
	ASSERT_EQ(plan_ring_deferred_end(r.plan, 300), 301, "single deferred");
	ASSERT_EQ(plan_ring_deferred_end(r.plan, 400), 400, "past the window: not held");
	ASSERT_EQ(plan_ring_deferred_end(r.plan, 4000), 4000, "past all");
	/* a STOP plan */
	p->action = PLAN_STOP;
	p->window = 0;
	memset(p->deferred, 0, PAGES / 8);
	memset(p->risky, 0, PAGES / 8);
	ASSERT_OK(plan_serve__publish(&s, p, 1, 4, PAGES, &pub), "publish stop");
	ASSERT_EQ(plan_ring_take(&r, 4, &why), PLAN_TAKE_OK, "take stop");
	ASSERT_EQ(r.plan->action, PLAN_ACT_STOP, "stop action");
	ASSERT_EQ(r.plan->nr_deferred, 0, "stop defers nothing");
	ASSERT_EQ(r.hdr->rejected, 0, "nothing rejected");
cleanup:
	plan__free(p);
	close_both(&s, &r);
}

static void test_ring_full(void)
{
	struct plan_serve_opts o;
	struct plan_serve s;
	struct plan_ring r;
	struct plan_ring_event ev = { .type = PLAN_EV_SYNC };
	struct plan *p = NULL;
	const char *why;
	unsigned int i;

	fresh_path("full");
	small_opts(&o);
	if (!open_both(&s, &r, &o))
		goto cleanup;
	/* events: QEMU -> planner, 4 slots */
	for (i = 0; i < 4; i++) {
		ev.iteration = i + 1;
		ASSERT_OK(plan_ring_push_event(&r, &ev), "push");
	}
	ev.iteration = 5;
	ASSERT_EQ(plan_ring_push_event(&r, &ev), -1, "push to a full ring");
	ASSERT_EQ(r.hdr->ev_dropped, 1, "ev_dropped");
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(plan_serve__pop_event(&s, &ev), 1, "pop");
		ASSERT_EQ(ev.iteration, i + 1, "events in order");
	}
	ASSERT_EQ(plan_serve__pop_event(&s, &ev), 0, "drained");
	ASSERT_OK(plan_ring_push_event(&r, &ev), "room again");
	/* plans: planner -> QEMU, 2 slots */
	p = sample_plan();
	if (!ASSERT_TRUE(p, "plan"))
		goto cleanup;
	ASSERT_OK(plan_serve__publish(&s, p, 1, 1, PAGES, NULL), "plan 1");
	ASSERT_OK(plan_serve__publish(&s, p, 1, 2, PAGES, NULL), "plan 2");
	ASSERT_EQ(plan_serve__publish(&s, p, 1, 3, PAGES, NULL), 1,
		  "plan 3 dropped");
	ASSERT_EQ(s.dropped, 1, "dropped counted");
	ASSERT_EQ(r.hdr->plan_head, 2, "head unchanged by the drop");
	/* QEMU takes the newest (iteration 2) and frees both slots */
	ASSERT_EQ(plan_ring_take(&r, 2, &why), PLAN_TAKE_OK, "take newest");
	ASSERT_EQ(r.hdr->plan_tail, 2, "slots released");
	ASSERT_OK(plan_serve__publish(&s, p, 1, 3, PAGES, NULL), "room again");
	ASSERT_EQ(plan_ring_take(&r, 3, &why), PLAN_TAKE_OK, "take plan 3");
cleanup:
	plan__free(p);
	close_both(&s, &r);
}

static void test_stale_and_other_iteration(void)
{
	struct plan_serve_opts o;
	struct plan_serve s;
	struct plan_ring r;
	struct plan *p = NULL;
	const char *why;

	fresh_path("stale");
	small_opts(&o);
	if (!open_both(&s, &r, &o))
		goto cleanup;
	/* nothing published: no plan, whatever the iteration (0 included:
	 * plan_iteration 0 means "no copy") */
	ASSERT_EQ(plan_ring_take(&r, 0, &why), PLAN_TAKE_NONE, "iteration 0");
	ASSERT_EQ(plan_ring_take(&r, 1, &why), PLAN_TAKE_NONE, "iteration 1");
	p = sample_plan();
	if (!ASSERT_TRUE(p, "plan"))
		goto cleanup;
	/* a plan for iteration 5 does not serve iteration 6 */
	ASSERT_OK(plan_serve__publish(&s, p, 1, 5, PAGES, NULL), "publish");
	ASSERT_EQ(plan_ring_take(&r, 6, &why), PLAN_TAKE_NONE, "other iteration");
	/* nor another generation */
	ASSERT_OK(plan_serve__publish(&s, p, 2, 6, PAGES, NULL), "publish");
	ASSERT_EQ(plan_ring_take(&r, 6, &why), PLAN_TAKE_NONE,
		  "other generation");
	/* a heartbeat older than PLAN_RING_STALE_NS */
	ASSERT_OK(plan_serve__publish(&s, p, 1, 7, PAGES, NULL), "publish");
	r.hdr->planner_heartbeat_ns = plan_ring_now_ns() - 3000000000ULL;
	ASSERT_EQ(plan_ring_take(&r, 7, &why), PLAN_TAKE_STALE, "old heartbeat");
	/* beating again makes the next plan usable */
	plan_serve__beat(&s);
	ASSERT_OK(plan_serve__publish(&s, p, 1, 8, PAGES, NULL), "publish");
	ASSERT_EQ(plan_ring_take(&r, 8, &why), PLAN_TAKE_OK, "fresh heartbeat");
	/* a planner that exited (heartbeat 0) */
	ASSERT_OK(plan_serve__publish(&s, p, 1, 9, PAGES, NULL), "publish");
	r.hdr->planner_heartbeat_ns = 0;
	ASSERT_EQ(plan_ring_take(&r, 9, &why), PLAN_TAKE_STALE, "heartbeat 0");
	ASSERT_EQ(r.hdr->rejected, 0, "nothing rejected");
cleanup:
	plan__free(p);
	close_both(&s, &r);
}

/* Publish the sample plan for iteration it, let `spoil` damage the slot,
 * and expect QEMU to reject it. */
static void expect_bad(struct plan_serve *s, struct plan_ring *r,
		       struct plan *p, uint64_t it,
		       void (*spoil)(struct plan_ring_plan *), const char *what)
{
	uint64_t rejected = r->hdr->rejected;
	const char *why = NULL;

	ASSERT_OK(plan_serve__publish(s, p, 1, it, PAGES, NULL), "publish");
	spoil(plan_ring_slot(s->hdr, s->hdr->plan_head - 1));
	ASSERT_EQ(plan_ring_take(r, it, &why), PLAN_TAKE_BAD, what);
	ASSERT_EQ(r->hdr->rejected, rejected + 1, "rejected counted");
	ASSERT_EQ(r->hdr->plan_tail, r->hdr->plan_head, "slot released");
}

static void spoil_garbage(struct plan_ring_plan *pl)
{
	unsigned char *b = (unsigned char *)pl;
	unsigned int i, x = 12345;

	for (i = 0; i < sizeof(*pl) + 5 * sizeof(pl->ranges[0]); i++) {
		x = x * 1103515245 + 12345;
		b[i] = (unsigned char)(x >> 16);
	}
}

static void spoil_checksum(struct plan_ring_plan *pl)
{
	pl->ranges[0].start++;	/* a valid range, but not what was summed */
}

static void spoil_range(struct plan_ring_plan *pl)
{
	pl->ranges[2].start = PAGES;
	pl->checksum = plan_ring_checksum(pl);
}

static void spoil_order(struct plan_ring_plan *pl)
{
	struct plan_ring_range t = pl->ranges[3];

	pl->ranges[3] = pl->ranges[4];
	pl->ranges[4] = t;
	pl->checksum = plan_ring_checksum(pl);
}

static void test_malformed(void)
{
	struct plan_serve_opts o;
	struct plan_serve s;
	struct plan_ring r;
	struct plan *p = NULL;
	const char *why;

	fresh_path("bad");
	small_opts(&o);
	if (!open_both(&s, &r, &o))
		goto cleanup;
	p = sample_plan();
	if (!ASSERT_TRUE(p, "plan"))
		goto cleanup;
	expect_bad(&s, &r, p, 1, spoil_garbage, "garbage slot");
	expect_bad(&s, &r, p, 2, spoil_checksum, "bad checksum");
	expect_bad(&s, &r, p, 3, spoil_range, "range outside RAM");
	expect_bad(&s, &r, p, 4, spoil_order, "deferred not ascending");
	/* the consumer keeps working after rejections */
	ASSERT_OK(plan_serve__publish(&s, p, 1, 5, PAGES, NULL), "publish");
	ASSERT_EQ(plan_ring_take(&r, 5, &why), PLAN_TAKE_OK, "good plan");
cleanup:
	plan__free(p);
	close_both(&s, &r);
}

/* Make a valid ring at path and close it. */
static bool make_ring(const struct plan_serve_opts *o)
{
	struct plan_serve s;
	char err[256];

	if (!ASSERT_OK(plan_serve__open(&s, path, o, err, sizeof(err)), err))
		return false;
	plan_serve__close(&s);
	return true;
}

static void test_other_owner(void)
{
	struct plan_serve_opts o;
	struct plan_serve s;
	struct plan_ring r;
	char err[256] = "";
	const char *why = NULL;

	if (geteuid() != 0) {
		TEST_SKIP("not root: cannot give the ring to another user");
		return;
	}
	fresh_path("owner");
	small_opts(&o);
	if (!make_ring(&o) || !ASSERT_OK(chown(path, 65534, 65534), "chown"))
		goto cleanup;
	ASSERT_EQ(plan_serve__open(&s, path, &o, err, sizeof(err)), -EPERM,
		  "producer refuses");
	ASSERT_TRUE(strstr(err, "owned by uid 65534"), "reason names the owner");
	ASSERT_TRUE(!strchr(err, '\n'), "one line");
	ASSERT_EQ(plan_ring_open(&r, path, &why), -1, "consumer refuses");
	ASSERT_EQ(errno, EPERM, "consumer errno");
cleanup:
	unlink(path);
}

static void test_mode_and_symlink(void)
{
	struct plan_serve_opts o;
	struct plan_serve s;
	struct plan_ring r;
	struct stat st;
	char err[256] = "", target[sizeof(path)];
	const char *why = NULL;

	fresh_path("mode");
	small_opts(&o);
	if (!make_ring(&o) || !ASSERT_OK(chmod(path, 0644), "chmod"))
		goto cleanup;
	ASSERT_EQ(plan_ring_open(&r, path, &why), -1, "consumer refuses 0644");
	/* the producer forces 0600 */
	if (!ASSERT_OK(plan_serve__open(&s, path, &o, err, sizeof(err)), err))
		goto cleanup;
	ASSERT_TRUE(s.reused, "valid ring reused");
	stat(path, &st);
	ASSERT_EQ(st.st_mode & 07777, 0600, "mode forced");
	if (ASSERT_OK(plan_ring_open(&r, path, &why), "consumer accepts 0600"))
		plan_ring_close(&r);
	plan_serve__close(&s);
	/* a symlink to a valid ring: both sides refuse */
	snprintf(target, sizeof(target), "%s", path);
	fresh_path("link");
	if (!ASSERT_OK(symlink(target, path), "symlink"))
		goto cleanup2;
	ASSERT_EQ(plan_serve__open(&s, path, &o, err, sizeof(err)), -ELOOP,
		  "producer refuses a symlink");
	ASSERT_TRUE(strstr(err, "symlink"), "reason");
	ASSERT_EQ(plan_ring_open(&r, path, &why), -1, "consumer refuses");
	/* a directory */
	unlink(path);
	mkdir(path, 0700);
	ASSERT_EQ(plan_serve__open(&s, path, &o, err, sizeof(err)) < 0, 1,
		  "producer refuses a directory");
	rmdir(path);
cleanup2:
	unlink(path);
	snprintf(path, sizeof(path), "%s", target);
cleanup:
	unlink(path);
}

/* An existing file that is not a plan ring is refused, in one line, and
 * left as it was: the planner runs as root and must not overwrite a file
 * it did not create (it once replaced a 14-byte notes.txt with a ring). */
static void test_refuses_other_files(void)
{
	static const char notes[] = "buy milk\neggs\n";
	struct plan_serve_opts o;
	struct plan_serve s;
	char err[256] = "", back[64] = "";
	ssize_t n;
	int fd;

	fresh_path("notes");
	small_opts(&o);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (!ASSERT_TRUE(fd >= 0, "create notes") ||
	    !ASSERT_EQ(write(fd, notes, sizeof(notes) - 1),
		       (ssize_t)sizeof(notes) - 1, "write notes"))
		goto cleanup;
	close(fd);
	ASSERT_EQ(plan_serve__open(&s, path, &o, err, sizeof(err)), -EEXIST,
		  "a text file is refused");
	ASSERT_TRUE(strstr(err, "is not a plan ring"), err);
	ASSERT_TRUE(!strchr(err, '\n'), "one line");
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, back, sizeof(back) - 1) : -1;
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(n, (ssize_t)sizeof(notes) - 1, "size unchanged");
	ASSERT_STREQ(back, notes, "contents unchanged");
	/* an empty file is not a ring either */
	ASSERT_OK(truncate(path, 0), "truncate");
	ASSERT_EQ(plan_serve__open(&s, path, &o, err, sizeof(err)), -EEXIST,
		  "an empty file is refused");
	/* a file as large as a ring, without its magic */
	ASSERT_OK(truncate(path, 1 << 20), "grow");
	ASSERT_EQ(plan_serve__open(&s, path, &o, err, sizeof(err)), -EEXIST,
		  "zeroes are refused");
	unlink(path);
	/* a path that does not exist is created */
	if (ASSERT_OK(plan_serve__open(&s, path, &o, err, sizeof(err)), err)) {
		ASSERT_FALSE(s.reused, "new ring");
		plan_serve__close(&s);
	}
cleanup:
	unlink(path);
}

static void test_restart_reuse(void)
{
	struct plan_serve_opts o;
	struct plan_serve s, s2;
	struct plan_ring r;
	struct plan_ring_event ev = { .type = PLAN_EV_SYNC, .iteration = 2 };
	struct plan_serve_pub pub1, pub2;
	struct plan *p = NULL;
	char err[256];
	const char *why;

	memset(&s2, 0, sizeof(s2));
	s2.fd = -1;
	fresh_path("restart");
	small_opts(&o);
	if (!open_both(&s, &r, &o))
		goto cleanup;
	p = sample_plan();
	if (!ASSERT_TRUE(p, "plan"))
		goto cleanup;
	ASSERT_OK(plan_serve__publish(&s, p, 1, 1, PAGES, &pub1), "publish");
	ASSERT_EQ(plan_ring_take(&r, 1, &why), PLAN_TAKE_OK, "take");
	/* the planner exits; QEMU pushes an event meanwhile */
	plan_serve__close(&s);
	ASSERT_EQ(r.hdr->planner_heartbeat_ns, 0, "clean exit: heartbeat 0");
	ASSERT_OK(plan_ring_push_event(&r, &ev), "event while away");
	/* a new planner with the same capacities keeps QEMU's state */
	if (!ASSERT_OK(plan_serve__open(&s2, path, &o, err, sizeof(err)), err))
		goto cleanup;
	ASSERT_TRUE(s2.reused, "reused");
	ASSERT_EQ(r.hdr->qemu_generation, 1, "generation kept");
	ASSERT_EQ(r.hdr->qemu_pid, 4242, "qemu pid kept");
	ASSERT_EQ(r.hdr->plan_tail, 1, "tail kept");
	ASSERT_OK(plan_serve__read_layout(&s2), "layout kept");
	ASSERT_EQ(s2.layout->ram_pages, PAGES, "layout pages");
	ASSERT_EQ(plan_serve__pop_event(&s2, &ev), 1, "pending event");
	ASSERT_EQ(ev.iteration, 2, "the event QEMU pushed");
	ASSERT_OK(plan_serve__publish(&s2, p, 1, 2, PAGES, &pub2), "publish");
	ASSERT_LE(pub1.id + 1, pub2.id, "ids keep increasing");
	ASSERT_EQ(plan_ring_take(&r, 2, &why), PLAN_TAKE_OK, "consumer works");
	ASSERT_EQ(r.plan->id, pub2.id, "the new planner's plan");
	plan_serve__close(&s2);
	/* other capacities: a fresh ring replaces the file; the old mapping
	 * stays readable for the consumer that holds it */
	o.max_ranges = 128;
	if (!ASSERT_OK(plan_serve__open(&s2, path, &o, err, sizeof(err)), err))
		goto cleanup;
	ASSERT_FALSE(s2.reused, "reinitialised");
	ASSERT_EQ(s2.hdr->qemu_generation, 0, "fresh state");
	ASSERT_EQ(r.hdr->qemu_generation, 1, "old mapping intact");
	/* nobody beats on the old ring: its fallback says stale */
	ASSERT_EQ(plan_ring_take(&r, 3, &why), PLAN_TAKE_STALE, "old ring idle");
cleanup:
	plan__free(p);
	plan_serve__close(&s2);
	close_both(&s, &r);
}

/* A ring another live planner beats on is refused; once that planner
 * is gone (or its heartbeat is old), it is taken over. */
static void test_second_planner(void)
{
	struct plan_serve_opts o;
	struct plan_serve s, s2;
	char err[256] = "";
	pid_t child;

	memset(&s2, 0, sizeof(s2));
	s2.fd = -1;
	fresh_path("busy");
	small_opts(&o);
	if (!ASSERT_OK(plan_serve__open(&s, path, &o, err, sizeof(err)), err))
		goto out;
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	if (!ASSERT_TRUE(child > 0, "fork"))
		goto cleanup;
	/* the other planner: the child, beating now */
	s.hdr->planner_pid = (uint32_t)child;
	s.hdr->planner_heartbeat_ns = plan_ring_now_ns();
	ASSERT_EQ(plan_serve__open(&s2, path, &o, err, sizeof(err)), -EBUSY,
		  "live planner: refused");
	ASSERT_TRUE(strstr(err, "another planner"), "reason");
	/* its heartbeat is old: taken over */
	s.hdr->planner_heartbeat_ns = plan_ring_now_ns() - 3000000000ULL;
	if (ASSERT_OK(plan_serve__open(&s2, path, &o, err, sizeof(err)),
		      "stale planner: taken over"))
		plan_serve__close(&s2);
	/* it died with a fresh heartbeat: taken over */
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	s.hdr->planner_pid = (uint32_t)child;
	child = 0;
	s.hdr->planner_heartbeat_ns = plan_ring_now_ns();
	if (ASSERT_OK(plan_serve__open(&s2, path, &o, err, sizeof(err)),
		      "dead planner: taken over"))
		plan_serve__close(&s2);
cleanup:
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	plan_serve__close(&s);
out:
	unlink(path);
}

static void test_cut_to_max_ranges(void)
{
	struct plan_serve_opts o;
	struct plan_serve s;
	struct plan_ring r;
	struct plan_serve_pub pub;
	struct plan *p = NULL;
	const char *why;
	unsigned int i;

	fresh_path("cut");
	small_opts(&o);
	o.max_ranges = 4;
	if (!open_both(&s, &r, &o))
		goto cleanup;
	p = sample_plan();	/* 3 send ranges + 2 deferred */
	if (!ASSERT_TRUE(p, "plan"))
		goto cleanup;
	ASSERT_OK(plan_serve__publish(&s, p, 1, 1, PAGES, &pub), "publish");
	ASSERT_EQ(pub.nr_send, 3, "send order kept");
	ASSERT_EQ(pub.nr_deferred, 1, "deferred cut first");
	ASSERT_EQ(pub.cut_deferred, 1, "page 300 no longer deferred");
	ASSERT_EQ(pub.cut_send, 0, "no send page cut");
	ASSERT_EQ(plan_ring_take(&r, 1, &why), PLAN_TAKE_OK, "valid");
	range_is(&r.plan->ranges[3], 200, 4);
	ASSERT_EQ(plan_ring_deferred_end(r.plan, 300), 300, "300 sent");
	/* 6 send ranges: the send order's tail goes too */
	for (i = 0; i < 6; i++)
		p->send[i] = 1000 + 2 * i;
	ASSERT_OK(plan_serve__publish(&s, p, 1, 2, PAGES, &pub), "publish");
	ASSERT_EQ(pub.nr_send, 4, "send cut to max_ranges");
	ASSERT_EQ(pub.nr_deferred, 0, "no room for deferred");
	ASSERT_EQ(pub.cut_send, 2, "two send pages cut");
	ASSERT_EQ(pub.cut_deferred, 5, "all deferred cut");
	ASSERT_EQ(plan_ring_take(&r, 2, &why), PLAN_TAKE_OK, "valid");
	range_is(&r.plan->ranges[3], 1006, 1);
	ASSERT_EQ(r.plan->send_pages, 4, "send pages");
cleanup:
	plan__free(p);
	close_both(&s, &r);
}

int main(void)
{
	RUN_TEST(test_roundtrip);
	RUN_TEST(test_ring_full);
	RUN_TEST(test_stale_and_other_iteration);
	RUN_TEST(test_malformed);
	RUN_TEST(test_other_owner);
	RUN_TEST(test_mode_and_symlink);
	RUN_TEST(test_refuses_other_files);
	RUN_TEST(test_restart_reuse);
	RUN_TEST(test_second_planner);
	RUN_TEST(test_cut_to_max_ranges);
	return harness_finish();
}
